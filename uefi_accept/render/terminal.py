"""The terminal view (`--format table`): rich tables and colour.

Colour only when standard output is a terminal, or FORCE_COLOR is set, and
never when NO_COLOR is set (https://no-color.org); the terminal's width when
there is one.
"""

from __future__ import annotations

import contextlib
import os
import sys
from io import StringIO
from typing import Any

from uefi_accept.render import text as plain_text
from uefi_accept.render.blocks import (
    Block,
    Cell,
    Diff,
    Facts,
    Heading,
    Para,
    Report,
    Span,
    Table,
    Timeline,
)

# Beyond this many rows a table is laid out as text: rich lays out about a
# thousand rows a second.
RICH_MAX_ROWS = 300
WIDTH = 120


def colour_wanted() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def console(out: StringIO) -> Any:
    from rich.console import Console

    colour = colour_wanted()
    width = WIDTH
    if sys.stdout.isatty():
        with contextlib.suppress(OSError):
            width = max(80, os.get_terminal_size(sys.stdout.fileno()).columns)
    return Console(
        file=out,
        force_terminal=colour,
        no_color=not colour,
        width=width,
        color_system="standard" if colour else None,
        highlight=False,
        soft_wrap=False,
    )


def _text(parts: tuple[Span, ...]) -> Any:
    from rich.text import Text

    t = Text()
    for s, style in parts:
        t.append(s, style=style)
    return t


def _cell(cell: Cell) -> Any:
    from rich.text import Text

    return Text("\n").join(_text(line) for line in cell.lines)


def _table(table: Table) -> Any:
    from rich.table import Table as RichTable

    t = RichTable(title=table.title, show_lines=table.lines)
    for c in table.columns:
        t.add_column(c.header, justify=c.justify, no_wrap=True, style="bold" if c.key else None)
    for row in table.rows:
        t.add_row(*(_cell(c) for c in row))
    return t


def renderable(block: Block) -> Any:
    from rich.padding import Padding
    from rich.text import Text

    if isinstance(block, Heading):
        return Text(block.text, style="bold")
    if isinstance(block, Para):
        text = _text(block.text)
        if block.verbatim:  # a command: one line, cut by the terminal rather than wrapped
            text.no_wrap, text.overflow = True, "ignore"
        return Padding(text, (0, 0, 0, (0, 2, 6)[min(block.level, 2)]))
    if isinstance(block, Facts):
        from rich.table import Table as RichTable

        t = RichTable(show_header=False, box=None, padding=(0, 1, 0, 0))
        t.add_column(style="bold")
        t.add_column()
        for k, v in block.rows:
            t.add_row(k, v)
        return t
    if isinstance(block, Table):
        if len(block.rows) > RICH_MAX_ROWS:
            return Text("\n".join(plain_text.block_lines(block)))
        return _table(block)
    if isinstance(block, Diff):
        diff = Text(f"{block.label}:\n")
        diff.append(f"- {block.old}\n", style="red")
        diff.append(f"+ {block.new}", style="green")
        return diff
    assert isinstance(block, Timeline)
    from rich.table import Table as RichTable

    from uefi_accept.units import format_size

    t = RichTable()
    for col, just in (
        ("t (s)", "right"),
        ("dt (s)", "right"),
        ("bytes", "right"),
        ("step", "left"),
    ):
        t.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    t.add_column("what happened", overflow="fold")
    for start, dt, nbytes, step, what in block.events:
        t.add_row(f"{start:.2f}", f"{dt:.2f}", format_size(nbytes) if nbytes else "", step, what)
    return t


def render(report: Report) -> str:
    from rich.console import Group
    from rich.text import Text

    out = StringIO()
    items: list[Any] = []
    prev: Block | None = None
    for block in report.blocks:
        if items and not plain_text.tight(prev, block):
            items.append(Text())
        items.append(renderable(block))
        prev = block
    console(out).print(Group(*items))
    # rich pads every line to the console's width; a file or pipe gets none of it.
    return "\n".join(line.rstrip(" ") for line in out.getvalue().split("\n"))
