"""--vm FILE and --qemu-cmdline build the scenario from the user's own VM
definition; what a definition, a log or a kernel config leaves unsaid is
printed as an assumption in every format and on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from uefi_accept.inputs.files import read_text
from uefi_accept.inputs.vmdefs import parse_vm_definition
from uefi_accept.units import GiB

ROOT = Path(__file__).resolve().parent.parent
VMS = ROOT / "tests" / "vms"
CONFIGS = ROOT / "tests" / "configs"
LOGS = ROOT / "tests" / "logs"
KATA_TDX = str(VMS / "kata-configuration-qemu-tdx.toml")
TDX_QEMU = (
    "qemu-system-x86_64 -m 16G -smp 8 -machine q35,confidential-guest-support=t "
    "-object tdx-guest,id=t -kernel bzImage"
)


def doc(cli_run: Any, *args: str) -> tuple[dict[str, Any], str]:
    r = cli_run(*args, "--format", "json")
    assert r.code == 0, r.err
    return json.loads(r.out), r.err


def test_a_kata_configuration_is_the_scenario(cli_run: Any) -> None:
    data, err = doc(cli_run, "matrix", "--vm", KATA_TDX)
    s = data["scenario"]
    want = parse_vm_definition(read_text(KATA_TDX), KATA_TDX)
    assert (s["platform"], s["ram_bytes"], s["vcpus"]) == ("tdx", 2 * GiB, 1)
    assert s["deadline_s"] == want.deadline_s == 60  # create_container_timeout
    # Every note the file leaves is an assumption, in the JSON and on stderr.
    assert len(s["assumptions"]) == len(want.assumptions) > 0
    for note in want.assumptions:
        assert any(note in a for a in s["assumptions"])
        assert f"uefi-accept: assumed: {want.source}: {note}" in err


def test_options_given_on_the_command_line_win(cli_run: Any) -> None:
    data, _ = doc(cli_run, "matrix", "--vm", KATA_TDX, "--ram", "64G", "--deadline", "1200")
    s = data["scenario"]
    assert (s["platform"], s["ram_bytes"], s["deadline_s"]) == ("tdx", 64 * GiB, 1200)


def test_a_qemu_command_line(cli_run: Any) -> None:
    data, _ = doc(cli_run, "run", "--qemu-cmdline", TDX_QEMU, "--fw", "near-future", "--kernel",
                  "enlightened")  # fmt: skip
    assert (data["platform"], data["ram_bytes"], data["vcpus"]) == ("tdx", 16 * GiB, 8)
    lazy = data["boot_time_s"]
    eager, _ = doc(cli_run, "run", "--qemu-cmdline", TDX_QEMU + " -append accept_memory=eager",
                   "--fw", "near-future", "--kernel", "enlightened")  # fmt: skip
    # accept_memory=eager on -append: the kernel accepts everything at boot.
    assert eager["boot_time_s"] > 2 * lazy


def test_a_sweep_takes_the_rest_of_the_vm_from_the_file(cli_run: Any) -> None:
    data, _ = doc(cli_run, "sweep", "--vm", KATA_TDX, "--ram", "2G..64G", "--points", "3")
    assert data["scenario"]["platform"] == "tdx" and data["scenario"]["vcpus"] == 1
    assert data["values"][0] == 2 * GiB and data["scenario"]["assumptions"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--vm", KATA_TDX, "--qemu-cmdline", TDX_QEMU), "--qemu-cmdline"),
        (
            (
                "--vm",
                KATA_TDX,
                "--memmap",
                str(LOGS / "ovmf-qemu-3G-kernel-5.6-efi-debug-memmap-linux-efi-2020-03.txt"),
            ),
            "--vm",
        ),
        (("--qemu-cmdline", "-m lots"), "-m"),
        (("--vm", str(VMS / "kata-configuration-qemu-tdx.toml.in")), "PLACEHOLDER"),
    ],
)
def test_bad_definitions_are_one_line_errors(
    cli_run: Any, args: tuple[str, ...], field: str
) -> None:
    r = cli_run("matrix", *args)
    assert r.code == 2 and r.err.count("\n") == 1 and "Traceback" not in r.err
    assert field in r.err or "@" in r.err


FRAGMENT = str(CONFIGS / "kernel-config-fragment-kata-tdx.conf.txt")


@pytest.mark.parametrize("fmt", ["text", "markdown", "table", "json"])
def test_a_versionless_config_fragment_says_what_it_assumed(cli_run: Any, fmt: str) -> None:
    """The issue's example: the Kata TDX fragment is scored without unaccepted
    memory support (degraded, 62 GiB lost) unless its version is given."""
    args = ("run", "--platform", "tdx", "--fw", "near-future", "--kernel-config", FRAGMENT)
    r = cli_run(*args, "--format", fmt)
    assert r.code == 0
    flat = " ".join(r.out.split())
    assert "names no kernel version" in flat and "--kernel-version" in flat
    assert "assumed:" in r.err and "names no kernel version" in r.err
    if fmt == "json":
        data = json.loads(r.out)
        assert data["verdict"] == "degraded" and data["lost_bytes"] == 62 * GiB
    versioned = cli_run(*args, "--kernel-version", "6.8", "--format", "json")
    assert json.loads(versioned.out)["verdict"] == "fast"
    assert "assumed" not in versioned.err and "names no kernel version" not in versioned.out


def test_a_log_that_names_no_platform_and_a_partial_map(cli_run: Any) -> None:
    log = str(LOGS / "snp-guest-efi-memmap-Unaccepted-snippet-lkml-rfc-hotplug-2025-12.txt")
    data, err = doc(cli_run, "matrix", "--memmap", log)
    notes = " ".join(data["scenario"]["assumptions"])
    assert "names no platform" in notes and "part of an EFI memory map" in notes
    assert err.count("assumed:") == 2
    data, err = doc(cli_run, "matrix", "--memmap", log, "--platform", "snp")
    assert data["scenario"]["assumptions"] == [
        a for a in data["scenario"]["assumptions"] if "part of" in a
    ]


def test_no_assumptions_no_section(cli_run: Any) -> None:
    r = cli_run("matrix", "--format", "text")
    assert "Assumptions" not in r.out and r.err == ""
    data, _ = doc(cli_run, "matrix")
    assert data["scenario"]["assumptions"] == []


def test_notes_about_values_given_on_the_command_line_are_dropped(cli_run: Any) -> None:
    bare = cli_run("matrix", "--qemu-cmdline", "-m 16G", "--format", "json")
    notes = json.loads(bare.out)["scenario"]["assumptions"]
    assert any("-smp" in n for n in notes) and any("--platform" in n for n in notes)
    assert sum("platform" in n for n in notes) == 1  # said once
    given = cli_run("matrix", "--qemu-cmdline", "-m 16G", "--ram", "8G", "--vcpus", "2",
                    "--platform", "tdx", "--layout", "q35", "--loader", "efi-stub",
                    "--format", "json")  # fmt: skip
    data = json.loads(given.out)["scenario"]
    assert data["ram_bytes"] == 8 * GiB and data["vcpus"] == 2
    assert not any(m in n for n in data["assumptions"] for m in ("-smp", "platform", "--loader"))
    assert "assumed" not in given.err or "-smp" not in given.err


def test_suffix_of_a_format_the_command_lacks_is_refused(cli_run: Any, tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    r = cli_run("matrix", "-o", str(out))
    assert r.code == 2 and "no csv output" in r.err and not out.exists()
