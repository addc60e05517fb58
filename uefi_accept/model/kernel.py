"""The kernel after the stub: decompressor, memblock, the page allocator and
the first userspace allocations, each accepting what it is about to use."""

from __future__ import annotations

import numpy as np

from uefi_accept.model.profiles import AcceptMemory, SwiotlbConversion
from uefi_accept.model.ranges import Ranges, round_up
from uefi_accept.model.scenario import SMALL_PAGE, Loader, Platform
from uefi_accept.model.state import Array, Boot, Crash, Step
from uefi_accept.model.stub import UNIT
from uefi_accept.units import GiB, MiB

# LOAD_PHYSICAL_ADDR: where the decompressor puts the kernel (KASLR off).
LOAD_PHYSICAL_ADDR = 16 * MiB
# memblock: struct page is 64 bytes per 4 KiB page; direct-map page tables
# take about one 4 KiB page per GiB with 2 MiB mappings.
STRUCT_PAGE_PER_PAGE = 64
PAGE_TABLE_PER_GIB = 4096
# MAX_ORDER block on x86 (MAX_PAGE_ORDER 10): the page allocator's unit of
# lazy acceptance.
MAX_ORDER_BYTES = 4 * MiB
# The SWIOTLB bounce buffer of a confidential guest: 6% of memory, at least the
# 64 MiB default, at most 1 GiB (arch/x86/mm/mem_encrypt.c, mem_encrypt_setup_arch()).
SWIOTLB_MIN_BYTES = 64 * MiB
SWIOTLB_MAX_BYTES = 1 * GiB
# A kernel with the accept storm accepts a 4 MiB block per page allocation
# until init_per_zone_wmark_min() (a postcore initcall): so many before SMP
# bring-up, and so many per AP brought up. Fitted to the three hang thresholds
# of LKML 2025-03-25 ("SNP Guest boot hangs with certain cpu/mem config
# combination": 19456M hangs from 241 vCPUs, 8192M from 72, 6144M from 42),
# where the storm used up all unaccepted memory during bring-up (a least-squares
# line through the three; it puts each threshold exactly). Dstack PR 1220 saw
# "about 13 GiB" at 248 vCPUs; the fit gives 17.2 GiB (see the README).
STORM_BOOT_BYTES = 1357 * MiB
STORM_PER_AP_BYTES = 6575 * MiB // 100


def read_bitmap(boot: Boot, ranges: Ranges) -> None:
    """The kernel proper reads the bitmap's bits for `ranges` through the direct
    map: where reserve_unaccepted() left them unmapped, that faults."""
    if boot.table_unmapped.none:
        return
    hit, _ = ranges.only(boot.alive).first_overlapping(boot.table_unmapped)
    boot.stop_crash(hit, Crash.TABLE_FAULT, boot.table_unmapped.lowest())


def accept_memory(boot: Boot, ranges: Ranges, early: bool = False) -> Array:
    """accept_memory() (drivers/firmware/efi/unaccepted_memory.c): clear the
    bitmap units covering each range, plus one unit past a unit-aligned end
    (the load_unaligned_zeropad guard, commit c211c19e80d0); returns the bytes
    accepted. `early`: the decompressor's copy, on its own identity mapping."""
    if boot.bitmap is None:
        return np.zeros(boot.n, dtype=np.int64)
    ranges = ranges.only(boot.alive)
    guarded = (ranges.e % UNIT == 0) & (ranges.e > ranges.s)
    covering = Ranges(ranges.s, np.where(guarded, ranges.e + UNIT, ranges.e)).outer(UNIT)
    if not early:
        read_bitmap(boot, covering)
    if boot.bitmap.none:
        return np.zeros(boot.n, dtype=np.int64)
    got, boot.bitmap = boot.bitmap.only(boot.alive).split(covering)
    return boot.accept(got)


def kernel_uses(boot: Boot, ranges: Ranges, early: bool = False) -> Array:
    """The kernel accepts what it is about to use (through the bitmap, if it
    keeps one), then touches it: unaccepted memory not in the bitmap is fatal."""
    accepted = accept_memory(boot, ranges, early)
    boot.kernel_accepted = boot.kernel_accepted + accepted
    boot.touch(ranges)
    return accepted


