"""Kernel profile fields from a kernel .config (a whole file or a fragment).

Rules (shared/DOMAIN.md, with the Linux sources they come from):
- Unaccepted memory support and the EFI stub's call of the SEV memory acceptance
  protocol (setup_unaccepted_memory() in drivers/firmware/efi/libstub/x86-stub.c)
  both landed in Linux 6.5; before 6.5 there is no support.
- UNACCEPTED_MEMORY is a hidden bool (drivers/firmware/efi/Kconfig: ``bool``,
  ``depends on EFI_STUB``, no prompt): it is only ever *selected*, by
  INTEL_TDX_GUEST and AMD_MEM_ENCRYPT (arch/x86/Kconfig, 6.5+). A fragment that
  enables either therefore implies it on a 6.5+ kernel, and fragments never list
  it themselves.
- The version comes from the header kconfig writes into every .config:
  ``# Linux/x86 6.18.45 Kernel Configuration``. Fragments have none.
"""

from __future__ import annotations

import re
from pathlib import PurePath, PureWindowsPath
from typing import Any

from uefi_accept.errors import InputError
from uefi_accept.inputs.bootlog import kernel_version_tuple

# The release that added unaccepted memory support and the protocol call
# (the call is commit c0461bd16666, merged for v6.5 with the support itself).
SUPPORT_SINCE = (6, 5, 0)

_OPTIONS = ("UNACCEPTED_MEMORY", "EFI_STUB", "AMD_MEM_ENCRYPT", "INTEL_TDX_GUEST")

# The value is the rest of the line, stripped in code: a lazy "(.*?)\s*$"
# retries the blank run at every step, quadratic in a line of blanks.
_SET_RE = re.compile(r"\s*CONFIG_([A-Za-z0-9_]{1,200})\s*=(.*)")
_UNSET_RE = re.compile(r"\s*#\s*CONFIG_([A-Za-z0-9_]{1,200}) is not set\s*")
_HEADER_RE = re.compile(r"^\s*#\s*Linux/\S+\s+(\S+)\s+Kernel Configuration\s*$")
_SUFFIXES = (".txt", ".conf", ".cfg", ".config", ".fragment", ".kconfig")


def _name_from_source(source: str) -> str:
    """A profile name from a file name: ``.../kata-snp.conf.txt`` -> ``kata-snp``."""
    base = PureWindowsPath(PurePath(source).name).name if source else ""
    base = base.lstrip(".")
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if base.lower().endswith(suffix) and len(base) > len(suffix):
                base = base[: -len(suffix)]
                changed = True
    slug = re.sub(r"[^a-z0-9.]+", "-", base.lower())[:64].strip("-.")
    if slug in ("", "config", "stdin"):
        return "kernel-config"
    return slug


def _selectors(snp: bool, tdx: bool) -> str:
    names = [o for o, on in (("AMD_MEM_ENCRYPT", snp), ("INTEL_TDX_GUEST", tdx)) if on]
    return " and ".join(names) + (" select" if len(names) > 1 else " selects")


def _state(values: dict[str, str], unset: set[str], option: str) -> str:
    """How the file treats an option: "y", "m", "n" (said so) or "absent"."""
    if option in values:
        value = values[option].strip('"')
        if value in ("y", "m", "n"):
            return value
        return "y" if value else "n"
    return "n" if option in unset else "absent"


