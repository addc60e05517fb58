"""Pictures: `sweep --plot` (boot time, usable memory and verdicts against
the swept parameter; over two parameters, one verdict map per combination)
and `matrix --plot` (the verdict matrix as a coloured grid).

matplotlib is an optional extra (`pip install 'uefi-accept[plot]'`) and is
imported only inside the functions that draw, only when a plot is asked for:
this module's constants (the verdict colours, used by the HTML report too) and
pure helpers import nothing heavy.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from uefi_accept.errors import InputError

if TYPE_CHECKING:
    from uefi_accept.analyses.matrix import CellResult, MatrixResult
    from uefi_accept.analyses.sweep import Curve, GridResult, SweepResult

FORMATS = (".svg", ".png", ".pdf")
INSTALL_HINT = "pip install 'uefi-accept[plot]'"

# One colour per verdict, in every picture (plots and the HTML report): a
# traffic light from fine to lost, black for a guest that never boots.
VERDICT_COLOURS = {
    "fast": "#2e9e44",
    "slow": "#f0a020",
    "degraded": "#c0309c",
    "timeout": "#8c4a1c",
    "oom": "#d62728",
    "crash": "#111111",
}
# Text drawn on a verdict's colour.
VERDICT_INK = {
    "fast": "#ffffff",
    "slow": "#000000",
    "degraded": "#ffffff",
    "timeout": "#ffffff",
    "oom": "#ffffff",
    "crash": "#ffffff",
}
# Neutral ink for what is not a verdict: references, legends, the RAM line.
_GREY = "#555555"
_RAM_BAND = "#bbbbbb"

_AXIS_LABEL = {
    "ram": "guest RAM",
    "pre_accept": "pre-accepted by firmware",
    "vcpus": "vCPUs",
}
# Verdicts after which the guest never reached a usable userspace: no boot time.
_NOT_BOOTED = ("oom", "crash")
# Line style, marker and width per group of identical curves: the first groups
# are drawn widest, so a thinner line on top of a wider one stays visible
# where two different groups happen to run together.
_GROUP_STYLES: tuple[tuple[Any, str, float], ...] = (
    ("-", "o", 3.4),
    ((0, (6, 2)), "s", 2.6),
    ((0, (1, 1.5)), "^", 2.2),
    ((0, (6, 2, 1, 2)), "D", 1.8),
    ((0, (3, 1, 1, 1, 1, 1)), "v", 1.5),
    ((0, (10, 3)), "P", 1.3),
    ((0, (2, 3)), "X", 1.2),
    ("-", "*", 1.0),
    ((0, (4, 1, 4, 4)), "h", 1.0),
)
_MARKERS_PER_CURVE = 14


def size_label(gib: float) -> str:
    """Axis label for a size in GiB: 512M, 4G, 16T."""
    for unit, factor in (("T", 1024.0), ("G", 1.0), ("M", 1 / 1024)):
        if gib >= factor:
            return f"{gib / factor:.4g}{unit}"
    return f"{gib * 1024 * 1024:.4g}K"


def time_label(s: float) -> str:
    """Axis label for a time: 500 ms, 10 s, 5 min, 2 h, 3 d."""
    if s == 0:
        return "0 s"
    if s < 1:
        return f"{s * 1000:.3g} ms"
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        return f"{s / 60:.3g} min"
    if s < 86400:
        return f"{s / 3600:.3g} h"
    return f"{s / 86400:.3g} d"


# Round times for a log axis, coarse to fine: the finest list that gives at
# most eight ticks inside the data is used.
_TIME_TICKS = (
    (1.0, 10.0, 60.0, 600.0, 3600.0, 36000.0, 86400.0, 864000.0),
    (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 3 * 3600.0, 36000.0)
    + (86400.0, 3 * 86400.0, 864000.0),
    (1.0, 2.0, 5.0, 10.0, 20.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 3600.0)
    + (3 * 3600.0, 6 * 3600.0, 12 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0),
)


def time_ticks(lo: float, hi: float) -> list[float]:
    """Round times between lo and hi (seconds) for a log axis; [] if none fit."""
    best: list[float] = []
    for candidates in _TIME_TICKS:
        ticks = [t for t in candidates if lo <= t <= hi]
        if len(ticks) <= 8 and len(ticks) >= len(best):
            best = ticks
    return best


def pow2_ticks(lo: float, hi: float, most: int = 9) -> list[float]:
    """Powers of two between lo and hi, every k-th (aligned, so 1G 16G 256G
    4T) to keep at most `most`."""
    if lo <= 0 or hi < lo:
        return []
    first, last = math.ceil(math.log2(lo) - 1e-9), math.floor(math.log2(hi) + 1e-9)
    if last < first:
        return []
    step = max(1, math.ceil((last - first + 1) / most))
    return [2.0**e for e in range(first, last + 1) if e % step == 0]


def nice_ticks(lo: float, hi: float, most: int = 6, least_step: float = 0.0) -> list[float]:
    """Round numbers between lo and hi (1, 2, 2.5 or 5 times a power of ten
    apart, no closer than `least_step`), at most `most` of them, for a range
    too narrow for powers of two."""
    if not 0 < lo < hi:
        return [lo] if lo == hi else []
    for e in range(math.floor(math.log10(hi - lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1.0, 2.0, 2.5, 5.0):
            step = m * 10.0**e
            if step < least_step:
                continue
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            if last - first + 1 <= most:
                return [round(k * step, 12) for k in range(first, last + 1)]
    return [lo, hi]


def size_ticks(lo_gib: float, hi_gib: float) -> list[float]:
    """Ticks for a size axis in GiB: powers of two (1G 16G 256G 4T), or round
    sizes in a range that holds fewer than three of them (1G 1.2G 1.4G)."""
    ticks = pow2_ticks(lo_gib, hi_gib)
    if len(ticks) >= 3:
        return ticks
    if hi_gib < 1:  # whole MiB, what a sweep steps by
        return [t / 1024 for t in nice_ticks(lo_gib * 1024, hi_gib * 1024, least_step=1)]
    return nice_ticks(lo_gib, hi_gib)


def check_path(path: str) -> None:
    """Fail before any work on a file type or place we cannot write."""
    from uefi_accept.inputs.files import output_target

    output_target(path, "--plot")
    if Path(path).suffix.lower() not in FORMATS:
        raise InputError(
            f"cannot tell the image format of {path!r}: end it in {', '.join(FORMATS)}",
            field="--plot",
        )


def require_matplotlib() -> Any:
    """Import matplotlib, or explain how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise InputError(
            f"--plot needs matplotlib, an optional extra: {INSTALL_HINT}", field="--plot"
        ) from None
    return matplotlib


