"""Renderers: one function per output format, all fed the same results.

JSON is the contract: `schema_version`, sorted keys, indent 2, trailing
newline, no timestamps. The other formats carry the same facts.
"""

from __future__ import annotations

import json
import textwrap
from io import StringIO
from typing import Any

from uefi_accept.units import GiB, format_size
from uefi_accept.verdict import CellResult, MatrixResult

TEXT_WIDTH = 79
VERDICT_STYLE = {
    "fast": "bold green",
    "slow": "bold yellow",
    "degraded": "bold magenta",
    "oom": "bold red",
    "crash": "bold white on red",
}
LEGEND = {
    "fast": "boots about as fast as lazy acceptance allows, all memory usable",
    "slow": "all memory usable, boot >= {slow}x the lazy-acceptance time",
    "degraded": "boots, but less than {pct}% of RAM is usable (memory silently lost)",
    "oom": "too little usable memory when userspace starts",
    "crash": "touches unaccepted memory, accepts twice, or cannot run on the platform",
}


def string_console(out: StringIO, width: int = 120) -> Any:
    """A rich console that renders into `out`: colour only when stdout is a
    terminal (and NO_COLOR is unset), the terminal's width when there is one."""
    import os
    import shutil
    import sys

    from rich.console import Console

    tty = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if tty:
        width = max(80, shutil.get_terminal_size((width, 24)).columns)
    return Console(
        file=out,
        force_terminal=tty,
        no_color=not tty,
        width=width,
        color_system="standard" if tty else None,
    )


def renderer(module: Any, kind: str, fmt: str) -> Any:
    """The `{kind}_{fmt}` renderer of a renderer module (render, render_check)."""
    return getattr(module, f"{kind}_{fmt}")


def dump_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def scenario_line(result: MatrixResult | CellResult) -> str:
    s = result.scenario
    page = "4 KiB" if s.host_page_size < 2 * 1024 * 1024 else "2 MiB"
    extra = f", pre-accept {format_size(s.pre_accept)}" if s.pre_accept else ""
    return (
        f"{s.platform.upper()}, {format_size(s.ram_bytes)} RAM, {s.vcpus} vCPUs, "
        f"{s.layout} layout, {s.loader}, host pages {page}{extra}"
    )


def _legend_lines(result: MatrixResult | CellResult) -> list[tuple[str, str]]:
    s = result.scenario
    fill = {"slow": s.slow_ratio, "pct": round(s.degraded_fraction * 100)}
    return [(v, text.format(**fill)) for v, text in LEGEND.items()]


# -- matrix ---------------------------------------------------------------


def matrix_json(m: MatrixResult) -> str:
    return dump_json(m.to_dict())


def matrix_table(m: MatrixResult) -> str:
    from rich.table import Table
    from rich.text import Text

    out = StringIO()
    console = string_console(out)
    table = Table(title=scenario_line(m), show_lines=True)
    table.add_column("firmware \\ kernel", style="bold")
    for k in m.kernels:
        table.add_column(k, justify="center")
    for fw in m.firmware:
        row: list[Any] = [fw]
        for k in m.kernels:
            c = m.cell(fw, k)
            t = Text(str(c.verdict), style=VERDICT_STYLE[str(c.verdict)])
            t.append(f"\n{c.outcome.boot_time_s:.1f} s\n{format_size(c.outcome.usable_bytes)}")
            row.append(t)
        table.add_row(*row)
    console.print(table)
    console.print(f"lazy-acceptance reference: {m.reference_boot_time_s:.1f} s")
    for v, text in _legend_lines(m):
        console.print(Text(f"{v:>9}", style=VERDICT_STYLE[v]), Text(text))
    console.print()
    for c in m.cells:
        console.print(Text.assemble((f"{c.firmware} / {c.kernel}: ", "bold"), c.reason))
    return out.getvalue()


def _short_size(n: int) -> str:
    v = n / GiB
    if v < 1:
        return f"{n / (1 << 20):.0f}M"
    if v >= 1000:
        return f"{v / 1024:.1f}T"
    return f"{v:.0f}G" if v >= 10 or v == int(v) else f"{v:.1f}G"


def cell_summary(c: CellResult) -> str:
    t = c.outcome.boot_time_s
    time = f"{t:.0f}s" if t >= 100 else f"{t:.1f}s"
    return f"{c.verdict} {time} {_short_size(c.outcome.usable_bytes)}"


def _cell_facts_line(c: CellResult) -> str:
    o = c.outcome
    lost = f", lost {format_size(o.lost_bytes)}" if o.lost_bytes else ""
    return (
        f"{c.firmware} / {c.kernel}: {c.verdict}, {o.boot_time_s:.1f} s, "
        f"usable {format_size(o.usable_bytes)}{lost}. {c.reason}"
    )


def matrix_text(m: MatrixResult) -> str:
    """Plain ASCII, no colour, under 80 columns: pastes into a mail reply."""
    head = ["firmware \\ kernel", *m.kernels]
    rows = [[fw, *(cell_summary(m.cell(fw, k)) for k in m.kernels)] for fw in m.firmware]
    lines = [scenario_line(m), "", *ascii_table(head, rows)]
    lines += ["", "cell: verdict, boot time, usable memory", ""]
    lines += [f"{v:>9}: {text}" for v, text in _legend_lines(m)]
    lines += [f"lazy-acceptance reference: {m.reference_boot_time_s:.1f} s", ""]
    lines += [_cell_facts_line(c) for c in m.cells]
    return "\n".join(wrap_text(lines)) + "\n"


