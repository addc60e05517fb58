"""Two firmware builds (or two kernels) across a RAM range: where B is better
than A, where worse, and by how much, under each profile of the other side.

No physics here: every point is booted by `analyses.sweep.sweep`, with A and B
side by side in one sweep. The sweep locates each verdict change to 1 MiB;
a second pass (no refinement) boots every combination at those change points
as well, so each interval's figures are known at its exact ends. Between
verdict changes, a change of usable memory or boot time is located to the
sampled points only. Pure: no printing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from uefi_accept.analyses.sweep import PARAMS, Change, Curve, SweepResult, sweep
from uefi_accept.model.outcome import VERDICTS, Verdict
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile
from uefi_accept.model.scenario import Scenario
from uefi_accept.model.timeline import reason_sentence

Array = np.ndarray
Profile = FirmwareProfile | KernelProfile
Side = Literal["firmware", "kernel"]
Judgement = Literal["better", "worse", "same"]  # B against A
JUDGEMENTS: tuple[Judgement, ...] = ("better", "worse", "same")
# What decides, in this order: the verdict, then usable memory, then boot time.
VERDICT, USABLE, BOOT_TIME = "verdict", "usable_bytes", "boot_time_s"
DECIDERS = (VERDICT, USABLE, BOOT_TIME)
DEFAULT_TIME_RATIO = 1.05
_CODE = {"better": 0, "worse": 1, "same": 2}
_DECIDER_CODE = {VERDICT: 0, USABLE: 1, BOOT_TIME: 2}
_CRASH = Verdict.CRASH.rank


def judge(
    a_rank: Array,
    b_rank: Array,
    a_usable: Array,
    b_usable: Array,
    a_time: Array,
    b_time: Array,
    time_ratio: float,
) -> tuple[Array, Array]:
    """B against A at each point: judgement codes (better 0, worse 1, same 2)
    and what decided (verdict 0, usable memory 1, boot time 2, nothing -1).

    Lexicographic: a lower verdict rank is better (fast < slow < degraded <
    timeout < oom < crash); with the same verdict, more usable memory; then a
    boot more than `time_ratio` times shorter or longer. Two crashes are the
    same: a boot that never reaches userspace has no figures to compare.
    """
    judgement = np.full(a_rank.shape, _CODE["same"], dtype=np.int8)
    decided = np.full(a_rank.shape, -1, dtype=np.int8)
    open_ = np.ones(a_rank.shape, dtype=bool)

    def settle(better: Array, worse: Array, by: str) -> None:
        nonlocal open_
        for mask, code in ((better & open_, _CODE["better"]), (worse & open_, _CODE["worse"])):
            judgement[mask] = code
            decided[mask] = _DECIDER_CODE[by]
        open_ = open_ & ~(better | worse)

    settle(b_rank < a_rank, b_rank > a_rank, VERDICT)
    open_ &= a_rank != _CRASH  # both crashed: the same
    settle(b_usable > a_usable, b_usable < a_usable, USABLE)
    settle(
        (b_time > 0) & (a_time > time_ratio * b_time),
        (a_time > 0) & (b_time > time_ratio * a_time),
        BOOT_TIME,
    )
    return judgement, decided


@dataclass(frozen=True)
class Interval:
    """RAM sizes from `low` to `high` (both booted) where B stands the same way
    against A with the same verdicts. An exact end is a sweep end or lies next
    to the neighbouring interval's (1 MiB apart); an inexact one is a sampled
    point, the change lying between it and the neighbour's end."""

    judgement: Judgement
    low: int
    high: int
    low_exact: bool
    high_exact: bool
    a_verdict: Verdict
    b_verdict: Verdict
    decided_by: tuple[str, ...]  # DECIDERS that made B better or worse here, in order
    # min..max of B's boot time over A's, and of B's usable bytes minus A's, over
    # the points where neither crashed (None: every point has a crash).
    time_ratio: tuple[float, float] | None
    usable_difference: tuple[int, int] | None
    points: int  # points booted inside, sampled or change points
    a_reason: str  # why A has its verdict, at `low`
    b_reason: str


@dataclass(frozen=True)
class HeldComparison:
    """A against B with one profile of the other side held."""

    held: Profile
    a: Curve  # over the sampled points
    b: Curve
    ram: Array  # every point booted: the sampled ones and the change points
    sampled: Array  # bool per point: one of the sweep's points
    a_verdicts: tuple[Verdict, ...]
    b_verdicts: tuple[Verdict, ...]
    a_boot_time_s: Array
    b_boot_time_s: Array
    a_usable_bytes: Array
    b_usable_bytes: Array
    judgements: tuple[Judgement, ...]
    decided_by: tuple[str | None, ...]
    intervals: tuple[Interval, ...]

    @property
    def counts(self) -> dict[Judgement, int]:
        """How many of the sweep's sampled points B is better, worse, the same."""
        out = dict.fromkeys(JUDGEMENTS, 0)
        for j, s in zip(self.judgements, self.sampled.tolist(), strict=True):
            if s:
                out[j] += 1
        return out

    @property
    def worse(self) -> bool:
        return "worse" in self.judgements


@dataclass(frozen=True)
class CompareResult:
    side: Side  # what A and B are
    a: Profile
    b: Profile
    scenario: Scenario  # ram_bytes holds the first value
    values: Array  # the sampled RAM sizes
    time_ratio: float
    held: tuple[HeldComparison, ...]
    sweep: SweepResult  # over the sampled points, A and B under every held profile

    @property
    def other_side(self) -> Side:
        return "kernel" if self.side == "firmware" else "firmware"

    @property
    def worse(self) -> bool:
        """B is worse than A somewhere (--fail-if-worse exits 1)."""
        return any(h.worse for h in self.held)


