"""Sweeps: one scenario parameter over many values, and where verdicts change.

No physics here: every point is booted by the engine (`model.boot.simulate`)
as one batch per firmware x kernel combination. This module picks the grid,
finds each verdict change between neighbouring points and narrows it to 1 MiB
(or 1 vCPU) with more batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import msgspec
import numpy as np

from uefi_accept.model.boot import Boots, simulate
from uefi_accept.model.outcome import VERDICTS, Verdict
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile
from uefi_accept.model.ranges import round_up
from uefi_accept.model.scenario import Batch, Scenario
from uefi_accept.model.timeline import reason_sentence
from uefi_accept.model.verdict import reference_boot_times, verdict_codes
from uefi_accept.units import MiB

Array = np.ndarray

# The sweepable parameters: Scenario field, the CLI option, and the step a
# verdict change is located to.
PARAMS: dict[str, tuple[str, str, int]] = {
    "ram": ("ram_bytes", "--ram", MiB),
    "pre_accept": ("pre_accept", "--pre-accept", MiB),
    "vcpus": ("vcpus", "--vcpus", 1),
}


def sweep_values(param: str, lo: int, hi: int, points: int | None = None) -> Array:
    """The points of a sweep from lo to hi, both included, strictly increasing.

    Sizes are log-spaced and rounded to whole MiB (what `qemu -m` takes); the
    end points are kept exact. vCPUs: every integer when there are no more than
    `points` of them, else log-spaced integers. Rounding can merge points, so
    there may be fewer than asked for. Default: two sizes per doubling (at
    least 9), or every vCPU count up to 64 points.
    """
    if param not in PARAMS:
        raise ValueError(f"cannot sweep {param!r}")
    if not 0 < lo < hi:
        raise ValueError(f"a sweep needs 0 < low < high, got {lo}..{hi}")
    if param == "vcpus":
        n = points if points is not None else 64
        if hi - lo + 1 <= n:
            return np.arange(lo, hi + 1, dtype=np.int64)
        raw = np.rint(np.geomspace(lo, hi, n))
        gran = 1
    else:
        n = points if points is not None else max(9, round(2 * math.log2(hi / lo)) + 1)
        raw = np.rint(np.geomspace(lo, hi, n) / MiB) * MiB
        gran = MiB
    vals = np.clip(raw, lo, hi).astype(np.int64)
    vals = vals - vals % gran
    vals[0], vals[-1] = lo, hi
    return np.unique(np.clip(vals, lo, hi))


def batch_at(scenario: Scenario, param: str, values: Array) -> Batch:
    """The scenario at every value of the swept parameter."""
    field = PARAMS[param][0]
    if field == "ram_bytes":
        return Batch.over(scenario, ram=values)
    if field == "vcpus":
        return Batch.over(scenario, vcpus=values)
    return Batch.over(scenario, pre_accept=values)


def scenario_with(scenario: Scenario, param: str, value: int) -> Scenario:
    """The scenario at one value of the swept parameter."""
    field = PARAMS[param][0]
    if field == "ram_bytes":
        return msgspec.structs.replace(scenario, ram_bytes=int(value))
    if field == "vcpus":
        return msgspec.structs.replace(scenario, vcpus=int(value))
    return msgspec.structs.replace(scenario, pre_accept=int(value))


def evaluate_points(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    param: str,
    values: Array,
    reference_s: Array | None = None,
) -> tuple[Boots, Array, Array]:
    """Boots, reference boot times and verdict codes at `values` of `param`."""
    batch = batch_at(scenario, param, values)
    boots = simulate(batch, fw, kernel)
    if reference_s is None:
        reference_s = reference_boot_times(batch)
    return boots, reference_s, verdict_codes(boots, reference_s)


@dataclass(frozen=True)
class Change:
    """The verdict is `before` at `last_before` and `after` at `first_after`,
    adjacent values on the parameter's step (1 MiB or 1 vCPU, or a sweep end)."""

    index: int  # the sweep point before the change
    last_before: int
    first_after: int
    before: Verdict
    after: Verdict
    reason: str  # the reason at first_after
    boot_time_s: float
    usable_bytes: int


