import numpy as np

from uefi_accept.ranges import UNIT, RangeSet, UnacceptedBitmap, runs
from uefi_accept.units import GiB, MiB


def test_rangeset_add_remove_coalesce() -> None:
    r = RangeSet([(0, 10), (10, 20), (30, 40)])
    assert list(r) == [(0, 20), (30, 40)]
    assert r.remove(5, 35) == 20
    assert list(r) == [(0, 5), (35, 40)]
    assert r.take_top(7).total == 7
    assert list(r.take_top(7)) == [(3, 5), (35, 40)]


def test_runs() -> None:
    assert runs(np.array([0, 1, 1, 0, 1], dtype=bool)) == [(1, 3), (4, 5)]
    assert runs(np.zeros(0, dtype=bool)) == []


def test_bitmap_spans_lowest_to_highest_unaccepted_unit() -> None:
    bm = UnacceptedBitmap([(4 * GiB, 6 * GiB), (8 * GiB, 8 * GiB + 4 * MiB)])
    assert bm.base == 4 * GiB
    assert bm.bits.size == (4 * GiB + 4 * MiB) // UNIT
    assert bm.unaccepted_bytes == 2 * GiB + 4 * MiB
    # 4 KiB of bitmap covers 64 GiB (DOMAIN.md).
    assert UnacceptedBitmap([(0, 64 * GiB)]).size_bytes == 4096


def test_accept_memory_takes_one_extra_unit_past_an_aligned_end() -> None:
    bm = UnacceptedBitmap([(0, 16 * MiB)])
    got = bm.accept_memory(2 * MiB, 4 * MiB)
    assert list(got) == [(2 * MiB, 6 * MiB)]
    got = bm.accept_memory(8 * MiB, 9 * MiB)  # unaligned end: no guard unit
    assert list(got) == [(8 * MiB, 10 * MiB)]


def test_mask_of_selects_units_wholly_inside_ranges() -> None:
    bm = UnacceptedBitmap([(2 * MiB, 12 * MiB)])
    mask = bm.mask_of(RangeSet([(4 * MiB, 9 * MiB)]))
    assert mask.tolist() == [False, True, True, False, False]
    got = bm.accept_units(~mask)
    assert list(got) == [(2 * MiB, 4 * MiB), (8 * MiB, 12 * MiB)]
    assert bm.unaccepted_bytes == 4 * MiB


def test_first_blocks_takes_the_lowest_units_in_4m_steps() -> None:
    bm = UnacceptedBitmap([(2 * MiB, 12 * MiB)])
    assert bm.first_blocks(1).tolist() == [True, True, False, False, False]
    assert bm.first_blocks(64 * MiB).all()
