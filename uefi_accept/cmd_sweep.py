"""`uefi-accept validate` and `uefi-accept sweep`.

Only click is imported at module level; the model, numpy, rich and matplotlib
are imported inside the commands, so `uefi-accept --help` stays fast.
`sweep` takes the shared scenario options from the caller (`sweep_command`),
so it always offers exactly what `matrix` offers, with `--ram`, `--vcpus`
and `--pre-accept` widened to take a range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from uefi_accept.calibration import CalibrationRow
    from uefi_accept.sweep import Curve, SweepResult

VALIDATE_EPILOG = """\b
Exit codes:
  0  every measurement is reproduced within its tolerance
  1  some row is off by more than its tolerance
  2  usage error
  3  internal error (add --debug for the traceback)"""

SWEEP_EPILOG = """\b
Sweep one of --ram, --pre-accept or --vcpus over LOW..HIGH:
  uefi-accept sweep --ram 1G..16T --fw far-future --kernel unenlightened
  uefi-accept sweep --pre-accept 64M..4G --ram 64G
  uefi-accept sweep --vcpus 1..64 --platform tdx --host-page-size 4K
Sizes are log-spaced and rounded to whole MiB (the ends are kept exact);
vCPU counts are every integer, or log-spaced when there are more than
--points of them. Each verdict change is then located to 1 MiB (1 vCPU).

