"""Sets of byte ranges, one set per point of a batch.

A `Ranges` holds, for each of N points, disjoint [start, end) ranges in
address order, as two int64 arrays of shape (N, K). Slots a point does not
need are empty ranges (start == end); they mean nothing. Every operation works
on all points at once and costs O(K log K) per point whatever the sizes, so a
4 PiB guest costs what a 4 GiB one does, and a sweep of 10,000 VMs is one call.

Nothing here knows about memory acceptance: the boot steps say what the ranges
mean (RAM, unaccepted memory, the unaccepted bitmap, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

Array = np.ndarray
# Above every physical address (52 bits), with room for two bits below it
# (see _combine): the padding of empty slots.
PAD = np.int64(1 << 60)


def round_down(x: Any, a: int) -> Any:
    return x - x % a


def round_up(x: Any, a: int) -> Any:
    return -((-x) // a) * a


class Ranges:
    """Per point, disjoint [start, end) ranges in address order."""

    __slots__ = ("e", "s")

    def __init__(self, s: Array, e: Array) -> None:
        self.s = s
        self.e = e

    # -- construction ---------------------------------------------------------

    @classmethod
    def empty(cls, n: int) -> Ranges:
        z = np.zeros((n, 0), dtype=np.int64)
        return cls(z, z)

    @classmethod
    def span(cls, start: Any, end: Any, n: int | None = None) -> Ranges:
        """One range [start, end) per point (empty where end <= start)."""
        s, e = np.broadcast_arrays(np.asarray(start, np.int64), np.asarray(end, np.int64))
        if n is not None:
            s, e = np.broadcast_to(s, (n,)), np.broadcast_to(e, (n,))
        s = np.asarray(s, np.int64).reshape(-1, 1)
        e = np.maximum(np.asarray(e, np.int64).reshape(-1, 1), s)
        return cls(s.copy(), e.copy())

    @classmethod
    def of(cls, ranges: Iterable[tuple[int, int]]) -> Ranges:
        """One point's ranges, in any order, merged where they overlap or touch."""
        pairs = [(s, e) for s, e in ranges if e > s]
        if not pairs:
            return cls.empty(1)
        arr = np.array(pairs, dtype=np.int64)
        return cls(arr[:, 0].reshape(1, -1), arr[:, 1].reshape(1, -1)).merged()

    @classmethod
    def disjoint(cls, ranges: Sequence[tuple[int, int]]) -> Ranges:
        """One point's ranges, sorted and disjoint, kept as given (not merged):
        a real memory map's descriptors stay separate, as the kernel walks them."""
        if not ranges:
            return cls.empty(1)
        arr = np.array(ranges, dtype=np.int64)
        return cls(arr[:, 0].reshape(1, -1).copy(), arr[:, 1].reshape(1, -1).copy())

    @staticmethod
    def stack(parts: Sequence[Ranges]) -> Ranges:
        """Points of several batches, one after another."""
        width = max(p.s.shape[1] for p in parts)
        s = np.concatenate([_pad(p.s, width) for p in parts])
        e = np.concatenate([_pad(p.e, width) for p in parts])
        return Ranges(s, e)

    # -- figures ----------------------------------------------------------------

    @property
    def n(self) -> int:
        return int(self.s.shape[0])

    @property
    def lengths(self) -> Array:
        return self.e - self.s

    @property
    def total(self) -> Array:
        """Bytes per point."""
        return self.lengths.sum(axis=1)

    @property
    def count(self) -> Array:
        """Non-empty ranges per point."""
        return (self.e > self.s).sum(axis=1)

    def lowest(self, default: int = 0) -> Array:
        """The lowest address per point (`default` where the set is empty)."""
        filled = self.e > self.s
        low = np.where(filled, self.s, PAD).min(axis=1, initial=PAD)
        return np.where(low == PAD, default, low)

    def highest(self, default: int = 0) -> Array:
        """The end of the highest range per point (`default` where empty)."""
        filled = self.e > self.s
        high = np.where(filled, self.e, -1).max(axis=1, initial=-1)
        return np.where(high < 0, default, high)

    def point(self, i: int) -> list[tuple[int, int]]:
        """Point i's non-empty ranges, as Python ints."""
        return [(int(s), int(e)) for s, e in zip(self.s[i], self.e[i], strict=True) if e > s]

    def overlaps(self, other: Ranges) -> Array:
        """Bytes per point that lie in both sets."""
        return (self & other).total

    def first_overlapping(self, other: Ranges) -> tuple[Array, Array]:
        """Per point: whether any range of this set meets `other`, and the start
        of the first range of this set that does."""
        if self.s.shape[1] == 0 or other.s.shape[1] == 0:
            zeros = np.zeros(self.n, dtype=np.int64)
            return zeros.astype(bool), zeros
        # The lowest common byte lies in the first range of this set that meets
        # `other` (ranges are disjoint and in address order): one sweep, not
        # every pair of ranges (a real map holds thousands).
        both = self & other
        any_hit = np.any(both.e > both.s, axis=1)
        x = both.lowest()[:, None]
        first = np.argmax((self.s <= x) & (self.e > x), axis=1)
        start = self.s[np.arange(self.n), first]
        return any_hit, np.where(any_hit, start, 0)

    # -- set algebra ------------------------------------------------------------

    @property
    def none(self) -> bool:
        """No point holds any byte."""
        return not (self.e > self.s).any()

    # A set of at most one range per point needs no merging: the shortcuts below
    # skip the sweep where one side has no slots at all.

    def __or__(self, other: Ranges) -> Ranges:
        if other.s.shape[1] == 0 and self.s.shape[1] <= 1:
            return self
        if self.s.shape[1] == 0 and other.s.shape[1] <= 1:
            return other
        return _combine(self, other, np.logical_or, _or)

    def __and__(self, other: Ranges) -> Ranges:
        if self.s.shape[1] == 0 or other.s.shape[1] == 0:
            return Ranges.empty(self.n)
        return _combine(self, other, np.logical_and, _and)

    def __sub__(self, other: Ranges) -> Ranges:
        if self.s.shape[1] == 0:
            return self
        if other.s.shape[1] == 0:
            return self
        return _combine(self, other, _minus, _but)

    def split(self, other: Ranges) -> tuple[Ranges, Ranges]:
        """(self & other, self - other) from one sweep."""
        if self.s.shape[1] == 0 or other.s.shape[1] == 0:
            return Ranges.empty(self.n), self
        both, rest = _combine_many(self, other, ((np.logical_and, _and), (_minus, _but)))
        return both, rest

    def merged(self) -> Ranges:
        """The same bytes as few ranges as possible (any input order)."""
        if self.s.shape[1] <= 1:
            return self
        return _combine(self, Ranges.empty(self.n), np.logical_or, _or)

    def clip(self, lo: Any, hi: Any) -> Ranges:
        """The part of each point's set inside [lo, hi) (per point or scalar)."""
        lo = np.asarray(lo, np.int64).reshape(-1, 1)
        hi = np.asarray(hi, np.int64).reshape(-1, 1)
        s = np.clip(self.s, lo, np.maximum(lo, hi))
        e = np.clip(self.e, lo, np.maximum(lo, hi))
        return Ranges(s, e)

    def where(self, mask: Array, other: Ranges) -> Ranges:
        """This set where `mask`, `other` elsewhere."""
        width = max(self.s.shape[1], other.s.shape[1])
        m = np.asarray(mask, bool).reshape(-1, 1)
        return Ranges(
            np.where(m, _pad(self.s, width), _pad(other.s, width)),
            np.where(m, _pad(self.e, width), _pad(other.e, width)),
        )

    def only(self, mask: Array) -> Ranges:
        """This set where `mask`, nothing elsewhere."""
        m = np.asarray(mask, bool).reshape(-1, 1)
        return Ranges(np.where(m, self.s, PAD), np.where(m, self.e, PAD))

    # -- taking from the ends ----------------------------------------------------

    def top(self, nbytes: Any) -> Ranges:
        """The highest `nbytes` of each point's set (memblock allocates top-down)."""
        lengths = self.lengths
        above = np.cumsum(lengths[:, ::-1], axis=1)[:, ::-1] - lengths
        want = np.asarray(nbytes, np.int64).reshape(-1, 1)
        take = np.clip(want - above, 0, lengths)
        return Ranges(self.e - take, self.e.copy())

    def bottom(self, nbytes: Any) -> Ranges:
        """The lowest `nbytes` of each point's set."""
        lengths = self.lengths
        below = np.cumsum(lengths, axis=1) - lengths
        want = np.asarray(nbytes, np.int64).reshape(-1, 1)
        take = np.clip(want - below, 0, lengths)
        return Ranges(self.s.copy(), self.s + take)

    # -- alignment --------------------------------------------------------------

    def inner(self, align: int) -> Ranges:
        """Of each range, the `align`-aligned blocks lying wholly inside it."""
        s = round_up(self.s, align)
        return Ranges(s, np.maximum(s, round_down(self.e, align)))

    def outer(self, align: int) -> Ranges:
        """The `align`-aligned blocks that cover each range, merged."""
        return Ranges(round_down(self.s, align), round_up(self.e, align)).merged()

    def per_range(self, fn: Callable[[Array, Array], tuple[Array, Array]]) -> Ranges:
        """Apply `fn(starts, ends) -> (starts, ends)` to every range at once;
        `fn` must keep each range inside the original one."""
        s, e = fn(self.s, self.e)
        return Ranges(s, np.maximum(s, e))

    def __repr__(self) -> str:
        pts = "; ".join(
            ", ".join(f"[0x{s:x}, 0x{e:x})" for s, e in self.point(i)) for i in range(self.n)
        )
        return f"Ranges({pts})"


