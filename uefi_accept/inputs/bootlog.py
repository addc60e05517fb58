"""Kernel boot logs: the EFI memory map, e820, platform and memory lines.

Pure parsing, no printing. Reads dmesg, `journalctl -k` and serial console
captures, with or without timestamps, syslog/journal prefixes, CRLF line ends,
ANSI colours, truncated, interleaved or mail-wrapped lines.

Formats come from the Linux sources:
- EFI map with efi=debug (drivers/firmware/efi/efi.c, efi_md_typeattr_format):
  ``efi: mem%02u: [%-12s|attrs] range=[0x%016llx-0x%016llx] (%lluMB)``, end
  inclusive, MB truncated. Kernels before 6.5 have no name for type 15 and print
  ``[type=15|...``; 4.x kernels printed ``range=[start-end)`` with an exclusive
  end and longer names ("Conventional Memory"); older ones
  ``mem07: type=1, attr=0xf, range=[start-end) (2MB)``.
- e820 (arch/x86/kernel/e820.c, e820_print_type): ``BIOS-e820: [mem %#018Lx-%#018Lx]
  usable|reserved|ACPI data|ACPI NVS|unusable|persistent (type %u)|type %u``;
  since 2025 ``System RAM`` / ``device reserved`` and ``[gap ...]`` lines.
- The EFI stub's warning when a kernel built without CONFIG_UNACCEPTED_MEMORY
  meets type 15 (libstub/x86-stub.c, setup_e820): "The system has unaccepted
  memory,  but kernel does not support it" (two spaces in the source).
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from uefi_accept.errors import InputError
from uefi_accept.model.memmap import (
    LEGACY_TYPE_NAMES,
    LINUX_TYPE_NAMES,
    EfiMemoryType,
    MemoryDescriptor,
    format_efi_debug_line,
)
from uefi_accept.model.scenario import MAX_PHYS_ADDR
from uefi_accept.units import KiB

U64_MAX = (1 << 64) - 1
EFI_PAGE_SIZE = 4096  # UEFI descriptors count 4 KiB pages (NumberOfPages)

# --------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class LogWarning:
    """A per-line problem the parser worked around."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class E820Kind(enum.Enum):
    """e820 types as the kernel prints them (names normalised to the classic ones)."""

    USABLE = "usable"  # E820_TYPE_RAM; "System RAM" since 2025
    RESERVED = "reserved"  # "device reserved" since 2025
    ACPI_DATA = "ACPI data"
    ACPI_NVS = "ACPI NVS"
    UNUSABLE = "unusable"
    PERSISTENT = "persistent"  # PMEM / PRAM, printed with its type number
    SOFT_RESERVED = "soft reserved"
    OTHER = "other"  # "type %u": a number the kernel has no name for


@dataclass(frozen=True, order=True)
class E820Entry:
    """One ``BIOS-e820`` line; `end` is exclusive."""

    start: int
    end: int
    kind: E820Kind
    type_number: int | None = None  # only for "type N" / "persistent (type N)"

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class MemoryLine:
    """``Memory: 123456K/7890123K available (...)`` (mm/mm_init.c, mem_init_print_info).

    `total` is all RAM memblock knows (unaccepted RAM included, since the stub
    reports it as E820_TYPE_RAM); `available` is what was free at that point.
    """

    available: int
    total: int
    line: int


@dataclass(frozen=True)
class Meminfo:
    """The ``kB`` lines of a /proc/meminfo dump, in bytes, in file order."""

    fields: tuple[tuple[str, int], ...]
    line: int

    def get(self, name: str) -> int | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None

    @property
    def mem_total(self) -> int | None:
        return self.get("MemTotal")

    @property
    def unaccepted(self) -> int | None:
        # "Unaccepted:" exists only in kernels built with CONFIG_UNACCEPTED_MEMORY
        # (fs/proc/meminfo.c, 6.5+).
        return self.get("Unaccepted")


