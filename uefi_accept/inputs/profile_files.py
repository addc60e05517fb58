"""Profile files: the built-ins shipped in the package, and users' TOML or JSON
files (or kernel .configs), validated into the model's profile records with
errors that name the file and the field."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, get_args

import msgspec

from uefi_accept.errors import InputError
from uefi_accept.inputs.files import (
    MAX_KCONFIG_BYTES,
    MAX_PROFILE_BYTES,
    read_input_bytes,
    source_name,
)
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile, Profile, ProfileProblems
from uefi_accept.model.scenario import Platform

KIND_CLASS: dict[str, type[FirmwareProfile] | type[KernelProfile]] = {
    "firmware": FirmwareProfile,
    "kernel": KernelProfile,
}
KIND_OPTION = {"firmware": "--fw", "kernel": "--kernel"}
FIRMWARE_ORDER = ("deployed", "near-future", "far-future")
KERNEL_ORDER = ("unenlightened", "enlightened", "dropped-protocol")

# Sizes may be written as integers (bytes) in TOML and JSON, as the README says.
SIZE_FIELDS = frozenset({"pre_accept", "min_memory", "image_size"})
# A message names at most this many problems (a file of garbage has thousands).
MAX_PROBLEMS = 5

_AT_PATH = re.compile(r" - at `\$(?P<path>[^`]{0,200})`$")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def profile_from_data(data: Any, kind: str, source: str) -> Profile:
    """Validate decoded data as a profile; every problem is named at once, in
    one InputError that names the source and, for a single problem, the field."""
    cls = KIND_CLASS[kind]
    if not isinstance(data, dict):
        raise InputError(f"a {kind} profile must be a table of fields", source=source)
    data = {k: str(v) if k in SIZE_FIELDS and type(v) is int else v for k, v in data.items()}
    _check_other_kind(data, kind, source)
    problems = _field_problems(data, cls, kind)
    if not problems:
        try:
            return msgspec.convert(data, cls)
        except msgspec.ValidationError as exc:
            problems = _consistency_problems(exc)
    raise problems_error(problems, source)


def _check_other_kind(data: dict[str, Any], kind: str, source: str) -> None:
    """A kernel profile given as firmware (or the other way round) says so."""
    other = "kernel" if kind == "firmware" else "firmware"
    mine = {f.encode_name for f in msgspec.structs.fields(KIND_CLASS[kind])}
    theirs = {f.encode_name for f in msgspec.structs.fields(KIND_CLASS[other])}
    keys = set(data)
    if keys and keys <= theirs and keys - mine and not keys <= mine:
        raise InputError(
            f"this is a {other} profile, not a {kind} profile (give it to {KIND_OPTION[other]})",
            source=source,
        )


def problems_error(problems: list[tuple[str | None, str]], source: str | None) -> InputError:
    """One problem: "source: field: problem"; several: "source: N problems: a: ...; b: ..."."""
    if len(problems) == 1:
        field, problem = problems[0]
        return InputError(problem, source=source, field=field)
    shown = [f"{f}: {p}" if f else p for f, p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"and {len(problems) - MAX_PROBLEMS} more")
    return InputError(f"{len(problems)} problems: " + "; ".join(shown), source=source)


def _field_problems(
    data: dict[str, Any], cls: type[Profile], kind: str
) -> list[tuple[str | None, str]]:
    """Unknown and missing fields, and each field's type and value on its own."""
    fields = {f.encode_name: f for f in msgspec.structs.fields(cls)}
    problems: list[tuple[str | None, str]] = []
    for key, value in data.items():  # in file order
        info = fields.get(key)
        if info is None:
            # Only the first problems are shown: only they need a suggestion.
            hint = did_you_mean(str(key), fields) if len(problems) < MAX_PROBLEMS else ""
            problems.append((show_key(key), f"unknown field for a {kind} profile{hint}"))
            continue
        try:
            msgspec.convert(value, info.type)
        except msgspec.ValidationError as exc:
            problems.append(_value_problem(key, info.type, value, str(exc)))
    missing = [n for n, i in fields.items() if i.required and n not in data]
    if len(missing) == 1:
        problems.append((missing[0], "required field is missing"))
    elif missing:
        problems.append((None, f"required fields are missing: {', '.join(missing)}"))
    return problems


def _value_problem(name: str, typ: Any, value: Any, text: str) -> tuple[str, str]:
    m = _AT_PATH.search(text)
    field = name + (m.group("path") if m else "")
    msg = text[: m.start()] if m else text
    enum_type = next(
        (t for t in (typ, *get_args(typ)) if isinstance(t, type) and issubclass(t, Enum)), None
    )
    if msg.startswith("Invalid enum value") and enum_type is not None:
        choices = [str(member.value) for member in enum_type]
        bad = value[int(m.group("path")[1:-1])] if m and isinstance(value, list) else value
        hint = did_you_mean(str(bad), choices)
        return field, f"Invalid enum value {show_value(bad)}{hint} (one of: {', '.join(choices)})"
    if name in SIZE_FIELDS and msg.startswith("Expected `str`"):
        got = msg.partition(", got ")[2] or "something else"
        return (
            field,
            f'expected a size: a string such as "256M" or a whole number of bytes, got {got}',
        )
    return field, msg[:200]


