"""A batch of points against batches of one, the sweep's change points,
and `uefi-accept sweep` as users drive it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from uefi_accept.analyses import sweep as sweep_mod
from uefi_accept.analyses.matrix import evaluate
from uefi_accept.analyses.sweep import sweep, sweep_values
from uefi_accept.inputs.profile_files import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile
from uefi_accept.model.boot import FIGURES, simulate
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.profiles import AcceptMemory, FirmwareProfile, KernelProfile
from uefi_accept.model.scenario import Batch, Layout, Loader, Scenario
from uefi_accept.model.verdict import reference_boot_times, verdict_codes
from uefi_accept.units import GiB, KiB, MiB, PiB, TiB


def builtins(platform: str) -> tuple[list[FirmwareProfile], list[KernelProfile]]:
    fws = [resolve_profile(f, "firmware", platform) for f in FIRMWARE_ORDER]
    ks = [resolve_profile(k, "kernel", platform) for k in KERNEL_ORDER]
    return fws, ks  # type: ignore[return-value]


def assert_batch_is_points(
    base: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    ram: list[int],
    pre_accept: list[int],
    vcpus: list[int],
) -> None:
    """A batch of N points equals N batches of one: every figure, the whole
    timeline with its sentences, the crash, the verdict."""
    batch = Batch.over(base, ram=ram, pre_accept=pre_accept, vcpus=vcpus)
    boots = simulate(batch, fw, kernel)
    ref = reference_boot_times(batch)
    codes = verdict_codes(boots, ref)
    for i in range(batch.n):
        point = batch.scenario(i)
        one = simulate(point, fw, kernel)
        one_ref = reference_boot_times(Batch.of(point))
        where = f"{fw.name} x {kernel.name} at {point}"
        assert boots.outcome(i) == one.outcome(0), where
        for name in FIGURES:
            assert boots.figures[name][i] == one.figures[name][0], f"{name}: {where}"
        assert ref[i] == one_ref[0], where
        assert codes[i] == verdict_codes(one, one_ref)[0], where


# RAM sizes around every edge of the layout and the bitmap: the q35 split,
# 4 GiB, unit- and MAX_ORDER-unaligned sizes, and large guests.
AWKWARD_RAM = [
    128 * MiB,
    1 * GiB,
    2815 * MiB,
    2816 * MiB,
    2816 * MiB - 4 * KiB,
    3000 * MiB + 1 * KiB,
    3 * GiB,
    3 * GiB + 4097,
    4 * GiB + 4 * KiB,
    4 * GiB + 2 * MiB,
    4 * GiB + 1 * MiB + 12 * KiB,
    5 * GiB + 3 * MiB,
    64 * GiB,
    1 * TiB,
    4 * PiB - 2 * GiB,
]
AWKWARD_PRE = [0, 64 * MiB, 64 * MiB + 4 * KiB, 600 * MiB, 2 * GiB - 3 * MiB, 2 * GiB, 5 * GiB]


@pytest.mark.parametrize("platform", ["snp", "tdx"])
@pytest.mark.parametrize("fw_name", FIRMWARE_ORDER)
@pytest.mark.parametrize("kernel_name", KERNEL_ORDER)
def test_builtin_cells_batched_on_awkward_points(
    platform: str, fw_name: str, kernel_name: str
) -> None:
    fw = resolve_profile(fw_name, "firmware", platform)
    k = resolve_profile(kernel_name, "kernel", platform)
    ram = [r for r in AWKWARD_RAM for _ in AWKWARD_PRE]
    pre = [p for _ in AWKWARD_RAM for p in AWKWARD_PRE]
    pre = [p if p <= r else 0 for p, r in zip(pre, ram, strict=True)]
    assert_batch_is_points(
        Scenario(platform=platform),
        fw,
        k,
        ram,
        pre,
        [1 + i % 7 for i in range(len(ram))],  # type: ignore[arg-type]
    )


KERNEL_VARIANTS = {
    "eager": {"accept_memory": AcceptMemory.EAGER},
    "no-stub": {"efi_stub": False},
    "no-platform": {"platforms": []},
    "huge-image": {"image_size": "900M", "min_memory": "3G"},
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    platform=st.sampled_from(["snp", "tdx"]),
    layout=st.sampled_from(list(Layout)),
    loader=st.sampled_from(list(Loader)),
    host4k=st.booleans(),
    fw_name=st.sampled_from(FIRMWARE_ORDER),
    kernel_name=st.sampled_from(KERNEL_ORDER),
    variant=st.sampled_from([None, *KERNEL_VARIANTS]),
    points=st.lists(
        st.tuples(
            st.integers(128, 1 << 22).map(lambda m: m * MiB),
            st.one_of(st.just(0), st.integers(64, 8192).map(lambda m: m * MiB + 4096 * (m % 3))),
            st.integers(1, 300),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_any_batch_equals_its_points(
    platform: str,
    layout: Layout,
    loader: Loader,
    host4k: bool,
    fw_name: str,
    kernel_name: str,
    variant: str | None,
    points: list[tuple[int, int, int]],
) -> None:
    fw = resolve_profile(fw_name, "firmware", platform)
    k = resolve_profile(kernel_name, "kernel", platform)
    if variant:
        k = msgspec.structs.replace(k, **KERNEL_VARIANTS[variant])  # type: ignore[type-var]
    base = Scenario(
        platform=platform,  # type: ignore[arg-type]
        layout=layout,
        loader=loader,
        host_page_size=4096 if host4k else 2 * MiB,
    )
    ram = [r for r, _, _ in points]
    pre = [min(p, r) if p >= 64 * MiB else 0 for r, p, _ in points]
    assert_batch_is_points(base, fw, k, ram, pre, [v for _, _, v in points])  # type: ignore[arg-type]


def engine_verdict(s: Scenario, fw: FirmwareProfile, k: KernelProfile) -> Verdict:
    return evaluate(s, fw, k).verdict


def change_of(result: sweep_mod.SweepResult, fw: str, kernel: str) -> list[sweep_mod.Change]:
    return list(
        next(c for c in result.curves if c.firmware.name == fw and c.kernel.name == kernel).changes
    )


def test_snp_far_future_unenlightened_stops_being_fast_at_the_q35_split() -> None:
    fws, ks = builtins("snp")
    result = sweep(Scenario(), "ram", sweep_values("ram", GiB, 16 * TiB), fws, ks)
    (ch,) = change_of(result, "far-future", "unenlightened")
    assert (ch.before, ch.after) == (Verdict.FAST, Verdict.DEGRADED)
    # Below 2816 MiB q35 puts all RAM below 4 GiB, which this firmware accepts.
    assert (ch.last_before, ch.first_after) == (2815 * MiB, 2816 * MiB)
    assert "does not support unaccepted memory" in ch.reason
    assert change_of(result, "far-future", "enlightened") == []
    assert change_of(result, "near-future", "enlightened") == []


def test_low_3g_layout_moves_the_change_to_where_3_gib_is_under_90_percent() -> None:
    fw = resolve_profile("far-future", "firmware", "snp")
    k = resolve_profile("unenlightened", "kernel", "snp")
    s = Scenario(layout=Layout.LOW_3G)
    result = sweep(s, "ram", sweep_values("ram", GiB, TiB), [fw], [k])  # type: ignore[list-item]
    (ch,) = result.curves[0].changes
    # 3 GiB - 4 MiB usable is under 90% from (3072 - 4) / 0.9 = 3408.9 MiB.
    assert (ch.last_before, ch.first_after) == (3408 * MiB, 3409 * MiB)
    assert engine_verdict(replace(s, ram_bytes=3408 * MiB), fw, k) is Verdict.FAST  # type: ignore[arg-type]
    assert engine_verdict(replace(s, ram_bytes=3409 * MiB), fw, k) is Verdict.DEGRADED  # type: ignore[arg-type]


def test_small_pre_accepted_size_runs_out_of_memory() -> None:
    fw = resolve_profile("far-future", "firmware", "snp")
    k = resolve_profile("unenlightened", "kernel", "snp")
    s = Scenario(ram_bytes=64 * GiB)
    values = sweep_values("pre_accept", 64 * MiB, 4 * GiB)
    result = sweep(s, "pre_accept", values, [fw], [k])  # type: ignore[list-item]
    (ch,) = result.curves[0].changes
    assert (ch.before, ch.after) == (Verdict.OOM, Verdict.DEGRADED)
    assert ch.first_after - ch.last_before == MiB
    for value, verdict in ((ch.last_before, Verdict.OOM), (ch.first_after, Verdict.DEGRADED)):
        assert engine_verdict(replace(s, pre_accept=value), fw, k) is verdict  # type: ignore[arg-type]
    # And across RAM with that small pre-acceptance: oom (tiny VM), fast while
    # everything fits in what was pre-accepted, degraded beyond.
    s = Scenario(pre_accept=600 * MiB)
    result = sweep(s, "ram", sweep_values("ram", 128 * MiB, 16 * TiB), [fw], [k])  # type: ignore[list-item]
    changes = result.curves[0].changes
    assert [(c.before, c.after) for c in changes] == [
        (Verdict.OOM, Verdict.FAST),
        (Verdict.FAST, Verdict.DEGRADED),
    ]
    for c in changes:
        assert engine_verdict(replace(s, ram_bytes=c.last_before), fw, k) is c.before  # type: ignore[arg-type]
        assert engine_verdict(replace(s, ram_bytes=c.first_after), fw, k) is c.after  # type: ignore[arg-type]


def test_every_change_found_inside_one_interval() -> None:
    # Two grid points only: oom at 128 MiB, degraded at 16 TiB, with fast between.
    fw = resolve_profile("far-future", "firmware", "snp")
    k = resolve_profile("unenlightened", "kernel", "snp")
    s = Scenario(pre_accept=600 * MiB)
    result = sweep(s, "ram", np.array([128 * MiB, 16 * TiB]), [fw], [k])  # type: ignore[list-item]
    assert [(c.before, c.after) for c in result.curves[0].changes] == [
        (Verdict.OOM, Verdict.FAST),
        (Verdict.FAST, Verdict.DEGRADED),
    ]


def test_vcpu_sweep_firmware_acceptance_scales_to_8_vcpus_then_costs_grow() -> None:
    import msgspec

    # Accept-all TDX firmware after edk2 451521c, which spreads over all vCPUs:
    # its acceptance scales up to 8 vCPUs (Asterinas PR 3640's measurements);
    # past that, each vCPU only adds bring-up and SWIOTLB-conversion kicks.
    deployed = resolve_profile("deployed", "firmware", "tdx")
    fw = msgspec.structs.replace(deployed, accept_vcpus="all")  # type: ignore[type-var]
    k = resolve_profile("enlightened", "kernel", "tdx")
    s = Scenario(platform="tdx", host_page_size=4096)
    result = sweep(s, "vcpus", sweep_values("vcpus", 1, 64), [fw], [k])  # type: ignore[list-item]
    t = dict(zip(result.values.tolist(), result.curves[0].boots.boot_time_s, strict=True))
    assert t[1] > t[2] > t[4] > t[8]
    assert t[8] < t[9] < t[16] < t[64]
    assert all(v is Verdict.SLOW for v in result.curves[0].verdict_list)


def test_sweep_values() -> None:
    v = sweep_values("ram", GiB, 16 * TiB)
    assert v[0] == GiB and v[-1] == 16 * TiB and v.size == 29
    assert np.all(np.diff(v) > 0) and np.all(v % MiB == 0)
    odd = sweep_values("ram", 3000 * MiB + KiB, 5 * GiB + 1, 50)
    assert odd[0] == 3000 * MiB + KiB and odd[-1] == 5 * GiB + 1
    assert np.all(odd[1:-1] % MiB == 0) and np.all(np.diff(odd) > 0)
    assert sweep_values("vcpus", 1, 64).tolist() == list(range(1, 65))
    many = sweep_values("vcpus", 1, 4096, 20)
    assert many[0] == 1 and many[-1] == 4096 and np.all(np.diff(many) > 0)
    assert sweep_values("ram", GiB, 2 * GiB, 10_000).size == 1025  # merged at 1 MiB
    with pytest.raises(ValueError):
        sweep_values("ram", 2 * GiB, GiB)


# -- the command -----------------------------------------------------------------


def test_sweep_text_shows_the_change(cli_run) -> None:
    r = cli_run(
        "sweep", "--ram", "1G..16T", "--fw", "far-future", "--kernel", "unenlightened",
        "--format", "text",
    )  # fmt: skip
    assert r.code == 0, r.err
    flat = " ".join(r.out.split())  # text output wraps under 80 columns
    assert "far-future / unenlightened: fast 1 GiB .. 2815 MiB; degraded 2816 MiB .. 16 TiB" in (
        flat
    )
    assert "29 points" in r.out and r.out.count("degraded") >= 20


def test_sweep_table_default_covers_the_3x3(cli_run) -> None:
    r = cli_run("sweep", "--ram", "1G..1T", "--points", "5")
    assert r.code == 0, r.err
    for name in (*FIRMWARE_ORDER, *KERNEL_ORDER):
        assert name in r.out
    assert "near-future / enlightened: fast throughout" in r.out


def test_sweep_json_is_complete_and_stable(cli_run) -> None:
    args = ("sweep", "--vcpus", "1..8", "--platform", "tdx", "--format", "json")
    a, b = cli_run(*args), cli_run(*args)
    assert a.code == 0 and a.out == b.out
    data = json.loads(a.out)
    assert data["schema_version"] == 2 and data["kind"] == "sweep"
    assert data["parameter"] == "vcpus" and data["values"] == list(range(1, 9))
    assert data["scenario"]["vcpus"] is None and data["scenario"]["platform"] == "tdx"
    assert len(data["combinations"]) == 9 and len(data["reference_boot_time_s"]) == 8
    for c in data["combinations"]:
        for key in ("verdict", "boot_time_s", "usable_bytes", "lost_bytes", "unaccepted_bytes"):
            assert len(c[key]) == 8
    assert {p["name"] for p in data["profiles"]["firmware"]} == set(FIRMWARE_ORDER)


def test_sweep_csv_has_one_row_per_point_and_cell(cli_run) -> None:
    r = cli_run("sweep", "--pre-accept", "64M..4G", "--points", "7", "--format", "csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 9 * 7
    assert rows[0]["pre_accept_bytes"] == str(64 * MiB)
    ff = [x for x in rows if (x["firmware"], x["kernel"]) == ("far-future", "unenlightened")]
    assert [x["verdict"] for x in ff][:2] == ["oom", "oom"] and ff[-1]["verdict"] == "degraded"


def test_sweep_markdown_and_output_file(cli_run, tmp_path) -> None:
    out = tmp_path / "sweep.md"
    r = cli_run("sweep", "--ram", "2G..8G", "--points", "3", "--format", "markdown", "-o", str(out))
    assert r.code == 0 and r.out == ""
    text = out.read_text()
    assert text.startswith("## RAM sweep") and "| RAM |" in text
    assert "- **far-future / unenlightened**: fast 2 GiB .. 2815 MiB" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ram", "1G..16T", "--vcpus", "1..4", "--pre-accept", "64M..1G"), "or two parameters"),
        ((), "nothing to sweep"),
        (("--ram", "16T..1G"), "from low to high"),
        (("--ram", "1G..5P"), "52-bit physical address limit"),
        (("--ram", "64M..1G"), "at least 128M"),
        (("--pre-accept", "1M..1G"), "64M"),
        (("--vcpus", "0..4"), "vCPU count"),
        (("--vcpus", "1..x"), "vCPU count"),
        (("--ram", "1G..lots"), "not a size"),
        (("--ram", "1G..2G", "--fw", "nope"), "unknown firmware profile"),
        (("--ram", "1G..2G", "--fw", "deployed", "--fw", "deployed"), "named twice"),
        (("--ram", "1G..2G", "--plot", "x.gif"), ".svg"),
    ],
)
def test_sweep_input_errors_exit_2(cli_run, args: tuple[str, ...], message: str) -> None:
    r = cli_run("sweep", *args)
    assert r.code == 2 and message in r.err and "Traceback" not in r.err
    assert r.err.startswith("uefi-accept: error:")


def test_plot_without_matplotlib_says_how_to_install(cli_run, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    out = tmp_path / "sweep.svg"
    r = cli_run("sweep", "--ram", "1G..2G", "--plot", str(out))
    assert r.code == 2
    assert "pip install 'uefi-accept[plot]'" in r.err
    assert not out.exists() and r.out == ""  # checked before any work


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_plot_writes_the_figure(cli_run, tmp_path, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / f"sweep{suffix}"
    r = cli_run("sweep", "--ram", "1G..1T", "--points", "12", "--plot", str(out), "-o", "/dev/null")
    assert r.code == 0, r.err
    data = out.read_bytes()
    if suffix == ".svg":
        text = data.decode()
        assert "<svg" in text and "far-future / unenlightened" in text and "degraded" in text
        again = tmp_path / "again.svg"
        cli_run("sweep", "--ram", "1G..1T", "--points", "12", "--plot", str(again))
        assert again.read_bytes() == data  # no dates, fixed ids
    else:
        assert data.startswith(b"\x89PNG")
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_help_imports_no_numpy() -> None:
    code = (
        "import sys\n"
        "from uefi_accept.cli import main\n"
        "for args in (['--help'], ['sweep', '--help'], ['validate', '--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('numpy', 'rich', 'matplotlib') if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_sweep_options_follow_the_shared_scenario_options(cli_run) -> None:
    r = cli_run("sweep", "--help")
    for opt in ("--layout", "--loader", "--host-page-size", "--slow-ratio", "--degraded-fraction"):
        assert opt in r.out
    assert "LOW..HIGH" in r.out


def test_cell_variant_options_reach_the_sweep(cli_run) -> None:
    r = cli_run(
        "sweep", "--ram", "4G..64G", "--points", "3", "--fw", "far-future",
        "--kernel", "enlightened", "--loader", "grub-legacy", "--format", "json",
    )  # fmt: skip
    assert r.code == 0, r.err
    (c,) = json.loads(r.out)["combinations"]
    assert set(c["verdict"]) == {"crash"}  # old GRUB passes type 15 on as RAM
