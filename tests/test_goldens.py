"""The golden matrices in `matrices/`: CI fails when the engine moves a cell.

To accept a deliberate change, run `uefi-accept check --update matrices/`
and commit the rewritten files (matrices/README.md explains the options).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from uefi_accept.inputs.golden import load_golden
from uefi_accept.units import GiB, TiB

MATRICES = Path(__file__).resolve().parent.parent / "matrices"
README = MATRICES / "README.md"
GOLDENS = sorted(MATRICES.glob("*.json"))
REQUIRED = {
    f"{platform}-{name}.json": (platform, ram)
    for platform in ("snp", "tdx")
    for name, ram in (("4g", 4 * GiB), ("64g", 64 * GiB), ("1t", TiB))
}


def test_required_goldens_exist() -> None:
    assert set(REQUIRED) <= {p.name for p in GOLDENS}


@pytest.mark.parametrize("path", GOLDENS, ids=[p.name for p in GOLDENS])
def test_engine_output_matches_golden(cli_run: Callable[..., Any], path: Path):
    r = cli_run("check", "--format", "text", str(path))
    assert r.code == 0, f"the engine moved cells of {path.name}:\n{r.out}{r.err}"


def test_check_all_goldens_at_once(cli_run: Callable[..., Any]):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in GOLDENS}
    r = cli_run("check", "--format", "markdown", str(MATRICES))
    assert r.code == 0, r.out
    # Goldens in subdirectories (memmap/) are checked too.
    assert f"No change in {len(list(MATRICES.rglob('*.json')))} files" in r.out
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in GOLDENS} == before


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_golden_scenario_matches_its_name(name: str) -> None:
    g = load_golden(str(MATRICES / name))
    platform, ram = REQUIRED[name]
    assert (g.scenario.platform, g.scenario.ram_bytes) == (platform, ram)
    assert [p.name for p in g.firmware] == ["deployed", "near-future", "far-future"]
    assert [k.name for k in g.kernels] == ["unenlightened", "enlightened", "dropped-protocol"]


def _grid(name: str) -> list[list[str]]:
    g = load_golden(str(MATRICES / name))
    cells = {(c.firmware, c.kernel): c.verdict for c in g.doc.cells}
    return [[str(cells[(f.name, k.name)]) for k in g.kernels] for f in g.firmware]


def test_snp_64g_is_the_seed_table_with_the_answer_applied() -> None:
    # DOMAIN.md: Dave Hansen's 3x3 table with Kirill Shutemov's correction of
    # the far-future / unenlightened cell (a fraction of RAM, not a crash).
    assert _grid("snp-64g.json") == [
        ["slow", "slow", "slow"],
        ["slow", "fast", "slow"],
        ["degraded", "fast", "fast"],
    ]


def test_tdx_64g_has_no_opt_in_protocol() -> None:
    # TDX firmware hands type 15 to everyone from edk2-stable202211 on.
    assert _grid("tdx-64g.json") == [
        ["slow", "slow", "slow"],
        ["degraded", "fast", "fast"],
        ["degraded", "fast", "fast"],
    ]


def _readme_commands() -> dict[str, list[str]]:
    cmds = {}
    pattern = r"`(uefi-accept matrix [^`]*-o matrices/([\w.-]+\.json))`"
    for m in re.finditer(pattern, README.read_text()):
        cmds[m.group(2)] = shlex.split(m.group(1))[1:]
    return cmds


def test_readme_regenerates_every_golden(cli_run: Callable[..., Any], tmp_path: Path):
    """Each file's command in the README rebuilds the same scenario and
    profiles (cells may differ once a built-in profile has changed)."""
    cmds = _readme_commands()
    assert set(cmds) == {p.name for p in GOLDENS}
    for name, args in cmds.items():
        out = tmp_path / name
        args[args.index(f"matrices/{name}")] = str(out)
        r = cli_run(*args)
        assert r.code == 0, r.err
        fresh, golden = load_golden(str(out)), load_golden(str(MATRICES / name))
        assert fresh.scenario == golden.scenario, name
        assert [p.name for p in fresh.firmware] == [p.name for p in golden.firmware]
        assert [k.name for k in fresh.kernels] == [k.name for k in golden.kernels]


def test_readme_documents_ci_and_exit_codes() -> None:
    text = README.read_text()
    assert "uefi-accept check --format markdown matrices/" in text
    assert '"$GITHUB_STEP_SUMMARY"' in text
    assert "pip install" in text
    assert re.search(r"^\| 2 \| .*corrupt, truncated", text, re.MULTILINE)
    for code in "0123":
        assert re.search(rf"^\| {code} \|", text, re.MULTILINE), code
    for profile in ("deployed", "near-future", "far-future", "unenlightened", "enlightened"):
        assert f"| {profile} |" in text
