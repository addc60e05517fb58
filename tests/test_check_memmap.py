"""Goldens made with `matrix --memmap`: the file records the hand-over map the
cells booted over, so `check` recomputes them over the same map (before, it
booted the model's own layout and reported every cell changed)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from uefi_accept.analyses.check import check_golden
from uefi_accept.inputs.bootlog import parse_boot_log
from uefi_accept.inputs.golden import load_golden

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "tests" / "logs"
MATRICES = ROOT / "matrices"
MEMMAP_GOLDEN = MATRICES / "memmap" / "ovmf-3g.json"
# The real logs whose EFI memory map holds enough RAM to boot (tests/test_schema.py).
OVMF_LOG = "ovmf-qemu-3G-kernel-5.6-efi-debug-memmap-linux-efi-2020-03.txt"
SNP_LOG = "snp-guest-efi-memmap-Unaccepted-snippet-lkml-rfc-hotplug-2025-12.txt"
MAP_LOGS = [OVMF_LOG, SNP_LOG]
CliRun = Callable[..., Any]


def make_golden(cli_run: CliRun, log: str, out: Path, *extra: str) -> dict[str, Any]:
    r = cli_run("matrix", "--memmap", str(LOGS / log), *extra, "--format", "json", "-o", str(out))
    assert r.code == 0, r.err
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def check_json(cli_run: CliRun, *paths: Path, code: int) -> dict[str, Any]:
    r = cli_run("check", "--format", "json", *map(str, paths))
    assert r.code == code, r.out + r.err
    return json.loads(r.out)  # type: ignore[no-any-return]


def test_every_real_log_with_a_map_is_covered() -> None:
    """The logs used here are the ones with a map big enough to boot (the others
    hold no map, or a few MiB of one, which `--memmap` refuses)."""
    bootable = []
    for path in sorted(LOGS.glob("*.txt")):
        log = parse_boot_log(path.read_text(encoding="utf-8"), path.name)
        ram = sum(d.size for d in log.efi_map if d.type in (1, 2, 3, 4, 5, 6, 7, 9, 10, 15))
        if ram >= 128 << 20:
            bootable.append(path.name)
    assert bootable == sorted(MAP_LOGS)


@pytest.mark.parametrize("log", MAP_LOGS)
def test_a_golden_made_with_memmap_checks_clean(cli_run: CliRun, tmp_path: Path, log: str) -> None:
    golden = tmp_path / "g.json"
    doc = make_golden(cli_run, log, golden)
    parsed = parse_boot_log((LOGS / log).read_text(encoding="utf-8"), log)
    # The map as the engine took it: every descriptor, in order.
    assert [(d["start"], d["size"], d["type"]) for d in doc["handover_map"]] == [
        (d.start, d.size, int(d.type)) for d in parsed.efi_map
    ]
    assert doc["firmware"] == ["memmap"]
    result = check_json(cli_run, golden, code=0)
    assert result["files_checked"] == 1 and result["cells_changed"] == 0
    assert result["cells_checked"] == 3
    # The recomputed file is byte for byte the stored one (what --update would write).
    g = load_golden(str(golden))
    assert g.handover_map == parsed.efi_map
    fresh = check_golden(g)
    assert not fresh.changed
    assert fresh.fresh_text == golden.read_text()


def test_the_map_is_what_makes_it_clean(cli_run: CliRun, tmp_path: Path) -> None:
    """Without its map, the same file boots the model's layout: every cell changes
    (the bug this fixes)."""
    golden = tmp_path / "g.json"
    doc = make_golden(cli_run, OVMF_LOG, golden)
    del doc["handover_map"]
    golden.write_text(json.dumps(doc))
    result = check_json(cli_run, golden, code=1)
    assert result["cells_changed"] == 3


@pytest.mark.parametrize("log", MAP_LOGS)
def test_a_perturbed_figure_is_reported(cli_run: CliRun, tmp_path: Path, log: str) -> None:
    golden = tmp_path / "g.json"
    doc = make_golden(cli_run, log, golden)
    doc["cells"][1]["usable_bytes"] += 4096
    golden.write_text(json.dumps(doc, indent=2))
    result = check_json(cli_run, golden, code=1)
    (changed,) = result["files"][0]["changes"]
    assert (changed["firmware"], changed["kernel"]) == ("memmap", doc["kernels"][1])
    (figure,) = changed["figures"]
    assert figure["path"] == "usable_bytes"
    assert figure["new"] == figure["old"] - 4096


def test_a_perturbed_map_changes_the_cells(cli_run: CliRun, tmp_path: Path) -> None:
    """The map is used, not only stored: handing its largest conventional range
    over as unaccepted (the RAM total stays) loses it under the unenlightened kernel."""
    golden = tmp_path / "g.json"
    doc = make_golden(cli_run, OVMF_LOG, golden)
    largest = max((d for d in doc["handover_map"] if d["type"] == 7), key=lambda d: d["size"])
    largest["type"] = 15
    golden.write_text(json.dumps(doc))
    result = check_json(cli_run, golden, code=1)
    by_kernel = {c["kernel"]: c for c in result["files"][0]["changes"]}
    lost = {f["path"]: f for f in by_kernel["unenlightened"]["figures"]}["lost_bytes"]
    assert (lost["old"], lost["new"], lost["direction"]) == (0, largest["size"], "regression")


def test_update_keeps_the_map(cli_run: CliRun, tmp_path: Path) -> None:
    golden = tmp_path / "g.json"
    doc = make_golden(cli_run, SNP_LOG, golden)
    stored = doc["handover_map"]
    doc["cells"][0]["verdict"] = "fast"
    golden.write_text(json.dumps(doc))
    assert cli_run("check", "--update", str(golden)).code == 1
    assert json.loads(golden.read_text())["handover_map"] == stored
    assert cli_run("check", str(golden)).code == 0


def test_run_records_its_map(cli_run: CliRun) -> None:
    r = cli_run(
        "run", "--memmap", str(LOGS / OVMF_LOG), "--kernel", "enlightened", "--format", "json"
    )
    assert r.code == 0, r.err
    assert len(json.loads(r.out)["handover_map"]) == 46
    plain = cli_run("run", "--fw", "far-future", "--kernel", "enlightened", "--format", "json")
    assert "handover_map" not in json.loads(plain.out)


MALFORMED: list[tuple[str, Callable[[list[dict[str, Any]]], Any], str]] = [
    ("not a list", lambda m: "all of it", "handover_map: Expected `array`"),
    ("empty", lambda m: [], "handover_map: Expected `array` of length >= 1"),
    ("unknown type", lambda m: [dict(m[0], type=16), *m[1:]], "handover_map[0].type"),
    ("negative start", lambda m: [dict(m[0], start=-1), *m[1:]], "handover_map[0].start"),
    ("zero size", lambda m: [dict(m[0], size=0), *m[1:]], "handover_map[0].size"),
    ("a string size", lambda m: [dict(m[0], size="4K"), *m[1:]], "handover_map[0].size"),
    ("missing start", lambda m: [{"type": 7, "size": 4096}, *m[1:]], "handover_map[0].start"),
    ("unknown key", lambda m: [dict(m[0], attr="0xf"), *m[1:]], "handover_map[0].attr"),
    ("overlap", lambda m: [m[0], dict(m[1], start=0), *m[2:]], "handover_map[1]: starts at 0x0"),
    ("out of order", lambda m: [m[1], m[0], *m[2:]], "handover_map[1]"),
    (
        "above 52 bits",
        lambda m: [*m, {"type": 0, "start": (1 << 52) - 4096, "size": 8192}],
        "52-bit",
    ),
    (
        "more RAM",
        lambda m: [*m, {"type": 7, "start": 1 << 40, "size": 1 << 30}],
        "edited inconsistently",
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [(e, x) for _, e, x in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_a_malformed_map_is_a_one_line_error(
    cli_run: CliRun, tmp_path: Path, edit: Callable[[list[dict[str, Any]]], Any], expected: str
) -> None:
    golden = tmp_path / "g.json"
    doc = make_golden(cli_run, OVMF_LOG, golden)
    doc["handover_map"] = edit(doc["handover_map"])
    golden.write_text(json.dumps(doc))
    good = tmp_path / "good.json"
    make_golden(cli_run, OVMF_LOG, good)
    r = cli_run("check", str(golden), str(good))
    assert r.code == 2
    (line,) = r.err.strip().splitlines()
    assert line.startswith(f"uefi-accept: error: {golden}: handover_map"), line
    assert expected in line, line
    assert "Traceback" not in r.err
    # The other file is still checked, and the JSON report names the broken one.
    result = check_json(cli_run, golden, good, code=2)
    assert result["errors"] == 1 and result["files_checked"] == 1
    assert expected in result["files"][0]["error"]


def test_the_shipped_memmap_golden_checks_clean(cli_run: CliRun) -> None:
    doc = json.loads(MEMMAP_GOLDEN.read_text())
    assert doc["handover_map"] and doc["firmware"] == ["memmap"]
    assert cli_run("check", str(MEMMAP_GOLDEN)).code == 0
    # `check matrices/` descends into memmap/, as CI runs it.
    result = check_json(cli_run, MATRICES, code=0)
    assert str(MEMMAP_GOLDEN.relative_to(ROOT)) in {
        str(Path(f["file"]).resolve().relative_to(ROOT)) for f in result["files"]
    }


def test_the_readme_command_regenerates_the_memmap_golden(
    cli_run: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (MATRICES / "README.md").read_text()
    (line,) = [ln for ln in readme.splitlines() if ln.endswith("-o matrices/memmap/ovmf-3g.json")]
    args = shlex.split(line)
    assert args[:2] == ["uefi-accept", "matrix"]
    monkeypatch.chdir(ROOT)  # the README's commands run from the repository root
    out = tmp_path / "ovmf-3g.json"
    args[-1] = str(out)
    r = cli_run(*args[1:])
    assert r.code == 0, r.err
    assert out.read_text() == MEMMAP_GOLDEN.read_text()
