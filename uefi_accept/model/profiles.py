"""Firmware and kernel profiles: what each side of the hand-over does.

Frozen msgspec Structs, checked for consistency on construction. Reading them
from TOML or JSON files is `uefi_accept.inputs.profile_files`.
"""

from __future__ import annotations

import enum
import re

import msgspec

from uefi_accept.model.scenario import LARGE_PAGE, SMALL_PAGE, Platform
from uefi_accept.units import GiB, MiB, below_minimum, format_size, parse_size

# The firmware needs some accepted RAM of its own (HOBs, DXE pool, page tables);
# td-shim's lazy-accept mode, the smallest real pre-acceptance, keeps 256 MiB.
MIN_PRE_ACCEPT = 64 * MiB


class HandOver(enum.StrEnum):
    # Accepts everything before hand-over (edk2-stable202202 SNP).
    NEVER = "never"
    # Type 15 only for loaders that call AllowUnacceptedMemory(); otherwise
    # AmdSevDxe accepts it all at ExitBootServices (edk2-stable202302).
    OPT_IN = "opt-in"
    # Type 15 for everyone (TDX since edk2-stable202211; SNP "far future").
    ALWAYS = "always"


class PreAccept(enum.StrEnum):
    ALL = "all"
    BELOW_4G = "below-4g"  # OvmfPkg/PlatformPei/AmdSev.c, TdxHelperLib


class PageSize(enum.StrEnum):
    SMALL = "4K"
    LARGE = "2M"

    @property
    def bytes(self) -> int:
        return SMALL_PAGE if self is PageSize.SMALL else LARGE_PAGE


class AcceptVcpus(enum.StrEnum):
    BSP = "bsp"  # one vCPU validates (SNP PEI)
    ALL = "all"  # spread over every vCPU (TDX SEC)


class AcceptMemory(enum.StrEnum):
    LAZY = "lazy"  # accept_memory=lazy, the default since 6.5
    EAGER = "eager"


class SwiotlbConversion(enum.StrEnum):
    """When mem_encrypt_init()'s SWIOTLB buffer is converted to shared (TDX)."""

    # Before SMP bring-up, from arch_cpu_finalize_init() (start_kernel() up to
    # 6.4): every upstream kernel since TDX guest support (968b493173ac, 5.19).
    EARLY = "early"
    # At fs_initcall_sync, APs halted outside the TD (Dstack patch 0010, out of tree).
    DEFERRED = "deferred"


class TableReservation(enum.StrEnum):
    """How reserve_unaccepted() keeps the unaccepted table from the allocator."""

    # 6.5: memblock_reserve() of exactly the table's bytes (in EFI loader data).
    EXACT = "exact"
    # 6.6 (8dbe33956d96) .. 6.19: memblock_add/reserve from the table's page
    # with PAGE_ALIGN(size), forgetting the table's offset in its page: a tail
    # crossing into the next page is left unmapped.
    PAGE_ALIGNED_SIZE = "page-aligned-size"
    # 7.0 (0862438c9048, also 6.18.14 and 6.12.75): from the page start to
    # PAGE_ALIGN(start + size).
    FIXED = "fixed"


def _size_field(value: str, field: str) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


class ProfileProblems(ValueError):
    """Every inconsistency of a profile at once, each "field: problem", so a
    user fixes a file in one round (the reader names them all in one line)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _raise(problems: list[str]) -> None:
    if problems:
        raise ProfileProblems(problems)


class FirmwareProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the firmware accepts and how it hands the rest over."""

    name: str
    description: str
    platforms: list[Platform]
    # `all`, `below-4g`, or a size accepted from address 0 up (td-shim: 256M).
    pre_accept: str
    handover: HandOver
    accept_page_size: PageSize = PageSize.LARGE
    accept_vcpus: AcceptVcpus = AcceptVcpus.BSP

    def __post_init__(self) -> None:
        problems = _name_problems(self.name)
        if not self.platforms:
            problems.append("platforms: must name at least one of snp, tdx")
        if self.pre_accept_mode is None:
            try:
                size = parse_size(self.pre_accept)
            except ValueError as exc:
                problems.append(f"pre_accept: {exc}")
            else:
                low = below_minimum(
                    self.pre_accept, size, MIN_PRE_ACCEPT, "the firmware needs for itself"
                )
                if low:
                    problems.append(f"pre_accept: {low}")
        if self.handover == HandOver.NEVER and self.pre_accept != PreAccept.ALL:
            problems.append(
                "handover: 'never' hands no unaccepted memory over, so pre_accept must be 'all'"
            )
        if self.handover == HandOver.OPT_IN and Platform.TDX in self.platforms:
            # The opt-in protocol is SEV-only (OvmfPkg SevMemoryAcceptance.h); TDX has none.
            problems.append("handover: 'opt-in' needs the SEV acceptance protocol; tdx has none")
        _raise(problems)

    @property
    def accept_page_bytes(self) -> int:
        return PageSize(self.accept_page_size).bytes

    @property
    def pre_accept_mode(self) -> PreAccept | None:
        """ALL or BELOW_4G, or None when pre_accept is a size."""
        try:
            return PreAccept(self.pre_accept)
        except ValueError:
            return None

    @property
    def pre_accept_bytes(self) -> int | None:
        """Bytes pre-accepted from address 0, or None for `all` / `below-4g`."""
        if self.pre_accept_mode is not None:
            return None
        return _size_field(self.pre_accept, "pre_accept")


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+:-]{0,63}$")
# ASCII digits, bounded: int() of a 5000-digit "version" would fail (and "٦" is a \d).
_VERSION = re.compile(r"[0-9]{1,4}(\.[0-9]{1,6}){0,2}([.+-][0-9A-Za-z._+-]{0,64})?")


