"""Pictures: `--format html` (one self-contained page), the sweep plot and the
matrix plot. The HTML is walked with the standard library's parser and its
content compared with the JSON of the same run; plots are checked in their SVG
text (matplotlib keeps each text as a comment beside its glyphs)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from uefi_accept.analyses.matrix import MatrixResult, evaluate_matrix
from uefi_accept.analyses.sweep import SweepResult, sweep, sweep_values
from uefi_accept.errors import InputError
from uefi_accept.inputs.profile_files import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile
from uefi_accept.model.scenario import Platform, Scenario
from uefi_accept.render import FORMATS, SUFFIX_FORMAT, Format, Kind, render
from uefi_accept.render import html as html_render
from uefi_accept.render.blocks import Cell, Column, Diff, Heading, Para, Report, Table
from uefi_accept.render.plot import (
    VERDICT_COLOURS,
    group_curves,
    marker_indices,
    pow2_ticks,
    size_ticks,
    time_ticks,
)
from uefi_accept.render.views import exact_value
from uefi_accept.units import GiB, TiB, format_size

MATRICES = Path(__file__).resolve().parent.parent / "matrices"
LOGS = Path(__file__).resolve().parent / "logs"
VOID = {"meta", "br", "img", "link", "input", "hr"}


# -- an HTML tree, from the standard library's parser ---------------------------------


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> list[Node]:
        out = [self]
        for c in self.children:
            if isinstance(c, Node):
                out += c.walk()
        return out

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.walk()
            if n.tag == tag and (cls is None or cls in n.attrs.get("class", "").split())
        ]


class TreeBuilder(HTMLParser):
    """Builds the tree and insists every element is closed, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.at = self.root
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.at.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.at))

    def handle_endtag(self, tag: str) -> None:
        assert self.at.tag == tag, f"</{tag}> closes <{self.at.tag}>"
        assert self.at.parent is not None
        self.at = self.at.parent

    def handle_data(self, data: str) -> None:
        self.at.children.append(data)


def parse(page: str) -> Node:
    b = TreeBuilder()
    b.feed(page)
    b.close()
    assert b.at is b.root, f"<{b.at.tag}> never closed"
    assert b.doctype.lower() == "doctype html"
    return b.root


def words(s: str) -> str:
    return " ".join(s.split())


def assert_self_contained(page: str) -> None:
    """No network: nothing fetched, no script; the only URL is the SVG namespace."""
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= {html_render.SVG_NS}
    tree = parse(page)
    for tag in ("script", "link", "img", "iframe", "object"):
        assert not tree.find(tag), tag
    for n in tree.walk():
        for name in ("src", "href", "xlink:href", "srcset"):
            assert name not in n.attrs, (n.tag, name)
    assert "@import" not in page and "url(" not in page


def svg_cells(tree: Node) -> dict[str, tuple[str, str, list[str]]]:
    """Each picture cell (a <g> with a <title>): title -> (fill, stroke, texts)."""
    out = {}
    for g in tree.find("g"):
        titles = [c for c in g.children if isinstance(c, Node) and c.tag == "title"]
        rects = [c for c in g.children if isinstance(c, Node) and c.tag == "rect"]
        if titles and rects:
            texts = [c.text() for c in g.children if isinstance(c, Node) and c.tag == "text"]
            out[titles[0].text()] = (
                rects[0].attrs["fill"],
                rects[0].attrs.get("stroke", ""),
                texts,
            )
    return out


# -- results to draw ------------------------------------------------------------------


def profiles(platform: Platform) -> tuple[list[Any], list[Any]]:
    fws = [resolve_profile(r, "firmware", platform) for r in FIRMWARE_ORDER]
    ks = [resolve_profile(r, "kernel", platform) for r in KERNEL_ORDER]
    return fws, ks


@pytest.fixture(scope="module")
def snp_matrix() -> MatrixResult:
    fws, ks = profiles(Platform.SNP)
    return evaluate_matrix(Scenario(platform=Platform.SNP, ram_bytes=64 * GiB), fws, ks)


@pytest.fixture(scope="module")
def ram_sweep() -> SweepResult:
    fws, ks = profiles(Platform.SNP)
    scenario = Scenario(platform=Platform.SNP, ram_bytes=2 * GiB)
    return sweep(scenario, "ram", sweep_values("ram", 2 * GiB, 16 * TiB), fws, ks)


# -- HTML: matrix ---------------------------------------------------------------------


