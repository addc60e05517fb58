"""Firmware and kernel profiles: what each side of the hand-over does.

Frozen msgspec Structs, checked for consistency on construction. Reading them
from TOML or JSON files is `uefi_accept.inputs.profile_files`.
"""

from __future__ import annotations

import enum
import re

import msgspec

from uefi_accept.model.scenario import LARGE_PAGE, SMALL_PAGE, Platform
from uefi_accept.units import GiB, MiB, parse_size

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


def _size_field(value: str, field: str) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


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
        _check_name(self.name)
        if not self.platforms:
            raise ValueError("platforms: must name at least one of snp, tdx")
        size = self.pre_accept_bytes
        if size is not None and size < MIN_PRE_ACCEPT:
            raise ValueError(
                f"pre_accept: {self.pre_accept} is below the {MIN_PRE_ACCEPT >> 20} MiB "
                "the firmware needs for itself"
            )
        if self.handover == HandOver.NEVER and self.pre_accept != PreAccept.ALL:
            raise ValueError(
                "handover: 'never' hands no unaccepted memory over, so pre_accept must be 'all'"
            )
        if self.handover == HandOver.OPT_IN and Platform.TDX in self.platforms:
            # The opt-in protocol is SEV-only (OvmfPkg SevMemoryAcceptance.h); TDX has none.
            raise ValueError("handover: 'opt-in' needs the SEV acceptance protocol; tdx has none")

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
_VERSION = re.compile(r"^\d+(\.\d+){0,2}([.+-][0-9A-Za-z._+-]*)?$")


def _check_name(name: str) -> None:
    # Names appear in tables, file names and mail replies: plain ASCII only.
    if not _NAME.match(name):
        raise ValueError(
            f"name: {name!r} is not a profile name (letters, digits, . _ + : -; up to 64)"
        )


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

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.version is not None and not _VERSION.match(self.version):
            raise ValueError(f"version: {self.version!r} is not a kernel version (e.g. 6.8.0)")
        if self.calls_protocol and not self.unaccepted_memory:
            raise ValueError(
                "calls_protocol: a kernel without unaccepted_memory support never calls it"
            )
        _size_field(self.min_memory, "min_memory")
        if _size_field(self.image_size, "image_size") > 1 * GiB:
            raise ValueError(f"image_size: {self.image_size} is not a kernel image size")

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
