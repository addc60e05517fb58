"""Published measurements the cost model is calibrated on, and the model's figures.

Each row is recomputed through the same engine and cost model the matrix uses;
one cost model per platform must reproduce all of its rows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from uefi_accept.cost import COST_MODELS, SMALL_PAGE
from uefi_accept.engine import Scenario, simulate
from uefi_accept.profiles import FirmwareProfile, KernelProfile
from uefi_accept.units import GiB
from uefi_accept.verdict import LAZY_REFERENCE_KERNEL, lazy_reference_firmware

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
        platforms=["snp"],
        pre_accept="below-4g",
        handover="opt-in",
    )


_EAGER = msgspec.structs.replace(LAZY_REFERENCE_KERNEL, accept_memory="eager")


def _boot(scenario: Scenario, fw: FirmwareProfile, kernel: KernelProfile) -> float:
    return simulate(scenario, fw, kernel).boot_time_s


def _snp_128g(kernel: KernelProfile) -> float:
    return _boot(Scenario(platform="snp", ram_bytes=128 * GiB), _opt_in_firmware(), kernel)


def _tdx_accept_90g(vcpus: int) -> float:
    return COST_MODELS["tdx"].accept_seconds(90 * GiB, SMALL_PAGE, vcpus)


def _tdx_4g_ratio() -> float:
    s = Scenario(platform="tdx", ram_bytes=4 * GiB, vcpus=1)
    accept_all_4k = FirmwareProfile(
        name="tdvf-accept-all-4k",
        description="TDVF accepting all memory with 4 KiB accepts",
        platforms=["tdx"],
        pre_accept="all",
        handover="never",
        accept_page_size="4K",
        accept_vcpus="bsp",  # TDVF accepted on the BSP only before edk2 commit 451521c
    )
    eager = _boot(s, accept_all_4k, LAZY_REFERENCE_KERNEL)
    lazy = _boot(s, lazy_reference_firmware("tdx"), LAZY_REFERENCE_KERNEL)
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