@dataclass(frozen=True)
class Curve:
    """One firmware x kernel combination across the sweep."""

    firmware: FirmwareProfile
    kernel: KernelProfile
    boots: Boots
    verdicts: Array
    changes: tuple[Change, ...]

    @cached_property
    def verdict_list(self) -> list[Verdict]:
        return [VERDICTS[int(c)] for c in self.verdicts]


@dataclass(frozen=True)
class SweepResult:
    scenario: Scenario  # the swept field holds the first value
    param: str
    values: Array
    reference_s: Array
    curves: tuple[Curve, ...]

    def scenario_at(self, value: int) -> Scenario:
        return scenario_with(self.scenario, self.param, value)


def _candidates(lo: Array, hi: Array, gran: int) -> tuple[Array, Array]:
    """Candidate values between lo and hi: lo, the multiples of gran strictly
    between, hi. Returns the first multiple and the count of candidates - 1."""
    first = (lo // gran + 1) * gran
    last = round_up(hi, gran) - gran
    inner = np.maximum(0, (last - first) // gran + 1)
    return first, inner + 1


def refine_changes(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    param: str,
    lo: Array,
    hi: Array,
    before: Array,
    ways: int = 16,
) -> tuple[Array, Array]:
    """Narrow each interval (lo, hi), where the verdict is `before` at lo and
    differs at hi, to adjacent values on the parameter's step: a `ways`-ary
    search, every interval in one batch per round. Where the verdict changes
    more than once inside an interval, this finds the first change."""
    gran = PARAMS[param][2]
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    first, top = _candidates(lo, hi, gran)
    jlo, jhi = np.zeros_like(lo), top.copy()

    def value(j: Array) -> Array:
        return np.where(j <= 0, lo, np.where(j >= top, hi, first + (j - 1) * gran))

    frac = np.arange(1, ways) / ways
    while True:
        width = jhi - jlo
        active = width > 1
        if not active.any():
            break
        idx = np.flatnonzero(active)
        probe = jlo[idx, None] + np.floor(width[idx, None] * frac).astype(np.int64)
        probe = np.maximum(probe, jlo[idx, None] + 1)
        vals = np.where(
            probe >= top[idx, None],
            hi[idx, None],
            first[idx, None] + (probe - 1) * gran,
        )
        _, _, v = evaluate_points(scenario, fw, kernel, param, vals.ravel())
        differs = v.reshape(vals.shape) != before[idx, None]
        any_diff = differs.any(axis=1)
        k = np.argmax(differs, axis=1)
        rows = np.arange(idx.size)
        new_hi = np.where(any_diff, probe[rows, k], jhi[idx])
        prev = np.where(k > 0, probe[rows, np.maximum(k - 1, 0)], jlo[idx])
        new_lo = np.where(any_diff, prev, probe[:, -1])
        jlo[idx], jhi[idx] = new_lo, new_hi
    return value(jlo), value(jhi)


def sweep(
    scenario: Scenario,
    param: str,
    values: Array,
    firmwares: list[FirmwareProfile],
    kernels: list[KernelProfile],
    refine: bool = True,
) -> SweepResult:
    """Every firmware x kernel combination at every value of `param`."""
    if param not in PARAMS:
        raise ValueError(f"cannot sweep {param!r}")
    values = np.asarray(values, dtype=np.int64)
    reference_s = reference_boot_times(batch_at(scenario, param, values))
    curves = []
    for fw in firmwares:
        for kernel in kernels:
            boots, _, verdicts = evaluate_points(scenario, fw, kernel, param, values, reference_s)
            changes = _changes(scenario, fw, kernel, param, values, verdicts, refine)
            curves.append(Curve(fw, kernel, boots, verdicts, changes))
    return SweepResult(scenario, param, values, reference_s, tuple(curves))


def _changes(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    param: str,
    values: Array,
    verdicts: Array,
    refine: bool,
) -> tuple[Change, ...]:
    """Every change between neighbouring sweep points, refined; where one
    interval holds more than one change, each is found in turn."""
    idx = np.flatnonzero(verdicts[1:] != verdicts[:-1])
    # Work list: sweep interval, bounds, verdict at the low and at the high end.
    which, lo, hi = idx, values[idx], values[idx + 1]
    v_lo, v_hi = verdicts[idx], verdicts[idx + 1]
    found: list[Change] = []
    while which.size:
        if refine:
            lo, hi = refine_changes(scenario, fw, kernel, param, lo, hi, v_lo)
        boots, ref, after = evaluate_points(scenario, fw, kernel, param, hi)
        for j, i in enumerate(which):
            verdict = VERDICTS[int(after[j])]
            point = scenario_with(scenario, param, int(hi[j]))
            outcome = boots.outcome(j)
            found.append(
                Change(
                    index=int(i),
                    last_before=int(lo[j]),
                    first_after=int(hi[j]),
                    before=VERDICTS[int(v_lo[j])],
                    after=verdict,
                    reason=reason_sentence(verdict, outcome, float(ref[j]), point),
                    boot_time_s=outcome.boot_time_s,
                    usable_bytes=outcome.usable_bytes,
                )
            )
        # A first change to another verdict than the one at the interval's end:
        # look again between the change and that end.
        more = after != v_hi
        original_hi = values[which + 1]
        which, lo, hi = which[more], hi[more], original_hi[more]
        v_lo, v_hi = after[more], v_hi[more]
    found.sort(key=lambda c: (c.index, c.first_after))
    return tuple(found)


# -- two parameters at once: a grid of VM shapes ---------------------------------------


@dataclass(frozen=True)
class GridCurve:
    """One combination over the grid: arrays of shape (len(y), len(x))."""

    firmware: FirmwareProfile
    kernel: KernelProfile
    verdicts: Array
    boot_time_s: Array
    usable_bytes: Array

    def verdict_at(self, iy: int, ix: int) -> Verdict:
        return VERDICTS[int(self.verdicts[iy, ix])]


@dataclass(frozen=True)
class GridResult:
    scenario: Scenario  # the swept fields hold the first values
    x_param: str
    y_param: str
    x_values: Array
    y_values: Array
    reference_s: Array
    curves: tuple[GridCurve, ...]

    def counts(self, curve: GridCurve) -> dict[Verdict, int]:
        codes, n = np.unique(curve.verdicts, return_counts=True)
        return {VERDICTS[int(c)]: int(k) for c, k in zip(codes, n, strict=True)}


def grid_batch(
    scenario: Scenario, x_param: str, x: Array, y_param: str, y: Array
) -> tuple[Batch, tuple[int, int]]:
    """Every (x, y) pair as one batch, y-major: point iy * len(x) + ix."""
    xs, ys = np.meshgrid(np.asarray(x, np.int64), np.asarray(y, np.int64))
    points: dict[str, Array] = {}
    for param, values in ((x_param, xs.ravel()), (y_param, ys.ravel())):
        points[{"ram": "ram", "vcpus": "vcpus", "pre_accept": "pre_accept"}[param]] = values
    return Batch.over(scenario, **points), xs.shape


def sweep_grid(
    scenario: Scenario,
    x_param: str,
    x_values: Array,
    y_param: str,
    y_values: Array,
    firmwares: list[FirmwareProfile],
    kernels: list[KernelProfile],
) -> GridResult:
    """Every combination at every VM shape of the grid: one batch each."""
    if x_param == y_param or x_param not in PARAMS or y_param not in PARAMS:
        raise ValueError(f"cannot sweep {x_param!r} against {y_param!r}")
    batch, shape = grid_batch(scenario, x_param, x_values, y_param, y_values)
    reference_s = reference_boot_times(batch)
    curves = []
    for fw in firmwares:
        for kernel in kernels:
            boots = simulate(batch, fw, kernel)
            codes = verdict_codes(boots, reference_s)
            curves.append(
                GridCurve(
                    fw,
                    kernel,
                    codes.reshape(shape),
                    boots.boot_time_s.reshape(shape),
                    boots.usable_bytes.reshape(shape),
                )
            )
    return GridResult(
        scenario,
        x_param,
        y_param,
        np.asarray(x_values, np.int64),
        np.asarray(y_values, np.int64),
        reference_s.reshape(shape),
        tuple(curves),
    )
