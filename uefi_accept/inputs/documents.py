"""The JSON documents uefi-accept writes and reads back: the published contract.

Each document is a msgspec Struct; writers fill them, `check` validates saved
matrices against them, and `uefi-accept schema KIND` prints their JSON Schema.
JSON is written with sorted keys, indent 2 and a trailing newline, with no
timestamps: the same input gives the same bytes. Fields are only added within
a schema version; a rename or removal bumps it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from uefi_accept.model.outcome import Verdict
from uefi_accept.model.scenario import MAX_VCPUS, MIN_RAM, Layout, Loader, Platform

SCHEMA_VERSION = 1
# Bounds that keep every figure finite and every size within int64.
Bytes = Annotated[int, msgspec.Meta(ge=0, le=(1 << 63) - 1)]
Seconds = Annotated[float, msgspec.Meta(ge=0.0, le=1e12)]
Ratio = Annotated[float, msgspec.Meta(gt=1.0, le=1e6)]
Fraction = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]


class ScenarioDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    platform: Platform
    ram_bytes: Annotated[int, msgspec.Meta(ge=MIN_RAM, le=1 << 52)]
    vcpus: Annotated[int, msgspec.Meta(ge=1, le=MAX_VCPUS)]
    layout: Layout
    loader: Loader
    host_page_size: Literal[4096, 2097152]
    pre_accept: Annotated[int, msgspec.Meta(ge=1, le=1 << 52)] | None
    slow_ratio: Ratio
    degraded_fraction: Fraction


class EventDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    t_s: Seconds
    duration_s: Seconds
    bytes: Bytes
    step: str
    what: str


class CellDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One firmware x kernel combination: `run --format json`, and each matrix cell."""

    schema_version: int
    platform: Platform
    firmware: str
    kernel: str
    loader: Loader
    ram_bytes: Bytes
    vcpus: int
    verdict: Verdict
    reason: str
    boot_time_s: Seconds
    reference_boot_time_s: Seconds
    usable_bytes: Bytes
    accepted_bytes: Bytes
    unaccepted_bytes: Bytes
    lost_bytes: Bytes
    firmware_reserved_bytes: Bytes
    # Left out of matrix cells that `check` reports without their timeline.
    events: list[EventDoc] | msgspec.UnsetType = msgspec.UNSET


class ProfilesDoc(msgspec.Struct, forbid_unknown_fields=True):
    # Full profile content, or a bare built-in name that follows the built-in.
    firmware: list[dict[str, Any] | str]
    kernel: list[dict[str, Any] | str]


class MatrixDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`matrix --format json`: what `check` reads back as a golden file."""

    schema_version: int
    kind: str
    scenario: ScenarioDoc
    reference_boot_time_s: Seconds
    firmware: list[str]
    kernels: list[str]
    cells: list[CellDoc]
    profiles: ProfilesDoc


def to_data(doc: Any) -> Any:
    """Plain JSON data (unset optional fields left out, enums as strings)."""
    return msgspec.to_builtins(doc)


_ENCODER = msgspec.json.Encoder(order="sorted")


def dump_json(data: Any) -> str:
    """The contract's bytes: sorted keys, indent 2, trailing newline (msgspec's
    encoder: the standard library's indents in pure Python, 20x slower)."""
    return msgspec.json.format(_ENCODER.encode(data), indent=2).decode("utf-8") + "\n"