@dataclass(frozen=True)
class BootLog:
    """What one boot's log says about memory. `efi_map` is sorted and disjoint."""

    source: str
    efi_map: tuple[MemoryDescriptor, ...] = ()
    e820: tuple[E820Entry, ...] = ()
    platform: str | None = None  # "snp", "sev-es", "sev", "tdx"
    kernel_version: str | None = None
    firmware: str | None = None  # "EFI v2.70 by EDK II"
    command_line: str | None = None
    memory_line: MemoryLine | None = None
    unaccepted_unsupported: bool = False  # the EFI stub's "does not support it"
    unsupported_line: int | None = None
    meminfo: Meminfo | None = None
    boots: int = 1
    warnings: tuple[LogWarning, ...] = field(default=())

    @property
    def has_memory_data(self) -> bool:
        return bool(
            self.efi_map or self.e820 or self.memory_line is not None or self.meminfo is not None
        )


# --------------------------------------------------------------------------
# Regular expressions. Every one is searched, not anchored, so that timestamps
# ("[    0.000000]"), caller ids ("[    T0]"), syslog/journal prefixes
# ("Nov 26 10:00:00 host kernel: ") and interleaved text are simply skipped.
# Digit runs are bounded so int() never meets Python's 4300-digit limit.
# Parsing is linear in the input: no pattern can rescan text another attempt
# already scanned (free-text fields are bounded, or each head is matched only
# up to the next one), so a hostile 200 MB line costs what it takes to read.

# An OSC sequence (ESC ] ... BEL or ESC \\) never runs past its line: a
# terminal title cut short must not swallow the rest of the log.
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

_HEX = r"0x[0-9a-fA-F]{1,64}"
_EFI_HEAD_RE = re.compile(r"efi:\s*mem(\d{1,9}):")
_EFI_RE = re.compile(
    r"efi:\s*mem(?P<idx>\d{1,9}):\s*"
    r"(?:\[(?P<field>[^\]|\n]{0,64})(?:\|[^\]\n]{0,200})?\]"  # [Name |attrs] or [type=15|attrs]
    r"|type=(?P<num>\d{1,12}),\s*attr=0x[0-9a-fA-F]{1,64},?)"  # pre-4.x form
    r"\s*range=\[\s*(?P<start>" + _HEX + r")\s*-\s*(?P<end>" + _HEX + r")\s*(?P<close>[\])])"
    r"(?:\s*\(\s*(?P<mb>\d{1,30})\s*MB\s*\))?"
)
# The mail-wrapped form: "efi: mem110: [Unaccepted <snip>]" then "range=[...] (2048MB)".
_EFI_WRAPPED_HEAD_RE = re.compile(
    r"efi:\s*mem\d{1,9}:\s*(?:\[[^\]\n]{0,264}\]|type=\d{1,12},[^\n]{0,200})\s*"
)
_RANGE_CONT_RE = re.compile(r"(?:\S*\s+)?range=\[")  # matched on the stripped line
_TYPE_NUM_RE = re.compile(r"^type\s*=\s*(\d{1,12})$")

_E820_RE = re.compile(
    r"BIOS-e820:\s*\[mem\s+(?P<start>" + _HEX + r")\s*-\s*(?P<end>" + _HEX + r")\s*\]"
)
_E820_CANDIDATE_RE = re.compile(r"BIOS-e820:\s*\[mem\b")
# An RFC of the 2025 e820 rework printed the size before the type ("1.9 GB").
_E820_SIZE_RE = re.compile(r"^\d{1,12}(?:\.\d{1,6})?\s*[KMGTPE]?i?B\s+", re.IGNORECASE)
_E820_NAMES: tuple[tuple[str, E820Kind], ...] = (
    ("kernel usable RAM", E820Kind.USABLE),
    ("System RAM", E820Kind.USABLE),
    ("usable", E820Kind.USABLE),
    ("device reserved", E820Kind.RESERVED),
    ("soft reserved", E820Kind.SOFT_RESERVED),
    ("reserved", E820Kind.RESERVED),
    ("ACPI data", E820Kind.ACPI_DATA),
    ("ACPI NVS", E820Kind.ACPI_NVS),
    ("unusable", E820Kind.UNUSABLE),
)
_E820_PERSISTENT_RE = re.compile(r"^persistent(?:\s+RAM)?\s*\(type\s+(\d{1,12})\)", re.IGNORECASE)
_E820_TYPE_RE = re.compile(r"^type\s+(\d{1,12})(?![\w])", re.IGNORECASE)

