"""`uefi-accept check`: recompute saved matrices, report changed cells, --update."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from uefi_accept.analyses.check import ChangeClass, check_golden, compare
from uefi_accept.errors import InputError
from uefi_accept.inputs.golden import load_golden, parse_golden

MATRICES = Path(__file__).resolve().parent.parent / "matrices"
SNP = "snp-64g.json"
TDX = "tdx-4g.json"


@pytest.fixture
def goldens(tmp_path: Path) -> Path:
    """A directory holding copies of two real goldens."""
    d = tmp_path / "goldens"
    d.mkdir()
    for name in (SNP, TDX):
        shutil.copy2(MATRICES / name, d / name)
    return d


def stamp(path: Path) -> tuple[bytes, int, int]:
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns, st.st_ino


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def near_future_always(data: dict[str, Any]) -> None:
    """Perturb a profile: near-future SNP firmware stops waiting for the opt-in."""
    for fw in data["profiles"]["firmware"]:
        if fw["name"] == "near-future":
            fw["handover"] = "always"


def test_unchanged_check_exits_0_and_touches_no_file(cli_run: Callable[..., Any], goldens: Path):
    before = {p.name: stamp(p) for p in goldens.iterdir()}
    r = cli_run("check", "--update", str(goldens))
    assert r.code == 0, r.err
    assert "No change in 2 files, 18 cells" in r.out
    assert {p.name: stamp(p) for p in goldens.iterdir()} == before


def changes_by_cell(out: str, name: str = SNP) -> dict[tuple[str, str], dict[str, Any]]:
    files = {Path(f["file"]).name: f for f in json.loads(out)["files"]}
    return {(c["firmware"], c["kernel"]): c for c in files[name]["changes"]}


def paths(change: dict[str, Any], kind: str = "figures") -> dict[str, dict[str, Any]]:
    return {c["path"]: c for c in change[kind]}


def test_perturbed_profile_exits_1_and_lists_the_changed_cells(
    cli_run: Callable[..., Any], goldens: Path
):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", "--format", "json", str(goldens))
    assert r.code == 1
    report = json.loads(r.out)
    assert report["changed"] is True and report["cells_changed"] == 3
    by_file = {Path(f["file"]).name: f for f in report["files"]}
    assert by_file[TDX]["changed"] is False and by_file[TDX]["changes"] == []
    changes = changes_by_cell(r.out)
    # Without the opt-in, the unenlightened kernel loses everything above the
    # pre-validated low RAM, and the dropped-protocol kernel boots fast again.
    assert set(changes) == {
        ("near-future", "unenlightened"),
        ("near-future", "enlightened"),
        ("near-future", "dropped-protocol"),
    }
    # The enlightened kernel boots the same, but the stub no longer finds the
    # protocol: its timeline says so, an explanation-only change.
    same = changes[("near-future", "enlightened")]
    assert same["figures"] == [] and [c["path"] for c in same["explanations"]] == ["events[4].what"]
    lost = paths(changes[("near-future", "unenlightened")])
    assert (lost["verdict"]["old"], lost["verdict"]["new"]) == ("slow", "degraded")
    assert lost["verdict"]["direction"] == "regression"
    assert lost["usable_bytes"]["new"] < lost["usable_bytes"]["old"] / 10
    assert lost["usable_bytes"]["direction"] == "regression"
    assert lost["lost_bytes"]["direction"] == "regression"
    assert lost["boot_time_s"]["direction"] == "improvement"
    # Every figure is compared, down to the timeline.
    assert {"accepted_bytes", "events[5].bytes", "events[5].duration_s"} <= set(lost)
    fast = paths(changes[("near-future", "dropped-protocol")])
    assert (fast["verdict"]["old"], fast["verdict"]["new"]) == ("slow", "fast")
    assert fast["verdict"]["direction"] == "improvement"
    explained = changes[("near-future", "dropped-protocol")]["explanations"]
    assert "reason" in {c["path"] for c in explained}


def test_more_memory_accepted_at_boot_is_a_change(cli_run: Callable[..., Any], goldens: Path):
    """The issue's case: 2 MiB more accepted and 2 MiB less unaccepted, nothing else."""

    def shift(d: dict[str, Any]) -> None:
        c = d["cells"][4]  # near-future / enlightened
        c["accepted_bytes"] += 2 << 20
        c["unaccepted_bytes"] -= 2 << 20

    edit(goldens / SNP, shift)
    r = cli_run("check", "--format", "json", str(goldens / SNP))
    assert r.code == 1
    (change,) = changes_by_cell(r.out).values()
    figs = paths(change)
    assert set(figs) == {"accepted_bytes", "unaccepted_bytes"}
    assert figs["accepted_bytes"]["old"] - figs["accepted_bytes"]["new"] == 2 << 20
    assert change["explanations"] == []
    text = cli_run("check", "--format", "text", str(goldens / SNP)).out
    assert "accepted_bytes:" in text and "(-2 MiB)" in text


