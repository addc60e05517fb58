"""Repository hygiene: lint, format, and the README's commands."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ruff")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "ruff", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_is_clean() -> None:
    r = _ruff("check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_is_clean() -> None:
    r = _ruff("format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_type_hints_check() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "uefi_accept"], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"```sh\n(pip install -q? ?'\.\[test[^\]]*\]'[^\n]*)\n```", readme)
    assert m, "README has no test command block"
    ci = (ROOT / ".ci" / "run").read_text()
    assert m.group(1) in ci


@pytest.mark.parametrize("code", ["0", "1", "2", "3"])
def test_readme_documents_exit_codes(code: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^\| {code} \|", readme, re.M)


@pytest.mark.parametrize("platform", ["snp", "tdx"])
def test_readme_matrix_example_is_current(cli_run, platform: str) -> None:
    table = cli_run("matrix", "--platform", platform, "--format", "text").out.split("\n")[:7]
    assert "\n".join(table) in (ROOT / "README.md").read_text()


def test_import_layers_are_kept() -> None:
    """pyproject's import-linter contracts: model <- inputs <- analyses <- render <- cli."""
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is a test extra"
    r = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_no_import_cycles() -> None:
    """No module imports itself back through others, counting imports inside
    functions and under TYPE_CHECKING."""
    import grimp

    graph = grimp.build_graph("uefi_accept")
    modules = sorted(graph.modules)
    cycles = []
    for m in modules:
        for other in graph.find_modules_directly_imported_by(m):
            if other != m and graph.chain_exists(importer=other, imported=m):
                cycles.append(graph.find_shortest_chain(importer=other, imported=m))
    assert not cycles, cycles
