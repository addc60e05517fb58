"""A user's VM definition read as uefi-accept's scenario settings.

Three kinds, told apart by their content (`detect_kind`):
- a libvirt domain XML (any text that starts with ``<``; its root must be
  ``<domain>``);
- a Kata Containers configuration TOML (a ``[hypervisor.NAME]`` table);
- otherwise a QEMU command line: a string, or a file holding one (a shell
  script, a Makefile recipe, a libvirt ``.args`` file, a pasted terminal).
  The command starts at the first ``qemu-system-*`` or ``qemu-kvm`` word;
  backslash-newline continuations are joined, ``#`` comment lines skipped,
  and ``$VAR`` / ``${VAR:-default}`` expanded from the file's own plain
  assignments.

Pure parsing: no model simulation, no click. Each setting the definition
does not spell out (a default, a rounding, a layout QEMU places differently
from the model's) comes with one sentence in `VmDefinition.assumptions`.
Unknown options and elements are ignored; a malformed value of one that is
read is an `InputError` naming it.
"""

from __future__ import annotations

import enum
import json
import math
import re
import shlex
import tomllib
import xml.etree.ElementTree as ET
from pathlib import PurePath, PureWindowsPath
from typing import Any

import msgspec

from uefi_accept.errors import InputError
from uefi_accept.model.profiles import AcceptMemory
from uefi_accept.model.scenario import LARGE_PAGE, SMALL_PAGE, Layout, Loader, Platform
from uefi_accept.units import GiB, KiB, MiB, format_size

# Larger than any real definition (Kata's templates are ~35 KB); bounds the XML
# and TOML parsers' work whatever the file reader allowed.
MAX_VM_DEFINITION_CHARS = 4 << 20


class VmKind(enum.StrEnum):
    QEMU = "qemu"
    LIBVIRT = "libvirt"
    KATA = "kata"


class FirmwareHint(enum.StrEnum):
    """What a firmware file's name suggests; a hint, never a fact about its contents."""

    INTEL_TDX = "inteltdx"  # edk2 OvmfPkg/IntelTdx build: OVMF.inteltdx.fd, TDVF
    AMD_SEV = "amdsev"  # edk2 OvmfPkg/AmdSev build: OVMF.amdsev.fd, AMDSEV.fd
    OVMF = "ovmf"  # a generic OVMF build: OVMF.fd, OVMF_CODE*.fd


class VmDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """The scenario settings one VM definition gives; None where it gives none."""

    kind: VmKind
    source: str
    platform: Platform | None = None
    ram_bytes: int | None = None
    vcpus: int | None = None
    layout: Layout | None = None
    # The page size of the memory backing the guest RAM (hugetlb), in bytes.
    host_page_size: int | None = None
    firmware_path: str | None = None
    firmware_hint: FirmwareHint | None = None
    loader: Loader | None = None
    kernel_cmdline: str | None = None
    accept_memory: AcceptMemory | None = None
    efi_debug: bool = False
    deadline_s: float | None = None
    assumptions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = msgspec.structs.asdict(self)
        d["assumptions"] = list(self.assumptions)
        return d

    def scenario_fields(self) -> dict[str, Any]:
        """The Scenario fields this definition sets (model.scenario.Scenario names).

        The backend's page size is not one of them: it backs shared memory, while
        private memory comes from guest_memfd, which upstream KVM maps at 4 KiB
        on both platforms (the scenario's default), whatever the file asks for."""
        out: dict[str, Any] = {}
        for key in ("platform", "ram_bytes", "vcpus", "layout", "loader"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def parse_vm_definition(text: str, source: str) -> VmDefinition:
    """A libvirt domain XML, a Kata configuration TOML or a QEMU command line."""
    kind = detect_kind(_checked(text, source))
    if kind == VmKind.LIBVIRT:
        return _parse_libvirt(text, source)
    if kind == VmKind.KATA:
        return _parse_kata(text, source)
    return _parse_qemu(text, source)


def parse_qemu_cmdline(cmdline: str, source: str = "--qemu-cmdline") -> VmDefinition:
    """A QEMU command line (with or without the program name, or a script holding one)."""
    return _parse_qemu(_checked(cmdline, source), source)


def detect_kind(text: str) -> VmKind:
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return VmKind.LIBVIRT
    if re.search(r"^[ \t]*\[[ \t]*hypervisor\.", head, re.MULTILINE):
        return VmKind.KATA
    return VmKind.QEMU


def _checked(text: str, source: str) -> str:
    if len(text) > MAX_VM_DEFINITION_CHARS:
        raise InputError(
            f"larger than {MAX_VM_DEFINITION_CHARS >> 20} MiB: not a VM definition", source=source
        )
    if not text.strip():
        raise InputError("empty: no VM definition", source=source)
    return text


# ---------------------------------------------------------------------------
# Shared rules
# ---------------------------------------------------------------------------


class _Notes:
    """Assumption sentences, in the order found, without repeats."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, sentence: str) -> None:
        if sentence not in self.items:
            self.items.append(sentence)

    def tuple(self) -> tuple[str, ...]:
        return tuple(self.items)


# hw/i386/pc_q35.c pc_q35_init(): 2 GiB below 4 GiB once RAM >= 0xb0000000
# (2816 MiB), else up to 0xb0000000; max-ram-below-4g can only lower it.
_Q35_SPLIT = 0xB0000000
_Q35_LOW = 0x80000000
# hw/i386/pc_piix.c pc_init1(): max-ram-below-4g defaults to 0xe0000000
# (3.5 GiB); once RAM reaches it, gigabyte_align moves the split to 3 GiB.
_PC_MAX_BELOW_4G = 0xE0000000
_PC_ALIGNED_LOW = 0xC0000000


def _machine_family(machine: str) -> str | None:
    """q35, pc (i440fx) or None for any other machine type."""
    name = machine.strip().lower()
    if name == "q35" or name.startswith("pc-q35-"):
        return "q35"
    if name == "pc" or name.startswith("pc-i440fx-") or re.fullmatch(r"pc-\d+\.\d+", name):
        return "pc"
    return None


def _qemu_low_ram(family: str, ram: int, max_below_4g: int | None) -> int:
    """RAM QEMU places below 4 GiB for a q35 or pc machine."""
    if family == "q35":
        lowmem = _Q35_LOW if ram >= _Q35_SPLIT else _Q35_SPLIT
        if max_below_4g and lowmem > max_below_4g:
            lowmem = max_below_4g
    else:
        lowmem = max_below_4g or _PC_MAX_BELOW_4G
        if ram >= lowmem:
            lowmem = min(lowmem, _PC_ALIGNED_LOW)
    return lowmem if ram >= lowmem else ram


def _model_low_ram(layout: Layout, ram: int) -> int:
    """model.scenario.low_ram() for one RAM size, without numpy."""
    if layout == Layout.Q35:
        return ram if ram < _Q35_SPLIT else min(ram, 2 * GiB)
    return min(ram, 3 * GiB)


def _choose_layout(
    machine: str, ram: int | None, max_below_4g: int | None, notes: _Notes
) -> Layout | None:
    family = _machine_family(machine)
    if family is None:
        notes.add(
            f"machine type {machine!r} is neither q35 nor pc (i440fx): "
            "no memory layout taken; pass --layout"
        )
        return None
    natural = Layout.Q35 if family == "q35" else Layout.LOW_3G
    if ram is None:
        if family == "pc":
            notes.add(
                "pc (i440fx) keeps up to 3.5 GiB below 4 GiB and splits at 3 GiB only once RAM "
                "reaches 3.5 GiB (hw/i386/pc_piix.c); the low-3g layout is assumed"
            )
        return natural
    qemu_low = _qemu_low_ram(family, ram, max_below_4g)
    lows = {layout: _model_low_ram(layout, ram) for layout in (natural, *Layout)}
    for layout, low in lows.items():
        if low == qemu_low:
            if layout != natural:
                notes.add(
                    f"{machine} with max-ram-below-4g={format_size(max_below_4g or 0)} puts "
                    f"{format_size(qemu_low)} below 4 GiB: the {layout} layout does the same"
                )
            return layout
    closest = min(lows, key=lambda layout: abs(lows[layout] - qemu_low))
    source = "hw/i386/pc_q35.c" if family == "q35" else "hw/i386/pc_piix.c"
    setting = f" with max-ram-below-4g={format_size(max_below_4g)}" if max_below_4g else ""
    placed = (
        f"keeps all {format_size(ram)} below 4 GiB"
        if qemu_low == ram
        else f"puts {format_size(qemu_low)} of the {format_size(ram)} below 4 GiB"
    )
    notes.add(
        f"{machine}{setting} {placed} ({source}); the closest layout, {closest}, puts "
        f"{format_size(lows[closest])} below and the rest above 4 GiB"
    )
    return closest


def _firmware_hint(path: str) -> FirmwareHint | None:
    name = PureWindowsPath(PurePath(path).name).name.lower()
    if "$" in name:
        return None  # an unexpanded shell variable names no file
    if "tdx" in name or "tdvf" in name:
        return FirmwareHint.INTEL_TDX
    if "amdsev" in name or "amd_sev" in name or "sev" in name or "snp" in name:
        return FirmwareHint.AMD_SEV
    if "ovmf" in name or "edk2" in name:
        return FirmwareHint.OVMF
    return None


def _firmware_notes(path: str | None, platform: Platform | None, notes: _Notes) -> None:
    if path is None:
        return
    if "$" in path:
        notes.add(f"firmware path {path!r} holds a shell variable this file does not set")
    hint = _firmware_hint(path)
    if hint == FirmwareHint.INTEL_TDX and platform == Platform.SNP:
        notes.add(f"the firmware file name {path!r} suggests an Intel TDX build, not SEV-SNP")
    if hint == FirmwareHint.AMD_SEV and platform == Platform.TDX:
        notes.add(f"the firmware file name {path!r} suggests an AMD SEV build, not TDX")


def _private_memory_notes(platform: Platform | None, page: int | None, notes: _Notes) -> None:
    """Private memory comes from guest_memfd, not from the backend that was read."""
    if page is not None and page <= SMALL_PAGE:
        return
    if platform == Platform.TDX:
        notes.add(
            "TDX: upstream KVM (6.16+) maps a TD's private memory (guest_memfd) at 4 KiB whatever "
            "backs its shared memory, so host pages stay 4 KiB (--host-page-size 2M models a "
            "host that maps it huge)"
        )
    elif platform == Platform.SNP:
        notes.add(
            "SEV-SNP: private memory comes from guest_memfd, which upstream KVM (6.11) does not "
            "back with 2 MiB pages (AMDESE/AMDSEV issue 225), so host pages stay 4 KiB "
            "(--host-page-size 2M models a host that maps it huge)"
        )


def _kernel_params(cmdline: str) -> list[tuple[str, str | None]]:
    """Kernel parameters as lib/cmdline.c next_arg() splits them: spaces separate,
    double quotes group, and ``--`` ends the kernel's part (the rest goes to init)."""
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(cmdline)
    while i < n:
        while i < n and cmdline[i].isspace():
            i += 1
        if i >= n:
            break
        quoted = False
        start = i
        while i < n and (quoted or not cmdline[i].isspace()):
            if cmdline[i] == '"':
                quoted = not quoted
            i += 1
        word = cmdline[start:i].replace('"', "")
        if word == "--":
            break
        name, sep, value = word.partition("=")
        out.append((name, value if sep else None))
    return out


def _read_kernel_cmdline(
    cmdline: str, notes: _Notes, source: str, field: str
) -> tuple[AcceptMemory | None, bool]:
    """accept_memory= and efi=debug from a kernel command line."""
    accept: list[str] = []
    efi_debug = False
    for name, value in _kernel_params(cmdline):
        # kernel/params.c parameq(): '-' and '_' are the same in parameter names.
        key = name.replace("-", "_")
        if key == "accept_memory":
            # mm/page_alloc.c accept_memory_parse(): exactly "lazy" or "eager".
            if value not in ("lazy", "eager"):
                raise InputError(
                    f"accept_memory={value or ''}: the kernel takes lazy or eager",
                    source=source,
                    field=field,
                )
            accept.append(value)
        elif key == "efi" and value is not None and "debug" in value.split(","):
            efi_debug = True
    if len(set(accept)) > 1:
        notes.add(
            f"accept_memory= is given {len(accept)} times: the kernel keeps the last, "
            f"accept_memory={accept[-1]}"
        )
    if efi_debug:
        notes.add(
            "efi=debug: the kernel prints the EFI memory map (`uefi-accept inspect` reads it)"
        )
    return (AcceptMemory(accept[-1]) if accept else None), efi_debug


# ---------------------------------------------------------------------------
# QEMU command lines
# ---------------------------------------------------------------------------

_PROGRAM_RE = re.compile(r"(?:^|/)(?:qemu-system-[A-Za-z0-9_.-]+|qemu-kvm)$")
_PROGRAM_SEARCH = re.compile(r"(?:^|[\s'\"/])(?:qemu-system-[A-Za-z0-9_.-]+|qemu-kvm)(?=[\s'\"]|$)")
_ASSIGNMENT_RE = re.compile(
    r"^\s*(?:export\s+|local\s+|readonly\s+|declare\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$"
)
_VAR_RE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
_SHELL_OPERATORS = {
    "|",
    "||",
    "&",
    "&&",
    ";",
    ";;",
    ">",
    ">>",
    "<",
    "<<",
    ">&",
    "<&",
    "|&",
    "(",
    ")",
}

# fmt: off
# Options this parser reads: each takes one argument.
_READ_OPTIONS = frozenset({
    "m", "smp", "machine", "M", "object", "bios", "drive", "pflash", "append", "kernel",
    "initrd", "numa", "mem-path", "blockdev",
})
# QEMU options without an argument (qemu-options.hx); any other unknown option
# takes the next word as its argument unless that word is itself an option.
_FLAG_OPTIONS = frozenset({
    "S", "s", "h", "help", "version", "nographic", "enable-kvm", "no-reboot", "no-shutdown",
    "nodefaults", "no-user-config", "no-hpet", "no-acpi", "daemonize", "snapshot",
    "mem-prealloc", "full-screen", "no-fd-bootchk", "no-quit", "only-migratable", "preconfig",
    "semihosting", "enable-fips", "win2k-hack", "singlestep", "one-insn-per-tb", "alt-grab",
    "ctrl-grab", "no-frame",
})
# fmt: on


def _expand(text: str, env: dict[str, str], used: dict[str, str]) -> str:
    """$NAME, ${NAME} and ${NAME:-default} outside single quotes, for names in env
    (or with a default); anything else is left as written."""
    out: list[str] = []
    i, n = 0, len(text)
    single = double = False
    while i < n:
        c = text[i]
        if c == "\\" and not single:
            out.append(text[i : i + 2])
            i += 2
            continue
        if c == "'" and not double:
            single = not single
        elif c == '"' and not single:
            double = not double
        elif c == "$" and not single:
            m = _VAR_RE.match(text, i)
            if m:
                name = m.group(1) or m.group(4)
                if name in env and not (m.group(2) == ":-" and env[name] == ""):
                    out.append(env[name])
                    used[name] = env[name]
                    i = m.end()
                    continue
                if m.group(2) is not None:
                    value = _expand(m.group(3), env, used)
                    out.append(value)
                    used[name] = value
                    i = m.end()
                    continue
        out.append(c)
        i += 1
    return "".join(out)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each shell line, continuations joined. A
    comment line ends a continued command, as in the shell."""
    out: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.rstrip()
        if parts and line.lstrip().startswith("#"):
            out.append((start, " ".join(parts)))
            parts = []
        if not parts:
            start = number
        if line.endswith("\\") and not line.lstrip().startswith("#"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        out.append((start, " ".join(parts)))
        parts = []
    if parts:
        out.append((start, " ".join(parts)))
    return out


def _assignment(line: str, env: dict[str, str]) -> bool:
    """Record NAME=value (one word after expansion) in env; True if the line is one.
    A value from a command substitution is unknown: the name is dropped."""
    m = _ASSIGNMENT_RE.match(line)
    if not m:
        return False
    name, value = m.group(1), m.group(2)
    if re.match(r"\s*[\"']?(?:\$\(|`)", value):
        env.pop(name, None)
        return True
    try:
        words = shlex.split(line)
    except ValueError:
        return False
    if len(words) > 1 and not (len(words) == 2 and words[0] in ("export", "local", "readonly")):
        return False
    env.pop(name, None)
    try:
        expanded = shlex.split(_expand(value, env, {}))
    except ValueError:
        return True
    if len(expanded) <= 1:
        env[name] = expanded[0] if expanded else ""
    return True


def _shell_words(text: str, source: str, line: int | None) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise InputError(
            f"cannot split the command line: {exc}", source=source, line=line
        ) from None


def _until_operator(words: list[str]) -> list[str]:
    for i, word in enumerate(words):
        if word in _SHELL_OPERATORS or word.startswith("#"):
            return words[:i]
    return words


def _extract_command(text: str, source: str, notes: _Notes) -> tuple[list[str], int | None]:
    """The QEMU arguments (program name dropped) and the line the command starts on."""
    env: dict[str, str] = {}
    used: dict[str, str] = {}
    commands: list[tuple[int, list[str], dict[str, str]]] = []
    for number, line in _logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _assignment(line, env):
            continue
        line_used: dict[str, str] = {}
        expanded = _expand(line, env, line_used)
        if not _PROGRAM_SEARCH.search(expanded):
            continue
        words = _shell_words(expanded, source, number)
        start = next((i for i, w in enumerate(words) if _PROGRAM_RE.search(w)), None)
        if start is not None:
            commands.append((number, _until_operator(words[start + 1 :]), line_used))
    line_number: int | None = None
    if commands:
        line_number, args, used = commands[0]
        if len(commands) > 1:
            notes.add(
                f"the file holds {len(commands)} QEMU commands: "
                f"the first one (line {line_number}) is read"
            )
    else:
        body = " ".join(
            line for _, line in _logical_lines(text) if not line.strip().startswith("#")
        )
        words = _until_operator(_shell_words(_expand(body, env, used), source, None))
        first = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
        args = words[first:]
    if used:
        listed = ", ".join(f"{k}={v}" for k, v in used.items())
        notes.add(f"shell variables expanded from the file's own assignments: {listed}")
    if not any(a.startswith("-") for a in args):
        raise InputError(
            "no QEMU options found (expected a command line such as "
            "`qemu-system-x86_64 -m 8G -smp 4 ...`)",
            source=source,
        )
    return args, line_number


def _options(args: list[str]) -> list[tuple[str, str | None]]:
    """(option name without dashes, argument) pairs; bare words (disk images) skipped."""
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if not word.startswith("-") or word in ("-", "--"):
            continue
        name = word.lstrip("-")
        if name in _FLAG_OPTIONS:
            out.append((name, None))
        elif name in _READ_OPTIONS or (i < len(args) and not args[i].startswith("-")):
            out.append((name, args[i] if i < len(args) else None))
            i += 1
        else:
            out.append((name, None))
    return out


def _keyval(value: str, implied: str | None) -> dict[str, Any]:
    """QEMU's option syntax (util/qemu-option.c): comma-separated key=value, ",,"
    a literal comma, the first item's key may be left out (the implied key) and a
    bare key is a flag set on. A JSON object (``{...}``) is read as JSON."""
    if value.lstrip().startswith("{"):
        try:
            data = json.loads(value)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
    items: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == ",":
            if value[i + 1 : i + 2] == ",":
                current.append(",")
                i += 2
                continue
            items.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    items.append("".join(current))
    out: dict[str, Any] = {}
    for n, item in enumerate(items):
        if "=" in item:
            key, val = item.split("=", 1)
        elif n == 0 and implied is not None:
            key, val = implied, item
        elif item == "":
            continue
        else:
            key, val = item, "on"
        out[key.strip()] = val
    return out


_SIZE_RE = re.compile(r"^\s*(0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?|\.\d+)\s*([bBkKmMgGtTpPeE]?)\s*$")
_SIZE_SHIFT = {"": 0, "b": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}


def _qemu_size(value: Any, *, default_shift: int = 0) -> int:
    """util/cutils.c qemu_strtosz(): a number (a fraction allowed with a suffix),
    one optional suffix letter B K M G T P E in either case; JSON gives integers."""
    if isinstance(value, bool):
        raise ValueError("not a size")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("not a positive size")
        return value
    text = str(value)
    if "$" in text:
        raise ValueError("a shell variable this file does not set; give the value")
    m = _SIZE_RE.match(text)
    if not m:
        raise ValueError("not a size (use e.g. 512M, 8G or a number of bytes)")
    number, suffix = m.group(1), m.group(2).lower()
    shift = _SIZE_SHIFT[suffix] if suffix else default_shift
    if number.lower().startswith("0x"):
        if suffix:
            raise ValueError("a hexadecimal size takes no suffix")
        size = int(number, 16) << shift
    elif "." in number:
        if shift == 0:
            raise ValueError("a fractional size needs a suffix (K, M, G, ...)")
        scaled = float(number) * (1 << shift)
        if scaled != int(scaled):
            raise ValueError("not a whole number of bytes")
        size = int(scaled)
    else:
        size = int(number) << shift
    if size <= 0:
        raise ValueError("not a positive size")
    if size >= 1 << 64:
        raise ValueError("does not fit in 64 bits")
    return size


_TRUE = {"on", "yes", "true", "y"}
_FALSE = {"off", "no", "false", "n"}


def _qemu_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not on or off")


def _positive_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if "$" in text:
            raise ValueError("a shell variable this file does not set; give the value")
        if not re.fullmatch(r"\d+", text):
            raise ValueError("not a whole number")
        number = int(text)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


class _Qemu:
    """The options of one QEMU command, gathered as QEMU merges them."""

    def __init__(self, source: str, line: int | None, notes: _Notes) -> None:
        self.source = source
        self.line = line
        self.notes = notes
        self.machine: dict[str, Any] = {}
        self.memory: dict[str, Any] = {}
        self.smp: dict[str, Any] = {}
        self.objects: dict[str, tuple[str, dict[str, Any]]] = {}
        self.blockdevs: dict[str, dict[str, Any]] = {}
        self.numa_memdevs: list[str] = []
        self.pflash: list[tuple[int | None, str]] = []
        self.bios: list[str] = []
        self.kernel: list[str] = []
        self.append: list[str] = []
        self.mem_path: list[str] = []
        self.mem_prealloc = False

    def error(self, option: str, problem: str) -> InputError:
        # Problems quote the file's values: a 5000-digit -m is cut, not echoed.
        if len(problem) > 200:
            problem = problem[:197] + "..."
        return InputError(problem, source=self.source, field=option, line=self.line)

    def keyval(self, option: str, value: str | None, implied: str | None) -> dict[str, Any]:
        if value is None:
            raise self.error(option, "needs an argument")
        try:
            return _keyval(value, implied)
        except ValueError as exc:
            raise self.error(option, f"{value!r}: {exc}") from None

    def merge(self, option: str, into: dict[str, Any], new: dict[str, Any]) -> None:
        # vl.c merges repeated -machine, -m and -smp options; a later key wins.
        for key, value in new.items():
            if key in into and into[key] != value:
                self.notes.add(
                    f"{option} sets {key} twice ({into[key]} then {value}): "
                    "QEMU keeps the last, as here"
                )
            into[key] = value

    def read(self, options: list[tuple[str, str | None]]) -> None:
        for name, value in options:
            option = "-" + name
            if name in ("machine", "M"):
                self.merge("-machine", self.machine, self.keyval("-machine", value, "type"))
            elif name == "m":
                self.merge(option, self.memory, self.keyval(option, value, "size"))
            elif name == "smp":
                self.merge(option, self.smp, self.keyval(option, value, "cpus"))
            elif name == "object":
                self.add_object(self.keyval(option, value, "qom-type"))
            elif name == "blockdev":
                props = self.keyval(option, value, None)
                node = props.get("node-name")
                if isinstance(node, str):
                    self.blockdevs[node] = props
            elif name == "numa":
                props = self.keyval(option, value, "type")
                if props.get("type", "node") == "node" and isinstance(props.get("memdev"), str):
                    self.numa_memdevs.append(props["memdev"])
            elif name == "drive":
                props = self.keyval(option, value, None)
                if str(props.get("if", "")).lower() == "pflash" and "file" in props:
                    unit = props.get("unit", props.get("index"))
                    try:
                        unit_number = int(unit) if unit is not None else None
                    except ValueError:
                        raise self.error(option, f"unit={unit!r}: not a number") from None
                    self.pflash.append((unit_number, str(props["file"])))
            elif name in ("pflash", "bios", "kernel", "append", "mem-path"):
                if value is None:
                    raise self.error(option, "needs an argument")
                if name == "pflash":
                    self.pflash.append((None, value))
                else:
                    getattr(self, name.replace("-", "_")).append(value)
            elif name == "mem-prealloc":
                self.mem_prealloc = True

    def add_object(self, props: dict[str, Any]) -> None:
        qom_type, ident = props.get("qom-type"), props.get("id")
        if not isinstance(qom_type, str) or not qom_type:
            raise self.error("-object", "no qom-type (e.g. -object tdx-guest,id=tdx0)")
        if not isinstance(ident, str) or not ident:
            raise self.error("-object", f"{qom_type} without an id=")
        if ident in self.objects:
            raise self.error("-object", f"two objects with id={ident} (QEMU refuses this)")
        self.objects[ident] = (qom_type, props)

    # -- settings -----------------------------------------------------------

    def backend(self, option: str, ident: str) -> tuple[str, dict[str, Any]]:
        found = self.objects.get(ident)
        if found is None or not found[0].startswith("memory-backend-"):
            raise self.error(option, f"no -object memory-backend-* with id={ident}")
        return found

    def backend_size(self, option: str, ident: str) -> int:
        _, props = self.backend(option, ident)
        if "size" not in props:
            raise self.error(option, f"memory backend {ident} has no size=")
        try:
            return _qemu_size(props["size"])
        except ValueError as exc:
            raise self.error("-object", f"{ident} size={props['size']!r}: {exc}") from None

    def ram(self) -> int:
        backend = self.machine.get("memory-backend")
        size = self.memory.get("size")
        if size is not None:
            try:
                # softmmu/vl.c parse_memory_options(): a size ending in a digit is MiB.
                ram = _qemu_size(size, default_shift=20)
            except ValueError as exc:
                raise self.error("-m", f"{size!r}: {exc}") from None
            if re.search(r"\d\s*$", str(size)):
                self.notes.add(
                    f"QEMU's -m reads MiB: -m {size} is {format_size(ram)}"
                    if ram % MiB == 0
                    else f"QEMU's -m reads MiB: -m {size} is {ram} bytes"
                )
            # hw/core/machine.c machine_set_mem(): the size is rounded up to 8 KiB.
            aligned = -(-ram // 8192) * 8192
            if aligned != ram:
                self.notes.add(f"QEMU rounds -m {size} up to 8 KiB: {aligned} bytes")
            ram = aligned
            if isinstance(backend, str):
                backend_ram = self.backend_size("-machine memory-backend", backend)
                if backend_ram != ram:
                    raise self.error(
                        "-m",
                        f"{format_size(ram)} does not match memory backend {backend} "
                        f"({format_size(backend_ram)}); QEMU refuses this",
                    )
        elif isinstance(backend, str):
            ram = self.backend_size("-machine memory-backend", backend)
            self.notes.add(
                f"no -m: RAM is the size of memory backend {backend}, {format_size(ram)}"
            )
        else:
            ram = 128 * MiB
            self.notes.add("no -m: QEMU's default RAM, 128 MiB")
        if "maxmem" in self.memory or "slots" in self.memory:
            self.notes.add(
                "-m maxmem/slots only reserve room for memory hot-plugged later; "
                f"the VM boots with {format_size(ram)}"
            )
        if self.numa_memdevs:
            total = sum(self.backend_size("-numa memdev", m) for m in self.numa_memdevs)
            if total != ram:
                raise self.error(
                    "-numa",
                    f"the NUMA nodes' memory backends hold {format_size(total)}, "
                    f"not the {format_size(ram)} of RAM (QEMU refuses this)",
                )
        return ram

    def vcpus(self) -> int:
        """hw/core/machine-smp.c machine_parse_smp_config() (cores preferred over
        sockets, as every machine type since 6.2)."""
        if not self.smp:
            self.notes.add("no -smp: QEMU's default, 1 vCPU")
            return 1
        keys = (
            "cpus",
            "maxcpus",
            "drawers",
            "books",
            "sockets",
            "dies",
            "clusters",
            "modules",
            "cores",
            "threads",
        )
        given: dict[str, int] = {}
        for key, value in self.smp.items():
            if key not in keys:
                raise self.error("-smp", f"unknown parameter {key}={value}")
            try:
                given[key] = _positive_int(value)
            except ValueError as exc:
                raise self.error("-smp", f"{key}={value}: {exc}") from None
        cpus, maxcpus = given.get("cpus", 0), given.get("maxcpus", 0)
        others = 1
        for key in ("drawers", "books", "dies", "clusters", "modules"):
            others *= given.get(key, 1)
        sockets, cores, threads = (given.get(k, 0) for k in ("sockets", "cores", "threads"))
        if cpus == 0 and maxcpus == 0:
            sockets, cores, threads = sockets or 1, cores or 1, threads or 1
        else:
            maxcpus = maxcpus or cpus
            if cores == 0:
                sockets, threads = sockets or 1, threads or 1
                cores = maxcpus // (sockets * others * threads)
            elif sockets == 0:
                threads = threads or 1
                sockets = maxcpus // (others * cores * threads)
            if threads == 0:
                threads = maxcpus // (sockets * others * cores)
        total = sockets * others * cores * threads
        maxcpus = maxcpus or total
        cpus = cpus or maxcpus
        if total != maxcpus or total == 0:
            raise self.error(
                "-smp",
                f"the topology gives {total} CPUs, not maxcpus={maxcpus} (QEMU refuses this)",
            )
        if cpus > maxcpus:
            raise self.error("-smp", f"cpus={cpus} is more than maxcpus={maxcpus}")
        if "cpus" not in given:
            self.notes.add(f"-smp {self._smp_text()} gives {cpus} vCPUs, as QEMU counts them")
        if maxcpus > cpus:
            self.notes.add(
                f"-smp maxcpus={maxcpus}: the VM boots with {cpus} vCPUs; "
                "the rest are hot-plug slots"
            )
        return cpus

    def _smp_text(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.smp.items())

    def platform(self) -> Platform | None:
        ident = self.machine.get("confidential-guest-support")
        if ident is None and "memory-encryption" in self.machine:
            ident = self.machine["memory-encryption"]
            self.notes.add(
                "-machine memory-encryption= is the older name of confidential-guest-support="
            )
        guests = {
            i: t
            for i, (t, _) in self.objects.items()
            if t in ("tdx-guest", "sev-snp-guest", "sev-guest")
        }
        if ident is None:
            if guests:
                listed = ", ".join(f"{t} {i}" for i, t in guests.items())
                self.notes.add(
                    f"{listed} but no -machine confidential-guest-support=: QEMU does not make "
                    "the VM confidential; platform not taken, pass --platform"
                )
            else:
                self.notes.add("no confidential-guest object: platform not given; pass --platform")
            return None
        found = self.objects.get(str(ident))
        if found is None:
            raise self.error(
                "-machine", f"confidential-guest-support={ident}: no -object with id={ident}"
            )
        qom_type = found[0]
        if qom_type == "tdx-guest":
            return Platform.TDX
        if qom_type == "sev-snp-guest":
            return Platform.SNP
        if qom_type == "sev-guest":
            self.notes.add(
                f"-object sev-guest {ident} is SEV or SEV-ES, not SEV-SNP: no unaccepted memory; "
                "platform not taken"
            )
        else:
            self.notes.add(
                f"-object {qom_type} {ident} is neither TDX nor SEV-SNP: platform not taken"
            )
        return None

    def layout(self, ram: int) -> Layout | None:
        machine = self.machine.get("type")
        if machine is None:
            self.notes.add("no -machine type: QEMU's default x86 machine is pc (i440fx)")
            machine = "pc"
        below = self.machine.get("max-ram-below-4g")
        max_below: int | None = None
        if below is not None:
            try:
                max_below = _qemu_size(below)
            except ValueError as exc:
                raise self.error("-machine", f"max-ram-below-4g={below!r}: {exc}") from None
            if max_below > 4 * GiB:
                raise self.error("-machine", f"max-ram-below-4g={below} is above 4 GiB")
        return _choose_layout(str(machine), ram, max_below, self.notes)

    def host_page_size(self) -> int | None:
        """Page size of the memory backing guest RAM: -machine memory-backend or
        the -numa memdev backends, else -mem-path."""
        idents = list(self.numa_memdevs)
        if isinstance(self.machine.get("memory-backend"), str):
            idents.insert(0, self.machine["memory-backend"])
        sizes: list[int] = []
        for ident in dict.fromkeys(idents):
            qom_type, props = self.backend("-machine memory-backend", ident)
            page = self._backend_page(ident, qom_type, props)
            if page is not None:
                sizes.append(page)
            try:
                prealloc = _qemu_bool(props.get("prealloc", False))
            except ValueError:
                raise self.error(
                    "-object", f"{ident} prealloc={props['prealloc']!r}: not on or off"
                ) from None
            if prealloc:
                self.notes.add(
                    f"memory backend {ident} preallocates (prealloc=on): QEMU touches every page "
                    "before the guest starts; the model does not count that time"
                )
        if not idents and self.mem_path:
            path = self.mem_path[-1]
            page = self._path_page(f"-mem-path {path}", path)
            if page is not None:
                sizes.append(page)
        if self.mem_prealloc:
            self.notes.add(
                "-mem-prealloc: QEMU touches every page before the guest starts; "
                "the model does not count that time"
            )
        if not sizes:
            return None
        if len(set(sizes)) > 1:
            self.notes.add(
                "the RAM backends use different page sizes: the smallest, "
                f"{format_size(min(sizes))}, is taken"
            )
        return min(sizes)

    def _backend_page(self, ident: str, qom_type: str, props: dict[str, Any]) -> int | None:
        if qom_type.startswith("memory-backend-memfd"):
            try:
                hugetlb = _qemu_bool(props.get("hugetlb", False))
            except ValueError as exc:
                raise self.error(
                    "-object", f"{ident} hugetlb={props['hugetlb']!r}: {exc}"
                ) from None
            if not hugetlb:
                return None
            if "hugetlbsize" in props:
                try:
                    page = _qemu_size(props["hugetlbsize"])
                except ValueError as exc:
                    problem = f"{ident} hugetlbsize={props['hugetlbsize']!r}: {exc}"
                    raise self.error("-object", problem) from None
                self.notes.add(f"memory backend {ident} uses {format_size(page)} hugetlb pages")
                return page
            self.notes.add(
                f"memory backend {ident}: hugetlb=on without hugetlbsize= takes the host's "
                "default huge page size, 2 MiB on x86 unless default_hugepagesz= says otherwise"
            )
            return LARGE_PAGE
        if qom_type == "memory-backend-file" and "mem-path" in props:
            return self._path_page(f"memory backend {ident}", str(props["mem-path"]))
        return None

    def _path_page(self, what: str, path: str) -> int | None:
        if "huge" not in path.lower():
            return None
        page = GiB if re.search(r"1g(?:ib|b)?(?![a-z0-9])", path.lower()) else LARGE_PAGE
        self.notes.add(
            f"{what} is on {path}: a hugetlbfs mount whose page size the command line does not "
            f"say; {format_size(page)} assumed from its name"
        )
        return page

    def firmware(self) -> str | None:
        path: str | None = None
        node = self.machine.get("pflash0")
        if isinstance(node, str):
            path = self._blockdev_file(node)
        if path is None and self.pflash:
            # The code volume is unit 0 (or the first pflash drive without a unit).
            units = sorted(self.pflash, key=lambda p: (p[0] is None, p[0] or 0))
            path = units[0][1]
        if len(self.bios) > 1 and len(set(self.bios)) > 1:
            self.notes.add(f"-bios given {len(self.bios)} times: QEMU keeps the last")
        if path is not None:
            if self.bios:
                self.notes.add("both -bios and a pflash drive: QEMU boots the pflash firmware")
            return path
        if self.bios:
            return self.bios[-1]
        self.notes.add(
            "no -bios or pflash firmware: QEMU would load SeaBIOS (bios-256k.bin), not UEFI"
        )
        return None

    def _blockdev_file(self, node: str) -> str | None:
        """pflash0=NODE: follow the -blockdev format node to its file node's filename."""
        for _ in range(4):
            props = self.blockdevs.get(node)
            if props is None:
                return None
            if isinstance(props.get("filename"), str):
                return str(props["filename"])
            child = props.get("file")
            if isinstance(child, dict) and isinstance(child.get("filename"), str):
                return str(child["filename"])
            if not isinstance(child, str):
                return None
            node = child
        return None


def _parse_qemu(text: str, source: str) -> VmDefinition:
    notes = _Notes()
    args, line = _extract_command(text, source, notes)
    q = _Qemu(source, line, notes)
    q.read(_options(args))
    ram = q.ram()
    vcpus = q.vcpus()
    platform = q.platform()
    layout = q.layout(ram)
    page = q.host_page_size()
    _private_memory_notes(platform, page, notes)
    firmware = q.firmware()
    _firmware_notes(firmware, platform, notes)
    if platform == Platform.TDX and firmware is not None and firmware not in q.bios:
        notes.add(
            "TDX loads its firmware with -bios (docs/system/i386/tdx.rst: no read-only "
            "memory slots for pflash)"
        )
    loader: Loader | None = None
    if q.kernel:
        loader = Loader.EFI_STUB
        notes.add(
            "direct kernel boot (-kernel): OVMF starts the kernel's EFI stub through LoadImage"
        )
        if len(set(q.kernel)) > 1:
            notes.add(f"-kernel given {len(q.kernel)} times: QEMU keeps the last")
    else:
        notes.add(
            "boots from a disk image: the loader (GRUB, or the EFI stub through systemd-boot "
            "or a UKI) is not on the command line; pass --loader"
        )
    cmdline: str | None = None
    accept: AcceptMemory | None = None
    efi_debug = False
    if q.append:
        if len(set(q.append)) > 1:
            notes.add(f"-append given {len(q.append)} times: QEMU keeps the last")
        cmdline = q.append[-1]
        if not q.kernel:
            notes.add("-append without -kernel: QEMU refuses it; read anyway")
        accept, efi_debug = _read_kernel_cmdline(cmdline, notes, source, "-append")
    return VmDefinition(
        kind=VmKind.QEMU,
        source=source,
        platform=platform,
        ram_bytes=ram,
        vcpus=vcpus,
        layout=layout,
        host_page_size=page,
        firmware_path=firmware,
        firmware_hint=_firmware_hint(firmware) if firmware else None,
        loader=loader,
        kernel_cmdline=cmdline,
        accept_memory=accept,
        efi_debug=efi_debug,
        assumptions=notes.tuple(),
    )


# ---------------------------------------------------------------------------
# libvirt domain XML
# ---------------------------------------------------------------------------

# libvirt virScaleInteger(): "KB" is 1000, "k", "K" and "KiB" are 1024 (letters
# in either case); a plain number is in the element's default unit.
_LIBVIRT_SHIFT = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


def _libvirt_scale(value: str, unit: str | None, default: str, field: str, source: str) -> int:
    text = (value or "").strip()
    if not re.fullmatch(r"\d+", text):
        raise InputError(f"{text!r}: not a whole number", source=source, field=field)
    unit = (unit or default).strip()
    low = unit.lower()
    if low in ("b", "bytes"):
        scale = 1
    elif low and low[0] in _LIBVIRT_SHIFT and (len(low) == 1 or low[1:] in ("ib", "b")):
        base = 1000 if low[1:] == "b" else 1024
        scale = base ** _LIBVIRT_SHIFT[low[0]]
    else:
        raise InputError(f"unit={unit!r}: not a libvirt size unit", source=source, field=field)
    return int(text) * scale


def _parse_libvirt(text: str, source: str) -> VmDefinition:
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise InputError(
            "a document type or entity declaration: refused (libvirt XML has none)", source=source
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"not well-formed XML: {exc}", source=source, line=line) from None
    if root.tag != "domain":
        raise InputError(f"the root element is <{root.tag}>, not <domain>", source=source)
    notes = _Notes()

    ram: int | None = None
    memory = root.find("memory")
    if memory is not None:
        ram = _libvirt_scale(memory.text or "", memory.get("unit"), "KiB", "<memory>", source)
    else:
        cells = root.findall("cpu/numa/cell")
        if cells:
            ram = sum(
                _libvirt_scale(c.get("memory", ""), c.get("unit"), "KiB", "<cell memory>", source)
                for c in cells
            )
            notes.add("no <memory>: RAM is the sum of the NUMA cells")
        else:
            notes.add("no <memory>: RAM not given; pass --ram")
    if ram is not None:
        if ram == 0:
            raise InputError("zero RAM", source=source, field="<memory>")
        # src/qemu/qemu_domain.c qemuDomainAlignMemorySizes() rounds up to 1 MiB
        # (libvirt's test launch-security-sev-snp: 219100 KiB runs as -m size=219136k).
        aligned = -(-ram // MiB) * MiB
        if aligned != ram:
            notes.add(
                f"libvirt rounds <memory> up to a whole MiB: {ram / KiB:g} KiB runs as "
                f"{aligned // KiB} KiB ({format_size(aligned)})"
            )
            ram = aligned
        current = root.find("currentMemory")
        if current is not None:
            now = _libvirt_scale(
                current.text or "", current.get("unit"), "KiB", "<currentMemory>", source
            )
            if now < ram:
                notes.add(
                    f"<currentMemory> ({format_size(now)}) is below <memory>: the balloon takes "
                    f"the difference after boot; firmware and kernel see {format_size(ram)}"
                )

    vcpus = 1
    vcpu = root.find("vcpu")
    if vcpu is None:
        notes.add("no <vcpu>: libvirt's default, 1 vCPU")
    else:
        try:
            vcpus = _positive_int(vcpu.text or "")
            if vcpu.get("current") is not None:
                current_vcpus = _positive_int(vcpu.get("current"))
                if current_vcpus < vcpus:
                    notes.add(
                        f"<vcpu current='{current_vcpus}'>: the VM boots with {current_vcpus} "
                        f"of {vcpus} vCPUs"
                    )
                    vcpus = current_vcpus
        except ValueError as exc:
            raise InputError(f"{exc}", source=source, field="<vcpu>") from None

    os_el = root.find("os")
    os_type = os_el.find("type") if os_el is not None else None
    machine = os_type.get("machine") if os_type is not None else None
    if not machine:
        notes.add("no machine in <os><type>: libvirt takes QEMU's default, pc (i440fx)")
        machine = "pc"
    layout = _choose_layout(machine, ram, None, notes)

    platform: Platform | None = None
    security = root.find("launchSecurity")
    sec_type = security.get("type") if security is not None else None
    if sec_type == "tdx":
        platform = Platform.TDX
    elif sec_type == "sev-snp":
        platform = Platform.SNP
    elif sec_type == "sev":
        notes.add(
            "<launchSecurity type='sev'> is SEV or SEV-ES, not SEV-SNP: no unaccepted memory; "
            "platform not taken"
        )
    elif sec_type is not None:
        notes.add(f"<launchSecurity type='{sec_type}'> is neither TDX nor SEV-SNP")
    else:
        notes.add("no <launchSecurity>: platform not given; pass --platform")

    page = _libvirt_page(root, notes, source)
    _private_memory_notes(platform, page, notes)

    firmware: str | None = None
    loader_el = os_el.find("loader") if os_el is not None else None
    if loader_el is not None and (loader_el.text or "").strip():
        firmware = (loader_el.text or "").strip()
    elif os_el is not None and os_el.get("firmware") == "efi":
        notes.add(
            "<os firmware='efi'>: libvirt picks the firmware file from its descriptors; "
            "its path is not in the XML"
        )
    elif platform is None:
        notes.add("no <loader> and no firmware='efi': libvirt boots SeaBIOS, not UEFI")
    else:
        notes.add("no <loader> and no firmware='efi': the firmware path is not in the XML")
    _firmware_notes(firmware, platform, notes)

    loader: Loader | None = None
    if os_el is not None and (os_el.findtext("kernel") or "").strip():
        loader = Loader.EFI_STUB
        notes.add(
            "direct kernel boot (<kernel>): OVMF starts the kernel's EFI stub through LoadImage"
        )
    else:
        notes.add(
            "boots from a disk image: the loader (GRUB, or the EFI stub through systemd-boot "
            "or a UKI) is not in the XML; pass --loader"
        )
    cmdline = os_el.findtext("cmdline") if os_el is not None else None
    accept: AcceptMemory | None = None
    efi_debug = False
    if cmdline is not None:
        accept, efi_debug = _read_kernel_cmdline(cmdline, notes, source, "<cmdline>")
    if root.find("{http://libvirt.org/schemas/domain/qemu/1.0}commandline") is not None:
        notes.add("<qemu:commandline> pass-through arguments are not read")
    return VmDefinition(
        kind=VmKind.LIBVIRT,
        source=source,
        platform=platform,
        ram_bytes=ram,
        vcpus=vcpus,
        layout=layout,
        host_page_size=page,
        firmware_path=firmware,
        firmware_hint=_firmware_hint(firmware) if firmware else None,
        loader=loader,
        kernel_cmdline=cmdline,
        accept_memory=accept,
        efi_debug=efi_debug,
        assumptions=notes.tuple(),
    )


def _libvirt_page(root: ET.Element, notes: _Notes, source: str) -> int | None:
    backing = root.find("memoryBacking")
    if backing is None:
        return None
    allocation = backing.find("allocation")
    if allocation is not None and allocation.get("mode") == "immediate":
        notes.add(
            "<allocation mode='immediate'>: QEMU touches every page before the guest starts; "
            "the model does not count that time"
        )
    hugepages = backing.find("hugepages")
    if hugepages is None:
        return None
    pages = [
        _libvirt_scale(p.get("size", ""), p.get("unit"), "KiB", "<hugepages><page size>", source)
        for p in hugepages.findall("page")
    ]
    if not pages:
        notes.add(
            "<hugepages/> without a page size: the host's default huge page size, "
            "2 MiB on x86 unless default_hugepagesz= says otherwise"
        )
        return LARGE_PAGE
    if len(set(pages)) > 1:
        notes.add(f"several huge page sizes: the smallest, {format_size(min(pages))}, is taken")
    else:
        notes.add(f"<hugepages>: guest RAM on {format_size(pages[0])} pages")
    return min(pages)


# ---------------------------------------------------------------------------
# Kata Containers configuration TOML
# ---------------------------------------------------------------------------

# src/runtime/pkg/katautils/config-settings.go.in and config.go (Go runtime):
# defaultMemSize 2048 MiB, used when default_memory is below
# vc.MinHypervisorMemory (256 MiB, virtcontainers/hypervisor.go), absent
# included; defaultVCPUCount 1 when default_vcpus is 0 or absent;
# defaultMachineType "q35".
KATA_DEFAULT_MEMORY_MIB = 2048
KATA_MIN_MEMORY_MIB = 256
KATA_DEFAULT_VCPUS = 1
KATA_DEFAULT_MACHINE = "q35"


def _parse_kata(text: str, source: str) -> VmDefinition:
    placeholder = re.search(r"@[A-Z][A-Z0-9_]*@", text)
    if placeholder:
        raise InputError(
            f"an unrendered Kata template ({placeholder.group(0)} is a build-time placeholder): "
            "use the installed configuration-*.toml, or render it with make in src/runtime",
            source=source,
        )
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # bad TOML, or an integer of 4,300+ digits
        raise InputError(f"not valid TOML: {str(exc)[:200]}", source=source) from None
    except RecursionError:
        raise InputError("not valid TOML: nested too deeply", source=source) from None
    notes = _Notes()
    tables = data.get("hypervisor")
    if not isinstance(tables, dict) or not tables:
        raise InputError("no [hypervisor.NAME] table", source=source)
    name = "qemu" if "qemu" in tables else next(iter(tables))
    if len(tables) > 1:
        notes.add(f"several [hypervisor.*] tables: [hypervisor.{name}] is read")
    hyp = tables[name]
    if not isinstance(hyp, dict):
        raise InputError("not a table", source=source, field=f"[hypervisor.{name}]")
    section = f"[hypervisor.{name}]"

    def get(key: str, kinds: tuple[type, ...]) -> Any:
        value = hyp.get(key)
        wrong_bool = isinstance(value, bool) != (bool in kinds)
        if value is not None and (wrong_bool or not isinstance(value, kinds)):
            expected = " or ".join(k.__name__ for k in kinds)
            raise InputError(f"{value!r}: not {expected}", source=source, field=f"{section} {key}")
        return value

    if name != "qemu":
        notes.add(f"hypervisor {name} is not QEMU: its memory layout is not taken")

    memory = get("default_memory", (int,))
    if memory is None or memory < KATA_MIN_MEMORY_MIB:
        what = "absent" if memory is None else f"{memory} MiB, below Kata's 256 MiB minimum"
        notes.add(f"Kata default_memory {what}: {KATA_DEFAULT_MEMORY_MIB} MiB, Kata's default")
        memory = KATA_DEFAULT_MEMORY_MIB
    else:
        notes.add(f"Kata's default_memory reads MiB: {memory} is {format_size(memory * MiB)}")
    ram = memory * MiB

    vcpus: int | None
    raw_vcpus = get("default_vcpus", (int, float))
    if raw_vcpus is None or raw_vcpus == 0:
        what = "absent" if raw_vcpus is None else "0"
        notes.add(f"Kata default_vcpus {what}: {KATA_DEFAULT_VCPUS}, Kata's default")
        vcpus = KATA_DEFAULT_VCPUS
    elif raw_vcpus < 0:
        notes.add(
            f"Kata default_vcpus = {raw_vcpus}: the host's CPU count, unknown here; pass --vcpus"
        )
        vcpus = None
    else:
        vcpus = math.ceil(raw_vcpus)
        if vcpus != raw_vcpus:
            notes.add(f"Kata rounds default_vcpus = {raw_vcpus} up to {vcpus} vCPUs")
    runtime = data.get("runtime")
    static = runtime.get("static_sandbox_resource_mgmt") if isinstance(runtime, dict) else None
    notes.add(
        "Kata sizes the VM when the pod starts: default_memory and default_vcpus plus the pod's "
        "limits"
        + (" (static_sandbox_resource_mgmt = true)" if static is True else "")
        + "; these figures are the base without a workload"
    )

    machine = get("machine_type", (str,))
    if not machine:
        notes.add(f"no machine_type: Kata's default, {KATA_DEFAULT_MACHINE}")
        machine = KATA_DEFAULT_MACHINE
    layout = _choose_layout(machine, ram, None, notes) if name == "qemu" else None

    platform = _kata_platform(hyp, source, get, notes)

    page: int | None = None
    if get("enable_hugepages", (bool,)) is True:
        page = LARGE_PAGE
        notes.add(
            "enable_hugepages = true: guest RAM on /dev/hugepages, whose page size Kata reads "
            "from the host (virtcontainers/qemu.go); 2 MiB assumed"
        )
    shared_fs = get("shared_fs", (str,))
    if shared_fs and shared_fs != "none":
        notes.add(
            f"shared_fs = {shared_fs}: guest RAM is a shared file mapping for the vhost-user daemon"
        )
    _private_memory_notes(platform, page, notes)

    firmware = get("firmware", (str,)) or None
    if firmware is None:
        notes.add("firmware is empty: QEMU's default firmware; its path is not in the file")
    _firmware_notes(firmware, platform, notes)
    notes.add(
        "Kata boots its guest kernel directly (-kernel): OVMF starts the kernel's EFI stub "
        "through LoadImage"
    )
    cmdline = get("kernel_params", (str,))
    accept: AcceptMemory | None = None
    efi_debug = False
    if cmdline:
        accept, efi_debug = _read_kernel_cmdline(cmdline, notes, source, f"{section} kernel_params")
    deadline = _kata_deadline(data, source, notes)
    return VmDefinition(
        kind=VmKind.KATA,
        source=source,
        platform=platform,
        ram_bytes=ram,
        vcpus=vcpus,
        layout=layout,
        host_page_size=page,
        firmware_path=firmware,
        firmware_hint=_firmware_hint(firmware) if firmware else None,
        loader=Loader.EFI_STUB,
        kernel_cmdline=cmdline if cmdline else None,
        accept_memory=accept,
        efi_debug=efi_debug,
        deadline_s=deadline,
        assumptions=notes.tuple(),
    )


def _kata_platform(hyp: dict[str, Any], source: str, get: Any, notes: _Notes) -> Platform | None:
    """Kata picks the platform from the host when the sandbox starts
    (virtcontainers/hypervisor_linux_amd64.go availableGuestProtection(): TDX if
    kvm_intel's tdx is on, else SEV-SNP if kvm_amd's sev_snp is on; SNP is used
    only with sev_snp_guest = true, else plain SEV). The file can only hint."""
    if get("confidential_guest", (bool,)) is not True:
        notes.add("confidential_guest is not true: not a confidential VM; platform not taken")
        return None
    snp = get("sev_snp_guest", (bool,)) is True
    tdx_markers: list[str] = []
    if "tdx_quote_generation_service_socket_port" in hyp:
        tdx_markers.append("its tdx_quote_generation_service_socket_port key")
    for key in ("firmware", "firmware_volume", "path", "machine_type"):
        value = hyp.get(key)
        if isinstance(value, str) and re.search(r"tdx|tdvf", value, re.IGNORECASE):
            tdx_markers.append(f"{key} {value!r}")
    base = PurePath(source).name.lower()
    if not tdx_markers and not snp:
        if "tdx" in base:
            tdx_markers.append(f"the file name {PurePath(source).name!r}")
        elif "snp" in base:
            notes.add(
                f"the file name {PurePath(source).name!r} says SEV-SNP but sev_snp_guest is not "
                "true: on an AMD host Kata would start plain SEV"
            )
    host = "Kata picks the platform from the host when the sandbox starts"
    if snp and tdx_markers:
        notes.add(
            f"sev_snp_guest = true and {tdx_markers[0]} point both ways: platform not taken; "
            "pass --platform"
        )
        return None
    if snp:
        notes.add(f"{host}; sev_snp_guest = true makes it SEV-SNP on an AMD host")
        return Platform.SNP
    if tdx_markers:
        notes.add(f"{host}; {tdx_markers[0]} says TDX")
        return Platform.TDX
    notes.add(
        f"{host} (TDX, or SEV-SNP only with sev_snp_guest = true): platform not taken; "
        "pass --platform"
    )
    return None


def _kata_deadline(data: dict[str, Any], source: str, notes: _Notes) -> float | None:
    """create_container_timeout (seconds): [runtime] for the Go runtime
    (pkg/katautils/config.go), [agent.NAME] for runtime-rs (kata-types agent.rs)."""
    found: list[tuple[str, Any]] = []
    runtime = data.get("runtime")
    if isinstance(runtime, dict) and "create_container_timeout" in runtime:
        found.append(("[runtime]", runtime["create_container_timeout"]))
    agents = data.get("agent")
    if isinstance(agents, dict):
        for agent, table in agents.items():
            if isinstance(table, dict) and "create_container_timeout" in table:
                found.append((f"[agent.{agent}]", table["create_container_timeout"]))
    if not found:
        notes.add("no create_container_timeout: no boot deadline taken (Kata's templates set 60 s)")
        return None
    where, value = found[0]
    field = f"{where} create_container_timeout"
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"{value!r}: not a number of seconds", source=source, field=field)
    if len(found) > 1:
        notes.add(f"create_container_timeout in {found[0][0]} and {found[1][0]}: {where} is read")
    if value == 0:
        notes.add(f"{field} = 0: no boot deadline taken")
        return None
    notes.add(
        f"{field} = {value} s: Kata gives up on a sandbox whose agent has not created the "
        "container by then; taken as the boot deadline"
    )
    return float(value)
