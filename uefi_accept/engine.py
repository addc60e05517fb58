"""The engine: one boot of one firmware x kernel combination, step by step.

Each step is named after the mechanism it models (edk2 and Linux names) and
appends a timeline event. Pure: no printing, no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from uefi_accept.cost import COST_MODELS, LARGE_PAGE, SMALL_PAGE, CostModel
from uefi_accept.memmap import RAM_TYPES, EfiMemoryType, MemoryDescriptor
from uefi_accept.profiles import PAGE_BYTES, FirmwareProfile, KernelProfile
from uefi_accept.ranges import (
    MAX_ORDER_BYTES,
    UNIT,
    RangeSet,
    UnacceptedBitmap,
    round_down,
    round_up,
)
from uefi_accept.units import GiB, MiB, format_size

SCHEMA_VERSION = 1
# The bitmap holds one byte per 2 MiB unit: 64 TiB is 32 MiB of it.
MAX_RAM = 64 * 1024 * GiB
FOUR_GIB = 4 * GiB
# q35: with RAM >= 2816 MiB, 2 GiB go below 4 GiB (QEMU hw/i386/pc_q35.c).
Q35_SPLIT_THRESHOLD = 2816 * MiB
# Runtime services data, ACPI tables and NVS kept by OVMF at the top of low RAM.
FIRMWARE_RUNTIME_BYTES = 4 * MiB
# LOAD_PHYSICAL_ADDR: where the decompressor puts the kernel (KASLR off).
LOAD_PHYSICAL_ADDR = 16 * MiB
# memblock: struct page is 64 bytes per 4 KiB page; direct-map page tables
# take about one 4 KiB page per GiB with 2 MiB mappings.
STRUCT_PAGE_PER_PAGE = 64
PAGE_TABLE_PER_GIB = 4096


# What the engine says, shared with the vectorised sweep so both say the same.
LOST_CAUSE_STUB = (
    "its kernel does not support unaccepted memory, so setup_e820() leaves type 15 out of e820"
)
LOST_CAUSE_GRUB = "GRUB marks the unknown memory type 15 reserved"
CRASH_NO_STUB = "the kernel has no EFI stub (CONFIG_EFI_STUB), so firmware cannot start it"
CRASH_NO_ROOM = "no usable RAM at LOAD_PHYSICAL_ADDR for the kernel image"
TOUCH_DECOMPRESSOR = "decompressor"
TOUCH_MEMBLOCK = "memblock allocation"
TOUCH_USERSPACE = "the first use of type 15 memory that old GRUB called available"


def crash_no_platform(platform: str) -> str:
    opt = "CONFIG_AMD_MEM_ENCRYPT" if platform == "snp" else "CONFIG_INTEL_TDX_GUEST"
    return f"the kernel has no {platform.upper()} guest support ({opt}) and dies at entry"


def crash_touch(what: str, addr: int, platform: str) -> str:
    """Touching never-accepted memory: #VC on SNP, #VE on TDX, no recovery."""
    exc = "VC" if platform == "snp" else "VE"
    return f"{what} at 0x{addr:x} touched memory that was never accepted (#{exc}, fatal)"


class Verdict(enum.StrEnum):
    FAST = "fast"
    SLOW = "slow"
    DEGRADED = "degraded"
    OOM = "oom"
    CRASH = "crash"

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)


class Layout(enum.StrEnum):
    Q35 = "q35"  # QEMU q35: 2 GiB below 4 GiB once RAM >= 2816 MiB
    LOW_3G = "low-3g"  # other VMMs: up to 3 GiB below 4 GiB


class Loader(enum.StrEnum):
    EFI_STUB = "efi-stub"
    GRUB = "grub"  # builds e820 itself; unknown types become reserved
    GRUB_LEGACY = "grub-legacy"  # old builds: unknown types fall through to available


@dataclass(frozen=True)
class Scenario:
    platform: str = "snp"
    ram_bytes: int = 64 * GiB
    vcpus: int = 4
    layout: Layout = Layout.Q35
    loader: Loader = Loader.EFI_STUB
    # Page size the host backs private memory with; 4K turns each 2M accept into 512.
    host_page_size: int = LARGE_PAGE
    # Overrides the firmware's pre-accepted size when it hands memory over unaccepted.
    pre_accept: int | None = None
    slow_ratio: float = 1.5
    degraded_fraction: float = 0.9

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["layout"], d["loader"] = str(self.layout), str(self.loader)
        return d


