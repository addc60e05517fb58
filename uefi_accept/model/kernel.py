"""The kernel after the stub: decompressor, memblock, the page allocator and
the first userspace allocations, each accepting what it is about to use."""

from __future__ import annotations

import numpy as np

from uefi_accept.model.profiles import AcceptMemory
from uefi_accept.model.ranges import Ranges, round_up
from uefi_accept.model.scenario import SMALL_PAGE, Loader
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


def accept_memory(boot: Boot, ranges: Ranges) -> Array:
    """accept_memory() (drivers/firmware/efi/unaccepted_memory.c): clear the
    bitmap units covering each range, plus one unit past a unit-aligned end
    (the load_unaligned_zeropad guard, commit c211c19e80d0); returns the bytes
    accepted."""
    if boot.bitmap is None or boot.bitmap.none:
        return np.zeros(boot.n, dtype=np.int64)
    ranges = ranges.only(boot.alive)
    guarded = (ranges.e % UNIT == 0) & (ranges.e > ranges.s)
    covering = Ranges(ranges.s, np.where(guarded, ranges.e + UNIT, ranges.e)).outer(UNIT)
    got, boot.bitmap = boot.bitmap.split(covering)
    return boot.accept(got)


def kernel_uses(boot: Boot, ranges: Ranges) -> Array:
    """The kernel accepts what it is about to use (through the bitmap, if it
    keeps one), then touches it: unaccepted memory not in the bitmap is fatal."""
    accepted = accept_memory(boot, ranges)
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
    accepted = kernel_uses(boot, image)
    boot.reserve(image)
    # Early paths without a GHCB accept one 4 KiB page per exit.
    boot.event(
        Step.DECOMPRESSOR,
        boot.cost.accept_seconds(accepted, SMALL_PAGE, 1),
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
        boot.cost.accept_seconds(accepted, boot.kernel_page, 1),
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
        init_s + cost.accept_seconds(got.total, boot.kernel_page, 1),
        got.total,
        usable=boot.usable.total,
        deferred=boot.bitmap.total if boot.bitmap is not None else 0,
        had_unaccepted=(boot.bitmap.total + got.total > 0) if boot.bitmap is not None else False,
        eager=k.accept_memory == AcceptMemory.EAGER,
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
        boot.cost.accept_seconds(got.total, boot.kernel_page, boot.batch.vcpus),
        got.total,
        need=need,
        free=free.total,
    )
