"""Batched range sets against a plain per-point reference, and the unaccepted
bitmap's rules expressed as ranges."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from uefi_accept.model.ranges import Ranges
from uefi_accept.model.stub import UNIT, process_unaccepted_memory, unaccepted_table
from uefi_accept.units import GiB, MiB


def as_set(ranges: list[tuple[int, int]]) -> set[int]:
    return {x for s, e in ranges for x in range(s, e)}


def merged(points: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x in sorted(points):
        if out and out[-1][1] == x:
            out[-1] = (out[-1][0], x + 1)
        else:
            out.append((x, x + 1))
    return out


# Sets of disjoint ranges on a small line, several points per batch.
range_sets = st.lists(st.integers(0, 60), max_size=12).map(
    lambda xs: merged(set().union(*(set(range(x, x + 3)) for x in xs[::2])))
)
batches = st.lists(st.tuples(range_sets, range_sets), min_size=1, max_size=6)


def batch(sets: list[list[tuple[int, int]]]) -> Ranges:
    return Ranges.stack([Ranges.of(s) if s else Ranges.empty(1) for s in sets])


@settings(max_examples=200, deadline=None)
@given(batches)
def test_set_algebra_matches_python_sets_point_by_point(pairs) -> None:  # type: ignore[no-untyped-def]
    a = batch([x for x, _ in pairs])
    b = batch([y for _, y in pairs])
    for op, ref in (
        (a | b, lambda x, y: x | y),
        (a & b, lambda x, y: x & y),
        (a - b, lambda x, y: x - y),
    ):
        for i, (x, y) in enumerate(pairs):
            want = ref(as_set(x), as_set(y))
            assert op.point(i) == merged(want)
            assert int(op.total[i]) == len(want)


@settings(max_examples=100, deadline=None)
@given(batches, st.lists(st.integers(0, 70), min_size=6, max_size=6))
def test_top_and_bottom_take_the_highest_and_lowest_bytes(pairs, wants) -> None:  # type: ignore[no-untyped-def]
    a = batch([x for x, _ in pairs])
    n = np.array(wants[: a.n])
    top, bottom = a.top(n), a.bottom(n)
    for i, (x, _) in enumerate(pairs):
        xs = sorted(as_set(x))
        k = min(int(n[i]), len(xs))
        assert as_set(top.point(i)) == set(xs[len(xs) - k :])
        assert as_set(bottom.point(i)) == set(xs[:k])


def test_empty_slots_and_padding_mean_nothing() -> None:
    a = Ranges(np.array([[5, 5, 10]]), np.array([[5, 5, 20]]))
    assert a.point(0) == [(10, 20)]
    assert (a | Ranges.empty(1)).point(0) == [(10, 20)]
    assert int(a.count[0]) == 1 and int(a.lowest()[0]) == 10 and int(a.highest()[0]) == 20


def test_stub_records_aligned_middles_and_accepts_heads_tails_and_short_ranges() -> None:
    # process_unaccepted_memory(): a range under two units is accepted whole;
    # otherwise its unaligned head and tail are, and the middle is recorded.
    t15 = Ranges.of([(1 * MiB, 3 * MiB), (5 * MiB, 15 * MiB + 4096)])
    recorded = process_unaccepted_memory(t15)
    assert recorded.point(0) == [(6 * MiB, 14 * MiB)]
    assert (t15 - recorded).point(0) == [
        (1 * MiB, 3 * MiB),
        (5 * MiB, 6 * MiB),
        (14 * MiB, 15 * MiB + 4096),
    ]


def test_unaccepted_table_spans_lowest_to_highest_type_15_rounded_to_units() -> None:
    # allocate_unaccepted_bitmap(): one bit per unit from round_down(start) to
    # round_up(end); 4 KiB of bitmap covers 64 GiB (DOMAIN.md).
    base, size = unaccepted_table(Ranges.of([(4 * GiB, 68 * GiB)]))
    assert (int(base[0]), int(size[0])) == (4 * GiB, 4096)
    # The real TDX guest of -m 67000M: phys_base 0x100000000, size 0xfdc.
    base, size = unaccepted_table(Ranges.of([(4 * GiB, 4 * GiB + (67000 - 2048) * MiB)]))
    assert (int(base[0]), int(size[0])) == (0x100000000, 0xFDC)
    _, size = unaccepted_table(Ranges.of([(4 * GiB + 1 * MiB, 4 * GiB + 3 * MiB)]))
    assert int(size[0]) == 1  # two units, rounded out: one byte
    _, size = unaccepted_table(Ranges.empty(1))
    assert int(size[0]) == 0
    assert 2 * MiB == UNIT


@settings(max_examples=200, deadline=None)
@given(batches)
def test_first_overlapping_is_the_first_range_that_meets_the_other(pairs) -> None:  # type: ignore[no-untyped-def]
    a = batch([x for x, _ in pairs])
    b = batch([y for _, y in pairs])
    hit, start = a.first_overlapping(b)
    for i, (x, y) in enumerate(pairs):
        meeting = [s for s, e in x if as_set([(s, e)]) & as_set(y)]
        assert bool(hit[i]) == bool(meeting)
        assert int(start[i]) == (meeting[0] if meeting else 0)