def decompressor(boot: Boot) -> None:
    """The kernel starts: it must support the platform, and the decompressor
    accepts the range it decompresses into."""
    b, k = boot.batch, boot.kernel
    if b.base.loader == Loader.EFI_STUB and not k.efi_stub:
        boot.stop_crash(True, Crash.NO_STUB)
    elif b.platform not in k.platforms:
        boot.stop_crash(True, Crash.NO_PLATFORM)
    image = Ranges.span(LOAD_PHYSICAL_ADDR, LOAD_PHYSICAL_ADDR + k.image_bytes, boot.n)
    boot.stop_crash((image - boot.usable).total > 0, Crash.NO_ROOM)
    accepted = kernel_uses(boot, image, early=True)
    boot.reserve(image)
    # Early paths without a GHCB accept one 4 KiB page per exit.
    boot.event(
        Step.DECOMPRESSOR,
        boot.cost.accept_seconds(accepted, SMALL_PAGE, 1, boot.host_page),
        accepted,
        image=k.image_bytes,
        at=LOAD_PHYSICAL_ADDR,
    )


def memblock_alloc(boot: Boot) -> None:
    """Early allocations (struct page array, page tables) are made top-down and
    every memblock allocation accepts what it allocates (mm/memblock.c)."""
    usable = boot.usable.total
    size = usable // 4096 * STRUCT_PAGE_PER_PAGE + usable // GiB * PAGE_TABLE_PER_GIB
    alloc = boot.free_ranges.top(size)
    accepted = kernel_uses(boot, alloc)
    boot.reserve(alloc)
    boot.event(
        Step.MEMBLOCK_ALLOC,
        boot.kernel_accept_seconds(accepted),
        accepted,
        allocated=alloc.total,
    )


def memblock_free_all(boot: Boot) -> None:
    """Hand free memory to the page allocator: lazy keeps unaccepted MAX_ORDER
    (4 MiB) blocks on the unaccepted list and accepts smaller pieces at once;
    accept_memory=eager accepts everything (mm/page_alloc.c)."""
    k, cost = boot.kernel, boot.cost
    init_s = cost.kernel_s_per_gib * boot.usable.total / GiB
    got = Ranges.empty(boot.n)
    # Every free range is checked against the bitmap (range_contains_unaccepted_memory()).
    read_bitmap(boot, boot.free_ranges)
    if boot.bitmap is not None:
        if k.accept_memory == AcceptMemory.EAGER:
            got = boot.bitmap.only(boot.alive)
            boot.eager_accepted = got.total
            boot.bitmap = Ranges.empty(boot.n).where(boot.alive, boot.bitmap)
        else:
            # __free_pages_memory() frees each free range in MAX_ORDER blocks where
            # aligned; a whole block holding any unaccepted memory is deferred to the
            # unaccepted list (__free_unaccepted), smaller pieces are accepted now.
            kept, got = boot.bitmap.split(boot.free_ranges.inner(MAX_ORDER_BYTES))
            got = got.only(boot.alive)
            boot.bitmap = kept.where(boot.alive, boot.bitmap)
    boot.kernel_accepted = boot.kernel_accepted + boot.accept(got)
    boot.event(
        Step.MEMBLOCK_FREE_ALL,
        init_s + boot.kernel_accept_seconds(got.total),
        got.total,
        usable=boot.usable.total,
        deferred=boot.bitmap.total if boot.bitmap is not None else 0,
        had_unaccepted=(boot.bitmap.total + got.total > 0) if boot.bitmap is not None else False,
        eager=k.accept_memory == AcceptMemory.EAGER,
    )


def swiotlb_bytes(boot: Boot) -> Array:
    size = boot.usable.total * 6 // 100
    return np.clip(size, SWIOTLB_MIN_BYTES, SWIOTLB_MAX_BYTES)


def mem_encrypt_init(boot: Boot) -> None:
    """arch_cpu_finalize_init() -> mem_encrypt_init() ->
    swiotlb_update_mem_attributes(): the SWIOTLB buffer (already accepted by the
    firmware) becomes shared. On TDX each removed private page makes KVM kick
    every vCPU out of the TD, and before SMP bring-up the APs still spin inside
    it in the firmware (Dstack PR 1220; patch 0010 defers this to
    fs_initcall_sync, see `initcalls`)."""
    size = swiotlb_bytes(boot)
    early = boot.kernel.swiotlb_conversion == SwiotlbConversion.EARLY
    duration = boot.cost.shared_convert_seconds(size, boot.batch.vcpus) if early else 0.0
    boot.event(
        Step.MEM_ENCRYPT_INIT,
        duration,
        size if early else 0,
        swiotlb=size,
        early=early,
        vcpus=boot.batch.vcpus,
        tdx=boot.batch.platform == Platform.TDX,
    )


