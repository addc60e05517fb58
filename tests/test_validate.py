"""`uefi-accept validate`: every published measurement against the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uefi_accept.analyses.calibration import MEASUREMENTS, calibrate, row_ok

DOC = Path(__file__).resolve().parent.parent / "docs" / "validation.md"


def test_validate_passes_with_the_default_profiles(cli_run) -> None:
    r = cli_run("validate", "--format", "text")
    assert r.code == 0, r.out + r.err
    flat = " ".join(r.out.split())  # text output wraps under 80 columns
    for m in MEASUREMENTS:
        assert m.name in flat and m.source in flat
    ok = [c for c in calibrate() if row_ok(c.measurement.kind, c.error, c.measurement.tolerance)]
    opened = [c for c in calibrate() if c not in ok]
    assert all(c.measurement.open for c in opened)  # every row off its figure is explained
    assert r.out.rstrip().endswith(
        f"{len(ok)} of {len(MEASUREMENTS)} rows are within tolerance; "
        f"{len(opened)} are open disagreements."
    )
    assert "OFF by" not in r.out and r.out.count("OPEN: see below") == len(opened)
    for c in opened:  # each open row's reason is printed with it
        assert " ".join(f"Open: {c.measurement.open}".split()) in flat


def test_validate_json_rows_are_the_calibration(cli_run) -> None:
    r = cli_run("validate", "--format", "json")
    assert r.code == 0
    data = json.loads(r.out)
    assert data["schema_version"] == 2 and data["kind"] == "validation"
    assert data["failed"] == 0 and set(data["cost_models"]) == {"snp", "tdx"}
    assert data["open"] == sum(row["open"] is not None for row in data["rows"]) > 0
    assert len(data["rows"]) == len(MEASUREMENTS)
    for row, cal in zip(data["rows"], calibrate(), strict=True):
        m = cal.measurement
        assert (row["name"], row["platform"], row["source"]) == (m.name, m.platform, m.source)
        assert row["measured"] == m.measured and row["tolerance"] == m.tolerance
        assert row["model"] == pytest.approx(cal.model, rel=1e-6)
        assert row["error"] == pytest.approx((cal.model - m.measured) / m.measured, abs=1e-6)
        assert row["bound"] == m.kind and row["open"] == m.open
        assert row["ok"] is row_ok(m.kind, row["error"], m.tolerance)
        assert row["ok"] or row["open"]  # nothing fails by default


def test_tighter_tolerance_fails_the_rows_it_should(cli_run) -> None:
    r = cli_run("validate", "--format", "json", "--tolerance", "1%")
    assert r.code == 1
    rows = json.loads(r.out)["rows"]
    off = {row["name"] for row in rows if not row["ok"] and row["open"] is None}
    want = {
        c.measurement.name
        for c in calibrate()
        if not row_ok(c.measurement.kind, c.error, 0.01) and c.measurement.open is None
    }
    assert off == want and off  # the TDX 4 GiB ratio is 16.5% off
    assert json.loads(r.out)["failed"] == len(off)
    assert all(row["tolerance"] == 0.01 for row in rows)
    text = cli_run("validate", "--format", "text", "--tolerance", "0.01")
    assert text.code == 1 and "OFF by more than 1%" in text.out and "off by more than" in text.out


@pytest.mark.parametrize("fmt", ["table", "markdown", "text"])
def test_every_format_exits_1_when_a_row_is_off(cli_run, fmt: str) -> None:
    assert cli_run("validate", "--format", fmt, "--tolerance", "0.001").code == 1
    assert cli_run("validate", "--format", fmt).code == 0


def test_platform_filter(cli_run) -> None:
    rows = json.loads(cli_run("validate", "--platform", "tdx", "--format", "json").out)["rows"]
    assert rows and {row["platform"] for row in rows} == {"tdx"}
    assert len(rows) == sum(m.platform == "tdx" for m in MEASUREMENTS)


@pytest.mark.parametrize("bad", ["0", "-5%", "abc", "nan"])
def test_bad_tolerance_is_a_usage_error(cli_run, bad: str) -> None:
    r = cli_run("validate", "--tolerance", bad)
    assert r.code == 2 and "tolerance" in r.err and "Traceback" not in r.err


def test_docs_validation_md_is_current(cli_run) -> None:
    """docs/validation.md is `uefi-accept validate --format markdown` output."""
    r = cli_run("validate", "--format", "markdown")
    assert r.code == 0
    assert DOC.read_text() == r.out, (
        "regenerate: uefi-accept validate --format markdown -o docs/validation.md"
    )
    assert "| measurement | platform | measured | model | error | result |" in r.out
    # Conditions and sources follow the table, one item per row.
    assert r.out.count("Source: ") == len(MEASUREMENTS)


def test_output_file(cli_run, tmp_path) -> None:
    out = tmp_path / "v.md"
    r = cli_run("validate", "--format", "markdown", "-o", str(out))
    assert r.code == 0 and r.out == ""
    assert out.read_text().startswith("## Validation against published measurements")


USER_ROWS = """
[[measurement]]
name = "64 GiB TD, deployed OVMF"
measured = 144.0
source = "lab run"
platform = "tdx"
firmware = "deployed"
kernel = "linux-6.8"
ram = "64G"
vcpus = 4

[[measurement]]
name = "64 GiB TD, lazy, much too optimistic"
measured = 1.0
kind = "at-most"
tolerance = 0.1
source = "a wish"
platform = "tdx"
firmware = "near-future"
kernel = "linux-6.8"
ram = "64G"
"""


def test_user_measurements_are_rows_of_their_own(cli_run, tmp_path) -> None:
    from uefi_accept.analyses.matrix import evaluate
    from uefi_accept.inputs.profile_files import resolve_profile
    from uefi_accept.model.scenario import Scenario

    f = tmp_path / "lab.toml"
    f.write_text(USER_ROWS)
    r = cli_run("validate", "--platform", "tdx", "--measurements", str(f), "--format", "json")
    assert r.code == 1  # the wish is off; the built-in rows still pass
    rows = {row["name"]: row for row in json.loads(r.out)["rows"]}
    deployed = evaluate(
        Scenario(platform="tdx"),  # type: ignore[arg-type]
        resolve_profile("deployed", "firmware", "tdx"),  # type: ignore[arg-type]
        resolve_profile("linux-6.8", "kernel", "tdx"),  # type: ignore[arg-type]
    )
    lab = rows["64 GiB TD, deployed OVMF"]
    assert lab["model"] == pytest.approx(deployed.outcome.boot_time_s, rel=1e-6) and lab["ok"]
    wish = rows["64 GiB TD, lazy, much too optimistic"]
    assert wish["bound"] == "at-most" and not wish["ok"] and wish["open"] is None
    assert json.loads(r.out)["failed"] == 1


def test_a_bad_measurements_file_is_one_line(cli_run, tmp_path) -> None:
    f = tmp_path / "lab.toml"
    f.write_text(USER_ROWS.replace('ram = "64G"\nvcpus = 4', 'ram = "64G"\nvcpus = "four"'))
    r = cli_run("validate", "--measurements", str(f))
    assert r.code == 2 and r.err.count("\n") == 1 and "vcpus" in r.err and "lab.toml" in r.err
