"""CI integrations: `--format junit` and `--format github` for check, upgrades and
validate; the composite GitHub Action (`action.yml`) and the pre-commit hook
(`.pre-commit-hooks.yaml`), each run the way their runner runs them."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from uefi_accept.render.github import escape_data, escape_property

ROOT = Path(__file__).resolve().parent.parent
MATRICES = ROOT / "matrices"
SNP = "snp-64g.json"
TDX = "tdx-4g.json"
# The entry point this suite runs against (the editable install of the tree).
UEFI_ACCEPT = Path(sys.executable).parent / "uefi-accept"


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def near_future_always(data: dict[str, Any]) -> None:
    """Near-future SNP firmware stops waiting for the opt-in: 3 cells move
    (tests/test_check.py), one of them only in its timeline's words."""
    for fw in data["profiles"]["firmware"]:
        if fw["name"] == "near-future":
            fw["handover"] = "always"


def reword(data: dict[str, Any]) -> None:
    """An explanation-only change, with text a report must escape."""
    data["cells"][0]["reason"] = 'Was 100% <fast> & "fine",\nsaid: a\r\x01 line'


@pytest.fixture
def goldens(tmp_path: Path) -> Path:
    d = tmp_path / "goldens"
    d.mkdir()
    for name in (SNP, TDX):
        shutil.copy2(MATRICES / name, d / name)
    return d


# -- JUnit ----------------------------------------------------------------------------------


def suites(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    return {s.get("name", ""): s for s in root.findall("testsuite")}


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in suite.findall("testcase")}


def failed(suite: ET.Element) -> set[str]:
    return {name for name, c in cases(suite).items() if c.find("failure") is not None}


def assert_counts(xml: str) -> None:
    """tests/failures/errors agree with the testcases, on every suite and the root."""
    root = ET.fromstring(xml)
    total = {"tests": 0, "failures": 0, "errors": 0}
    for s in root.findall("testsuite"):
        cs = s.findall("testcase")
        n = {
            "tests": len(cs),
            "failures": sum(c.find("failure") is not None for c in cs),
            "errors": sum(c.find("error") is not None for c in cs),
        }
        assert {k: int(s.get(k, "-1")) for k in n} == n
        total = {k: total[k] + n[k] for k in n}
    assert {k: int(root.get(k, "-1")) for k in total} == total


def test_junit_check_one_suite_per_file_one_case_per_cell(
    cli_run: Callable[..., Any], goldens: Path
):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", "--format", "junit", str(goldens))
    assert r.code == 1
    assert_counts(r.out)
    by_name = suites(r.out)
    assert set(by_name) == {str(goldens / SNP), str(goldens / TDX)}
    snp, tdx = by_name[str(goldens / SNP)], by_name[str(goldens / TDX)]
    # 3 x 3 cells and the matrix's reference boot time, changed or not.
    assert len(cases(snp)) == len(cases(tdx)) == 10
    assert "deployed / unenlightened" in cases(snp) and "reference boot time" in cases(snp)
    assert failed(tdx) == set()
    assert failed(snp) == {
        "near-future / unenlightened",
        "near-future / enlightened",
        "near-future / dropped-protocol",
    }
    lost = cases(snp)["near-future / unenlightened"].find("failure")
    assert lost is not None
    message = lost.get("message", "")
    assert message.startswith("verdict: slow -> degraded, regression; usable_bytes: 64.0 GiB")
    assert "explanation changed: reason" in message
    assert "\n  + Boots with 2.0 GiB of 64 GiB usable" in (lost.text or "")
    assert lost.get("type") == "figure and explanation change"
    # The enlightened kernel boots the same; only the timeline's words changed,
    # and that class is not ignored: a failure too.
    words = cases(snp)["near-future / enlightened"].find("failure")
    assert words is not None and words.get("type") == "explanation change"
    assert words.get("message") == "explanation changed: events[4].what"
    assert cases(snp)["far-future / enlightened"].find("system-out") is None
    assert r.out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    # Nothing that differs between two runs.
    assert cli_run("check", "--format", "junit", str(goldens)).out == r.out
    assert not re.search(r"timestamp|hostname|time=", r.out)