def _save(fig: Any, path: str) -> None:
    """Write the figure, whole file or none, like every other output
    (inputs.files.atomic_write); no dates, so a figure is byte-identical for
    identical input (svg.hashsalt fixes the ids)."""
    from uefi_accept.inputs.files import atomic_write

    fmt = Path(path).suffix.lower()[1:]
    metadata: dict[str, Any] = {}
    if fmt == "svg":
        metadata = {"Date": None}
    elif fmt == "pdf":
        metadata = {"CreationDate": None, "ModDate": None}
    atomic_write(
        path,
        lambda tmp: fig.savefig(tmp, metadata=metadata, format=fmt),
        suffix=Path(path).suffix,
    )


def _rc() -> dict[str, Any]:
    return {"svg.hashsalt": "uefi-accept", "font.size": 9, "axes.titlesize": 9}


# -- sweep ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurveGroup:
    """Combinations whose curves are identical at every point (verdicts, boot
    times, usable memory and the changes): drawn once, named together."""

    curves: tuple[Curve, ...]

    @property
    def first(self) -> Curve:
        return self.curves[0]

    def label(self) -> str:
        """'deployed / unenlightened, enlightened' and one line per firmware."""
        by_fw: dict[str, list[str]] = {}
        for c in self.curves:
            by_fw.setdefault(c.firmware.name, []).append(c.kernel.name)
        return "\n".join(f"{fw} / {', '.join(ks)}" for fw, ks in by_fw.items())