_VERSION_RE = re.compile(r"\bLinux version\s+(\d[^\s()]*)")
_MEMORY_RE = re.compile(r"\bMemory:\s*(\d{1,20})K/(\d{1,20})K available")
# The value is the rest of the (right-stripped) line, cut off in code: a lazy
# "(.*?)\s*$" retries the whitespace run at every step, quadratic in its length.
_FIRMWARE_RE = re.compile(r"\befi:\s*EFI v\d{1,4}\.\d{1,4} by ")
_CMDLINE_RE = re.compile(r"\bCommand line:")
_UNSUPPORTED_RE = re.compile(
    r"The\s+system\s+has\s+unaccepted\s+memory\s*,\s*but\s+(?:the\s+)?kernel\s+does\s+not\s+"
    r"support\s+it",
    re.IGNORECASE,
)

# Guest-side platform lines only; host lines such as "SEV-SNP: RMP table ..."
# must not count. arch/x86/mm/mem_encrypt.c print_mem_encrypt_feature_info(),
# arch/x86/coco/sev (SEV: Status), arch/x86/coco/tdx/tdx.c ("Guest detected").
# Each is a head and a token that must follow it on the line (or None).
_FEATURES = re.compile(r"Memory Encryption Features active:")
_SEV_STATUS = re.compile(r"\bSEV: Status:")
_PLATFORM_RES: tuple[tuple[re.Pattern[str], re.Pattern[str] | None, str], ...] = (
    (_FEATURES, re.compile(r"\bSEV-SNP\b"), "snp"),
    (_SEV_STATUS, re.compile(r"\bSEV-SNP\b"), "snp"),
    (re.compile(r"\bSEV: SNP guest platform device"), None, "snp"),
    (_FEATURES, re.compile(r"\bSEV-ES\b"), "sev-es"),
    (_FEATURES, re.compile(r"\bSEV\b"), "sev"),
    (re.compile(r"AMD Secure Encrypted Virtualization \(SEV\) active"), None, "sev"),
    (re.compile(r"\btdx: Guest detected"), None, "tdx"),
    (_FEATURES, re.compile(r"\bTDX\b"), "tdx"),
)
_PLATFORM_RANK = {"sev": 1, "sev-es": 2, "snp": 3, "tdx": 3}

_MEMINFO_RE = re.compile(
    r"^\s*(?P<key>[A-Za-z][A-Za-z0-9_]{0,40}(?:\([A-Za-z0-9_]{1,20}\))?):\s+(?P<val>\d{1,30})"
    r"(?:\s+(?P<unit>kB))?\s*$"
)

_EFI_NAMES: dict[str, EfiMemoryType] = {
    **{name.casefold(): t for t, name in LINUX_TYPE_NAMES.items()},
    **{name.casefold(): t for name, t in LEGACY_TYPE_NAMES.items()},
}
# Longest first, for fields cut by hand ("Reserved   <snip>").
_EFI_NAMES_BY_LENGTH = sorted(_EFI_NAMES.items(), key=lambda kv: -len(kv[0]))

_EXPECTED = (
    "an EFI memory map (efi=debug 'efi: memNN:' lines), a 'BIOS-e820:' table, "
    "a 'Linux version' or 'Memory:' line, a platform line or /proc/meminfo"
)


# --------------------------------------------------------------------------
# Helpers


def kernel_version_tuple(version: str | None) -> tuple[int, int, int] | None:
    """``"6.6.0-rc2"`` -> ``(6, 6, 0)``; None when it does not start with a version."""
    if not version:
        return None
    m = re.match(r"^\s*v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?", version)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


_LINE_BREAK_RE = re.compile(r"\r+\n?")
MAX_WARNINGS = 100  # more are summed up in one
MAX_FIELD = 1000  # a firmware or command line kept longer than this is cut


def _cut(value: str) -> str:
    return value if len(value) <= MAX_FIELD else value[: MAX_FIELD - 3] + "..."


def _clean_text(text: str) -> str:
    """The text without colours or control characters, every line ended by LF:
    LF, CRLF, the serial console's CR CR LF and a bare CR all end a line."""
    if "\r" in text:
        text = _LINE_BREAK_RE.sub("\n", text)
    if "\x1b" in text:
        text = _ANSI_RE.sub("", text)
    return _CTRL_RE.sub("", text)


def _clean_lines(text: str) -> list[str]:
    """Split cleaned text into lines, trailing blanks removed."""
    return [line.rstrip() for line in text.split("\n")]