\b
Exit codes:
  0  success
  2  usage error or invalid input (bad range, unknown profile, no matplotlib)
  3  internal error (add --debug for the traceback)"""

# The sweepable scenario parameters and their options.
SWEEPABLE = {"ram": "--ram", "pre_accept": "--pre-accept", "vcpus": "--vcpus"}
MAX_VCPUS = 4096


class ToleranceType(click.ParamType):
    name = "FRACTION"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            tol = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"not a tolerance: {value!r} (use e.g. 0.1 or 10%)", param, ctx)
        if not math.isfinite(tol) or tol <= 0:
            self.fail(f"a tolerance must be a positive, finite number: {value!r}", param, ctx)
        return tol


# -- validate ------------------------------------------------------------------


@click.command(epilog=VALIDATE_EPILOG)
@click.option(
    "--platform",
    type=click.Choice(["snp", "tdx"]),
    default=None,
    help="Only this platform's measurements (default: all).",
)
@click.option(
    "--tolerance",
    type=ToleranceType(),
    default=None,
    help="Allowed relative error for every row, e.g. 0.1 or 10% "
    "(default: each row's own, 20% unless stated).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "text"]),
    default="table",
    show_default=True,
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
)
@click.pass_context
def validate(
    ctx: click.Context, platform: str | None, tolerance: float | None, fmt: str, output: str | None
) -> None:
    """The cost model against every published measurement it is built on.

    One row per measurement: source, conditions, measured figure, the model's
    figure (through the same engine and one cost model per platform) and the
    relative error. Exits 1 when any row is off by more than its tolerance."""
    from uefi_accept.calibration import calibrate
    from uefi_accept.cli import write_output
    from uefi_accept.errors import EXIT_CHANGED

    rows = [_validation_row(r, tolerance) for r in calibrate(platform)]
    renderer = {
        "table": _validation_table,
        "json": _validation_json,
        "markdown": _validation_markdown,
        "text": _validation_text,
    }[fmt]
    write_output(renderer(rows), output)
    if not all(r["ok"] for r in rows):
        ctx.exit(EXIT_CHANGED)


def _validation_row(row: CalibrationRow, tolerance: float | None) -> dict[str, Any]:
    m = row.measurement
    tol = m.tolerance if tolerance is None else tolerance
    return {
        "name": m.name,
        "platform": m.platform,
        "conditions": m.conditions,
        "source": m.source,
        "unit": m.unit,
        "measured": m.measured,
        "model": row.model,
        "error": row.error,
        "tolerance": tol,
        "ok": abs(row.error) <= tol,
    }


def _figure(value: float, unit: str) -> str:
    return f"{value:.2f}x" if unit == "x" else f"{value:.1f} {unit}"


def _pct(x: float, signed: bool = True) -> str:
    return f"{100 * x:+.1f}%" if signed else f"{100 * x:g}%"


def _verdict_line(rows: list[dict[str, Any]]) -> str:
    bad = sum(not r["ok"] for r in rows)
    if not bad:
        return f"All {len(rows)} rows are within tolerance."
    if bad == 1:
        return f"1 of {len(rows)} rows is off by more than its tolerance."
    return f"{bad} of {len(rows)} rows are off by more than their tolerance."


def _validation_json(rows: list[dict[str, Any]]) -> str:
    from uefi_accept.render import dump_json

    out = [
        {**r, "model": round(r["model"], 6), "error": round(r["error"], 6)}  # stable digits
        for r in rows
    ]
    return dump_json(
        {
            "schema_version": 1,
            "kind": "validation",
            "rows": out,
            "failed": sum(not r["ok"] for r in rows),
            "cost_models": _cost_models(),
        }
    )


def _cost_models() -> dict[str, dict[str, Any]]:
    from dataclasses import asdict

    from uefi_accept.cost import COST_MODELS

    return {name: asdict(m) for name, m in COST_MODELS.items()}


def _validation_text(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        status = "ok" if r["ok"] else "OFF"
        lines += [
            f"[{status}] {r['name']}: measured {_figure(r['measured'], r['unit'])}, "
            f"model {_figure(r['model'], r['unit'])}, error {_pct(r['error'])} "
            f"(tolerance {_pct(r['tolerance'], signed=False)})",
            f"    {r['platform'].upper()}: {r['conditions']}",
            f"    source: {r['source']}",
        ]
    lines += ["", _verdict_line(rows)]
    from uefi_accept.render import wrap_text

    return "\n".join(wrap_text(lines)) + "\n"


def _validation_table(rows: list[dict[str, Any]]) -> str:
    from io import StringIO

    from rich.table import Table
    from rich.text import Text

    from uefi_accept.render import string_console

    out = StringIO()
    console = string_console(out, width=140)
    table = Table(title="uefi-accept cost model vs published measurements", show_lines=True)
    table.add_column("measurement", style="bold", overflow="fold")
    table.add_column("conditions", overflow="fold")
    table.add_column("source", overflow="fold")
    for col in ("measured", "model", "error"):
        table.add_column(col, justify="right")
    table.add_column("result")
    for r in rows:
        table.add_row(
            r["name"],
            f"{r['platform'].upper()}: {r['conditions']}",
            r["source"],
            _figure(r["measured"], r["unit"]),
            _figure(r["model"], r["unit"]),
            _pct(r["error"]),
            Text(
                f"ok (±{_pct(r['tolerance'], signed=False)})"
                if r["ok"]
                else f"OFF (±{_pct(r['tolerance'], signed=False)})",
                style="bold green" if r["ok"] else "bold red",
            ),
        )
    console.print(table)
    console.print(_verdict_line(rows))
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _validation_markdown(rows: list[dict[str, Any]]) -> str:
    from uefi_accept.cost import COST_MODELS

    lines = [
        "# Validation against published measurements",
        "",
        "<!-- Generated by `uefi-accept validate --format markdown -o docs/validation.md`;"
        " do not edit by hand. -->",
        "",
        "Each row is a measurement published by the people who built or ran the",
        "feature, recomputed through the same engine and cost model that the matrix",
        "uses. One cost model per platform reproduces all of that platform's rows at",
        "once: there are no per-row factors. A row passes when the model's figure is",
        "within its tolerance of the measured one.",
        "",
        "| measurement | platform | conditions | source | measured | model | error | result |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        tol = _pct(r["tolerance"], signed=False)
        result = f"ok (±{tol})" if r["ok"] else f"**off** (±{tol})"
        lines.append(
            f"| {_md(r['name'])} | {r['platform'].upper()} | {_md(r['conditions'])} "
            f"| {_md(r['source'])} | {_figure(r['measured'], r['unit'])} "
            f"| {_figure(r['model'], r['unit'])} | {_pct(r['error'])} | {result} |"
        )
    lines += ["", _verdict_line(rows), "", "## The cost models", ""]
    lines += [
        "| platform | accept 2 MiB (s/GiB, 1 vCPU) | accept 4 KiB (s/GiB, 1 vCPU) "
        "| serial fraction | scales up to | firmware (s + s/GiB) | kernel (s + s/GiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in COST_MODELS.items():
        lines.append(
            f"| {name.upper()} | {m.accept_s_per_gib_2m:g} | {m.accept_s_per_gib_4k:.3g} "
            f"| {m.serial_fraction:.3f} | {m.max_parallel_vcpus} vCPUs "
            f"| {m.firmware_base_s:g} + {m.firmware_s_per_gib:g} "
            f"| {m.kernel_base_s:g} + {m.kernel_s_per_gib:g} |"
        )
    lines += [
        "",
        "Acceptance time is bytes / GiB x rate x (serial + (1 - serial) / min(vCPUs, cap)):",
        "Amdahl's law, capped where the measurements stop scaling. A host that backs",
        "private memory with 4 KiB pages turns each 2 MiB accept into 512 4 KiB ones",
        "(`--host-page-size 4K`).",
    ]
    return "\n".join(lines) + "\n"


# -- sweep ---------------------------------------------------------------------


def sweep_command(
    scenario_options: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> click.Command:
    """Build `sweep` on top of the CLI's shared scenario options."""

    def sweep(**kw: Any) -> None:
        _run_sweep(kw)

    sweep.__doc__ = """Verdicts of one or more combinations across a range of RAM sizes,
    pre-accepted sizes or vCPU counts, evaluated with numpy over all points at once.

    Prints where each combination's verdict changes, then verdict, boot time
    and usable memory per point. Give exactly one of --ram, --pre-accept or
    --vcpus as LOW..HIGH (e.g. --ram 1G..16T)."""
    f = scenario_options(sweep)
    params = getattr(f, "__click_params__", [])
    f.__click_params__ = [p for p in params if p.name not in SWEEPABLE]  # type: ignore[attr-defined]
    options = [
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
        click.option(
            "--points",
            type=click.IntRange(2, 100_000),
            default=None,
            help="Points in the sweep (default: 2 per doubling of size, at least 9; "
            "every vCPU count up to 64).",
        ),
        click.option(
            "--fw",
            "fw_refs",
            multiple=True,
            metavar="NAME_OR_PATH",
            help="Firmware (repeatable; default: the 3 built-in rows).",
        ),
        click.option(
            "--kernel",
            "kernel_refs",
            multiple=True,
            metavar="NAME_OR_PATH",
            help="Kernel (repeatable; default: the 3 built-in columns).",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["table", "text", "json", "csv", "markdown"]),
            default="table",
            show_default=True,
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False),
            help="Write to FILE instead of stdout.",
        ),
        click.option(
            "--plot",
            type=click.Path(dir_okay=False),
            default=None,
            help="Also draw boot time and usable memory to FILE.svg, .png or .pdf "
            "(needs: pip install 'uefi-accept[plot]').",
        ),
    ]
    for opt in reversed(options):
        f = opt(f)
    return click.command("sweep", epilog=SWEEP_EPILOG)(f)