def same_curve(a: Curve, b: Curve) -> bool:
    """Identical as drawn: the same verdicts and byte counts everywhere, the
    same changes, boot times equal but for float rounding (two firmware that
    accept the same memory at different steps sum the same times in another
    order)."""
    import numpy as np

    def close(x: float, y: float) -> bool:
        return math.isclose(x, y, rel_tol=1e-9)

    return (
        np.array_equal(a.verdicts, b.verdicts)
        and np.array_equal(a.boots.usable_bytes, b.boots.usable_bytes)
        and bool(np.allclose(a.boots.boot_time_s, b.boots.boot_time_s, rtol=1e-9, atol=0))
        and len(a.changes) == len(b.changes)
        and all(
            (x.last_before, x.first_after, x.after, x.usable_bytes)
            == (y.last_before, y.first_after, y.after, y.usable_bytes)
            and close(x.boot_time_s, y.boot_time_s)
            for x, y in zip(a.changes, b.changes, strict=True)
        )
    )


def group_curves(curves: Sequence[Curve]) -> list[CurveGroup]:
    """Identical curves together, in the order each group first appears."""
    groups: list[list[Curve]] = []
    for c in curves:
        home = next((g for g in groups if same_curve(g[0], c)), None)
        if home is None:
            groups.append([c])
        else:
            home.append(c)
    return [CurveGroup(tuple(g)) for g in groups]


