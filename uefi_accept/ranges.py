"""Sets of byte ranges and the kernel's unaccepted-memory bitmap.

Memory state is held as a few [start, end) ranges plus one numpy bit per
2 MiB unit, never page by page, so a 64 TiB guest costs what a 4 GiB one does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from uefi_accept.units import MiB

# EFI_UNACCEPTED_UNIT_SIZE (drivers/firmware/efi/libstub/unaccepted_memory.c).
UNIT = 2 * MiB
# MAX_ORDER block on x86: the page allocator's unit of lazy acceptance.
MAX_ORDER_BYTES = 4 * MiB


def round_down(x: int, a: int) -> int:
    return x - x % a


def round_up(x: int, a: int) -> int:
    return -(-x // a) * a


class RangeSet:
    """Sorted, disjoint, coalesced [start, end) ranges."""

    __slots__ = ("_r",)

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()) -> None:
        self._r: list[tuple[int, int]] = []
        for s, e in ranges:
            self.add(s, e)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(list(self._r))

    def __len__(self) -> int:
        return len(self._r)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RangeSet) and self._r == other._r

    def __repr__(self) -> str:
        return "RangeSet([" + ", ".join(f"(0x{s:x}, 0x{e:x})" for s, e in self._r) + "])"

    def copy(self) -> RangeSet:
        out = RangeSet()
        out._r = list(self._r)
        return out

    @property
    def total(self) -> int:
        return sum(e - s for s, e in self._r)

    def add(self, start: int, end: int) -> None:
        if end <= start:
            return
        out: list[tuple[int, int]] = []
        for s, e in self._r:
            if e < start or s > end:
                out.append((s, e))
            else:
                start, end = min(s, start), max(e, end)
        out.append((start, end))
        out.sort()
        self._r = out

    def remove(self, start: int, end: int) -> int:
        """Remove [start, end); return how many bytes were present."""
        if end <= start:
            return 0
        out: list[tuple[int, int]] = []
        removed = 0
        for s, e in self._r:
            if e <= start or s >= end:
                out.append((s, e))
                continue
            removed += min(e, end) - max(s, start)
            if s < start:
                out.append((s, start))
            if e > end:
                out.append((end, e))
        self._r = out
        return removed

    def overlap(self, start: int, end: int) -> int:
        return sum(max(0, min(e, end) - max(s, start)) for s, e in self._r)

    def intersect(self, start: int, end: int) -> RangeSet:
        return RangeSet((max(s, start), min(e, end)) for s, e in self._r if s < end and e > start)

    def difference(self, other: RangeSet) -> RangeSet:
        out = self.copy()
        for s, e in other:
            out.remove(s, e)
        return out

    def take_top(self, nbytes: int) -> RangeSet:
        """The highest `nbytes` of the set (memblock allocates top-down)."""
        out = RangeSet()
        for s, e in reversed(self._r):
            if nbytes <= 0:
                break
            piece = min(nbytes, e - s)
            out.add(e - piece, e)
            nbytes -= piece
        return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Index runs [i, j) where a boolean array is True."""
    if mask.size == 0:
        return []
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


class UnacceptedBitmap:
    """One bit per 2 MiB unit, set = unaccepted, spanning the lowest to the
    highest unaccepted address (struct efi_unaccepted_memory, version 1)."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        ranges = list(ranges)
        if not ranges:
            self.base, self.bits = 0, np.zeros(0, dtype=bool)
            return
        self.base = round_down(min(s for s, _ in ranges), UNIT)
        end = round_up(max(e for _, e in ranges), UNIT)
        self.bits = np.zeros((end - self.base) // UNIT, dtype=bool)
        for s, e in ranges:
            self.bits[(s - self.base) // UNIT : (e - self.base) // UNIT] = True

    @property
    def size_bytes(self) -> int:
        """Size of the table the stub installs: one bit per unit."""
        return round_up(self.bits.size, 8) // 8

    @property
    def unaccepted_bytes(self) -> int:
        return int(np.count_nonzero(self.bits)) * UNIT

    def _to_ranges(self, idx_runs: list[tuple[int, int]]) -> RangeSet:
        return RangeSet((self.base + a * UNIT, self.base + b * UNIT) for a, b in idx_runs)

    def unaccepted(self) -> RangeSet:
        return self._to_ranges(runs(self.bits))

    def accept_memory(self, start: int, end: int) -> RangeSet:
        """accept_memory(): clear the units covering [start, end), plus one unit
        past a unit-aligned end (load_unaligned_zeropad guard, commit c211c19e80d0).
        Returns the ranges that were unaccepted and are now accepted."""
        if self.bits.size == 0:
            return RangeSet()
        if end % UNIT == 0:
            end += UNIT
        a = max(0, (start - self.base) // UNIT)
        b = min(self.bits.size, max(0, round_up(end - self.base, UNIT) // UNIT))
        if a >= b:
            return RangeSet()
        window = self.bits[a:b]
        got = self._to_ranges([(a + i, a + j) for i, j in runs(window)])
        window[:] = False
        return got

    def mask_of(self, ranges: RangeSet) -> np.ndarray:
        """Units lying wholly inside `ranges`."""
        mask = np.zeros_like(self.bits)
        for s, e in ranges:
            a = max(0, (round_up(s, UNIT) - self.base) // UNIT)
            b = min(self.bits.size, max(0, (round_down(e, UNIT) - self.base) // UNIT))
            if a < b:
                mask[a:b] = True
        return mask

    def accept_units(self, mask: np.ndarray) -> RangeSet:
        """Accept the units selected by `mask`; returns what was accepted."""
        sel = mask & self.bits
        got = self._to_ranges(runs(sel))
        self.bits &= ~sel
        return got

    def first_blocks(self, nbytes: int) -> np.ndarray:
        """Mask of the lowest unaccepted units adding up to `nbytes` rounded up
        to whole 4 MiB blocks (the unaccepted list is filled in address order
        and accepted from its head, a MAX_ORDER block at a time)."""
        idx = np.flatnonzero(self.bits)
        n = min(idx.size, round_up(nbytes, MAX_ORDER_BYTES) // UNIT)
        mask = np.zeros_like(self.bits)
        mask[idx[:n]] = True
        return mask
