"""`compare A B`: two firmware builds (or two kernels) across a RAM range, under
each profile of the other side: where B is better, worse, the same, by how
much, with exact ends where a verdict changes, in every format."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from uefi_accept.analyses.compare import compare, judge
from uefi_accept.analyses.sweep import sweep, sweep_values
from uefi_accept.inputs.profile_files import BUILTIN_DIR, resolve_profile
from uefi_accept.inputs.schemas import SCHEMA_DIR, file_name
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.scenario import Platform, Scenario
from uefi_accept.render import FORMATS, Format, Kind, render
from uefi_accept.units import GiB, MiB, TiB

SNP = Platform.SNP
LOW_MEMORY = 2 * GiB  # q35 puts 2 GiB below 4 GiB once RAM reaches 2816 MiB
KERNELS = ("unenlightened", "enlightened", "dropped-protocol")


def assert_valid(doc: dict[str, Any]) -> None:
    schema = json.loads((Path(SCHEMA_DIR) / file_name("compare")).read_text(encoding="utf-8"))
    problems = [e.message for e in Draft202012Validator(schema).iter_errors(doc)]
    assert doc["kind"] == "compare" and not problems, problems[:5]


def json_doc(cli_run: Any, *args: str, code: int = 0) -> dict[str, Any]:
    r = cli_run("compare", *args, "--format", "json")
    assert r.code == code, r.err
    doc: dict[str, Any] = json.loads(r.out)
    assert_valid(doc)
    return doc


def by_held(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["held"]: h for h in doc["held"]}


def change_points(platform: str, fw: str, kernel: str, vcpus: int = 4) -> list[Any]:
    """The sweep's own verdict changes of one combination over the default range."""
    scenario = Scenario(platform=SNP, ram_bytes=GiB, vcpus=vcpus)
    result = sweep(
        scenario,
        "ram",
        sweep_values("ram", GiB, 4 * TiB),
        [resolve_profile(fw, "firmware", SNP)],  # type: ignore[list-item]
        [resolve_profile(kernel, "kernel", SNP)],  # type: ignore[list-item]
    )
    return list(result.curves[0].changes)


# -- firmware: deployed against far-future --------------------------------------------------


@pytest.fixture(scope="module")
def fw_doc() -> dict[str, Any]:
    """`compare deployed far-future --format json`, the defaults spelled out."""
    scenario = Scenario(platform=SNP, ram_bytes=GiB)
    a, b = (resolve_profile(n, "firmware", SNP) for n in ("deployed", "far-future"))
    held = [resolve_profile(n, "kernel", SNP) for n in KERNELS]
    result = compare(scenario, "firmware", a, b, held, sweep_values("ram", GiB, 4 * TiB))
    doc: dict[str, Any] = json.loads(render(Kind.COMPARE, result, Format.JSON))
    return doc


def test_the_cli_defaults_are_those(cli_run: Any, fw_doc: dict[str, Any]) -> None:
    assert json_doc(cli_run, "deployed", "far-future") == fw_doc


def test_far_future_firmware_loses_memory_under_an_unenlightened_kernel(
    fw_doc: dict[str, Any],
) -> None:
    assert_valid(fw_doc)
    assert (fw_doc["compared"], fw_doc["a"], fw_doc["b"]) == ("firmware", "deployed", "far-future")
    h = by_held(fw_doc)["unenlightened"]
    (change,) = change_points("snp", "far-future", "unenlightened")
    assert (change.before, change.after) == (Verdict.FAST, Verdict.DEGRADED)
    same, *worse = h["intervals"]
    # The same up to the sweep's own change point, worse from it to the end of the range.
    assert same["judgement"] == "same" and same["high_bytes"] == change.last_before
    assert worse and all(iv["judgement"] == "worse" for iv in worse)
    first = worse[0]
    assert first["low_bytes"] == change.first_after > LOW_MEMORY
    assert first["low_exact"] and same["high_exact"]
    assert worse[-1]["high_bytes"] == 4 * TiB
    for iv in worse:
        assert iv["b_verdict"] == "degraded" and iv["decided_by"] == ["verdict"]
        # Memory lost: B has less usable RAM at every point, more the more RAM.
        assert iv["usable_difference_bytes"]["max"] < 0
    assert worse[-1]["usable_difference_bytes"]["min"] < -4 * TiB + 4 * GiB
    # A turns slow at its own change point; the interval splits there, exactly.
    (slow,) = change_points("snp", "deployed", "unenlightened")
    assert [iv["a_verdict"] for iv in worse] == ["fast", "slow"]
    assert worse[1]["low_bytes"] == slow.first_after and worse[0]["high_bytes"] == slow.last_before
    # Counts are over the sampled points only.
    values = np.array(fw_doc["values"])
    assert h["counts"] == {
        "better": 0,
        "worse": int((values >= change.first_after).sum()),
        "same": int((values < change.first_after).sum()),
    }
    assert h["worse"] and fw_doc["worse"]


