"""Real maps and configs in the engine: --memmap, --kernel-config, inspect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_logparse import snp_guest_log

from uefi_accept.inputs.bootlog import format_efi_memmap, parse_boot_log
from uefi_accept.inputs.profile_files import resolve_profile
from uefi_accept.model.boot import simulate
from uefi_accept.model.scenario import Loader, Scenario
from uefi_accept.units import GiB, MiB

HERE = Path(__file__).parent
CONFIGS = HERE / "configs"
TALOS = CONFIGS / "kernel-config-talos-6.18.45-amd64-snp-unaccepted-excerpt.txt"
KATA_SNP = CONFIGS / "kernel-config-fragment-kata-snp.conf.txt"
OVMF_3G = HERE / "logs" / "ovmf-qemu-3G-kernel-5.6-efi-debug-memmap-linux-efi-2020-03.txt"


def engine_map(platform: str = "snp", fw: str = "far-future", **kw: object):  # type: ignore[no-untyped-def]
    s = Scenario(platform=platform, **kw)  # type: ignore[arg-type]
    o = simulate(
        s,
        resolve_profile(fw, "firmware", platform),  # type: ignore[arg-type]
        resolve_profile("enlightened", "kernel", platform),  # type: ignore[arg-type]
    ).outcome(0)
    return o.handover_map


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"platform": "tdx"},
        {"ram_bytes": 2 * GiB},
        {"pre_accept": 257 * MiB + 4096},
        {"ram_bytes": 64 * 1024 * GiB, "fw": "deployed"},
    ],
)
def test_engine_map_round_trips_through_the_efi_debug_format(kw: dict[str, object]) -> None:
    descs = engine_map(**kw)  # type: ignore[arg-type]
    text = format_efi_memmap(descs)
    assert parse_boot_log(text, "round-trip").efi_map == tuple(descs)


def write_log(tmp_path: Path, platform: str = "snp", **kw: object) -> Path:
    descs = engine_map(platform, **kw)  # type: ignore[arg-type]
    banner = (
        "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"
        if platform == "snp"
        else "tdx: Guest detected"
    )
    lines = [banner, *format_efi_memmap(descs).splitlines()]
    p = tmp_path / f"{platform}.log"
    p.write_text("".join(f"[    0.000000] {ln}\n" for ln in lines))
    return p


def test_matrix_over_a_real_map_matches_the_modelled_vm(cli_run, tmp_path: Path) -> None:
    log = write_log(tmp_path)
    from_log = json.loads(cli_run("matrix", "--memmap", str(log), "--format", "json").out)
    assert from_log["firmware"] == ["memmap"]
    modelled = json.loads(cli_run("matrix", "--fw", "far-future", "--format", "json").out)
    for a, b in zip(from_log["cells"], modelled["cells"], strict=True):
        for key in ("verdict", "usable_bytes", "lost_bytes", "unaccepted_bytes", "ram_bytes"):
            assert a[key] == b[key], key
        assert a["boot_time_s"] == pytest.approx(b["boot_time_s"])
    assert (
        "already shows the firmware's own acceptance" in from_log["cells"][0]["events"][0]["what"]
    )


def test_memmap_takes_platform_from_the_log_unless_given(cli_run, tmp_path: Path) -> None:
    log = write_log(tmp_path, "tdx")
    data = json.loads(cli_run("matrix", "--memmap", str(log), "--format", "json").out)
    assert data["scenario"]["platform"] == "tdx"
    data = json.loads(
        cli_run("matrix", "--memmap", str(log), "--platform", "snp", "--format", "json").out
    )
    assert data["scenario"]["platform"] == "snp"


def test_opt_in_firmware_over_a_real_map_accepts_at_exit_boot_services(
    cli_run, tmp_path: Path
) -> None:
    log = write_log(tmp_path)
    r = cli_run(
        "run", "--memmap", str(log), "--fw", "near-future", "--kernel", "dropped-protocol",
        "--format", "json",
    )  # fmt: skip
    cell = json.loads(r.out)
    assert cell["verdict"] == "slow"
    assert "ExitBootServices" in cell["reason"]


def test_memmap_from_a_real_ovmf_log(cli_run) -> None:
    r = cli_run("run", "--memmap", str(OVMF_3G), "--kernel", "unenlightened", "--format", "json")
    assert r.code == 0, r.err
    cell = json.loads(r.out)
    # 3 GiB guest, no type 15: every kernel can use all of it.
    assert cell["verdict"] == "fast" and cell["lost_bytes"] == 0
    assert 2.9 * GiB < cell["usable_bytes"] < 3 * GiB


def test_memmap_without_a_map_is_an_input_error(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "dmesg.txt"
    p.write_text("[    0.000000] Linux version 6.8.0 (x@y) #1 SMP\n")
    r = cli_run("matrix", "--memmap", str(p))
    assert r.code == 2
    assert f"{p}: no EFI memory map" in r.err


def test_kernel_config_builds_a_kernel_column(cli_run) -> None:
    r = cli_run("matrix", "--kernel-config", str(TALOS), "--format", "json")
    data = json.loads(r.out)
    assert data["kernels"] == [TALOS.name.removesuffix(".txt")]
    assert [c["verdict"] for c in data["cells"]] == ["slow", "fast", "fast"]


def test_fragment_needs_a_version_to_claim_support(cli_run) -> None:
    args = ("run", "--fw", "far-future", "--kernel-config", str(KATA_SNP), "--format", "json")
    assert json.loads(cli_run(*args).out)["verdict"] == "degraded"
    new = json.loads(cli_run(*args, "--kernel-version", "6.8").out)
    assert new["verdict"] == "fast"
    old = json.loads(cli_run(*args, "--kernel-version", "6.1").out)
    assert old["verdict"] == "degraded"


def test_snp_only_config_crashes_on_tdx(cli_run) -> None:
    r = cli_run("run", "--platform", "tdx", "--fw", "far-future", "--kernel", str(TALOS),
                "--format", "json")  # fmt: skip
    cell = json.loads(r.out)
    assert cell["verdict"] == "crash" and "CONFIG_INTEL_TDX_GUEST" in cell["reason"]


def test_run_needs_exactly_one_kernel(cli_run) -> None:
    r = cli_run("run", "--fw", "deployed")
    assert r.code == 2 and "exactly one of --kernel or --kernel-config" in r.err
    r = cli_run("run", "--fw", "deployed", "--kernel", "enlightened", "--kernel-config", str(TALOS))
    assert r.code == 2


def test_garbage_kernel_config(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "my.config"
    p.write_bytes(b"\x00\xff garbage\n")
    r = cli_run("run", "--fw", "deployed", "--kernel-config", str(p))
    assert r.code == 2 and str(p) in r.err and "CONFIG_" in r.err


def test_inspect_names_the_lost_memory(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "lost.log"
    p.write_text(snp_guest_log(supported=False, meminfo=False))
    r = cli_run("inspect", str(p))
    assert r.code == 1  # lost memory: exit 1, with the remedy
    assert "lost 62 GiB" in r.out
    data = json.loads(cli_run("inspect", str(p), "--format", "json").out)
    assert data["lost_bytes"] == 62 * GiB


def test_inspect_healthy_guest_reports_unaccepted_and_no_loss(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "ok.log"
    p.write_text(snp_guest_log(supported=True))
    data = json.loads(cli_run("inspect", str(p), "--format", "json").out)
    assert data["unaccepted_bytes"] == 62 * GiB and data["lost_bytes"] == 0
    md = cli_run("inspect", str(p), "--format", "markdown").out
    assert "Healthy lazy acceptance" in md


def test_inspect_garbled_input_exit_2(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "junk.bin"
    p.write_bytes(bytes(range(256)) * 4)
    r = cli_run("inspect", str(p))
    assert r.code == 2 and str(p) in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_inspect_warns_on_stderr_and_carries_on(cli_run, tmp_path: Path) -> None:
    p = tmp_path / "trunc.log"
    p.write_text(snp_guest_log(supported=True) + "[    0.000000] efi: mem99: [Conventional|  ")
    r = cli_run("inspect", str(p), "--format", "json")
    assert r.code == 0
    assert "warning" in r.err and f"{p}:" in r.err
    assert json.loads(r.out)["unaccepted_bytes"] == 62 * GiB


def test_grub_legacy_over_a_real_map_crashes(cli_run, tmp_path: Path) -> None:
    log = write_log(tmp_path)
    r = cli_run("run", "--memmap", str(log), "--kernel", "unenlightened", "--loader",
                Loader.GRUB_LEGACY.value, "--format", "json")  # fmt: skip
    assert json.loads(r.out)["verdict"] == "crash"


@pytest.mark.parametrize(("option", "value"), [("--ram", "1T"), ("--pre-accept", "1G")])
def test_memmap_refuses_options_the_map_decides(
    cli_run, tmp_path: Path, option: str, value: str
) -> None:
    log = write_log(tmp_path)
    r = cli_run("matrix", "--memmap", str(log), option, value)
    assert r.code == 2 and f"{option}: not with --memmap" in r.err