def _consistency_problems(exc: msgspec.ValidationError) -> list[tuple[str | None, str]]:
    """The problems __post_init__ found, each "field: problem"."""
    cause = exc.__cause__
    texts = cause.problems if isinstance(cause, ProfileProblems) else [str(exc)]
    out: list[tuple[str | None, str]] = []
    for text in texts:
        head, sep, rest = text.partition(": ")
        out.append((head, rest) if sep and head.isidentifier() else (None, text[:200]))
    return out


def _fold(text: str) -> str:
    return text.casefold().replace("_", "-").replace(" ", "-")


def did_you_mean(given: str, candidates: Iterable[str]) -> str:
    """ ": did you mean 'x'?" for the closest candidate (case, - and _ ignored), or ""."""
    import difflib  # only on an error (start-up time)

    by_fold = {_fold(c): c for c in candidates}
    close = difflib.get_close_matches(_fold(given[:100]), list(by_fold), n=1, cutoff=0.75)
    return f": did you mean {by_fold[close[0]]!r}?" if close else ""


def show_key(key: object) -> str:
    """A key as a field name in a message: as is when plain, else quoted and cut."""
    text = str(key)
    return text if _PLAIN_KEY.fullmatch(text) else show_value(text)


def show_value(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_profile_file(path: Path, kind: str) -> Profile:
    source = source_name(str(path))
    # Read as much as a .config may hold; a TOML or JSON profile gets its own limit.
    raw = read_input_bytes(str(path), limit=MAX_KCONFIG_BYTES)
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

    if len(raw) > MAX_PROFILE_BYTES:
        raise InputError(
            f"larger than {MAX_PROFILE_BYTES >> 20} MiB: not a profile file", source=source
        )
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except ValueError as exc:  # bad UTF-8, JSON or TOML, or an integer of 4,300+ digits
        raise InputError(f"malformed profile: {str(exc)[:200]}", source=source) from None
    except RecursionError:
        # Both parsers recurse per nested array or table: a few KB of "[[[[" is enough.
        raise InputError("malformed profile: nested too deeply", source=source) from None
    return profile_from_data(data, kind, source)


def _is_kernel_config(path: Path, raw: bytes) -> bool:
    """A kernel .config or fragment rather than a profile file."""
    if path.suffix in (".toml", ".json"):
        return False
    return (
        path.name.endswith((".config", ".cfg", ".conf"))
        or re.search(rb"^(# )?CONFIG_[A-Z0-9_]+[= ]", raw, re.M) is not None
    )


def kernel_profile_from_config(path: str | Path, version: str | None = None) -> KernelProfile:
    """A kernel profile from a .config (--kernel-config); `version` overrides its header.
    Give the path as typed: Path("") is ".", a directory, not the empty name it was."""
    from uefi_accept.inputs.kconfig import kernel_fields_from_config

    source = source_name(str(path))
    text = read_input_bytes(str(path), MAX_KCONFIG_BYTES).decode("utf-8", errors="replace")
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
    if not _PLAIN_KEY.fullmatch(name) or name.startswith("."):
        return None  # never a path: "../x" must not reach outside the package
    for file_name in (f"{name}-{platform}.toml", f"{name}.toml"):
        if os.path.exists(os.path.join(BUILTIN_DIR, kind, file_name)):
            p = _builtin_file(kind, file_name)
            if p.name == name and platform in p.platforms:
                return p
    return next(
        (p for p in builtin_profiles(kind) if p.name == name and platform in p.platforms), None
    )


def _looks_like_path(ref: str) -> bool:
    if "/" in ref or ref.endswith((".toml", ".json")):
        return True
    try:
        return stat.S_ISREG(os.stat(ref).st_mode)
    except (OSError, ValueError):  # also a name too long, a NUL byte: not a file
        return False


def resolve_profile(ref: str, kind: str, platform: Platform) -> Profile:
    """A built-in name (for this platform), a Linux release (`linux-6.8`,
    `linux-6.12.75`) or a path to a profile file."""
    if kind == "kernel":
        from uefi_accept.model.versions import kernel_for_version, parse_kernel_ref

        version = parse_kernel_ref(ref)
        if version is not None:
            try:
                return kernel_for_version(version)
            except ValueError as exc:
                raise InputError(str(exc), field=KIND_OPTION[kind]) from None
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
            f"unknown {kind} profile {show_value(ref)}{did_you_mean(ref, names)} "
            f"(built-in: {', '.join(names)}"
            + ("; linux-X.Y[.Z] for a release from 5.19" if kind == "kernel" else "")
            + "; or a path to a .toml file)",
            field=KIND_OPTION[kind],
        )
    profile = load_profile_file(Path(ref), kind)
    if isinstance(profile, FirmwareProfile) and platform not in profile.platforms:
        raise InputError(
            f"this firmware does not run on {platform} (platforms: {', '.join(profile.platforms)})",
            source=source_name(ref),
            field="platforms",
        )
    return profile
