"""`uefi-accept upgrades`: each upgrade step that makes a boot worse."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from uefi_accept.analyses.matrix import evaluate_matrix
from uefi_accept.analyses.upgrades import CellFacts, walk_upgrades, worse_fields
from uefi_accept.inputs.profile_files import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.scenario import Scenario
from uefi_accept.render import Format, Kind, render
from uefi_accept.units import GiB


def steps(out: str) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Regressions from JSON output, keyed (upgraded side, held side, from, to)."""
    data = json.loads(out)
    return {(r["upgraded"], r["held"], r["from"], r["to"]): r for r in data["regressions"]}


@pytest.fixture(scope="module")
def snp64_json() -> str:
    s = Scenario(platform="snp", ram_bytes=64 * GiB)
    m = evaluate_matrix(
        s,
        [resolve_profile(n, "firmware", "snp") for n in FIRMWARE_ORDER],  # type: ignore[misc]
        [resolve_profile(n, "kernel", "snp") for n in KERNEL_ORDER],  # type: ignore[misc]
    )
    return render(Kind.UPGRADES, walk_upgrades(m), Format.JSON)


def test_snp_64g_flags_the_seed_regressions(cli_run: Callable[..., Any]):
    r = cli_run("upgrades", "--platform", "snp", "--ram", "64G", "--format", "json")
    assert r.code == 1
    found = steps(r.out)
    # Dave Hansen's worry: near-future firmware, enlightened -> dropped-protocol.
    dropped = found[("kernel", "near-future", "enlightened", "dropped-protocol")]
    assert (dropped["before"]["verdict"], dropped["after"]["verdict"]) == ("fast", "slow")
    assert "boot_time_s" in dropped["worse"]
    assert dropped["after"]["boot_time_s"] >= 1.5 * dropped["before"]["boot_time_s"]
    # Kirill Shutemov's answer: the unenlightened kernel keeps only a fraction.
    fraction = found[("firmware", "unenlightened", "near-future", "far-future")]
    assert fraction["worse"] == ["verdict", "usable_bytes"]
    assert fraction["after"]["usable_bytes"] < fraction["before"]["usable_bytes"] / 10
    assert fraction["after"]["lost_bytes"] > 60 * GiB
    # Upgrading to an enlightened kernel on near-future firmware is the fix.
    assert ("kernel", "near-future", "unenlightened", "enlightened") not in found
    # Every other step of the seed's table stays the same or improves.
    assert len(found) == 2
    assert json.loads(r.out)["steps_checked"] == 12


def test_sentence_says_step_change_and_why(snp64_json: str):
    found = steps(snp64_json)
    s = found[("kernel", "near-future", "enlightened", "dropped-protocol")]["sentence"]
    assert s.startswith(
        "Upgrading the kernel from enlightened to dropped-protocol on near-future firmware "
    )
    assert "turns a fast boot into a slow one" in s
    assert "because nobody calls AllowUnacceptedMemory()" in s and "ExitBootServices" in s
    assert s.endswith(".") and re.search(r"\.\s+[A-Z]", s) is None, "one sentence"
    f = found[("firmware", "unenlightened", "near-future", "far-future")]["sentence"]
    assert "cuts usable memory from 64.0 GiB to 2.0 GiB" in f
    assert "because 62 GiB handed over as unaccepted memory (type 15) is lost" in f


def test_user_order_defines_the_path(cli_run: Callable[..., Any]):
    base = ["upgrades", "--platform", "snp", "--ram", "64G", "--fw", "near-future"]
    down = cli_run(*base, "--kernel", "enlightened", "--kernel", "dropped-protocol")
    assert down.code == 1
    up = cli_run(*base, "--kernel", "dropped-protocol", "--kernel", "enlightened")
    assert up.code == 0
    r = cli_run(
        *base, "--kernel", "dropped-protocol", "--kernel", "enlightened", "--format", "json"
    )
    data = json.loads(r.out)
    assert data["regressions"] == [] and data["steps_checked"] == 1 and data["regression"] is False
    fw = cli_run(
        "upgrades",
        "--kernel",
        "unenlightened",
        "--fw",
        "far-future",
        "--fw",
        "deployed",
        "--format",
        "json",
    )
    assert fw.code == 0, "far-future -> deployed gives the memory back"
    fw = cli_run(
        "upgrades",
        "--kernel",
        "unenlightened",
        "--fw",
        "deployed",
        "--fw",
        "far-future",
        "--format",
        "json",
    )
    assert fw.code == 1
    assert list(steps(fw.out)) == [("firmware", "unenlightened", "deployed", "far-future")]


def test_tdx_has_no_protocol_to_lose(cli_run: Callable[..., Any]):
    r = cli_run("upgrades", "--platform", "tdx", "--ram", "64G", "--format", "json")
    assert r.code == 1
    found = steps(r.out)
    # TDX firmware hands type 15 over from edk2-stable202211 on: the
    # unenlightened kernel loses memory at the first firmware upgrade already.
    assert ("firmware", "unenlightened", "deployed", "near-future") in found
    # No protocol, so dropping it changes nothing on TDX.
    assert not any(k[0] == "kernel" and k[3] == "dropped-protocol" for k in found)
    # degraded -> fast takes longer only because there is more RAM to set up.
    assert ("kernel", "near-future", "unenlightened", "enlightened") not in found