def test_html_is_a_format_of_every_kind_and_suffix() -> None:
    assert Format.HTML == "html"
    assert {Kind.MATRIX, Kind.CHECK, Kind.SWEEP} <= {k for k in Kind if Format.HTML in FORMATS[k]}
    for kind in Kind:  # render() finds html.<kind> for every kind that offers it
        assert Format.HTML not in FORMATS[kind] or callable(getattr(html_render, kind.value))
    assert SUFFIX_FORMAT[".html"] == SUFFIX_FORMAT[".htm"] == Format.HTML


def test_matrix_html_shows_every_cell_its_figures_and_reason(cli_run: Callable[..., Any]) -> None:
    r = cli_run("matrix", "--format", "html")
    assert r.code == 0, r.err
    doc = json.loads(cli_run("matrix", "--format", "json").out)
    scenario = cli_run("matrix", "--format", "text").out.splitlines()[0]
    assert_self_contained(r.out)
    tree = parse(r.out)
    text = words(tree.text())
    assert scenario in tree.find("title")[0].text() and scenario in tree.find("h1")[0].text()
    pictures = svg_cells(tree)
    assert len(pictures) == len(doc["cells"]) == 9
    for c in doc["cells"]:
        name, verdict = f"{c['firmware']} / {c['kernel']}", c["verdict"]
        usable = format_size(c["usable_bytes"])
        # The list under the table: figures and the reason, in words.
        assert f"{name}: {verdict}, {c['boot_time_s']:.1f} s, usable {usable}" in text
        assert words(c["reason"]) in text
        # The picture: the cell in its verdict's colour, its figures written in it.
        fill, _, texts = pictures[f"{name}: {verdict}. {c['reason']}"]
        assert fill == VERDICT_COLOURS[verdict]
        assert texts[0] == verdict
        assert f"{c['boot_time_s']:.1f} s boot" in texts and f"{usable} usable" in texts
        if c["lost_bytes"]:
            assert f"{format_size(c['lost_bytes'])} lost" in texts
    # Verdict badges in the table use the same colours, by class.
    badges = {b.text() for b in tree.find("span", "verdict")}
    assert {c["verdict"] for c in doc["cells"]} <= badges
    for v, colour in VERDICT_COLOURS.items():
        assert f".v-{v}{{background:{colour}" in r.out


def test_html_is_byte_identical_run_to_run_and_follows_the_suffix(
    cli_run: Callable[..., Any], tmp_path: Path
) -> None:
    first = cli_run("matrix", "--ram", "1T", "--format", "html").out
    assert cli_run("matrix", "--ram", "1T", "--format", "html").out == first
    out = tmp_path / "report.htm"
    assert cli_run("matrix", "--ram", "1T", "-o", str(out)).code == 0
    assert out.read_text() == first


# -- HTML: check ----------------------------------------------------------------------


def near_future_always(path: Path) -> None:
    """The perturbation of tests/test_check.py: near-future firmware stops
    waiting for the opt-in."""
    data = json.loads(path.read_text())
    for fw in data["profiles"]["firmware"]:
        if fw["name"] == "near-future":
            fw["handover"] = "always"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def test_check_html_shows_the_changed_cells_and_the_diffs(
    cli_run: Callable[..., Any], tmp_path: Path
) -> None:
    golden = tmp_path / "snp-64g.json"
    shutil.copy2(MATRICES / "snp-64g.json", golden)
    near_future_always(golden)
    r = cli_run("check", "--format", "html", str(golden))
    assert r.code == 1, r.err
    assert_self_contained(r.out)
    report = json.loads(cli_run("check", "--format", "json", str(golden)).out)
    (changed_file,) = report["files"]
    changes = {(c["firmware"], c["kernel"]): c for c in changed_file["changes"]}
    assert changes[("near-future", "unenlightened")]["figures"]  # the perturbation shows

    tree = parse(r.out)
    text = words(tree.text())
    assert f"{report['cells_changed']} of {report['cells_checked']} cells changed" in text
    diffs = {
        (words(d.find("div", "old")[0].text()), words(d.find("div", "new")[0].text()))
        for d in tree.find("div", "diff")
    }
    pictures = svg_cells(tree)
    for (fw, k), cell in changes.items():
        assert f"{fw} / {k}" in text
        for f in cell["figures"]:
            assert f"{f['path']}:" in text
        for e in cell["explanations"]:
            # The whole old and new sentence, changed words marked.
            assert ("- " + words(e["old"]), "+ " + words(e["new"])) in diffs
        verdict = next((f for f in cell["figures"] if f["path"] == "verdict"), None)
        (title,) = [t for t in pictures if t.startswith(f"{fw} / {k}: ")]
        _, stroke, texts = pictures[title]
        assert stroke == "#000"  # outlined as changed
        if verdict:
            assert title.startswith(f"{fw} / {k}: {verdict['new']}.")
            assert f"was {verdict['old']}" in texts
    unchanged = [t for t in pictures if not any(t.startswith(f"{a} / {b}: ") for a, b in changes)]
    assert all(pictures[t][1] == "" for t in unchanged)
    assert len(pictures) == 9
    # The word diff marks what changed, not the whole sentence.
    reason = next(
        d for d in tree.find("div", "diff") if d.find("div", "diff-label")[0].text() == "reason"
    )
    assert reason.find("del") and reason.find("ins")
    assert len("".join(n.text() for n in reason.find("del"))) < len(
        reason.find("div", "old")[0].text()
    )


