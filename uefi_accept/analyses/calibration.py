"""Published measurements the cost model is calibrated on, and the model's figures.

Each row is recomputed through the same engine and cost model the matrix uses;
one cost model per platform must reproduce all of its rows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from uefi_accept.model.boot import simulate
from uefi_accept.model.cost import COST_MODELS, CostModel
from uefi_accept.model.profiles import (
    AcceptMemory,
    AcceptVcpus,
    FirmwareProfile,
    HandOver,
    KernelProfile,
    PageSize,
    PreAccept,
)
from uefi_accept.model.scenario import SMALL_PAGE, Platform, Scenario
from uefi_accept.model.verdict import LAZY_REFERENCE_KERNEL, lazy_reference_firmware
from uefi_accept.units import GiB

DEFAULT_TOLERANCE = 0.20


@dataclass(frozen=True)
class Measurement:
    name: str
    platform: str
    conditions: str
    source: str
    measured: float
    unit: str
    compute: Callable[[], float]
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class CalibrationRow:
    measurement: Measurement
    model: float

    @property
    def error(self) -> float:
        return (self.model - self.measurement.measured) / self.measurement.measured

    @property
    def ok(self) -> bool:
        return abs(self.error) <= self.measurement.tolerance


def _opt_in_firmware() -> FirmwareProfile:
    return FirmwareProfile(
        name="edk2-opt-in",
        description="SNP OVMF with the SEV memory acceptance protocol (edk2-stable202302+)",
        platforms=[Platform.SNP],
        pre_accept=PreAccept.BELOW_4G,
        handover=HandOver.OPT_IN,
    )


_EAGER = msgspec.structs.replace(LAZY_REFERENCE_KERNEL, accept_memory=AcceptMemory.EAGER)


def _boot(scenario: Scenario, fw: FirmwareProfile, kernel: KernelProfile) -> float:
    return float(simulate(scenario, fw, kernel).boot_time_s[0])


def _snp_128g(kernel: KernelProfile) -> float:
    return _boot(Scenario(platform=Platform.SNP, ram_bytes=128 * GiB), _opt_in_firmware(), kernel)


def _tdx_accept_90g(vcpus: int) -> float:
    return float(COST_MODELS[Platform.TDX].accept_seconds(90 * GiB, SMALL_PAGE, vcpus))


def _tdx_4g_ratio() -> float:
    s = Scenario(platform=Platform.TDX, ram_bytes=4 * GiB, vcpus=1)
    accept_all_4k = FirmwareProfile(
        name="tdvf-accept-all-4k",
        description="TDVF accepting all memory with 4 KiB accepts",
        platforms=[Platform.TDX],
        pre_accept=PreAccept.ALL,
        handover=HandOver.NEVER,
        accept_page_size=PageSize.SMALL,
        accept_vcpus=AcceptVcpus.BSP,  # TDVF accepted on the BSP only before edk2 commit 451521c
    )
    eager = _boot(s, accept_all_4k, LAZY_REFERENCE_KERNEL)
    lazy = _boot(s, lazy_reference_firmware(Platform.TDX), LAZY_REFERENCE_KERNEL)
    return eager / lazy


MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement(
        "SNP 128 GB guest, accept_memory=lazy",
        "snp",
        "128 GiB, 4 vCPUs, q35, OVMF with the opt-in protocol, Linux 6.5+ lazy, 2 MiB",
        "AMD, Ashish Kalra, LKML 2025-02-20",
        22.0,
        "s",
        lambda: _snp_128g(LAZY_REFERENCE_KERNEL),
    ),
    Measurement(
        "SNP 128 GB guest, accept_memory=eager",
        "snp",
        "as above, accept_memory=eager (kernel accepts all RAM on one vCPU)",
        "AMD, Ashish Kalra, LKML 2025-02-20",
        227.0,
        "s",
        lambda: _snp_128g(_EAGER),
    ),
    Measurement(
        "TDX accept 90 GiB with 4 KiB pages, 1 vCPU",
        "tdx",
        "90 GiB, 4 KiB accepts, 1 vCPU",
        "Intel, Kirill Shutemov, LKML 2024-10-25 ('about a minute')",
        60.0,
        "s",
        lambda: _tdx_accept_90g(1),
    ),
    Measurement(
        "TDX accept 90 GiB with 4 KiB pages, 4 vCPUs",
        "tdx",
        "90 GiB, 4 KiB accepts, 4 vCPUs",
        "Intel, Kirill Shutemov, LKML 2024-10-25 ('about 40 s')",
        40.0,
        "s",
        lambda: _tdx_accept_90g(4),
    ),
    Measurement(
        "TDX accept 90 GiB with 4 KiB pages, 8 vCPUs",
        "tdx",
        "90 GiB, 4 KiB accepts, 8 vCPUs",
        "Intel, Kirill Shutemov, LKML 2024-10-25 ('does not scale past 4 vCPUs')",
        40.0,
        "s",
        lambda: _tdx_accept_90g(8),
    ),
    Measurement(
        "TDX 4 GiB boot to shell, accept-all / lazy",
        "tdx",
        "4 GiB, 1 vCPU, q35; accept-all firmware with 4 KiB accepts vs below-4G "
        "pre-accept and lazy kernel (model's reading of the conditions)",
        "Intel, unaccepted memory cover letter v2..v14 ('~2.5x faster')",
        2.5,
        "x",
        _tdx_4g_ratio,
    ),
)


def calibrate(platform: str | None = None) -> list[CalibrationRow]:
    return [
        CalibrationRow(m, float(m.compute()))
        for m in MEASUREMENTS
        if platform is None or m.platform == platform
    ]


@dataclass(frozen=True)
class ValidationRow:
    """One measurement against the model, with the tolerance it is held to."""

    name: str
    platform: str
    conditions: str
    source: str
    unit: str
    measured: float
    model: float
    error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return abs(self.error) <= self.tolerance


@dataclass(frozen=True)
class Validation:
    rows: tuple[ValidationRow, ...]
    cost_models: dict[str, CostModel]

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.rows)


def validate(platform: str | None = None, tolerance: float | None = None) -> Validation:
    """`uefi-accept validate`: every measurement, each row's own tolerance unless one is given."""
    rows = []
    for row in calibrate(platform):
        m = row.measurement
        rows.append(
            ValidationRow(
                name=m.name,
                platform=m.platform,
                conditions=m.conditions,
                source=m.source,
                unit=m.unit,
                measured=m.measured,
                model=row.model,
                error=row.error,
                tolerance=m.tolerance if tolerance is None else tolerance,
            )
        )
    return Validation(tuple(rows), dict(COST_MODELS))