@dataclass(frozen=True)
class Event:
    t_s: float
    duration_s: float
    bytes: int
    step: str
    what: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_s": round(self.t_s, 6),
            "duration_s": round(self.duration_s, 6),
            "bytes": self.bytes,
            "step": self.step,
            "what": self.what,
        }


@dataclass(frozen=True)
class BootOutcome:
    """What one boot did, before a verdict is given."""

    ram_bytes: int
    boot_time_s: float
    usable_bytes: int
    accepted_bytes: int
    unaccepted_bytes: int
    lost_bytes: int
    firmware_reserved_bytes: int
    kernel_reserved_bytes: int
    free_bytes: int
    firmware_accepted_bytes: int
    ebs_accepted_bytes: int
    kernel_accepted_bytes: int
    eager_accepted_bytes: int
    lost_cause: str | None
    crash: str | None
    oom: bool
    handover_map: tuple[MemoryDescriptor, ...]
    events: tuple[Event, ...]


@dataclass
class _Boot:
    """Mutable state of one simulated boot."""

    scenario: Scenario
    fw: FirmwareProfile
    kernel: KernelProfile
    cost: CostModel
    t: float = 0.0
    events: list[Event] = field(default_factory=list)
    ram: RangeSet = field(default_factory=RangeSet)
    fw_reserved: RangeSet = field(default_factory=RangeSet)
    # Ground truth: memory that has never been accepted.
    unaccepted: RangeSet = field(default_factory=RangeSet)
    efi_map: list[MemoryDescriptor] = field(default_factory=list)
    allowed: bool = False
    usable: RangeSet = field(default_factory=RangeSet)  # e820 RAM as the kernel sees it
    lost: RangeSet = field(default_factory=RangeSet)
    # Unaccepted memory the kernel takes for accepted RAM (no bitmap entry).
    untracked: RangeSet = field(default_factory=RangeSet)
    bitmap: UnacceptedBitmap | None = None
    kernel_reserved: RangeSet = field(default_factory=RangeSet)
    fw_accepted: int = 0
    ebs_accepted: int = 0
    kernel_accepted: int = 0
    eager_accepted: int = 0
    lost_cause: str | None = None
    crash: str | None = None
    oom: bool = False
    free: int = 0

    def event(self, step: str, what: str, duration: float = 0.0, nbytes: int = 0) -> None:
        self.events.append(Event(self.t, float(duration), int(nbytes), step, what))
        self.t += float(duration)

    def touch(self, ranges: RangeSet, what: str) -> bool:
        """The guest touches `ranges`: fatal if any of it was never accepted."""
        for s, e in ranges:
            if self.unaccepted.overlap(s, e):
                self.crash = crash_touch(what, s, self.scenario.platform)
                return False
        return True

    def accept(self, ranges: RangeSet) -> int:
        """Accept ranges; accepting a page twice is fatal in Linux."""
        total = 0
        for s, e in ranges:
            if self.unaccepted.overlap(s, e) != e - s:
                self.crash = f"memory at 0x{s:x} was accepted twice (fatal)"
            total += self.unaccepted.remove(s, e)
        return total

    @property
    def kernel_page(self) -> int:
        # SNP 2 MiB page-state changes, TDX 1G/2M/4K tries: 2 MiB unless the
        # host backs with 4 KiB pages.
        return min(LARGE_PAGE, self.scenario.host_page_size)


def vmm_layout_ram(boot: _Boot) -> None:
    s = boot.scenario
    low_cap = 2 * GiB if s.layout == Layout.Q35 else 3 * GiB
    threshold = Q35_SPLIT_THRESHOLD if s.layout == Layout.Q35 else 3 * GiB
    low = s.ram_bytes if s.ram_bytes < threshold else min(s.ram_bytes, low_cap)
    boot.ram.add(0, low)
    high = s.ram_bytes - low
    if high:
        boot.ram.add(FOUR_GIB, FOUR_GIB + high)
        what = f"{format_size(low)} below 4 GiB, {format_size(high)} from 4 GiB ({s.layout})"
    else:
        what = f"all {format_size(low)} below 4 GiB ({s.layout})"
    boot.event("vmm-layout", f"VMM lays out RAM: {what}", nbytes=s.ram_bytes)
    # OVMF keeps runtime data, ACPI tables and NVS at the top of low RAM.
    boot.fw_reserved.add(low - FIRMWARE_RUNTIME_BYTES, low)