def test_unchanged_check_html_says_so(cli_run: Callable[..., Any], tmp_path: Path) -> None:
    golden = tmp_path / "snp-64g.json"
    shutil.copy2(MATRICES / "snp-64g.json", golden)
    cli_run("check", "--update", str(golden))  # whatever the engine says today
    r = cli_run("check", "--format", "html", str(golden))
    assert r.code == 0, r.err
    tree = parse(r.out)
    assert "No change in 1 file, 9 cells" in words(tree.text())
    assert not tree.find("svg")  # nothing changed: no picture


# -- HTML: sweep ----------------------------------------------------------------------


def test_sweep_html_shows_every_change_point(cli_run: Callable[..., Any]) -> None:
    args = ("sweep", "--ram", "1G..1T", "--points", "12")
    r = cli_run(*args, "--format", "html")
    assert r.code == 0, r.err
    assert_self_contained(r.out)
    doc = json.loads(cli_run(*args, "--format", "json").out)
    tree = parse(r.out)
    text = words(tree.text())
    pictures = svg_cells(tree)
    (svg,) = tree.find("svg")
    labels = {t.text() for t in svg.find("text")}
    assert sum(len(c["changes"]) for c in doc["combinations"]) >= 2
    for c in doc["combinations"]:
        name = f"{c['firmware']} / {c['kernel']}"
        assert name in labels  # a row per combination
        bands = {t: v for t, v in pictures.items() if t.startswith(f"{name}: ")}
        assert len(bands) == len(c["changes"]) + 1
        for ch in c["changes"]:
            at = exact_value("ram", ch["first_after"])
            assert f"at {at}: {words(ch['reason'])}" in text
            band = next(t for t in bands if t.startswith(f"{name}: {ch['to']} {at} .. "))
            assert bands[band][0] == VERDICT_COLOURS[ch["to"]]
            assert f"{ch['to']} from {at}" in bands[band][2] or not bands[band][2]
        if not c["changes"]:
            assert f"{name}: {c['verdict'][0]} throughout" in text
    # Binary sizes on the axis, the swept range in the title.
    assert {"1G", "1T"} <= labels
    assert "RAM sweep, 1 GiB .. 1 TiB" in tree.find("title")[0].text()
    assert cli_run(*args, "--format", "html").out == r.out


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--fw", "far-future", "--kernel", "unenlightened"),
        ("upgrades",),
        ("validate",),
        ("profiles",),
        ("inspect", str(LOGS / "tdx-guest-6.6-e820-head-tdx-linux-issue-5.txt")),
        ("sweep", "--vcpus", "1..64", "--fw", "deployed"),
        ("sweep", "--pre-accept", "64M..4G", "--kernel", "unenlightened"),
    ],
)
def test_every_kind_renders_a_page(cli_run: Callable[..., Any], args: tuple[str, ...]) -> None:
    r = cli_run(*args, "--format", "html")
    assert r.code in (0, 1), r.err
    assert_self_contained(r.out)
    tree = parse(r.out)
    md = cli_run(*args, "--format", "markdown").out
    heading = next((line for line in md.splitlines() if line.startswith("## ")), None)
    if heading:  # the same first heading as the Markdown
        assert words(heading[3:].replace("\\|", "|")) in words(tree.find("h1")[0].text())


# -- HTML: the blocks ---------------------------------------------------------------


