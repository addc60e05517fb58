"""The EFI stub (drivers/firmware/efi/libstub/x86-stub.c, unaccepted_memory.c),
or the boot loader that replaces it: opt in to type 15, then turn the EFI map
into e820 and the unaccepted bitmap."""

from __future__ import annotations

import enum

import numpy as np

from uefi_accept.model.memmap import RAM_TYPES, EfiMemoryType
from uefi_accept.model.profiles import HandOver, TableReservation
from uefi_accept.model.ranges import Ranges, round_down, round_up
from uefi_accept.model.scenario import SMALL_PAGE, Loader, Platform
from uefi_accept.model.state import Boot, LostCause, Step
from uefi_accept.units import MiB

# EFI_UNACCEPTED_UNIT_SIZE: one bit of the bitmap per 2 MiB.
UNIT = 2 * MiB
# struct efi_unaccepted_memory: u32 version, u32 unit_size, u64 phys_base,
# u64 size, then the bitmap (include/linux/efi.h).
TABLE_HEADER_BYTES = 24
# The stub allocates the table from the EFI pool (allocate_pool). edk2's pool
# (MdeModulePkg/Core/Dxe/Mem/Pool.c) serves requests whose size plus
# POOL_OVERHEAD (40 bytes) exceeds its largest sub-page bin (2688) from whole
# pages, the data right after the 24-byte POOL_HEAD: a big table starts 0x18
# into its page (as the 2026 report's `-m 67000M` guest shows); smaller ones
# sit in bins that never cross a page.
POOL_HEAD_BYTES = 24
POOL_OVERHEAD_BYTES = 40
POOL_LARGEST_BIN = 2688
PAGE = 4096


class Opt(enum.StrEnum):
    """What setup_unaccepted_memory() did about the SEV acceptance protocol."""

    NO_STUB = "no-stub"  # a loader boots the kernel without the EFI stub
    NO_SUPPORT = "no-support"  # no CONFIG_UNACCEPTED_MEMORY: never looks
    NO_CALL = "no-call"  # the stub no longer calls it
    TDX = "tdx"  # TDX has no such protocol
    NO_PROTOCOL = "no-protocol"  # the firmware has none
    ALLOWED = "allowed"


def uses_stub(boot: Boot) -> bool:
    return boot.batch.base.loader == Loader.EFI_STUB and boot.kernel.efi_stub


def allow_unaccepted_memory(boot: Boot) -> None:
    """setup_unaccepted_memory() (libstub/x86-stub.c, Linux 6.5, commit c0461bd16666)."""
    k = boot.kernel
    if not uses_stub(boot):
        opt = Opt.NO_STUB
    elif not k.unaccepted_memory:
        opt = Opt.NO_SUPPORT
    elif not k.calls_protocol:
        opt = Opt.NO_CALL
    elif boot.batch.platform != Platform.SNP:
        opt = Opt.TDX
    elif boot.fw.handover != HandOver.OPT_IN:
        opt = Opt.NO_PROTOCOL
    else:
        opt = Opt.ALLOWED
    boot.allowed = opt == Opt.ALLOWED
    boot.event(Step.ALLOW_UNACCEPTED_MEMORY, opt=opt, loader=boot.batch.base.loader)