def _efi_type(field_text: str) -> EfiMemoryType | str:
    """The EFI type in the bracket field, or a message saying why not."""
    name = field_text.strip()
    m = _TYPE_NUM_RE.match(name)
    if m:
        number = int(m.group(1))
        if number in EfiMemoryType._value2member_map_:
            return EfiMemoryType(number)
        return f"unknown EFI memory type number {number}"
    key = name.casefold()
    if key in _EFI_NAMES:
        return _EFI_NAMES[key]
    for known, t in _EFI_NAMES_BY_LENGTH:
        if key.startswith(known) and not key[len(known)].isalnum():
            return t
    shown = name if len(name) <= 40 else name[:37] + "..."
    return f"unknown EFI memory type name {shown!r}"


def _e820_kind(rest: str) -> tuple[E820Kind, int | None] | None:
    rest = _E820_SIZE_RE.sub("", rest.strip(), count=1)
    folded = rest.casefold()
    for name, kind in _E820_NAMES:
        n = name.casefold()
        if folded.startswith(n) and (len(folded) == len(n) or not folded[len(n)].isalnum()):
            return kind, None
    m = _E820_PERSISTENT_RE.match(rest)
    if m:
        return E820Kind.PERSISTENT, int(m.group(1))
    m = _E820_TYPE_RE.match(rest)
    if m:
        return E820Kind.OTHER, int(m.group(1))
    return None


# --------------------------------------------------------------------------
# Events: every fact found, with its line, before boots are told apart.


@dataclass(slots=True)
class _Event:
    line: int
    kind: str
    value: object = None
    rejected: bool = False  # a map line that could not be used
    early: bool = False  # printed before "Linux version" of its own boot


@dataclass(slots=True)
class _EfiItem:
    index: int
    desc: MemoryDescriptor


@dataclass(slots=True)
class _E820Item:
    entry: E820Entry


def _scan_efi(lines: list[str], events: list[_Event]) -> None:
    skip_next = False
    for i, line in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        if "mem" not in line or not _EFI_HEAD_RE.search(line):
            continue
        lineno = i + 1
        text = line
        # Mail-wrapped entry: the head without its range, continued on the next line.
        if "range=" not in line:
            last = [m.start() for m in _EFI_HEAD_RE.finditer(line)][-1]
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if (
                _EFI_WRAPPED_HEAD_RE.fullmatch(line, last)
                and _RANGE_CONT_RE.match(nxt)
                and not _EFI_HEAD_RE.search(nxt)
            ):
                text = line + " " + nxt
                skip_next = True
        # Each head is matched only up to the next one: a line of thousands of
        # heads costs one pass, not one pass per head.
        heads = [m.start() for m in _EFI_HEAD_RE.finditer(text)]
        matches = 0
        for k, pos in enumerate(heads):
            stop = heads[k + 1] if k + 1 < len(heads) else len(text)
            m = _EFI_RE.match(text, pos, stop)
            if m:
                matches += 1
                _efi_match(m, lineno, events)
        if len(heads) > matches:
            events.append(
                _Event(
                    lineno,
                    "warning",
                    "EFI memory map line is truncated or malformed; skipped",
                    rejected=True,
                )
            )


def _efi_match(m: re.Match[str], lineno: int, events: list[_Event]) -> None:
    def reject(message: str) -> None:
        events.append(_Event(lineno, "warning", message, rejected=True))

    if m.group("num") is not None:
        t = _efi_type("type=" + m.group("num"))
    else:
        t = _efi_type(m.group("field") or "")
    if isinstance(t, str):
        reject(t + "; entry skipped")
        return
    start, last = int(m.group("start"), 16), int(m.group("end"), 16)
    if start > U64_MAX or last > U64_MAX:
        reject("address does not fit in 64 bits; entry skipped")
        return
    inclusive = m.group("close") == "]"
    end = last + 1 if inclusive else last
    if end <= start:
        reject(f"range end 0x{last:x} is below its start 0x{start:x}; entry skipped")
        return
    if end > MAX_PHYS_ADDR:
        # x86-64 MAXPHYADDR is at most 52 bits (CPUID 0x80000008): no guest has
        # memory above it, and the engine's ranges are int64.
        reject(f"range end 0x{last:x} is above the 52-bit physical address limit; entry skipped")
        return
    desc = MemoryDescriptor(start, end, t)
    events.append(_Event(lineno, "efi", _EfiItem(int(m.group("idx")), desc)))
    if start % EFI_PAGE_SIZE or end % EFI_PAGE_SIZE:
        events.append(
            _Event(lineno, "warning", "EFI range is not aligned to 4 KiB pages; kept as printed")
        )
    mb = m.group("mb")
    if mb is not None and int(mb) != desc.size >> 20:
        # efi.c prints (num_pages << EFI_PAGE_SHIFT) >> 20: a truncated MB count.
        events.append(
            _Event(
                lineno,
                "warning",
                f"printed size {int(mb)}MB disagrees with the range "
                f"({desc.size >> 20}MB); the addresses are used",
            )
        )


