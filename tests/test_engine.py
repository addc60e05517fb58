"""The engine against the seed's matrix and DOMAIN.md's rules."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uefi_accept.analyses.matrix import evaluate, evaluate_matrix
from uefi_accept.inputs.profile_files import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile
from uefi_accept.model.boot import simulate
from uefi_accept.model.memmap import EfiMemoryType
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.scenario import Layout, Loader, Scenario
from uefi_accept.model.stub import UNIT
from uefi_accept.units import GiB, MiB, PiB, TiB


def matrix(platform: str = "snp", **kw: object) -> dict[tuple[str, str], Verdict]:
    s = Scenario(platform=platform, **kw)  # type: ignore[arg-type]
    m = evaluate_matrix(
        s,
        [resolve_profile(f, "firmware", platform) for f in FIRMWARE_ORDER],  # type: ignore[misc]
        [resolve_profile(k, "kernel", platform) for k in KERNEL_ORDER],  # type: ignore[misc]
    )
    return {(c.firmware, c.kernel): c.verdict for c in m.cells}


def rows(v: dict[tuple[str, str], Verdict]) -> list[list[str]]:
    return [[str(v[(f, k)]) for k in KERNEL_ORDER] for f in FIRMWARE_ORDER]


def test_snp_64g_matches_the_seed_with_kirills_correction() -> None:
    assert rows(matrix("snp")) == [
        ["slow", "slow", "slow"],
        ["slow", "fast", "slow"],
        ["degraded", "fast", "fast"],
    ]


def test_tdx_64g_has_no_opt_in_so_near_future_behaves_like_far_future() -> None:
    assert rows(matrix("tdx")) == [
        ["slow", "slow", "slow"],
        ["degraded", "fast", "fast"],
        ["degraded", "fast", "fast"],
    ]


def test_2g_vm_fits_below_4g_and_is_fast_everywhere_on_snp() -> None:
    assert set(matrix("snp", ram_bytes=2 * GiB).values()) == {Verdict.FAST}


def test_2g_tdx_vm_is_slow_only_where_the_firmware_accepts_on_the_bsp() -> None:
    # All 2 GiB lie below 4 GiB, so every firmware accepts the same memory; the
    # deployed TDVF (edk2-stable202205..202208) does it on the BSP alone, at
    # 4 KiB per accept on an upstream host, the others on every vCPU.
    v = matrix("tdx", ram_bytes=2 * GiB)
    assert {v[("deployed", k)] for k in KERNEL_ORDER} == {Verdict.SLOW}
    assert {v[(f, k)] for f in ("near-future", "far-future") for k in KERNEL_ORDER} == {
        Verdict.FAST
    }


def cell(fw: str, kernel: str, platform: str = "snp", **kw: object):  # type: ignore[no-untyped-def]
    s = Scenario(platform=platform, **kw)  # type: ignore[arg-type]
    return evaluate(
        s,
        resolve_profile(fw, "firmware", platform),  # type: ignore[arg-type]
        resolve_profile(kernel, "kernel", platform),  # type: ignore[arg-type]
    )


def test_far_future_unenlightened_is_oom_with_256m_pre_accepted() -> None:
    c = cell("far-future", "unenlightened", pre_accept=256 * MiB)
    assert c.verdict == Verdict.OOM
    assert c.outcome.usable_bytes < 512 * MiB
    assert "Out of memory" in c.reason


def test_grub_legacy_on_far_future_with_unenlightened_kernel_crashes() -> None:
    c = cell("far-future", "unenlightened", loader=Loader.GRUB_LEGACY)
    assert c.verdict == Verdict.CRASH
    assert "never accepted" in c.reason


def test_modern_grub_marks_type_15_reserved_so_even_enlightened_kernels_lose_it() -> None:
    c = cell("far-future", "enlightened", loader=Loader.GRUB)
    assert c.verdict == Verdict.DEGRADED
    assert c.outcome.lost_bytes == 62 * GiB
    assert "GRUB" in c.reason


def test_grub_on_near_future_is_slow_and_loses_the_memory_it_waited_for() -> None:
    # GRUB builds its e820 before ExitBootServices and keeps it through the
    # retry: the firmware accepts all 62 GiB (slow), and the kernel still sees
    # them as reserved (AMDESE/AMDSEV issues 200, 273: about 2 GiB of 16).
    c = cell("near-future", "enlightened", loader=Loader.GRUB, ram_bytes=16 * GiB)
    assert c.verdict == Verdict.DEGRADED
    assert c.outcome.ebs_accepted_bytes == 14 * GiB
    assert c.outcome.usable_bytes == 2 * GiB - 4 * MiB
    assert c.outcome.boot_time_s > 2 * c.reference_boot_time_s
    steps = [e.step for e in c.outcome.events]
    assert "exit-boot-services" in steps


def test_old_grub_on_near_future_passes_accepted_memory_as_available() -> None:
    # GRUB before 2.02 calls type 15 available; the firmware then accepts it
    # all at ExitBootServices, so the kernel's use of it is safe, and slow.
    c = cell("near-future", "unenlightened", loader=Loader.GRUB_LEGACY)
    assert c.verdict == Verdict.SLOW and c.outcome.usable_bytes == 64 * GiB - 4 * MiB


def test_kernel_without_platform_support_crashes() -> None:
    snp_only = msgspec.structs.replace(
        resolve_profile("enlightened", "kernel", "tdx"),  # type: ignore[arg-type]
        platforms=["snp"],
    )
    s = Scenario(platform="tdx")
    c = evaluate(s, resolve_profile("far-future", "firmware", "tdx"), snp_only)  # type: ignore[arg-type]
    assert c.verdict == Verdict.CRASH
    assert "CONFIG_INTEL_TDX_GUEST" in c.reason


def test_eager_acceptance_is_slow_and_leaves_nothing_unaccepted() -> None:
    eager = msgspec.structs.replace(
        resolve_profile("enlightened", "kernel", "snp"),  # type: ignore[arg-type]
        accept_memory="eager",
    )
    s = Scenario()
    c = evaluate(s, resolve_profile("far-future", "firmware", "snp"), eager)  # type: ignore[arg-type]
    assert c.verdict == Verdict.SLOW
    assert c.outcome.unaccepted_bytes == 0
    assert c.outcome.eager_accepted_bytes > 60 * GiB


def test_host_4k_backing_makes_tdx_acceptance_slower_not_snp() -> None:
    # TDX: a 2 MiB accept on 4 KiB backing becomes 512 TD exits. SNP keeps
    # one page-state change per 2 MiB; no published figure separates them.
    def t(platform: str, host: int) -> float:
        c = cell("deployed", "enlightened", platform=platform, host_page_size=host)
        return c.outcome.boot_time_s

    assert t("tdx", 4096) > 5 * t("tdx", 2 * MiB)
    assert t("snp", 4096) == t("snp", 2 * MiB)


def test_lazy_boot_still_grows_with_ram() -> None:
    # struct pages are 1/64 of RAM and memblock accepts them: lazy is not free.
    t = [
        cell("far-future", "enlightened", ram_bytes=r).outcome.boot_time_s
        for r in (64 * GiB, 1 * TiB, 16 * TiB)
    ]
    assert t[0] < t[1] < t[2]


def test_near_future_protocol_call_keeps_type_15_and_accepts_lazily() -> None:
    c = cell("near-future", "enlightened")
    o = c.outcome
    assert o.ebs_accepted_bytes == 0
    assert any(d.type == EfiMemoryType.UNACCEPTED for d in o.handover_map)
    # Struct pages (1/64 of RAM) and userspace's needs were accepted; most is not.
    assert 60 * GiB < o.unaccepted_bytes < 62 * GiB
    what = " ".join(e.what for e in o.events)
    assert "AllowUnacceptedMemory()" in what


def test_unaligned_pre_accept_leaves_head_for_the_stub_to_accept() -> None:
    # Pre-accepting 257 MiB leaves a 1 MiB head before the first 2 MiB unit;
    # process_unaccepted_memory() accepts it at once instead of recording it.
    c = cell("far-future", "enlightened", pre_accept=257 * MiB)
    e820 = next(e for e in c.outcome.events if e.step == "setup-e820")
    assert e820.bytes == 1 * MiB


def test_half_accepted_max_order_block_is_deferred_not_accepted() -> None:
    # Pre-accepting 257 MiB leaves [256, 258) MiB accepted and [258, 260) MiB
    # unaccepted: one free, aligned 4 MiB block holding unaccepted memory, which
    # __free_pages_core defers to the unaccepted list like a whole one.
    def freed(pre: int) -> int:
        o = cell("far-future", "enlightened", pre_accept=pre).outcome
        return next(e.bytes for e in o.events if e.step == "memblock-free-all")

    assert freed(257 * MiB) == freed(256 * MiB)


def test_low_3g_layout_pre_accepts_more_below_4g() -> None:
    q35 = cell("far-future", "unenlightened").outcome.usable_bytes
    low3 = cell("far-future", "unenlightened", layout=Layout.LOW_3G).outcome.usable_bytes
    assert low3 - q35 == 1 * GiB


def test_timeline_is_ordered_and_adds_up_to_boot_time() -> None:
    o = cell("near-future", "dropped-protocol").outcome
    t = 0.0
    for e in o.events:
        assert e.t_s == pytest.approx(t)
        t += e.duration_s
    assert o.boot_time_s == pytest.approx(t)


sizes = st.one_of(
    st.integers(min_value=128, max_value=64 * 1024 * 1024).map(lambda m: m * MiB),
    st.sampled_from([2816 * MiB - 4096, 2816 * MiB, 3 * GiB + 12345, 64 * TiB, 4 * PiB - 2 * GiB]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    platform=st.sampled_from(["snp", "tdx"]),
    ram=sizes,
    vcpus=st.integers(1, 256),
    layout=st.sampled_from(list(Layout)),
    loader=st.sampled_from(list(Loader)),
    fw=st.sampled_from(FIRMWARE_ORDER),
    kernel=st.sampled_from(KERNEL_ORDER),
    pre=st.one_of(st.none(), st.integers(64, 8192).map(lambda m: m * MiB + 4096 * (m % 3))),
    host4k=st.booleans(),
)
def test_memory_is_conserved(
    platform: str,
    ram: int,
    vcpus: int,
    layout: Layout,
    loader: Loader,
    fw: str,
    kernel: str,
    pre: int | None,
    host4k: bool,
) -> None:
    s = Scenario(
        platform=platform,
        ram_bytes=ram,
        vcpus=vcpus,
        layout=layout,
        loader=loader,
        pre_accept=pre,
        host_page_size=4096 if host4k else 2 * MiB,
    )
    o = simulate(
        s,
        resolve_profile(fw, "firmware", platform),  # type: ignore[arg-type]
        resolve_profile(kernel, "kernel", platform),  # type: ignore[arg-type]
    ).outcome(0)
    assert o.ram_bytes == ram
    total = o.accepted_bytes + o.unaccepted_bytes + o.lost_bytes + o.firmware_reserved_bytes
    assert total == ram
    assert min(o.accepted_bytes, o.unaccepted_bytes, o.lost_bytes) >= 0
    assert o.usable_bytes + o.lost_bytes + o.firmware_reserved_bytes == ram
    assert sum(d.size for d in o.handover_map) == ram
    assert o.boot_time_s > 0


@pytest.mark.parametrize("ram", [64 * TiB, 4 * PiB - 2 * GiB])
def test_huge_vms_boot_like_small_ones(ram: int) -> None:
    # Up to the 52-bit physical address limit: memory is ranges, not bits.
    o = cell("far-future", "enlightened", ram_bytes=ram).outcome
    assert o.unaccepted_bytes % UNIT == 0
    assert o.accepted_bytes + o.unaccepted_bytes + o.firmware_reserved_bytes == ram
    assert max(d.end for d in o.handover_map) == 4 * GiB + ram - 2 * GiB <= 1 << 52