def marker_indices(xs: Sequence[float], log: bool, group: int, groups: int) -> list[int]:
    """Which points of a curve get a marker: evenly spread along the axis as
    drawn, each group shifted by a fraction of the spacing, so groups that run
    together show their markers in turn instead of on top of each other."""
    if not xs:
        return []
    pos = [math.log(v) if log else v for v in xs]
    lo, hi = pos[0], pos[-1]
    count = min(_MARKERS_PER_CURVE, max(4, len(xs) // max(1, groups)))
    out: list[int] = []
    for k in range(count):
        if groups <= 1:  # both ends too
            target = lo + (hi - lo) * k / max(1, count - 1)
        else:
            target = lo + (hi - lo) * (k + group / groups) / count
        j = bisect.bisect_left(pos, target)  # the nearest point: j - 1 or j
        i = j - 1 if j == len(pos) or (j > 0 and target - pos[j - 1] <= pos[j] - target) else j
        if i not in out:
            out.append(i)
    return out


def _polyline(
    xs: list[float], ys: list[float], verdicts: list[str]
) -> list[tuple[list[float], list[float], str]]:
    """Runs of a curve in one verdict colour. A segment takes the colour of its
    right end, so the jump at a change is drawn in the new verdict's colour."""
    runs: list[tuple[list[float], list[float], str]] = []
    for i in range(1, len(xs)):
        v = verdicts[i]
        if runs and runs[-1][2] == v:
            runs[-1][0].append(xs[i])
            runs[-1][1].append(ys[i])
        else:
            runs.append(([xs[i - 1], xs[i]], [ys[i - 1], ys[i]], v))
    return runs


class _Point(NamedTuple):
    boot_time_s: float  # nan where the guest never boots
    usable_bytes: int
    lost_bytes: int
    verdict: str


def curve_points(result: SweepResult, curve: Curve) -> dict[int, _Point]:
    """The sweep points plus both sides of every change (the last value with
    the old verdict and the first with the new), so the picture shows each
    cliff where it is, not as a slope from the previous sweep point. The
    change sides come from one engine batch."""
    import numpy as np

    from uefi_accept.analyses.sweep import evaluate_points
    from uefi_accept.model.outcome import VERDICTS

    def points(xs: list[int], boots: Any, codes: Any) -> dict[int, _Point]:
        t, u = boots.boot_time_s.tolist(), boots.usable_bytes.tolist()
        lost = boots.lost_bytes.tolist()
        out = {}
        for i, x in enumerate(xs):
            v = str(VERDICTS[int(codes[i])])
            out[x] = _Point(t[i] if v not in _NOT_BOOTED else math.nan, u[i], lost[i], v)
        return out

    values = [int(v) for v in result.values.tolist()]
    pts = points(values, curve.boots, curve.verdicts)
    extra = sorted(
        {x for ch in curve.changes for x in (ch.last_before, ch.first_after)} - set(values)
    )
    if extra:
        boots, _, codes = evaluate_points(
            result.scenario,
            curve.firmware,
            curve.kernel,
            result.param,
            np.array(extra, dtype=np.int64),
        )
        pts |= points(extra, boots, codes)
    return dict(sorted(pts.items()))


def _segments(result: SweepResult, curve: Curve) -> list[tuple[float, float, str]]:
    """(start, end, verdict) along the swept axis, split at the changes."""
    lo, hi = float(result.values[0]), float(result.values[-1])
    out, start, v = [], lo, str(curve.verdict_list[0])
    for ch in curve.changes:
        edge = (ch.last_before + ch.first_after) / 2
        out.append((start, edge, v))
        start, v = edge, str(ch.after)
    out.append((start, hi, v))
    return out


def plot_sweep(result: SweepResult, path: str) -> None:
    """Write the sweep's figure to `path` (.svg, .png or .pdf): boot time,
    usable memory (against all of RAM) and a verdict strip per combination.

    Curves that are identical everywhere are drawn once, with every
    combination they stand for in the legend: offsets or jitter would draw
    values that were never computed, on log axes where they read as real
    differences. Every combination keeps its own row in the verdict strip.
    Lines and markers are coloured by verdict; each group of curves has its
    own dash, width and marker, its markers at other points than the others'.
    """
    check_path(path)
    matplotlib = require_matplotlib()
    with matplotlib.rc_context(_rc()):
        _save(_SweepFigure(result).draw(), path)


class _SweepFigure:
    def __init__(self, result: SweepResult) -> None:
        from uefi_accept.units import GiB

        self.r = result
        self.sizes_on_x = result.param != "vcpus"
        self.scale = GiB if self.sizes_on_x else 1
        self.x = result.values / self.scale
        self.x_lo, self.x_hi = float(self.x[0]), float(self.x[-1])
        self.log_x = self.sizes_on_x or self.x_hi / self.x_lo >= 32
        self.groups = group_curves(result.curves)
        self.any_lost = False
        self.change_x: set[float] = set()
        # Every value drawn on each y axis, for its limits.
        self.times: list[Any] = [result.reference_s]
        self.usable: list[Any] = []

    def draw(self) -> Any:
        from matplotlib.figure import Figure

        rows = len(self.r.curves)
        fig = Figure(figsize=(11, 7.2 + 0.26 * rows), layout="constrained")
        self.ax_t, self.ax_u, self.ax_s = fig.subplots(
            3, 1, sharex=True, height_ratios=(3.0, 3.0, 0.4 + 0.26 * rows)
        )
        self.references()
        for gi, group in enumerate(self.groups):
            self.group(gi, group)
        for cx in sorted(self.change_x):
            for ax in (self.ax_t, self.ax_u, self.ax_s):
                ax.axvline(cx, color="#888888", linewidth=0.7, linestyle=(0, (2, 2)), zorder=0)
        self.strip()
        self.axes()
        self.legends(fig)
        from uefi_accept.render.views import sweep_title

        fig.suptitle(
            f"{sweep_title(self.r)}\n"
            "line and marker colour: the verdict; dashed grey: where a verdict changes; "
            "oom and crash points have no boot time",
            fontsize=9.5,
        )
        return fig

    def references(self) -> None:
        """The lazy-acceptance reference boot, and the RAM line: usable memory
        can at best be all of RAM; a curve below it has lost the difference."""
        import numpy as np

        from uefi_accept.units import GiB

        r = self.r
        if r.param == "ram":
            self.ram = r.values / GiB
        else:
            self.ram = np.full(r.values.size, r.scenario.ram_bytes / GiB)
        self.usable.append(self.ram)
        self.ax_u.plot(
            self.x, self.ram, color=_RAM_BAND, linewidth=7, alpha=0.6, solid_capstyle="butt"
        )
        self.ax_t.plot(self.x, r.reference_s, color=_GREY, linewidth=1.0, linestyle=(0, (1, 2)))

    def group(self, gi: int, group: CurveGroup) -> None:
        """One group's lines, coloured by verdict, its lost memory, markers."""
        import numpy as np

        from uefi_accept.units import GiB

        curve = group.first
        style, marker, width = _GROUP_STYLES[gi % len(_GROUP_STYLES)]
        pts = curve_points(self.r, curve)
        xg = [x / self.scale for x in pts]
        times = [p.boot_time_s for p in pts.values()]
        usable = [p.usable_bytes / GiB if p.verdict != "crash" else math.nan for p in pts.values()]
        verdicts = [p.verdict for p in pts.values()]
        self.times.append(np.array(times, dtype=float))
        self.usable.append(np.array(usable, dtype=float))
        for ax, ys in ((self.ax_t, times), (self.ax_u, usable)):
            for rx, ry, verdict in _polyline(xg, ys, verdicts):
                ax.plot(
                    rx,
                    ry,
                    color=VERDICT_COLOURS[verdict],
                    linestyle=style,
                    linewidth=width,
                    solid_capstyle="butt",
                    zorder=2 + gi,
                )
        lost = np.array([p.lost_bytes > 0 for p in pts.values()], dtype=bool)
        if lost.any():
            self.lost(curve, xg, usable, lost)
        # Markers at some sweep points, each group at other points than the
        # others, so groups that run together do not hide each other's.
        idx = marker_indices(self.x.tolist(), self.log_x, gi, len(self.groups))
        at = [str(curve.verdict_list[i]) for i in idx]
        for ax, values, drawn in (
            (self.ax_t, curve.boots.boot_time_s, _NOT_BOOTED),
            (self.ax_u, curve.boots.usable_bytes / GiB, ("crash",)),
        ):
            keep = [i for i, v in zip(idx, at, strict=True) if v not in drawn]
            ax.scatter(
                self.x[keep],
                values[keep],
                marker=marker,
                s=26,
                c=[VERDICT_COLOURS[str(curve.verdict_list[i])] for i in keep],
                edgecolors="#222222",
                linewidths=0.6,
                zorder=20 + gi,
            )
        # Each change: a bigger marker on the new verdict's side; where the
        # line stops (the guest no longer boots), a cross in the new
        # verdict's colour at its last point.
        for ch in curve.changes:
            cx, after = ch.first_after / self.scale, str(ch.after)
            before = pts[ch.last_before]
            self.change_x.add(cx)
            for ax, y, y_before, drawn in (
                (self.ax_t, ch.boot_time_s, before.boot_time_s, _NOT_BOOTED),
                (self.ax_u, ch.usable_bytes / GiB, before.usable_bytes / GiB, ("crash",)),
            ):
                stops = after in drawn and before.verdict not in drawn
                if after in drawn and not stops:
                    continue
                ax.scatter(
                    [cx],
                    [y_before if stops else y],
                    marker="X" if stops else marker,
                    s=70 if stops else 48,
                    c=VERDICT_COLOURS[after],
                    edgecolors="#ffffff" if stops else "#000000",
                    linewidths=1.0,
                    zorder=40,
                )

    def lost(self, curve: Curve, xg: list[float], usable: list[float], lost: Any) -> None:
        """Memory lost: the gap between the curve and all of RAM, shaded."""
        import numpy as np

        from uefi_accept.units import format_size

        self.any_lost = True
        ram = np.array(xg) if self.r.param == "ram" else np.full(len(xg), self.ram[0])
        self.ax_u.fill_between(
            xg,
            np.array(usable, dtype=float),
            ram,
            where=lost,
            color=VERDICT_COLOURS["degraded"],
            alpha=0.10,
            linewidth=0,
            zorder=1,
        )
        lost_end = int(curve.boots.lost_bytes[-1])
        if lost[-1] and lost_end and math.isfinite(usable[-1]):
            self.ax_u.text(
                xg[-1],
                math.sqrt(usable[-1] * float(ram[-1])),
                f"{format_size(lost_end)} lost ",
                ha="right",
                va="center",
                fontsize=7.5,
                color=VERDICT_COLOURS["degraded"],
            )

    def strip(self) -> None:
        """The verdict strip: one row per combination, every one of them."""
        from uefi_accept.render.views import curve_name, exact_value

        ax, scale = self.ax_s, self.scale
        span = (math.log(self.x_hi / self.x_lo) if self.log_x else (self.x_hi - self.x_lo)) or 1.0
        for row, curve in enumerate(self.r.curves):
            for start, end, verdict in _segments(self.r, curve):
                a, b = start / scale, end / scale
                ax.broken_barh(
                    [(a, b - a)],
                    (row - 0.4, 0.8),
                    facecolors=VERDICT_COLOURS[verdict],
                    edgecolors="white",
                    linewidths=0.5,
                )
                if (math.log(b / a) if self.log_x else b - a) / span > 0.07:
                    mid = math.sqrt(a * b) if self.log_x else (a + b) / 2
                    ax.text(
                        mid,
                        row,
                        verdict,
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=VERDICT_INK[verdict],
                    )
            for ch in curve.changes:
                ax.text(
                    ch.first_after / scale,
                    row + 0.42,
                    " " + exact_value(self.r.param, ch.first_after),
                    ha="left",
                    va="bottom",
                    fontsize=6,
                    color=VERDICT_INK[str(ch.after)],
                    clip_on=True,
                )
        rows = len(self.r.curves)
        ax.set_ylim(rows - 0.5, -0.5)
        ax.set_yticks(range(rows), [curve_name(c) for c in self.r.curves])
        ax.tick_params(axis="y", length=0, labelsize=7.5)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title("verdict of each combination", loc="left", fontsize=8.5)
        ax.set_xlabel(_AXIS_LABEL[self.r.param])

    def axes(self) -> None:
        """Binary sizes (1G, 16T) and round times (10 s, 5 min), never 10^x."""
        import numpy as np
        from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

        lo, hi = self.x_lo, self.x_hi
        if self.log_x:
            pad = (hi / lo) ** 0.012
            self.ax_t.set_xscale("log", base=2)
            self.ax_t.set_xlim(lo / pad, hi * pad)
        else:
            self.ax_t.set_xlim(lo - 0.5, hi + 0.5)
        xaxis = self.ax_s.xaxis
        if self.sizes_on_x:
            xaxis.set_major_locator(FixedLocator(size_ticks(lo, hi)))
            xaxis.set_major_formatter(FuncFormatter(lambda v, _p: size_label(v)))
        elif self.log_x:
            xaxis.set_major_locator(FixedLocator(pow2_ticks(lo, hi)))
            xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
        else:
            xaxis.set_major_locator(MaxNLocator(integer=True))
        xaxis.set_minor_locator(NullLocator())

        t = np.concatenate(self.times)
        t = t[np.isfinite(t) & (t > 0)]
        t_lo, t_hi = (float(t.min()), float(t.max())) if t.size else (1.0, 10.0)
        yaxis = self.ax_t.yaxis
        if t_hi / t_lo >= 3:
            self.ax_t.set_yscale("log")
            self.ax_t.set_ylim(t_lo / 1.25, t_hi * 1.25)
            ticks = time_ticks(t_lo / 1.25, t_hi * 1.25)
            if len(ticks) >= 2:
                yaxis.set_major_locator(FixedLocator(ticks))
            yaxis.set_minor_locator(NullLocator())
        else:  # a narrow range reads better on a linear axis from zero
            self.ax_t.set_ylim(0, t_hi * 1.1)
        yaxis.set_major_formatter(FuncFormatter(lambda v, _p: time_label(v)))

        u = np.concatenate(self.usable)
        u = u[np.isfinite(u) & (u > 0)]
        u_lo, u_hi = float(u.min()) / 1.3, float(u.max()) * 1.3
        self.ax_u.set_yscale("log", base=2)
        self.ax_u.set_ylim(u_lo, u_hi)
        self.ax_u.yaxis.set_major_locator(FixedLocator(size_ticks(u_lo, u_hi)))
        self.ax_u.yaxis.set_minor_locator(NullLocator())
        self.ax_u.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: size_label(v)))

        self.ax_t.set_ylabel("boot time")
        self.ax_u.set_ylabel("usable memory")
        for ax in (self.ax_t, self.ax_u):
            ax.grid(True, which="major", alpha=0.3)

    def legends(self, fig: Any) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        self.ax_t.legend(
            [Line2D([], [], color=_GREY, linewidth=1.0, linestyle=(0, (1, 2)))],
            ["lazy-acceptance reference boot time"],
            loc="upper left",
            fontsize=7.5,
            framealpha=0.85,
        )
        handles: list[Any] = [Line2D([], [], color=_RAM_BAND, linewidth=7, alpha=0.6)]
        labels = ["all RAM (usable = RAM)" if self.r.param == "ram" else "all RAM"]
        if self.any_lost:
            handles.append(Patch(color=VERDICT_COLOURS["degraded"], alpha=0.2))
            labels.append("memory lost")
        self.ax_u.legend(handles, labels, loc="upper left", fontsize=7.5, framealpha=0.85)
        self.ax_s.legend(
            [Patch(color=c) for c in VERDICT_COLOURS.values()],
            list(VERDICT_COLOURS),
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=len(VERDICT_COLOURS),
            fontsize=7.5,
            frameon=False,
            handlelength=1.2,
            columnspacing=1.2,
            borderaxespad=0.1,
        )
        curves = []
        for gi in range(len(self.groups)):
            style, marker, width = _GROUP_STYLES[gi % len(_GROUP_STYLES)]
            curves.append(
                Line2D(
                    [],
                    [],
                    color="#333333",
                    linestyle=style,
                    linewidth=min(width, 2.4),
                    marker=marker,
                    markerfacecolor="white",
                    markeredgecolor="#222222",
                )
            )
        fig.legend(
            curves,
            [g.label() for g in self.groups],
            loc="outside lower center",
            ncols=min(3, len(self.groups)),
            fontsize=7.5,
            title="curves: identical ones are drawn once, naming every combination they stand for",
            title_fontsize=7.5,
        )