def _scan_e820(lines: list[str], events: list[_Event]) -> None:
    for i, line in enumerate(lines):
        if "BIOS-e820" not in line:
            continue
        lineno = i + 1
        candidates = len(_E820_CANDIDATE_RE.findall(line))
        matches = list(_E820_RE.finditer(line))
        for k, m in enumerate(matches):
            stop = matches[k + 1].start() if k + 1 < len(matches) else len(line)
            rest = line[m.end() : stop]
            nxt = rest.find("BIOS-e820")
            if nxt >= 0:
                rest = rest[:nxt]
            _e820_match(m, rest, lineno, events)
        if candidates > len(matches):
            events.append(
                _Event(lineno, "warning", "e820 line is truncated or malformed; skipped", True)
            )


def _e820_match(m: re.Match[str], rest: str, lineno: int, events: list[_Event]) -> None:
    def reject(message: str) -> None:
        events.append(_Event(lineno, "warning", message, rejected=True))

    start, last = int(m.group("start"), 16), int(m.group("end"), 16)
    if start > U64_MAX or last > U64_MAX:
        reject("e820 address does not fit in 64 bits; entry skipped")
        return
    if last < start:
        reject(f"e820 range end 0x{last:x} is below its start 0x{start:x}; entry skipped")
        return
    kind = _e820_kind(rest)
    if kind is None:
        shown = rest.strip()
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        reject(f"unknown e820 type {shown!r}; entry skipped" if shown else "e820 type missing")
        return
    entry = E820Entry(start, last + 1, kind[0], kind[1])
    events.append(_Event(lineno, "e820", _E820Item(entry)))


def _scan_simple(lines: list[str], events: list[_Event]) -> None:
    for i, line in enumerate(lines):
        lineno = i + 1
        if "Linux version" in line:
            m = _VERSION_RE.search(line)
            if m:
                events.append(_Event(lineno, "version", m.group(1)))
        if "Memory:" in line:
            m = _MEMORY_RE.search(line)
            if m:
                avail, total = int(m.group(1)) * KiB, int(m.group(2)) * KiB
                if avail > U64_MAX or total > U64_MAX:
                    events.append(
                        _Event(lineno, "warning", "Memory: line number too large; ignored", True)
                    )
                else:
                    events.append(_Event(lineno, "memory", MemoryLine(avail, total, lineno)))
        if "EFI v" in line:
            m = _FIRMWARE_RE.search(line)
            if m:
                value = line[m.start() :].partition(":")[2].strip()
                events.append(_Event(lineno, "firmware", _cut(value)))
        if "Command line:" in line:
            m = _CMDLINE_RE.search(line)
            if m:
                events.append(_Event(lineno, "cmdline", _cut(line[m.end() :].strip())))
        if "SEV" in line or "TDX" in line or "tdx" in line:
            for head, token, name in _PLATFORM_RES:
                m = head.search(line)
                # The token is looked for once, after the first head: a line that
                # repeats the head thousands of times is still one pass.
                if m and (token is None or token.search(line, m.end())):
                    # tdx_early_init() prints before the "Linux version" banner.
                    early = "Guest detected" in line
                    events.append(_Event(lineno, "platform", name, early=early))
                    break


def _scan_unsupported(joined: str, events: list[_Event]) -> None:
    # Searched over the whole cleaned text so that a message wrapped by a mailer
    # or a console still matches; the line is where it starts.
    if "naccepted" not in joined:
        return
    line, counted = 1, 0
    for m in _UNSUPPORTED_RE.finditer(joined):
        line += joined.count("\n", counted, m.start())  # from the last match on: linear
        counted = m.start()
        events.append(_Event(line, "unsupported", early=True))