def test_reworded_event_is_an_explanation_change(cli_run: Callable[..., Any], goldens: Path):
    def reword(d: dict[str, Any]) -> None:
        d["cells"][0]["events"][0]["what"] = "the VMM does something else"

    edit(goldens / SNP, reword)
    r = cli_run("check", "--format", "json", str(goldens / SNP))
    assert r.code == 1
    (change,) = changes_by_cell(r.out).values()
    assert change["figures"] == []
    (expl,) = change["explanations"]
    assert expl["path"] == "events[0].what" and expl["old"] == "the VMM does something else"
    # A readable diff in the text formats.
    text = cli_run("check", "--format", "text", str(goldens / SNP)).out
    assert "    - the VMM does something else" in text
    assert "    + VMM lays out RAM: 2 GiB below 4 GiB" in text
    md = cli_run("check", "--format", "markdown", str(goldens / SNP)).out
    assert "```diff" in md and "- the VMM does something else" in md
    # Told to ignore explanations, check still reports the change but passes.
    r = cli_run("check", "--ignore", "explanation", "--format", "json", str(goldens / SNP))
    assert r.code == 0
    data = json.loads(r.out)
    assert data["explanation_changes"] == 1 and data["failed"] is False


def test_ignoring_explanations_still_fails_on_figures(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, lambda d: d["cells"][0]["events"][2].update(bytes=1))
    r = cli_run("check", "--ignore", "explanation", "--format", "json", str(goldens / SNP))
    assert r.code == 1
    (change,) = changes_by_cell(r.out).values()
    assert [c["path"] for c in change["figures"]] == ["events[2].bytes"]
    r = cli_run("check", "--ignore", "figure", str(goldens / SNP))
    assert r.code == 0


def test_timeline_steps_changed_is_one_change(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, lambda d: d["cells"][0]["events"].pop(3))
    r = cli_run("check", "--format", "json", str(goldens / SNP))
    (change,) = changes_by_cell(r.out).values()
    assert [c["path"] for c in change["figures"]] == ["events.steps"]
    assert r.code == 1


