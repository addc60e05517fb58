"""`uefi-accept sweep`: verdicts across a range of RAM, pre-accepted size or vCPUs.

The shared scenario options are reused, with --ram, --vcpus and --pre-accept
widened to take LOW..HIGH, so sweep always offers exactly what matrix offers.
"""

from __future__ import annotations

import re
from typing import Any

import click

from uefi_accept.cli.options import (
    EXIT_CODES_HELP,
    format_option,
    output_option,
    profile_options,
    scenario_options,
)
from uefi_accept.errors import InputError
from uefi_accept.render import Kind

SWEEP_HELP = """\b
Sweep one of --ram, --pre-accept or --vcpus over LOW..HIGH:
  uefi-accept sweep --ram 1G..16T --fw far-future --kernel unenlightened
  uefi-accept sweep --pre-accept 64M..4G --ram 64G
  uefi-accept sweep --vcpus 1..64 --platform tdx --host-page-size 4K
Sizes are log-spaced and rounded to whole MiB (the ends are kept exact);
vCPU counts are every integer, or log-spaced when there are more than
--points of them. Each verdict change is then located to 1 MiB (1 vCPU).
Give two ranges for a grid of VM shapes (7 x 7 unless --points):
  uefi-accept sweep --ram 4G..4T --vcpus 1..256 --platform snp

"""
SWEEPABLE = {"ram": "--ram", "pre_accept": "--pre-accept", "vcpus": "--vcpus"}
MAX_VCPUS = 4096
MAX_GRID_SHAPES = 250_000  # per combination: a few seconds of engine time
_ASCII_INT = re.compile(r"^[0-9]{1,6}$")


def _parse_one(name: str, text: str) -> int:
    from uefi_accept.units import parse_size

    option = SWEEPABLE[name]
    text = text.strip()
    if name == "vcpus":
        if not _ASCII_INT.match(text) or not 1 <= int(text) <= MAX_VCPUS:
            raise InputError(f"not a vCPU count from 1 to {MAX_VCPUS}: {text[:20]!r}", field=option)
        return int(text)
    try:
        return parse_size(text)
    except ValueError as exc:
        raise InputError(str(exc), field=option) from None


def parse_sweep_options(kw: dict[str, Any]) -> list[tuple[str, int, int]]:
    """Turn --ram/--pre-accept/--vcpus into scalars in `kw`, and return the ones
    given as LOW..HIGH as (parameter, low, high), in the order ram, pre_accept,
    vcpus (one: a sweep; two: a grid, the first across, the second down); each
    low end goes into `kw`."""
    ranges: dict[str, tuple[int, int]] = {}
    for name, option in SWEEPABLE.items():
        text = kw.get(name)
        if text is None:
            continue
        text = str(text)
        if ".." not in text:
            kw[name] = _parse_one(name, text)
            continue
        low_text, _, high_text = text.partition("..")
        lo, hi = _parse_one(name, low_text), _parse_one(name, high_text)
        if lo >= hi:
            raise InputError(f"a range goes from low to high: {text[:40]!r}", field=option)
        ranges[name] = (lo, hi)
        kw[name] = lo
    if not ranges or len(ranges) > 2:
        got = " and ".join(SWEEPABLE[n] for n in ranges)
        raise InputError(
            (f"sweep one or two parameters at a time, not {got}" if ranges else "nothing to sweep")
            + ": give one of --ram 1G..16T, --pre-accept 64M..4G or --vcpus 1..64, "
            "or two of them for a grid",
            field=got.split(" and ")[0] if ranges else None,
        )
    if "pre_accept" in ranges and "ram" in ranges and ranges["pre_accept"][1] > ranges["ram"][0]:
        raise InputError("more than the smallest VM's RAM", field="--pre-accept")
    return [(param, lo, hi) for param, (lo, hi) in ranges.items()]


def _range_options(func: Any) -> Any:
    """The scenario options with --ram, --pre-accept and --vcpus taking ranges."""
    params = [p for p in getattr(func, "__click_params__", []) if p.name not in SWEEPABLE]
    func.__click_params__ = params
    for opt in reversed(
        [
            click.option(
                "--ram",
                default="64G",
                show_default=True,
                metavar="SIZE|LOW..HIGH",
                help="RAM, or a range of RAM sizes to sweep (log-spaced).",
            ),
            click.option(
                "--pre-accept",
                default=None,
                metavar="SIZE|LOW..HIGH",
                help="Override what firmware that hands memory over pre-accepts, or a range.",
            ),
            click.option(
                "--vcpus",
                default="4",
                show_default=True,
                metavar="N|LOW..HIGH",
                help="vCPUs, or a range.",
            ),
        ]
    ):
        func = opt(func)
    return func


