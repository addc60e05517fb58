"""Renderers for `check` and `upgrades`: a rich table, JSON, Markdown and plain
text, all fed the same report and carrying the same facts.

Plain text is ASCII only, no colour, at most 79 columns, so it pastes into a
plain-text mailing-list reply like the table in the seed thread.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from uefi_accept.golden import CellChange, CellFacts, CheckReport, FileCheck, cell_facts
from uefi_accept.render import (
    VERDICT_STYLE,
    ascii_table,
    dump_json,
    scenario_line,
)
from uefi_accept.render import wrap_text as _wrap_text
from uefi_accept.units import GiB, MiB, format_size
from uefi_accept.upgrades import LESS_USABLE, SLOWER, WORSE_VERDICT, UpgradeReport, UpgradeStep

CHANGED_MARK = "*"

# The facts every format shows for a cell: (CellFacts field, column title).
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("verdict", "verdict"),
    ("usable_bytes", "usable"),
    ("lost_bytes", "lost"),
    ("boot_time_s", "boot"),
)


def _full(field: str, facts: CellFacts) -> str:
    value = getattr(facts, field)
    if field == "verdict":
        return str(value)
    if field == "boot_time_s":
        return f"{value:.1f} s"
    return format_size(value)


def _short(field: str, facts: CellFacts) -> str:
    """Compact figures for the 79-column text tables: 64G, 1.98G, 117.8s."""
    value = getattr(facts, field)
    if field == "verdict":
        return str(value)
    if field == "boot_time_s":
        return f"{value:.1f}s"
    if value == 0:
        return "0"
    return f"{value / GiB:.2f}".rstrip("0").rstrip(".") + "G"


def _md(text: str) -> str:
    """Escape what would break a GitHub-flavoured Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


# -- check ------------------------------------------------------------------


def _check_summary(r: CheckReport) -> str:
    files = f"{len(r.files)} file{'s' if len(r.files) != 1 else ''}"
    tol = f"boot time tolerance {_pct(r.tolerance)}"
    if not r.changed:
        return f"No change in {files}, {r.cells_checked} cells ({tol})."
    done = "; rewritten" if r.update else ""
    return (
        f"{r.cells_changed} of {r.cells_checked} cells changed in "
        f"{len(r.changed_files)} of {files} ({tol}){done}."
    )


def _file_heading(f: FileCheck, update: bool) -> str:
    done = "; rewritten" if update else ""
    return f"{f.source}: {len(f.changes)} of {f.cells_checked} cells changed{done}"


def check_json(r: CheckReport) -> str:
    return dump_json(r.to_dict())


def check_text(r: CheckReport) -> str:
    lines = [_check_summary(r)]
    for f in r.changed_files:
        lines += ["", _file_heading(f, r.update), scenario_line(f), ""]  # type: ignore[arg-type]
        head = ["firmware", "kernel", "", *(title for _, title in _COLUMNS)]
        rows: list[list[str]] = []
        breaks: set[int] = set()
        for c in f.changes:
            if rows:
                breaks.add(len(rows))
            pairs = [_short_pair(c, fd) for fd, _ in _COLUMNS]
            rows.append([c.firmware, c.kernel, "was", *(old for old, _ in pairs)])
            rows.append(["", "", "now", *(new for _, new in pairs)])
        lines += ascii_table(head, rows, breaks)
    if r.changed:
        lines += [
            "",
            f"{CHANGED_MARK} changed; a boot time within {_pct(r.tolerance)} counts as unchanged",
        ]
    return "\n".join(_wrap_text(lines)) + "\n"


def _distinct(field: str, a: CellFacts, b: CellFacts, short: bool) -> tuple[str, str]:
    """Old and new figures; a size change too small to show in GiB is shown
    in MiB, or in bytes, so a changed value never looks unchanged."""
    fmt = _short if short else _full
    old, new = fmt(field, a), fmt(field, b)
    x, y = getattr(a, field), getattr(b, field)
    if old == new and x != y and field.endswith("_bytes"):
        old, new = (f"{v / MiB:.0f}M" if short else f"{v / MiB:.0f} MiB" for v in (x, y))
        if old == new:
            old, new = (f"{v}" if short else f"{v} B" for v in (x, y))
    return old, new