def test_far_future_firmware_is_better_for_enlightened_kernels(fw_doc: dict[str, Any]) -> None:
    for name in ("enlightened", "dropped-protocol"):
        h = by_held(fw_doc)[name]
        assert not h["worse"] and h["counts"]["worse"] == 0 and h["counts"]["better"] > 0
        judgements = {iv["judgement"] for iv in h["intervals"]}
        assert judgements == {"same", "better"}
        # Where deployed firmware is slow, far-future is fast: better by verdict.
        last = h["intervals"][-1]
        assert (last["a_verdict"], last["b_verdict"], last["judgement"]) == (
            "slow",
            "fast",
            "better",
        )
        assert last["boot_time_ratio"]["max"] < 1 / 1.05


def test_swapping_a_and_b_swaps_better_and_worse(cli_run: Any, fw_doc: dict[str, Any]) -> None:
    swapped = json_doc(cli_run, "far-future", "deployed", code=0)
    flip = {"better": "worse", "worse": "better", "same": "same"}
    for h, s in zip(fw_doc["held"], swapped["held"], strict=True):
        assert [(iv["low_bytes"], iv["high_bytes"]) for iv in h["intervals"]] == [
            (iv["low_bytes"], iv["high_bytes"]) for iv in s["intervals"]
        ]
        assert [flip[iv["judgement"]] for iv in h["intervals"]] == [
            iv["judgement"] for iv in s["intervals"]
        ]


def test_the_boundary_does_not_depend_on_the_sampling(cli_run: Any) -> None:
    starts = set()
    for points in ("9", "40"):
        doc = json_doc(
            cli_run, "deployed", "far-future", "--kernel", "unenlightened", "--points", points
        )
        (h,) = doc["held"]
        starts.add(next(iv["low_bytes"] for iv in h["intervals"] if iv["judgement"] == "worse"))
        assert len(doc["values"]) == int(points)
    assert starts == {2816 * MiB}


def test_fail_if_worse_exits_1_only_when_b_is_worse(cli_run: Any) -> None:
    worse = cli_run(
        "compare", "deployed", "far-future", "--kernel", "unenlightened", "--fail-if-worse"
    )
    assert worse.code == 1 and "is worse than A" in worse.out
    better = cli_run(
        "compare", "deployed", "far-future", "--kernel", "enlightened", "--fail-if-worse"
    )
    assert better.code == 0 and "nowhere worse" in better.out
    # Without the flag a comparison is a report: exit 0 either way.
    assert cli_run("compare", "deployed", "far-future", "--kernel", "unenlightened").code == 0


# -- kernels: linux-6.13 against linux-6.14 ---------------------------------------------------


def test_linux_6_14_crashes_where_6_13_boots_with_many_vcpus(cli_run: Any) -> None:
    doc = json_doc(cli_run, "linux-6.13", "linux-6.14", "--vcpus", "64")
    assert (doc["compared"], doc["a"], doc["b"]) == ("kernel", "linux-6.13", "linux-6.14")
    held = by_held(doc)
    assert set(held) == {"deployed", "near-future", "far-future"}
    # Firmware that accepts everything itself leaves no storm to have: the same throughout.
    assert [iv["judgement"] for iv in held["deployed"]["intervals"]] == ["same"] * len(
        held["deployed"]["intervals"]
    )
    for fw in ("near-future", "far-future"):
        h = held[fw]
        changes = change_points("snp", fw, "linux-6.14", vcpus=64)
        into = next(c for c in changes if c.after == Verdict.CRASH)
        out_of = next(c for c in changes if c.before == Verdict.CRASH)
        (crash,) = [iv for iv in h["intervals"] if iv["b_verdict"] == "crash"]
        assert crash["judgement"] == "worse" and crash["a_verdict"] == "fast"
        assert (crash["low_bytes"], crash["high_bytes"]) == (into.first_after, out_of.last_before)
        assert crash["low_exact"] and crash["high_exact"]
        # A crash has no boot time or usable memory to compare.
        assert crash["boot_time_ratio"] is None and crash["usable_difference_bytes"] is None
        assert crash["low_bytes"] < 8 * GiB  # small RAM: the storm outruns the watermarks
        # Never better, and by the top of the range no longer worse.
        assert all(iv["judgement"] != "better" for iv in h["intervals"])
        assert h["intervals"][-1]["judgement"] == "same"
        assert h["intervals"][-1]["high_bytes"] == 4 * TiB
        assert h["intervals"][0]["judgement"] == "same"