def firmware_init(boot: _Boot) -> None:
    cost = boot.cost
    boot.event(
        "firmware-init",
        f"{boot.fw.name} firmware SEC/PEI/DXE work ({cost.firmware_s_per_gib:g} s/GiB of RAM)",
        cost.firmware_base_s + cost.firmware_s_per_gib * boot.ram.total / GiB,
    )


def firmware_pre_accept(boot: _Boot) -> None:
    s, fw = boot.scenario, boot.fw
    size = s.pre_accept if (s.pre_accept is not None and fw.handover != "never") else None
    size = size if size is not None else fw.pre_accept_bytes()
    if fw.pre_accept == "all" and size is None:
        target, how = boot.ram.copy(), "all RAM"
    elif size is None:  # below-4g
        target, how = boot.ram.intersect(0, FOUR_GIB), "RAM below 4 GiB"
    else:
        target, how = RangeSet(), f"the first {format_size(size)} of RAM"
        left = size
        for a, b in boot.ram:
            take = min(left, b - a)
            target.add(a, a + take)
            left -= take
    for a, b in boot.fw_reserved:  # firmware accepts what it keeps for itself
        target.add(a, b)
    boot.unaccepted = boot.ram.difference(target)
    _charge_firmware_acceptance(boot, target.total, how)


def _charge_firmware_acceptance(boot: _Boot, nbytes: int, how: str) -> None:
    s, fw = boot.scenario, boot.fw
    page = min(PAGE_BYTES[fw.accept_page_size], s.host_page_size)
    vcpus = s.vcpus if fw.accept_vcpus == "all" else 1
    boot.fw_accepted = nbytes
    boot.event(
        "firmware-pre-accept",
        f"firmware accepts {how} ({format_size(nbytes)}) with {_page_name(page)} accepts "
        f"on {vcpus} vCPU{'s' if vcpus > 1 else ''}",
        boot.cost.accept_seconds(nbytes, page, vcpus),
        nbytes,
    )


def build_efi_memory_map(boot: _Boot) -> None:
    """CoreGetMemoryMap: accepted RAM as conventional memory, unaccepted GCD
    ranges as EfiUnacceptedMemoryType (MdeModulePkg/Core/Dxe/Mem/Page.c)."""
    descs: list[MemoryDescriptor] = []
    for a, b in boot.ram:
        cuts = sorted({a, b, *_edges(boot.fw_reserved, a, b), *_edges(boot.unaccepted, a, b)})
        for lo, hi in zip(cuts, cuts[1:], strict=False):
            if boot.fw_reserved.overlap(lo, hi):
                descs.extend(_runtime_descriptors(lo, hi))
            elif boot.unaccepted.overlap(lo, hi):
                descs.append(MemoryDescriptor(lo, hi, EfiMemoryType.UNACCEPTED))
            else:
                descs.append(MemoryDescriptor(lo, hi, EfiMemoryType.CONVENTIONAL))
    boot.efi_map = _coalesce(descs)
    _describe_map(boot, "firmware builds the EFI memory map")


def _describe_map(boot: _Boot, prefix: str) -> None:
    t15 = sum(d.size for d in boot.efi_map if d.type == EfiMemoryType.UNACCEPTED)
    boot.event(
        "efi-memory-map",
        f"{prefix}: {len(boot.efi_map)} descriptors, {format_size(t15)} as type 15 "
        "(EfiUnacceptedMemoryType)",
        nbytes=t15,
    )