def _scan_meminfo(lines: list[str], events: list[_Event]) -> None:
    block: list[tuple[int, str, int]] = []

    def flush() -> None:
        if any(key == "MemTotal" for _, key, _ in block):
            fields = tuple((key, value) for _, key, value in block)
            events.append(_Event(block[0][0], "meminfo", Meminfo(fields, block[0][0])))
        block.clear()

    for i, line in enumerate(lines):
        m = _MEMINFO_RE.match(line) if ":" in line else None
        if not m:
            if block:
                flush()
            continue
        if m.group("key") == "MemTotal" and block:
            flush()  # a second dump right after the first
        if not m.group("unit"):
            continue  # unit-less lines (HugePages_Total) are counts, not bytes
        value = int(m.group("val")) * KiB
        if value > U64_MAX:
            events.append(
                _Event(i + 1, "warning", "/proc/meminfo value too large; line ignored", True)
            )
            continue
        block.append((i + 1, m.group("key"), value))
    flush()


# --------------------------------------------------------------------------
# Boots: a log may hold several (journalctl -k without -b, a rebooting console).

_DATA_KINDS = frozenset({"efi", "e820", "memory", "meminfo", "version"})


def _choose_boot(events: list[_Event]) -> tuple[list[_Event], int]:
    """The last boot with memory data (else the last boot), and how many boots
    the log holds. Only the chosen boot is kept: a log of a million banners
    costs a million events, not a million lists."""
    events.sort(key=lambda e: e.line)
    boots = 1
    current: list[_Event] = []
    last_with_memory: list[_Event] | None = None
    has_data = False  # the current boot holds a data event
    for ev in events:
        if ev.kind == "version" and has_data:
            # Early lines just before this banner belong to the new boot: the
            # EFI stub and tdx_early_init() print before "Linux version".
            moved: list[_Event] = []
            while current and current[-1].early:
                moved.append(current.pop())
            moved.reverse()
            if _has_memory(current):
                last_with_memory = current
            boots += 1
            current = moved
            has_data = any(e.kind in _DATA_KINDS for e in moved)
        current.append(ev)
        has_data = has_data or ev.kind in _DATA_KINDS
    if _has_memory(current) or last_with_memory is None:
        return current, boots
    return last_with_memory, boots


def _has_memory(boot: list[_Event]) -> bool:
    return any(e.kind in ("efi", "e820", "memory", "meminfo") for e in boot)


# --------------------------------------------------------------------------
# Building one boot's record


class _Disjoint:
    """Disjoint [start, end) ranges, each with its line, kept sorted in blocks
    of at most 2 * _BLOCK: placing a range out of order costs a short list
    insert, not one that moves every range (a reversed 1,000,000-entry map)."""

    _BLOCK = 256

    def __init__(self) -> None:
        self.firsts: list[int] = []  # the first start of each block
        self.starts: list[list[int]] = []
        self.items: list[list[tuple[int, int, int]]] = []

    def place(self, start: int, end: int, line: int) -> int | None:
        """Add [start, end) unless it overlaps a range already here; then
        return that range's line."""
        b = max(bisect.bisect_right(self.firsts, start) - 1, 0)
        if not self.firsts:
            self.firsts, self.starts, self.items = [start], [[start]], [[(start, end, line)]]
            return None
        starts, items = self.starts[b], self.items[b]
        i = bisect.bisect_right(starts, start)
        if i > 0 and items[i - 1][1] > start:
            return items[i - 1][2]
        after = (
            items[i]
            if i < len(items)
            else (self.items[b + 1][0] if b + 1 < len(self.items) else None)
        )
        if after is not None and after[0] < end:
            return after[2]
        starts.insert(i, start)
        items.insert(i, (start, end, line))
        self.firsts[b] = starts[0]
        if len(starts) > 2 * self._BLOCK:
            half = self._BLOCK
            self.starts[b + 1 : b + 1] = [starts[half:]]
            self.items[b + 1 : b + 1] = [items[half:]]
            self.firsts.insert(b + 1, starts[half])
            del starts[half:], items[half:]
        return None

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        for items in self.items:
            yield from items