@click.command("sweep", epilog=SWEEP_HELP + EXIT_CODES_HELP)
@_range_options
@scenario_options
@click.option(
    "--points",
    type=click.IntRange(2, 100_000),
    default=None,
    help="Points in the sweep (default: 2 per doubling of size, at least 9; "
    "every vCPU count up to 64).",
)
@profile_options(
    "Firmware (repeatable; default: the 3 built-in rows).",
    "Kernel (repeatable; default: the 3 built-in columns).",
)
@format_option(Kind.SWEEP)
@output_option
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw boot time and usable memory to FILE.svg, .png or .pdf "
    "(needs: pip install 'uefi-accept[plot]').",
)
def sweep(**kw: Any) -> None:
    """Verdicts of one or more combinations across a range of RAM sizes,
    pre-accepted sizes or vCPU counts: one batch through the engine per
    combination.

    Prints where each combination's verdict changes, then verdict, boot time
    and usable memory per point. Give one of --ram, --pre-accept or --vcpus as
    LOW..HIGH (e.g. --ram 1G..16T), or two of them for a grid of VM shapes."""
    from uefi_accept.analyses.sweep import sweep as run_sweep
    from uefi_accept.analyses.sweep import sweep_values
    from uefi_accept.cli.common import build_scenario, emit, output_format, resolve_rows_and_columns
    from uefi_accept.model.scenario import max_ram

    fw_refs, kernel_refs = kw.pop("fw_refs"), kw.pop("kernel_refs")
    fmt, output, plot, points = kw.pop("fmt"), kw.pop("output"), kw.pop("plot"), kw.pop("points")
    swept = parse_sweep_options(kw)
    scenario = build_scenario(kw)  # checks the low ends like any single scenario
    for param, _, hi in swept:
        if param == "ram" and hi > max_ram(scenario.layout):
            raise InputError("beyond the 52-bit physical address limit", field="--ram")
        if param == "pre_accept" and "ram" not in kw_swept(swept) and hi > scenario.ram_bytes:
            raise InputError("more than the VM's RAM", field="--pre-accept")
    if plot is not None:
        from uefi_accept.render.plot import check_path, require_matplotlib

        check_path(plot)
        require_matplotlib()
    fws, ks = resolve_rows_and_columns(
        fw_refs, kernel_refs, scenario, accept_memory=kw.get("accept_memory")
    )
    if len(swept) == 2:
        _grid(scenario, swept, points, fws, ks, fmt, output, plot)
        return
    out_fmt = output_format(fmt, output, Kind.SWEEP)
    (param, lo, hi) = swept[0]
    result = run_sweep(scenario, param, sweep_values(param, lo, hi, points), fws, ks)
    if plot is not None:  # the plot first: a failed run leaves no text file behind
        from uefi_accept.render.plot import plot_sweep

        plot_sweep(result, plot)
    emit(Kind.SWEEP, result, out_fmt, output)


def kw_swept(swept: list[tuple[str, int, int]]) -> set[str]:
    return {param for param, _, _ in swept}


# A grid's default points per axis: a table that still fits 79 columns.
GRID_POINTS = 7


def _grid(
    scenario: Any,
    swept: list[tuple[str, int, int]],
    points: int | None,
    fws: Any,
    ks: Any,
    fmt: Any,
    output: str | None,
    plot: str | None,
) -> None:
    from uefi_accept.analyses.sweep import sweep_grid, sweep_values
    from uefi_accept.cli.common import emit, output_format

    out_fmt = output_format(fmt, output, Kind.GRID)
    (x_param, x_lo, x_hi), (y_param, y_lo, y_hi) = swept
    n = points if points is not None else GRID_POINTS
    if n * n > MAX_GRID_SHAPES:
        raise InputError(f"{n} x {n} VM shapes is more than {MAX_GRID_SHAPES}", field="--points")
    result = sweep_grid(
        scenario,
        x_param,
        sweep_values(x_param, x_lo, x_hi, n),
        y_param,
        sweep_values(y_param, y_lo, y_hi, n),
        list(fws),
        list(ks),
    )
    if plot is not None:
        from uefi_accept.render.plot import plot_grid

        plot_grid(result, plot)
    emit(Kind.GRID, result, out_fmt, output)
