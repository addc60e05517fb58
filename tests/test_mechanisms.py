"""The 2026 mechanisms (issue 9), each against its source's behaviour: the
accept storm and the 6.14 hotplug deadlock, the SWIOTLB conversion, the
unaccepted table's unmapped tail, GRUB's early e820, the deadline, kernels by
version, firmware by edk2 tag, and cost-model files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from uefi_accept.analyses.matrix import CellResult, evaluate
from uefi_accept.inputs.profile_files import resolve_profile
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.scenario import Scenario
from uefi_accept.model.versions import kernel_for_version, parse_kernel_ref
from uefi_accept.units import GiB, MiB


def cell(fw: str, kernel: str, **kw: Any) -> CellResult:
    s = Scenario(**kw)
    return evaluate(
        s,
        resolve_profile(fw, "firmware", s.platform),  # type: ignore[arg-type]
        resolve_profile(kernel, "kernel", s.platform),  # type: ignore[arg-type]
    )


# -- the accept storm (800f1059c99e, 6.14) and the hotplug deadlock (fixed 4067196a5227)


def hang_threshold(kernel: str, ram: int) -> int | None:
    """The fewest vCPUs at which the guest crashes (binary search over 1..512)."""
    lo, hi = 1, 512
    if cell("edk2-stable202302", kernel, ram_bytes=ram, vcpus=hi).verdict != Verdict.CRASH:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        crashed = cell("edk2-stable202302", kernel, ram_bytes=ram, vcpus=mid).verdict
        lo, hi = (lo, mid) if crashed == Verdict.CRASH else (mid + 1, hi)
    return lo


def test_only_614_deadlocks_and_bigger_guests_need_more_vcpus_to_hang() -> None:
    thresholds = [hang_threshold("linux-6.14", r * MiB) for r in (6144, 8192, 19456)]
    assert all(t is not None for t in thresholds)
    assert thresholds == sorted(thresholds) and len(set(thresholds)) == 3
    for fixed in ("linux-6.13", "linux-6.15", "linux-7.0"):  # before the storm; after the fix
        assert hang_threshold(fixed, 6144 * MiB) is None
    crash = cell("edk2-stable202302", "linux-6.14", ram_bytes=6144 * MiB, vcpus=thresholds[0])
    assert "cpu_hotplug_lock" in (crash.outcome.crash or "")


def test_the_storm_accepts_during_smp_bring_up_and_the_fix_does_not_stop_it() -> None:
    """6.15 fixed the deadlock, not the storm: the memory is still accepted
    eagerly while the APs come up."""
    lazy = cell("edk2-stable202302", "linux-6.13", ram_bytes=19456 * MiB, vcpus=240)
    storm = cell("edk2-stable202302", "linux-6.15", ram_bytes=19456 * MiB, vcpus=240)
    assert lazy.verdict == Verdict.FAST and storm.verdict == Verdict.SLOW
    assert storm.outcome.kernel_accepted_bytes > lazy.outcome.kernel_accepted_bytes
    assert any(e.step == "smp-init" and e.bytes > 0 for e in storm.outcome.events)


# -- SWIOTLB: converting the bounce buffer to shared kicks every vCPU -------------------


def test_swiotlb_conversion_grows_with_vcpus_on_tdx_not_snp() -> None:
    def convert_s(platform: str, vcpus: int) -> float:
        c = cell("edk2-stable202302", "linux-6.13", platform=platform, vcpus=vcpus)
        return sum(e.duration_s for e in c.outcome.events if e.step == "mem-encrypt-init")

    tdx = [convert_s("tdx", n) for n in (4, 64, 248)]
    assert tdx[0] < tdx[1] < tdx[2]
    # Linear in vCPUs: equal steps per added vCPU.
    assert (tdx[2] - tdx[1]) / 184 == pytest.approx((tdx[1] - tdx[0]) / 60, rel=1e-6)
    assert convert_s("snp", 248) == convert_s("snp", 4)


# -- the unaccepted table's unmapped tail (8dbe33956d96, fixed by 0862438c9048) ---------


@pytest.mark.parametrize(
    ("kernel", "crashes"),
    [
        ("linux-6.5", False),  # reserved byte for byte
        ("linux-6.6", True),
        ("linux-6.12.74", True),
        ("linux-6.12.75", False),  # the stable backport
        ("linux-6.18.13", True),
        ("linux-6.18.14", False),
        ("linux-6.19", True),
        ("linux-7.0", False),
    ],
)
def test_a_table_that_crosses_a_page_faults_on_the_affected_kernels(
    kernel: str, crashes: bool
) -> None:
    odd = cell("edk2-stable202302", kernel, ram_bytes=67000 * MiB)  # the report's -m 67000M
    even = cell("edk2-stable202302", kernel, ram_bytes=67 * GiB)
    assert (odd.verdict == Verdict.CRASH) is crashes
    assert even.verdict != Verdict.CRASH


# -- GRUB builds e820 from the map before ExitBootServices ------------------------------


def test_grub_hands_the_kernel_an_e820_without_the_unaccepted_memory() -> None:
    c = cell("near-future", "enlightened", ram_bytes=16 * GiB, loader="grub")
    assert c.verdict == Verdict.DEGRADED
    assert c.outcome.usable_bytes < 2 * GiB + 1 and c.outcome.lost_bytes > 13 * GiB


# -- the deadline -----------------------------------------------------------------------


def test_a_deadline_turns_a_late_boot_into_a_timeout_and_nothing_else() -> None:
    late = cell("deployed", "enlightened", platform="tdx", deadline_s=60)
    assert late.verdict == Verdict.TIMEOUT and "60 s deadline" in late.reason
    assert cell("deployed", "enlightened", platform="tdx", deadline_s=600).verdict == Verdict.SLOW
    fast = cell("far-future", "enlightened", platform="tdx", deadline_s=60)
    assert fast.verdict == Verdict.FAST
    # Ranked between losing memory and not booting at all.
    assert Verdict.DEGRADED.rank < Verdict.TIMEOUT.rank < Verdict.OOM.rank


def test_kata_create_container_timeout_against_an_accept_all_firmware(cli_run: Any) -> None:
    r = cli_run("run", "--platform", "tdx", "--fw", "kata-ovmf-accept-all", "--kernel",
                "linux-6.8", "--deadline", "60", "--format", "json")  # fmt: skip
    data = json.loads(r.out)
    assert data["verdict"] == "timeout" and data["boot_time_s"] > 60


# -- kernels by version, firmware by edk2 tag -------------------------------------------


def test_unaccepted_memory_arrives_in_65() -> None:
    assert cell("far-future", "linux-6.4").verdict == Verdict.DEGRADED
    assert cell("far-future", "linux-6.5").verdict == Verdict.FAST
    assert parse_kernel_ref("linux-6.12.75") == (6, 12, 75)
    assert parse_kernel_ref("linux-6") is None and parse_kernel_ref("6.8") is None
    k = kernel_for_version((6, 14, 0))
    assert k.accept_storm and k.hotplug_accept_deadlock and k.unaccepted_memory


def test_tdx_firmware_builds_from_accept_all_to_lazy() -> None:
    accept_all = cell("kata-ovmf-accept-all", "linux-6.8", platform="tdx")
    lazy = cell("td-shim-lazy", "linux-6.8", platform="tdx")
    assert accept_all.verdict == Verdict.SLOW and lazy.verdict == Verdict.FAST
    assert accept_all.outcome.firmware_accepted_bytes > 60 * GiB
    assert lazy.outcome.firmware_accepted_bytes < 4 * GiB


def test_unknown_versions_are_one_line_errors(cli_run: Any) -> None:
    for ref in ("linux-5.18", "linux-6.x"):
        r = cli_run("run", "--fw", "deployed", "--kernel", ref)
        assert r.code == 2 and r.err.count("\n") == 1


# -- --accept-memory and --cost-model FILE ---------------------------------------------


def test_accept_memory_eager_accepts_everything_at_boot(cli_run: Any) -> None:
    args = ("run", "--platform", "tdx", "--fw", "far-future", "--kernel", "linux-6.8")
    lazy = json.loads(cli_run(*args, "--format", "json").out)
    eager = json.loads(cli_run(*args, "--accept-memory", "eager", "--format", "json").out)
    assert lazy["verdict"] == "fast" and eager["verdict"] == "slow"
    assert eager["unaccepted_bytes"] == 0 < lazy["unaccepted_bytes"]


def test_a_cost_model_file_replaces_the_constants_it_names(cli_run: Any, tmp_path: Path) -> None:
    args = ("run", "--platform", "tdx", "--fw", "deployed", "--kernel", "enlightened")
    base = json.loads(cli_run(*args, "--format", "json").out)
    fast_host = tmp_path / "host.toml"
    fast_host.write_text("host_4k_splits_accepts = false\n")
    faster = json.loads(cli_run(*args, "--cost-model", str(fast_host), "--format", "json").out)
    assert faster["boot_time_s"] < base["boot_time_s"] / 5
    bad = tmp_path / "bad.toml"
    bad.write_text("accept_s_per_gib_4k = -1\n")
    r = cli_run(*args, "--cost-model", str(bad))
    assert r.code == 2 and "accept_s_per_gib_4k" in r.err and r.err.count("\n") == 1


def test_a_cost_model_for_the_other_platform_only_is_refused(cli_run: Any, tmp_path: Path) -> None:
    f = tmp_path / "tdx-host.toml"
    f.write_text("[tdx]\nhost_4k_splits_accepts = false\n")
    r = cli_run("matrix", "--cost-model", str(f))
    assert r.code == 2 and "only has [tdx]" in r.err and r.err.count("\n") == 1
    assert cli_run("matrix", "--platform", "tdx", "--cost-model", str(f)).code == 0


def test_the_accept_memory_override_shows_in_the_kernel_name(cli_run: Any, tmp_path: Path) -> None:
    golden = tmp_path / "eager.json"
    r = cli_run("matrix", "--accept-memory", "eager", "-o", str(golden))
    assert r.code == 0
    doc = json.loads(golden.read_text())
    assert doc["kernels"] == ["unenlightened", "enlightened+eager", "dropped-protocol+eager"]
    assert cli_run("check", str(golden)).code == 0  # recomputed from the recorded profiles
    lazy = json.loads(cli_run("matrix", "--accept-memory", "lazy", "--format", "json").out)
    assert lazy["kernels"] == ["unenlightened", "enlightened", "dropped-protocol"]  # no change