def test_text_report_lists_changed_figures_per_cell(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", "--format", "text", str(goldens))
    assert r.code == 1
    lines = r.out.splitlines()
    assert "near-future / unenlightened" in lines
    assert "  verdict: slow -> degraded, regression" in lines
    assert lines.index("  verdict: slow -> degraded, regression") < lines.index(
        "  usable_bytes: 64.0 GiB -> 2.0 GiB (-62 GiB), regression"
    )
    assert not any(ln.startswith("deployed /") for ln in lines), "unchanged cells are not listed"
    assert TDX not in r.out


def test_update_rewrites_only_the_changed_file(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, near_future_always)
    os.chmod(goldens / SNP, 0o644)
    tdx_before = stamp(goldens / TDX)
    r = cli_run("check", "--update", "--format", "text", str(goldens))
    assert r.code == 1, "an update still reports that something changed"
    assert "rewritten" in r.out
    assert stamp(goldens / TDX) == tdx_before
    assert sorted(p.name for p in goldens.iterdir()) == sorted([SNP, TDX]), "no temp file left"
    assert (goldens / SNP).stat().st_mode & 0o777 == 0o644
    rewritten = json.loads((goldens / SNP).read_text())
    # The file keeps its own (perturbed) profile content, not the built-in's.
    handover = {f["name"]: f["handover"] for f in rewritten["profiles"]["firmware"]}
    assert handover["near-future"] == "always"
    cell = next(
        c
        for c in rewritten["cells"]
        if (c["firmware"], c["kernel"]) == ("near-future", "unenlightened")
    )
    assert cell["verdict"] == "degraded"
    # Now it is consistent: a second check passes and touches nothing.
    after = stamp(goldens / SNP)
    assert cli_run("check", "--update", str(goldens)).code == 0
    assert stamp(goldens / SNP) == after


def test_update_writes_what_matrix_writes(
    cli_run: Callable[..., Any], goldens: Path, tmp_path: Path
):
    """A rewritten golden is byte for byte the `matrix --format json` output."""
    edit(goldens / SNP, lambda d: d["cells"][0].update(verdict="crash"))
    assert cli_run("check", "--update", str(goldens / SNP)).code == 1
    fresh = tmp_path / "fresh.json"
    r = cli_run("matrix", "--platform", "snp", "--ram", "64G", "--format", "json", "-o", str(fresh))
    assert r.code == 0
    assert (goldens / SNP).read_bytes() == fresh.read_bytes()


def test_edited_expected_cell_is_a_change(cli_run: Callable[..., Any], goldens: Path):
    edit(
        goldens / TDX,
        lambda d: d["cells"][4].update(usable_bytes=d["cells"][4]["usable_bytes"] - 1),
    )
    r = cli_run("check", "--format", "json", str(goldens / TDX))
    assert r.code == 1
    (change,) = changes_by_cell(r.out, TDX).values()
    (fig,) = change["figures"]
    assert fig["path"] == "usable_bytes" and fig["new"] - fig["old"] == 1
    assert fig["direction"] == "improvement"
    # A change too small for GiB figures still shows as two different values.
    text = cli_run("check", "--format", "text", str(goldens / TDX)).out
    assert f"usable_bytes: {fig['old']} -> {fig['new']}" in text


@pytest.mark.parametrize(
    ("scale", "args", "code"),
    [
        (1.04, [], 0),
        (0.96, [], 0),
        (1.10, [], 1),
        (0.90, [], 1),
        (1.10, ["--tolerance", "0.2"], 0),
        (1.001, ["--tolerance", "0"], 1),
    ],
)
def test_boot_time_tolerance(
    cli_run: Callable[..., Any], goldens: Path, scale: float, args: list[str], code: int
):
    def slower(d: dict[str, Any]) -> None:
        for c in d["cells"]:
            c["boot_time_s"] = round(c["boot_time_s"] * scale, 3)

    edit(goldens / SNP, slower)
    r = cli_run("check", *args, "--format", "json", str(goldens / SNP))
    assert r.code == code, r.out
    if code:
        changes = changes_by_cell(r.out)
        assert len(changes) == 9
        assert all([c["path"] for c in ch["figures"]] == ["boot_time_s"] for ch in changes.values())


def test_compare_rules() -> None:
    old = {"verdict": "fast", "boot_time_s": 10.0, "usable_bytes": 64 << 30, "reason": "a"}
    assert compare(old, dict(old), 0.05) == []
    assert compare(old, {**old, "boot_time_s": 10.5}, 0.05) == []
    (c,) = compare(old, {**old, "boot_time_s": 10.51}, 0.05)
    assert (c.path, c.kind, c.direction) == ("boot_time_s", ChangeClass.FIGURE, "regression")
    (c,) = compare(old, {**old, "verdict": "slow"}, 0.05)
    assert (c.path, c.direction) == ("verdict", "regression")
    (c,) = compare(old, {**old, "usable_bytes": (64 << 30) + 1}, 0.05)
    assert (c.path, c.direction) == ("usable_bytes", "improvement")
    (c,) = compare(old, {**old, "reason": "b"}, 0.05)
    assert c.kind == ChangeClass.EXPLANATION
    (c,) = compare(old, {**old, "new_figure": 1}, 0.05)
    assert c.path == "new_figure" and c.kind == ChangeClass.FIGURE


# -- the gate sees the physics ---------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name", "value"),
    [
        ("uefi_accept.model.kernel", "STRUCT_PAGE_PER_PAGE", 56),
        ("uefi_accept.model.kernel", "MAX_ORDER_BYTES", 2 << 20),
        ("uefi_accept.model.kernel", "PAGE_TABLE_PER_GIB", 8192),
        ("uefi_accept.model.firmware", "FIRMWARE_RUNTIME_BYTES", 8 << 20),
    ],
)
def test_a_changed_physical_constant_fails_check(
    cli_run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, module: str, name: str, value: int
):
    import importlib

    assert cli_run("check", str(MATRICES)).code == 0
    monkeypatch.setattr(importlib.import_module(module), name, value)
    r = cli_run("check", "--format", "json", str(MATRICES))
    assert r.code == 1, f"{module}.{name} = {value} went unseen"
    assert json.loads(r.out)["figure_changes"] > 0


def test_a_changed_cost_fails_check(cli_run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch):
    from msgspec.structs import replace

    from uefi_accept.model import cost

    slower = replace(cost.TDX, kernel_s_per_gib=cost.TDX.kernel_s_per_gib * 1.2)
    monkeypatch.setitem(cost.COST_MODELS, "tdx", slower)
    r = cli_run("check", "--format", "json", str(MATRICES))
    assert r.code == 1
    files = {Path(f["file"]).name: f["changed"] for f in json.loads(r.out)["files"]}
    assert files["tdx-1t.json"] and not files["snp-1t.json"]