def _build_efi(
    evs: list[_Event], warnings: list[LogWarning], rejected: list[LogWarning]
) -> tuple[MemoryDescriptor, ...]:
    # A map printed twice restarts at mem00 (or any lower index): keep the last run.
    runs: list[list[tuple[int, _EfiItem]]] = []
    last_index = -1
    for ev in evs:
        item = ev.value
        assert isinstance(item, _EfiItem)
        if not runs or item.index <= last_index:
            runs.append([])
        runs[-1].append((ev.line, item))
        last_index = item.index
    if not runs:
        return ()
    if len(runs) > 1:
        distinct = {tuple(i.desc for _, i in run) for run in runs}
        if len(distinct) > 1:
            warnings.append(
                LogWarning(
                    runs[-1][0][0],
                    f"the EFI memory map is printed {len(runs)} times and differs; "
                    "using the last one",
                )
            )
    placed = _Disjoint()
    kept: dict[int, MemoryDescriptor] = {}
    unordered_at: int | None = None
    prev_start = -1
    for line, item in runs[-1]:
        d = item.desc
        if d.start < prev_start and unordered_at is None:
            unordered_at = line
        prev_start = max(prev_start, d.start)
        clash = placed.place(d.start, d.end, line)
        if clash is not None:
            w = LogWarning(line, f"EFI range overlaps the one on line {clash}; entry skipped")
            warnings.append(w)
            rejected.append(w)
            continue
        kept[d.start] = d
    if unordered_at is not None:
        warnings.append(
            LogWarning(unordered_at, "EFI memory map is not in address order; entries sorted")
        )
    return tuple(kept[s] for s, _, _ in placed)


def _build_e820(
    evs: list[_Event], warnings: list[LogWarning], rejected: list[LogWarning]
) -> tuple[E820Entry, ...]:
    # BIOS-e820 is printed once per boot, sanitized (sorted, no overlaps) by
    # e820__memory_setup(); anything else is reported and repaired.
    placed = _Disjoint()
    kept: dict[int, E820Entry] = {}
    seen: set[E820Entry] = set()
    unordered_at: int | None = None
    prev_start = -1
    for ev in evs:
        item = ev.value
        assert isinstance(item, _E820Item)
        e = item.entry
        if e in seen:
            continue  # the same table printed again
        seen.add(e)
        if e.start < prev_start and unordered_at is None:
            unordered_at = ev.line
        prev_start = max(prev_start, e.start)
        clash = placed.place(e.start, e.end, ev.line)
        if clash is not None:
            w = LogWarning(ev.line, f"e820 range overlaps the one on line {clash}; entry skipped")
            warnings.append(w)
            rejected.append(w)
            continue
        kept[e.start] = e
    if unordered_at is not None:
        warnings.append(
            LogWarning(unordered_at, "e820 table is not in address order; entries sorted")
        )
    return tuple(kept[s] for s, _, _ in placed)


def _first(boot: list[_Event], kind: str) -> _Event | None:
    return next((e for e in boot if e.kind == kind), None)


def _platform(evs: list[_Event], warnings: list[LogWarning]) -> str | None:
    """The guest platform; AMD lines rank SNP > SEV-ES > SEV (SNP implies the others)."""
    if not evs:
        return None
    first_tdx = evs[0].value == "tdx"
    same = [e for e in evs if (e.value == "tdx") == first_tdx]
    other = [e for e in evs if (e.value == "tdx") != first_tdx]
    if other:
        warnings.append(
            LogWarning(
                other[0].line,
                f"{other[0].value} guest line contradicts the {evs[0].value} one on line "
                f"{evs[0].line}; ignored",
            )
        )
    return str(max(same, key=lambda e: _PLATFORM_RANK[str(e.value)]).value)


