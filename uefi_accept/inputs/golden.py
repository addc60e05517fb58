"""Golden matrices: a saved `uefi-accept matrix --format json` file, validated
against the matrix document and rebuilt into the scenario and profiles it was
made from. A file carries its whole scenario and the full content of every
profile it used, so it stays checkable after a built-in profile changes (a
profile entry may instead be a bare built-in name, which follows the built-in).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from uefi_accept.errors import InputError
from uefi_accept.inputs.documents import SCHEMA_VERSION, MatrixDoc
from uefi_accept.inputs.files import MAX_GOLDEN_BYTES, read_input_bytes, source_name
from uefi_accept.inputs.profile_files import builtin, profile_from_data
from uefi_accept.model.firmware import handover_ram_bytes
from uefi_accept.model.memmap import MemoryDescriptor
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile, Profile
from uefi_accept.model.scenario import MAX_PHYS_ADDR, Platform, Scenario, max_ram

GOLDEN_KIND = "matrix"


@dataclass(frozen=True)
class Golden:
    """A validated golden file, ready to recompute."""

    source: str
    scenario: Scenario
    firmware: tuple[FirmwareProfile, ...]
    kernels: tuple[KernelProfile, ...]
    doc: MatrixDoc  # as stored
    raw: bytes
    # Per profile list, the built-in name an entry referred to (None: full content).
    refs: dict[str, tuple[str | None, ...]]
    # The real map a `matrix --memmap` file booted over; None: the model's own.
    handover_map: tuple[MemoryDescriptor, ...] | None = None


# msgspec's "problem - at `$.path`"; the path is bounded so that a message
# quoting a long value full of " - at `" is still one pass.
_AT = re.compile(r" - at `\$\.?(?P<path>[^`]{0,300})`$")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def load_golden(path: str) -> Golden:
    return parse_golden(read_input_bytes(path, MAX_GOLDEN_BYTES), source_name(path))


def parse_golden(raw: bytes, source: str) -> Golden:
    """Validate the bytes of a golden file; every problem is an InputError
    that names the file and, where there is one, the field."""
    if not raw.strip():
        raise InputError("empty file, not a uefi-accept matrix", source=source)
    try:
        data = json.loads(
            raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", source=source) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON, truncated or corrupt? ({exc.msg}: line {exc.lineno} "
            f"column {exc.colno})",
            source=source,
        ) from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", source=source) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", source=source) from None
    return golden_from_data(data, raw, source)


def golden_from_data(data: Any, raw: bytes, source: str) -> Golden:
    if not isinstance(data, dict):
        raise InputError(
            f"not a uefi-accept matrix: the top level is a JSON {_json_type(data)}, not an object",
            source=source,
        )
    _check_header(data, source)
    try:
        doc = msgspec.convert(data, MatrixDoc)
    except msgspec.ValidationError as exc:
        msg, field = _split_validation_error(str(exc))
        raise InputError(msg, source=source, field=field) from None
    sc = doc.scenario
    if sc.ram_bytes > max_ram(sc.layout):
        raise InputError(
            "beyond the 52-bit physical address limit", source=source, field="scenario.ram_bytes"
        )
    if sc.pre_accept is not None and sc.pre_accept > sc.ram_bytes:
        raise InputError("more than the scenario's RAM", source=source, field="scenario.pre_accept")
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
        deadline_s=sc.deadline_s,
        cost_model=sc.cost_model,
        # Kept so that --update writes them back (the engine does not use them).
        assumptions=tuple(sc.assumptions),
    )
    fws, fw_refs = _profiles(doc.profiles.firmware, "firmware", sc.platform, source)
    ks, k_refs = _profiles(doc.profiles.kernel, "kernel", sc.platform, source)
    _check_names(doc.firmware, fws, "firmware", "profiles.firmware", source)
    _check_names(doc.kernels, ks, "kernels", "profiles.kernel", source)
    _check_cells(doc, source)
    return Golden(
        source=source,
        scenario=scenario,
        firmware=tuple(fws),  # type: ignore[arg-type]
        kernels=tuple(ks),  # type: ignore[arg-type]
        doc=doc,
        raw=raw,
        refs={"firmware": fw_refs, "kernel": k_refs},
        handover_map=_handover_map(doc, source),
    )


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
            f"got {str(kind)[:40]!r}, expected 'matrix' (a file written by "
            "`uefi-accept matrix --format json`)",
            source=source,
            field="kind",
        )
    version = data.get("schema_version")
    if version is None:
        raise InputError("required field is missing", source=source, field="schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(
            f"unknown schema version {str(version)[:20]!r}", source=source, field="schema_version"
        )
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{version} is newer than this uefi-accept reads ({SCHEMA_VERSION}); "
            "upgrade uefi-accept",
            source=source,
            field="schema_version",
        )


def _cut(text: str, n: int = 200) -> str:
    """Messages are one short line: a value from the file is cut to fit."""
    return text if len(text) <= n else text[: n - 3] + "..."


def _split_validation_error(text: str) -> tuple[str, str | None]:
    m = _AT.search(text)
    msg = text[: m.start()] if m else text
    path = m.group("path") if m and m.group("path") else None
    for pattern, problem in (
        (r"Object missing required field `(\w+)`", "required field is missing"),
        (r"Object contains unknown field `([^`]+)`", "unknown field"),
    ):
        hit = re.match(pattern, msg)
        if hit:
            path = f"{path}.{hit.group(1)}" if path else hit.group(1)
            msg = problem
    return _cut(msg), _cut(path, 100) if path else None


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
    entries: list[dict[str, Any] | str], kind: str, platform: Platform, source: str
) -> tuple[list[Profile], tuple[str | None, ...]]:
    key = f"profiles.{kind}"
    profiles: list[Profile] = []
    refs: list[str | None] = []
    for i, entry in enumerate(entries):
        where = f"{key}[{i}]"
        if isinstance(entry, str):
            found = builtin(kind, entry, platform)
            if found is None:
                raise InputError(
                    f"no built-in {kind} profile {entry[:64]!r} for {platform}",
                    source=source,
                    field=where,
                )
            profile, ref = found, entry
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


def _handover_map(doc: MatrixDoc, source: str) -> tuple[MemoryDescriptor, ...] | None:
    """The recorded hand-over map, as the engine takes it: descriptors in address
    order that do not overlap (what inputs.bootlog keeps of a log's map), holding
    the scenario's RAM (build_scenario sets RAM from the map)."""
    if isinstance(doc.handover_map, msgspec.UnsetType):
        return None
    descs = []
    end = 0
    for i, d in enumerate(doc.handover_map):
        where = f"handover_map[{i}]"
        if d.start + d.size > MAX_PHYS_ADDR:
            raise InputError(
                "ends above the 52-bit physical address limit", source=source, field=where
            )
        if d.start < end:
            raise InputError(
                f"starts at {d.start:#x}, inside or before the descriptor before it "
                f"(which ends at {end:#x}): a map is in address order, without overlaps",
                source=source,
                field=where,
            )
        end = d.start + d.size
        descs.append(MemoryDescriptor(d.start, end, d.type))
    ram = handover_ram_bytes(tuple(descs))
    if ram != doc.scenario.ram_bytes:
        raise InputError(
            f"holds {ram} bytes of RAM but scenario.ram_bytes is {doc.scenario.ram_bytes}: "
            "the file was edited inconsistently",
            source=source,
            field="handover_map",
        )
    return tuple(descs)


def _check_names(
    names: list[str], profiles: list[Profile], field: str, key: str, source: str
) -> None:
    held = [p.name for p in profiles]
    dupes = sorted({n for n in held if held.count(n) > 1})
    if dupes:
        raise InputError(
            f"profile named twice: {_cut(', '.join(dupes), 100)}", source=source, field=key
        )
    if names != held:
        raise InputError(
            f"lists {_cut(str(names), 80)} but {key} holds {_cut(str(held), 80)}: "
            "the file was edited inconsistently",
            source=source,
            field=field,
        )


def _check_cells(doc: MatrixDoc, source: str) -> None:
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(doc.cells):
        key = (c.firmware, c.kernel)
        if c.firmware not in doc.firmware or c.kernel not in doc.kernels:
            raise InputError(
                f"cell {c.firmware[:64]} / {c.kernel[:64]} is not in the firmware and "
                "kernels lists",
                source=source,
                field=f"cells[{i}]",
            )
        if key in seen:
            raise InputError(
                f"cell {c.firmware[:64]} / {c.kernel[:64]} appears twice",
                source=source,
                field=f"cells[{i}]",
            )
        seen.add(key)
    missing = [f"{f} / {k}" for f in doc.firmware for k in doc.kernels if (f, k) not in seen]
    if missing:
        raise InputError(
            f"missing cell{'s' if len(missing) > 1 else ''}: {_cut(', '.join(missing), 160)}",
            source=source,
            field="cells",
        )