# -- bad files: exit 2, the file named, no traceback, nothing rewritten ------


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _set(path: str, value: Any) -> Callable[[Path], None]:
    def change(p: Path) -> None:
        data = json.loads(p.read_text())
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
        p.write_text(json.dumps(data))

    return change


_DELETE = object()

BAD_FILES: list[tuple[str, Callable[[Path], None], str]] = [
    ("truncated", _truncate, "not valid JSON, truncated or corrupt?"),
    ("garbage", lambda p: p.write_bytes(b"\x00\xffPK\x03\x04"), "not UTF-8"),
    ("not-json", lambda p: p.write_text("cells = 3\n"), "not valid JSON"),
    ("empty", lambda p: p.write_text(""), "empty file"),
    ("array", lambda p: p.write_text("[1, 2]"), "top level is a JSON array"),
    ("foreign-kind", _set("kind", "check"), "kind: got 'check', expected 'matrix'"),
    ("no-kind", _set("kind", _DELETE), "kind: no 'kind' key"),
    ("too-new", _set("schema_version", 2), "schema_version: 2 is newer"),
    ("bad-version", _set("schema_version", "1"), "schema_version: unknown schema version"),
    ("no-cells", _set("cells", _DELETE), "cells: required field is missing"),
    ("no-scenario-key", _set("scenario.loader", _DELETE), "scenario.loader: required field"),
    ("bad-layout", _set("scenario.layout", "pc"), "scenario.layout: Invalid enum value 'pc'"),
    ("bad-ram", _set("scenario.ram_bytes", 1024), "scenario.ram_bytes:"),
    ("bool-vcpus", _set("scenario.vcpus", True), "scenario.vcpus: Expected `int`"),
    ("bad-ratio", _set("scenario.slow_ratio", 0.5), "scenario.slow_ratio:"),
    ("bad-page", _set("scenario.host_page_size", 8192), "scenario.host_page_size:"),
    ("bad-verdict", _set("cells.2.verdict", "meh"), "cells[2].verdict: Invalid enum value"),
    ("missing-cell", _set("cells.4", _DELETE), "cells: missing cell: near-future / enlightened"),
    (
        "bad-profile",
        _set("profiles.kernel.1.accept_memory", "sometimes"),
        "profiles.kernel[1].accept_memory: Invalid enum value",
    ),
    (
        "inconsistent-profile",
        _set("profiles.firmware.0.pre_accept", "below-4g"),
        "profiles.firmware[0].handover:",
    ),
    (
        "unknown-profile-field",
        _set("profiles.kernel.0.colour", "blue"),
        "profiles.kernel[0].colour: unknown field",
    ),
    (
        "wrong-platform",
        _set("profiles.firmware.2.platforms", ["tdx"]),
        "profiles.firmware[2].platforms: firmware 'far-future' does not run on snp",
    ),
    ("renamed-profile", _set("profiles.kernel.2.name", "other"), "kernels: lists"),
    ("unknown-builtin", _set("profiles.kernel.0", "nonesuch"), "no built-in kernel profile"),
]