def _parse_one(name: str, text: str) -> int:
    from uefi_accept.errors import InputError
    from uefi_accept.units import parse_size

    option = SWEEPABLE[name]
    text = text.strip()
    if name == "vcpus":
        if not text.isdigit() or not 1 <= int(text) <= MAX_VCPUS:
            raise InputError(f"not a vCPU count from 1 to {MAX_VCPUS}: {text!r}", field=option)
        return int(text)
    try:
        return parse_size(text)
    except ValueError as exc:
        raise InputError(str(exc), field=option) from None


def parse_sweep_options(kw: dict[str, Any]) -> tuple[str, int, int]:
    """Turn --ram/--pre-accept/--vcpus into scalars in `kw`, and return the one
    given as LOW..HIGH as (parameter, low, high); the low end goes into `kw`."""
    from uefi_accept.errors import InputError
    from uefi_accept.sweep import MAX_RAM

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
            raise InputError(f"a range goes from low to high: {text!r}", field=option)
        if name == "ram" and hi > MAX_RAM:
            raise InputError("more than 64T of RAM is beyond this model", field=option)
        ranges[name] = (lo, hi)
        kw[name] = lo
    if len(ranges) != 1:
        got = " and ".join(SWEEPABLE[n] for n in ranges)
        raise InputError(
            (f"sweep one parameter at a time, not {got}" if ranges else "nothing to sweep")
            + ": give one of --ram 1G..16T, --pre-accept 64M..4G or --vcpus 1..64",
            field=got.split(" and ")[0] if ranges else None,
        )
    (param, (lo, hi)) = next(iter(ranges.items()))
    return param, lo, hi


