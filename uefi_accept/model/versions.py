"""Linux releases and the unaccepted-memory mechanisms each one has.

One table of when each mechanism, bug and fix landed, with its commit, so
`--kernel linux-X.Y[.Z]` (any release from 5.19, when both SNP and TDX guest
support were merged) builds a kernel profile from its version. Releases are
taken from Linus's release shortlogs and the stable announcements; where a
stable backport's point release is not known, the line is treated as it was
at its .0 release and the description says so.
"""

from __future__ import annotations

import re

import msgspec

from uefi_accept.model.profiles import (
    KernelProfile,
    SwiotlbConversion,
    TableReservation,
)
from uefi_accept.model.scenario import Platform

Version = tuple[int, int, int]
FIRST = (5, 19, 0)  # TDX (968b493173ac) and SNP guest support
LATEST_KNOWN = (7, 0, 0)


class Change(msgspec.Struct, frozen=True):
    """A mechanism, bug or fix and the releases that have it."""

    key: str
    what: str
    commit: str
    since: Version
    # Where it went away again: mainline, and stable point releases that took the fix.
    until: Version | None = None
    stable_until: tuple[Version, ...] = ()

    def present(self, v: Version) -> bool:
        if v < self.since:
            return False
        if self.until is not None and v >= self.until:
            return False
        # A stable line that took the fix from this point release on.
        return not any(v[:2] == s[:2] and v >= s for s in self.stable_until)


CHANGES: tuple[Change, ...] = (
    Change(
        "unaccepted_memory",
        "unaccepted memory support: the bitmap, lazy acceptance, accept_memory=lazy|eager",
        "dcdfdd40fa82, 2053bc57f367",
        (6, 5, 0),
    ),
    Change(
        "calls_protocol",
        "the EFI stub calls the SEV memory acceptance protocol (setup_unaccepted_memory())",
        "c0461bd16666",
        (6, 5, 0),
    ),
    Change(
        "table_exact",
        "the unaccepted table lives in EFI loader data and is reserved byte for byte",
        "2053bc57f367",
        (6, 5, 0),
        until=(6, 6, 0),
    ),
    Change(
        "table_reservation_bug",
        "reserve_unaccepted() page-aligns the table's size without its offset in the page: "
        "a table whose tail crosses into the next page faults in accept_memory()",
        "8dbe33956d96 (fixed by 0862438c9048)",
        (6, 6, 0),
        until=(7, 0, 0),
        stable_until=((6, 18, 14), (6, 12, 75)),
    ),
    Change(
        "accept_storm",
        "before the zone watermarks exist, cond_accept_memory() accepts a 4 MiB block on "
        "every allocation (an accept storm during SMP bring-up)",
        "800f1059c99e (no upstream fix; Dstack's patch 0009 keeps an accepted reserve)",
        (6, 14, 0),
    ),
    Change(
        "hotplug_accept_deadlock",
        "accepting the last unaccepted page during CPU bring-up deadlocks on cpu_hotplug_lock",
        "800f1059c99e (fixed by 4067196a5227)",
        (6, 14, 0),
        until=(6, 15, 0),
    ),
)

_VERSION_REF = re.compile(r"^linux-(\d{1,2})\.(\d{1,3})(?:\.(\d{1,4}))?$")


def parse_kernel_ref(ref: str) -> Version | None:
    """`linux-6.8` or `linux-6.12.75` as a version; None if `ref` is not one."""
    m = _VERSION_REF.match(ref)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def releases() -> tuple[Version, ...]:
    """Every mainline release from FIRST to LATEST_KNOWN (6.19 was the last 6.x)."""
    out = [(5, 19, 0)] + [(6, minor, 0) for minor in range(20)]
    out += [(7, minor, 0) for minor in range(LATEST_KNOWN[1] + 1)]
    return tuple(v for v in out if FIRST <= v <= LATEST_KNOWN)


def version_name(v: Version) -> str:
    return f"{v[0]}.{v[1]}" + (f".{v[2]}" if v[2] else "")


def changes_in(v: Version) -> tuple[Change, ...]:
    return tuple(c for c in CHANGES if c.present(v))


def mechanisms(v: Version) -> dict[str, object]:
    """Kernel-profile fields that follow from the release alone."""
    has = {c.key for c in changes_in(v)}
    if "table_reservation_bug" in has:
        table = TableReservation.PAGE_ALIGNED_SIZE
    elif "table_exact" in has:
        table = TableReservation.EXACT
    else:
        table = TableReservation.FIXED
    return {
        "unaccepted_memory": "unaccepted_memory" in has,
        "calls_protocol": "calls_protocol" in has,
        "accept_storm": "accept_storm" in has,
        "hotplug_accept_deadlock": "hotplug_accept_deadlock" in has,
        "swiotlb_conversion": SwiotlbConversion.EARLY,
        "table_reservation": table,
    }


def describe(v: Version) -> str:
    present = changes_in(v)
    parts = [f"{c.what} ({c.commit})" for c in present]
    if v >= FIRST:
        parts.append("SWIOTLB converted to shared before SMP bring-up (968b493173ac, TDX)")
    notes = []
    if v[:2] in ((6, 6), (6, 12), (6, 13)):
        notes.append(
            "stable trees took 800f1059c99e (Cc: stable 6.5+) at a point release not "
            "known here: this line is modelled as at .0, without the accept storm"
        )
    if v[:2] == (6, 6):
        notes.append("the table fix reached 6.6.y in March 2026 at a point release not known here")
    if v > LATEST_KNOWN:
        notes.append(f"released after {version_name(LATEST_KNOWN)}: modelled as it")
    text = f"Linux {version_name(v)}: " + (
        "; ".join(parts) if parts else "no unaccepted memory support"
    )
    return text + (". Note: " + "; ".join(notes) if notes else "") + "."


def kernel_for_version(v: Version, name: str | None = None) -> KernelProfile:
    """The kernel profile of a Linux release (both platforms, EFI stub, lazy)."""
    if v < FIRST:
        raise ValueError(
            f"Linux {version_name(v)} predates SNP and TDX guest support "
            f"(from {version_name(FIRST)})"
        )
    return msgspec.convert(
        {
            "name": name or f"linux-{version_name(v)}",
            "description": describe(v),
            "platforms": [Platform.SNP, Platform.TDX],
            "version": version_name(v),
            **mechanisms(v),
        },
        KernelProfile,
    )
