"""Profile files: the built-ins shipped in the package, and users' TOML or JSON
files (or kernel .configs), validated into the model's profile records with
errors that name the file and the field."""

from __future__ import annotations

import os
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from uefi_accept.errors import InputError
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile, Profile
from uefi_accept.model.scenario import Platform

KIND_CLASS: dict[str, type[FirmwareProfile] | type[KernelProfile]] = {
    "firmware": FirmwareProfile,
    "kernel": KernelProfile,
}
KIND_OPTION = {"firmware": "--fw", "kernel": "--kernel"}
FIRMWARE_ORDER = ("deployed", "near-future", "far-future")
KERNEL_ORDER = ("unenlightened", "enlightened", "dropped-protocol")
MAX_PROFILE_BYTES = 1 << 20

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
    from uefi_accept.inputs.files import read_input_bytes

    source = str(path)
    raw = read_input_bytes(source, limit=MAX_PROFILE_BYTES)
    if kind == "firmware" and _is_kernel_config(path, raw):
        raise InputError(
            "this is a kernel .config, not a firmware profile (give it to --kernel-config)",
            source=source,
        )
    if kind == "kernel" and _is_kernel_config(path, raw):
        from uefi_accept.inputs.kconfig import kernel_fields_from_config

        text = raw.decode("utf-8", errors="replace")
        return profile_from_data(kernel_fields_from_config(text, source), kind, source)
    import json

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
    from uefi_accept.inputs.files import read_input_bytes
    from uefi_accept.inputs.kconfig import kernel_fields_from_config

    source = str(path)
    text = read_input_bytes(source, limit=16 << 20).decode("utf-8", errors="replace")
    fields = kernel_fields_from_config(text, source, version=version)
    return profile_from_data(fields, "kernel", source)  # type: ignore[return-value]


# The built-ins ship as package data beside the code (uefi_accept/profiles/KIND/).
BUILTIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "profiles")


@cache
def _builtin_file(kind: str, file_name: str) -> Profile:
    with open(os.path.join(BUILTIN_DIR, kind, file_name), "rb") as fh:
        data = tomllib.load(fh)
    return profile_from_data(data, kind, f"builtin:{kind}/{file_name}")


@cache
def builtin_profiles(kind: str) -> tuple[Profile, ...]:
    """Every built-in profile of a kind, in file-name order."""
    names = sorted(f for f in os.listdir(os.path.join(BUILTIN_DIR, kind)) if f.endswith(".toml"))
    return tuple(_builtin_file(kind, f) for f in names)


def builtin(kind: str, name: str, platform: Platform) -> Profile | None:
    """A built-in by name for a platform. Files are named NAME.toml or
    NAME-PLATFORM.toml, so only the candidates are read."""
    for file_name in (f"{name}-{platform}.toml", f"{name}.toml"):
        if os.path.exists(os.path.join(BUILTIN_DIR, kind, file_name)):
            p = _builtin_file(kind, file_name)
            if p.name == name and platform in p.platforms:
                return p
    return next(
        (p for p in builtin_profiles(kind) if p.name == name and platform in p.platforms), None
    )


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or ref.endswith((".toml", ".json")) or Path(ref).is_file()


def resolve_profile(ref: str, kind: str, platform: Platform) -> Profile:
    """A built-in name (for this platform) or a path to a profile file."""
    if not _looks_like_path(ref):
        found = builtin(kind, ref, platform)
        if found is not None:
            return found
        names = sorted({p.name for p in builtin_profiles(kind)})
        if ref in names:
            raise InputError(
                f"built-in {kind} profile {ref!r} has no {platform} variant",
                field=KIND_OPTION[kind],
            )
        raise InputError(
            f"unknown {kind} profile {ref!r} (built-in: {', '.join(names)}; "
            "or a path to a .toml file)",
            field=KIND_OPTION[kind],
        )
    profile = load_profile_file(Path(ref), kind)
    if isinstance(profile, FirmwareProfile) and platform not in profile.platforms:
        raise InputError(
            f"this firmware does not run on {platform} (platforms: {', '.join(profile.platforms)})",
            source=ref,
            field="platforms",
        )
    return profile
