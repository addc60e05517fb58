"""Cost model: what each mechanism costs in seconds, one model per platform.

Every constant is a published measurement or follows from one (cited next to
it); `uefi_accept.analyses.calibration` recomputes each measurement through
the whole engine and `uefi-accept validate` shows the errors. Users can load
their own host's constants (`--cost-model FILE`). Pure arithmetic on floats or
numpy arrays.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from uefi_accept.units import GiB, MiB

LARGE_PAGE = 2 * MiB

PAGES_PER_GIB = GiB // 4096


def amdahl(vcpus: Any, serial: float, cap: int) -> Any:
    """Fraction of one-vCPU time left when work spreads over `vcpus` (at most `cap`)."""
    v = np.minimum(np.maximum(vcpus, 1), cap)
    out = serial + (1.0 - serial) / v
    return float(out) if np.ndim(out) == 0 else out


class CostModel(msgspec.Struct, frozen=True, kw_only=True):
    platform: str
    # Seconds to accept 1 GiB on one vCPU with 2 MiB and with 4 KiB accepts.
    # SNP: page-state change through the GHCB + PVALIDATE; TDX: TDG.MEM.PAGE.ACCEPT.
    accept_s_per_gib_2m: float
    accept_s_per_gib_4k: float
    # A host that backs private memory with 4 KiB pages makes a 2 MiB accept
    # fail: TDX then issues 512 4 KiB accepts, each a TD exit with an EPT
    # violation and TDH.MEM.PAGE.AUG (Dstack PR 1220). SNP keeps its one 2 MiB
    # page-state change and only PVALIDATE splits, with no extra exit; no
    # published figure separates the two for SNP, so it costs the same.
    host_4k_splits_accepts: bool
    # Linux accepting on several vCPUs (the page allocator's on-demand
    # acceptance): Amdahl's law, "does not scale past 4 vCPUs" (Kirill
    # Shutemov, LKML 2024-10-25).
    serial_fraction: float
    max_parallel_vcpus: int
    # Firmware accepting on all vCPUs (TDVF's multi-core accept, edk2 451521c):
    # chunks spread over every AP, as the non-Linux Asterinas TDX guest
    # measured (8 GiB: 25 / 12 / 9 s on 1 / 4 / 8 vCPUs, PR 3640): serial
    # fraction 0.28, no measurement past 8 vCPUs.
    firmware_serial_fraction: float
    firmware_max_parallel_vcpus: int
    # Each 4 KiB accept (a TD exit) costs this much more per online AP while
    # idle APs take the HZ=1000 tick, from SMP bring-up until high-resolution
    # timers stop it (clocksource_done_booting(), fs_initcall): 8 us early,
    # 153 us late in bring-up with about 166 APs ticking (1.66 M HLT exits per
    # 10 s) (Dstack PR 1220). TDX only.
    accept_tick_s_per_vcpu: float
    # Converting private memory to shared (the SWIOTLB buffer in
    # mem_encrypt_init()): per 4 KiB page, plus per vCPU that must leave the TD
    # for each removed page (KVM's tdx_track() kicks every vCPU). 1 GiB took
    # about 68 s with 248 vCPUs spinning inside the TD before SMP bring-up, and
    # about 6 s at fs_initcall_sync with the APs halted outside it (Dstack
    # patch 0010). TDX only.
    shared_convert_s_per_page: float
    shared_convert_s_per_page_per_vcpu: float
    # Bringing up one AP in smp_init(): 248 CPUs in about 2 s once the accept
    # storm is gone (Dstack patch 0009).
    ap_bringup_s: float
    # Time that does not depend on acceptance: firmware SEC..BDS, kernel entry to
    # shell, and per-GiB work that grows with RAM even when acceptance is lazy
    # (firmware HOB/GCD/page tables; kernel memmap init of struct pages).
    firmware_base_s: float
    firmware_s_per_gib: float
    kernel_base_s: float
    kernel_s_per_gib: float

    def parallel_factor(self, vcpus: Any) -> Any:
        """Linux's acceptance over `vcpus`: the fraction of one-vCPU time left."""
        return amdahl(vcpus, self.serial_fraction, self.max_parallel_vcpus)

    def firmware_parallel_factor(self, vcpus: Any) -> Any:
        return amdahl(vcpus, self.firmware_serial_fraction, self.firmware_max_parallel_vcpus)

    def effective_page(self, page_size: int, host_page_size: int) -> int:
        """The accept size that really happens: 4 KiB where the host splits."""
        if page_size < LARGE_PAGE or (host_page_size < LARGE_PAGE and self.host_4k_splits_accepts):
            return 4096
        return LARGE_PAGE

    def rate(self, page_size: int, host_page_size: int) -> float:
        """Seconds per GiB on one vCPU for accepts of `page_size` on this host."""
        if self.effective_page(page_size, host_page_size) < LARGE_PAGE:
            return self.accept_s_per_gib_4k
        return self.accept_s_per_gib_2m

    def accept_seconds(
        self, nbytes: Any, page_size: int, vcpus: Any = 1, host_page_size: int = LARGE_PAGE
    ) -> Any:
        """Seconds for Linux to accept `nbytes` with accepts of `page_size`."""
        return nbytes / GiB * self.rate(page_size, host_page_size) * self.parallel_factor(vcpus)

    def firmware_accept_seconds(
        self, nbytes: Any, page_size: int, vcpus: Any, host_page_size: int
    ) -> Any:
        """Seconds for the firmware to accept `nbytes` (vcpus 1: on the BSP alone)."""
        rate = self.rate(page_size, host_page_size)
        return nbytes / GiB * rate * self.firmware_parallel_factor(vcpus)

    def ticking_accept_seconds(self, pages: Any, online: Any) -> Any:
        """Seconds for `pages` 4 KiB accepts while `online` APs take the tick."""
        return pages * (
            self.accept_s_per_gib_4k / PAGES_PER_GIB + self.accept_tick_s_per_vcpu * online
        )

    def shared_convert_seconds(self, nbytes: Any, vcpus_inside: Any) -> Any:
        """Seconds to convert `nbytes` of private memory to shared while
        `vcpus_inside` vCPUs run inside the TD and must be kicked out per page."""
        pages = nbytes / 4096
        per_page = (
            self.shared_convert_s_per_page + self.shared_convert_s_per_page_per_vcpu * vcpus_inside
        )
        return pages * per_page