def _run_sweep(kw: dict[str, Any]) -> None:
    from uefi_accept.options import build_scenario, resolve_rows_and_columns, write_output
    from uefi_accept.sweep import sweep, sweep_values

    fw_refs, kernel_refs = kw.pop("fw_refs"), kw.pop("kernel_refs")
    fmt, output, plot, points = kw.pop("fmt"), kw.pop("output"), kw.pop("plot"), kw.pop("points")
    param, lo, hi = parse_sweep_options(kw)
    scenario = build_scenario(kw)  # checks the low end like any single scenario
    if plot is not None:
        from uefi_accept.plot import check_path, require_matplotlib

        check_path(plot)
        require_matplotlib()
    fws, ks = resolve_rows_and_columns(fw_refs, kernel_refs, scenario.platform)
    values = sweep_values(param, lo, hi, points)
    result = sweep(scenario, param, values, fws, ks)  # type: ignore[arg-type]
    renderer = {
        "table": sweep_table,
        "text": sweep_text,
        "json": sweep_json,
        "csv": sweep_csv,
        "markdown": sweep_markdown,
    }[fmt]
    text = renderer(result)
    if plot is not None:  # the plot first: a failed run leaves no text file behind
        from uefi_accept.plot import plot_sweep

        plot_sweep(result, plot)
    write_output(text, output)


# -- sweep renderers -----------------------------------------------------------

_PARAM_NAME = {"ram": "RAM", "pre_accept": "pre-accepted", "vcpus": "vCPUs"}
_CSV_COLUMN = {"ram": "ram_bytes", "pre_accept": "pre_accept_bytes", "vcpus": "vcpus"}


def exact_value(param: str, value: int) -> str:
    """A swept value exactly: 2816 MiB, 16 TiB, 3000 MiB + 1 KiB as 3072001 KiB."""
    if param == "vcpus":
        return f"{value} vCPU{'s' if value != 1 else ''}"
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if value % (1 << shift) == 0:
            return f"{value >> shift} {unit}"
    return f"{value} B"


def _approx_value(param: str, value: int) -> str:
    from uefi_accept.units import format_size

    return str(value) if param == "vcpus" else format_size(value)


def _short_size(n: int) -> str:
    from uefi_accept.units import GiB

    v = n / GiB
    return f"{v:.0f}G" if v >= 10 or v == int(v) else f"{v:.1f}G"


def _title(r: SweepResult) -> str:
    from uefi_accept.units import format_size

    s = r.scenario
    page = "4 KiB" if s.host_page_size < 2 * 1024 * 1024 else "2 MiB"
    parts = [s.platform.upper()]
    if r.param != "ram":
        parts.append(f"{format_size(s.ram_bytes)} RAM")
    if r.param != "vcpus":
        parts.append(f"{s.vcpus} vCPUs")
    parts += [f"{s.layout} layout", str(s.loader), f"host pages {page}"]
    if r.param != "pre_accept" and s.pre_accept:
        parts.append(f"pre-accept {format_size(s.pre_accept)}")
    lo, hi = int(r.values[0]), int(r.values[-1])
    span = f"{exact_value(r.param, lo)} .. {exact_value(r.param, hi)}"
    return f"{_PARAM_NAME[r.param]} sweep, {span}, {r.values.size} points: " + ", ".join(parts)


def _name(c: Curve) -> str:
    return f"{c.firmware.name} / {c.kernel.name}"


def _segments(r: SweepResult, c: Curve) -> str:
    v, start = str(c.verdict_list[0]), int(r.values[0])
    parts = []
    for ch in c.changes:
        parts.append(f"{v} {exact_value(r.param, start)} .. {exact_value(r.param, ch.last_before)}")
        v, start = str(ch.after), ch.first_after
    if not c.changes:
        return f"{v} throughout"
    parts.append(f"{v} {exact_value(r.param, start)} .. {exact_value(r.param, int(r.values[-1]))}")
    return "; ".join(parts)


def _change_lines(r: SweepResult) -> list[tuple[str, list[str]]]:
    """Per combination: its verdict segments, and the reason at each change."""
    out = []
    for c in r.curves:
        reasons = [f"at {exact_value(r.param, ch.first_after)}: {ch.reason}" for ch in c.changes]
        out.append((f"{_name(c)}: {_segments(r, c)}", reasons))
    return out


def _step(r: SweepResult) -> str:
    return "1 vCPU" if r.param == "vcpus" else "1 MiB"


