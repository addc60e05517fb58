"""Markdown (GitHub-flavoured): the same blocks as text, for CI summaries and
issue comments."""

from __future__ import annotations

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
from uefi_accept.units import format_size


def escape(text: str) -> str:
    """What would break a table cell or start markup by accident."""
    return text.replace("|", "\\|").replace("\n", " ")


def _spans(parts: tuple[Span, ...]) -> str:
    out = []
    for text, style in parts:
        text = escape(text)
        core = text.strip()
        if style and core:
            # Emphasis must hug its words: "**1.** Upgrading", never "**1. **".
            lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
            text = f"{lead}**{core}**{trail}"
        out.append(text)
    return "".join(out)


def _cell(cell: Cell) -> str:
    return "<br>".join(_spans(line) for line in cell.lines)


def table_lines(table: Table) -> list[str]:
    align = {"left": "---", "right": "---:", "center": ":---:"}
    out = [f"**{escape(table.title)}**", ""] if table.title else []
    out.append("| " + " | ".join(escape(c.header) for c in table.columns) + " |")
    out.append("|" + "|".join(align[c.justify] for c in table.columns) + "|")
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return out


def block_lines(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return ["#" * (block.level + 1) + " " + escape(block.text)]
    if isinstance(block, Para) and block.verbatim:
        return ["```sh", "".join(text for text, _ in block.text), "```"]
    if isinstance(block, Para):
        bullet = ("", "- ", "  - ")[min(block.level, 2)]
        return [bullet + _spans(block.text)]
    if isinstance(block, Facts):
        rows = ["| fact | value |", "|---|---|"]
        return rows + [f"| {escape(k)} | {escape(v)} |" for k, v in block.rows]
    if isinstance(block, Table):
        return table_lines(block)
    if isinstance(block, Diff):
        return [
            f"{escape(block.label)}:",
            "",
            "```diff",
            f"- {block.old}",
            f"+ {block.new}",
            "```",
        ]
    assert isinstance(block, Timeline)
    rows = ["| t (s) | dt (s) | bytes | step | what happened |", "|---:|---:|---:|---|---|"]
    for t, dt, nbytes, step, what in block.events:
        size = format_size(nbytes) if nbytes else ""
        rows.append(f"| {t:.2f} | {dt:.2f} | {size} | {step} | {escape(what)} |")
    return rows


def render(report: Report) -> str:
    lines: list[str] = []
    prev: Block | None = None
    for block in report.blocks:
        items = isinstance(block, Para) and block.level > 0
        if lines and not (items and isinstance(prev, Para) and prev.level > 0):
            lines.append("")
        lines += block_lines(block)
        prev = block
    return "\n".join(lines) + "\n"
