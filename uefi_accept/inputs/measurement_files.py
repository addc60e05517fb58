"""Your own measurements for `uefi-accept validate --measurements FILE`.

A TOML file with one `[[measurement]]` table per row:

    [[measurement]]
    name = "256 GiB TD on our Emerald Rapids host"
    measured = 95.0              # seconds to userspace
    kind = "value"               # value (default) | at-least | at-most
    tolerance = 0.2              # relative; default 0.2
    source = "lab run 2026-11-20"
    platform = "tdx"
    firmware = "edk2-stable202302"   # a built-in name or a profile file
    kernel = "linux-6.12"            # a built-in name, linux-X.Y[.Z] or a file
    ram = "256G"
    vcpus = 32
    # optional: layout, loader, host_page_size ("4K"/"2M"), pre_accept,
    # accept_memory ("lazy"/"eager"), figure (default "boot_time_s", or a
    # timeline step such as "smp-init" for that step's duration)
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import msgspec

from uefi_accept.errors import InputError
from uefi_accept.inputs.files import read_toml
from uefi_accept.model.scenario import MAX_VCPUS, Layout, Loader, Platform
from uefi_accept.model.state import Step

MAX_MEASUREMENT_FILE_BYTES = 1 << 20


class MeasurementSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    measured: Annotated[float, msgspec.Meta(gt=0.0, le=1e9)]
    platform: Platform
    firmware: str
    kernel: str
    ram: str | int
    vcpus: Annotated[int, msgspec.Meta(ge=1, le=MAX_VCPUS)] = 4
    kind: Literal["value", "at-least", "at-most"] = "value"
    tolerance: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 0.2
    source: str = "user measurement"
    conditions: str = ""
    layout: Layout = Layout.Q35
    loader: Loader = Loader.EFI_STUB
    host_page_size: Literal["4K", "2M"] = "4K"
    pre_accept: str | int | None = None
    accept_memory: Literal["lazy", "eager"] | None = None
    figure: str = "boot_time_s"


class _File(msgspec.Struct, forbid_unknown_fields=True):
    measurement: list[MeasurementSpec]


def load_measurements(path: str) -> tuple[MeasurementSpec, ...]:
    data, source = read_toml(path, MAX_MEASUREMENT_FILE_BYTES)
    try:
        specs = msgspec.convert(data, _File).measurement
    except msgspec.ValidationError as exc:
        text = str(exc)
        msg, _, where = text.partition(" - at `$")
        raise InputError(msg, source=source, field=where.rstrip("`").lstrip(".") or None) from None
    steps = {str(s) for s in Step}
    for i, spec in enumerate(specs):
        if spec.figure != "boot_time_s" and spec.figure not in steps:
            raise InputError(
                f"not boot_time_s or a timeline step ({', '.join(sorted(steps))})",
                source=source,
                field=f"measurement[{i}].figure",
            )
        if not math.isfinite(spec.measured):
            raise InputError("not a finite number", source=source, field=f"measurement[{i}]")
    if not specs:
        raise InputError("no [[measurement]] tables", source=source)
    return tuple(specs)