def _short_pair(c: CellChange, field: str) -> tuple[str, str]:
    old, new = _distinct(field, c.old, c.new, short=True)
    return old, new + CHANGED_MARK if field in c.fields else new


def _pair(c: CellChange, field: str) -> tuple[str, str, bool]:
    old, new = _distinct(field, c.old, c.new, short=False)
    return old, new, field in c.fields


def check_markdown(r: CheckReport) -> str:
    lines = ["### uefi-accept check", "", _check_summary(r)]
    for f in r.changed_files:
        lines += [
            "",
            f"**`{f.source}`**: {len(f.changes)} of {f.cells_checked} cells changed"
            + ("; rewritten" if r.update else "")
            + f" ({scenario_line(f)})",  # type: ignore[arg-type]
            "",
            "| firmware | kernel | verdict | usable | lost | boot time |",
            "|---|---|---|---|---|---|",
        ]
        for c in f.changes:
            cells = []
            for fd, _ in _COLUMNS:
                old, new, counted = _pair(c, fd)
                if old == new:
                    cells.append(old)
                else:
                    cells.append(f"{old} -> **{new}**" if counted else f"{old} -> {new}")
            lines.append(f"| {_md(c.firmware)} | {_md(c.kernel)} | " + " | ".join(cells) + " |")
    if r.changed:
        lines += [
            "",
            f"Bold: changed. A boot time within {_pct(r.tolerance)} of the recorded one counts "
            "as unchanged.",
        ]
    return "\n".join(lines) + "\n"


def _rich_change(field: str, old: str, new: str, emphasis: str) -> Any:
    """One rich table cell: the value, or `old -> new` with the new one styled."""
    from rich.text import Text

    if field == "verdict":
        t = Text(old, style=VERDICT_STYLE[old])
        if old != new:
            t.append(" -> ")
            t.append(new, style=VERDICT_STYLE[new])
        return t
    if old == new:
        return Text(old)
    t = Text(f"{old} -> ")
    t.append(new, style=emphasis)
    return t


def check_table(r: CheckReport) -> str:
    from rich.table import Table
    from rich.text import Text

    from uefi_accept.render import string_console

    out = StringIO()
    console = string_console(out)
    for f in r.changed_files:
        table = Table(
            title=Text(_file_heading(f, r.update)),
            caption=Text(scenario_line(f)),  # type: ignore[arg-type]
        )
        table.add_column("firmware", style="bold")
        table.add_column("kernel", style="bold")
        for _, title in _COLUMNS:
            table.add_column(title if title != "boot" else "boot time")
        for c in f.changes:
            row: list[Any] = [Text(c.firmware), Text(c.kernel)]
            for fd, _ in _COLUMNS:
                old, new, counted = _pair(c, fd)
                row.append(_rich_change(fd, old, new, "bold" if counted else ""))
            table.add_row(*row)
        console.print(table)
    style = "bold red" if r.changed else "bold green"
    console.print(Text(_check_summary(r), style=style))
    return out.getvalue()


# -- upgrades ---------------------------------------------------------------

_WORSE_FOR_COLUMN = {"verdict": WORSE_VERDICT, "usable_bytes": LESS_USABLE, "boot_time_s": SLOWER}


def _upgrades_summary(r: UpgradeReport) -> str:
    n, steps = len(r.regressions), len(r.steps)
    where = f"{steps} upgrade step{'s' if steps != 1 else ''}"
    if not n:
        return f"No regression in {where}."
    return f"{n} regression{'s' if n != 1 else ''} in {where}."


def _step_facts(s: UpgradeStep) -> tuple[CellFacts, CellFacts]:
    return cell_facts(s.before), cell_facts(s.after)


def _worse(s: UpgradeStep, field: str) -> bool:
    return _WORSE_FOR_COLUMN.get(field) in s.worse


