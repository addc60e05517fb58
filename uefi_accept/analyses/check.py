"""`check`: recompute saved matrices and compare every stored figure.

Each cell's figures are compared field by field with the recomputed document:
byte counts exactly (they are integers), times within a relative tolerance,
the verdict, and the timeline (its steps, bytes and durations). Sentences (the
reason and each event's text) are explanations, a class of their own. A change
is labelled a regression or an improvement where its direction is clear.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uefi_accept.analyses.matrix import MatrixResult, evaluate_matrix, matrix_doc
from uefi_accept.errors import InputError
from uefi_accept.inputs.documents import dump_json, to_data
from uefi_accept.inputs.golden import Golden, load_golden
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.scenario import Scenario

DEFAULT_TOLERANCE = 0.05


class ChangeClass(enum.StrEnum):
    FIGURE = "figure"  # a number, a verdict, a timeline step
    EXPLANATION = "explanation"  # the words: a reason, an event's text


class Direction(enum.StrEnum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    CHANGE = "change"  # no clear better or worse


# Sentences: what changes only the explanation of a cell.
EXPLANATION_FIELDS = frozenset({"reason", "what"})
# Fields that name a cell, or follow from others (an event's start is the sum
# of the durations before it): not compared.
IDENTITY_FIELDS = frozenset({"firmware", "kernel", "schema_version", "t_s"})
# Which way is better, for the figures where it is clear.
BETTER_WHEN_HIGHER = frozenset({"usable_bytes"})
BETTER_WHEN_LOWER = frozenset({"boot_time_s", "lost_bytes"})


@dataclass(frozen=True)
class FieldChange:
    path: str  # "accepted_bytes", "events[3].duration_s", "reason", ...
    kind: ChangeClass
    old: Any
    new: Any
    direction: Direction = Direction.CHANGE


@dataclass(frozen=True)
class CellChange:
    firmware: str
    kernel: str
    changes: tuple[FieldChange, ...]

    def of(self, kind: ChangeClass) -> tuple[FieldChange, ...]:
        return tuple(c for c in self.changes if c.kind == kind)


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one golden file: its changes, or its error."""

    source: str
    scenario: Scenario | None = None
    cells_checked: int = 0
    matrix_changes: tuple[FieldChange, ...] = ()  # figures of the whole matrix
    cells: tuple[CellChange, ...] = ()
    # The recomputed matrix, what --update writes.
    fresh: MatrixResult | None = None
    fresh_text: str = ""
    stored_text: bytes = b""
    error: InputError | None = None

    def changes(self, kinds: Iterable[ChangeClass] = tuple(ChangeClass)) -> list[FieldChange]:
        kinds = set(kinds)
        out = [c for c in self.matrix_changes if c.kind in kinds]
        out += [c for cell in self.cells for c in cell.changes if c.kind in kinds]
        return out

    @property
    def changed(self) -> bool:
        return bool(self.matrix_changes or self.cells)


@dataclass(frozen=True)
class CheckReport:
    files: tuple[FileCheck, ...]
    tolerance: float
    ignore: frozenset[ChangeClass] = field(default_factory=frozenset)
    update: bool = False  # --update: changed files were rewritten

    @property
    def counted(self) -> frozenset[ChangeClass]:
        return frozenset(ChangeClass) - self.ignore

    @property
    def errors(self) -> tuple[FileCheck, ...]:
        return tuple(f for f in self.files if f.error is not None)

    @property
    def checked(self) -> tuple[FileCheck, ...]:
        return tuple(f for f in self.files if f.error is None)

    @property
    def changed_files(self) -> tuple[FileCheck, ...]:
        return tuple(f for f in self.checked if f.changed)

    @property
    def failed(self) -> bool:
        """A change in a class that is not ignored."""
        return any(f.changes(self.counted) for f in self.checked)

    @property
    def cells_checked(self) -> int:
        return sum(f.cells_checked for f in self.checked)

    @property
    def cells_changed(self) -> int:
        return sum(len(f.cells) for f in self.checked)

    def count(self, kind: ChangeClass) -> int:
        return sum(len(f.changes((kind,))) for f in self.checked)


# -- comparing two documents ---------------------------------------------------------


def _direction(name: str, old: Any, new: Any) -> Direction:
    if name == "verdict":
        worse = Verdict(new).rank > Verdict(old).rank
        return Direction.REGRESSION if worse else Direction.IMPROVEMENT
    if name in BETTER_WHEN_HIGHER:
        return Direction.IMPROVEMENT if new > old else Direction.REGRESSION
    if name in BETTER_WHEN_LOWER:
        return Direction.IMPROVEMENT if new < old else Direction.REGRESSION
    return Direction.CHANGE