def compare(
    scenario: Scenario,
    side: Side,
    a: Profile,
    b: Profile,
    held: list[Profile],
    values: Array,
    time_ratio: float = DEFAULT_TIME_RATIO,
) -> CompareResult:
    """A against B at every RAM size of `values`, under each held profile."""
    if side not in ("firmware", "kernel"):
        raise ValueError(f"cannot compare {side!r} profiles")
    if not held:
        raise ValueError("nothing held to compare under")
    if not time_ratio >= 1.0:
        raise ValueError(f"a time ratio is at least 1, got {time_ratio}")
    values = np.asarray(values, dtype=np.int64)
    fws, ks = ([a, b], held) if side == "firmware" else (held, [a, b])
    sampled = sweep(scenario, "ram", values, fws, ks)  # type: ignore[arg-type]
    curves = [_pair(sampled, side, i, len(held)) for i in range(len(held))]
    edges = {x for pair in curves for c in pair for ch in c.changes for x in _edges(ch)}
    extra = np.setdiff1d(np.fromiter(edges, np.int64, len(edges)), values)
    if extra.size:
        dense = sweep(
            scenario,
            "ram",
            np.union1d(values, extra),
            fws,  # type: ignore[arg-type]
            ks,  # type: ignore[arg-type]
            refine=False,
        )
    else:
        dense = sampled
    comparisons = tuple(
        _held(dense, held[i], curves[i], _pair(dense, side, i, len(held)), values, time_ratio)
        for i in range(len(held))
    )
    return CompareResult(side, a, b, scenario, values, time_ratio, comparisons, sampled)


def _edges(change: Change) -> tuple[int, int]:
    return (change.last_before, change.first_after)


def _pair(r: SweepResult, side: Side, i: int, n_held: int) -> tuple[Curve, Curve]:
    """A's and B's curves under the i-th held profile (the sweep runs firmware
    by firmware, every kernel within each)."""
    if side == "firmware":
        return r.curves[i], r.curves[n_held + i]
    return r.curves[2 * i], r.curves[2 * i + 1]


def _held(
    dense: SweepResult,
    held: Profile,
    sampled_pair: tuple[Curve, Curve],
    pair: tuple[Curve, Curve],
    values: Array,
    time_ratio: float,
) -> HeldComparison:
    a, b = pair
    ram = dense.values
    a_t, b_t = a.boots.boot_time_s, b.boots.boot_time_s
    a_u, b_u = a.boots.usable_bytes.astype(np.int64), b.boots.usable_bytes.astype(np.int64)
    codes, deciders = judge(a.verdicts, b.verdicts, a_u, b_u, a_t, b_t, time_ratio)
    judgements = tuple(JUDGEMENTS[int(c)] for c in codes)
    decided = tuple(DECIDERS[int(d)] if d >= 0 else None for d in deciders)
    # A run ends where the judgement or either verdict changes.
    key = np.stack([codes.astype(np.int64), a.verdicts, b.verdicts])
    starts = np.concatenate([[0], np.flatnonzero((key[:, 1:] != key[:, :-1]).any(axis=0)) + 1])
    ends = np.concatenate([starts[1:] - 1, [ram.size - 1]])
    gran = PARAMS["ram"][2]

    def next_to(lo: int, hi: int) -> bool:
        """No RAM size the sweep could boot lies between lo and hi."""
        return (lo // gran + 1) * gran >= hi

    intervals = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        crashed = (a.verdicts[s : e + 1] == _CRASH) | (b.verdicts[s : e + 1] == _CRASH)
        ok = ~crashed
        ratio = usable = None
        if ok.any():
            r = (b_t[s : e + 1] / np.where(a_t[s : e + 1] > 0, a_t[s : e + 1], np.nan))[ok]
            r = r[np.isfinite(r)]
            ratio = (float(r.min()), float(r.max())) if r.size else None
            d = (b_u[s : e + 1] - a_u[s : e + 1])[ok]
            usable = (int(d.min()), int(d.max()))
        intervals.append(
            Interval(
                judgement=judgements[s],
                low=int(ram[s]),
                high=int(ram[e]),
                low_exact=s == 0 or next_to(int(ram[s - 1]), int(ram[s])),
                high_exact=e == ram.size - 1 or next_to(int(ram[e]), int(ram[e + 1])),
                a_verdict=VERDICTS[int(a.verdicts[s])],
                b_verdict=VERDICTS[int(b.verdicts[s])],
                decided_by=tuple(d for d in DECIDERS if any(x == d for x in decided[s : e + 1])),
                time_ratio=ratio,
                usable_difference=usable,
                points=e - s + 1,
                a_reason=_reason(dense, a, s),
                b_reason=_reason(dense, b, s),
            )
        )
    return HeldComparison(
        held=held,
        a=sampled_pair[0],
        b=sampled_pair[1],
        ram=ram,
        sampled=np.isin(ram, values),
        a_verdicts=tuple(a.verdict_list),
        b_verdicts=tuple(b.verdict_list),
        a_boot_time_s=a_t,
        b_boot_time_s=b_t,
        a_usable_bytes=a_u,
        b_usable_bytes=b_u,
        judgements=judgements,
        decided_by=decided,
        intervals=tuple(intervals),
    )


def _reason(r: SweepResult, c: Curve, i: int) -> str:
    verdict = c.verdict_list[i]
    point = r.scenario_at(int(r.values[i]))
    return reason_sentence(verdict, c.boots.outcome(i), float(r.reference_s[i]), point)
