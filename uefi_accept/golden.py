"""Golden matrices: load a saved `uefi-accept matrix --format json` file,
recompute it from its own content, and diff the cells.

A golden file carries its whole scenario and the full content of every
profile it used, so it is rebuilt from the file alone: a file stays checkable
after a built-in profile changes. (A profile entry may instead be a bare
built-in name; that one follows the built-in.) Pure: no printing, no writing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from uefi_accept.engine import MAX_RAM, SCHEMA_VERSION, Layout, Loader, Scenario, Verdict
from uefi_accept.errors import InputError
from uefi_accept.profiles import (
    MIN_PRE_ACCEPT,
    FirmwareProfile,
    KernelProfile,
    Profile,
    builtin_profiles,
    profile_from_data,
)
from uefi_accept.render import dump_json
from uefi_accept.units import MiB
from uefi_accept.verdict import CellResult, evaluate_matrix

GOLDEN_KIND = "matrix"
DEFAULT_TOLERANCE = 0.05
# What `check` compares; everything else in a cell (reason, events) is
# explanation, not a fact CI gates on.
COMPARED_FIELDS = ("verdict", "usable_bytes", "lost_bytes", "boot_time_s")
# Same floor as `--ram` (cli.build_scenario).
MIN_RAM = 128 * MiB
# JSON stores boot times rounded like CellResult.to_dict does.
BOOT_TIME_DIGITS = 3


class _ScenarioDoc(msgspec.Struct, forbid_unknown_fields=True):
    platform: Literal["snp", "tdx"]
    ram_bytes: Annotated[int, msgspec.Meta(ge=MIN_RAM, le=MAX_RAM)]
    vcpus: Annotated[int, msgspec.Meta(ge=1, le=4096)]
    layout: Layout
    loader: Loader
    host_page_size: Literal[4096, 2097152]
    pre_accept: Annotated[int, msgspec.Meta(ge=MIN_PRE_ACCEPT, le=MAX_RAM)] | None
    slow_ratio: Annotated[float, msgspec.Meta(gt=1.0)]
    degraded_fraction: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]


class _CellDoc(msgspec.Struct):
    # Unknown fields allowed: a cell carries more than check compares.
    firmware: str
    kernel: str
    verdict: Verdict
    boot_time_s: Annotated[float, msgspec.Meta(ge=0.0)]
    usable_bytes: Annotated[int, msgspec.Meta(ge=0)]
    lost_bytes: Annotated[int, msgspec.Meta(ge=0)]


class _ProfilesDoc(msgspec.Struct, forbid_unknown_fields=True):
    firmware: list[dict[str, Any] | str]
    kernel: list[dict[str, Any] | str]


class _MatrixDoc(msgspec.Struct):
    schema_version: int
    kind: str
    scenario: _ScenarioDoc
    firmware: list[str]
    kernels: list[str]
    cells: list[_CellDoc]
    profiles: _ProfilesDoc


@dataclass(frozen=True)
class CellFacts:
    """The facts of one cell that `check` and `upgrades` compare."""

    verdict: Verdict
    boot_time_s: float
    usable_bytes: int
    lost_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "boot_time_s": self.boot_time_s,
            "usable_bytes": self.usable_bytes,
            "lost_bytes": self.lost_bytes,
        }


def cell_facts(cell: CellResult) -> CellFacts:
    """Facts of a CellResult, rounded the way the matrix JSON stores them."""
    o = cell.outcome
    return CellFacts(
        verdict=cell.verdict,
        boot_time_s=round(o.boot_time_s, BOOT_TIME_DIGITS),
        usable_bytes=o.usable_bytes,
        lost_bytes=o.lost_bytes,
    )


@dataclass(frozen=True)
class Golden:
    """A validated golden file, ready to recompute."""

    source: str
    scenario: Scenario
    firmware: tuple[FirmwareProfile, ...]
    kernels: tuple[KernelProfile, ...]
    cells: dict[tuple[str, str], CellFacts]
    # Per profile list, the built-in name an entry referred to (None: full content).
    refs: dict[str, tuple[str | None, ...]]


@dataclass(frozen=True)
class CellChange:
    firmware: str
    kernel: str
    old: CellFacts
    new: CellFacts
    # Which of COMPARED_FIELDS count as changed (boot time beyond the tolerance).
    fields: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "firmware": self.firmware,
            "kernel": self.kernel,
            "changed": list(self.fields),
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
        }


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one golden file."""

    source: str
    scenario: Scenario
    cells_checked: int
    changes: tuple[CellChange, ...]
    # The recomputed matrix JSON, byte for byte what --update writes.
    fresh_text: str

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class CheckReport:
    """Every file checked in one run."""

    files: tuple[FileCheck, ...]
    tolerance: float
    # --update: the changed files were rewritten.
    update: bool = False

    @property
    def changed(self) -> bool:
        return any(f.changed for f in self.files)

    @property
    def changed_files(self) -> tuple[FileCheck, ...]:
        return tuple(f for f in self.files if f.changed)

    @property
    def cells_checked(self) -> int:
        return sum(f.cells_checked for f in self.files)

    @property
    def cells_changed(self) -> int:
        return sum(len(f.changes) for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "check",
            "tolerance": self.tolerance,
            "update": self.update,
            "changed": self.changed,
            "files_checked": len(self.files),
            "files_changed": len(self.changed_files),
            "cells_checked": self.cells_checked,
            "cells_changed": self.cells_changed,
            "files": [
                {
                    "file": f.source,
                    "changed": f.changed,
                    "updated": self.update and f.changed,
                    "cells_checked": f.cells_checked,
                    "scenario": f.scenario.to_dict(),
                    "changes": [c.to_dict() for c in f.changes],
                }
                for f in self.files
            ],
        }