def _footer(r: SweepResult) -> list[str]:
    n = r.engine_points
    if not n:
        return []
    return [f"{n} point(s) outside the closed form were computed by the step engine."]


def _cell(c: Curve, i: int) -> str:
    return (
        f"{c.verdict_list[i]} {c.boots.boot_time_s[i]:.1f}s "
        f"{_short_size(int(c.boots.usable_bytes[i]))}"
    )


# ANSI colours of render.VERDICT_STYLE, for the grid below: rich lays out
# about a thousand table rows a second, and a sweep can have 100,000.
_ANSI = {
    "fast": "\x1b[1;32m",
    "slow": "\x1b[1;33m",
    "degraded": "\x1b[1;35m",
    "oom": "\x1b[1;31m",
    "crash": "\x1b[1;37;41m",
}
_RESET = "\x1b[0m"

Cell = tuple[str, str | None]  # text, and the verdict it starts with


def _grid(r: SweepResult) -> tuple[list[list[str]], list[list[Cell]]]:
    """Header lines and rows of the per-point table."""
    from uefi_accept.units import format_size

    label = _PARAM_NAME[r.param]
    values = r.values.tolist()
    if len(r.curves) == 1:
        c = r.curves[0]
        verdicts, b = c.verdict_list, c.boots
        head = [[label, "verdict", "boot time", "lazy ref", "usable", "lost"]]
        rows: list[list[Cell]] = [
            [
                (_approx_value(r.param, x), None),
                (str(verdicts[i]), str(verdicts[i])),
                (f"{b.boot_time_s[i]:.1f} s", None),
                (f"{r.reference_s[i]:.1f} s", None),
                (format_size(int(b.usable_bytes[i])), None),
                (format_size(int(b.lost_bytes[i])), None),
            ]
            for i, x in enumerate(values)
        ]
        return head, rows
    # Firmware over kernel in two header lines keeps nine columns narrow.
    head = [[label, *(c.firmware.name for c in r.curves)], ["", *(c.kernel.name for c in r.curves)]]
    columns = [
        [
            (f"{v} {t:.1f}s {_short_size(u)}", str(v))
            for v, t, u in zip(
                c.verdict_list,
                c.boots.boot_time_s.tolist(),
                c.boots.usable_bytes.tolist(),
                strict=True,
            )
        ]
        for c in r.curves
    ]
    rows = [
        [(_approx_value(r.param, x), None), *(col[i] for col in columns)]
        for i, x in enumerate(values)
    ]
    return head, rows


def _grid_lines(r: SweepResult, colour: bool) -> list[str]:
    head, rows = _grid(r)
    widths = [max(len(h[k]) for h in head) for k in range(len(head[0]))]
    for row in rows:
        for k, (text, _) in enumerate(row):
            widths[k] = max(widths[k], len(text))

    def cell(text: str, verdict: str | None, width: int, right: bool) -> str:
        padded = text.rjust(width) if right else text.ljust(width)
        if colour and verdict:
            return padded.replace(verdict, f"{_ANSI[verdict]}{verdict}{_RESET}", 1)
        return padded

    def line(cells: list[Cell]) -> str:
        parts = zip(cells, widths, strict=True)
        return " | ".join(cell(t, v, w, k == 0) for k, ((t, v), w) in enumerate(parts)).rstrip()

    lines = []
    for h in head:
        text = line([(x, None) for x in h])
        lines.append(f"\x1b[1m{text}{_RESET}" if colour else text)
    lines.append("-+-".join("-" * w for w in widths))
    lines += [line(row) for row in rows]
    if len(r.curves) > 1:
        lines += ["", "cell: verdict, boot time, usable memory"]
    return lines


def _sweep_lines(r: SweepResult, colour: bool) -> list[str]:
    bold, dim = ("\x1b[1m", "\x1b[2m") if colour else ("", "")
    end = _RESET if colour else ""
    lines = [f"{bold}{_title(r)}{end}", "", f"Where the verdict changes (to {_step(r)}):"]
    for summary, reasons in _change_lines(r):
        lines.append(f"  {summary}")
        lines += [f"      {dim}{x}{end}" for x in reasons]
    lines.append("")
    lines += _grid_lines(r, colour)
    lines += _footer(r)
    return lines


