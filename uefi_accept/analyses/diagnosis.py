"""Summary and diagnosis of one boot log: who got the unaccepted memory.

Pure: `inspect_boot_log` returns data, the renderers return strings.

How memory is lost or kept (shared/DOMAIN.md, "Kernel side"):
- The EFI stub builds e820 from the EFI map (libstub/x86-stub.c, setup_e820).
  With unaccepted memory support, type 15 becomes E820_TYPE_RAM ("usable") and
  is recorded in the bitmap; without it (before 6.5, or built without
  CONFIG_UNACCEPTED_MEMORY) the entry hits ``default: continue`` and is left out:
  lost to the guest, no crash.
- A boot loader that builds e820 itself may pass type 15 on as usable RAM to a
  kernel without support: the first touch of such a page is fatal.
"""

from __future__ import annotations

import bisect
import enum
import re
import shlex
from dataclasses import dataclass
from typing import Any

from uefi_accept.inputs.bootlog import (
    BootLog,
    E820Entry,
    E820Kind,
    LogWarning,
    kernel_version_tuple,
)
from uefi_accept.inputs.documents import InspectDoc, LogWarningDoc, to_data
from uefi_accept.model.memmap import LINUX_TYPE_NAMES, RAM_TYPES, EfiMemoryType, MemoryDescriptor
from uefi_accept.units import format_size

SUPPORT_SINCE = (6, 5, 0)  # unaccepted memory support landed in Linux 6.5

# EFI types that are DRAM the guest owns, whoever uses it: what "RAM" means in
# "lost N% of RAM". Reserved, MMIO and persistent ranges are not counted (an
# SNP guest's map has a 12 GiB Reserved hole at 0xfd00000000, for example).
EFI_RAM_TYPES = RAM_TYPES | {
    EfiMemoryType.UNACCEPTED,
    EfiMemoryType.RUNTIME_SERVICES_CODE,
    EfiMemoryType.RUNTIME_SERVICES_DATA,
    EfiMemoryType.ACPI_RECLAIM,
    EfiMemoryType.ACPI_NVS,
}
E820_RAM_KINDS = frozenset({E820Kind.USABLE, E820Kind.ACPI_DATA, E820Kind.ACPI_NVS})


class Verdict(enum.Enum):
    HEALTHY_LAZY = "healthy-lazy"  # type 15 handed over, all of it taken
    LOST_MEMORY = "lost-memory"  # type 15 handed over, some of it not taken
    CRASH_RISK = "crash-risk"  # type 15 in e820 as RAM for a kernel without support
    ACCEPTED_BY_FIRMWARE = "accepted-by-firmware"  # CC guest, no type 15 in the map
    NO_UNACCEPTED = "no-unaccepted"  # ordinary guest or host, no type 15
    UNKNOWN = "unknown"  # the log does not say enough