# -- matrix -----------------------------------------------------------------------------


def cell_figures(cell: CellResult) -> list[str]:
    """A matrix cell's figures as short lines: the boot time (for a guest that
    never boots, when it stopped), usable memory and any memory lost."""
    from uefi_accept.units import format_size

    o = cell.outcome
    when = {"crash": "crashes at", "oom": "out of memory at"}.get(str(cell.verdict))
    time = f"{when} {o.boot_time_s:.1f} s" if when else f"{o.boot_time_s:.1f} s boot"
    lines = [time, f"{format_size(o.usable_bytes)} usable"]
    if o.lost_bytes:
        lines.append(f"{format_size(o.lost_bytes)} lost")
    return lines


def plot_matrix(result: MatrixResult, path: str) -> None:
    """Write the verdict matrix to `path` (.svg, .png or .pdf): firmware rows x
    kernel columns, each cell in its verdict's colour with its verdict, boot
    time and usable memory (and what was lost) written in it."""
    from uefi_accept.render.views import scenario_line

    check_path(path)
    matplotlib = require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    rows, cols = result.firmware, result.kernels
    cell_w, cell_h = 2.1, 1.0
    left = 1.3 + 0.07 * max(len(r) for r in rows)
    width = left + cell_w * len(cols) + 0.4
    height = 1.7 + cell_h * len(rows)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(max(width, 6.5), height), layout="constrained")
        ax = fig.subplots()
        for r, fw in enumerate(rows):
            for c, k in enumerate(cols):
                cell = result.cell(fw, k)
                verdict = str(cell.verdict)
                ax.add_patch(
                    Rectangle(
                        (c, r),
                        1,
                        1,
                        facecolor=VERDICT_COLOURS[verdict],
                        edgecolor="white",
                        linewidth=3,
                    )
                )
                ink = VERDICT_INK[verdict]
                ax.text(
                    c + 0.5,
                    r + 0.3,
                    verdict,
                    ha="center",
                    va="center",
                    color=ink,
                    fontsize=11,
                    fontweight="bold",
                )
                lines = cell_figures(cell)
                ax.text(
                    c + 0.5,
                    r + 0.62,
                    "\n".join(lines),
                    ha="center",
                    va="center",
                    color=ink,
                    fontsize=8,
                    linespacing=1.3,
                )
        ax.set_xlim(0, len(cols))
        ax.set_ylim(len(rows), 0)
        ax.set_xticks([c + 0.5 for c in range(len(cols))], cols)
        ax.set_yticks([r + 0.5 for r in range(len(rows))], rows)
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        # The corner names both axes, like the table's "firmware \\ kernel".
        ax.text(
            -0.06,
            -0.06,
            "firmware \\ kernel",
            ha="right",
            va="bottom",
            fontsize=8.5,
            color=_GREY,
            style="italic",
            clip_on=False,
        )
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_aspect(cell_h / cell_w)
        fig.suptitle(
            f"Verdict matrix: {scenario_line(result.scenario)}\n"
            f"lazy-acceptance reference boot time {result.reference_boot_time_s:.1f} s",
            fontsize=9.5,
        )
        fig.legend(
            [Patch(color=c) for c in VERDICT_COLOURS.values()],
            list(VERDICT_COLOURS),
            loc="outside lower center",
            ncols=len(VERDICT_COLOURS),
            fontsize=8,
            frameon=False,
        )
        _save(fig, path)