def kernel_fields_from_config(
    text: str, source: str, *, version: str | None = None
) -> dict[str, Any]:
    """The kernel-profile fields a .config implies.

    Returns exactly: name, description, unaccepted_memory, calls_protocol,
    accept_memory, platforms, efi_stub, version. `version` overrides the
    header (fragments have none). Raises InputError for a text with no
    CONFIG_ lines.
    """
    values: dict[str, str] = {}
    unset: set[str] = set()
    header_version: str | None = None
    for line in text.splitlines():
        if "CONFIG_" not in line:
            if header_version is None and "Linux/" in line:
                m = _HEADER_RE.match(line)
                header_version = m.group(1) if m else None
            continue
        m = _SET_RE.match(line)
        if m:
            values[m.group(1)] = m.group(2).strip()
            continue
        m = _UNSET_RE.fullmatch(line)
        if m:
            unset.add(m.group(1))
    if not values and not unset:
        raise InputError("no CONFIG_ lines: not a kernel .config or config fragment", source=source)

    if version is not None and kernel_version_tuple(version) is None:
        raise InputError(f"not a kernel version: {version!r}", source=source, field="version")
    used_version = version if version is not None else header_version
    vt = kernel_version_tuple(used_version)
    if used_version is not None and vt is None:
        used_version = None  # an odd header; treated as unknown

    state = {opt: _state(values, unset, opt) for opt in _OPTIONS}
    explicit = state["UNACCEPTED_MEMORY"] == "y"
    # A fragment builds on a base config (x86 distro and defconfig kernels have
    # the stub); only a full .config that lacks the option is taken as "no stub".
    efi_stub = state["EFI_STUB"] == "y" or (
        state["EFI_STUB"] == "absent" and header_version is None
    )
    snp = state["AMD_MEM_ENCRYPT"] == "y"
    tdx = state["INTEL_TDX_GUEST"] == "y"
    platforms = [p for p, on in (("snp", snp), ("tdx", tdx)) if on]

    notes: list[str] = []
    if vt is not None:
        modern = vt >= SUPPORT_SINCE
        if modern:
            unaccepted = explicit or snp or tdx
            if unaccepted and not explicit:
                notes.append(f"{_selectors(snp, tdx)} UNACCEPTED_MEMORY")
        else:
            unaccepted = False
            if explicit:
                notes.append(
                    "CONFIG_UNACCEPTED_MEMORY=y on a pre-6.5 kernel is a vendor backport "
                    "this tool does not model: treated as no support"
                )
            else:
                notes.append("no unaccepted memory support before Linux 6.5")
    else:
        # Without a version, assume 6.5+ only when the file says so itself.
        unaccepted = explicit
        if explicit:
            notes.append("version unknown: assumed 6.5+ because CONFIG_UNACCEPTED_MEMORY=y is set")
        elif snp or tdx:
            notes.append(
                "version unknown (no 'Linux/... Kernel Configuration' header): "
                f"{_selectors(snp, tdx)} UNACCEPTED_MEMORY only on 6.5+, "
                "so support is not assumed; pass the kernel version to decide"
            )
        else:
            notes.append("version unknown")
    calls_protocol = unaccepted and efi_stub and (vt is None or vt >= SUPPORT_SINCE)
    if state["EFI_STUB"] == "absent" and efi_stub:
        notes.append("EFI_STUB assumed from the base config")
    if unaccepted and not efi_stub:
        notes.append("no EFI stub, so nothing calls the SEV acceptance protocol")

    found = ", ".join(
        f"{opt}={state[opt]}" if state[opt] != "absent" else f"{opt} absent" for opt in _OPTIONS
    )
    kind = "fragment" if header_version is None else ".config"
    release = f"Linux {used_version}" if used_version else "Linux (version unknown)"
    description = f"{release} {kind}: {found}"
    if notes:
        description += "; " + "; ".join(notes)
    description += "."

    fields: dict[str, Any] = {
        "name": _name_from_source(source),
        "description": description,
        "unaccepted_memory": unaccepted,
        "calls_protocol": calls_protocol,
        "accept_memory": "lazy",  # the kernel default (accept_memory=lazy, 6.5)
        "platforms": platforms,
        "efi_stub": efi_stub,
        "version": used_version,
    }
    if vt is not None and vt >= (5, 19, 0):
        # The release's own mechanisms and bugs (model/versions.py); support and
        # the protocol call stay as the config says.
        from uefi_accept.model.versions import mechanisms

        known = mechanisms(vt)
        for key in ("accept_storm", "hotplug_accept_deadlock", "table_reservation"):
            fields[key] = str(known[key]) if key == "table_reservation" else known[key]
        if not unaccepted:
            fields["accept_storm"] = fields["hotplug_accept_deadlock"] = False
    return fields


__all__ = ["SUPPORT_SINCE", "kernel_fields_from_config"]