def load_handover_map(boot: _Boot, descs: tuple[MemoryDescriptor, ...]) -> None:
    """Use a real map (from a boot log) as the firmware's hand-over map."""
    for d in descs:
        if d.type in RAM_TYPES or d.type == EfiMemoryType.UNACCEPTED:
            boot.ram.add(d.start, d.end)
        elif d.type in _FW_RESERVED_TYPES:
            boot.ram.add(d.start, d.end)
            boot.fw_reserved.add(d.start, d.end)
        if d.type == EfiMemoryType.UNACCEPTED:
            boot.unaccepted.add(d.start, d.end)
    boot.efi_map = list(descs)
    boot.event(
        "vmm-layout",
        f"RAM from the given memory map: {format_size(boot.ram.total)}; the map is the one "
        "the kernel printed, so it already shows the firmware's own acceptance",
        nbytes=boot.ram.total,
    )
    firmware_init(boot)
    _charge_firmware_acceptance(
        boot, boot.ram.total - boot.unaccepted.total, "all RAM the map does not show as type 15"
    )
    _describe_map(boot, "hand-over map from the log")


def handover_ram_bytes(descs: tuple[MemoryDescriptor, ...]) -> int:
    """RAM in a hand-over map: what load_handover_map counts as RAM."""
    ram = RangeSet()
    for d in descs:
        if (
            d.type in RAM_TYPES
            or d.type in _FW_RESERVED_TYPES
            or d.type == EfiMemoryType.UNACCEPTED
        ):
            ram.add(d.start, d.end)
    return ram.total


def allow_unaccepted_memory(boot: _Boot) -> None:
    """The EFI stub's setup_unaccepted_memory() (libstub/x86-stub.c)."""
    s, fw, k = boot.scenario, boot.fw, boot.kernel
    if s.loader != Loader.EFI_STUB or not k.efi_stub:
        what = f"{s.loader} boots the kernel without the EFI stub: no AllowUnacceptedMemory() call"
    elif not k.unaccepted_memory:
        what = "kernel has no unaccepted memory support: the stub does not look for the protocol"
    elif not k.calls_protocol:
        what = "the stub no longer calls the SEV memory acceptance protocol"
    elif s.platform != "snp":
        what = "no SEV memory acceptance protocol on TDX: the stub continues silently"
    elif fw.handover != "opt-in":
        what = "firmware has no SEV memory acceptance protocol: the stub continues silently"
    else:
        boot.allowed = True
        what = "EFI stub calls AllowUnacceptedMemory(): firmware keeps type 15 in the map"
    boot.event("allow-unaccepted-memory", what)


def exit_boot_services(boot: _Boot) -> None:
    """AmdSevDxe's BeforeExitBootServices callback accepts everything unless the
    loader opted in; it changes the map, so the first call fails and the loader
    re-reads the map and retries (Linux's efi_exit_boot_services() once on
    EFI_INVALID_PARAMETER; GRUB's grub_efi_finish_boot_services() loops)."""
    s, fw = boot.scenario, boot.fw
    pending = boot.unaccepted.total
    if fw.handover == "opt-in" and not boot.allowed and pending:
        page = min(PAGE_BYTES[fw.accept_page_size], s.host_page_size)
        vcpus = s.vcpus if fw.accept_vcpus == "all" else 1
        boot.accept(boot.unaccepted.copy())
        boot.ebs_accepted = pending
        boot.efi_map = _coalesce(
            [
                replace(d, type=EfiMemoryType.CONVENTIONAL)
                if d.type == EfiMemoryType.UNACCEPTED
                else d
                for d in boot.efi_map
            ]
        )
        boot.event(
            "exit-boot-services",
            f"nobody called AllowUnacceptedMemory(): firmware accepts all "
            f"{format_size(pending)} of type 15 at ExitBootServices on {vcpus} vCPU"
            f"{'s' if vcpus > 1 else ''}; the map changed, so the first ExitBootServices "
            "fails and the loader retries",
            boot.cost.accept_seconds(pending, page, vcpus),
            pending,
        )
    else:
        boot.event("exit-boot-services", "ExitBootServices succeeds on the first call")