def matrix_markdown(m: MatrixResult) -> str:
    lines = [f"**{scenario_line(m)}**", ""]
    lines.append("| firmware \\ kernel | " + " | ".join(m.kernels) + " |")
    lines.append("|---|" + "---|" * len(m.kernels))
    for fw in m.firmware:
        cells = []
        for c in (m.cell(fw, k) for k in m.kernels):
            o = c.outcome
            lost = f", lost {format_size(o.lost_bytes)}" if o.lost_bytes else ""
            cells.append(
                f"**{c.verdict}** {o.boot_time_s:.1f} s, {format_size(o.usable_bytes)}{lost}"
            )
        lines.append(f"| {fw} | " + " | ".join(cells) + " |")
    lines += ["", f"Lazy-acceptance reference: {m.reference_boot_time_s:.1f} s.", ""]
    lines += [f"- `{v}`: {text}" for v, text in _legend_lines(m)]
    lines.append("")
    lines += [f"- **{c.firmware} / {c.kernel}**: {c.reason}" for c in m.cells]
    return "\n".join(lines) + "\n"


# -- one cell ---------------------------------------------------------------


def _figures(c: CellResult) -> list[tuple[str, str]]:
    o = c.outcome
    return [
        ("verdict", str(c.verdict)),
        ("boot time", f"{o.boot_time_s:.2f} s (lazy reference {c.reference_boot_time_s:.2f} s)"),
        ("usable", format_size(o.usable_bytes)),
        ("accepted", format_size(o.accepted_bytes)),
        ("unaccepted", format_size(o.unaccepted_bytes)),
        ("lost", format_size(o.lost_bytes)),
        ("firmware reserved", format_size(o.firmware_reserved_bytes)),
    ]


def run_json(c: CellResult) -> str:
    return dump_json(c.to_dict())


def run_table(c: CellResult) -> str:
    from rich.table import Table
    from rich.text import Text

    out = StringIO()
    console = string_console(out)
    console.print(Text(f"{c.firmware} firmware x {c.kernel} kernel: {scenario_line(c)}"))
    console.print(Text(str(c.verdict), style=VERDICT_STYLE[str(c.verdict)]), Text(c.reason))
    figures = Table(show_header=False, box=None)
    for k, v in _figures(c)[1:]:
        figures.add_row(k, v)
    console.print(figures)
    tl = Table(title="timeline")
    for col, just in (
        ("t (s)", "right"),
        ("dt (s)", "right"),
        ("bytes", "right"),
        ("step", "left"),
    ):
        tl.add_column(col, justify=just)  # type: ignore[arg-type]
    tl.add_column("what happened", overflow="fold")
    for e in c.outcome.events:
        tl.add_row(
            f"{e.t_s:.2f}",
            f"{e.duration_s:.2f}",
            format_size(e.bytes) if e.bytes else "",
            e.step,
            e.what,
        )
    console.print(tl)
    return out.getvalue()


def run_text(c: CellResult) -> str:
    lines = [f"{c.firmware} firmware x {c.kernel} kernel", scenario_line(c), ""]
    lines += [f"{k + ':':<18} {v}" for k, v in _figures(c)]
    lines += ["", c.reason, "", "timeline:"]
    for e in c.outcome.events:
        size = f" [{format_size(e.bytes)}]" if e.bytes else ""
        lines.append(f"{e.t_s:8.2f} +{e.duration_s:.2f}s {e.step}{size}: {e.what}")
    return "\n".join(wrap_text(lines)) + "\n"


def run_markdown(c: CellResult) -> str:
    lines = [f"**{c.firmware} firmware x {c.kernel} kernel** ({scenario_line(c)})", ""]
    lines += ["| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in _figures(c)]
    lines += ["", c.reason, "", "| t (s) | dt (s) | bytes | step | what happened |"]
    lines.append("|---:|---:|---:|---|---|")
    for e in c.outcome.events:
        size = format_size(e.bytes) if e.bytes else ""
        lines.append(f"| {e.t_s:.2f} | {e.duration_s:.2f} | {size} | {e.step} | {e.what} |")
    return "\n".join(lines) + "\n"


def ascii_table(
    head: list[str], rows: list[list[str]], breaks: set[int] | None = None
) -> list[str]:
    """A plain table: ` | ` between columns, a `-+-` rule under the header and
    before each row index in `breaks`. Columns too wide for TEXT_WIDTH are
    wrapped onto extra lines rather than cut."""
    breaks = breaks or set()
    n = len(head)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(n)]
    budget = TEXT_WIDTH - 3 * (n - 1)
    while sum(widths) > budget and max(widths) > 6:
        widths[widths.index(max(widths))] -= 1

    def lines_of(cols: list[str]) -> list[str]:
        wrapped = [
            textwrap.wrap(c, w, break_on_hyphens=True) or [""]
            for c, w in zip(cols, widths, strict=True)
        ]
        depth = max(len(w) for w in wrapped)
        out = []
        for i in range(depth):
            parts = [(w[i] if i < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)]
            out.append(" | ".join(parts).rstrip())
        return out

    rule = "-+-".join("-" * w for w in widths)
    out = [*lines_of(head), rule]
    for i, row in enumerate(rows):
        if i in breaks:
            out.append(rule)
        out += lines_of(row)
    return out


def wrap_text(lines: list[str]) -> list[str]:
    out: list[str] = []
    for ln in lines:
        if len(ln) <= TEXT_WIDTH:
            out.append(ln)
        else:
            indent = len(ln) - len(ln.lstrip())
            out += textwrap.wrap(
                ln, TEXT_WIDTH, subsequent_indent=" " * (indent + 4), break_on_hyphens=False
            )
    return out