def test_spans_become_classes_and_everything_is_escaped() -> None:
    assert html_render.span_html("fast", "bold green") == '<span class="verdict v-fast">fast</span>'
    styled = html_render.span_html("not a verdict", "bold white on red")
    match = re.fullmatch(r'<span class="([^"]+)">not a verdict</span>', styled)
    assert match and set(match[1].split()) == {"s-bold", "c-white", "bg-red"}
    assert html_render.span_html("<b>&", "bold") == '<span class="s-bold">&lt;b&gt;&amp;</span>'
    assert html_render.span_html("a", "blink reverse") == "a"  # no class: plain text
    report = Report().add(
        Heading("<script>alert(1)</script>"),
        Para.of(("x < y & z", "bold"), level=1),
        Table(
            columns=(Column("<a>", key=True), Column("n", justify="right")),
            rows=((Cell.of("<i>"), Cell.of("1", "2")),),
            title="t&t",
        ),
        Diff("reason", "a <b> c", "a <i> c"),
    )
    page = html_render.render(report, "test")
    assert "<script>" not in page and "<a>" not in page and "<i>" not in page
    tree = parse(page)
    assert tree.find("h1")[0].text() == "<script>alert(1)</script>"
    assert words(tree.find("li")[0].text()) == "x < y & z"
    (td,) = tree.find("td")
    assert (
        td.attrs["class"] == "r" and [c for c in td.children if isinstance(c, Node)][0].tag == "br"
    )
    assert [th.text() for th in tree.find("th") if th.attrs["scope"] == "row"] == ["<i>"]
    assert tree.find("caption")[0].text() == "t&t"
    (diff,) = tree.find("div", "diff")
    assert [d.text() for d in diff.find("del")] == ["<b> "] and [
        i.text() for i in diff.find("ins")
    ] == ["<i> "]


def test_items_nest_as_lists() -> None:
    report = Report().add(
        Para.of("intro"),
        Para.of("one", level=1),
        Para.of("one.a", level=2),
        Para.of("one.b", level=2),
        Para.of("two", level=1),
        Para.of("deep first", level=2),
        Para.of("after"),
    )
    tree = parse(html_render.render(report))
    top = [u for u in tree.find("ul") if u.parent is not None and u.parent.tag == "main"]
    assert len(top) == 1
    items = [c for c in top[0].children if isinstance(c, Node)]
    assert [i.tag for i in items] == ["li", "li"]
    assert [words(li.text()) for li in items[0].find("ul")[0].find("li")] == ["one.a", "one.b"]
    assert words(items[1].text()) == "two deep first"
    assert tree.find("p")[-1].text() == "after"


def test_render_routes_html_for_a_result(snp_matrix: MatrixResult) -> None:
    page = render(Kind.MATRIX, snp_matrix, Format.HTML)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert page == html_render.matrix(snp_matrix)


# -- plots --------------------------------------------------------------------------


def test_identical_curves_are_grouped(ram_sweep: SweepResult) -> None:
    groups = group_curves(ram_sweep.curves)
    members = [c for g in groups for c in g.curves]
    assert sorted(map(id, members)) == sorted(map(id, ram_sweep.curves))
    assert 1 < len(groups) < len(ram_sweep.curves)
    for g in groups:
        for c in g.curves[1:]:
            assert (c.verdicts == g.first.verdicts).all()
            assert (c.boots.usable_bytes == g.first.boots.usable_bytes).all()
        for c in g.curves:  # the legend names every member
            assert c.kernel.name in g.label() and c.firmware.name in g.label()
    alone = [
        g
        for g in groups
        if any(
            c.firmware.name == "far-future" and c.kernel.name == "unenlightened" for c in g.curves
        )
    ]
    assert len(alone) == 1 and len(alone[0].curves) == 1  # the one that loses memory