# -- grid (two swept parameters) --------------------------------------------------------


def grid_tick_label(param: str, value: int) -> str:
    from uefi_accept.render.views import short_size

    return str(value) if param == "vcpus" else short_size(value)


def plot_grid(result: GridResult, path: str) -> None:
    """Write one verdict map per combination to `path` (.svg, .png or .pdf):
    the first swept parameter across, the second up, each VM shape a cell in
    its verdict's colour. Panels sit like the matrix: firmware rows, kernel
    columns."""
    from uefi_accept.render.views import scenario_line

    check_path(path)
    matplotlib = require_matplotlib()
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from uefi_accept.model.outcome import VERDICTS

    fws = list(dict.fromkeys(c.firmware.name for c in result.curves))
    ks = list(dict.fromkeys(c.kernel.name for c in result.curves))
    cmap = ListedColormap([VERDICT_COLOURS[str(v)] for v in VERDICTS])
    nx, ny = result.x_values.size, result.y_values.size

    def ticks(param: str, values: Any, n: int) -> tuple[list[int], list[str]]:
        step = max(1, math.ceil(n / 6))
        idx = list(range(0, n, step))
        if idx[-1] != n - 1:
            idx.append(n - 1)
        return idx, [grid_tick_label(param, int(values[i])) for i in idx]

    xt, xl = ticks(result.x_param, result.x_values, nx)
    yt, yl = ticks(result.y_param, result.y_values, ny)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(2.6 * len(ks) + 1.2, 2.3 * len(fws) + 1.4), layout="constrained")
        axes = fig.subplots(len(fws), len(ks), squeeze=False, sharex=True, sharey=True)
        for c in result.curves:
            ax = axes[fws.index(c.firmware.name)][ks.index(c.kernel.name)]
            ax.imshow(
                c.verdicts,
                cmap=cmap,
                vmin=-0.5,
                vmax=len(VERDICTS) - 0.5,
                origin="lower",
                aspect="auto",
                interpolation="nearest",
            )
            ax.set_title(f"{c.firmware.name} / {c.kernel.name}", fontsize=8)
            ax.set_xticks(xt, xl, fontsize=7)
            ax.set_yticks(yt, yl, fontsize=7)
        for ax in axes[-1]:
            ax.set_xlabel(_AXIS_LABEL[result.x_param])
        for row in axes:
            row[0].set_ylabel(_AXIS_LABEL[result.y_param])
        from uefi_accept.analyses.sweep import PARAMS

        skip = {PARAMS[result.x_param][0], PARAMS[result.y_param][0]}
        scen = ", ".join(
            part
            for part in scenario_line(result.scenario).split(", ")
            if not (
                ("vcpus" in skip and part.endswith("vCPUs"))
                or ("ram_bytes" in skip and part.endswith(" RAM"))
            )
        )
        fig.suptitle(f"Verdict by VM shape: {scen}", fontsize=9.5)
        shown = sorted({int(v) for c in result.curves for v in set(c.verdicts.ravel().tolist())})
        fig.legend(
            [Patch(color=VERDICT_COLOURS[str(VERDICTS[i])]) for i in shown],
            [str(VERDICTS[i]) for i in shown],
            loc="outside lower center",
            ncols=len(shown),
            fontsize=8,
            frameon=False,
        )
        _save(fig, path)
