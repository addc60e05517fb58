"""What installing and using the package relies on: one version, a licence,
shell completion of profile names and files."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import uefi_accept

ROOT = Path(__file__).resolve().parent.parent


def complete(words: str, shell: str = "bash") -> list[str]:
    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "_UEFI_ACCEPT_COMPLETE": f"{shell}_complete",
    }
    r = subprocess.run(
        [sys.executable, "-m", "uefi_accept"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_the_version_is_in_one_place() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    r = subprocess.run(
        [sys.executable, "-m", "uefi_accept", "--version"], capture_output=True, text=True
    )
    assert r.stdout.strip() == f"uefi-accept, version {uefi_accept.__version__}"


def test_the_licence_is_the_one_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize(
    ("words", "want", "unwanted"),
    [
        ("uefi-accept matrix --fw ne", {"plain,near-future", "file,ne"}, "plain,deployed"),
        ("uefi-accept run --kernel en", {"plain,enlightened", "file,en"}, "plain,unenlightened"),
        (
            "uefi-accept matrix --kernel linux-6.1",
            {"plain,linux-6.14", "plain,linux-6.19"},
            "plain,linux-7.0",
        ),
        ("uefi-accept sweep --fw ", {"plain,deployed", "plain,edk2-stable202302", "file,"}, ""),
        ("uefi-accept ma", {"plain,matrix"}, "plain,run"),
        ("uefi-accept compare --kernel en", {"plain,enlightened", "file,en"}, ""),
        ("uefi-accept compare edk2-stable2023", {"plain,edk2-stable202302"}, ""),
    ],
)
def test_shell_completion_offers_profiles_and_files(
    words: str, want: set[str], unwanted: str
) -> None:
    got = complete(words)
    assert want <= set(got), got
    assert not unwanted or unwanted not in got


def test_completion_scripts_for_each_shell() -> None:
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete")):
        env = {**os.environ, "_UEFI_ACCEPT_COMPLETE": f"{shell}_source"}
        r = subprocess.run(
            [sys.executable, "-m", "uefi_accept"], env=env, capture_output=True, text=True
        )
        assert r.returncode == 0 and marker in r.stdout, shell
