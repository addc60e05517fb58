"""Byte sizes: parsing `512M`, `64G`, `2T`, `64GiB`, plain bytes; and printing them.

Suffixes are binary (K = 1024), as the kernel's memparse() and QEMU's -m read them.
"""

from __future__ import annotations

import re

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40
PiB = 1 << 50

_SHIFT = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:I?B)?\s*$", re.IGNORECASE)
U64_MAX = (1 << 64) - 1


def parse_size(text: str | int) -> int:
    """Parse a size; raise ValueError with a short reason on nonsense."""
    if isinstance(text, bool):
        raise ValueError(f"not a size: {text!r}")
    if isinstance(text, int):
        value = text
    else:
        m = _SIZE_RE.match(str(text))
        if not m:
            raise ValueError(f"not a size: {text!r} (use e.g. 512M, 64G, 2T, 64GiB or bytes)")
        number, suffix = m.group(1), m.group(2).upper()
        if suffix == "" and "." in number:
            raise ValueError(f"not a size: {text!r} (a byte count must be a whole number)")
        scaled = float(number) * (1 << _SHIFT[suffix]) if "." in number else None
        value = int(scaled) if scaled is not None else int(number) << _SHIFT[suffix]
        if scaled is not None and scaled != int(scaled):
            raise ValueError(f"not a whole number of bytes: {text!r}")
    if value <= 0:
        raise ValueError(f"size must be positive: {text!r}")
    if value > U64_MAX:
        raise ValueError(f"size does not fit in 64 bits: {text!r}")
    return value


def format_size(n: int | float) -> str:
    """Short binary size: 64 GiB, 1.9 GiB, 512 MiB, 0 B."""
    n = float(n)
    if n == 0:
        return "0 B"
    sign = "-" if n < 0 else ""
    n = abs(n)
    for unit, div in (("PiB", PiB), ("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= div:
            v = n / div
            text = f"{v:.0f}" if v == int(v) or v >= 100 else f"{v:.1f}"
            return f"{sign}{text} {unit}"
    return f"{sign}{int(n)} B"
