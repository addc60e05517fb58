"""Boot log parsing: real public logs (tests/logs/) and logs generated here."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uefi_accept.errors import InputError
from uefi_accept.inputs.bootlog import (
    BootLog,
    E820Kind,
    format_efi_memmap,
    kernel_version_tuple,
    parse_boot_log,
    parse_meminfo,
)
from uefi_accept.model.memmap import EfiMemoryType as T
from uefi_accept.model.memmap import MemoryDescriptor, format_efi_debug_line
from uefi_accept.units import GiB, KiB, MiB

LOGS = Path(__file__).parent / "logs"


def real(name: str) -> BootLog:
    path = LOGS / name
    return parse_boot_log(path.read_text(encoding="utf-8"), str(path))


# --------------------------------------------------------------------------
# A generated 64 GiB SEV-SNP guest on QEMU q35 + OVMF: 2 GiB below 4 GiB
# (q35 caps low RAM at 2 GiB when RAM >= 2816 MiB), 62 GiB above it handed over
# as type 15, and the 12 GiB reserved hole at 0xfd00000000 an SNP map shows.

UNACCEPTED_START = 4 * GiB
UNACCEPTED_SIZE = 62 * GiB

SNP_EFI = [
    MemoryDescriptor(0x0, 0x1000, T.BOOT_SERVICES_CODE),
    MemoryDescriptor(0x1000, 0xA0000, T.CONVENTIONAL),
    MemoryDescriptor(0x100000, 0x800000, T.CONVENTIONAL),
    MemoryDescriptor(0x800000, 0x808000, T.ACPI_NVS),
    MemoryDescriptor(0x808000, 0x810000, T.CONVENTIONAL),
    MemoryDescriptor(0x810000, 0x900000, T.ACPI_NVS),
    MemoryDescriptor(0x900000, 0x7E000000, T.CONVENTIONAL),
    MemoryDescriptor(0x7E000000, 0x7F000000, T.BOOT_SERVICES_DATA),
    MemoryDescriptor(0x7F000000, 0x7F800000, T.RUNTIME_SERVICES_DATA),
    MemoryDescriptor(0x7F800000, 0x7FC00000, T.ACPI_RECLAIM),
    MemoryDescriptor(0x7FC00000, 0x80000000, T.RESERVED),
    MemoryDescriptor(0xFFC00000, 0x100000000, T.MMIO),
    MemoryDescriptor(UNACCEPTED_START, UNACCEPTED_START + UNACCEPTED_SIZE, T.UNACCEPTED),
    MemoryDescriptor(0xFD00000000, 0x10000000000, T.RESERVED),
]

# e820 as the EFI stub's setup_e820() builds it from that map.
SNP_E820_LOW = [
    (0x0, 0x9FFFF, "usable"),
    (0x100000, 0x7FFFFF, "usable"),
    (0x800000, 0x807FFF, "ACPI NVS"),
    (0x808000, 0x80FFFF, "usable"),
    (0x810000, 0x8FFFFF, "ACPI NVS"),
    (0x900000, 0x7EFFFFFF, "usable"),
    (0x7F000000, 0x7F7FFFFF, "reserved"),
    (0x7F800000, 0x7FBFFFFF, "ACPI data"),
    (0x7FC00000, 0x7FFFFFFF, "reserved"),
    (0xFFC00000, 0xFFFFFFFF, "reserved"),
]
SNP_E820_HIGH = (UNACCEPTED_START, UNACCEPTED_START + UNACCEPTED_SIZE - 1, "usable")
SNP_E820_HOLE = (0xFD00000000, 0xFFFFFFFFFF, "reserved")

LOW_USABLE = sum(e - s + 1 for s, e, k in SNP_E820_LOW if k == "usable")

MEMINFO = """MemTotal:       65843012 kB
MemFree:        64523416 kB
MemAvailable:   64812332 kB
Buffers:           10240 kB
Cached:           401232 kB
HugePages_Total:       0
HugePages_Free:        0
Unaccepted:     60817408 kB
Hugepagesize:       2048 kB
"""


def snp_guest_messages(*, supported: bool = True, version: str = "6.8.0-49-generic") -> list[str]:
    """Kernel messages (without prefixes) of the generated 64 GiB SNP guest."""
    e820 = [*SNP_E820_LOW, SNP_E820_HIGH, SNP_E820_HOLE]
    if not supported:
        e820.remove(SNP_E820_HIGH)  # the stub left type 15 out of e820
    usable = sum(e - s + 1 for s, e, k in e820 if k == "usable")
    msgs = [
        f"Linux version {version} (buildd@lcy02-amd64-103) (x86_64-linux-gnu-gcc-13 "
        "(Ubuntu 13.2.0-23ubuntu4) 13.2.0) #49-Ubuntu SMP PREEMPT_DYNAMIC",
        "Command line: BOOT_IMAGE=/vmlinuz root=/dev/vda1 console=ttyS0 efi=debug",
        "BIOS-provided physical RAM map:",
    ]
    msgs += [f"BIOS-e820: [mem {s:#018x}-{e:#018x}] {k}" for s, e, k in e820]
    msgs += [
        "NX (Execute Disable) protection: active",
        "efi: EFI v2.70 by EDK II",
        "efi: ACPI=0x7fbfa000 ACPI 2.0=0x7fbfa014 SMBIOS=0x7f9cc000 MEMATTR=0x7e649190",
    ]
    msgs += [format_efi_debug_line(i, d) for i, d in enumerate(SNP_EFI)]
    msgs += [
        "SMBIOS 2.8 present.",
        "DMI: QEMU Standard PC (Q35 + ICH9, 2009), BIOS unknown 2/2/2022",
        f"Memory: {usable // KiB - 400000}K/{usable // KiB}K available (20480K kernel code, "
        "4096K rwdata, 8192K rodata, 4096K init, 4096K bss, 400000K reserved, "
        "0K cma-reserved)",
        "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP",
        "SEV: Status: SEV SEV-ES SEV-SNP",
    ]
    return msgs


STUB_WARNING = [
    # libstub/x86-stub.c setup_e820(): efi_warn_once() with an embedded newline,
    # printed on the console before the kernel banner.
    "EFI stub: WARNING: The system has unaccepted memory,  but kernel does not support it",
    "Consider enabling CONFIG_UNACCEPTED_MEMORY",
]


def _ts(i: int) -> str:
    return f"[{i / 1_000_000:12.6f}] "


STYLES: dict[str, Callable[[list[str]], str]] = {
    "plain": lambda m: "\n".join(m) + "\n",
    "dmesg": lambda m: "".join(f"{_ts(i)}{x}\n" for i, x in enumerate(m)),
    "caller-id": lambda m: "".join(f"{_ts(i)}[    T0] {x}\n" for i, x in enumerate(m)),
    "syslog": lambda m: "".join(f"Nov 26 10:00:00 snp-guest kernel: {x}\n" for x in m),
    "journal": lambda m: (
        "-- Boot 8d7a3f0b2c6e4d1a9f5b7c3e1a2d4f6b --\n"
        + "".join(f"Nov 26 10:00:00.{i:06d} snp-guest kernel: {x}\n" for i, x in enumerate(m))
    ),
    "crlf": lambda m: "".join(f"{_ts(i)}{x}\r\n" for i, x in enumerate(m)),
    "serial": lambda m: "".join(f"{_ts(i)}{x}\r\r\n" for i, x in enumerate(m)),
    # dmesg --color=always: coloured timestamp and subsystem prefix.
    "colour": lambda m: "".join(
        f"\x1b[32m{_ts(i)}\x1b[0m"
        + (f"\x1b[33m{x.split(': ', 1)[0]}: \x1b[0m{x.split(': ', 1)[1]}" if ": " in x else x)
        + "\n"
        for i, x in enumerate(m)
    ),
    "bare-cr": lambda m: "".join(f"{_ts(i)}{x}\r" for i, x in enumerate(m)),
}


def snp_guest_log(style: str = "dmesg", *, supported: bool = True, meminfo: bool = True) -> str:
    msgs = snp_guest_messages(supported=supported)
    text = STYLES[style](msgs)
    if not supported:
        text = "\n".join(STUB_WARNING) + "\n" + text
    if meminfo and supported:
        text += MEMINFO
    return text


# --------------------------------------------------------------------------
# Real logs


def test_ovmf_3g_kernel_5_6_whole_map() -> None:
    log = real("ovmf-qemu-3G-kernel-5.6-efi-debug-memmap-linux-efi-2020-03.txt")
    assert len(log.efi_map) == 46
    assert log.efi_map[0] == MemoryDescriptor(0, 0x1000, T.BOOT_SERVICES_CODE)
    # Old long names: "Conventional Memory", "ACPI Memory NVS", "Memory Mapped I/O".
    assert log.efi_map[1] == MemoryDescriptor(0x1000, 0xA0000, T.CONVENTIONAL)
    assert log.efi_map[3].type is T.ACPI_NVS
    assert log.efi_map[35].type is T.ACPI_RECLAIM
    assert log.efi_map[-1] == MemoryDescriptor(0xFFC00000, 0x100000000, T.MMIO)
    assert len(log.e820) == 18  # "reserve setup_data" lines are not the BIOS table
    assert log.kernel_version == "5.6.0-rc3+"
    assert log.firmware == "EFI v2.70 by EDK II"
    assert log.command_line == "bzImage64 earlyprintk=ttyS0,keep efi=debug"
    assert log.platform is None
    assert log.warnings == ()
    # Sample README: the usable e820 ranges equal the union of the EFI
    # Conventional, Boot and Loader ranges.
    ram = {T.CONVENTIONAL, T.BOOT_SERVICES_CODE, T.BOOT_SERVICES_DATA}
    ram |= {T.LOADER_CODE, T.LOADER_DATA}
    efi_ram = sum(d.size for d in log.efi_map if d.type in ram)
    e820_ram = sum(e.size for e in log.e820 if e.kind is E820Kind.USABLE)
    assert efi_ram == e820_ram


def test_snp_unaccepted_mail_wrapped_snippet() -> None:
    log = real("snp-guest-efi-memmap-Unaccepted-snippet-lkml-rfc-hotplug-2025-12.txt")
    assert log.efi_map == (
        MemoryDescriptor(0x100000000, 0x180000000, T.UNACCEPTED),
        MemoryDescriptor(0xFD00000000, 0x10000000000, T.RESERVED),
    )
    assert log.efi_map[0].size == 2048 * MiB
    assert log.warnings == ()
    assert log.e820 == ()  # "ACPI: SRAT ... [mem ...]" lines are not e820


def test_tdx_8g_e820_tail() -> None:
    log = real("tdx-guest-8G-e820-tail-efi-tdx-tools-issue-524-excerpts.txt")
    assert [(e.start, e.end, e.kind) for e in log.e820] == [
        (0x7E818000, 0x7FF7C000, E820Kind.USABLE),
        (0x7FF7C000, 0x80000000, E820Kind.RESERVED),
        (0xE0000000, 0xF0000000, E820Kind.RESERVED),
        (0x100000000, 0x280000000, E820Kind.USABLE),  # type 15 made usable by the stub
    ]
    assert log.firmware == "EFI v2.70 by EDK II"
    assert log.efi_map == ()


def test_tdx_6_6_serial_console_head() -> None:
    log = real("tdx-guest-6.6-e820-head-tdx-linux-issue-5.txt")
    assert log.platform == "tdx"
    assert log.kernel_version == "6.6.0-rc2"
    assert kernel_version_tuple(log.kernel_version) == (6, 6, 0)
    assert log.command_line == "root=/dev/vda1 console=ttyS0 initrd=initrd"
    assert [(e.start, e.end - 1, e.kind.value) for e in log.e820] == [
        (0x0, 0x80BFFF, "usable"),
        (0x80C000, 0x80CFFF, "ACPI NVS"),
        (0x80D000, 0x7D094FFF, "usable"),
        (0x7D095000, 0x7D095FFF, "ACPI data"),
        (0x7D096000, 0x7D18EFFF, "usable"),
    ]
    assert log.boots == 1  # "tdx: Guest detected" precedes the banner, same boot
    assert log.warnings == ()


def test_tdx_caller_id_prefix() -> None:
    log = real("tdx-guest-dmesg-caller-id-img-proof-pr-437.txt")
    assert log.platform == "tdx"
    assert not log.has_memory_data


def test_snp_guest_platform_lines() -> None:
    log = real("snp-guest-dmesg-lkml-kvm-2026-03.txt")
    assert log.platform == "snp"
    assert not log.has_memory_data


def test_syslog_prefixed_exclusive_end_map() -> None:
    log = real("efi-memmap-syslog-exclusive-end-xcat-issue-869.txt")
    assert len(log.efi_map) == 8
    assert log.efi_map[0] == MemoryDescriptor(0, 0x1000, T.BOOT_SERVICES_CODE)
    assert log.efi_map[1] == MemoryDescriptor(0x1000, 0x20000, T.CONVENTIONAL)
    assert log.efi_map[3] == MemoryDescriptor(0x6C000, 0x6D000, T.ACPI_NVS)
    assert log.efi_map[-1] == MemoryDescriptor(0x87000, 0x88000, T.BOOT_SERVICES_DATA)
    assert log.warnings == ()


def test_old_numeric_type_attr_form() -> None:
    log = real("efi-memmap-type-attr-form-adsb-box-issue-65.txt")
    assert len(log.efi_map) == 13
    assert log.efi_map[0] == MemoryDescriptor(0xE2B5000, 0xE4E1000, T.LOADER_CODE)
    assert log.efi_map[11] == MemoryDescriptor(0xEFB0000, 0xEFB4000, T.RUNTIME_SERVICES_CODE)
    assert log.warnings == ()  # the printed MB counts agree with the exclusive ends


def test_2025_e820_spellings_and_gap_lines() -> None:
    log = real("thinkpad-7.1-e820-system-ram-gap-lkml-stable-2026-06.txt")
    assert len(log.e820) == 10  # the two [gap ...] lines are not entries
    kinds = [e.kind for e in log.e820]
    assert kinds.count(E820Kind.USABLE) == 4
    assert kinds.count(E820Kind.RESERVED) == 4
    usable = sum(e.size for e in log.e820 if e.kind is E820Kind.USABLE)
    assert usable == 0x9F000 + (0xA40B7000 - 0x100000) + 0x1000 + (0x84C800000 - 0x100000000)
    assert log.memory_line is not None
    assert log.memory_line.total == 33300824 * KiB
    assert log.memory_line.available == 32485468 * KiB
    assert log.kernel_version == "7.1.0-t14test202606+"
    assert log.firmware == "EFI v2.7 by Lenovo"
    assert log.warnings == ()


# --------------------------------------------------------------------------
# Generated logs: every style gives the same facts


@pytest.mark.parametrize("style", sorted(STYLES))
def test_styles_parse_identically(style: str) -> None:
    log = parse_boot_log(snp_guest_log(style), f"snp-{style}.log")
    assert log.efi_map == tuple(SNP_EFI)
    assert len(log.e820) == len(SNP_E820_LOW) + 2
    assert log.e820[-2].start == UNACCEPTED_START
    assert log.e820[-2].end == UNACCEPTED_START + UNACCEPTED_SIZE
    assert log.platform == "snp"
    assert log.kernel_version == "6.8.0-49-generic"
    assert log.firmware == "EFI v2.70 by EDK II"
    assert log.memory_line is not None
    assert log.memory_line.total == LOW_USABLE + UNACCEPTED_SIZE
    assert log.meminfo is not None
    assert log.meminfo.unaccepted == 60817408 * KiB
    assert log.meminfo.mem_total == 65843012 * KiB
    assert not log.unaccepted_unsupported
    assert log.warnings == ()


def test_unsupported_guest_log() -> None:
    log = parse_boot_log(snp_guest_log(supported=False), "snp-nosupport.log")
    assert log.unaccepted_unsupported
    assert log.unsupported_line == 1
    assert all(e.start < UNACCEPTED_START or e.start >= 0xFD00000000 for e in log.e820)
    assert any(d.type is T.UNACCEPTED for d in log.efi_map)
    assert log.boots == 1


@pytest.mark.parametrize(
    "message",
    [
        "The system has unaccepted memory,  but kernel does not support it",
        "The system has unaccepted memory, but kernel does not support it",
        "EFI stub: WARNING: The system has unaccepted memory,but kernel does not support it",
        "The system has unaccepted memory,\n  but kernel does not support it",  # wrapped
        "the system has Unaccepted Memory,  but the kernel does not support it",
    ],
)
def test_unsupported_message_spacing(message: str) -> None:
    log = parse_boot_log("Linux version 6.6.0 (x)\n" + message + "\n", "m.log")
    assert log.unaccepted_unsupported


def test_pre_6_5_kernel_prints_type_15_as_number() -> None:
    # efi.c before 6.5 has no name for 15: efi_md_typeattr_format() prints "[type=15".
    lines = [format_efi_debug_line(i, d) for i, d in enumerate(SNP_EFI)]
    lines = [ln.replace("[Unaccepted  ", "[type=15") for ln in lines]
    assert any("[type=15|" in ln for ln in lines)
    log = parse_boot_log("\n".join(lines), "old.log")
    assert log.efi_map == tuple(SNP_EFI)


def test_truncated_last_line_is_a_warning() -> None:
    msgs = snp_guest_messages()
    efi_last = max(i for i, m in enumerate(msgs) if "efi: mem" in m)
    msgs = msgs[: efi_last + 1]
    msgs[-1] = msgs[-1][: len(msgs[-1]) // 2]  # the console died mid-line
    log = parse_boot_log(STYLES["dmesg"](msgs), "cut.log")
    assert len(log.efi_map) == len(SNP_EFI) - 1
    assert [w.line for w in log.warnings] == [len(msgs)]
    assert "truncated" in log.warnings[0].message


def test_truncated_e820_line_is_a_warning() -> None:
    text = (
        "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
        "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000"
    )
    log = parse_boot_log(text, "cut.log")
    assert len(log.e820) == 1
    assert [w.line for w in log.warnings] == [2]


def test_interleaved_lines() -> None:
    msgs = snp_guest_messages()
    first = next(i for i, m in enumerate(msgs) if "efi: mem" in m)
    # Another CPU's message between map lines, one glued to the end of a map
    # line, and two map lines run together (a lost newline).
    msgs.insert(first + 2, "random: crng init done")
    msgs[first + 3] += "[    0.000000] x86/PAT: Configuration [0-7]: WB  WC  UC- UC"
    msgs[first + 4] = msgs[first + 4] + " " + msgs.pop(first + 5)
    e820_first = next(i for i, m in enumerate(msgs) if "BIOS-e820" in m)
    msgs[e820_first] += "[    0.000001] printk: bootconsole [earlyser0] enabled"
    log = parse_boot_log(STYLES["dmesg"](msgs), "interleaved.log")
    assert log.efi_map == tuple(SNP_EFI)
    assert log.e820[0].kind is E820Kind.USABLE
    assert log.warnings == ()


def test_two_boots_in_one_journal_uses_the_last() -> None:
    old = STYLES["syslog"](snp_guest_messages(supported=False, version="5.19.0-snp"))
    new = snp_guest_log("syslog")
    text = "\n".join(STUB_WARNING) + "\n" + old + "-- Boot 1234 --\n" + new
    log = parse_boot_log(text, "journal.log")
    assert log.boots == 2
    assert log.kernel_version == "6.8.0-49-generic"
    assert not log.unaccepted_unsupported
    assert "2 boots" in log.warnings[0].message
    assert len(log.e820) == len(SNP_E820_LOW) + 2


def test_stub_warning_goes_with_the_boot_that_follows_it() -> None:
    first = STYLES["dmesg"](snp_guest_messages(version="6.8.0"))
    second = (
        "\n".join(STUB_WARNING)
        + "\n"
        + STYLES["dmesg"](snp_guest_messages(supported=False, version="6.9.0-custom"))
    )
    log = parse_boot_log(first + second, "console.log")
    assert log.boots == 2
    assert log.kernel_version == "6.9.0-custom"
    assert log.unaccepted_unsupported


def test_map_printed_twice_is_not_an_overlap() -> None:
    text = format_efi_memmap(SNP_EFI) * 2
    log = parse_boot_log(text, "twice.log")
    assert log.efi_map == tuple(SNP_EFI)
    assert log.warnings == ()


# --------------------------------------------------------------------------
# Bad input: a warning with the line when the rest is usable, InputError otherwise


def _efi(i: int, name: str, start: int, last: int, mb: int | None = None) -> str:
    size = (last - start + 1) >> 20 if mb is None else mb
    attrs = "   |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC"
    return f"efi: mem{i:02d}: [{name:<12}|{attrs}] range=[0x{start:016x}-0x{last:016x}] ({size}MB)"


GOOD = _efi(0, "Conventional", 0x100000, 0x7FFFFFFF)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (_efi(1, "Conventional", 0x80000000 - 0x1000, 0x80FFFFFF), "overlaps the one on line 1"),
        (_efi(1, "Frobnicated", 0x80000000, 0x80FFFFFF), "unknown EFI memory type name"),
        (_efi(1, "type=99", 0x80000000, 0x80FFFFFF), "unknown EFI memory type number 99"),
        (_efi(1, "Conventional", 1 << 64, (1 << 64) + 0xFFF), "64 bits"),
        (_efi(1, "Conventional", 0x80FFFFFF, 0x80000000), "below its start"),
        ("efi: mem01: [Conventional|   |  |WB] range=[0x0000000080000000-0x00000", "truncated"),
    ],
)
def test_bad_efi_line_is_skipped_with_a_warning(bad: str, words: str) -> None:
    log = parse_boot_log(GOOD + "\n" + bad + "\n", "bad.log")
    assert log.efi_map == (MemoryDescriptor(0x100000, 0x80000000, T.CONVENTIONAL),)
    assert len(log.warnings) == 1
    assert log.warnings[0].line == 2
    assert words in log.warnings[0].message


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (_efi(0, "Frobnicated", 0x80000000, 0x80FFFFFF), "unknown EFI memory type name"),
        (_efi(0, "Conventional", 1 << 64, (1 << 64) + 0xFFF), "64 bits"),
        ("efi: mem00: [Conventional|   |  |WB] range=[0x0000000080000000-0x00000", "truncated"),
        ("BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] frobnicated", "unknown e820"),
        ("BIOS-e820: [mem 0x10000000000000000-0x1000000000009ffff] usable", "64 bits"),
    ],
)
def test_nothing_usable_left_raises_with_the_line(bad: str, words: str) -> None:
    text = "Some console noise\n[    0.000000] " + bad + "\n"
    with pytest.raises(InputError) as exc:
        parse_boot_log(text, "bad.log")
    assert exc.value.line == 2
    assert exc.value.source == "bad.log"
    assert words in exc.value.problem
    assert str(exc.value).startswith("bad.log:2: ")


def test_printed_mb_disagreeing_is_a_warning_and_the_entry_is_kept() -> None:
    bad = _efi(1, "Conventional", 0x80000000, 0x80FFFFFF, mb=17)
    log = parse_boot_log(GOOD + "\n" + bad + "\n", "mb.log")
    assert len(log.efi_map) == 2
    assert log.warnings[0].line == 2
    assert "17MB disagrees" in log.warnings[0].message


def test_mb_is_truncated_like_the_kernel() -> None:
    # (end - start + 1) >> 20: 1.99 MiB prints as 1MB, and 4 KiB as 0MB.
    line = _efi(0, "Boot Data", 0x100000, 0x100000 + 2 * MiB - 0x1000 - 1, mb=1)
    small = _efi(1, "Boot Code", 0x400000, 0x400FFF, mb=0)
    assert parse_boot_log(line + "\n" + small, "t.log").warnings == ()


def test_unordered_map_is_sorted_with_a_warning() -> None:
    lines = [format_efi_debug_line(i, d) for i, d in enumerate(reversed(SNP_EFI))]
    log = parse_boot_log("\n".join(lines), "rev.log")
    assert log.efi_map == tuple(SNP_EFI)
    assert [w.line for w in log.warnings] == [2]
    assert "not in address order" in log.warnings[0].message


def test_unaligned_range_is_kept_with_a_warning() -> None:
    log = parse_boot_log(_efi(0, "Conventional", 0x100800, 0x1FFFFF), "a.log")
    assert log.efi_map[0].start == 0x100800
    assert "4 KiB" in log.warnings[0].message


def test_e820_overlap_and_unknown_type_are_warnings() -> None:
    text = "\n".join(
        [
            "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable",
            "BIOS-e820: [mem 0x0000000000090000-0x00000000000fffff] reserved",
            "BIOS-e820: [mem 0x0000000000100000-0x00000000001fffff] frobnicated",
            "BIOS-e820: [mem 0x0000000000200000-0x00000000002fffff] type 20",
            "BIOS-e820: [mem 0x0000000000300000-0x00000000003fffff] persistent (type 12)",
            "BIOS-e820: [mem 0x0000000000400000-0x00000000004fffff]   1.0 MB kernel usable RAM",
            "BIOS-e820: [gap 0x0000000000500000-0x00000000005fffff]",
        ]
    )
    log = parse_boot_log(text, "e.log")
    assert [(e.kind, e.type_number) for e in log.e820] == [
        (E820Kind.USABLE, None),
        (E820Kind.OTHER, 20),
        (E820Kind.PERSISTENT, 12),
        (E820Kind.USABLE, None),
    ]
    assert [w.line for w in log.warnings] == [2, 3]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n\n", "hello world\nthis is not a boot log\n", "\x00\x01\x02", "MemFree: 12 kB"],
)
def test_text_without_any_block_raises(text: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_boot_log(text, "nothing.txt")
    assert exc.value.source == "nothing.txt"
    assert exc.value.line is None
    assert "no kernel boot log found" in exc.value.problem


# --------------------------------------------------------------------------
# /proc/meminfo


def test_parse_meminfo_file() -> None:
    info = parse_meminfo(MEMINFO.replace("\n", "\r\n"), "meminfo")
    assert info.mem_total == 65843012 * KiB
    assert info.unaccepted == 60817408 * KiB
    assert info.get("HugePages_Total") is None  # a count, not bytes
    assert info.get("Hugepagesize") == 2048 * KiB


def test_meminfo_without_unaccepted_line() -> None:
    info = parse_meminfo("MemTotal: 4028368 kB\nMemFree: 100 kB\n", "m")
    assert info.unaccepted is None


@pytest.mark.parametrize("text", ["", "MemFree: 10 kB\n", "not meminfo at all"])
def test_bad_meminfo_raises(text: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_meminfo(text, "meminfo.txt")
    assert exc.value.source == "meminfo.txt"


def test_meminfo_too_large_raises_with_line() -> None:
    with pytest.raises(InputError) as exc:
        parse_meminfo("Foo: 1 kB\nMemTotal: 99999999999999999999999 kB\n", "m")
    assert exc.value.line == 2


def test_kernel_version_tuple() -> None:
    assert kernel_version_tuple("6.18.45") == (6, 18, 45)
    assert kernel_version_tuple("5.6.0-rc3+") == (5, 6, 0)
    assert kernel_version_tuple("6.5") == (6, 5, 0)
    assert kernel_version_tuple("v6.8") == (6, 8, 0)
    assert kernel_version_tuple("unknown") is None
    assert kernel_version_tuple(None) is None


# --------------------------------------------------------------------------
# Properties


@st.composite
def sorted_disjoint_maps(draw: st.DrawFn) -> list[MemoryDescriptor]:
    descs: list[MemoryDescriptor] = []
    addr = draw(st.integers(0, 1 << 20)) * 4096
    for _ in range(draw(st.integers(0, 40))):
        size = draw(st.one_of(st.integers(1, 1 << 10), st.integers(1, 1 << 30))) * 4096
        if addr + size > 1 << 64:
            break
        descs.append(MemoryDescriptor(addr, addr + size, draw(st.sampled_from(list(T)))))
        addr += size + draw(st.one_of(st.just(0), st.integers(0, 1 << 36))) * 4096
    return descs


@given(sorted_disjoint_maps())
@settings(max_examples=300, deadline=None)
def test_format_parse_round_trip(descs: list[MemoryDescriptor]) -> None:
    text = format_efi_memmap(descs)
    if not descs:
        assert text == ""
        return
    log = parse_boot_log(text, "generated")
    assert log.efi_map == tuple(descs)
    assert log.warnings == ()


def test_round_trip_reaches_the_top_of_the_address_space() -> None:
    # x86-64 MAXPHYADDR is 52 bits: the map may reach it, not go past it.
    top = [MemoryDescriptor((1 << 52) - 2 * MiB, 1 << 52, T.RESERVED)]
    assert parse_boot_log(format_efi_memmap(top), "top").efi_map == tuple(top)
    beyond = [*top, MemoryDescriptor((1 << 64) - 2 * MiB, 1 << 64, T.RESERVED)]
    log = parse_boot_log(format_efi_memmap(beyond), "beyond")
    assert log.efi_map == tuple(top)
    assert [w.line for w in log.warnings] == [2]
    assert "52-bit physical address limit" in log.warnings[0].message


# Pieces that drive the fuzzer past the first regex into the deeper paths.
FRAGMENTS = [
    GOOD,
    _efi(1, "Unaccepted", 0x100000000, 0x17FFFFFFF),
    _efi(2, "type=15", 0x80000000, 0x80FFFFFF),
    "efi: mem03: [Reserved <snip>]",
    "range=[0x000000fd00000000-0x000000ffffffffff] (12288MB)",
    "efi: mem04: type=7, attr=0xf, range=[0x0000000000001000-0x0000000000002000) (0MB)",
    "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable",
    "BIOS-e820: [mem 0x0000000100000000-0x000000107fffffff]  System RAM",
    "BIOS-e820: [mem 0xffffffffffffffffff-0x0] type 99",
    "BIOS-e820: [gap 0x00000000af800000-0x00000000fed1ffff]",
    "Linux version 6.8.0 (x)",
    "Linux version 5.19.0",
    "Memory: 1000K/2000K available",
    "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP",
    "tdx: Guest detected",
    "The system has unaccepted memory,  but kernel does not support it",
    "MemTotal: 100 kB",
    "Unaccepted: 50 kB",
    "efi: EFI v2.70 by EDK II",
    "Command line: accept_memory=eager",
    "-- Boot 1 --",
    "\x1b[33mefi: \x1b[0m",
    "efi: mem",
    "[    0.000000] ",
    "\r",
]


@given(st.text())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_text_never_raises_anything_but_input_error(text: str) -> None:
    _parse_or_input_error(text)


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_fuzz_bytes_never_raise_anything_but_input_error(data: bytes) -> None:
    _parse_or_input_error(data.decode("utf-8", errors="replace"))
    _parse_or_input_error(data.decode("latin-1"))
    _parse_or_input_error(data.decode("utf-8", errors="surrogateescape"))


@given(
    st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.text(max_size=20),
            st.tuples(st.sampled_from(FRAGMENTS), st.integers(0, 120)).map(lambda t: t[0][: t[1]]),
        ),
        max_size=30,
    ),
    st.sampled_from(["\n", "\r\n", "\r", " "]),
)
@settings(max_examples=500, deadline=None)
def test_fuzz_structured_lines(pieces: list[str], sep: str) -> None:
    _parse_or_input_error(sep.join(pieces))


def _parse_or_input_error(text: str) -> None:
    try:
        log = parse_boot_log(text, "fuzz")
    except InputError as exc:
        assert exc.source == "fuzz"
        assert exc.problem
        return
    assert isinstance(log, BootLog)
    starts = [d.start for d in log.efi_map]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(log.efi_map, log.efi_map[1:], strict=False))
    with contextlib.suppress(InputError):
        parse_meminfo(text, "fuzz")
