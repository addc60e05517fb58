"""Firmware and kernel profiles: what each side of the hand-over does.

Profiles are TOML (or JSON) files validated by msgspec into frozen Structs.
Built-ins ship in `uefi_accept/profiles/`; users pass a path wherever a
built-in name is accepted.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import msgspec

from uefi_accept.errors import InputError
from uefi_accept.units import GiB, MiB, parse_size

Platform = Literal["snp", "tdx"]
PLATFORMS: tuple[str, ...] = ("snp", "tdx")
PageSize = Literal["4K", "2M"]
PAGE_BYTES = {"4K": 4096, "2M": 2 * MiB}

# The firmware needs some accepted RAM of its own (HOBs, DXE pool, page tables);
# td-shim's lazy-accept mode, the smallest real pre-acceptance, keeps 256 MiB.
MIN_PRE_ACCEPT = 64 * MiB


def _size_field(value: str | int, field: str) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


class FirmwareProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the firmware accepts and how it hands the rest over."""

    name: str
    description: str
    platforms: list[Platform]
    # `all`, `below-4g`, or a size accepted from address 0 up
    # (OvmfPkg/PlatformPei/AmdSev.c, TdxHelperLib; td-shim: 256M).
    pre_accept: str
    # never: accepts everything before hand-over (edk2-stable202202 SNP);
    # opt-in: type 15 only for loaders that call AllowUnacceptedMemory(),
    #   otherwise AmdSevDxe accepts it all at ExitBootServices (edk2-stable202302);
    # always: type 15 for everyone (TDX since edk2-stable202211; SNP "far future").
    handover: Literal["never", "opt-in", "always"]
    accept_page_size: PageSize = "2M"
    # bsp: one vCPU validates (SNP PEI); all: spread over every vCPU (TDX SEC).
    accept_vcpus: Literal["bsp", "all"] = "bsp"

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not self.platforms:
            raise ValueError("platforms: must name at least one of snp, tdx")
        if self.pre_accept not in ("all", "below-4g"):
            size = _size_field(self.pre_accept, "pre_accept")
            if size < MIN_PRE_ACCEPT:
                raise ValueError(
                    f"pre_accept: {self.pre_accept} is below the {MIN_PRE_ACCEPT >> 20} MiB "
                    "the firmware needs for itself"
                )
        if self.handover == "never" and self.pre_accept != "all":
            raise ValueError(
                "handover: 'never' hands no unaccepted memory over, so pre_accept must be 'all'"
            )
        if self.handover == "opt-in" and "tdx" in self.platforms:
            # The opt-in protocol is SEV-only (OvmfPkg SevMemoryAcceptance.h); TDX has none.
            raise ValueError("handover: 'opt-in' needs the SEV acceptance protocol; tdx has none")

    def pre_accept_bytes(self) -> int | None:
        """Bytes pre-accepted from address 0, or None for `all` / `below-4g`."""
        if self.pre_accept in ("all", "below-4g"):
            return None
        return parse_size(self.pre_accept)


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
    accept_memory: Literal["lazy", "eager"] = "lazy"
    platforms: list[Platform]
    # Free memory needed to reach a usable userspace.
    min_memory: str = "512M"
    # Decompressed kernel image plus bss and initramfs room, from LOAD_PHYSICAL_ADDR.
    image_size: str = "48M"
    efi_stub: bool = True
    version: str | None = None

    def __post_init__(self) -> None:
        # An empty `platforms` is allowed: a kernel built without SNP or TDX
        # guest support, which the engine boots into a crash.
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


Profile = FirmwareProfile | KernelProfile
KIND_CLASS: dict[str, type[FirmwareProfile] | type[KernelProfile]] = {
    "firmware": FirmwareProfile,
    "kernel": KernelProfile,
}
KIND_OPTION = {"firmware": "--fw", "kernel": "--kernel"}

_AT_FIELD = re.compile(r"^(?P<msg>.*?)(?: - at `\$\.?(?P<field>[^`]*)`)?$")