def test_kernel_comparison_holds_the_firmware_given(cli_run: Any) -> None:
    doc = json_doc(cli_run, "linux-6.13", "linux-6.14", "--vcpus", "64", "--fw", "deployed")
    (h,) = doc["held"]
    assert h["held"] == "deployed" and not doc["worse"]
    assert h["counts"] == {"better": 0, "worse": 0, "same": len(doc["values"])}


# -- the judgement ----------------------------------------------------------------------------


def test_judgement_is_verdict_then_usable_memory_then_boot_time() -> None:
    fast, slow, crash = Verdict.FAST.rank, Verdict.SLOW.rank, Verdict.CRASH.rank
    a_rank = np.array([fast, slow, fast, fast, fast, fast, fast, crash])
    b_rank = np.array([slow, fast, fast, fast, fast, fast, fast, crash])
    a_use = np.array([8, 8, 8, 8, 8, 8, 8, 8]) * GiB
    b_use = np.array([9, 7, 7, 9, 8, 8, 8, 1]) * GiB
    a_t = np.array([10.0, 10.0, 10.0, 20.0, 10.0, 10.0, 10.0, 1.0])
    b_t = np.array([1.0, 99.0, 1.0, 99.0, 10.5, 10.6, 9.0, 9.0])
    codes, deciders = judge(a_rank, b_rank, a_use, b_use, a_t, b_t, 1.05)
    assert [["better", "worse", "same"][c] for c in codes] == [
        "worse",  # a worse verdict, whatever the figures
        "better",  # a better verdict, though slower and with less memory
        "worse",  # the same verdict, less usable memory, though faster
        "better",  # more usable memory, though slower
        "same",  # 5% longer: not beyond the ratio
        "worse",  # 6% longer
        "better",  # 10% shorter
        "same",  # two crashes: nothing to compare
    ]
    assert list(deciders) == [0, 0, 1, 1, -1, 2, 2, -1]


def test_a_profile_file_compares_as_its_built_in(cli_run: Any, tmp_path: Path) -> None:
    text = (Path(BUILTIN_DIR) / "firmware" / "far-future-snp.toml").read_text()
    mine = tmp_path / "my-ovmf.toml"
    mine.write_text(text.replace('name = "far-future"', 'name = "my-ovmf"'))
    args = ("--kernel", "unenlightened", "--points", "9")
    built_in = json_doc(cli_run, "deployed", "far-future", *args)
    from_file = json_doc(cli_run, "deployed", str(mine), *args)
    assert from_file["b"] == "my-ovmf" and from_file["compared"] == "firmware"
    assert from_file["held"] == built_in["held"]
    # --side says what the files are; forcing the wrong side names the file's problem.
    assert (
        json_doc(cli_run, "deployed", str(mine), *args, "--side", "firmware")["held"]
        == (built_in["held"])
    )
    wrong = cli_run("compare", "deployed", str(mine), *args, "--side", "kernel")
    assert wrong.code == 2 and "A: unknown kernel profile 'deployed'" in wrong.err


def test_analysis_matches_the_sweep_at_every_sampled_point() -> None:
    scenario = Scenario(platform=SNP, ram_bytes=GiB)
    values = sweep_values("ram", GiB, 4 * TiB, 13)
    fws = [resolve_profile(n, "firmware", SNP) for n in ("deployed", "far-future")]
    held = [resolve_profile("unenlightened", "kernel", SNP)]
    r = compare(scenario, "firmware", fws[0], fws[1], held, values)
    (h,) = r.held
    on_grid = h.sampled
    assert np.array_equal(h.ram[on_grid], values)
    assert np.array_equal(h.a_usable_bytes[on_grid], h.a.boots.usable_bytes)
    assert np.array_equal(h.b_boot_time_s[on_grid], h.b.boots.boot_time_s)
    assert list(np.array(h.b_verdicts)[on_grid]) == h.b.verdict_list
    # Intervals tile the booted points, in order, without gaps.
    assert sum(iv.points for iv in h.intervals) == h.ram.size
    assert h.intervals[0].low == values[0] and h.intervals[-1].high == values[-1]


# -- formats --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_result() -> Any:
    from uefi_accept.analyses.compare import compare as run

    scenario = Scenario(platform=SNP, ram_bytes=GiB, vcpus=64)
    ks = [resolve_profile(n, "kernel", SNP) for n in ("linux-6.13", "linux-6.14")]
    fws = [resolve_profile("far-future", "firmware", SNP)]
    return run(scenario, "kernel", ks[0], ks[1], fws, sweep_values("ram", GiB, 4 * TiB))