@dataclass(frozen=True)
class InspectReport:
    source: str
    verdict: Verdict
    diagnosis: str
    platform: str | None
    kernel_version: str | None
    firmware: str | None
    accept_memory: str | None  # accept_memory= on the command line, if given
    ram_basis: str | None  # "efi" or "e820": where ram_by_type comes from
    ram_by_type: tuple[tuple[str, int], ...]
    ram_bytes: int | None
    unaccepted_bytes: int | None
    usable_bytes: int | None
    usable_basis: str | None  # "e820", "memory-line" or "meminfo"
    lost_bytes: int | None
    kernel_supports_unaccepted: bool | None
    unsupported_message: bool
    memory_line_total: int | None
    meminfo_total: int | None
    meminfo_unaccepted: int | None
    warnings: tuple[LogWarning, ...]
    # For lost memory or a crash risk: the kernel or firmware change that fixes
    # it, and the `uefi-accept run` command that shows this log's map booted so.
    remedy: str | None = None
    remedy_command: str | None = None

    @property
    def needs_remedy(self) -> bool:
        """`inspect` exits 1: memory was lost, or the guest may crash."""
        return self.verdict in (Verdict.LOST_MEMORY, Verdict.CRASH_RISK)

    def to_doc(self) -> InspectDoc:
        """The `inspect --format json` document: enums as strings, sizes in bytes."""
        return InspectDoc(
            accept_memory=self.accept_memory,
            diagnosis=self.diagnosis,
            firmware=self.firmware,
            kernel_supports_unaccepted=self.kernel_supports_unaccepted,
            kernel_version=self.kernel_version,
            kind="inspect",
            lost_bytes=self.lost_bytes,
            meminfo_total_bytes=self.meminfo_total,
            meminfo_unaccepted_bytes=self.meminfo_unaccepted,
            memory_line_total_bytes=self.memory_line_total,
            platform=self.platform,
            ram_basis=self.ram_basis,  # type: ignore[arg-type]
            ram_by_type=dict(sorted(self.ram_by_type)),
            ram_bytes=self.ram_bytes,
            remedy=self.remedy,
            remedy_command=self.remedy_command,
            schema_version=1,
            source=self.source,
            unaccepted_bytes=self.unaccepted_bytes,
            unsupported_message=self.unsupported_message,
            usable_basis=self.usable_basis,  # type: ignore[arg-type]
            usable_bytes=self.usable_bytes,
            verdict=self.verdict.value,  # type: ignore[arg-type]
            warnings=[LogWarningDoc(line=w.line, message=w.message) for w in self.warnings],
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, keys sorted: the document as builtins."""
        return dict(sorted(to_data(self.to_doc()).items()))


# --------------------------------------------------------------------------
# Range arithmetic


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def covered_bytes(ranges: list[tuple[int, int]], cover: list[tuple[int, int]]) -> int:
    """Bytes of `ranges` (disjoint) that lie inside the union of `cover`."""
    merged = _merge(cover)
    starts = [s for s, _ in merged]
    total = 0
    for start, end in ranges:
        i = max(bisect.bisect_right(starts, start) - 1, 0)
        while i < len(merged) and merged[i][0] < end:
            lo, hi = max(start, merged[i][0]), min(end, merged[i][1])
            if hi > lo:
                total += hi - lo
            i += 1
    return total


def _accept_memory_param(cmdline: str | None) -> str | None:
    # accept_memory=lazy|eager (mm/mm_init.c, 6.5); the last one given wins.
    if not cmdline:
        return None
    found = re.findall(r"(?:^|\s)accept_memory=(\S+)", cmdline)
    return found[-1] if found else None


def _pct(part: int, whole: int | None) -> str:
    if not whole:
        return ""
    return f" ({round(part * 100 / whole)}% of RAM)"


# --------------------------------------------------------------------------
# Diagnosis


def inspect_boot_log(log: BootLog) -> InspectReport:
    """Summarise a parsed boot log and say what happened to unaccepted memory."""
    efi: tuple[MemoryDescriptor, ...] = log.efi_map
    e820: tuple[E820Entry, ...] = log.e820

    by_type: dict[str, int] = {}
    ram_basis: str | None = None
    ram_bytes: int | None = None
    if efi:
        ram_basis = "efi"
        for d in efi:
            name = LINUX_TYPE_NAMES[d.type]
            by_type[name] = by_type.get(name, 0) + d.size
        ram_bytes = sum(d.size for d in efi if d.type in EFI_RAM_TYPES)
    elif e820:
        ram_basis = "e820"
        for e in e820:
            name = e.kind.value if e.type_number is None else f"{e.kind.value} {e.type_number}"
            by_type[name] = by_type.get(name, 0) + e.size
        ram_bytes = sum(e.size for e in e820 if e.kind in E820_RAM_KINDS)

    unaccepted_ranges = [(d.start, d.end) for d in efi if d.type is EfiMemoryType.UNACCEPTED]
    unaccepted: int | None = sum(e - s for s, e in unaccepted_ranges) if efi else None

    usable: int | None = None
    usable_basis: str | None = None
    usable_ranges = [(e.start, e.end) for e in e820 if e.kind is E820Kind.USABLE]
    if e820:
        usable, usable_basis = sum(e - s for s, e in usable_ranges), "e820"
    elif log.memory_line is not None:
        usable, usable_basis = log.memory_line.total, "memory-line"
    elif log.meminfo is not None and log.meminfo.mem_total is not None:
        usable, usable_basis = log.meminfo.mem_total, "meminfo"

    vt = kernel_version_tuple(log.kernel_version)
    meminfo_unaccepted = log.meminfo.unaccepted if log.meminfo else None

    # How much of the type-15 memory the kernel took, and how we know.
    lost: int | None = None
    taken: int | None = None
    if unaccepted is not None and unaccepted > 0:
        if e820:
            taken = covered_bytes(unaccepted_ranges, usable_ranges)
            lost = unaccepted - taken
        elif log.unaccepted_unsupported:
            lost, taken = unaccepted, 0  # the stub skipped every type-15 entry
        elif log.memory_line is not None:
            # No e820 in the log: compare what memblock counted with what the
            # firmware described as RAM the kernel could take.
            offered = sum(d.size for d in efi if d.type in RAM_TYPES) + unaccepted
            missing = max(0, offered - log.memory_line.total)
            lost = min(unaccepted, missing) if missing * 2 >= unaccepted else 0
            taken = unaccepted - lost
    elif unaccepted == 0:
        lost = 0

    # Support only where the log shows it: a 6.5+ kernel may still be built
    # without CONFIG_UNACCEPTED_MEMORY, which shows only when type 15 arrives.
    supports: bool | None = None
    if log.unaccepted_unsupported or (vt is not None and vt < SUPPORT_SINCE):
        supports = False
    elif meminfo_unaccepted is not None:
        supports = True  # fs/proc/meminfo.c prints "Unaccepted:" only with the option
    elif taken and (vt is None or vt >= SUPPORT_SINCE):
        supports = True  # the stub turned type 15 into RAM

    verdict, diagnosis = _diagnose(
        log, unaccepted, lost, taken, ram_bytes, supports, vt, usable, meminfo_unaccepted
    )
    # A map that does not start at address 0 is an excerpt (every firmware map
    # and e820 table begins at 0): its RAM is only what the excerpt lists.
    first = efi[0].start if efi else min((e.start for e in e820), default=0)
    if ram_bytes is not None and first > 0:
        table = "EFI memory map" if efi else "e820 table"
        diagnosis += (
            f" The {table} starts at {first:#x}, not 0: the log holds part of it, so RAM "
            f"counts only the {format_size(ram_bytes)} it lists."
        )
    remedy = _remedy(log, verdict, supports, vt)
    command = _remedy_command(log, verdict) if remedy is not None else None
    return InspectReport(
        source=log.source,
        verdict=verdict,
        diagnosis=diagnosis,
        platform=log.platform,
        kernel_version=log.kernel_version,
        firmware=log.firmware,
        accept_memory=_accept_memory_param(log.command_line),
        ram_basis=ram_basis,
        ram_by_type=tuple(sorted(by_type.items())),
        ram_bytes=ram_bytes,
        unaccepted_bytes=unaccepted,
        usable_bytes=usable,
        usable_basis=usable_basis,
        lost_bytes=lost,
        kernel_supports_unaccepted=supports,
        unsupported_message=log.unaccepted_unsupported,
        memory_line_total=log.memory_line.total if log.memory_line else None,
        meminfo_total=log.meminfo.mem_total if log.meminfo else None,
        meminfo_unaccepted=meminfo_unaccepted,
        warnings=log.warnings,
        remedy=remedy,
        remedy_command=command,
    )


def _diagnose(
    log: BootLog,
    unaccepted: int | None,
    lost: int | None,
    taken: int | None,
    ram: int | None,
    supports: bool | None,
    vt: tuple[int, int, int] | None,
    usable: int | None,
    meminfo_unaccepted: int | None,
) -> tuple[Verdict, str]:
    fs = format_size
    if unaccepted is None:
        if log.unaccepted_unsupported:
            return Verdict.LOST_MEMORY, (
                "This kernel does not support unaccepted memory and the firmware handed "
                "some over: that memory is lost to the guest. Boot with efi=debug to see "
                "how much (the type 15 ranges of the EFI memory map)."
            )
        if usable is not None:
            return Verdict.UNKNOWN, (
                "The log has no EFI memory map (boot with efi=debug), so unaccepted memory "
                f"cannot be measured; the kernel can use {fs(usable)}."
            )
        return Verdict.UNKNOWN, (
            "The log has no EFI memory map, e820 table or Memory: line, so nothing can "
            "be said about unaccepted memory."
        )

    if unaccepted == 0:
        if log.platform in ("snp", "tdx"):
            return Verdict.ACCEPTED_BY_FIRMWARE, (
                "The firmware accepted everything before handing over: no unaccepted "
                "memory in the map."
            )
        return Verdict.NO_UNACCEPTED, (
            "No unaccepted memory in the EFI map: nothing for the kernel to accept."
        )

    if lost is None:
        return Verdict.UNKNOWN, (
            f"The firmware handed over {fs(unaccepted)} as unaccepted memory (type 15); "
            "the log has no e820 table or Memory: line, so whether the kernel took it "
            "is unknown."
        )

    if lost > 0:
        if supports is False:
            why = "this kernel does not support unaccepted memory"
            if log.kernel_version and vt is not None and vt < SUPPORT_SINCE:
                why = f"kernel {log.kernel_version} predates unaccepted memory support (6.5)"
        else:
            why = "the kernel's memory map (e820) leaves it out"
        return Verdict.LOST_MEMORY, (
            f"The guest lost {fs(lost)}{_pct(lost, ram)}: the firmware handed it over as "
            f"unaccepted memory (type 15) and {why}."
        )

    # Everything was taken into e820 (or memblock).
    if supports is False and not log.unaccepted_unsupported and taken:
        return Verdict.CRASH_RISK, (
            f"{fs(taken)} of unaccepted memory (type 15) reached kernel "
            f"{log.kernel_version} as usable RAM, but that kernel predates unaccepted "
            "memory support (6.5): the first touch of that memory is fatal (a boot "
            "loader that builds e820 itself passed it on)."
        )
    text = (
        f"Healthy lazy acceptance: {fs(unaccepted)} handed over unaccepted, all of it "
        "usable by the kernel."
    )
    accept = _accept_memory_param(log.command_line)
    if accept == "eager":
        text += " With accept_memory=eager the kernel accepts it all during boot."
    elif meminfo_unaccepted is not None:
        text += f" {fs(meminfo_unaccepted)} was still unaccepted when /proc/meminfo was read."
    return Verdict.HEALTHY_LAZY, text


# --------------------------------------------------------------------------
# Remedy: the mechanism's fix (shared/DOMAIN.md), and a command that shows it


def _firmware_fix(platform: str | None) -> str:
    # SNP: AmdSevDxe accepts everything at ExitBootServices unless the loader
    # called AllowUnacceptedMemory() (OvmfPkg/Include/Protocol/SevMemoryAcceptance.h,
    # edk2-stable202302). TDX has no such protocol; TDVF of edk2-stable202205..202208
    # accepted all RAM, later OVMF hands RAM above 4 GiB over as type 15.
    snp = (
        "on SEV-SNP, OVMF since edk2-stable202302 accepts it at ExitBootServices for a "
        "loader that does not call AllowUnacceptedMemory() (the SEV memory acceptance "
        "protocol)"
    )
    tdx = (
        "on TDX, firmware that accepts all RAM before hand-over, as TDVF of "
        "edk2-stable202205..202208 did (later OVMF has no opt-in protocol)"
    )
    which = {"snp": snp, "tdx": tdx}.get(platform or "", f"{snp}; {tdx}")
    return (
        f"Or, where the kernel cannot change, firmware that accepts the memory itself: "
        f"{which}. Boot time then grows with RAM."
    )


def _remedy(
    log: BootLog, verdict: Verdict, supports: bool | None, vt: tuple[int, int, int] | None
) -> str | None:
    """The kernel or firmware change that ends lost memory or a crash risk."""
    if verdict not in (Verdict.LOST_MEMORY, Verdict.CRASH_RISK):
        return None
    # AMD_MEM_ENCRYPT and INTEL_TDX_GUEST select UNACCEPTED_MEMORY (arch/x86/Kconfig).
    option = "CONFIG_UNACCEPTED_MEMORY=y (AMD_MEM_ENCRYPT and INTEL_TDX_GUEST select it)"
    if verdict is Verdict.CRASH_RISK:
        # A loader that builds e820 itself passed type 15 on as RAM; the EFI stub
        # of a 6.5+ kernel records it in the unaccepted bitmap instead
        # (libstub/x86-stub.c setup_e820, libstub/unaccepted_memory.c).
        return (
            f"Boot Linux 6.5 or later built with {option} through its EFI stub, which "
            "records type 15 in the unaccepted bitmap and accepts each page before its "
            "first use; or a boot loader that does not pass type 15 on as usable RAM "
            "(current GRUB marks it reserved: no crash, but that memory is lost). "
            + _firmware_fix(log.platform)
        )
    if vt is not None and vt < SUPPORT_SINCE:
        fix = f"Boot Linux 6.5 or later built with {option}"
    elif supports is False:  # 6.5+ built without it ("does not support it")
        fix = f"Rebuild {log.kernel_version or 'this kernel'} with {option}"
    else:
        # The kernel may support it: the loader that built e820 left type 15 out
        # (GRUB: "Unknown memory type 15, considering reserved").
        fix = (
            f"Boot Linux 6.5 or later built with {option} through its EFI stub (a boot "
            "loader that builds e820 itself, as GRUB does, marks type 15 reserved)"
        )
    return (
        f"{fix}: its EFI stub turns type 15 into usable RAM and the kernel accepts it "
        "lazily (libstub/x86-stub.c setup_e820). " + _firmware_fix(log.platform)
    )


def _remedy_command(log: BootLog, verdict: Verdict) -> str | None:
    """`uefi-accept run --memmap LOG --kernel enlightened`, when the model boots
    this log's map better with it than with a kernel without support (for a
    crash risk: one given type 15 as RAM by an old boot loader). None without
    a map that can boot (no map, or part of one)."""
    # Imported here: only a log that needs a remedy pays for the engine.
    from uefi_accept.analyses.matrix import evaluate, memmap_firmware
    from uefi_accept.inputs.files import STDIN, STDIN_NAME
    from uefi_accept.inputs.profile_files import builtin
    from uefi_accept.model.firmware import handover_ram_bytes
    from uefi_accept.model.profiles import KernelProfile
    from uefi_accept.model.scenario import MIN_RAM, Loader, Platform, Scenario

    if not log.efi_map:
        return None
    ram = handover_ram_bytes(log.efi_map)
    if ram < MIN_RAM:
        return None
    # What `run --memmap` boots: the log's platform, else the default (given explicitly).
    named = log.platform if log.platform in ("snp", "tdx") else None
    platform = Platform(named) if named else Platform.SNP
    without = builtin("kernel", "unenlightened", platform)
    with_support = builtin("kernel", "enlightened", platform)
    assert isinstance(without, KernelProfile) and isinstance(with_support, KernelProfile)
    fw = memmap_firmware(platform, log.source)
    scenario = Scenario(platform=platform, ram_bytes=ram)
    loader = Loader.GRUB_LEGACY if verdict is Verdict.CRASH_RISK else Loader.EFI_STUB
    before = Scenario(platform=platform, ram_bytes=ram, loader=loader)
    now = evaluate(before, fw, without, handover_map=log.efi_map).verdict
    fixed = evaluate(scenario, fw, with_support, handover_map=log.efi_map).verdict
    if fixed.rank >= now.rank:
        return None
    path = STDIN if log.source == STDIN_NAME else log.source
    args = ["uefi-accept", "run", "--memmap", path]
    if not named:
        args += ["--platform", str(platform)]
    return shlex.join([*args, "--kernel", "enlightened"])
