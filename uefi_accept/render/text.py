"""Plain text: ASCII only, no colour, at most 79 columns, so it pastes into a
plain-text mailing-list reply like the table in the seed thread.

Tables are ASCII boxes in rich's `box.ASCII` style, split into column blocks
when too wide (never wrapped); the layout is done here because rich lays out
about a thousand rows a second and a sweep can have 100,000.
"""

from __future__ import annotations

import re
import textwrap

from uefi_accept.render.blocks import (
    Block,
    Cell,
    Diff,
    Facts,
    Heading,
    Para,
    Report,
    Table,
    Timeline,
    column_blocks,
    column_width,
    header_cap,
    header_lines,
    plain,
)
from uefi_accept.units import format_size

WIDTH = 79
# A number and its unit stay on one line: "117.8 s", "16 TiB", "2.5 x".
_UNIT = re.compile(r"(?<=\d) (?=(?:[KMGTPE]iB|B|s|ms|us|x|%|vCPUs?|bytes)\b)")
_GLUE = "\x00"


def wrap(text: str, width: int = WIDTH, indent: str = "", hang: str = "") -> list[str]:
    glued = _UNIT.sub(_GLUE, text)
    lines = textwrap.wrap(
        glued,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=True,
        break_on_hyphens=False,
    )
    return [line.replace(_GLUE, " ") for line in lines] or [indent.rstrip()]


def _align(text: str, width: int, justify: str) -> str:
    if justify == "right":
        return text.rjust(width)
    if justify == "center":
        return text.center(width)
    return text.ljust(width)


def table_lines(table: Table, width: int = WIDTH) -> list[str]:
    """The table as ASCII boxes, one per column block."""
    out: list[str] = []
    for n, cols in enumerate(column_blocks(table, width)):
        if n:
            out.append("")
        out += _box(table, cols, header_cap(table, width))
    return out


def _box(table: Table, cols: list[int], cap: int) -> list[str]:
    widths = {i: column_width(table, i, cap) for i in cols}
    inner = sum(widths[i] + 3 for i in cols) - 1
    edge = "+" + "-" * inner + "+"
    rule = "|" + "+".join("-" * (widths[i] + 2) for i in cols) + "|"

    def lines_of(cells: list[Cell]) -> list[str]:
        depth = max(len(c.lines) for c in cells)
        rows = []
        for k in range(depth):
            parts = []
            for i, c in zip(cols, cells, strict=True):
                texts = c.texts
                text = texts[k] if k < len(texts) else ""
                parts.append(" " + _align(text, widths[i], table.columns[i].justify) + " ")
            rows.append("|" + "|".join(parts) + "|")
        return rows

    headers = [Cell.of(*header_lines(table.columns[i].header, widths[i])) for i in cols]
    out = [edge, *lines_of(headers), rule]
    for n, row in enumerate(table.rows):
        if n and table.lines:
            out.append(rule)
        out += lines_of([row[i] for i in cols])
    out.append(edge)
    return out


def block_lines(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return wrap(block.text, hang="    ")
    if isinstance(block, Para):
        pad = ("", "  ", "      ")[min(block.level, 2)]
        if block.verbatim:
            return [pad + plain(block.text)]
        return wrap(plain(block.text), indent=pad, hang="    " if block.level < 2 else "  ")
    if isinstance(block, Facts):
        label_width = min(24, max((len(k) for k, _ in block.rows), default=0) + 2)
        out = []
        for k, v in block.rows:
            out += wrap(f"{(k + ':').ljust(label_width)}{v}", indent="  ", hang=" " * label_width)
        return out
    if isinstance(block, Table):
        head = [*wrap(block.title), ""] if block.title else []
        return head + table_lines(block)
    if isinstance(block, Diff):
        return [
            f"  {block.label}:",
            *wrap(block.old, indent="    - ", hang="  "),
            *wrap(block.new, indent="    + ", hang="  "),
        ]
    assert isinstance(block, Timeline)
    out = []
    for t, dt, nbytes, step, what in block.events:
        size = f" [{format_size(nbytes)}]" if nbytes else ""
        out += wrap(f"{t:8.2f} +{dt:.2f}s {step}{size}: {what}", hang=" " * 12)
    return out


def tight(prev: Block | None, block: Block) -> bool:
    """No blank line between a paragraph and its indented items, or between diffs."""
    if prev is None:
        return False
    if isinstance(block, Para) and block.level > 0 and isinstance(prev, Para):
        return True
    return isinstance(block, Diff) and isinstance(prev, Diff | Para)


def render(report: Report) -> str:
    lines: list[str] = []
    prev: Block | None = None
    for block in report.blocks:
        if lines and not tight(prev, block):
            lines.append("")
        lines += block_lines(block)
        prev = block
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
