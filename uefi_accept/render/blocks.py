"""What a report is made of, before it has a format: headings, paragraphs,
facts, tables and diffs. `views` builds these from results; the text,
Markdown and terminal renderers lay them out. JSON and CSV do not use them.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# A run of text and its style (rich style names; plain formats drop them).
Span = tuple[str, str | None]
Justify = Literal["left", "right", "center"]


def spans(*parts: str | Span) -> tuple[Span, ...]:
    return tuple((p, None) if isinstance(p, str) else p for p in parts)


def plain(text_spans: tuple[Span, ...]) -> str:
    return "".join(t for t, _ in text_spans)


class Heading(msgspec.Struct, frozen=True):
    text: str
    level: int = 1


class Para(msgspec.Struct, frozen=True):
    """Prose, wrapped to the width of the format: a paragraph (level 0), an
    item of a list (1) or a sub-item (2); items follow each other tightly."""

    text: tuple[Span, ...]
    level: int = 0
    # A command to copy and run: kept on one line, never wrapped.
    verbatim: bool = False

    @classmethod
    def of(cls, *parts: str | Span, level: int = 0) -> Para:
        return cls(spans(*parts), level)


class Facts(msgspec.Struct, frozen=True):
    """Label: value lines."""

    rows: tuple[tuple[str, str], ...]


class Column(msgspec.Struct, frozen=True):
    header: str
    justify: Justify = "left"
    # Repeated in every block when a wide table is split into column blocks.
    key: bool = False


class Cell(msgspec.Struct, frozen=True):
    """One table cell: lines of spans."""

    lines: tuple[tuple[Span, ...], ...]

    @classmethod
    def of(cls, *lines: str | tuple[Span, ...]) -> Cell:
        return cls(tuple(spans(x) if isinstance(x, str) else x for x in lines))

    @property
    def texts(self) -> list[str]:
        return [plain(line) for line in self.lines]

    @property
    def width(self) -> int:
        return max((len(t) for t in self.texts), default=0)


class Table(msgspec.Struct, frozen=True):
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    title: str | None = None
    # Rule between rows (multi-line cells read better with one).
    lines: bool = False


class Diff(msgspec.Struct, frozen=True):
    """An explanation that changed: the old words and the new."""

    label: str
    old: str
    new: str


class Timeline(msgspec.Struct, frozen=True):
    """A boot's events: (start s, duration s, bytes, step, what happened)."""

    events: tuple[tuple[float, float, int, str, str], ...]


Block = Heading | Para | Facts | Table | Diff | Timeline


class Report(msgspec.Struct):
    blocks: list[Block] = msgspec.field(default_factory=list)

    def add(self, *blocks: Block) -> Report:
        self.blocks.extend(blocks)
        return self


def header_cap(table: Table, width: int) -> int:
    """The widest a non-key column's header may be so that the column fits
    beside the key columns in `width` (a longer header goes on several lines)."""
    keys = [i for i, c in enumerate(table.columns) if c.key]
    base = 1 + sum(column_width(table, i) + 3 for i in keys)
    return max(width - base - 3, 8)


def column_width(table: Table, i: int, cap: int | None = None) -> int:
    """Column i's width: its widest cell, and its header up to `cap`."""
    header = len(table.columns[i].header)
    if cap is not None and not table.columns[i].key:
        header = min(header, cap)
    return max([header, *(row[i].width for row in table.rows)])


def header_lines(text: str, width: int) -> list[str]:
    """A header in lines of at most `width` (cut at '-' or ' ' where possible)."""
    lines: list[str] = []
    while len(text) > width:
        cut = max(text.rfind("-", 0, width), text.rfind(" ", 0, width))
        cut = cut + 1 if cut > 0 else width
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*lines, text]


def column_blocks(table: Table, width: int) -> list[list[int]]:
    """Column indexes per block so each block fits `width` as an ASCII box
    (`| a | b |`: every column costs its width plus 3, plus 1): the key
    columns in every block, the others in order, never split; a header too
    long for any block goes on several lines."""
    cap = header_cap(table, width)
    widths = [column_width(table, i, cap) for i in range(len(table.columns))]
    keys = [i for i, c in enumerate(table.columns) if c.key]
    rest = [i for i, c in enumerate(table.columns) if not c.key]
    base = 1 + sum(widths[i] + 3 for i in keys)
    blocks: list[list[int]] = []
    current: list[int] = []
    used = base
    for i in rest:
        cost = widths[i] + 3
        if current and used + cost > width:
            blocks.append(current)
            current, used = [], base
        current.append(i)
        used += cost
    if current or not blocks:
        blocks.append(current)
    return [sorted(keys + b) for b in blocks]