# SNP: eager minus lazy for a 128 GB guest is 205 s for ~124 GiB accepted by the
# kernel on one vCPU (Ashish Kalra, LKML 2025-02-20: 227 s vs 22 s), so about
# 1.65 s/GiB at 2 MiB; the rest of the 22 s lazy boot is base and per-GiB time.
# No published SNP 4 KiB figure: the 4K/2M ratio of the 2024 TDX figures is
# reused for 4 KiB page-state changes (firmware set to 4 KiB accepts; the
# decompressor's early path). The TDX mechanisms below (tick, conversion kicks)
# have no SNP measurement and cost nothing here.
SNP = CostModel(
    platform="snp",
    accept_s_per_gib_2m=1.65,
    accept_s_per_gib_4k=11.0,
    host_4k_splits_accepts=False,
    serial_fraction=5 / 9,
    max_parallel_vcpus=4,
    firmware_serial_fraction=0.28,
    firmware_max_parallel_vcpus=8,
    accept_tick_s_per_vcpu=0.0,
    shared_convert_s_per_page=0.0,
    shared_convert_s_per_page_per_vcpu=0.0,
    ap_bringup_s=2.0 / 248,
    firmware_base_s=2.0,
    firmware_s_per_gib=0.01,
    kernel_base_s=7.0,
    kernel_s_per_gib=0.04,
)

# TDX on a 2026 host with upstream KVM (private memory mapped at 4 KiB, pages
# added on first accept): a 4 KiB accept costs about 8 us with few vCPUs
# online (Dstack PR 1220, Granite Rapids), 2.1 s/GiB; kata-containers issue
# 13535 and Asterinas PR 3640 (8 GiB accepted and zeroed in 25 s on one vCPU)
# agree. Kirill Shutemov's 2024 figures (90 GiB at 4 KiB in 60 s) came from a
# host three times faster per page; their scaling over vCPUs is kept (see
# calibration). 2 MiB accepts (a host that backs with 2 MiB pages) cut the
# calls by 512, leaving the per-byte work (page clearing in the TDX module).
TDX = CostModel(
    platform="tdx",
    accept_s_per_gib_2m=0.1,
    accept_s_per_gib_4k=8e-6 * PAGES_PER_GIB,
    host_4k_splits_accepts=True,
    serial_fraction=5 / 9,
    max_parallel_vcpus=4,
    firmware_serial_fraction=0.28,
    firmware_max_parallel_vcpus=8,
    accept_tick_s_per_vcpu=(153e-6 - 8e-6) / 166,
    shared_convert_s_per_page=6.0 / PAGES_PER_GIB,
    shared_convert_s_per_page_per_vcpu=(68.0 - 6.0) / PAGES_PER_GIB / 248,
    ap_bringup_s=2.0 / 248,
    firmware_base_s=0.5,
    firmware_s_per_gib=0.005,
    kernel_base_s=1.0,
    kernel_s_per_gib=0.02,
)

COST_MODELS: dict[str, CostModel] = {"snp": SNP, "tdx": TDX}
