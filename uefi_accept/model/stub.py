"""The EFI stub (drivers/firmware/efi/libstub/x86-stub.c, unaccepted_memory.c),
or the boot loader that replaces it: opt in to type 15, then turn the EFI map
into e820 and the unaccepted bitmap."""

from __future__ import annotations

import enum

import numpy as np

from uefi_accept.model.memmap import RAM_TYPES, EfiMemoryType
from uefi_accept.model.profiles import HandOver
from uefi_accept.model.ranges import Ranges, round_down, round_up
from uefi_accept.model.scenario import SMALL_PAGE, Loader, Platform
from uefi_accept.model.state import Boot, LostCause, Step
from uefi_accept.units import MiB

# EFI_UNACCEPTED_UNIT_SIZE: one bit of the bitmap per 2 MiB.
UNIT = 2 * MiB
# struct efi_unaccepted_memory: u32 version, u32 unit_size, u64 phys_base,
# u64 size, then the bitmap (include/linux/efi.h).
TABLE_HEADER_BYTES = 24


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


def process_unaccepted_memory(t15: Ranges) -> Ranges:
    """What each type 15 range leaves in the bitmap: ranges shorter than two
    units, and unaligned heads and tails, are accepted at once instead."""

    def recorded(s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        big = e - s >= 2 * UNIT
        return np.where(big, round_up(s, UNIT), s), np.where(big, round_down(e, UNIT), s)

    return t15.per_range(recorded)


def setup_e820(boot: Boot) -> None:
    """Turn the EFI map into e820 (setup_e820(), or the loader's own conversion)
    and record type 15 in the unaccepted bitmap."""
    k, loader = boot.kernel, boot.batch.base.loader
    t15 = boot.efi_map[EfiMemoryType.UNACCEPTED]
    usable = boot.efi_map.union(RAM_TYPES)
    immediate = Ranges.empty(boot.n)
    base, table_bytes = np.zeros(boot.n, np.int64), np.zeros(boot.n, np.int64)
    if uses_stub(boot) and k.unaccepted_memory:
        usable = usable | t15
        boot.bitmap = process_unaccepted_memory(t15)
        immediate = t15 - boot.bitmap
        base, table_bytes = unaccepted_table(t15)
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
        boot.cost.accept_seconds(nbytes, SMALL_PAGE, 1),
        nbytes,
        usable=usable.total,
        recorded=boot.bitmap.total if boot.bitmap is not None else 0,
        table=table_bytes > 0,
        table_bytes=table_bytes,
        phys_base=base,
        lost=boot.lost.total,
        lost_cause=boot.lost_cause,
        warns=uses_stub(boot) and (k.version_tuple or (0, 0)) >= (6, 5),
        untracked=boot.untracked.total,
    )
