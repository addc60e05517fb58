"""`inspect` exits 1 on lost memory or a crash risk and names the remedy: the
kernel or firmware change, and the `uefi-accept run --memmap LOG --kernel
enlightened` command that shows it (printed only when the model boots the log's
map better with it; each printed command is run here)."""

from __future__ import annotations

import io
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from test_logparse import STUB_WARNING, STYLES, snp_guest_log, snp_guest_messages

from uefi_accept.inputs.schemas import SCHEMA_DIR, file_name
from uefi_accept.model.outcome import Verdict

LOGS = Path(__file__).resolve().parent / "logs"
SNP_SNIPPET = LOGS / "snp-guest-efi-memmap-Unaccepted-snippet-lkml-rfc-hotplug-2025-12.txt"
CliRun = Callable[..., Any]
NEEDS_REMEDY = ("lost-memory", "crash-risk")


def inspect_json(cli_run: CliRun, path: Path | str, code: int) -> dict[str, Any]:
    r = cli_run("inspect", "--format", "json", str(path))
    assert r.code == code, r.out + r.err
    doc: dict[str, Any] = json.loads(r.out)
    errors = list(Draft202012Validator(_schema()).iter_errors(doc))
    assert not errors, errors
    return doc


def _schema() -> dict[str, Any]:
    return json.loads((Path(SCHEMA_DIR) / file_name("inspect")).read_text())  # type: ignore[no-any-return]


def run_verdict(cli_run: CliRun, *args: str) -> Verdict:
    r = cli_run(*args, "--format", "json")
    assert r.code == 0, r.err
    return Verdict(json.loads(r.out)["verdict"])


def command_args(command: str) -> list[str]:
    args = shlex.split(command)
    assert args[:2] == ["uefi-accept", "run"]
    return args[1:]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# Generated guests (tests/test_logparse.py): a 64 GiB SNP guest, 62 GiB of it
# handed over as type 15, with the kernel messages each case prints.
def unsupported_6_8() -> str:
    """6.5+ built without CONFIG_UNACCEPTED_MEMORY: the stub's warning, type 15 left out."""
    return "\n".join(STUB_WARNING) + "\n" + STYLES["dmesg"](snp_guest_messages(supported=False))


def old_kernel() -> str:
    """An SNP guest kernel 5.19..6.4: no message, type 15 left out."""
    return STYLES["dmesg"](snp_guest_messages(supported=False, version="6.1.0-snp-guest"))


def old_kernel_given_type_15() -> str:
    """A pre-6.5 kernel whose e820 (built by an old boot loader) has type 15 as RAM."""
    return STYLES["dmesg"](snp_guest_messages(supported=True, version="5.19.0"))


# -- the real logs -------------------------------------------------------------------


@pytest.mark.parametrize("log", sorted(LOGS.glob("*.txt")), ids=lambda p: p.name)
def test_no_real_log_needs_a_remedy(cli_run: CliRun, log: Path) -> None:
    """None of the public logs shows lost memory or a crash risk (tests/logs/README.md:
    none with type 15 and its e820 was found): each exits 0 with no remedy."""
    doc = inspect_json(cli_run, log, code=0)
    assert doc["verdict"] not in NEEDS_REMEDY
    assert doc["remedy"] is None and doc["remedy_command"] is None


def test_real_snp_map_with_the_stub_warning_is_lost_memory(cli_run: CliRun, tmp_path: Path):
    """The real SNP guest's map (2 GiB Unaccepted at 4 GiB) under a kernel that printed
    the EFI stub's warning (libstub/x86-stub.c): lost memory, exit 1, the kernel fix.
    The map is only part of one (it starts at 4 GiB), so no command is printed: the
    model cannot boot it with any kernel."""
    log = write(tmp_path, "snippet.log", "\n".join(STUB_WARNING) + "\n" + SNP_SNIPPET.read_text())
    doc = inspect_json(cli_run, log, code=1)
    assert doc["verdict"] == "lost-memory" and doc["lost_bytes"] == 2 << 30
    assert "Rebuild this kernel with CONFIG_UNACCEPTED_MEMORY=y" in doc["remedy"]
    # No platform line: the firmware fix names both platforms.
    assert "on SEV-SNP, OVMF since edk2-stable202302" in doc["remedy"]
    assert "on TDX, firmware that accepts all RAM" in doc["remedy"]
    assert doc["remedy_command"] is None
    for kernel in ("enlightened", "unenlightened"):
        args = ("run", "--memmap", str(log), "--platform", "snp", "--kernel", kernel)
        assert run_verdict(cli_run, *args) == Verdict.CRASH


# -- lost memory and crash risk: the command runs and boots better -------------------

CASES = [
    # (log, verdict, words of the remedy, the diagnosed boot as `run` options)
    (
        unsupported_6_8,
        "lost-memory",
        "Rebuild 6.8.0-49-generic with CONFIG_UNACCEPTED_MEMORY=y",
        ("--kernel", "unenlightened"),
    ),
    (
        old_kernel,
        "lost-memory",
        "Boot Linux 6.5 or later built with CONFIG_UNACCEPTED_MEMORY=y",
        ("--kernel", "unenlightened"),
    ),
    (
        old_kernel_given_type_15,
        "crash-risk",
        "through its EFI stub, which records type 15 in the unaccepted bitmap",
        ("--kernel", "unenlightened", "--loader", "grub-legacy"),
    ),
]


