"""The state of a batch of boots while the steps run.

Every figure is an array with one entry per point (or a `Ranges` with one set
per point). Points stop at a crash or an out-of-memory; the helpers here keep
stopped points unchanged, so each step reads like the one boot it models.
Steps record figures, never sentences: `timeline` writes those.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec
import numpy as np

from uefi_accept.model.cost import CostModel
from uefi_accept.model.memmap import MemoryMap
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile
from uefi_accept.model.ranges import Ranges
from uefi_accept.model.scenario import LARGE_PAGE, Batch

Array = np.ndarray


class Step(enum.StrEnum):
    """The steps of a boot, named after the firmware or kernel code they model."""

    VMM_LAYOUT = "vmm-layout"
    FIRMWARE_INIT = "firmware-init"
    FIRMWARE_PRE_ACCEPT = "firmware-pre-accept"
    EFI_MEMORY_MAP = "efi-memory-map"
    ALLOW_UNACCEPTED_MEMORY = "allow-unaccepted-memory"
    EXIT_BOOT_SERVICES = "exit-boot-services"
    SETUP_E820 = "setup-e820"
    DECOMPRESSOR = "decompressor"
    MEMBLOCK_ALLOC = "memblock-alloc"
    MEMBLOCK_FREE_ALL = "memblock-free-all"
    MEM_ENCRYPT_INIT = "mem-encrypt-init"
    SMP_INIT = "smp-init"
    INITCALLS = "initcalls"
    KERNEL_INIT = "kernel-init"
    USERSPACE = "userspace"


class Crash(enum.IntEnum):
    """Why a point stopped with a crash."""

    NONE = 0
    NO_STUB = 1  # an EFI-stub boot of a kernel built without CONFIG_EFI_STUB
    NO_PLATFORM = 2  # the kernel lacks SNP or TDX guest support
    NO_ROOM = 3  # no usable RAM at LOAD_PHYSICAL_ADDR
    TOUCH = 4  # touched memory that was never accepted (#VC / #VE)
    ACCEPTED_TWICE = 5
    TABLE_FAULT = 6  # accept_memory() read the unaccepted table's unmapped tail
    HOTPLUG_DEADLOCK = 7  # the last unaccepted page accepted under cpu_hotplug_lock


class LostCause(enum.StrEnum):
    """Why type 15 memory never reaches the kernel's allocator."""

    STUB = "stub"  # setup_e820() of a kernel without support: default: continue
    GRUB = "grub"  # GRUB's "Unknown memory type 15, considering reserved"


class StepRecord(msgspec.Struct, frozen=True):
    """What one step did at every point: the figures its sentence is made of."""

    step: Step
    reached: Array  # bool: the point ran this step
    t_s: Array  # when the step began
    duration_s: Array
    nbytes: Array
    stopped: Array  # bool: the point stopped (crash or OOM) in this step
    facts: dict[str, Any]  # scalars, or arrays with one value per point

    def fact(self, name: str, i: int) -> Any:
        value = self.facts[name]
        return value[i] if isinstance(value, np.ndarray) else value