def _build(source: str, boot: list[_Event], n_boots: int) -> tuple[BootLog, list[LogWarning]]:
    warnings: list[LogWarning] = []
    rejected: list[LogWarning] = []
    for ev in boot:
        if ev.kind == "warning":
            w = LogWarning(ev.line, str(ev.value))
            warnings.append(w)
            if ev.rejected:
                rejected.append(w)
    efi_map = _build_efi([e for e in boot if e.kind == "efi"], warnings, rejected)
    e820 = _build_e820([e for e in boot if e.kind == "e820"], warnings, rejected)

    platform = _platform([e for e in boot if e.kind == "platform"], warnings)

    memory = [e.value for e in boot if isinstance(e.value, MemoryLine)]
    meminfos = [e.value for e in boot if isinstance(e.value, Meminfo)]
    if len(meminfos) > 1:
        warnings.append(
            LogWarning(
                meminfos[-1].line,
                f"{len(meminfos)} /proc/meminfo dumps; using the last one",
            )
        )
    version = _first(boot, "version")
    firmware = _first(boot, "firmware")
    cmdline = _first(boot, "cmdline")
    unsupported = _first(boot, "unsupported")
    if n_boots > 1:
        warnings.append(
            LogWarning(
                boot[0].line,
                f"the log holds {n_boots} boots; using the last one with memory data "
                f"(from line {boot[0].line})",
            ),
        )
    warnings.sort(key=lambda w: w.line)
    if len(warnings) > MAX_WARNINGS:
        # Every warning is printed: a log of a million bad lines must not print a million.
        rest = len(warnings) - MAX_WARNINGS
        more = LogWarning(warnings[MAX_WARNINGS].line, f"{rest} more warnings from here on")
        warnings[MAX_WARNINGS:] = [more]
    log = BootLog(
        source=source,
        efi_map=efi_map,
        e820=e820,
        platform=platform,
        kernel_version=str(version.value) if version else None,
        firmware=str(firmware.value) if firmware else None,
        command_line=str(cmdline.value) if cmdline else None,
        memory_line=memory[0] if memory else None,
        unaccepted_unsupported=unsupported is not None,
        unsupported_line=unsupported.line if unsupported else None,
        meminfo=meminfos[-1] if meminfos else None,
        boots=n_boots,
        warnings=tuple(warnings),
    )
    return log, rejected


# --------------------------------------------------------------------------
# Public API


def parse_boot_log(text: str, source: str) -> BootLog:
    """Parse a kernel boot log; raise InputError when nothing usable is in it.

    Per-line problems (overlapping or unordered ranges, a printed MB that
    disagrees with the addresses, unknown types, numbers wider than 64 bits,
    truncated lines) become `warnings`; when they leave no memory data at all,
    the first of them is raised as an InputError with its line number.
    """
    if not isinstance(text, str):
        raise InputError("boot log is not text", source=source)
    text = _clean_text(text)
    lines = _clean_lines(text)
    events: list[_Event] = []
    _scan_efi(lines, events)
    _scan_e820(lines, events)
    _scan_simple(lines, events)
    _scan_unsupported(text, events)
    del text
    _scan_meminfo(lines, events)

    if not events:
        raise InputError(f"no kernel boot log found: expected {_EXPECTED}", source=source)
    chosen, n_boots = _choose_boot(events)
    log, rejected = _build(source, chosen, n_boots)
    if not log.has_memory_data and rejected:
        first = min(rejected, key=lambda w: w.line)
        raise InputError(
            f"{_fatal(first.message)} (no usable memory data left)", source=source, line=first.line
        )
    if not (
        log.has_memory_data
        or log.platform
        or log.kernel_version
        or log.unaccepted_unsupported
        or log.firmware
    ):
        raise InputError(f"no kernel boot log found: expected {_EXPECTED}", source=source)
    return log


def _fatal(message: str) -> str:
    """A warning's text as an error: nothing usable is left, so no "skipped"."""
    return re.sub(r"; (entry |line )?(skipped|ignored)$", "", message)


def parse_meminfo(text: str, source: str) -> Meminfo:
    """Parse a /proc/meminfo dump (the last one, if the text holds several)."""
    if not isinstance(text, str):
        raise InputError("meminfo is not text", source=source)
    lines = _clean_lines(_clean_text(text))
    events: list[_Event] = []
    _scan_meminfo(lines, events)
    dumps = [e.value for e in events if e.kind == "meminfo"]
    if not dumps:
        bad = [e for e in events if e.kind == "warning"]
        if bad:
            raise InputError(_fatal(str(bad[0].value)), source=source, line=bad[0].line)
        raise InputError(
            "no /proc/meminfo content found (expected 'MemTotal:  N kB' lines)", source=source
        )
    result = dumps[-1]
    assert isinstance(result, Meminfo)
    return result


def format_efi_memmap(descs: Iterable[MemoryDescriptor]) -> str:
    """The map as Linux prints it with efi=debug, one ``efi: memNN:`` line each."""
    return "".join(format_efi_debug_line(i, d) + "\n" for i, d in enumerate(descs))


__all__ = [
    "BootLog",
    "E820Entry",
    "E820Kind",
    "LogWarning",
    "MemoryLine",
    "Meminfo",
    "format_efi_memmap",
    "kernel_version_tuple",
    "parse_boot_log",
    "parse_meminfo",
]
