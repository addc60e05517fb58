"""Verdicts: crash, oom, degraded, slow or fast, for every point of a batch,
against the same VM booted the best way it can be (the reference)."""

from __future__ import annotations

import msgspec
import numpy as np

from uefi_accept.model.boot import Boots, simulate
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.profiles import (
    AcceptMemory,
    AcceptVcpus,
    FirmwareProfile,
    HandOver,
    KernelProfile,
    PreAccept,
    SwiotlbConversion,
)
from uefi_accept.model.scenario import Batch, Loader, Platform
from uefi_accept.model.state import Array

# "The best the VM can do": firmware that pre-accepts below 4 GiB (on all vCPUs
# where it can) and hands the rest over, a kernel that accepts lazily through
# the EFI stub with every known fix: no accept storm (Dstack patch 0009), the
# SWIOTLB buffer converted after SMP bring-up (patch 0010), the table fix.
LAZY_REFERENCE_KERNEL = KernelProfile(
    name="lazy-reference",
    description="Linux with unaccepted memory, accept_memory=lazy and every known fix",
    unaccepted_memory=True,
    calls_protocol=True,
    accept_memory=AcceptMemory.LAZY,
    platforms=[Platform.SNP, Platform.TDX],
    swiotlb_conversion=SwiotlbConversion.DEFERRED,
)
REFERENCE = (
    "the same VM and host with lazy acceptance: firmware that accepts RAM below "
    "4 GiB (on every vCPU on TDX) and a kernel with every known fix (no accept "
    "storm, SWIOTLB converted after SMP bring-up)"
)


def lazy_reference_firmware(platform: Platform) -> FirmwareProfile:
    return FirmwareProfile(
        name="lazy-reference",
        description="pre-accepts RAM below 4 GiB, hands the rest over as type 15",
        platforms=[platform],
        pre_accept=PreAccept.BELOW_4G,
        handover=HandOver.ALWAYS,
        # SNP PEI validates on the BSP; TDX SEC spreads over all vCPUs.
        accept_vcpus=AcceptVcpus.ALL if platform == Platform.TDX else AcceptVcpus.BSP,
    )


def reference_batch(batch: Batch) -> Batch:
    """The same VMs booted through the EFI stub, with the firmware's own pre-acceptance."""
    base = msgspec.structs.replace(
        batch.base, loader=Loader.EFI_STUB, pre_accept=None, deadline_s=None
    )
    return Batch(base, batch.ram_bytes, batch.vcpus, np.zeros_like(batch.pre_accept))


def reference_boot_times(batch: Batch) -> Array:
    """Boot time of each point's VM with lazy acceptance: the yardstick for `slow`."""
    ref = reference_batch(batch)
    boots = simulate(ref, lazy_reference_firmware(batch.platform), LAZY_REFERENCE_KERNEL)
    return boots.boot_time_s


def verdict_codes(boots: Boots, reference_s: Array | float) -> Array:
    """Each point's verdict, as an index into VERDICTS (= Verdict.rank)."""
    base = boots.batch.base
    v = np.full(len(boots), Verdict.FAST.rank, dtype=np.int8)
    v[boots.boot_time_s / reference_s >= base.slow_ratio] = Verdict.SLOW.rank
    v[boots.usable_bytes < base.degraded_fraction * boots.ram_bytes] = Verdict.DEGRADED.rank
    if base.deadline_s is not None:
        v[boots.boot_time_s > base.deadline_s] = Verdict.TIMEOUT.rank
    v[boots.oom] = Verdict.OOM.rank
    v[boots.crashed] = Verdict.CRASH.rank
    return v