def profile_from_data(data: Any, kind: str, source: str) -> Profile:
    """Validate decoded data as a profile; errors name the source and field."""
    cls = KIND_CLASS[kind]
    if not isinstance(data, dict):
        raise InputError(f"a {kind} profile must be a table of fields", source=source)
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError as exc:
        text = str(exc)
        m = _AT_FIELD.match(text)
        field = m.group("field") if m and m.group("field") else None
        msg = m.group("msg") if m else text
        if field is None and ": " in msg and msg.split(": ", 1)[0].isidentifier():
            field, msg = msg.split(": ", 1)
        missing = re.match(r"Object missing required field `(\w+)`", msg)
        if missing:
            field, msg = missing.group(1), "required field is missing"
        unknown = re.match(r"Object contains unknown field `(\w+)`", msg)
        if unknown:
            field, msg = unknown.group(1), f"unknown field for a {kind} profile"
        raise InputError(msg, source=source, field=field) from None


def load_profile_file(path: Path, kind: str) -> Profile:
    from uefi_accept.options import read_input_bytes

    source = str(path)
    raw = read_input_bytes(source, limit=1 << 20)
    if kind == "firmware" and _is_kernel_config(path, raw):
        raise InputError(
            "this is a kernel .config, not a firmware profile (give it to --kernel-config)",
            source=source,
        )
    if kind == "kernel" and _is_kernel_config(path, raw):
        from uefi_accept.kconfig import kernel_fields_from_config

        text = raw.decode("utf-8", errors="replace")
        return profile_from_data(kernel_fields_from_config(text, source), kind, source)
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"malformed profile: {exc}", source=source) from None
    return profile_from_data(data, kind, source)


def _is_kernel_config(path: Path, raw: bytes) -> bool:
    """A kernel .config or fragment rather than a profile file."""
    if path.suffix in (".toml", ".json"):
        return False
    return (
        path.name.endswith((".config", ".cfg", ".conf"))
        or re.search(rb"^(# )?CONFIG_[A-Z0-9_]+[= ]", raw, re.M) is not None
    )


def kernel_profile_from_config(path: Path, version: str | None = None) -> KernelProfile:
    """A kernel profile from a .config (--kernel-config); `version` overrides its header."""
    from uefi_accept.kconfig import kernel_fields_from_config
    from uefi_accept.options import read_input_bytes

    source = str(path)
    text = read_input_bytes(source, limit=16 << 20).decode("utf-8", errors="replace")
    fields = kernel_fields_from_config(text, source, version=version)
    return profile_from_data(fields, "kernel", source)  # type: ignore[return-value]


def _builtin_dir(kind: str) -> Any:
    return resources.files("uefi_accept").joinpath("profiles", kind)


def builtin_profiles(kind: str) -> list[Profile]:
    """Every built-in profile of a kind, in file-name order."""
    files = sorted(
        (f for f in _builtin_dir(kind).iterdir() if f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    return [
        profile_from_data(tomllib.loads(f.read_text("utf-8")), kind, f"builtin:{kind}/{f.name}")
        for f in files
    ]


FIRMWARE_ORDER = ("deployed", "near-future", "far-future")
KERNEL_ORDER = ("unenlightened", "enlightened", "dropped-protocol")


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or ref.endswith((".toml", ".json")) or Path(ref).is_file()


def resolve_profile(ref: str, kind: str, platform: str) -> Profile:
    """A built-in name (for this platform) or a path to a profile file."""
    if _looks_like_path(ref):
        profile = load_profile_file(Path(ref), kind)
        source = ref
    else:
        matches = [p for p in builtin_profiles(kind) if p.name == ref]
        if not matches:
            names = ", ".join(sorted({p.name for p in builtin_profiles(kind)}))
            raise InputError(
                f"unknown {kind} profile {ref!r} (built-in: {names}; or a path to a .toml file)",
                field=KIND_OPTION[kind],
            )
        on_platform = [p for p in matches if platform in p.platforms]
        if not on_platform:
            raise InputError(
                f"built-in {kind} profile {ref!r} has no {platform} variant",
                field=KIND_OPTION[kind],
            )
        return on_platform[0]
    if kind == "firmware" and platform not in profile.platforms:
        raise InputError(
            f"this firmware does not run on {platform} (platforms: {', '.join(profile.platforms)})",
            source=source,
            field="platforms",
        )
    return profile


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    return msgspec.to_builtins(profile)