def upgrades_json(r: UpgradeReport) -> str:
    return dump_json(r.to_dict())


def upgrades_text(r: UpgradeReport) -> str:
    lines = [
        _upgrades_summary(r),
        scenario_line(r.matrix),
        "kernels, in each firmware row: " + " -> ".join(r.matrix.kernels),
        "firmware, in each kernel column: " + " -> ".join(r.matrix.firmware),
    ]
    if r.regressions:
        head = ["#", "firmware", "kernel", *(title for _, title in _COLUMNS)]
        rows: list[list[str]] = []
        breaks: set[int] = set()
        for i, s in enumerate(r.regressions, 1):
            before, after = _step_facts(s)
            if rows:
                breaks.add(len(rows))
            pairs = [_distinct(fd, before, after, short=True) for fd, _ in _COLUMNS]
            rows.append([str(i), s.before.firmware, s.before.kernel, *(o for o, _ in pairs)])
            rows.append(
                ["", s.after.firmware, s.after.kernel]
                + [
                    n + (CHANGED_MARK if _worse(s, fd) else "")
                    for (_, n), (fd, _) in zip(pairs, _COLUMNS, strict=True)
                ]
            )
        lines += ["", *ascii_table(head, rows, breaks)]
        lines += ["", f"{CHANGED_MARK} worse after the upgrade (second row of each step)", ""]
        lines += [f"{i}. {s.sentence()}" for i, s in enumerate(r.regressions, 1)]
    return "\n".join(_wrap_text(lines)) + "\n"


def upgrades_markdown(r: UpgradeReport) -> str:
    lines = [
        "### uefi-accept upgrades",
        "",
        f"**{scenario_line(r.matrix)}**: {_upgrades_summary(r)}",
        "",
        f"Kernel upgrades {' -> '.join(_md(k) for k in r.matrix.kernels)} within each firmware "
        f"row; firmware upgrades {' -> '.join(_md(f) for f in r.matrix.firmware)} within each "
        "kernel column.",
    ]
    if r.regressions:
        lines += [
            "",
            "| # | upgrade | verdict | usable | lost | boot time |",
            "|---:|---|---|---|---|---|",
        ]
        for i, s in enumerate(r.regressions, 1):
            before, after = _step_facts(s)
            cells = []
            for fd, _ in _COLUMNS:
                old, new = _distinct(fd, before, after, short=False)
                if old == new:
                    cells.append(old)
                else:
                    cells.append(f"{old} -> **{new}**" if _worse(s, fd) else f"{old} -> {new}")
            lines.append(f"| {i} | {_md(s.title())} | " + " | ".join(cells) + " |")
        lines += [""]
        lines += [f"{i}. {s.sentence()}" for i, s in enumerate(r.regressions, 1)]
    return "\n".join(lines) + "\n"


def upgrades_table(r: UpgradeReport) -> str:
    from rich.table import Table
    from rich.text import Text

    from uefi_accept.render import string_console

    out = StringIO()
    console = string_console(out)
    if r.regressions:
        table = Table(
            title=Text(f"Upgrade regressions: {scenario_line(r.matrix)}"), show_lines=True
        )
        table.add_column("#", justify="right")
        table.add_column("upgrade", style="bold")
        for _, title in _COLUMNS:
            table.add_column(title if title != "boot" else "boot time")
        for i, s in enumerate(r.regressions, 1):
            before, after = _step_facts(s)
            row: list[Any] = [str(i), Text(s.title())]
            for fd, _ in _COLUMNS:
                old, new = _distinct(fd, before, after, short=False)
                row.append(_rich_change(fd, old, new, "bold red" if _worse(s, fd) else ""))
            table.add_row(*row)
        console.print(table)
        for i, s in enumerate(r.regressions, 1):
            console.print(Text.assemble((f"{i}. ", "bold"), s.sentence()))
    else:
        console.print(Text(scenario_line(r.matrix)))
    style = "bold red" if r.regressions else "bold green"
    console.print(Text(_upgrades_summary(r), style=style))
    return out.getvalue()