def unaccepted_table(t15: Ranges) -> tuple[np.ndarray, np.ndarray]:
    """allocate_unaccepted_bitmap(): the bitmap spans the lowest to the highest
    type 15 address, rounded out to units; one bit per unit. Returns
    phys_base and the bitmap's size in bytes (0: no table)."""
    has = t15.total > 0
    base = round_down(t15.lowest(), UNIT)
    end = round_up(t15.highest(), UNIT)
    size = -((base - end) // (UNIT * 8))  # DIV_ROUND_UP
    return base, np.where(has, size, 0)


def table_unmapped(base: np.ndarray, size: np.ndarray) -> Ranges:
    """Memory whose bitmap bits lie past what reserve_unaccepted() maps when it
    page-aligns the table's size from its page start, forgetting the table's
    offset in the page (8dbe33956d96, fixed by 0862438c9048)."""
    table = TABLE_HEADER_BYTES + size
    paged = round_up(table, 8) + POOL_OVERHEAD_BYTES > POOL_LARGEST_BIN
    # Bitmap bytes before the end of the reserved, mapped range.
    mapped = round_up(table, PAGE) - POOL_HEAD_BYTES - TABLE_HEADER_BYTES
    bad = paged & (mapped < size)
    start = base + np.maximum(mapped, 0) * 8 * UNIT
    end = base + size * 8 * UNIT
    return Ranges.span(np.where(bad, start, 0), np.where(bad, end, 0))


def process_unaccepted_memory(t15: Ranges) -> Ranges:
    """What each type 15 range leaves in the bitmap: ranges shorter than two
    units, and unaligned heads and tails, are accepted at once instead."""

    def recorded(s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        big = e - s >= 2 * UNIT
        return np.where(big, round_up(s, UNIT), s), np.where(big, round_down(e, UNIT), s)

    return t15.per_range(recorded)


def setup_e820(boot: Boot) -> None:
    """Turn the EFI map into e820 (setup_e820(), or the loader's own conversion)
    and record type 15 in the unaccepted bitmap.

    The EFI stub reads the map again after ExitBootServices succeeds. GRUB's
    i386 linux loader builds the e820 it hands over (grub_linux_boot() ->
    grub_mmap_iterate()) before grub_efi_finish_boot_services(), whose retry
    loop re-reads the map only for its key: the kernel gets the map as it was
    before the firmware accepted everything (AMDESE/AMDSEV issues 200, 273:
    "Unknown memory type 15, considering reserved", then "Accepting all
    memory", and about 2 GiB of 16 left)."""
    k, loader = boot.kernel, boot.batch.base.loader
    seen = boot.efi_map if uses_stub(boot) or loader == Loader.EFI_STUB else boot.loader_map
    t15 = seen[EfiMemoryType.UNACCEPTED]
    usable = seen.union(RAM_TYPES)
    immediate = Ranges.empty(boot.n)
    base, table_bytes = np.zeros(boot.n, np.int64), np.zeros(boot.n, np.int64)
    if uses_stub(boot) and k.unaccepted_memory:
        usable = usable | t15
        boot.bitmap = process_unaccepted_memory(t15)
        immediate = t15 - boot.bitmap
        base, table_bytes = unaccepted_table(t15)
        if k.table_reservation == TableReservation.PAGE_ALIGNED_SIZE:
            boot.table_unmapped = table_unmapped(base, table_bytes)
    elif uses_stub(boot):
        # No support: setup_e820()'s switch hits `default: continue`.
        boot.lost, boot.lost_cause = t15, LostCause.STUB
    elif loader == Loader.GRUB:
        # grub_efi_mmap_iterate(): "Unknown memory type 15, considering reserved".
        boot.lost, boot.lost_cause = t15, LostCause.GRUB
    else:
        # Old GRUB: unknown types fall through to available RAM.
        usable = usable | t15
        boot.untracked = t15
    boot.usable = usable
    boot.free_ranges = usable
    nbytes = immediate.total
    boot.kernel_accepted = boot.kernel_accepted + boot.accept(immediate)
    boot.event(
        Step.SETUP_E820,
        boot.cost.accept_seconds(nbytes, SMALL_PAGE, 1, boot.host_page),
        nbytes,
        usable=usable.total,
        recorded=boot.bitmap.total if boot.bitmap is not None else 0,
        table=table_bytes > 0,
        table_bytes=table_bytes,
        phys_base=base,
        table_unmapped=boot.table_unmapped.total,
        lost=boot.lost.total,
        lost_cause=boot.lost_cause,
        warns=uses_stub(boot) and (k.version_tuple or (0, 0)) >= (6, 5),
        untracked=boot.untracked.total,
    )