# -- loading ------------------------------------------------------------------

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def parse_golden(raw: bytes, source: str) -> Golden:
    """Validate the bytes of a golden file; every problem is an InputError
    that names the file and, where there is one, the field."""
    if not raw.strip():
        raise InputError("empty file, not a uefi-accept matrix", source=source)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", source=source) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON, truncated or corrupt? ({exc.msg}: line {exc.lineno} "
            f"column {exc.colno})",
            source=source,
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not valid JSON: {exc}", source=source) from None
    return golden_from_data(data, source)


def golden_from_data(data: Any, source: str) -> Golden:
    if not isinstance(data, dict):
        raise InputError(
            f"not a uefi-accept matrix: the top level is a JSON {_json_type(data)}, not an object",
            source=source,
        )
    _check_header(data, source)
    try:
        doc = msgspec.convert(data, _MatrixDoc)
    except msgspec.ValidationError as exc:
        msg, field = _split_validation_error(str(exc))
        raise InputError(msg, source=source, field=field) from None
    sc = doc.scenario
    scenario = Scenario(
        platform=sc.platform,
        ram_bytes=sc.ram_bytes,
        vcpus=sc.vcpus,
        layout=sc.layout,
        loader=sc.loader,
        host_page_size=sc.host_page_size,
        pre_accept=sc.pre_accept,
        slow_ratio=float(sc.slow_ratio),
        degraded_fraction=float(sc.degraded_fraction),
    )
    fws, fw_refs = _profiles(doc.profiles.firmware, "firmware", sc.platform, source)
    ks, k_refs = _profiles(doc.profiles.kernel, "kernel", sc.platform, source)
    _check_names(doc.firmware, fws, "firmware", "profiles.firmware", source)
    _check_names(doc.kernels, ks, "kernels", "profiles.kernel", source)
    cells = _cells(doc.cells, doc.firmware, doc.kernels, source)
    return Golden(
        source=source,
        scenario=scenario,
        firmware=tuple(fws),  # type: ignore[arg-type]
        kernels=tuple(ks),  # type: ignore[arg-type]
        cells=cells,
        refs={"firmware": fw_refs, "kernel": k_refs},
    )


def load_golden(path: str | Path) -> Golden:
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError("is a directory, not a matrix file", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=source) from None
    return parse_golden(raw, source)


def _check_header(data: dict[str, Any], source: str) -> None:
    kind = data.get("kind")
    if kind is None:
        raise InputError(
            "no 'kind' key: not a file written by `uefi-accept matrix --format json`",
            source=source,
            field="kind",
        )
    if kind != GOLDEN_KIND:
        raise InputError(
            f"got {kind!r}, expected 'matrix' (a file written by "
            "`uefi-accept matrix --format json`)",
            source=source,
            field="kind",
        )
    version = data.get("schema_version")
    if version is None:
        raise InputError("required field is missing", source=source, field="schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(
            f"unknown schema version {version!r}", source=source, field="schema_version"
        )
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{version} is newer than this uefi-accept reads ({SCHEMA_VERSION}); "
            "upgrade uefi-accept",
            source=source,
            field="schema_version",
        )


def _split_validation_error(text: str) -> tuple[str, str | None]:
    m = _AT.match(text)
    msg = m.group("msg") if m else text
    path = m.group("path") if m and m.group("path") else None
    for pattern, problem in (
        (r"Object missing required field `(\w+)`", "required field is missing"),
        (r"Object contains unknown field `(\w+)`", "unknown field"),
    ):
        hit = re.match(pattern, msg)
        if hit:
            path = f"{path}.{hit.group(1)}" if path else hit.group(1)
            msg = problem
    return msg, path


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