def _differs(old: Any, new: Any, tolerance: float) -> bool:
    """Times count when they move by more than `tolerance` of the stored value;
    everything else on any change."""
    if isinstance(old, float) and isinstance(new, float):
        return abs(new - old) > tolerance * abs(old)
    return type(old) is not type(new) or bool(old != new)


def compare(old: Any, new: Any, tolerance: float, path: str = "") -> list[FieldChange]:
    """Every field of two JSON values that differs; the last name on a path
    decides whether it is an explanation and which way is better."""
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in sorted(old.keys() | new.keys()):
            if key in IDENTITY_FIELDS:
                continue
            sub = f"{path}.{key}" if path else key
            if key not in old or key not in new:
                out.append(FieldChange(sub, ChangeClass.FIGURE, old.get(key), new.get(key)))
            else:
                out += compare(old[key], new[key], tolerance, sub)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if name == "events" and [_step(e) for e in old] != [_step(e) for e in new]:
            # A different sequence of steps: one change, not one per event.
            return [
                FieldChange(
                    f"{path}.steps",
                    ChangeClass.FIGURE,
                    [_step(e) for e in old],
                    [_step(e) for e in new],
                )
            ]
        if len(old) != len(new):
            return [FieldChange(path, ChangeClass.FIGURE, old, new)]
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += compare(a, b, tolerance, f"{path}[{i}]")
        return out
    if not _differs(old, new, tolerance):
        return []
    kind = ChangeClass.EXPLANATION if name in EXPLANATION_FIELDS else ChangeClass.FIGURE
    direction = Direction.CHANGE
    if kind == ChangeClass.FIGURE and type(old) is type(new) and not isinstance(old, list | dict):
        direction = _direction(name, old, new)
    return [FieldChange(path, kind, old, new, direction)]


def _step(event: Any) -> Any:
    return event.get("step") if isinstance(event, dict) else event


# -- checking files ---------------------------------------------------------------------


def check_golden(golden: Golden, tolerance: float = DEFAULT_TOLERANCE) -> FileCheck:
    """Recompute a golden file from its own scenario and profiles, and compare."""
    fresh = evaluate_matrix(
        golden.scenario,
        list(golden.firmware),
        list(golden.kernels),
        handover_map=golden.handover_map,  # a `matrix --memmap` file boots over its map
    )
    new_doc = to_data(matrix_doc(fresh))
    old_doc = to_data(golden.doc)
    matrix_changes = compare(
        {"reference_boot_time_s": old_doc["reference_boot_time_s"]},
        {"reference_boot_time_s": new_doc["reference_boot_time_s"]},
        tolerance,
    )
    new_cells = {(c["firmware"], c["kernel"]): c for c in new_doc["cells"]}
    cells = []
    for old_cell in old_doc["cells"]:
        key = (old_cell["firmware"], old_cell["kernel"])
        new_cell = dict(new_cells[key])
        if "events" not in old_cell:  # a file saved without timelines
            new_cell.pop("events", None)
        changes = compare(old_cell, new_cell, tolerance)
        if changes:
            cells.append(CellChange(key[0], key[1], tuple(changes)))
    # Keep a reference to a built-in as a reference when the file is rewritten.
    for kind, refs in golden.refs.items():
        for i, ref in enumerate(refs):
            if ref is not None:
                new_doc["profiles"][kind][i] = ref
    return FileCheck(
        source=golden.source,
        scenario=golden.scenario,
        cells_checked=len(fresh.cells),
        matrix_changes=tuple(matrix_changes),
        cells=tuple(cells),
        fresh=fresh,
        fresh_text=dump_json(new_doc),
        stored_text=golden.raw,
    )


def check_files(
    paths: Iterable[str],
    tolerance: float = DEFAULT_TOLERANCE,
    ignore: Iterable[ChangeClass] = (),
    update: bool = False,
) -> CheckReport:
    """Check every file; a bad file is reported as that file's error and the
    others are still checked."""
    results = []
    for path in expand_paths(paths):
        try:
            results.append(check_golden(load_golden(path), tolerance))
        except InputError as exc:
            results.append(FileCheck(source=exc.source or path, error=exc))
    return CheckReport(tuple(results), tolerance, frozenset(ignore), update)


def expand_paths(paths: Iterable[str]) -> list[str]:
    """FILE arguments: a directory stands for the *.json files under it (sorted,
    subdirectories included, hidden ones skipped); a file named twice is checked once."""
    out: list[str] = []
    for p in paths:
        if p == "":
            raise InputError("an empty path: name a golden file or a directory", source="''")
        if os.path.isdir(p):
            found = sorted(
                str(f)
                for f in Path(p).rglob("*.json")
                if not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise InputError("no .json matrix files in this directory", source=p)
            out.extend(found)
        else:
            out.append(p)
    seen: set[str] = set()
    unique = []
    for p in out:
        try:
            key = str(Path(p).resolve())
        except (OSError, RuntimeError):  # a symlink loop: reported when read
            key = p
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
