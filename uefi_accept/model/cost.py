"""Cost model: accepted bytes and RAM size to seconds, one model per platform.

Calibrated on the measurements in shared/DOMAIN.md; `uefi_accept.calibration`
lists each measurement with the model's figure and a test recomputes it.
Pure arithmetic on floats or numpy arrays, so sweeps can vectorise it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from uefi_accept.model.scenario import LARGE_PAGE
from uefi_accept.units import GiB


class CostModel(msgspec.Struct, frozen=True):
    platform: str
    # Seconds to accept 1 GiB on one vCPU with 2 MiB and with 4 KiB accepts.
    # SNP: page-state change through the GHCB + PVALIDATE; TDX: TDG.MEM.PAGE.ACCEPT.
    accept_s_per_gib_2m: float
    accept_s_per_gib_4k: float
    # Amdahl's law over vCPUs, capped: acceptance "does not scale past 4 vCPUs"
    # (Kirill Shutemov, LKML 2024-10-25).
    serial_fraction: float
    max_parallel_vcpus: int
    # Time that does not depend on acceptance: firmware SEC..BDS, kernel entry to
    # shell, and per-GiB work that grows with RAM even when acceptance is lazy
    # (firmware HOB/GCD/page tables; kernel memmap init of struct pages).
    firmware_base_s: float
    firmware_s_per_gib: float
    kernel_base_s: float
    kernel_s_per_gib: float

    def parallel_factor(self, vcpus: Any) -> Any:
        """Fraction of one-vCPU time left when acceptance spreads over `vcpus`."""
        import numpy as np

        v = np.minimum(np.maximum(vcpus, 1), self.max_parallel_vcpus)
        out = self.serial_fraction + (1.0 - self.serial_fraction) / v
        return float(out) if np.ndim(out) == 0 else out

    def accept_seconds(self, nbytes: Any, page_size: int, vcpus: Any = 1) -> Any:
        """Seconds to accept `nbytes` with accepts of `page_size` over `vcpus`.

        A 2 MiB accept on memory the host backs with 4 KiB pages falls back to
        512 4 KiB accepts (SNP: PVALIDATE size mismatch; TDX: 2M accept fails),
        so callers pass the effective (smaller) page size.
        """
        rate = self.accept_s_per_gib_2m if page_size >= LARGE_PAGE else self.accept_s_per_gib_4k
        return nbytes / GiB * rate * self.parallel_factor(vcpus)


# SNP: eager minus lazy for a 128 GB guest is 205 s for ~124 GiB accepted by the
# kernel on one vCPU (Ashish Kalra, LKML 2025-02-20: 227 s vs 22 s), so about
# 1.65 s/GiB at 2 MiB; the rest of the 22 s lazy boot is base and per-GiB time.
# No published SNP 4 KiB figure: the TDX 4K/2M ratio is reused (see calibration).
SNP = CostModel(
    platform="snp",
    accept_s_per_gib_2m=1.65,
    accept_s_per_gib_4k=11.0,
    serial_fraction=5 / 9,
    max_parallel_vcpus=4,
    firmware_base_s=2.0,
    firmware_s_per_gib=0.01,
    kernel_base_s=7.0,
    kernel_s_per_gib=0.04,
)

# TDX: 90 GiB at 4 KiB takes ~60 s on 1 vCPU and ~40 s on 4 (Kirill Shutemov,
# LKML 2024-10-25): 0.667 s/GiB and a serial fraction of 5/9. 2 MiB accepts cut
# the calls by 512, leaving the per-byte work (page clearing in the TDX module).
TDX = CostModel(
    platform="tdx",
    accept_s_per_gib_2m=0.1,
    accept_s_per_gib_4k=60.0 / 90.0,
    serial_fraction=5 / 9,
    max_parallel_vcpus=4,
    firmware_base_s=0.5,
    firmware_s_per_gib=0.005,
    kernel_base_s=1.0,
    kernel_s_per_gib=0.02,
)

COST_MODELS: dict[str, CostModel] = {"snp": SNP, "tdx": TDX}
