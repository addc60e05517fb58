"""`uefi-accept sweep --plot`: boot time and usable memory against the swept
parameter, one line per combination, verdict changes marked.

matplotlib is an optional extra (`pip install 'uefi-accept[plot]'`) and is
imported only here, only when a plot is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from uefi_accept.errors import InputError

if TYPE_CHECKING:
    from uefi_accept.analyses.sweep import SweepResult

FORMATS = (".svg", ".png", ".pdf")
INSTALL_HINT = "pip install 'uefi-accept[plot]'"

_AXIS_LABEL = {
    "ram": "guest RAM",
    "pre_accept": "pre-accepted by firmware",
    "vcpus": "vCPUs",
}
# Verdicts after which the guest never reached a usable userspace: no boot time.
_NOT_BOOTED = ("oom", "crash")


def _size_label(gib: float) -> str:
    """Axis label for a size in GiB: 512M, 4G, 16T."""
    for unit, factor in (("T", 1024.0), ("G", 1.0), ("M", 1 / 1024)):
        if gib >= factor:
            return f"{gib / factor:g}{unit}"
    return f"{gib * 1024 * 1024:g}K"


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


def plot_sweep(result: SweepResult, path: str) -> None:
    """Write the sweep's figure to `path` (.svg, .png or .pdf)."""
    import numpy as np

    check_path(path)
    matplotlib = require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from uefi_accept.units import GiB

    param = result.param
    scale = 1 if param == "vcpus" else GiB
    x = result.values / scale
    # Colour per firmware, line style and width per kernel: identical curves
    # (common: several cells accept the same memory) stay visible on top of
    # each other.
    fw_names = list(dict.fromkeys(c.firmware.name for c in result.curves))
    k_names = list(dict.fromkeys(c.kernel.name for c in result.curves))
    styles = [("-", 3.0), ("--", 2.0), (":", 1.4), ("-.", 1.0)]
    with matplotlib.rc_context({"svg.hashsalt": "uefi-accept", "font.size": 9}):
        fig = Figure(figsize=(10, 7.5), layout="constrained")
        ax_t, ax_u = fig.subplots(2, 1, sharex=True)
        ax_t.plot(
            x, result.reference_s, color="black", linewidth=0.8, alpha=0.6, label="lazy reference"
        )
        for curve in result.curves:
            label = f"{curve.firmware.name} / {curve.kernel.name}"
            color = f"C{fw_names.index(curve.firmware.name) % 10}"
            style, width = styles[k_names.index(curve.kernel.name) % len(styles)]
            verdicts = np.array([str(v) for v in curve.verdict_list])
            booted = ~np.isin(verdicts, _NOT_BOOTED)
            boot = np.where(booted, curve.boots.boot_time_s, np.nan)
            usable = np.where(verdicts != "crash", curve.boots.usable_bytes / GiB, np.nan)
            line_kw = {"color": color, "linestyle": style, "linewidth": width, "alpha": 0.85}
            ax_t.plot(x, boot, label=label, **line_kw)
            ax_u.plot(x, usable, **line_kw)
            for ch in curve.changes:
                cx = ch.first_after / scale
                for ax, y in (
                    (ax_t, ch.boot_time_s if str(ch.after) not in _NOT_BOOTED else np.nan),
                    (ax_u, ch.usable_bytes / GiB),
                ):
                    ax.axvline(cx, color=color, linewidth=0.6, linestyle=":")
                    if np.isfinite(y):
                        ax.plot([cx], [y], marker="o", color=color, markersize=4)
                ax_u.annotate(
                    str(ch.after),
                    (cx, ch.usable_bytes / GiB),
                    textcoords="offset points",
                    xytext=(3, 4),
                    fontsize=7,
                    color=color,
                )
        if param != "vcpus":
            ax_t.set_xscale("log", base=2)
        ax_t.set_yscale("log")
        ax_u.set_yscale("log", base=2)
        sizes = FuncFormatter(lambda v, _pos: _size_label(v))
        ax_u.yaxis.set_major_formatter(sizes)
        if param != "vcpus":
            ax_u.xaxis.set_major_formatter(sizes)
        ax_t.set_ylabel("boot time (s)")
        ax_u.set_ylabel("usable memory")
        ax_u.set_xlabel(_AXIS_LABEL[param])
        ax_t.grid(True, which="major", alpha=0.3)
        ax_u.grid(True, which="major", alpha=0.3)
        s = result.scenario
        ax_t.set_title(
            f"{s.platform.upper()}: boot time and usable memory against {_AXIS_LABEL[param]}\n"
            "dots and dotted lines: verdict changes; oom and crash points have no boot time",
            fontsize=9,
        )
        fig.legend(loc="outside lower center", ncols=min(3, len(result.curves) + 1), fontsize=7)
        metadata: dict[str, Any] = {"Date": None} if path.lower().endswith(".svg") else {}
        if path.lower().endswith(".pdf"):
            metadata = {"CreationDate": None, "ModDate": None}
        # Whole file or none, like every other output (cli.write_output).
        from uefi_accept.inputs.files import atomic_write

        fmt = Path(path).suffix.lower()[1:]
        atomic_write(
            path,
            lambda tmp: fig.savefig(tmp, metadata=metadata, format=fmt),
            suffix=Path(path).suffix,
        )