def _minus(a: Array, b: Array) -> Array:
    return a & ~b


def _or(a: bool, b: bool) -> bool:
    return a or b


def _and(a: bool, b: bool) -> bool:
    return a and b


def _but(a: bool, b: bool) -> bool:
    return a and not b


def _combine_one(a: Ranges, b: Ranges, op: Callable[[bool, bool], bool]) -> Ranges:
    """`_combine` for a batch of one point, the same sweep in plain Python: a
    single VM (`run`, `matrix`) is a few ranges, and numpy's per-call cost
    would dominate. The batch tests hold the two to the same answers."""
    events: list[tuple[int, int, int]] = []
    for side, r in ((0, a), (1, b)):
        for s, e in zip(r.s[0].tolist(), r.e[0].tolist(), strict=True):
            if e > s:
                events += ((s, side, 1), (e, side, -1))
    events.sort()
    count = [0, 0]
    out: list[tuple[int, int]] = []
    start: int | None = None
    i, n = 0, len(events)
    while i < n:
        x = events[i][0]
        while i < n and events[i][0] == x:  # every end at this address, then decide
            count[events[i][1]] += events[i][2]
            i += 1
        inside = op(count[0] > 0, count[1] > 0)
        if inside and start is None:
            start = x
        elif not inside and start is not None:
            out.append((start, x))
            start = None
    if not out:
        return Ranges.empty(1)
    arr = np.array(out, dtype=np.int64)
    return Ranges(arr[:, 0].reshape(1, -1), arr[:, 1].reshape(1, -1))