@pytest.mark.parametrize(
    ("make", "verdict", "remedy", "now"), CASES, ids=[c[0].__name__ for c in CASES]
)
def test_remedy_and_its_command(
    cli_run: CliRun,
    tmp_path: Path,
    make: Callable[[], str],
    verdict: str,
    remedy: str,
    now: tuple[str, ...],
) -> None:
    log = write(tmp_path, "guest.log", make())
    doc = inspect_json(cli_run, log, code=1)
    assert doc["verdict"] == verdict
    assert remedy in doc["remedy"]
    # An SNP guest: the firmware fix is SNP's.
    assert "AllowUnacceptedMemory()" in doc["remedy"] and "on TDX" not in doc["remedy"]
    assert doc["remedy_command"] == f"uefi-accept run --memmap {log} --kernel enlightened"
    # The printed command runs, and boots this map better than the diagnosed boot.
    fixed = run_verdict(cli_run, *command_args(doc["remedy_command"]))
    diagnosed = run_verdict(cli_run, "run", "--memmap", str(log), *now)
    assert fixed == Verdict.FAST
    assert diagnosed == (Verdict.CRASH if verdict == "crash-risk" else Verdict.DEGRADED)
    assert fixed.rank < diagnosed.rank


def test_text_report_names_the_remedy_and_the_command_on_one_line(
    cli_run: CliRun, tmp_path: Path
) -> None:
    log = write(tmp_path, "a-rather-long-name-for-a-guest-boot-log-of-64-gib.log", old_kernel())
    r = cli_run("inspect", str(log))
    assert r.code == 1
    assert "\nRemedy: Boot Linux 6.5 or later" in r.out
    command = f"uefi-accept run --memmap {log} --kernel enlightened"
    assert len(command) > 79  # longer than the text width, and still not wrapped
    assert f"\n  {command}\n" in r.out
    assert "--kernel unenlightened models this boot" in " ".join(r.out.split())
    md = cli_run("inspect", "--format", "markdown", str(log))
    assert md.code == 1
    assert f"\n```sh\n{command}\n```\n" in md.out
    assert "**Remedy:** Boot Linux 6.5 or later" in md.out


def test_crash_risk_text_names_the_loader(cli_run: CliRun, tmp_path: Path) -> None:
    log = write(tmp_path, "g.log", old_kernel_given_type_15())
    r = cli_run("inspect", str(log))
    assert r.code == 1
    flat = " ".join(r.out.split())
    assert "--kernel unenlightened --loader grub-legacy models this boot" in flat
    assert "current GRUB marks it reserved" in flat


def test_a_log_on_standard_input_gets_a_command_reading_standard_input(
    cli_run: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = unsupported_6_8().encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    r = cli_run("inspect", "--format", "json", "-")
    assert r.code == 1, r.err
    command = json.loads(r.out)["remedy_command"]
    assert command == "uefi-accept run --memmap - --kernel enlightened"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert run_verdict(cli_run, *command_args(command)) == Verdict.FAST


def test_a_path_with_spaces_is_quoted(cli_run: CliRun, tmp_path: Path) -> None:
    log = write(tmp_path, "my guest.log", old_kernel())
    command = inspect_json(cli_run, log, code=1)["remedy_command"]
    assert shlex.quote(str(log)) in command and shlex.quote(str(log)) != str(log)
    assert run_verdict(cli_run, *command_args(command)) == Verdict.FAST


def test_a_log_that_names_no_platform_gets_an_explicit_platform(
    cli_run: CliRun, tmp_path: Path
) -> None:
    msgs = [m for m in snp_guest_messages(supported=False) if "SEV" not in m]
    log = write(tmp_path, "g.log", "\n".join(STUB_WARNING) + "\n" + STYLES["plain"](msgs))
    doc = inspect_json(cli_run, log, code=1)
    assert doc["platform"] is None
    assert doc["remedy_command"].endswith("--platform snp --kernel enlightened")
    assert run_verdict(cli_run, *command_args(doc["remedy_command"])) == Verdict.FAST


def test_lost_memory_without_a_map_names_the_remedy_but_no_command(
    cli_run: CliRun, tmp_path: Path
) -> None:
    log = write(tmp_path, "g.log", "\n".join(STUB_WARNING) + "\nLinux version 6.6.0\n")
    doc = inspect_json(cli_run, log, code=1)
    assert doc["verdict"] == "lost-memory" and doc["unaccepted_bytes"] is None
    assert "Rebuild 6.6.0 with CONFIG_UNACCEPTED_MEMORY=y" in doc["remedy"]
    assert doc["remedy_command"] is None


def test_healthy_guest_exits_0_without_a_remedy(cli_run: CliRun, tmp_path: Path) -> None:
    doc = inspect_json(cli_run, write(tmp_path, "g.log", snp_guest_log()), code=0)
    assert doc["verdict"] == "healthy-lazy"
    assert doc["remedy"] is None and doc["remedy_command"] is None
    r = cli_run("inspect", str(tmp_path / "g.log"))
    assert r.code == 0 and "Remedy" not in r.out


def test_bad_input_exits_2(cli_run: CliRun, tmp_path: Path) -> None:
    r = cli_run("inspect", str(tmp_path / "missing.log"))
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1


def test_exit_codes_are_documented(cli_run: CliRun) -> None:
    r = cli_run("inspect", "--help")
    assert r.code == 0
    flat = " ".join(r.out.split())
    assert "Exits 1 when it diagnoses lost memory or a crash risk" in flat
    assert "`inspect` lost memory or a crash risk" in flat  # the exit-code table
    readme = (LOGS.parent.parent / "README.md").read_text()
    assert "`inspect` diagnosed lost memory or a crash risk" in readme