def _name_problems(name: str) -> list[str]:
    # Names appear in tables, file names and mail replies: plain ASCII only.
    if _NAME.fullmatch(name):
        return []
    shown = repr(name) if len(name) <= 40 else repr(name[:37]) + "..."
    return [f"name: {shown} is not a profile name (letters, digits, . _ + : -; up to 64)"]


class KernelProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the kernel (and its EFI stub) understands of unaccepted memory."""

    name: str
    description: str
    # CONFIG_UNACCEPTED_MEMORY and a kernel that has it (Linux 6.5+).
    unaccepted_memory: bool
    # The stub calls AllowUnacceptedMemory() (libstub/x86-stub.c setup_unaccepted_memory).
    calls_protocol: bool
    accept_memory: AcceptMemory = AcceptMemory.LAZY
    # An empty list is a kernel built without SNP or TDX guest support: it dies at entry.
    platforms: list[Platform]
    # Free memory needed to reach a usable userspace.
    min_memory: str = "512M"
    # Decompressed kernel image plus bss and initramfs room, from LOAD_PHYSICAL_ADDR.
    image_size: str = "48M"
    efi_stub: bool = True
    version: str | None = None
    # Linux 6.14 (800f1059c99e "fix memory accept before watermarks gets
    # initialized", also in stable trees that took it): until
    # init_per_zone_wmark_min() the watermarks are zero and cond_accept_memory()
    # accepts a MAX_ORDER block on every allocation (Dstack PR 1220). Dstack's
    # patch 0009 (out of tree) keeps an accepted reserve instead.
    accept_storm: bool = False
    # Linux 6.14 before 4067196a5227 (6.15): accepting the last unaccepted page
    # during CPU bring-up calls static_branch_dec() under cpu_hotplug_lock and
    # deadlocks (LKML 2025-03-25, SNP guests hang with certain vCPU/memory sizes).
    hotplug_accept_deadlock: bool = False
    swiotlb_conversion: SwiotlbConversion = SwiotlbConversion.EARLY
    table_reservation: TableReservation = TableReservation.FIXED

    def __post_init__(self) -> None:
        problems = _name_problems(self.name)
        if self.version is not None and not _VERSION.fullmatch(self.version):
            shown = repr(self.version) if len(self.version) <= 40 else repr(self.version[:37])
            problems.append(f"version: {shown} is not a kernel version (e.g. 6.8.0)")
        if self.hotplug_accept_deadlock and not self.accept_storm:
            problems.append(
                "hotplug_accept_deadlock: only a kernel with accept_storm accepts during bring-up"
            )
        if self.calls_protocol and not self.unaccepted_memory:
            problems.append(
                "calls_protocol: a kernel without unaccepted_memory support never calls it"
            )
        for field in ("min_memory", "image_size"):
            try:
                size = parse_size(getattr(self, field))
            except ValueError as exc:
                problems.append(f"{field}: {exc}")
                continue
            if field == "image_size" and size > 1 * GiB:
                problems.append(f"image_size: {format_size(size)} is not a kernel image size")
        _raise(problems)

    @property
    def min_memory_bytes(self) -> int:
        return parse_size(self.min_memory)

    @property
    def image_bytes(self) -> int:
        return parse_size(self.image_size)

    @property
    def version_tuple(self) -> tuple[int, int] | None:
        if self.version is None:
            return None
        major, _, rest = self.version.partition(".")
        minor = re.match(r"\d*", rest)
        return int(major), int(minor.group(0) or 0) if minor else 0


Profile = FirmwareProfile | KernelProfile


def profile_to_dict(profile: Profile) -> dict[str, object]:
    return msgspec.to_builtins(profile)  # type: ignore[no-any-return]
