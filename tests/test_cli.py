"""The CLI as users drive it: formats, determinism, exit codes, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REQUIRED_CELL_KEYS = {
    "schema_version",
    "platform",
    "firmware",
    "kernel",
    "ram_bytes",
    "vcpus",
    "verdict",
    "reason",
    "boot_time_s",
    "usable_bytes",
    "accepted_bytes",
    "unaccepted_bytes",
    "lost_bytes",
    "events",
}


def test_matrix_table_default(cli_run) -> None:
    r = cli_run("matrix")
    assert r.code == 0, r.err
    for word in ("deployed", "near-future", "far-future", "dropped-protocol", "degraded"):
        assert word in r.out
    assert "fast" in r.out and "legend" not in r.err


def test_matrix_json_is_a_stable_contract(cli_run) -> None:
    a = cli_run("matrix", "--format", "json")
    b = cli_run("matrix", "--format", "json")
    assert a.code == 0 and a.out == b.out
    assert a.out.endswith("}\n")
    data = json.loads(a.out)
    assert data["schema_version"] == 1 and data["kind"] == "matrix"
    assert data["scenario"]["platform"] == "snp" and data["scenario"]["ram_bytes"] == 64 << 30
    assert len(data["cells"]) == 9
    for c in data["cells"]:
        assert set(c) >= REQUIRED_CELL_KEYS
    assert json.dumps(data, sort_keys=True, indent=2) + "\n" == a.out


def test_run_json_holds_the_cell_and_its_timeline(cli_run) -> None:
    r = cli_run("run", "--fw", "near-future", "--kernel", "dropped-protocol", "--format", "json")
    assert r.code == 0
    c = json.loads(r.out)
    assert set(c) >= REQUIRED_CELL_KEYS
    assert c["verdict"] == "slow"
    steps = [e["step"] for e in c["events"]]
    assert steps[:3] == ["vmm-layout", "firmware-init", "firmware-pre-accept"]
    assert "exit-boot-services" in steps and steps[-1] == "userspace"


@pytest.mark.parametrize("fmt", ["table", "markdown", "text"])
def test_run_formats_carry_the_reason(cli_run, fmt: str) -> None:
    r = cli_run("run", "--fw", "far-future", "--kernel", "unenlightened", "--format", fmt)
    assert r.code == 0
    assert "degraded" in r.out and "type 15" in r.out


def test_text_format_is_plain_ascii_under_80_columns(cli_run) -> None:
    for args in (("matrix",), ("run", "--fw", "deployed", "--kernel", "enlightened")):
        r = cli_run(*args, "--format", "text")
        assert r.code == 0
        assert r.out.isascii() and "\x1b" not in r.out
        assert max(len(line) for line in r.out.splitlines()) < 80


def test_markdown_matrix_is_a_gfm_table(cli_run) -> None:
    r = cli_run("matrix", "--platform", "tdx", "--format", "markdown")
    lines = r.out.splitlines()
    assert "| firmware \\ kernel | unenlightened | enlightened | dropped-protocol |" in lines
    assert "|---|:---:|:---:|:---:|" in lines


def test_matrix_pre_accept_and_loader_options(cli_run) -> None:
    r = cli_run("matrix", "--pre-accept", "256M", "--format", "json")
    cells = {(c["firmware"], c["kernel"]): c["verdict"] for c in json.loads(r.out)["cells"]}
    assert cells[("far-future", "unenlightened")] == "oom"
    r = cli_run("matrix", "--loader", "grub-legacy", "--fw", "far-future", "--format", "json")
    assert {c["verdict"] for c in json.loads(r.out)["cells"]} == {"crash"}


def test_user_profile_paths(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "shim.toml"
    p.write_text(
        'name = "td-shim-lazy"\ndescription = "td-shim lazy accept: 256 MiB"\n'
        'platforms = ["tdx"]\npre_accept = "256M"\nhandover = "always"\naccept_vcpus = "all"\n'
    )
    r = cli_run("matrix", "--platform", "tdx", "--fw", str(p), "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["firmware"] == ["td-shim-lazy"]
    cells = {c["kernel"]: c["verdict"] for c in data["cells"]}
    assert cells == {"unenlightened": "oom", "enlightened": "fast", "dropped-protocol": "fast"}


def test_output_file_is_written_whole(cli_run, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    r = cli_run("matrix", "--format", "json", "-o", str(out))
    assert r.code == 0 and r.out == ""
    assert json.loads(out.read_text())["kind"] == "matrix"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_bad_input_leaves_no_output_file(cli_run, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    r = cli_run("matrix", "--fw", "nope", "-o", str(out))
    assert r.code == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_profiles_lists_builtins(cli_run) -> None:
    r = cli_run("profiles", "--format", "json")
    data = json.loads(r.out)
    names = {p["name"] for p in data["firmware"]}
    # The seed's three names on both platforms, and real edk2 builds.
    assert {"deployed", "near-future", "far-future", "edk2-stable202302"} <= names
    assert {"edk2-stable202202", "edk2-stable202208", "edk2-stable202211"} <= names
    assert len(data["kernel"]) == 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("matrix", "--ram", "lots"), "--ram"),
        (("matrix", "--ram", "0"), "--ram"),
        (("matrix", "--ram", "64M"), "--ram"),
        (("matrix", "--pre-accept", "1M"), "--pre-accept"),
        (("matrix", "--fw", "mid-future"), "--fw: unknown firmware profile 'mid-future'"),
        (("matrix", "--kernel", "6.9"), "unknown kernel profile"),
        (("matrix", "--platform", "sev"), "--platform"),
        (("matrix", "--vcpus", "0"), "--vcpus"),
        (("run", "--fw", "deployed"), "--kernel"),
        (("matrix", "--fw", "deployed", "--fw", "deployed"), "named twice"),
        (("frobnicate",), "No such command"),
    ],
)
def test_usage_errors_exit_2_with_one_line(cli_run, args: tuple[str, ...], needle: str) -> None:
    r = cli_run(*args)
    assert r.code == 2
    assert r.out == ""
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert needle in r.err and "Traceback" not in r.err


def test_bad_profile_file_names_file_and_field(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "fw.toml"
    p.write_text('name = "x"\ndescription = "d"\nplatforms = ["snp"]\npre_accept = "all"\n')
    r = cli_run("run", "--fw", str(p), "--kernel", "enlightened")
    assert r.code == 2
    assert r.err.strip() == f"uefi-accept: error: {p}: handover: required field is missing"


def test_internal_error_exit_3_without_traceback(cli_run, monkeypatch) -> None:
    import uefi_accept.analyses.matrix as matrix

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(matrix, "evaluate_matrix", boom)
    r = cli_run("matrix")
    assert r.code == 3
    assert "internal error: RuntimeError: simulated bug" in r.err
    assert "Traceback" not in r.err


def test_help_lists_exit_codes_and_skips_numpy() -> None:
    code = (
        "import sys\nfrom uefi_accept.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('NUMPY' if 'numpy' in sys.modules else 'LEAN')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "Exit codes:" in out and re.search(r"3 +internal error", out)
    assert out.strip().endswith("LEAN")


def test_python_dash_m() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "uefi_accept", "matrix", "--ram", "2G", "--format", "text"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0
    assert "fast" in r.stdout and "slow" not in r.stdout.split("cell:")[0]


@pytest.mark.parametrize(
    "args",
    [
        ("sweep", "--ram", "1G..16T", "--fw", "far-future", "--kernel", "unenlightened"),
        ("validate",),
        ("upgrades",),
        ("matrix", "--ram", "1T"),
    ],
)
def test_every_text_format_fits_a_mail_reply(cli_run, args: tuple[str, ...]) -> None:
    r = cli_run(*args, "--format", "text")
    assert r.code in (0, 1), r.err
    assert r.out.isascii() and "\x1b" not in r.out
    assert max(len(line) for line in r.out.splitlines()) < 80


def test_output_to_a_device_writes_through_and_keeps_it(cli_run) -> None:
    import stat

    r = cli_run("matrix", "--format", "json", "-o", "/dev/null")
    assert r.code == 0
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


@pytest.mark.parametrize("target", ["", "{tmp}", "{tmp}/missing/m.json"])
def test_output_to_nowhere_sensible_is_refused(cli_run, tmp_path: Path, target: str) -> None:
    r = cli_run("matrix", "--format", "json", "-o", target.format(tmp=tmp_path))
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_output_through_a_symlink_keeps_the_link(cli_run, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert cli_run("matrix", "--format", "json", "-o", str(link)).code == 0
    assert link.is_symlink() and json.loads(real.read_text())["kind"] == "matrix"


@pytest.mark.parametrize("option", ["--slow-ratio", "--degraded-fraction"])
def test_nan_thresholds_are_refused(cli_run, option: str) -> None:
    r = cli_run("matrix", option, "nan")
    assert r.code == 2 and option in r.err


def test_devices_are_not_profiles(cli_run) -> None:
    r = cli_run("matrix", "--fw", "/dev/zero")
    assert r.code == 2 and "/dev/zero: not a regular file" in r.err


def test_kernel_config_given_as_firmware(cli_run) -> None:
    cfg = Path(__file__).parent / "configs" / "kernel-config-fragment-kata-snp.conf.txt"
    r = cli_run("matrix", "--fw", str(cfg))
    assert r.code == 2 and "kernel .config, not a firmware profile" in r.err


def test_run_takes_one_firmware_and_one_kernel(cli_run) -> None:
    r = cli_run("run", "--fw", "deployed", "--fw", "near-future", "--kernel", "enlightened")
    assert r.code == 2 and "--fw" in r.err
    r = cli_run("run", "--fw", "deployed", "--kernel", "enlightened", "--kernel", "unenlightened")
    assert r.code == 2 and "--kernel" in r.err


def test_no_arguments_prints_the_help(cli_run) -> None:
    r = cli_run()
    assert r.code == 0 and r.err == ""
    assert r.out.startswith("Usage: uefi-accept") and "Commands:" in r.out
    assert "Exit codes:" in r.out


def test_ctrl_c_exits_130_quietly(cli_run, monkeypatch) -> None:
    import uefi_accept.analyses.matrix as matrix

    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(matrix, "evaluate_matrix", interrupted)
    r = cli_run("matrix")
    assert r.code == 130
    assert r.err.strip() == "uefi-accept: interrupted" and "Traceback" not in r.err


def test_a_closed_pipe_ends_the_output_quietly() -> None:
    """`uefi-accept ... | head -1`: the reader leaves, the command exits as it would."""
    args = [sys.executable, "-m", "uefi_accept", "sweep", "--ram", "1G..4T", "--points", "3000"]
    p = subprocess.Popen(
        [*args, "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert p.stdout is not None and p.stderr is not None
    assert p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait() == 0
    assert err == b""


def test_the_groups_summaries_are_the_commands_own() -> None:
    """`uefi-accept --help` lists the commands from COMMANDS without importing
    them; each summary must stay the command's own first sentence."""
    import click

    from uefi_accept.cli import COMMANDS, cli

    ctx = click.Context(cli)
    for name, (_, summary) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=10**6) == summary, name


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys\nfrom uefi_accept.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('uefi_accept.cli.')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_a_header_wider_than_the_page_goes_on_several_lines() -> None:
    from uefi_accept.render.blocks import Cell, Column, Report, Table
    from uefi_accept.render.text import render

    name = "kernel-config-" + "-".join(["segment"] * 12)
    table = Table(
        columns=(Column("firmware \\ kernel", key=True), Column(name, justify="center")),
        rows=((Cell.of("deployed"), Cell.of("slow 118s 64G")),),
    )
    lines = render(Report().add(table)).splitlines()
    assert max(len(line) for line in lines) <= 79
    header = "".join(line.split("|")[2].strip() for line in lines[1:3])
    assert header == name  # every character, over two lines