def test_worse_fields_thresholds() -> None:
    fast = CellFacts(Verdict.FAST, 10.0, 64 * GiB, 0)
    same = CellFacts(Verdict.FAST, 14.99, 64 * GiB, 0)
    assert worse_fields(fast, same, 1.5) == ()
    at_ratio = CellFacts(Verdict.FAST, 15.0, 64 * GiB, 0)
    assert worse_fields(fast, at_ratio, 1.5) == ("boot_time_s",)
    assert worse_fields(fast, at_ratio, 1.6) == ()
    smaller = CellFacts(Verdict.FAST, 10.0, 64 * GiB - 2 * 1024 * 1024, 2 * 1024 * 1024)
    assert worse_fields(fast, smaller, 1.5) == ("usable_bytes",)
    assert worse_fields(smaller, fast, 1.5) == ()
    # Every verdict rank step is a regression, never the reverse.
    ranked = [Verdict.FAST, Verdict.SLOW, Verdict.DEGRADED, Verdict.OOM, Verdict.CRASH]
    for a, b in zip(ranked, ranked[1:], strict=False):
        lo, hi = CellFacts(a, 10.0, GiB, 0), CellFacts(b, 10.0, GiB, 0)
        assert worse_fields(lo, hi, 1.5) == ("verdict",)
        assert worse_fields(hi, lo, 1.5) == ()
    # A longer boot that comes with more usable memory is not held against it.
    degraded = CellFacts(Verdict.DEGRADED, 2.0, 2 * GiB, 62 * GiB)
    full = CellFacts(Verdict.FAST, 3.3, 64 * GiB, 0)
    assert worse_fields(degraded, full, 1.5) == ()


def test_slow_ratio_option_is_the_boot_time_threshold(cli_run: Callable[..., Any]):
    # SNP 4 GiB, near-future firmware: enlightened 12.6 s -> dropped-protocol
    # 15.8 s, 1.25x. Fast both times at the default ratio, flagged at 1.2.
    args = [
        "upgrades",
        "--platform",
        "snp",
        "--ram",
        "4G",
        "--fw",
        "near-future",
        "--kernel",
        "enlightened",
        "--kernel",
        "dropped-protocol",
        "--format",
        "json",
    ]
    assert cli_run(*args).code == 0
    r = cli_run(*args, "--slow-ratio", "1.2")
    assert r.code == 1
    (step,) = json.loads(r.out)["regressions"]
    assert "boot_time_s" in step["worse"]


# -- formats and errors --------------------------------------------------------


def test_json_is_deterministic_with_schema_version(cli_run: Callable[..., Any], snp64_json: str):
    r = cli_run("upgrades", "--format", "json")
    assert r.out == snp64_json
    data = json.loads(r.out)
    assert data["schema_version"] == 1 and data["kind"] == "upgrades"
    assert r.out == json.dumps(data, sort_keys=True, indent=2) + "\n"


def test_text_is_plain_ascii_under_80_columns(cli_run: Callable[..., Any]):
    for platform, ram in (("snp", "64G"), ("tdx", "1T")):
        r = cli_run("upgrades", "--platform", platform, "--ram", ram, "--format", "text")
        assert r.code == 1
        assert r.out.isascii() and "\x1b" not in r.out
        assert max(len(ln) for ln in r.out.splitlines()) < 80
    lines = r.out.splitlines()
    assert "| 1 | firmware deployed -> near-future under the unenlightened kernel |" in lines
    assert any(ln.startswith("| 1 | slow -> degraded | 1024 GiB -> 2.0 GiB |") for ln in lines)
    assert any(
        ln.startswith("  1. Upgrading the firmware from deployed to near-future") for ln in lines
    )


def test_markdown_table_and_sentences(cli_run: Callable[..., Any]):
    r = cli_run("upgrades", "--format", "markdown")
    assert r.code == 1
    lines = r.out.splitlines()
    head = lines.index("| # | upgrade | verdict | usable | lost | boot time |")
    assert lines[head + 1] == "|---:|---|---|---|---|---|"
    assert lines[head + 2].startswith(
        "| 1 | kernel enlightened -> dropped-protocol on near-future firmware | fast -> **slow** |"
    )
    assert any(
        ln.startswith("- **2.** Upgrading the firmware from near-future to far-future")
        for ln in lines
    )


def test_table_and_no_regression_message(cli_run: Callable[..., Any]):
    r = cli_run("upgrades")
    assert r.code == 1 and "dropped-protocol" in r.out and "2 regressions in 12" in r.out
    for fmt in ("table", "text", "markdown"):
        r = cli_run(
            "upgrades",
            "--fw",
            "near-future",
            "--kernel",
            "unenlightened",
            "--kernel",
            "enlightened",
            "--format",
            fmt,
        )
        assert r.code == 0 and "No regression in 1 upgrade step." in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fw", "nonesuch"], "unknown firmware profile 'nonesuch'"),
        (["--kernel", "enlightened", "--kernel", "enlightened"], "--kernel: profile named twice"),
        (["--ram", "64M"], "--ram: a confidential VM needs at least 128M"),
    ],
)
def test_bad_input_exits_2(cli_run: Callable[..., Any], args: list[str], message: str):
    r = cli_run("upgrades", *args)
    assert r.code == 2 and message in r.err and "Traceback" not in r.err