def smp_init(boot: Boot) -> None:
    """smp_init() brings up the APs. A kernel with the accept storm has accepted
    a 4 MiB block per allocation since the page allocator came up, and goes on
    for every AP brought up (cond_accept_memory() with zero watermarks); on TDX
    each of those 4 KiB accepts costs more per AP already online and taking the
    tick. Accepting the last unaccepted page during bring-up deadlocks on
    cpu_hotplug_lock in 6.14 (4067196a5227)."""
    k, cost = boot.kernel, boot.cost
    aps = boot.batch.vcpus - 1
    duration = cost.ap_bringup_s * aps
    pre = during = np.zeros(boot.n, dtype=np.int64)
    if k.accept_storm and boot.bitmap is not None:
        left = boot.live(boot.bitmap.total)
        pre = np.minimum(left, STORM_BOOT_BYTES)
        wanted = STORM_PER_AP_BYTES * aps
        during = np.minimum(left - pre, wanted)
        got = boot.bitmap.only(boot.alive).bottom(pre + during)
        boot.bitmap = boot.bitmap.top(boot.bitmap.total - got.total)
        boot.kernel_accepted = boot.kernel_accepted + boot.accept(got)
        # The AP brought up k-th finds k - 1 APs online: over m APs' worth of
        # storm, the tick adds pages-per-AP x (0 + 1 + ... + m - 1) accepts' worth.
        m = during / STORM_PER_AP_BYTES
        per_ap_pages = STORM_PER_AP_BYTES / 4096
        if cost.host_4k_splits_accepts and boot.host_page < 2 * MiB:
            duration = duration + cost.ticking_accept_seconds((pre + during) / 4096, 0)
            duration = duration + per_ap_pages * cost.accept_tick_s_per_vcpu * m * (m - 1) / 2
        else:
            duration = duration + boot.kernel_accept_seconds(pre + during)
        if k.hotplug_accept_deadlock:
            boot.stop_crash((left > pre) & (wanted >= left - pre), Crash.HOTPLUG_DEADLOCK)
    boot.event(
        Step.SMP_INIT,
        duration,
        pre + during,
        aps=aps,
        storm=k.accept_storm and boot.bitmap is not None,
        before_smp=pre,
        during_smp=during,
    )


def initcalls(boot: Boot) -> None:
    """do_initcalls(): the watermarks exist from postcore on, the tick stops
    once high-resolution timers are on (fs_initcall), and a kernel with Dstack's
    patch 0010 converts the SWIOTLB buffer at fs_initcall_sync, with the APs
    halted outside the TD."""
    deferred = boot.kernel.swiotlb_conversion == SwiotlbConversion.DEFERRED
    size = swiotlb_bytes(boot) if deferred else np.zeros(boot.n, dtype=np.int64)
    boot.event(
        Step.INITCALLS,
        boot.cost.shared_convert_seconds(size, 0),
        size,
        deferred=deferred,
        tdx=boot.batch.platform == Platform.TDX,
    )


def kernel_init(boot: Boot) -> None:
    boot.event(Step.KERNEL_INIT, boot.cost.kernel_base_s)


def userspace(boot: Boot) -> None:
    """init runs: it needs min_memory free; the page allocator accepts 4 MiB
    blocks from the unaccepted list on demand (cond_accept_memory)."""
    need = boot.kernel.min_memory_bytes
    free = boot.free_ranges
    boot.free = boot.live(free.total)
    boot.stop_oom(free.total < need)
    # RAM the kernel believes accepted but never was: its first use is fatal.
    if boot.untracked.total.any():
        boot.touch(boot.untracked)
    got = Ranges.empty(boot.n)
    if boot.bitmap is not None:
        shortfall = need - (free - boot.unaccepted).total
        want = np.where(shortfall > 0, round_up(shortfall, MAX_ORDER_BYTES), 0)
        got = boot.bitmap.only(boot.alive).bottom(want)
        # The unaccepted list is taken from its head: what is left is its tail.
        boot.bitmap = boot.bitmap.top(boot.bitmap.total - got.total)
    boot.kernel_accepted = boot.kernel_accepted + boot.accept(got)
    boot.event(
        Step.USERSPACE,
        boot.kernel_accept_seconds(got.total, boot.batch.vcpus),
        got.total,
        need=need,
        free=free.total,
    )