def _pad(a: Array, width: int) -> Array:
    if a.shape[1] == width:
        return a
    out = np.full((a.shape[0], width), PAD, dtype=np.int64)
    out[:, : a.shape[1]] = a
    return out


# Event kinds in the low two bits of an encoded address (see _combine).
_DA = np.array([1, -1, 0, 0], dtype=np.int16)
_DB = np.array([0, 0, 1, -1], dtype=np.int16)


Ops = tuple[tuple[Callable[[Array, Array], Array], Callable[[bool, bool], bool]], ...]


def _combine(
    a: Ranges,
    b: Ranges,
    op: Callable[[Array, Array], Array],
    op_one: Callable[[bool, bool], bool],
) -> Ranges:
    """A boolean combination of two batches of range sets, by a sweep over the
    sorted range ends: `op(in_a, in_b)` decides each stretch between two
    consecutive ends. Empty and overlapping input ranges are fine; the result
    is merged (no two ranges touch)."""
    return _combine_many(a, b, ((op, op_one),))[0]


def _combine_many(a: Ranges, b: Ranges, ops: Ops) -> list[Ranges]:
    """Several boolean combinations of the same two sets from one sweep."""
    n = a.n
    if n == 1:
        return [_combine_one(a, b, op_one) for _, op_one in ops]
    if a.s.shape[1] + b.s.shape[1] == 0:
        return [Ranges.empty(n) for _ in ops]
    # Sort the ends once, each with its kind (a start, a end, b start, b end)
    # in the two low bits: addresses stay below 2**60.
    enc = np.concatenate([a.s << 2, (a.e << 2) | 1, (b.s << 2) | 2, (b.e << 2) | 3], axis=1)
    enc.sort(axis=1)
    kind = enc & 3
    xs = enc >> 2
    in_a = (np.cumsum(_DA[kind], axis=1, dtype=np.int16) > 0)[:, :-1]
    in_b = (np.cumsum(_DB[kind], axis=1, dtype=np.int16) > 0)[:, :-1]
    return [_ranges_of(xs, op(in_a, in_b)) for op, _ in ops]


def _ranges_of(xs: Array, inside: Array) -> Ranges:
    """The merged ranges of the stretches [xs[j], xs[j+1]) where `inside`."""
    n = xs.shape[0]
    lo = xs[:, :-1]
    # The stretch [xs[j], xs[j+1]) has the state after end j. Stretches of zero
    # length (several ends at one address) hold passing states: drop them by
    # sorting the others to the front, with their state in the low bit.
    key = np.where(xs[:, 1:] > lo, (lo << 1) | inside, PAD << 1)
    key.sort(axis=1)
    # The stretches left tile the line, so a range starts where its first
    # stretch starts and ends where the next stretch starts (or at the last
    # end): each change of state is a boundary, and they alternate start, end.
    pad = np.full((n, 1), PAD, np.int64)
    at = np.minimum(np.concatenate([key >> 1, pad], axis=1), xs[:, -1:])
    kept = np.concatenate([(key & 1).astype(bool), np.zeros((n, 1), bool)], axis=1)
    change = kept ^ np.concatenate([np.zeros((n, 1), bool), kept[:, :-1]], axis=1)
    bounds = np.where(change, at, PAD)
    bounds.sort(axis=1)
    width = int(change.sum(axis=1).max()) if n else 0
    return Ranges(bounds[:, 0:width:2], bounds[:, 1:width:2])