def test_junit_ignored_explanations_go_to_system_out(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", "--ignore", "explanation", "--format", "junit", str(goldens / SNP))
    assert r.code == 1, "the figures still count"
    (snp,) = suites(r.out).values()
    assert failed(snp) == {"near-future / unenlightened", "near-future / dropped-protocol"}
    words = cases(snp)["near-future / enlightened"]
    out = words.find("system-out")
    assert out is not None and "events[4].what" in (out.text or "")
    assert "Ignored (explanation changes, --ignore)" in (out.text or "")
    lost = cases(snp)["near-future / unenlightened"].find("failure")
    assert lost is not None and "explanation" not in lost.get("message", "")
    props = {p.get("name"): p.get("value") for p in snp.iter("property")}
    assert props["ignore"] == "explanation" and props["tolerance"] == "5%"


def test_junit_escapes_what_a_golden_says(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, reword)
    r = cli_run("check", "--format", "junit", str(goldens / SNP))
    assert r.code == 1
    (snp,) = suites(r.out).values()  # parses: markup escaped, \x01 written out
    failure = cases(snp)["deployed / unenlightened"].find("failure")
    assert failure is not None
    assert '  - Was 100% <fast> & "fine",\nsaid: a\n\\x01 line' in (failure.text or "")


def test_junit_unreadable_file_is_an_error_case(cli_run: Callable[..., Any], goldens: Path):
    (goldens / "broken.json").write_text('{"cells": [')
    r = cli_run("check", "--format", "junit", str(goldens))
    assert r.code == 2
    assert_counts(r.out)
    broken = suites(r.out)[str(goldens / "broken.json")]
    (case,) = cases(broken).values()
    error = case.find("error")
    assert error is not None and "not valid JSON" in error.get("message", "")
    assert failed(suites(r.out)[str(goldens / SNP)]) == set(), "the others are still checked"


def test_xml_output_file_means_junit(cli_run: Callable[..., Any], goldens: Path, tmp_path: Path):
    report = tmp_path / "report.xml"
    r = cli_run("check", str(goldens), "-o", str(report))
    assert r.code == 0
    assert_counts(report.read_text())
    assert all(failed(s) == set() for s in suites(report.read_text()).values())
    r = cli_run("check", str(goldens), "--format", "github", "-o", str(report))
    assert r.code == 2 and "contradicts the file name" in r.err


def test_junit_upgrades_one_case_per_step(cli_run: Callable[..., Any]):
    r = cli_run("upgrades", "--platform", "snp", "--ram", "64G", "--format", "junit")
    assert r.code == 1
    assert_counts(r.out)
    (suite,) = suites(r.out).values()
    assert len(cases(suite)) == 12
    assert failed(suite) == {
        "kernel enlightened -> dropped-protocol on near-future firmware",
        "firmware near-future -> far-future under the unenlightened kernel",
    }
    step = cases(suite)["firmware near-future -> far-future under the unenlightened kernel"]
    failure = step.find("failure")
    assert failure is not None and failure.get("type") == "regression: verdict, usable_bytes"
    assert "turns a slow boot into a degraded one" in failure.get("message", "")
    data = json.loads(cli_run("upgrades", "--format", "json").out)
    assert len(failed(suite)) == len(data["regressions"])


def validation_json(cli_run: Callable[..., Any], tolerance: str) -> tuple[set[str], int]:
    """The rows off `tolerance`, and how many of them fail validate (a row may be
    a known, explained disagreement that does not)."""
    data = json.loads(cli_run("validate", "--tolerance", tolerance, "--format", "json").out)
    return {row["name"] for row in data["rows"] if not row["ok"]}, data["failed"]


def test_junit_validate_one_case_per_row(cli_run: Callable[..., Any]):
    off, failing = validation_json(cli_run, "1%")
    assert failing, "at 1% some measurement fails"
    r = cli_run("validate", "--tolerance", "1%", "--format", "junit")
    assert r.code == 1
    assert_counts(r.out)
    (suite,) = suites(r.out).values()
    rows = json.loads(cli_run("validate", "--format", "json").out)["rows"]
    assert set(cases(suite)) == {row["name"] for row in rows}
    assert len(failed(suite)) == failing
    skipped = {n for n, c in cases(suite).items() if c.find("skipped") is not None}
    assert failed(suite) | skipped == off and not failed(suite) & skipped
    assert int(ET.fromstring(r.out).get("skipped", "-1")) == len(skipped)
    failure = cases(suite)[sorted(failed(suite))[0]].find("failure")
    assert failure is not None and failure.get("message", "").endswith("tolerance 1%")
    assert "Source: " in (failure.text or "")
    r = cli_run("validate", "--tolerance", "1000%", "--format", "junit")
    assert r.code == 0 and failed(next(iter(suites(r.out).values()))) == set()


# -- GitHub workflow commands ---------------------------------------------------------------

COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def unescape(text: str, prop: bool = False) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for code, char in [*pairs, ("%25", "%")]:
        text = text.replace(code, char)
    return text


@dataclass
class Annotation:
    level: str
    props: dict[str, str]
    message: str


def read_commands(out: str) -> list[Annotation]:
    """Every line a workflow command, read back as the runner reads it."""
    found = []
    for line in out.splitlines():
        m = COMMAND.match(line)
        assert m, f"not a workflow command: {line!r}"
        level, props, message = m.groups()
        pairs = (p.split("=", 1) for p in props.split(",")) if props else ()
        found.append(Annotation(level, {k: unescape(v, True) for k, v in pairs}, unescape(message)))
    return found


def test_escaping_follows_the_toolkit():
    # actions/toolkit packages/core/src/command.ts: escapeData, escapeProperty.
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"


def test_github_check_annotates_each_changed_cell(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, near_future_always)
    r = cli_run("check", "--format", "github", str(goldens))
    assert r.code == 1
    found = read_commands(r.out)
    *cells, summary = found
    assert summary.level == "notice" and summary.props == {"title": "uefi-accept check"}
    assert summary.message.startswith("3 of 18 cells changed in 1 of 2 files")
    assert "(boot time tolerance 5%25)" in r.out.splitlines()[-1]
    by_title = {a.props["title"].split(": ")[1]: a for a in cells}
    where = f" in {goldens / SNP}"
    assert set(by_title) == {
        "near-future / unenlightened" + where,
        "near-future / enlightened" + where,
        "near-future / dropped-protocol" + where,
    }
    lost = by_title["near-future / unenlightened" + where]
    assert lost.level == "error" and lost.props["file"] == str(goldens / SNP)
    assert lost.message.splitlines()[0] == "verdict: slow -> degraded, regression"
    # The line of the cell in the golden, for the annotation in the diff.
    line = (goldens / SNP).read_text().splitlines()[int(lost.props["line"]) - 1]
    assert line.strip() == '"firmware": "near-future",'
    assert by_title["near-future / enlightened" + where].level == "warning", "explanation only"
    # The title's colon is escaped on the raw line.
    assert "title=uefi-accept check%3A near-future / unenlightened" in r.out


def test_github_escapes_data_and_properties(cli_run: Callable[..., Any], tmp_path: Path):
    odd = tmp_path / "odd, name: 100%.json"
    shutil.copy2(MATRICES / SNP, odd)
    edit(odd, reword)
    r = cli_run("check", "--format", "github", str(odd))
    assert r.code == 1
    first = r.out.splitlines()[0]
    assert f"file={tmp_path}/odd%2C name%3A 100%25.json," in first
    assert "%0Asaid: a%0D\x01 line" in first
    (cell, _) = read_commands(r.out)
    assert cell.level == "warning" and cell.props["file"] == str(odd)
    assert 'Was 100% <fast> & "fine",\nsaid: a\r\x01 line' in cell.message


def test_github_ignored_changes_are_warnings(cli_run: Callable[..., Any], goldens: Path):
    edit(goldens / SNP, reword)
    r = cli_run("check", "--ignore", "explanation", "--format", "github", str(goldens / SNP))
    assert r.code == 0
    cell, summary = read_commands(r.out)
    assert cell.level == "warning" and cell.props["title"].endswith("(ignored)")
    assert summary.message.endswith("ignoring explanation changes.")


def test_github_unreadable_file(cli_run: Callable[..., Any], goldens: Path):
    (goldens / "broken.json").write_text("")
    r = cli_run("check", "--format", "github", str(goldens))
    assert r.code == 2
    error = read_commands(r.out)[0]
    assert error.level == "error" and error.props["file"] == str(goldens / "broken.json")
    assert error.props["title"].startswith("uefi-accept check: cannot read")


def test_github_upgrades_and_validate(cli_run: Callable[..., Any]):
    r = cli_run("upgrades", "--format", "github")
    assert r.code == 1
    *errors, summary = read_commands(r.out)
    assert [a.level for a in errors] == ["error", "error"]
    assert errors[0].props["title"] == (
        "uefi-accept upgrades: kernel enlightened -> dropped-protocol on near-future firmware"
    )
    assert summary.message.startswith("2 regressions in 12 upgrade steps (SNP, 64 GiB RAM")
    off, failing = validation_json(cli_run, "1%")
    r = cli_run("validate", "--tolerance", "1%", "--format", "github")
    assert r.code == 1
    *rows, summary = read_commands(r.out)
    errors = [a for a in rows if a.level == "error"]
    assert len(errors) == failing and len(rows) == len(off)
    # A known disagreement is a warning that says why.
    assert all(a.level == "warning" and "\nOpen: " in a.message for a in rows if a not in errors)
    titles = {a.props["title"].removeprefix("uefi-accept validate: ") for a in rows}
    assert {t.removesuffix(" (open)") for t in titles} == off
    assert summary.message.startswith(f"{failing} of ")


# -- the GitHub Action, run the way the runner runs it ---------------------------------------

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
STATUS_FUNCTIONS = ("success()", "failure()", "always()", "cancelled()")

_TOKEN = re.compile(r"\s*(&&|\|\||==|!=|!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][\w.-]*(?:\(\))?)")


def evaluate(expr: str, context: dict[str, str], failed_before: bool) -> Any:
    """The part of GitHub's expression language action.yml uses: context values,
    string literals, ==, !=, !, &&, || and the status functions."""
    expr = expr.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    tokens, pos = [], 0
    while pos < len(expr.rstrip()):
        m = _TOKEN.match(expr, pos)
        assert m, f"cannot read {expr!r} at {pos}"
        tokens.append(m.group(1))
        pos = m.end()
    functions = {
        "success()": not failed_before,
        "failure()": failed_before,
        "always()": True,
        "cancelled()": False,
    }

    def value(tok: str) -> Any:
        if tok.startswith("'"):
            return tok[1:-1].replace("''", "'")
        if tok in functions:
            return functions[tok]
        return context[tok]  # a KeyError names a context this emulation lacks

    def equal(a: Any, b: Any) -> bool:  # GitHub compares strings case-insensitively
        return str(a).lower() == str(b).lower()

    def parse_or(i: int) -> tuple[Any, int]:
        left, i = parse_and(i)
        while i < len(tokens) and tokens[i] == "||":
            right, i = parse_and(i + 1)
            left = left or right
        return left, i

    def parse_and(i: int) -> tuple[Any, int]:
        left, i = parse_not(i)
        while i < len(tokens) and tokens[i] == "&&":
            right, i = parse_not(i + 1)
            left = left and right
        return left, i

    def parse_not(i: int) -> tuple[Any, int]:
        if tokens[i] == "!":
            v, i = parse_not(i + 1)
            return not v, i
        left, i = parse_primary(i)
        if i < len(tokens) and tokens[i] in ("==", "!="):
            op = tokens[i]
            right, i = parse_primary(i + 1)
            left = equal(left, right) if op == "==" else not equal(left, right)
        return left, i

    def parse_primary(i: int) -> tuple[Any, int]:
        if tokens[i] == "(":
            v, i = parse_or(i + 1)
            assert tokens[i] == ")"
            return v, i + 1
        return value(tokens[i]), i + 1

    result, end = parse_or(0)
    assert end == len(tokens), f"unread tokens in {expr!r}"
    if not any(f in expr for f in STATUS_FUNCTIONS):
        result = result and not failed_before  # an implicit success() &&
    return result


def substitute(text: str, context: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: context[m.group(1)], text)


# `python -m venv DIR` and DIR/bin/python -m pip install SOURCE, without a network:
# the venv gets the suite's own `uefi-accept`, and pip's arguments are recorded.
PYTHON_STUB = """#!/bin/bash
set -e
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
if [ "$1 $2 $3" = "-m pip install" ]; then
  shift 3
  printf '%s\\n' "$@" > "$(dirname "$0")/../pip-args"
  ln -s "$UEFI_ACCEPT_UNDER_TEST" "$(dirname "$0")/uefi-accept"
  exit 0
fi
echo "python stub: unexpected $*" >&2
exit 99
"""


@dataclass
class ActionRun:
    workspace: Path
    temp: Path
    outcomes: dict[str, str] = field(default_factory=dict)  # step name -> outcome
    stdout: dict[str, str] = field(default_factory=dict)
    skipped_uses: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (self.temp / "step-summary.md").read_text()

    @property
    def failed(self) -> bool:
        return "failure" in self.outcomes.values()

    def read_commands(self, step: str) -> list[Annotation]:
        return read_commands(self.stdout[step])


def run_action(tmp_path: Path, workspace: Path, **given: str) -> ActionRun:
    """Every step of action.yml in order, as the runner runs a composite action:
    `uses:` steps are recorded, not run; `run:` steps go to
    `bash --noprofile --norc -eo pipefail` in the workspace with their `env:`,
    GITHUB_PATH lines join PATH for the steps after, a failed step skips the
    rest unless their `if:` says otherwise."""
    unknown = set(given) - set(ACTION["inputs"])
    assert not unknown, unknown
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | given
    run = ActionRun(workspace, tmp_path / "runner-temp")
    run.temp.mkdir(parents=True)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "python").write_text(PYTHON_STUB)
    (stubs / "python").chmod(0o755)
    files = {name: run.temp / f"{name}.txt" for name in ("path", "env", "output")}
    for f in files.values():
        f.touch()
    (run.temp / "step-summary.md").touch()
    path = [str(stubs), "/usr/bin", "/bin"]
    context = {f"inputs.{k}": v for k, v in inputs.items()} | {"github.action_path": str(ROOT)}
    for step in STEPS:
        name = step["name"]
        for step_id, outcome in ((s.get("id"), run.outcomes.get(s["name"])) for s in STEPS):
            if step_id:
                context[f"steps.{step_id}.outcome"] = outcome or ""
        if not evaluate(str(step.get("if", "success()")), context, run.failed):
            run.outcomes[name] = "skipped"
            continue
        if "uses" in step:
            run.skipped_uses.append(step["uses"])
            run.outcomes[name] = "success"
            continue
        assert step["shell"] == "bash"
        env = {
            "PATH": os.pathsep.join(path),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "RUNNER_TEMP": str(run.temp),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(run.temp / "step-summary.md"),
            "GITHUB_PATH": str(files["path"]),
            "GITHUB_ENV": str(files["env"]),
            "GITHUB_OUTPUT": str(files["output"]),
            "UEFI_ACCEPT_UNDER_TEST": str(UEFI_ACCEPT),
            # The suite's own interpreter set-up, if it has one, carries over.
            **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        } | {k: substitute(str(v), context) for k, v in step.get("env", {}).items()}
        script = run.temp / f"step-{len(run.outcomes)}.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        run.stdout[name] = done.stdout
        run.outcomes[name] = "success" if done.returncode == 0 else "failure"
        run.outcomes[name + " exit code"] = str(done.returncode)
        path = [p for p in files["path"].read_text().splitlines() if p] + path
        files["path"].write_text("")
    return run


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout of a repository with goldens: a copy of matrices/."""
    ws = tmp_path / "workspace"
    shutil.copytree(MATRICES, ws / "matrices")
    return ws


def test_action_is_a_composite_of_bash_steps_with_no_expressions_in_scripts():
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["inputs"]["paths"]["default"] == "matrices/"
    for step in STEPS:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach a script as environment variables, never spliced in.
            assert "${{" not in step["run"], step["name"]


def test_action_unchanged_goldens_pass(tmp_path: Path, workspace: Path):
    run = run_action(tmp_path, workspace)
    assert run.skipped_uses == ["actions/setup-python@v5"]
    assert run.outcomes["Install uefi-accept"] == "success"
    # pip installs the action's own checkout.
    assert (run.temp / "uefi-accept-venv/pip-args").read_text().splitlines() == [
        "--disable-pip-version-check",
        "--quiet",
        str(ROOT),
    ]
    assert run.outcomes["uefi-accept check"] == "success"
    assert run.outcomes["uefi-accept upgrades"] == "skipped"
    assert re.match("#+ uefi-accept check\n", run.summary)
    (notice,) = run.read_commands("uefi-accept check")
    assert notice.level == "notice" and notice.message.startswith("No change in 7 files, 57 cells")


def test_action_perturbed_golden_fails_with_annotations(tmp_path: Path, workspace: Path):
    edit(workspace / "matrices" / SNP, near_future_always)
    run = run_action(tmp_path, workspace, **{"install-source": "uefi-accept @ git+https://x"})
    assert (run.temp / "uefi-accept-venv/pip-args").read_text().splitlines()[-1] == (
        "uefi-accept @ git+https://x"
    )
    assert run.outcomes["uefi-accept check"] == "failure"
    assert run.outcomes["uefi-accept check exit code"] == "1"
    errors = [a for a in run.read_commands("uefi-accept check") if a.level == "error"]
    assert {a.props["file"] for a in errors} == {"matrices/snp-64g.json"}
    assert len(errors) == 2
    assert "3 of 57 cells changed in 1 of 7 files" in run.summary


def test_action_inputs_reach_check(tmp_path: Path, workspace: Path):
    edit(workspace / "matrices" / SNP, reword)
    run = run_action(tmp_path, workspace, ignore="explanation", tolerance="10%")
    assert run.outcomes["uefi-accept check"] == "success"
    warning, notice = run.read_commands("uefi-accept check")
    assert warning.level == "warning" and warning.props["title"].endswith("(ignored)")
    assert "(boot time tolerance 10%); ignoring explanation changes." in notice.message
    run = run_action(tmp_path / "again", workspace, paths="matrices/missing.json")
    assert run.outcomes["uefi-accept check exit code"] == "2"


def test_action_upgrades_runs_after_a_failed_check(tmp_path: Path, workspace: Path):
    edit(workspace / "matrices" / SNP, near_future_always)
    run = run_action(
        tmp_path, workspace, upgrades="true", **{"upgrades-args": "--platform snp --ram 64G"}
    )
    assert run.outcomes["uefi-accept check exit code"] == "1"
    assert run.outcomes["uefi-accept upgrades exit code"] == "1"
    *errors, notice = run.read_commands("uefi-accept upgrades")
    assert len(errors) == 2 and notice.message.startswith("2 regressions in 12 upgrade steps")
    assert re.search("^#+ uefi-accept check$", run.summary, re.M)
    assert re.search("^#+ uefi-accept upgrades$", run.summary, re.M)
    # Upgrading the kernel to the enlightened one on near-future firmware is no regression.
    args = "--fw near-future --kernel unenlightened --kernel enlightened"
    run = run_action(tmp_path / "up", workspace, upgrades="true", **{"upgrades-args": args})
    assert run.outcomes["uefi-accept upgrades"] == "success"
    (notice,) = run.read_commands("uefi-accept upgrades")
    assert notice.message.startswith("No regression in 1 upgrade step")


# -- the pre-commit hook -------------------------------------------------------------------

(HOOK,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def run_hook(checkout: Path) -> subprocess.CompletedProcess[str]:
    """The hook as pre-commit runs it with pass_filenames: false: entry, then args."""
    command, *entry_args = shlex.split(HOOK["entry"])
    assert command == "uefi-accept"
    return subprocess.run(
        [str(UEFI_ACCEPT), *entry_args, *HOOK["args"]],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hook_definition():
    assert HOOK["id"] == "uefi-accept-check"
    assert HOOK["language"] == "python" and HOOK["pass_filenames"] is False
    assert HOOK["args"] == ["matrices/"]
    # language: python installs this repository; its console script is the entry.
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert shlex.split(HOOK["entry"])[0] in scripts
    files = re.compile(HOOK["files"])  # pre-commit matches with re.search
    for staged in (
        "matrices/snp-64g.json",
        "matrices/tdx/deep.json",
        "uefi_accept/profiles/firmware/deployed.toml",
        "profiles/my-firmware.toml",
    ):
        assert files.search(staged), staged
    for staged in ("README.md", "matrices/README.md", "pyproject.toml", "docs/x.json"):
        assert not files.search(staged), staged


def test_hook_passes_on_unchanged_goldens_and_fails_on_a_changed_one(workspace: Path):
    done = run_hook(workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    edit(workspace / "matrices" / SNP, near_future_always)
    done = run_hook(workspace)
    assert done.returncode == 1
    assert "matrices/snp-64g.json: 3 of 9 cells changed" in done.stdout