class Boot:
    """Mutable state of a batch of boots of one firmware x kernel combination."""

    def __init__(
        self, batch: Batch, fw: FirmwareProfile, kernel: KernelProfile, cost: CostModel
    ) -> None:
        self.batch, self.fw, self.kernel, self.cost = batch, fw, kernel, cost
        n = batch.n
        zeros = np.zeros(n, dtype=np.int64)
        self.t = np.zeros(n)
        self.alive = np.ones(n, dtype=bool)
        self.records: list[StepRecord] = []
        self.ram = Ranges.empty(n)
        self.fw_reserved = Ranges.empty(n)
        # Ground truth: memory that has never been accepted.
        self.unaccepted = Ranges.empty(n)
        self.efi_map = MemoryMap(n, {})
        # The map a boot loader read before calling ExitBootServices (GRUB
        # builds its e820 from it and never again, even when the call is retried).
        self.loader_map = self.efi_map
        self.allowed = False  # AllowUnacceptedMemory() was called
        self.usable = Ranges.empty(n)  # e820 RAM as the kernel sees it
        self.lost = Ranges.empty(n)
        self.lost_cause: LostCause | None = None
        # Unaccepted memory the kernel takes for accepted RAM (no bitmap entry).
        self.untracked = Ranges.empty(n)
        # The unaccepted bitmap's set units, as ranges; None: the kernel keeps none.
        self.bitmap: Ranges | None = None
        # Memory whose bitmap bits lie in a page the kernel left unmapped
        # (reserve_unaccepted()'s bug): reading them faults.
        self.table_unmapped = Ranges.empty(n)
        # What the firmware accepted before hand-over (its own area included).
        self.fw_accepted_ranges = Ranges.empty(n)
        # What the kernel keeps for itself (image, memblock), in bytes, and the
        # usable memory it has not kept.
        self.kernel_reserved = np.zeros(n, dtype=np.int64)
        self.free_ranges = Ranges.empty(n)
        self.fw_accepted = zeros
        self.ebs_accepted = zeros
        self.kernel_accepted = zeros
        self.eager_accepted = zeros
        self.free = zeros
        self.crash = np.zeros(n, dtype=np.int8)
        self.crash_addr = zeros
        self.oom = np.zeros(n, dtype=bool)
        self._stopping = np.zeros(n, dtype=bool)

    @property
    def n(self) -> int:
        return self.batch.n

    @property
    def host_page(self) -> int:
        return self.batch.base.host_page_size

    def kernel_accept_seconds(self, nbytes: Any, vcpus: Any = 1) -> Any:
        """Linux's own accepts: 2 MiB where aligned (SNP 2 MiB page-state
        changes; TDX tries 1G, 2M, 4K), 4 KiB accepts where the host splits them."""
        return self.cost.accept_seconds(nbytes, LARGE_PAGE, vcpus, self.host_page)

    def live(self, values: Any) -> Array:
        """`values` at running points, 0 at stopped ones."""
        return np.where(self.alive, values, 0)

    def event(self, step: Step, duration: Any = 0.0, nbytes: Any = 0, **facts: Any) -> StepRecord:
        """Record the step at every running point (and at points that stopped in
        it, with no time or bytes), and advance the clock."""
        n = self.n
        reached = self.alive | self._stopping
        duration = np.broadcast_to(self.live(np.asarray(duration, dtype=float)), (n,)).copy()
        nbytes = np.broadcast_to(self.live(np.asarray(nbytes, dtype=np.int64)), (n,)).copy()
        rec = StepRecord(step, reached, self.t.copy(), duration, nbytes, self._stopping, facts)
        self.records.append(rec)
        self.t = self.t + duration
        self._stopping = np.zeros(n, dtype=bool)
        return rec

    def stop_crash(self, where: Any, kind: Crash, addr: Any = 0) -> None:
        where = self.alive & np.asarray(where, dtype=bool)
        self.crash = np.where(where, np.int8(kind), self.crash).astype(np.int8)
        self.crash_addr = np.where(where, addr, self.crash_addr)
        self.alive = self.alive & ~where
        self._stopping = self._stopping | where

    def stop_oom(self, where: Array) -> None:
        where = self.alive & where
        self.oom = self.oom | where
        self.alive = self.alive & ~where
        self._stopping = self._stopping | where

    def accept(self, ranges: Ranges) -> Array:
        """Accept `ranges` at running points; accepting a page twice is fatal in
        Linux (TDX: "Failed to accept memory"; SNP: PVALIDATE NOUPDATE)."""
        ranges = ranges.only(self.alive)
        if ranges.none:
            return np.zeros(self.n, dtype=np.int64)
        left = self.unaccepted - ranges
        total = ranges.total
        twice = self.unaccepted.total - left.total != total
        if twice.any():
            _, addr = ranges.first_overlapping(ranges - self.unaccepted)
            self.stop_crash(twice, Crash.ACCEPTED_TWICE, addr)
        self.unaccepted = left
        return total

    def touch(self, ranges: Ranges) -> None:
        """The guest touches `ranges`: fatal where any of it was never accepted."""
        hit, addr = ranges.only(self.alive).first_overlapping(self.unaccepted)
        self.stop_crash(hit, Crash.TOUCH, addr)

    def reserve(self, ranges: Ranges) -> None:
        """The kernel keeps `ranges` for itself (image, memblock allocations)."""
        ranges = ranges.only(self.alive)
        self.kernel_reserved = self.kernel_reserved + ranges.total  # taken from free memory
        self.free_ranges = self.free_ranges - ranges