def test_compare_offers_every_format() -> None:
    assert set(FORMATS[Kind.COMPARE]) == {
        Format.TABLE,
        Format.TEXT,
        Format.MARKDOWN,
        Format.JSON,
        Format.CSV,
        Format.HTML,
    }


@pytest.mark.parametrize("fmt", [Format.TABLE, Format.TEXT, Format.MARKDOWN, Format.HTML])
def test_every_block_format_carries_the_crash_interval(kernel_result: Any, fmt: Format) -> None:
    out = render(Kind.COMPARE, kernel_result, fmt)
    (crash,) = [iv for iv in kernel_result.held[0].intervals if iv.b_verdict == Verdict.CRASH]
    for fact in (
        f"{crash.low >> 20} MiB",
        f"{crash.high >> 20} MiB",
        "linux-6.14",
        "accept storm",
        "is worse than A",
    ):
        assert fact in out, (fmt, fact)


def test_text_fits_79_columns(kernel_result: Any) -> None:
    text = render(Kind.COMPARE, kernel_result, Format.TEXT)
    assert max(len(line) for line in text.splitlines()) <= 79
    assert "3463 MiB..7667 MiB" in text and "fast -> crash" in text


def test_html_is_one_well_formed_page(kernel_result: Any) -> None:
    page = render(Kind.COMPARE, kernel_result, Format.HTML)

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []
            self.seen: list[str] = []

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.seen.append(tag)
            if tag not in ("meta", "br", "link"):
                self.open.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.open.pop() == tag

    parser = Tags()
    parser.feed(page)
    assert not parser.open and "table" in parser.seen and "h2" in parser.seen
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_csv_has_a_row_per_held_profile_and_point(kernel_result: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(render(Kind.COMPARE, kernel_result, Format.CSV))))
    (h,) = kernel_result.held
    assert len(rows) == h.ram.size
    assert {r["point"] for r in rows} == {"sample", "change"}
    assert sum(r["point"] == "sample" for r in rows) == kernel_result.values.size
    crash = [r for r in rows if r["b_verdict"] == "crash"]
    assert crash and all(r["judgement"] == "worse" and r["decided_by"] == "verdict" for r in crash)
    for r in rows:
        assert r["firmware"] == "far-future" and r["compared"] == "kernel"
        assert int(r["usable_difference_bytes"]) == int(r["b_usable_bytes"]) - int(
            r["a_usable_bytes"]
        )


def test_output_file_suffix_sets_the_format(cli_run: Any, tmp_path: Path) -> None:
    target = tmp_path / "cmp.csv"
    r = cli_run("compare", "deployed", "far-future", "--kernel", "enlightened", "-o", str(target))
    assert r.code == 0 and target.read_text().startswith("ram_bytes,point,compared,")


def test_schema_command_knows_compare(cli_run: Any) -> None:
    r = cli_run("schema", "compare")
    assert r.code == 0 and json.loads(r.out)["$id"].endswith("compare-1.json")


# -- errors: one line, exit 2 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("deployed", "linux-6.14"), "A is a firmware profile and B a kernel profile"),
        (("deployed", "near-futur"), "B: unknown firmware profile 'near-futur': did you mean"),
        (("nope", "nada"), "A: neither a firmware nor a kernel profile: 'nope'"),
        (("linux-6.13", "enlightend"), "did you mean 'enlightened'?"),
        (("deployed", "far-future", "--fw", "near-future"), "--fw: A and B are firmware"),
        (("linux-6.13", "linux-6.14", "--kernel", "enlightened"), "--kernel: A and B are kernel"),
        (("deployed", "far-future", "--ram", "64G"), "--ram: compare runs across a range"),
        (("deployed", "far-future", "--ram", "4T..1G"), "a range goes from low to high"),
        (("deployed", "far-future", "--ram", "64M..1T"), "at least 128M"),
        (("edk2-stable202202", "deployed", "--platform", "tdx"), "A: built-in firmware"),
        (("deployed", "far-future", "--kernel", "x", "--kernel", "x"), "--kernel: unknown"),
        (("deployed", "far-future", "--kernel", "enlightened", "--kernel", "enlightened"), "twice"),
        (("deployed", "far-future", "--time-ratio", "0.9"), "--time-ratio"),
        (("linux-2.4", "linux-6.14"), "A: Linux 2.4 predates"),
        (("deployed", "no-such-dir/ovmf.toml"), "no-such-dir/ovmf.toml: cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli_run: Any, args: tuple[str, ...], expected: str
) -> None:
    r = cli_run("compare", *args)
    assert r.code == 2 and r.out == ""
    assert expected in r.err and r.err.count("\n") == 1 and "Traceback" not in r.err
