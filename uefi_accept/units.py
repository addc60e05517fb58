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
# ASCII digits only (str.isdigit() and \d take "²" and "٤"), bounded so that
# int() never meets Python's 4300-digit limit; blanks are spaces and tabs, so a
# value with a newline in it is refused rather than echoed across two lines.
_SIZE_RE = re.compile(
    r"[ \t]*([0-9]{1,30}(?:\.[0-9]{1,30})?)[ \t]*([KMGTPE]?)(?:I?B)?[ \t]*", re.IGNORECASE
)
_BARE_RE = re.compile(r"[ \t]*[0-9]{1,30}[ \t]*")
U64_MAX = (1 << 64) - 1
# x86-64 MAXPHYADDR is at most 52 bits: no memory size this tool models (RAM,
# a pre-accepted size, a kernel's needs) can be larger, and every size then
# fits the engine's int64 arrays and the JSON documents' bounds.
MAX_SIZE = 1 << 52


def parse_size(text: str | int, maximum: int = MAX_SIZE) -> int:
    """Parse a size (a string, or an int of bytes); raise ValueError with a
    short, one-line reason on nonsense."""
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise ValueError(f"not a size: {_show(text)}")
    if isinstance(text, int):
        value = text
    else:
        m = _SIZE_RE.fullmatch(text)
        if not m:
            raise ValueError(f"not a size: {_show(text)} (use e.g. 512M, 64G, 2T, 64GiB or bytes)")
        number, suffix = m.group(1), m.group(2).upper()
        if "." in number:
            if suffix == "":
                raise ValueError(f"not a size: {_show(text)} (a byte count is a whole number)")
            whole, _, frac = number.partition(".")
            # Exact: (whole + frac / 10**k) << shift, without float rounding.
            scaled = (int(whole + frac) << _SHIFT[suffix], 10 ** len(frac))
            if scaled[0] % scaled[1]:
                raise ValueError(f"not a whole number of bytes: {_show(text)}")
            value = scaled[0] // scaled[1]
        else:
            value = int(number) << _SHIFT[suffix]
    if value <= 0:
        raise ValueError(f"size must be positive: {_show(text)}")
    if value > maximum:
        raise ValueError(f"{_show(text)} is more than {format_size(maximum)}{_why(maximum)}")
    return value


def _why(maximum: int) -> str:
    return ", the 52-bit physical address limit" if maximum == MAX_SIZE else ""


def _show(value: object) -> str:
    """A value as messages quote it: repr (so a newline shows as \\n), at most 40 chars."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def is_bare_number(text: object) -> bool:
    """A size written without a unit: bytes here, MiB for QEMU's -m and Kata."""
    return isinstance(text, str) and _BARE_RE.fullmatch(text) is not None


def below_minimum(text: object, value: int, minimum: int, what: str = "minimum") -> str | None:
    """The problem with a size below `minimum`, or None. A bare number is
    explained: it is bytes here, where QEMU's -m and Kata's default_memory read MiB."""
    if value >= minimum:
        return None
    if is_bare_number(text):
        return (
            f"{value} is {value} bytes, below the {format_size(minimum)} {what}; a bare "
            f"number is bytes (QEMU's -m and Kata read MiB): did you mean {value}M?"
        )
    return f"{format_size(value)} is below the {format_size(minimum)} {what}"


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
