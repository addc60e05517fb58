"""`--format html`: one self-contained page, the report people attach to CI
runs: inline CSS and inline SVG, no script, no network, no dates, so the same
result gives the same bytes.

The page carries the same facts as the text formats (the blocks `views` builds
for each kind), plus a picture where one helps: the verdict grid for matrix,
check and upgrades, a verdict strip per combination for sweep. The pictures are
written here by hand, so HTML works without the plot extra (matplotlib).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from uefi_accept.render import views
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
from uefi_accept.render.plot import (
    VERDICT_COLOURS,
    VERDICT_INK,
    cell_figures,
    pow2_ticks,
    size_label,
    size_ticks,
)
from uefi_accept.units import GiB, format_size

if TYPE_CHECKING:
    from uefi_accept.analyses.calibration import Validation
    from uefi_accept.analyses.check import CheckReport, FileCheck
    from uefi_accept.analyses.diagnosis import InspectReport
    from uefi_accept.analyses.matrix import CellResult, MatrixResult
    from uefi_accept.analyses.sweep import SweepResult
    from uefi_accept.analyses.upgrades import UpgradeReport
    from uefi_accept.model.profiles import Profile

SVG_NS = "http://www.w3.org/2000/svg"
# Rich colour names (views' span styles) as readable ink on white.
_INK = {
    "green": "#1d7a33",
    "yellow": "#8a5d00",
    "magenta": "#a0267f",
    "red": "#c0191b",
    "blue": "#1f5fbf",
    "cyan": "#0e7c86",
    "white": "#ffffff",
    "black": "#000000",
}
_VERDICT_CSS = "\n".join(
    f".v-{v}{{background:{c};color:{VERDICT_INK[v]}}}" for v, c in VERDICT_COLOURS.items()
)
_COLOUR_CSS = "\n".join(f".c-{n}{{color:{c}}}" for n, c in _INK.items()) + "\n".join(
    ["", *(f".bg-{n}{{background:{c}}}" for n, c in _INK.items())]
)
CSS = f"""\
body{{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;
background:#fff;margin:0}}
main{{max-width:1200px;margin:0 auto;padding:16px 24px 40px}}
h1{{font-size:1.35em;margin:.4em 0 .6em}} h2{{font-size:1.15em;margin:1.2em 0 .4em}}
h3{{font-size:1em}}
p{{margin:.5em 0}} ul{{margin:.2em 0 .6em;padding-left:1.6em}} li{{margin:.15em 0}}
table{{border-collapse:collapse;margin:.6em 0 1em;font-variant-numeric:tabular-nums}}
th,td{{border:1px solid #d0d7de;padding:3px 8px;vertical-align:top;text-align:left}}
thead th{{background:#f3f5f7}} tbody th{{background:#fafbfc;font-weight:600}}
caption{{text-align:left;font-weight:600;padding:2px 0}}
.r{{text-align:right}} .c{{text-align:center}}
.wide{{overflow-x:auto}}
.facts th{{white-space:nowrap}}
.verdict{{display:inline-block;padding:0 .45em;border-radius:3px;font-weight:600}}
.s-bold{{font-weight:600}} .s-italic{{font-style:italic}} .s-dim{{opacity:.7}}
.s-underline{{text-decoration:underline}}
{_VERDICT_CSS}
{_COLOUR_CSS}
.diff{{margin:.3em 0 .8em 1.6em}} .diff-label{{font-weight:600;font-family:monospace}}
.diff div.old,.diff div.new{{font-family:ui-monospace,monospace;font-size:13px;
white-space:pre-wrap;padding:2px 6px}}
.diff div.old{{background:#ffebe9}} .diff div.new{{background:#e6ffec}}
.diff del{{background:#ffc1bc;text-decoration:line-through}}
.diff ins{{background:#abf2bc;text-decoration:none}}
figure{{margin:.6em 0 1.2em}} figcaption{{font-size:12px;color:#555}}
figure svg{{max-width:100%;height:auto}}
footer{{margin-top:2em;font-size:12px;color:#666}}
"""


# -- blocks -------------------------------------------------------------------------


def _classes(style: str) -> list[str]:
    """Rich style words as CSS classes: 'bold green' -> s-bold c-green,
    'white on red' -> c-white bg-red. Words without a class are dropped."""
    out, words = [], style.split()
    i = 0
    while i < len(words):
        w = words[i].lower()
        if w == "on" and i + 1 < len(words):
            name = words[i + 1].lower()
            if name in _INK:
                out.append(f"bg-{name}")
            i += 2
            continue
        if w in _INK:
            out.append(f"c-{w}")
        elif w in ("bold", "italic", "dim", "underline"):
            out.append(f"s-{w}")
        i += 1
    return out


def span_html(text: str, style: str | None) -> str:
    if not style:
        return escape(text)
    word = text.strip()
    if word in VERDICT_COLOURS and views.VERDICT_STYLE.get(word) == style:
        # A verdict: a badge in its colour, the same colour as in the pictures.
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        return f'{escape(lead)}<span class="verdict v-{word}">{escape(word)}</span>{escape(trail)}'
    classes = _classes(style)
    if not classes:
        return escape(text)
    return f'<span class="{" ".join(classes)}">{escape(text)}</span>'


def spans_html(parts: Iterable[Span]) -> str:
    return "".join(span_html(t, s) for t, s in parts)


def _cell(cell: Cell) -> str:
    return "<br>".join(spans_html(line) for line in cell.lines)


_JUSTIFY = {"left": "", "right": ' class="r"', "center": ' class="c"'}


def table_html(table: Table) -> str:
    out = ['<div class="wide"><table>']
    if table.title:
        out.append(f"<caption>{escape(table.title)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            f'<th scope="col"{_JUSTIFY[c.justify]}>{escape(c.header)}</th>' for c in table.columns
        )
        + "</tr></thead><tbody>"
    )
    for row in table.rows:
        cells = []
        for col, cell in zip(table.columns, row, strict=True):
            tag = "th" if col.key else "td"
            scope = ' scope="row"' if col.key else ""
            cells.append(f"<{tag}{scope}{_JUSTIFY[col.justify]}>{_cell(cell)}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _words_diff(old: str, new: str) -> tuple[str, str]:
    """Old and new with the words that differ marked <del> and <ins>."""
    # Words with the space after them, so a run of changed words reads as one.
    a, b = re.findall(r"\S+\s*|\s+", old), re.findall(r"\S+\s*|\s+", new)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        x, y = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(x)
            right.append(y)
            continue
        if x:
            left.append(f"<del>{x}</del>")
        if y:
            right.append(f"<ins>{y}</ins>")
    return "".join(left), "".join(right)


def diff_html(d: Diff) -> str:
    old, new = _words_diff(d.old, d.new)
    return (
        f'<div class="diff"><div class="diff-label">{escape(d.label)}</div>'
        f'<div class="old">- {old}</div><div class="new">+ {new}</div></div>'
    )


def timeline_html(t: Timeline) -> str:
    rows = [
        '<div class="wide"><table class="timeline"><thead><tr>'
        '<th class="r">t (s)</th><th class="r">dt (s)</th><th class="r">bytes</th>'
        "<th>step</th><th>what happened</th></tr></thead><tbody>"
    ]
    for start, dt, nbytes, step, what in t.events:
        size = format_size(nbytes) if nbytes else ""
        rows.append(
            f'<tr><td class="r">{start:.2f}</td><td class="r">{dt:.2f}</td>'
            f'<td class="r">{escape(size)}</td><td>{escape(step)}</td><td>{escape(what)}</td></tr>'
        )
    rows.append("</tbody></table></div>")
    return "\n".join(rows)


def facts_html(f: Facts) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in f.rows
    )
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


class Raw:
    """Markup made here (a picture), placed among the blocks as it is."""

    def __init__(self, markup: str) -> None:
        self.markup = markup


Item = Block | Raw


class _Lists:
    """Para items (level 1, 2) as nested <ul>, each nested list inside the
    item before it."""

    def __init__(self, out: list[str]) -> None:
        self.out = out
        self.open: list[bool] = []  # per open <ul>: is an <li> open in it

    def to(self, level: int) -> None:
        while len(self.open) > level:
            if self.open.pop():
                self.out.append("</li>")
            self.out.append("</ul>")
        while len(self.open) < level:
            if self.open and not self.open[-1]:
                self.out.append("<li>")
                self.open[-1] = True
            self.out.append("<ul>")
            self.open.append(False)

    def item(self, level: int, markup: str) -> None:
        self.to(level)
        if self.open[-1]:
            self.out.append("</li>")
        self.out.append(f"<li>{markup}")
        self.open[-1] = True


def body_html(items: Sequence[Item]) -> str:
    out: list[str] = []
    lists = _Lists(out)
    for block in items:
        if isinstance(block, Para) and block.level > 0:
            lists.item(min(block.level, 2), spans_html(block.text))
            continue
        lists.to(0)
        if isinstance(block, Raw):
            out.append(block.markup)
        elif isinstance(block, Heading):
            n = min(max(block.level, 1), 6)
            out.append(f"<h{n}>{escape(block.text)}</h{n}>")
        elif isinstance(block, Para):
            out.append(f"<p>{spans_html(block.text)}</p>")
        elif isinstance(block, Facts):
            out.append(facts_html(block))
        elif isinstance(block, Table):
            out.append(table_html(block))
        elif isinstance(block, Diff):
            out.append(diff_html(block))
        else:
            assert isinstance(block, Timeline)
            out.append(timeline_html(block))
    lists.to(0)
    return "\n".join(out)


def page(items: Sequence[Item], title: str, kind: str) -> str:
    """The whole document."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="uefi-accept">\n'
        f"<title>{escape(title)}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body_html(items)}\n"
        f"<footer>uefi-accept {escape(kind)} report</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def render(report: Report, kind: str = "report") -> str:
    """A report's blocks as a page, titled by its first heading."""
    return page(report.blocks, _title(report, kind), kind)


def _title(report: Report, kind: str) -> str:
    first = next((b.text for b in report.blocks if isinstance(b, Heading)), None)
    return f"uefi-accept {kind}: {first}" if first else f"uefi-accept {kind}"


def _after_first_heading(blocks: Sequence[Block], picture: Raw) -> list[Item]:
    items: list[Item] = list(blocks)
    at = next((i + 1 for i, b in enumerate(items) if isinstance(b, Heading)), 0)
    items.insert(at, picture)
    return items


# -- pictures -------------------------------------------------------------------------


def _n(v: float) -> str:
    """A coordinate: one decimal, no '-0.0', the same text on every run."""
    s = f"{v:.1f}"
    return "0" if s in ("0.0", "-0.0") else s.removesuffix(".0")


def _text_width(text: str, size: float) -> float:
    """About how wide a sans-serif text is (no fonts to measure with here)."""
    return len(text) * size * 0.58


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(label)}" '
        'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif">\n'
        + "\n".join(body)
        + "\n</svg>"
    )


def _figure(svg: str, caption: str) -> Raw:
    return Raw(f"<figure>\n{svg}\n<figcaption>{escape(caption)}</figcaption>\n</figure>")


def _legend(x: float, y: float) -> list[str]:
    out = []
    for v, colour in VERDICT_COLOURS.items():
        out.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="11" height="11" fill="{colour}"/>'
            f'<text x="{_n(x + 15)}" y="{_n(y)}" font-size="11">{escape(v)}</text>'
        )
        x += 15 + _text_width(v, 11) + 14
    return out


def matrix_svg(m: MatrixResult, changed: dict[tuple[str, str], str] | None = None) -> str:
    """The verdict grid: firmware rows x kernel columns, each cell in its
    verdict's colour with its figures. `changed` marks cells (by firmware,
    kernel) with a note, e.g. what the verdict was ("was slow")."""
    changed = changed or {}
    most = max(len(cell_figures(c)) + ((c.firmware, c.kernel) in changed) for c in m.cells)
    cw, ch, head = 168.0, 36.0 + 12 * most + 6, 30.0
    left = 16 + max(_text_width(f, 12) for f in m.firmware) + 12
    width = left + cw * len(m.kernels) + 8
    height = head + ch * len(m.firmware) + 32
    body = []
    for j, k in enumerate(m.kernels):
        cx = left + cw * j + cw / 2
        body.append(
            f'<text x="{_n(cx)}" y="{_n(head - 10)}" font-size="12" font-weight="600" '
            f'text-anchor="middle">{escape(k)}</text>'
        )
    for i, fw in enumerate(m.firmware):
        y = head + ch * i
        body.append(
            f'<text x="{_n(left - 10)}" y="{_n(y + ch / 2 + 4)}" font-size="12" '
            f'font-weight="600" text-anchor="end">{escape(fw)}</text>'
        )
        for j, k in enumerate(m.kernels):
            c = m.cell(fw, k)
            v = str(c.verdict)
            x = left + cw * j
            note = changed.get((fw, k))
            stroke = ' stroke="#000" stroke-width="3"' if note is not None else ""
            tip = f"{fw} / {k}: {v}. {c.reason}"
            body.append(
                f"<g><title>{escape(tip)}</title>"
                f'<rect x="{_n(x + 2)}" y="{_n(y + 2)}" width="{_n(cw - 4)}" '
                f'height="{_n(ch - 4)}" rx="4" fill="{VERDICT_COLOURS[v]}"{stroke}/>'
            )
            ink = VERDICT_INK[v]
            body.append(
                f'<text x="{_n(x + cw / 2)}" y="{_n(y + 21)}" font-size="14" font-weight="700" '
                f'text-anchor="middle" fill="{ink}">{escape(v)}</text>'
            )
            lines = cell_figures(c) + ([note] if note else [])
            for n, line in enumerate(lines):
                weight = ' font-weight="700"' if note and n == len(lines) - 1 else ""
                body.append(
                    f'<text x="{_n(x + cw / 2)}" y="{_n(y + 36 + 12 * n)}" font-size="11" '
                    f'text-anchor="middle" fill="{ink}"{weight}>{escape(line)}</text>'
                )
            body.append("</g>")
    body += _legend(left, height - 10)
    return _svg(width, height, f"verdict matrix: {views.scenario_line(m.scenario)}", body)


def sweep_svg(r: SweepResult) -> str:
    """A verdict strip per combination along the swept axis (log scale for
    sizes), split where the verdict changes, each change value written at
    its edge."""
    sizes = r.param != "vcpus"
    scale = GiB if sizes else 1
    lo, hi = float(r.values[0]) / scale, float(r.values[-1]) / scale
    log = sizes or hi / lo >= 32
    names = [views.curve_name(c) for c in r.curves]
    left = 12 + max(_text_width(n, 11) for n in names) + 10
    plot_w, row_h, top = 620.0, 22.0, 10.0
    width = left + plot_w + 24
    height = top + row_h * len(r.curves) + 64

    def px(v: float) -> float:
        f = (math.log(v / lo) / math.log(hi / lo)) if log else (v - lo) / (hi - lo)
        return left + plot_w * f

    body = []
    for row, (name, c) in enumerate(zip(names, r.curves, strict=True)):
        y = top + row_h * row
        body.append(
            f'<text x="{_n(left - 8)}" y="{_n(y + row_h / 2 + 4)}" font-size="11" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        edges = [lo] + [(ch.last_before + ch.first_after) / 2 / scale for ch in c.changes] + [hi]
        verdicts = [str(c.verdict_list[0])] + [str(ch.after) for ch in c.changes]
        starts = [int(r.values[0])] + [ch.first_after for ch in c.changes]
        ends = [ch.last_before for ch in c.changes] + [int(r.values[-1])]
        for n, v in enumerate(verdicts):
            x0, x1 = px(edges[n]), px(edges[n + 1])
            span = (
                f"{views.exact_value(r.param, starts[n])} .. {views.exact_value(r.param, ends[n])}"
            )
            body.append(
                f"<g><title>{escape(f'{name}: {v} {span}')}</title>"
                f'<rect x="{_n(x0)}" y="{_n(y + 2)}" width="{_n(max(x1 - x0, 1.0))}" '
                f'height="{_n(row_h - 4)}" fill="{VERDICT_COLOURS[v]}"/>'
            )
            label = f"{v} from {views.exact_value(r.param, starts[n])}" if n else v
            if _text_width(label, 10) + 8 > x1 - x0:
                label = v if _text_width(v, 10) + 8 <= x1 - x0 else ""
            if label:
                body.append(
                    f'<text x="{_n(x0 + 4)}" y="{_n(y + row_h / 2 + 3.5)}" font-size="10" '
                    f'fill="{VERDICT_INK[v]}">{escape(label)}</text>'
                )
            body.append("</g>")
    axis_y = top + row_h * len(r.curves) + 2
    body.append(
        f'<line x1="{_n(left)}" y1="{_n(axis_y)}" x2="{_n(left + plot_w)}" y2="{_n(axis_y)}" '
        'stroke="#333" stroke-width="1"/>'
    )
    if sizes:
        ticks = size_ticks(lo, hi)
    elif log:
        ticks = pow2_ticks(lo, hi)
    else:
        step = max(1, math.ceil((hi - lo) / 8))
        ticks = [float(t) for t in range(int(lo), int(hi) + 1, step)]
    for t in ticks:
        x = px(t)
        text = size_label(t) if sizes else f"{t:g}"
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(axis_y)}" x2="{_n(x)}" y2="{_n(axis_y + 4)}" '
            'stroke="#333"/>'
            f'<text x="{_n(x)}" y="{_n(axis_y + 16)}" font-size="11" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    axis = {"ram": "guest RAM", "pre_accept": "pre-accepted by firmware", "vcpus": "vCPUs"}
    body.append(
        f'<text x="{_n(left + plot_w / 2)}" y="{_n(axis_y + 32)}" font-size="11" '
        f'text-anchor="middle">{axis[r.param]}{" (log scale)" if log else ""}</text>'
    )
    body += _legend(left, height - 6)
    return _svg(width, height, views.sweep_title(r), body)


# -- one function per kind ------------------------------------------------------------


def matrix(m: MatrixResult) -> str:
    report = views.matrix(m)
    caption = (
        "Each cell: verdict, boot time, usable memory (and memory lost); "
        "hover a cell for the reason."
    )
    items = _after_first_heading(report.blocks, _figure(matrix_svg(m), caption))
    return page(items, _title(report, "matrix"), "matrix")


def run(c: CellResult) -> str:
    return render(views.run(c), "run")


def _changed_cells(f: FileCheck) -> dict[tuple[str, str], str]:
    out = {}
    for cell in f.cells:
        verdict = next((c for c in cell.changes if c.path == "verdict"), None)
        out[(cell.firmware, cell.kernel)] = (
            f"was {verdict.old}" if verdict is not None else "changed"
        )
    return out


def check(r: CheckReport) -> str:
    report = views.check(r)
    items: list[Item] = list(report.blocks)
    for f in r.changed_files:
        if f.fresh is None:
            continue
        caption = (
            f"{f.source} recomputed: outlined cells changed ({len(f.cells)} of "
            f"{f.cells_checked}); the note says what the verdict was."
        )
        picture = _figure(matrix_svg(f.fresh, _changed_cells(f)), caption)
        prefix = f"{f.source}: "
        at = next(
            (
                i + 1
                for i, b in enumerate(items)
                if isinstance(b, Heading) and b.level == 2 and b.text.startswith(prefix)
            ),
            len(items),
        )
        # After the file's scenario line, when it follows the heading.
        following = items[at] if at < len(items) else None
        if isinstance(following, Para) and following.level == 0:
            at += 1
        items.insert(at, picture)
    return page(items, _title(report, "check"), "check")


def upgrades(r: UpgradeReport) -> str:
    report = views.upgrades(r)
    caption = "The matrix the upgrade paths walk: kernels left to right, firmware top to bottom."
    items = _after_first_heading(report.blocks, _figure(matrix_svg(r.matrix), caption))
    return page(items, _title(report, "upgrades"), "upgrades")


def sweep(r: SweepResult) -> str:
    report = views.sweep(r)
    caption = "Verdict of each combination along the sweep; hover a band for its exact range."
    items = _after_first_heading(report.blocks, _figure(sweep_svg(r), caption))
    return page(items, _title(report, "sweep"), "sweep")


def validation(v: Validation) -> str:
    return render(views.validation(v), "validation")


def inspect(report: InspectReport) -> str:
    return render(views.inspect(report), "inspect")


def profiles(found: dict[str, tuple[Profile, ...]]) -> str:
    return render(views.profiles(found), "profiles")


def grid(r: Any) -> str:
    """A sweep over two parameters (views.grid): its blocks, no picture yet."""
    return render(views.grid(r), "grid")


def compare(r: Any) -> str:
    """Two firmware builds or two kernels across RAM (views.compare): its blocks."""
    return render(views.compare(r), "compare")
