"""`sweep` over two parameters: a grid of VM shapes, each row the same as a
one-parameter sweep at that value, in every output format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from msgspec.structs import replace

from uefi_accept.analyses.sweep import sweep, sweep_grid, sweep_values
from uefi_accept.inputs.profile_files import resolve_profile
from uefi_accept.inputs.schemas import SCHEMA_DIR, file_name
from uefi_accept.model.outcome import VERDICTS
from uefi_accept.model.scenario import Scenario
from uefi_accept.units import GiB, MiB


def assert_valid(kind: str, doc: dict[str, Any]) -> None:
    schema = json.loads((Path(SCHEMA_DIR) / file_name(kind)).read_text(encoding="utf-8"))
    problems = [e.message for e in Draft202012Validator(schema).iter_errors(doc)]
    assert doc["kind"] == kind and not problems, problems[:5]


def profiles(platform: str, fws: list[str], ks: list[str]) -> tuple[list[Any], list[Any]]:
    return (
        [resolve_profile(f, "firmware", platform) for f in fws],
        [resolve_profile(k, "kernel", platform) for k in ks],
    )


@pytest.mark.parametrize(
    ("platform", "fw", "kernel"),
    [
        ("snp", "edk2-stable202302", "linux-6.14"),  # the storm: crashes at small RAM, many vCPUs
        ("snp", "far-future", "unenlightened"),
        ("tdx", "near-future", "enlightened"),
    ],
)
def test_every_row_of_the_grid_is_a_sweep_at_that_value(
    platform: str, fw: str, kernel: str
) -> None:
    scenario = Scenario(platform=platform, ram_bytes=4 * GiB)  # type: ignore[arg-type]
    fws, ks = profiles(platform, [fw], [kernel])
    ram = sweep_values("ram", 4 * GiB, 1024 * GiB, 6)
    vcpus = np.array([1, 16, 64, 200], dtype=np.int64)
    g = sweep_grid(scenario, "ram", ram, "vcpus", vcpus, fws, ks)
    (curve,) = g.curves
    assert curve.verdicts.shape == (vcpus.size, ram.size)
    for iy, n in enumerate(vcpus.tolist()):
        row = sweep(replace(scenario, vcpus=n), "ram", ram, fws, ks, refine=False)
        (c,) = row.curves
        assert [curve.verdict_at(iy, ix) for ix in range(ram.size)] == list(c.verdict_list)
        assert curve.boot_time_s[iy].tolist() == c.boots.boot_time_s.tolist()
        assert curve.usable_bytes[iy].tolist() == c.boots.usable_bytes.tolist()
        assert g.reference_s[iy].tolist() == row.reference_s.tolist()


def test_the_storm_crash_is_where_many_vcpus_meet_little_ram() -> None:
    """6.14's accept storm deadlocks AP bring-up once it uses up the unaccepted
    memory: more vCPUs, more storm, so the crashes sit top left of the map."""
    scenario = Scenario(platform="snp", ram_bytes=4 * GiB)  # type: ignore[arg-type]
    fws, ks = profiles("snp", ["edk2-stable202302"], ["linux-6.14", "linux-6.15"])
    ram = np.array([4 * GiB, 64 * GiB, 1024 * GiB], dtype=np.int64)
    vcpus = np.array([1, 64, 256], dtype=np.int64)
    g = sweep_grid(scenario, "ram", ram, "vcpus", vcpus, fws, ks)
    buggy, fixed = g.curves
    crash = VERDICTS.index("crash")  # type: ignore[arg-type]
    assert buggy.verdicts[0, 0] != crash and buggy.verdicts[2, 0] == crash
    assert buggy.verdicts[2, 2] != crash
    assert not (fixed.verdicts == crash).any()
    assert sum(g.counts(buggy).values()) == 9


def test_the_same_parameter_twice_is_refused() -> None:
    fws, ks = profiles("snp", ["deployed"], ["enlightened"])
    with pytest.raises(ValueError, match="cannot sweep"):
        sweep_grid(Scenario(), "ram", np.array([GiB]), "ram", np.array([GiB]), fws, ks)


def test_json_is_a_grid_document_that_matches_the_text(cli_run: Any) -> None:
    args = ("sweep", "--ram", "4G..1T", "--vcpus", "1..256", "--kernel", "linux-6.14")
    r = cli_run(*args, "--fw", "edk2-stable202302", "--points", "5", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert_valid("grid", doc)
    assert (doc["x_parameter"], doc["y_parameter"]) == ("ram", "vcpus")
    assert doc["scenario"]["ram_bytes"] is None and doc["scenario"]["vcpus"] is None
    assert doc["x_values"][0] == 4 * GiB and doc["x_values"][-1] == 1024 * GiB
    assert doc["y_values"] == [1, 4, 16, 64, 256]
    (combo,) = doc["combinations"]
    flat = [v for row in combo["verdict"] for v in row]
    assert sum(combo["counts"].values()) == len(flat) == 25
    assert {v: flat.count(v) for v in set(flat)} == combo["counts"]
    text = cli_run(*args, "--fw", "edk2-stable202302", "--points", "5", "--format", "text")
    assert text.code == 0
    assert "vCPUs x RAM: 5 x 5 VM shapes, SNP, q35 layout" in text.out
    summary = ", ".join(
        f"{combo['counts'][str(v)]} {v}" for v in VERDICTS if str(v) in combo["counts"]
    )
    assert f"edk2-stable202302 / linux-6.14: {summary}" in text.out


def test_csv_has_one_row_per_shape_and_combination(cli_run: Any) -> None:
    r = cli_run("sweep", "--pre-accept", "64M..1G", "--ram", "2G..64G", "--points", "3")
    assert r.code == 0
    r = cli_run(
        "sweep", "--pre-accept", "64M..1G", "--ram", "2G..64G", "--points", "3", "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 3 * 3 * 9
    assert {int(row["pre_accept_bytes"]) for row in rows} == {64 * MiB, 256 * MiB, 1024 * MiB}


@pytest.mark.parametrize(
    ("args", "field", "problem"),
    [
        (("--ram", "1G..2G", "--vcpus", "1..4", "--pre-accept", "64M..128M"), "--ram", "two"),
        (("--ram", "2G..8G", "--pre-accept", "1G..4G"), "--pre-accept", "smallest VM"),
        (("--ram", "2G..8G", "--vcpus", "1..8", "--points", "600"), "--points", "VM shapes"),
    ],
)
def test_bad_grids_are_one_line_errors(
    cli_run: Any, tmp_path: Path, args: tuple[str, ...], field: str, problem: str
) -> None:
    out = tmp_path / "grid.json"
    r = cli_run("sweep", *args, "-o", str(out))
    assert r.code == 2
    assert r.err.count("\n") == 1 and field in r.err and problem in r.err
    assert not out.exists()


def test_plot_draws_every_combination(cli_run: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    svg = tmp_path / "grid.svg"
    r = cli_run("sweep", "--ram", "4G..64G", "--vcpus", "1..8", "--points", "3", "--plot", str(svg))
    assert r.code == 0, r.err
    text = svg.read_text()
    assert text.count("deployed / ") == 3 and "far-future / dropped-protocol" in text
    again = tmp_path / "again.svg"
    cli_run("sweep", "--ram", "4G..64G", "--vcpus", "1..8", "--points", "3", "--plot", str(again))
    assert again.read_bytes() == svg.read_bytes()