def _profiles(
    entries: list[dict[str, Any] | str], kind: str, platform: str, source: str
) -> tuple[list[Profile], tuple[str | None, ...]]:
    key = f"profiles.{kind}"
    profiles: list[Profile] = []
    refs: list[str | None] = []
    for i, entry in enumerate(entries):
        where = f"{key}[{i}]"
        if isinstance(entry, str):
            matches = [
                p for p in builtin_profiles(kind) if p.name == entry and platform in p.platforms
            ]
            if not matches:
                raise InputError(
                    f"no built-in {kind} profile {entry!r} for {platform}",
                    source=source,
                    field=where,
                )
            profile, ref = matches[0], entry
        else:
            try:
                profile = profile_from_data(entry, kind, source)
            except InputError as exc:
                field = f"{where}.{exc.field}" if exc.field else where
                raise InputError(exc.problem, source=source, field=field) from None
            ref = None
        if isinstance(profile, FirmwareProfile) and platform not in profile.platforms:
            raise InputError(
                f"firmware {profile.name!r} does not run on {platform} "
                f"(platforms: {', '.join(profile.platforms)})",
                source=source,
                field=f"{where}.platforms",
            )
        profiles.append(profile)
        refs.append(ref)
    if not profiles:
        raise InputError(f"no {kind} profiles", source=source, field=key)
    return profiles, tuple(refs)


def _check_names(
    names: list[str], profiles: list[Profile], field: str, key: str, source: str
) -> None:
    held = [p.name for p in profiles]
    dupes = sorted({n for n in held if held.count(n) > 1})
    if dupes:
        raise InputError(f"profile named twice: {', '.join(dupes)}", source=source, field=key)
    if names != held:
        raise InputError(
            f"lists {names} but {key} holds {held}: the file was edited inconsistently",
            source=source,
            field=field,
        )


def _cells(
    docs: list[_CellDoc], firmware: list[str], kernels: list[str], source: str
) -> dict[tuple[str, str], CellFacts]:
    cells: dict[tuple[str, str], CellFacts] = {}
    for i, c in enumerate(docs):
        key = (c.firmware, c.kernel)
        if c.firmware not in firmware or c.kernel not in kernels:
            raise InputError(
                f"cell {c.firmware} / {c.kernel} is not in the firmware and kernels lists",
                source=source,
                field=f"cells[{i}]",
            )
        if key in cells:
            raise InputError(
                f"cell {c.firmware} / {c.kernel} appears twice", source=source, field=f"cells[{i}]"
            )
        cells[key] = CellFacts(c.verdict, float(c.boot_time_s), c.usable_bytes, c.lost_bytes)
    missing = [f"{f} / {k}" for f in firmware for k in kernels if (f, k) not in cells]
    if missing:
        raise InputError(
            f"missing cell{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
            source=source,
            field="cells",
        )
    return cells


# -- recompute and diff -------------------------------------------------------


def changed_fields(old: CellFacts, new: CellFacts, tolerance: float) -> tuple[str, ...]:
    """Verdict, usable and lost memory count on any change; boot time only
    beyond a relative tolerance."""
    fields = []
    if old.verdict != new.verdict:
        fields.append("verdict")
    if old.usable_bytes != new.usable_bytes:
        fields.append("usable_bytes")
    if old.lost_bytes != new.lost_bytes:
        fields.append("lost_bytes")
    if abs(new.boot_time_s - old.boot_time_s) > tolerance * abs(old.boot_time_s):
        fields.append("boot_time_s")
    return tuple(fields)


def check_golden(golden: Golden, tolerance: float = DEFAULT_TOLERANCE) -> FileCheck:
    """Recompute a golden file from its own scenario and profiles, and diff."""
    result = evaluate_matrix(golden.scenario, list(golden.firmware), list(golden.kernels))
    changes: list[CellChange] = []
    for cell in result.cells:
        old = golden.cells[(cell.firmware, cell.kernel)]
        new = cell_facts(cell)
        fields = changed_fields(old, new, tolerance)
        if fields:
            changes.append(CellChange(cell.firmware, cell.kernel, old, new, fields))
    doc = result.to_dict()
    # Keep a reference to a built-in as a reference when the file is rewritten.
    for kind, refs in golden.refs.items():
        for i, ref in enumerate(refs):
            if ref is not None:
                doc["profiles"][kind][i] = ref
    return FileCheck(
        source=golden.source,
        scenario=golden.scenario,
        cells_checked=len(result.cells),
        changes=tuple(changes),
        fresh_text=dump_json(doc),
    )


def expand_paths(paths: Iterable[str]) -> list[str]:
    """FILE arguments: a directory stands for the *.json files in it, sorted;
    a path named twice is checked once."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(str(f) for f in path.glob("*.json") if f.is_file())
            if not found:
                raise InputError("no .json matrix files in this directory", source=p)
            out.extend(found)
        else:
            out.append(p)
    seen: set[str] = set()
    unique = []
    for p in out:
        key = str(Path(p).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