def setup_e820(boot: _Boot) -> None:
    """Turn the EFI map into e820 (libstub/x86-stub.c setup_e820, or the loader's
    own conversion) and record type 15 in the unaccepted bitmap."""
    s, k = boot.scenario, boot.kernel
    stub = s.loader == Loader.EFI_STUB and k.efi_stub
    bitmap_ranges: list[tuple[int, int]] = []
    immediate = RangeSet()
    for d in boot.efi_map:
        if d.type in RAM_TYPES:
            boot.usable.add(d.start, d.end)
        elif d.type != EfiMemoryType.UNACCEPTED:
            continue
        elif stub and k.unaccepted_memory:
            boot.usable.add(d.start, d.end)
            # process_unaccepted_memory(): unaligned head and tail, and ranges
            # shorter than two units, are accepted now and never recorded.
            if d.size < 2 * UNIT:
                immediate.add(d.start, d.end)
                continue
            head, tail = round_up(d.start, UNIT), round_down(d.end, UNIT)
            immediate.add(d.start, head)
            immediate.add(tail, d.end)
            bitmap_ranges.append((head, tail))
        elif stub:
            boot.lost.add(d.start, d.end)
            boot.lost_cause = LOST_CAUSE_STUB
        elif s.loader == Loader.GRUB:
            boot.lost.add(d.start, d.end)
            boot.lost_cause = LOST_CAUSE_GRUB
        else:
            # Old GRUB: unknown types fall through to "available".
            boot.usable.add(d.start, d.end)
            boot.untracked.add(d.start, d.end)
    if bitmap_ranges:
        boot.bitmap = UnacceptedBitmap(bitmap_ranges)
    parts = [f"e820: {format_size(boot.usable.total)} usable"]
    if boot.bitmap is not None:
        parts.append(
            f"{format_size(boot.bitmap.unaccepted_bytes)} recorded in the unaccepted bitmap "
            f"({boot.bitmap.size_bytes} bytes, one bit per 2 MiB)"
        )
    if boot.lost.total:
        parts.append(f"{format_size(boot.lost.total)} of type 15 lost: {boot.lost_cause}")
        if stub and k.version is not None and _version_at_least(k.version, 6, 5):
            parts.append("'The system has unaccepted memory, but kernel does not support it'")
    if boot.untracked.total:
        parts.append(f"old GRUB passes {format_size(boot.untracked.total)} of type 15 as available")
    nbytes = immediate.total
    boot.kernel_accepted += boot.accept(immediate)
    boot.event(
        "setup-e820",
        "; ".join(parts),
        boot.cost.accept_seconds(nbytes, SMALL_PAGE, 1),
        nbytes,
    )


def decompressor(boot: _Boot) -> None:
    """The kernel starts: it must support the platform, and the decompressor
    accepts the range it decompresses into."""
    s, k = boot.scenario, boot.kernel
    if s.loader == Loader.EFI_STUB and not k.efi_stub:
        boot.crash = CRASH_NO_STUB
        boot.event("decompressor", boot.crash)
        return
    if s.platform not in k.platforms:
        boot.crash = crash_no_platform(s.platform)
        boot.event("decompressor", boot.crash)
        return
    image = RangeSet([(LOAD_PHYSICAL_ADDR, LOAD_PHYSICAL_ADDR + k.image_bytes)])
    if image.difference(boot.usable).total:
        boot.crash = CRASH_NO_ROOM
        boot.event("decompressor", boot.crash)
        return
    accepted = _kernel_accept(boot, image, TOUCH_DECOMPRESSOR)
    if boot.crash:
        boot.event("decompressor", boot.crash)
        return
    boot.kernel_reserved.add(LOAD_PHYSICAL_ADDR, LOAD_PHYSICAL_ADDR + k.image_bytes)
    # Early paths without a GHCB accept one 4 KiB page per exit.
    boot.event(
        "decompressor",
        f"kernel decompressed into {format_size(k.image_bytes)} at 0x{LOAD_PHYSICAL_ADDR:x}"
        + (f", accepting {format_size(accepted)}" if accepted else ""),
        boot.cost.accept_seconds(accepted, SMALL_PAGE, 1),
        accepted,
    )