def test_ticks_are_round() -> None:
    ticks = pow2_ticks(2, 16 * 1024)
    assert all(math_is_pow2(t) for t in ticks) and len(ticks) <= 9 and ticks[-1] == 16 * 1024
    assert size_ticks(1, 1.5) == [1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
    assert time_ticks(8, 40000) == [10.0, 60.0, 600.0, 3600.0, 36000.0]
    assert time_ticks(1.6, 2700) == [2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0]
    assert time_ticks(11, 12) == []
    # Markers spread over the axis, another place for each group.
    xs = [float(2**i) for i in range(27)]
    a, b = marker_indices(xs, True, 0, 2), marker_indices(xs, True, 1, 2)
    assert not set(a) & set(b) and len(a) >= 4


def math_is_pow2(v: float) -> bool:
    return v > 0 and float(v).is_integer() and (int(v) & (int(v) - 1)) == 0


def test_sweep_plot_svg_has_ram_line_every_curve_and_verdict_colours(
    ram_sweep: SweepResult, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    from uefi_accept.render.plot import plot_sweep
    from uefi_accept.render.views import scenario_line

    out = tmp_path / "sweep.svg"
    plot_sweep(ram_sweep, str(out))
    svg = out.read_text()
    assert "all RAM (usable = RAM)" in svg and "memory lost" in svg and "16.0 TiB lost" in svg
    for c in ram_sweep.curves:  # every combination has its row in the verdict strip
        assert f"{c.firmware.name} / {c.kernel.name}" in svg
    assert scenario_line(ram_sweep.scenario, skip="ram_bytes") in svg  # the title
    used = {str(v) for c in ram_sweep.curves for v in c.verdict_list}
    assert {"fast", "degraded"} <= used
    for v in VERDICT_COLOURS:  # every colour in the key, each used one drawn
        assert f"<!-- {v} -->" in svg
    for v in used:
        assert VERDICT_COLOURS[v] in svg
    # Readable log axes: binary sizes and round times, no 10^x.
    for label in ("4G", "16G", "1T", "16T", "10 s", "1 min", "1 h"):
        assert f"<!-- {label} -->" in svg, label
    assert "mathdefault" not in svg
    again = tmp_path / "again.svg"
    plot_sweep(ram_sweep, str(again))
    assert again.read_bytes() == out.read_bytes()
    assert not list(tmp_path.glob(".*"))


def test_sweep_plot_of_another_parameter_draws_all_ram_flat(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from uefi_accept.render.plot import plot_sweep

    fws, ks = profiles(Platform.TDX)
    scenario = Scenario(platform=Platform.TDX, ram_bytes=64 * GiB, vcpus=1)
    result = sweep(scenario, "vcpus", sweep_values("vcpus", 1, 16), fws[:1], ks[:1])
    out = tmp_path / "vcpus.svg"
    plot_sweep(result, str(out))
    svg = out.read_text()
    assert "<!-- all RAM -->" in svg and "usable = RAM" not in svg
    assert "vCPUs sweep, 1 vCPU .. 16 vCPUs" in svg


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_matrix_plot_writes_the_grid(snp_matrix: MatrixResult, tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    from uefi_accept.render.plot import cell_figures, plot_matrix
    from uefi_accept.render.views import scenario_line

    out = tmp_path / f"matrix{suffix}"
    plot_matrix(snp_matrix, str(out))
    data = out.read_bytes()
    again = tmp_path / f"again{suffix}"
    plot_matrix(snp_matrix, str(again))
    assert again.read_bytes() == data  # no dates, fixed ids
    assert not list(tmp_path.glob(".*"))
    if suffix == ".png":
        assert data.startswith(b"\x89PNG")
        return
    if suffix == ".pdf":
        assert data.startswith(b"%PDF")
        return
    svg = data.decode()
    assert scenario_line(snp_matrix.scenario) in svg
    for c in snp_matrix.cells:
        assert f"<!-- {c.verdict} -->" in svg
        assert VERDICT_COLOURS[str(c.verdict)] in svg
        for line in cell_figures(c):  # each line of the cell's figures
            assert f"<!-- {line} -->" in svg
    for name in (*snp_matrix.firmware, *snp_matrix.kernels):
        assert f"<!-- {name} -->" in svg


def test_matrix_plot_refuses_an_unknown_image_type(
    snp_matrix: MatrixResult, tmp_path: Path
) -> None:
    from uefi_accept.render.plot import plot_matrix

    with pytest.raises(InputError, match=r"\.svg"):
        plot_matrix(snp_matrix, str(tmp_path / "m.gif"))
    assert not list(tmp_path.iterdir())


def test_matrix_plot_option_draws_the_matrix_it_prints(cli_run: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    svg, out = tmp_path / "m.svg", tmp_path / "m.json"
    r = cli_run("matrix", "--platform", "tdx", "--plot", str(svg), "-o", str(out))
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    text = svg.read_text()
    for cell in doc["cells"]:
        assert cell["verdict"] in text
    assert all(name in text for name in (*doc["firmware"], *doc["kernels"]))
    bad = cli_run("matrix", "--plot", str(tmp_path / "m.gif"), "-o", str(tmp_path / "x.json"))
    assert bad.code == 2 and not (tmp_path / "x.json").exists()