def sweep_text(r: SweepResult) -> str:
    """Plain ASCII, no colour, under 80 columns."""
    from uefi_accept.render import wrap_text

    return "\n".join(wrap_text(_sweep_lines(r, colour=False))) + "\n"


def sweep_table(r: SweepResult) -> str:
    """The terminal view: the text layout with coloured verdicts."""
    return "\n".join(_sweep_lines(r, colour=True)) + "\n"


def sweep_dict(r: SweepResult) -> dict[str, Any]:
    from uefi_accept.sweep import PARAMS

    scenario = r.scenario.to_dict()
    scenario[PARAMS[r.param][0]] = None  # swept: see "values"
    combos = []
    for c in r.curves:
        b = c.boots
        combos.append(
            {
                "firmware": c.firmware.name,
                "kernel": c.kernel.name,
                "verdict": [str(v) for v in c.verdict_list],
                "boot_time_s": [round(float(x), 6) for x in b.boot_time_s],
                "usable_bytes": b.usable_bytes.tolist(),
                "accepted_bytes": b.accepted_bytes.tolist(),
                "unaccepted_bytes": b.unaccepted_bytes.tolist(),
                "lost_bytes": b.lost_bytes.tolist(),
                "changes": [
                    {
                        "from": str(ch.before),
                        "to": str(ch.after),
                        "last_before": ch.last_before,
                        "first_after": ch.first_after,
                        "reason": ch.reason,
                    }
                    for ch in c.changes
                ],
            }
        )
    return {
        "schema_version": 1,
        "kind": "sweep",
        "parameter": r.param,
        "scenario": scenario,
        "values": r.values.tolist(),
        "reference_boot_time_s": [round(float(x), 6) for x in r.reference_s],
        "combinations": combos,
        "engine_points": r.engine_points,
        "profiles": {
            "firmware": _unique_profiles([c.firmware for c in r.curves]),
            "kernel": _unique_profiles([c.kernel for c in r.curves]),
        },
    }


def _unique_profiles(profiles: list[Any]) -> list[dict[str, Any]]:
    from uefi_accept.profiles import profile_to_dict

    seen: dict[str, Any] = {}
    for p in profiles:
        seen.setdefault(p.name, profile_to_dict(p))
    return list(seen.values())


def sweep_json(r: SweepResult) -> str:
    from uefi_accept.render import dump_json

    return dump_json(sweep_dict(r))


def sweep_csv(r: SweepResult) -> str:
    import csv
    from io import StringIO

    out = StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            _CSV_COLUMN[r.param],
            "firmware",
            "kernel",
            "verdict",
            "boot_time_s",
            "reference_boot_time_s",
            "usable_bytes",
            "accepted_bytes",
            "unaccepted_bytes",
            "lost_bytes",
        ]
    )
    for c in r.curves:
        b = c.boots
        verdicts = c.verdict_list
        for i, x in enumerate(r.values.tolist()):
            w.writerow(
                [
                    x,
                    c.firmware.name,
                    c.kernel.name,
                    str(verdicts[i]),
                    f"{b.boot_time_s[i]:.6f}",
                    f"{r.reference_s[i]:.6f}",
                    int(b.usable_bytes[i]),
                    int(b.accepted_bytes[i]),
                    int(b.unaccepted_bytes[i]),
                    int(b.lost_bytes[i]),
                ]
            )
    return out.getvalue()


def sweep_markdown(r: SweepResult) -> str:
    from uefi_accept.units import format_size

    lines = [f"**{_title(r)}**", "", f"Where the verdict changes (to {_step(r)}):", ""]
    for head, reasons in _change_lines(r):
        name, _, rest = head.partition(": ")
        lines.append(f"- **{_md(name)}**: {_md(rest)}")
        lines += [f"  - {_md(x)}" for x in reasons]
    lines += ["", f"| {_PARAM_NAME[r.param]} | " + " | ".join(_name(c) for c in r.curves) + " |"]
    lines.append("|---:|" + "---|" * len(r.curves))
    for i, x in enumerate(r.values):
        cells = [
            f"**{c.verdict_list[i]}** {c.boots.boot_time_s[i]:.1f} s, "
            f"{format_size(int(c.boots.usable_bytes[i]))}"
            for c in r.curves
        ]
        lines.append(f"| {_approx_value(r.param, int(x))} | " + " | ".join(cells) + " |")
    footer = _footer(r)
    if footer:
        lines += ["", *footer]
    return "\n".join(lines) + "\n"