def memblock_alloc(boot: _Boot) -> None:
    """Early allocations (struct page array, page tables) are made top-down and
    every memblock allocation accepts what it allocates (mm/memblock.c)."""
    usable = boot.usable.total
    size = usable // 4096 * STRUCT_PAGE_PER_PAGE + usable // GiB * PAGE_TABLE_PER_GIB
    free = boot.usable.difference(boot.kernel_reserved)
    alloc = free.take_top(size)
    accepted = _kernel_accept(boot, alloc, TOUCH_MEMBLOCK)
    if boot.crash:
        boot.event("memblock-alloc", boot.crash)
        return
    for a, b in alloc:
        boot.kernel_reserved.add(a, b)
    boot.event(
        "memblock-alloc",
        f"memblock allocates {format_size(alloc.total)} top-down for struct pages (64 bytes "
        f"per 4 KiB) and page tables"
        + (f", accepting {format_size(accepted)}" if accepted else ""),
        boot.cost.accept_seconds(accepted, boot.kernel_page, 1),
        accepted,
    )


def memblock_free_all(boot: _Boot) -> None:
    """Hand free memory to the page allocator: lazy keeps unaccepted MAX_ORDER
    (4 MiB) blocks on the unaccepted list and accepts smaller pieces at once;
    accept_memory=eager accepts everything (mm/page_alloc.c)."""
    k, cost = boot.kernel, boot.cost
    init_s = cost.kernel_s_per_gib * boot.usable.total / GiB
    bm = boot.bitmap
    if bm is None or bm.unaccepted_bytes == 0:
        boot.event(
            "memblock-free-all",
            f"{format_size(boot.usable.total)} freed to the page allocator, none unaccepted",
            init_s,
        )
        return
    if k.accept_memory == "eager":
        got = bm.accept_units(bm.bits.copy())
        boot.eager_accepted = got.total
        how = "accept_memory=eager: the kernel accepts all of it now"
    else:
        # __free_pages_memory() frees each free range in MAX_ORDER blocks where
        # aligned; a whole block holding any unaccepted memory is deferred to the
        # unaccepted list (__free_unaccepted), smaller pieces are accepted now.
        free = boot.usable.difference(boot.kernel_reserved)
        blocks = RangeSet(
            (round_up(a, MAX_ORDER_BYTES), round_down(b, MAX_ORDER_BYTES)) for a, b in free
        )
        got = bm.accept_units(~bm.mask_of(blocks))
        how = f"{format_size(bm.unaccepted_bytes)} stays on the unaccepted list in 4 MiB blocks"
    boot.kernel_accepted += boot.accept(got)
    boot.event(
        "memblock-free-all",
        f"page allocator init; {how}"
        + (
            f"; {format_size(got.total)} accepted"
            if got.total and k.accept_memory != "eager"
            else ""
        ),
        init_s + cost.accept_seconds(got.total, boot.kernel_page, 1),
        got.total,
    )


def start_userspace(boot: _Boot) -> None:
    """init runs: it needs min_memory free; the page allocator accepts 4 MiB
    blocks from the unaccepted list on demand (cond_accept_memory)."""
    s, k, cost = boot.scenario, boot.kernel, boot.cost
    boot.event("kernel-init", "kernel init to userspace", cost.kernel_base_s)
    need = k.min_memory_bytes
    free = boot.usable.difference(boot.kernel_reserved)
    free_accepted = free.difference(boot.unaccepted).total
    boot.free = free.total
    if free.total < need:
        boot.oom = True
        boot.event(
            "userspace",
            f"userspace needs {format_size(need)} but only {format_size(free.total)} is free: "
            "out of memory",
        )
        return
    if boot.untracked.total:
        # RAM the kernel believes accepted but never was: its first use is fatal.
        boot.touch(
            boot.untracked,
            TOUCH_USERSPACE,
        )
        boot.event("userspace", boot.crash or "")
        return
    shortfall = need - free_accepted
    got = RangeSet()
    if shortfall > 0 and boot.bitmap is not None:
        got = boot.bitmap.accept_units(boot.bitmap.first_blocks(shortfall))
        boot.kernel_accepted += boot.accept(got)
    boot.event(
        "userspace",
        f"userspace starts with {format_size(need)} in use"
        + (f", accepting {format_size(got.total)} in 4 MiB blocks on demand" if got.total else ""),
        cost.accept_seconds(got.total, boot.kernel_page, s.vcpus),
        got.total,
    )