@pytest.mark.parametrize(("label", "damage", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_golden_is_reported_and_the_others_still_checked(
    cli_run: Callable[..., Any],
    goldens: Path,
    label: str,
    damage: Callable[[Path], None],
    message: str,
):
    bad = goldens / SNP
    damage(bad)
    bad_before = stamp(bad)
    # The other file has a real change: it is still checked, reported and rewritten.
    edit(goldens / TDX, lambda d: d["cells"][0].update(verdict="crash"))
    r = cli_run("check", "--update", "--format", "json", str(goldens))
    assert r.code == 2
    assert "Traceback" not in r.err
    (line,) = r.err.strip().splitlines()
    assert line.startswith(f"uefi-accept: error: {bad}: ") and message in line
    files = {Path(f["file"]).name: f for f in json.loads(r.out)["files"]}
    assert message in files[SNP]["error"]
    assert files[TDX]["changed"] and files[TDX]["updated"]
    assert stamp(bad) == bad_before
    assert json.loads((goldens / TDX).read_text())["cells"][0]["verdict"] != "crash"
    assert sorted(p.name for p in goldens.iterdir()) == sorted([SNP, TDX])


def test_missing_file_and_empty_directory_exit_2(cli_run: Callable[..., Any], tmp_path: Path):
    r = cli_run("check", str(tmp_path / "nope.json"))
    assert r.code == 2 and "nope.json: cannot read" in r.err
    r = cli_run("check", str(tmp_path))
    assert r.code == 2 and "no .json matrix files" in r.err


def test_parse_golden_rejects_nan_and_names_source() -> None:
    raw = (MATRICES / SNP).read_text().replace('"boot_time_s": 117.8', '"boot_time_s": NaN', 1)
    with pytest.raises(InputError) as exc:
        parse_golden(raw.encode(), "some/file.json")
    assert exc.value.source == "some/file.json"
    assert "NaN" in exc.value.problem


# -- profile references and file selection ----------------------------------


def test_builtin_name_reference_is_resolved_and_kept(cli_run: Callable[..., Any], goldens: Path):
    def by_name(d: dict[str, Any]) -> None:
        d["profiles"]["kernel"][1] = "enlightened"

    edit(goldens / SNP, by_name)
    assert cli_run("check", str(goldens / SNP)).code == 0
    edit(goldens / SNP, lambda d: d["cells"][0].update(verdict="crash"))
    assert cli_run("check", "--update", str(goldens / SNP)).code == 1
    assert json.loads((goldens / SNP).read_text())["profiles"]["kernel"][1] == "enlightened"
    assert cli_run("check", str(goldens / SNP)).code == 0


def test_directory_and_repeated_paths_are_checked_once(cli_run: Callable[..., Any], goldens: Path):
    r = cli_run("check", "--format", "json", str(goldens), str(goldens / SNP))
    assert r.code == 0
    assert [Path(f["file"]).name for f in json.loads(r.out)["files"]] == sorted([SNP, TDX])


def test_check_golden_recomputes_from_file_content() -> None:
    g = load_golden(str(MATRICES / SNP))
    assert g.scenario.platform == "snp" and g.scenario.ram_bytes == 64 << 30
    result = check_golden(g)
    assert not result.changed and result.cells_checked == 9
    assert result.fresh_text == (MATRICES / SNP).read_text()


# -- formats -----------------------------------------------------------------


def test_json_report_is_deterministic(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, near_future_always)
    a = cli_run("check", "--format", "json", str(goldens))
    b = cli_run("check", "--format", "json", str(goldens))
    assert a.out == b.out and a.out.endswith("}\n")
    data = json.loads(a.out)
    assert data["schema_version"] == 2 and data["kind"] == "check"
    assert a.out == json.dumps(data, sort_keys=True, indent=2) + "\n"


def test_markdown_report_is_a_gfm_table(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", "--format", "markdown", str(goldens))
    assert r.code == 1
    lines = r.out.splitlines()
    cell = lines.index("**near-future / unenlightened**")
    assert lines[cell + 2] == "- **verdict:** slow -> degraded, **regression**"
    assert "```diff" in lines


def test_text_report_is_plain_ascii_under_80_columns(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", "--format", "text", str(goldens))
    assert r.out.isascii() and "\x1b" not in r.out
    assert max(len(ln) for ln in r.out.splitlines()) < 80
    assert not set("┃│┏━─") & set(r.out)


def test_table_report_and_output_file(cli_run: Callable[..., Any], goldens: Path, tmp_path: Path):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", str(goldens))
    assert r.code == 1 and "near-future" in r.out and "degraded" in r.out
    out = tmp_path / "report.md"
    r = cli_run("check", "--format", "markdown", "-o", str(out), str(goldens))
    assert r.code == 1 and r.out == ""
    assert "- **verdict:** slow -> degraded, **regression**" in out.read_text()


def test_help_lists_exit_codes(cli_run: Callable[..., Any]):
    for cmd in ("check", "upgrades"):
        r = cli_run(cmd, "--help")
        assert r.code == 0
        assert "Exit codes:" in r.out
        assert "`check` found a change" in r.out


def test_golden_beyond_the_ram_limit_is_refused(cli_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json as _json
    from pathlib import Path as _Path

    src = _Path(__file__).resolve().parent.parent / "matrices" / "snp-4g.json"
    data = _json.loads(src.read_text())
    data["scenario"]["ram_bytes"] = 1 << 70
    f = tmp_path / "huge.json"
    f.write_text(_json.dumps(data))
    r = cli_run("check", str(f))
    assert r.code == 2 and "ram_bytes" in r.err and "MemoryError" not in r.err


def test_nan_tolerance_is_refused(cli_run) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path as _Path

    matrices = _Path(__file__).resolve().parent.parent / "matrices"
    r = cli_run("check", "--tolerance", "nan", str(matrices))
    assert r.code == 2 and "--tolerance" in r.err
