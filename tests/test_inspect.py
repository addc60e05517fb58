"""Summary and diagnosis of boot logs: generated SNP guests and the real logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_logparse import (
    FRAGMENTS,
    MEMINFO,
    SNP_E820_LOW,
    STUB_WARNING,
    STYLES,
    UNACCEPTED_SIZE,
    snp_guest_log,
    snp_guest_messages,
)

from uefi_accept.analyses.diagnosis import (
    InspectReport,
    Verdict,
    covered_bytes,
    inspect_boot_log,
)
from uefi_accept.errors import InputError
from uefi_accept.inputs.bootlog import parse_boot_log
from uefi_accept.render import Format, Kind, render
from uefi_accept.units import GiB, KiB


def render_inspect_text(report: InspectReport) -> str:
    return render(Kind.INSPECT, report, Format.TEXT)


def render_inspect_markdown(report: InspectReport) -> str:
    return render(Kind.INSPECT, report, Format.MARKDOWN)


LOGS = Path(__file__).parent / "logs"


def inspect_text(text: str, source: str = "generated.log") -> InspectReport:
    return inspect_boot_log(parse_boot_log(text, source))


def test_healthy_64g_snp_guest() -> None:
    r = inspect_text(snp_guest_log())
    assert r.verdict is Verdict.HEALTHY_LAZY
    assert r.platform == "snp"
    assert r.unaccepted_bytes == 62 * GiB
    assert r.lost_bytes == 0
    assert r.kernel_supports_unaccepted is True
    assert r.usable_basis == "e820"
    assert r.usable_bytes is not None and r.usable_bytes > 63 * GiB
    assert r.meminfo_unaccepted == 60817408 * KiB
    assert r.diagnosis.startswith(
        "Healthy lazy acceptance: 62 GiB handed over unaccepted, all of it usable by the kernel."
    )
    assert "still unaccepted when /proc/meminfo was read" in r.diagnosis
    by_type = dict(r.ram_by_type)
    assert by_type["Unaccepted"] == 62 * GiB
    assert by_type["Reserved"] == 12 * GiB + 4 * 1024 * 1024


@pytest.mark.parametrize("style", sorted(STYLES))
def test_unsupported_kernel_loses_the_unaccepted_memory(style: str) -> None:
    text = "\n".join(STUB_WARNING) + "\n" + STYLES[style](snp_guest_messages(supported=False))
    r = inspect_text(text)
    assert r.verdict is Verdict.LOST_MEMORY
    assert r.lost_bytes == UNACCEPTED_SIZE
    assert r.unsupported_message
    assert r.kernel_supports_unaccepted is False
    assert r.diagnosis == (
        "The guest lost 62 GiB (97% of RAM): the firmware handed it over as unaccepted "
        "memory (type 15) and this kernel does not support unaccepted memory."
    )


def test_old_kernel_without_message_is_named_in_the_diagnosis() -> None:
    # An SNP guest kernel 5.19..6.4: no message (it predates it), type 15 left out.
    msgs = snp_guest_messages(supported=False, version="6.1.0-snp-guest")
    r = inspect_text(STYLES["dmesg"](msgs))
    assert r.verdict is Verdict.LOST_MEMORY
    assert r.lost_bytes == UNACCEPTED_SIZE
    assert "kernel 6.1.0-snp-guest predates unaccepted memory support (6.5)" in r.diagnosis


def test_old_kernel_given_unaccepted_memory_as_ram_is_a_crash_risk() -> None:
    msgs = snp_guest_messages(supported=True, version="5.19.0")
    r = inspect_text(STYLES["dmesg"](msgs))
    assert r.verdict is Verdict.CRASH_RISK
    assert "first touch of that memory is fatal" in r.diagnosis
    assert r.lost_bytes == 0


def test_partial_loss_when_e820_covers_only_part() -> None:
    msgs = snp_guest_messages(supported=True)
    msgs = [m.replace("0x000000107fffffff] usable", "0x000000087fffffff] usable") for m in msgs]
    r = inspect_text(STYLES["plain"](msgs))
    assert r.lost_bytes == 32 * GiB  # 30 GiB of the 62 GiB are covered
    assert r.verdict is Verdict.LOST_MEMORY
    assert "e820" in r.diagnosis


def test_unsupported_without_e820_uses_the_stub_message() -> None:
    msgs = [m for m in snp_guest_messages(supported=False) if "BIOS-e820" not in m]
    r = inspect_text("\n".join(STUB_WARNING + msgs))
    assert r.usable_basis == "memory-line"
    assert r.lost_bytes == UNACCEPTED_SIZE


def test_memory_line_alone_shows_the_loss() -> None:
    msgs = [m for m in snp_guest_messages(supported=False) if "BIOS-e820" not in m]
    r = inspect_text("\n".join(msgs))
    assert r.lost_bytes == UNACCEPTED_SIZE
    ok = [m for m in snp_guest_messages(supported=True) if "BIOS-e820" not in m]
    assert inspect_text("\n".join(ok)).lost_bytes == 0


def test_message_without_efi_map() -> None:
    r = inspect_text("\n".join(STUB_WARNING) + "\nLinux version 6.6.0\n")
    assert r.verdict is Verdict.LOST_MEMORY
    assert r.lost_bytes is None
    assert "efi=debug" in r.diagnosis


def test_firmware_accepted_everything() -> None:
    msgs = [m for m in snp_guest_messages() if "Unaccepted" not in m]
    r = inspect_text(STYLES["dmesg"](msgs) + MEMINFO.replace("60817408", "0"))
    assert r.verdict is Verdict.ACCEPTED_BY_FIRMWARE
    assert r.unaccepted_bytes == 0
    assert r.diagnosis == (
        "The firmware accepted everything before handing over: no unaccepted memory in the map."
    )


def test_eager_acceptance_is_mentioned() -> None:
    msgs = [m.replace("efi=debug", "efi=debug accept_memory=eager") for m in snp_guest_messages()]
    r = inspect_text(STYLES["dmesg"](msgs))
    assert r.accept_memory == "eager"
    assert r.verdict is Verdict.HEALTHY_LAZY
    assert "accept_memory=eager" in r.diagnosis


# --------------------------------------------------------------------------
# Real logs


def real(name: str) -> InspectReport:
    path = LOGS / name
    return inspect_text(path.read_text(encoding="utf-8"), str(path))


def test_real_ovmf_guest_has_no_unaccepted_memory() -> None:
    r = real("ovmf-qemu-3G-kernel-5.6-efi-debug-memmap-linux-efi-2020-03.txt")
    assert r.verdict is Verdict.NO_UNACCEPTED
    assert r.unaccepted_bytes == 0
    assert r.lost_bytes == 0
    assert r.ram_basis == "efi"
    assert r.ram_bytes is not None and 2.9 * GiB < r.ram_bytes <= 3 * GiB


def test_real_snp_snippet_cannot_tell_the_loss() -> None:
    r = real("snp-guest-efi-memmap-Unaccepted-snippet-lkml-rfc-hotplug-2025-12.txt")
    assert r.verdict is Verdict.UNKNOWN
    assert r.unaccepted_bytes == 2 * GiB
    assert r.lost_bytes is None
    assert "2 GiB" in r.diagnosis


def test_real_tdx_logs_without_efi_map() -> None:
    r = real("tdx-guest-8G-e820-tail-efi-tdx-tools-issue-524-excerpts.txt")
    assert r.verdict is Verdict.UNKNOWN
    assert r.ram_basis == "e820"
    assert "efi=debug" in r.diagnosis
    r = real("tdx-guest-6.6-e820-head-tdx-linux-issue-5.txt")
    assert r.platform == "tdx"
    assert r.kernel_version == "6.6.0-rc2"
    assert r.kernel_supports_unaccepted is None  # 6.6, but no type 15 seen to prove it


def test_real_thinkpad_e820_only() -> None:
    r = real("thinkpad-7.1-e820-system-ram-gap-lkml-stable-2026-06.txt")
    assert r.verdict is Verdict.UNKNOWN
    assert r.memory_line_total == 33300824 * KiB
    assert dict(r.ram_by_type)["usable"] == r.usable_bytes


def test_platform_only_log() -> None:
    r = real("snp-guest-dmesg-lkml-kvm-2026-03.txt")
    assert r.platform == "snp"
    assert r.verdict is Verdict.UNKNOWN


# --------------------------------------------------------------------------
# Output


ALL_REPORTS = [
    *(p.name for p in sorted(LOGS.glob("*.txt"))),
]


@pytest.mark.parametrize("name", ALL_REPORTS)
def test_to_dict_is_json_ready_sorted_and_stable(name: str) -> None:
    r1, r2 = real(name), real(name)
    d = r1.to_dict()
    assert list(d) == sorted(d)
    assert list(d["ram_by_type"]) == sorted(d["ram_by_type"])
    text = json.dumps(d, sort_keys=True, indent=2)
    assert text == json.dumps(r2.to_dict(), sort_keys=True, indent=2)
    assert json.loads(text) == d
    assert d["schema_version"] == 1
    assert isinstance(d["verdict"], str)


def test_to_dict_values_for_the_healthy_guest() -> None:
    d = inspect_text(snp_guest_log()).to_dict()
    assert d["verdict"] == "healthy-lazy"
    assert d["unaccepted_bytes"] == 62 * GiB
    assert d["lost_bytes"] == 0
    assert d["platform"] == "snp"
    assert d["warnings"] == []


@pytest.mark.parametrize("name", ALL_REPORTS)
def test_text_render_fits_80_columns(name: str) -> None:
    out = render_inspect_text(real(name))
    assert all(len(line) < 80 for line in out.splitlines())
    assert "Diagnosis:" in out


def test_text_render_of_the_lost_memory_guest() -> None:
    text = "\n".join(STUB_WARNING) + "\n" + STYLES["dmesg"](snp_guest_messages(supported=False))
    report = inspect_boot_log(parse_boot_log(text, "x" * 150 + "/guest.log"))
    out = render_inspect_text(report)
    # The remedy's command stays on one line, to be copied (test_inspect_remedy.py).
    command = f"  {report.remedy_command}"
    assert all(len(line) < 80 for line in out.splitlines() if line != command)
    assert "AMD SEV-SNP guest" in out
    assert "Lost:" in out and "62 GiB" in out
    flat = " ".join(out.split())
    assert "The guest lost 62 GiB (97% of RAM)" in flat


def test_text_render_with_warnings_fits() -> None:
    msgs = snp_guest_messages()
    msgs.append("efi: mem99: [" + "Frobnicated" * 12 + "|WB] range=[0x1-0x2] (0MB)")
    report = inspect_text(STYLES["dmesg"](msgs))
    out = render_inspect_text(report)
    assert "Warnings (1):" in out
    assert all(len(line) < 80 for line in out.splitlines())


def test_markdown_render() -> None:
    md = render_inspect_markdown(inspect_text(snp_guest_log(), "guest|1.log"))
    assert md.startswith("## Boot log: guest\\|1.log")
    assert "**Diagnosis:** Healthy lazy acceptance" in md and "(healthy-lazy)" in md
    assert "| Unaccepted (type 15) | 62 GiB |" in md
    assert "| Unaccepted | 62 GiB | 66571993088 |" in md


# --------------------------------------------------------------------------
# Range arithmetic


def test_covered_bytes() -> None:
    assert covered_bytes([(0, 100)], [(10, 20), (15, 30), (90, 200)]) == 30
    assert covered_bytes([(0, 10), (20, 30)], []) == 0
    assert covered_bytes([(5, 10)], [(0, 100)]) == 5


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 20)), max_size=8),
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=8),
)
@settings(max_examples=200, deadline=None)
def test_covered_bytes_matches_brute_force(
    ranges: list[tuple[int, int]], cover: list[tuple[int, int]]
) -> None:
    # Make `ranges` disjoint, as an EFI map's type-15 ranges are.
    disjoint, pos = [], 0
    for gap, size in ranges:
        disjoint.append((pos + gap, pos + gap + size))
        pos += gap + size
    cov = [(s, s + n) for s, n in cover]
    points = {x for s, e in cov for x in range(s, e)}
    expected = sum(1 for s, e in disjoint for x in range(s, e) if x in points)
    assert covered_bytes(disjoint, cov) == expected


def test_low_usable_constant_is_consistent() -> None:
    # Guards the generated log: the low e820 usable ranges are ~2 GiB.
    usable = sum(e - s + 1 for s, e, k in SNP_E820_LOW if k == "usable")
    assert 1.9 * GiB < usable < 2 * GiB


@given(
    st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.sampled_from(STUB_WARNING),
            st.text(max_size=20),
            st.tuples(st.sampled_from(FRAGMENTS), st.integers(0, 120)).map(lambda t: t[0][: t[1]]),
        ),
        max_size=30,
    ),
    st.text(max_size=200),
)
@settings(max_examples=300, deadline=None)
def test_fuzz_inspect_and_render_never_fail(pieces: list[str], source: str) -> None:
    try:
        log = parse_boot_log("\n".join(pieces), source)
    except InputError:
        return
    report = inspect_boot_log(log)
    json.dumps(report.to_dict())
    assert all(len(line) < 80 for line in render_inspect_text(report).splitlines())
    render_inspect_markdown(report)
    if report.lost_bytes is not None:
        assert report.lost_bytes >= 0