def simulate(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    handover_map: tuple[MemoryDescriptor, ...] | None = None,
    cost: CostModel | None = None,
) -> BootOutcome:
    """Boot one combination through every step; stops at a crash or OOM."""
    boot = _Boot(scenario, fw, kernel, cost or COST_MODELS[scenario.platform])
    if handover_map is None:
        vmm_layout_ram(boot)
        firmware_init(boot)
        firmware_pre_accept(boot)
        build_efi_memory_map(boot)
    else:
        load_handover_map(boot, handover_map)
    handed_over = tuple(boot.efi_map)
    for step in (
        allow_unaccepted_memory,
        exit_boot_services,
        setup_e820,
        decompressor,
        memblock_alloc,
        memblock_free_all,
        start_userspace,
    ):
        step(boot)
        if boot.crash or boot.oom:
            break
    ram = boot.ram.total
    lost = boot.lost.total
    unaccepted = boot.unaccepted.total - boot.unaccepted.difference(boot.usable).total
    fw_reserved = boot.fw_reserved.total
    accepted = ram - fw_reserved - lost - unaccepted
    return BootOutcome(
        ram_bytes=ram,
        boot_time_s=boot.t,
        usable_bytes=boot.usable.total,
        accepted_bytes=accepted,
        unaccepted_bytes=unaccepted,
        lost_bytes=lost,
        firmware_reserved_bytes=fw_reserved,
        kernel_reserved_bytes=boot.kernel_reserved.total,
        free_bytes=boot.free,
        firmware_accepted_bytes=boot.fw_accepted,
        ebs_accepted_bytes=boot.ebs_accepted,
        kernel_accepted_bytes=boot.kernel_accepted,
        eager_accepted_bytes=boot.eager_accepted,
        lost_cause=boot.lost_cause,
        crash=boot.crash,
        oom=boot.oom,
        handover_map=handed_over,
        events=tuple(boot.events),
    )


_FW_RESERVED_TYPES = frozenset(
    {
        EfiMemoryType.RUNTIME_SERVICES_CODE,
        EfiMemoryType.RUNTIME_SERVICES_DATA,
        EfiMemoryType.ACPI_RECLAIM,
        EfiMemoryType.ACPI_NVS,
    }
)


def _runtime_descriptors(lo: int, hi: int) -> list[MemoryDescriptor]:
    # Split the firmware's own area the way OVMF lays it out, roughly: runtime
    # data, ACPI tables, ACPI NVS.
    size = hi - lo
    a, b = lo + size // 2, lo + size // 2 + size // 8
    return [
        MemoryDescriptor(lo, a, EfiMemoryType.RUNTIME_SERVICES_DATA),
        MemoryDescriptor(a, b, EfiMemoryType.ACPI_RECLAIM),
        MemoryDescriptor(b, hi, EfiMemoryType.ACPI_NVS),
    ]


def _edges(rs: RangeSet, lo: int, hi: int) -> list[int]:
    return [x for s, e in rs for x in (s, e) if lo < x < hi]


def _coalesce(descs: list[MemoryDescriptor]) -> list[MemoryDescriptor]:
    out: list[MemoryDescriptor] = []
    for d in sorted(descs):
        if out and out[-1].end == d.start and out[-1].type == d.type:
            out[-1] = MemoryDescriptor(out[-1].start, d.end, d.type)
        else:
            out.append(d)
    return out


def _kernel_accept(boot: _Boot, ranges: RangeSet, what: str) -> int:
    """Accept what the kernel is about to use: through the bitmap if it has one;
    memory that is unaccepted but not in the bitmap is touched blind."""
    accepted = 0
    if boot.bitmap is not None:
        for a, b in ranges:
            got = boot.bitmap.accept_memory(a, b)
            accepted += boot.accept(got)
    boot.kernel_accepted += accepted
    boot.touch(ranges, what)
    return accepted


def _page_name(page: int) -> str:
    return "2 MiB" if page >= LARGE_PAGE else "4 KiB"


def _version_at_least(version: str, major: int, minor: int) -> bool:
    try:
        parts = [int(p) for p in version.split(".")[:2]]
    except ValueError:
        return False
    return tuple(parts + [0])[:2] >= (major, minor)
