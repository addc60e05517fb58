"""Property-based fuzzing of every input kind against the README's contract.

Real seeds (the boot logs in tests/logs, the configs in tests/configs, the
goldens in matrices/, the built-in profiles, a /proc/meminfo, every option's
documented values, special files) are mutated by hypothesis and fed to the
real entry point, `uefi_accept.cli.main`, in-process. Every run must:

- exit 0, 1 or 2 (never 3, never a traceback);
- on exit 2, print exactly one error line, last on stderr, that names the
  file it read or the option it refused;
- take less than a second plus a second per MiB of input (5 s in CI, whose
  machines are shared);
- leave every input byte-identical (check --update may rewrite a golden only
  when it reports a change, and then with a file check reads back unchanged);
- leave no file behind but the -o output, and that only on exit 0 or 1.

CI runs a fixed, derandomized sample (about 10 s). A release check runs more:

    UEFI_ACCEPT_FUZZ_EXAMPLES=20000 python -m pytest -q tests/test_fuzz.py -x

(examples per test; each test draws new inputs each run then, and hypothesis
prints the smallest failing input it finds).
"""

from __future__ import annotations

import gc
import gzip
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from uefi_accept.cli import main
from uefi_accept.inputs.files import MAX_LOG_BYTES, display_path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "uefi_accept" / "profiles"
LONG = int(os.environ.get("UEFI_ACCEPT_FUZZ_EXAMPLES", "0"))


def fuzz_settings(ci_examples: int) -> settings:
    return settings(
        max_examples=LONG or ci_examples,
        deadline=None,  # the contract's own time bound is checked instead
        derandomize=not LONG,  # CI: the same sample every run
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
    )


# -- seeds ----------------------------------------------------------------------------


def _read(paths: list[Path]) -> list[bytes]:
    return [p.read_bytes() for p in sorted(paths)]


FW_SEEDS = _read(list((PROFILES / "firmware").glob("*.toml")))
KERNEL_SEEDS = _read(list((PROFILES / "kernel").glob("*.toml")))
KCONFIG_SEEDS = _read(list((ROOT / "tests" / "configs").glob("*.txt")))
LOG_SEEDS = _read(list((ROOT / "tests" / "logs").glob("*.txt")))
GOLDEN_SEEDS = _read(list((ROOT / "matrices").glob("*.json")))
# A /proc/meminfo as fs/proc/meminfo.c prints it (6.5+, with CONFIG_UNACCEPTED_MEMORY):
# no public one with an Unaccepted: line exists (tests/logs/README.md).
MEMINFO_SEED = b"""MemTotal:        8129940 kB
MemFree:         5730896 kB
MemAvailable:    7412300 kB
Buffers:           44936 kB
Cached:          1779400 kB
SwapCached:            0 kB
Active:           538736 kB
Inactive:        1398316 kB
Active(anon):     113444 kB
Inactive(anon):        0 kB
Unevictable:           0 kB
SwapTotal:             0 kB
AnonPages:        112932 kB
Slab:             155920 kB
PageTables:         2908 kB
CommitLimit:     4064968 kB
Committed_AS:     438520 kB
VmallocTotal:   34359738367 kB
Percpu:             2304 kB
Unaccepted:      4188160 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
DirectMap4k:      223112 kB
DirectMap2M:     8165376 kB
"""
MEMINFO_SEEDS = [MEMINFO_SEED, MEMINFO_SEED.replace(b"Unaccepted:      4188160 kB\n", b"")]
# An EFI map log the engine boots over (--memmap): the real logs hold partial maps.
MAP_SEED = b"".join(
    f"efi: mem{i:02d}: [{name:<12}|   |  |  |  |  |  |  |  |   |WB|WT|WC|UC] "
    f"range=[0x{start:016x}-0x{end - 1:016x}] ({(end - start) >> 20}MB)\n".encode()
    for i, (name, start, end) in enumerate(
        [
            ("Conventional", 0x0, 0xA0000),
            ("Conventional", 0x100000, 0x800000),
            ("Loader Data", 0x800000, 0x1000000),
            ("Conventional", 0x1000000, 0x80000000),
            ("ACPI Reclaim", 0x80000000, 0x80100000),
            ("Unaccepted", 0x100000000, 0x1080000000),
        ]
    )
)
LOG_SEEDS.append(
    b"Linux version 6.8.0\nMemory Encryption Features active: AMD SEV SEV-ES SEV-SNP\n" + MAP_SEED
)

# Bytes that matter to some parser: separators, escapes, numbers at every bound.
TOKENS = [
    b"\n", b"\r", b"\r\n", b"\x00", b"\t", b" ", b"\xff", b"\xef\xbb\xbf", b"\x1b[31m",
    b"\x1b]0;title", b"\x1b", b"\x07", b"[", b"]", b"[[", b"]]", b"|", b"=", b'"', b"'",
    b"#", b",", b":", b"{", b"}", b"(", b")", b"-", b"..", b"0x", b"0xffffffffffffffff",
    b"0x10000000000000000", b"18446744073709551616", b"9223372036854775808", b"4503599627370496",
    b"1e400", b"-1e400", b"NaN", b"Infinity", b"-1", b"0", b"1", b"4096", b"1.5", b"\xc2\xb2",
    b"\xd9\xa4", b"15E", b"4P", b"64G", b"1K", b"99999999999999999999999999999999",
    b"efi: mem99: [Unaccepted  |   |  |  |  |  |  |  |  |   |WB|WT|WC|UC] "
    b"range=[0x0000000100000000-0x00000001ffffffff] (4096MB)",
    b"efi: mem00: [", b"range=[", b"BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable",
    b"Linux version 6.8.0", b"Linux version 5.15.0", b"Memory: 1000K/2000K available",
    b"MemTotal: 1 kB", b"Unaccepted: 1 kB", b"Command line: accept_memory=eager",
    b"efi: EFI v2.70 by EDK II", b"SEV-SNP", b"tdx: Guest detected", b"Intel TDX",
    b"The system has unaccepted memory,  but kernel does not support it",
    b"CONFIG_UNACCEPTED_MEMORY=y", b"CONFIG_AMD_MEM_ENCRYPT=y", b"# CONFIG_EFI_STUB is not set",
    b"# Linux/x86 6.4.0 Kernel Configuration", b"a.b.c", b"name", b"pre_accept", b"handover",
    b"never", b"opt-in", b"always", b"all", b"below-4g", b"snp", b"tdx", b"true", b"false",
    b"profiles", b"cells", b"kind", b"schema_version", b"matrix", b"null",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few edits: inserted tokens, cut, duplicated or swapped
    pieces, changed numbers, flipped bytes, a truncation."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 6]))):
        n = len(data)
        at = draw(st.integers(0, n))
        op = draw(
            st.sampled_from(["insert", "delete", "duplicate", "number", "flip", "line", "cut"])
        )
        if op == "insert":
            piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=16)))
            data[at:at] = piece * draw(st.sampled_from([1, 1, 2, 100]))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "duplicate":
            piece = bytes(data[at : at + draw(st.integers(1, 400))])
            data[at:at] = piece * draw(st.integers(1, 50 if not LONG else 2000))
        elif op == "number":
            numbers = [m.span() for m in re.finditer(rb"[0-9a-fA-Fx.]+", data)]
            if numbers:
                i, j = draw(st.sampled_from(numbers))
                data[i:j] = draw(st.sampled_from([t for t in TOKENS if t[:1].isdigit()]))
        elif op == "flip" and n:
            i = min(at, n - 1)
            data[i] = draw(st.integers(0, 255))
        elif op == "line":
            lines = bytes(data).split(b"\n")
            if len(lines) > 1:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                data = bytearray(b"\n".join(lines))
        elif op == "cut":
            del data[at:]
    return bytes(data)


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 2**52, 2**63 - 1, 2**63, 2**64, 4096, 1 << 30]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "all", "never", "snp", "tdx", "64G", "15E", "4K", "x" * 300]),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


# Values a field of a profile, a scenario or a cell may take, right or wrong.
PLAUSIBLE = [
    "never", "opt-in", "always", "all", "below-4g", "4K", "2M", "bsp", "lazy", "eager",
    "snp", "tdx", "q35", "low-3g", "efi-stub", "grub", "grub-legacy", "fast", "slow",
    "degraded", "oom", "crash", "timeout", "64M", "256M", "4G", "48M", "512M", "6.8", "5.15",
    "deployed", "near-future", "far-future", "enlightened", "unenlightened", "exact", "fixed",
]  # fmt: skip
BOUNDARY_INTS = [0, 1, -1, 4096, 1 << 21, 1 << 27, 1 << 30, 1 << 52, (1 << 52) + 1, 2**63 - 1,
                 2**63, 2**64]  # fmt: skip


@st.composite
def like(draw: st.DrawFn, old: Any) -> Any:
    """A value of the same JSON type as `old`: it gets past the type checks."""
    if isinstance(old, bool):
        return draw(st.booleans())
    if isinstance(old, int):
        return draw(st.sampled_from(BOUNDARY_INTS) | st.integers(0, 2**64))
    if isinstance(old, float):
        extremes = st.sampled_from([0.0, 5e-324, 1.0, 1.0000001, 1e6, 1e12, 1e308, -1.0])
        return draw(extremes | st.floats(0, 1e13, allow_nan=False))
    if isinstance(old, str):
        return draw(st.sampled_from(PLAUSIBLE) | st.text(max_size=12))
    if isinstance(old, list) and old:
        items = list(old)
        i = draw(st.integers(0, len(items) - 1))
        choice = draw(st.sampled_from(["drop", "repeat", "swap"]))
        if choice == "drop":
            del items[i]
        elif choice == "repeat":
            items.insert(i, items[i])
        else:
            items[0], items[i] = items[i], items[0]
        return items
    return draw(JSON_VALUES)


def _paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every node below `node` (keys and indices)."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield (*at, key)
        yield from _paths(child, (*at, key))


@st.composite
def structured(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A decoded seed (dict/list tree) with a few values replaced (mostly by
    one of the same type), keys removed or added."""
    doc = json.loads(json.dumps(draw(st.sampled_from(seeds))))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 4]))):
        # Any node, uniformly: a cell's figure as likely as the top-level "kind".
        paths = list(_paths(doc))
        if not paths:
            continue
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        action = draw(st.sampled_from(["like", "like", "like", "any", "delete", "add"]))
        if action == "like":
            parent[key] = draw(like(parent[key]))
        elif action == "any":
            parent[key] = draw(JSON_VALUES)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(PLAUSIBLE) | st.text(max_size=12))] = draw(JSON_VALUES)
        else:
            parent.append(draw(JSON_VALUES))
    return doc


PROFILE_DOCS = [tomllib.loads(s.decode()) for s in FW_SEEDS + KERNEL_SEEDS]
GOLDEN_DOCS = [json.loads(s) for s in GOLDEN_SEEDS[:2]]


# -- the contract ------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float


@contextmanager
def _streams(stdin: bytes) -> Iterator[tuple[io.BytesIO, io.BytesIO]]:
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    try:
        yield out, err
    finally:
        for stream in (sys.stdin, sys.stdout, sys.stderr):
            if isinstance(stream, io.TextIOWrapper) and not stream.closed:
                stream.flush() if stream.writable() else None
                stream.detach()  # keep the BytesIO open once the wrapper is dropped
        sys.stdin, sys.stdout, sys.stderr = saved


def invoke(args: list[str], stdin: bytes = b"") -> Outcome:
    # The cyclic collector is paused while the command runs: over thousands of
    # examples hypothesis's own heap grows, and a full collection of it (over a
    # second of CPU in a long run) would be charged to whichever command it
    # happened to interrupt. A real process of uefi-accept has a small heap.
    with _streams(stdin) as (out, err):
        gc.disable()
        started = time.process_time()
        code: object = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code
        finally:
            seconds = time.process_time() - started
            gc.enable()
    assert isinstance(code, int), (args, code)
    return Outcome(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"), seconds)


def bound(size: int) -> float:
    """Seconds a run may take: 1 s + 1 s per MiB (5 s floor in CI)."""
    return (1.0 if LONG else 5.0) + size / (1 << 20)


def _listing(tmp: Path) -> set[str]:
    """Every file under tmp, symbolic links not followed."""
    out = set()
    for top, dirs, files in os.walk(tmp):
        out |= {os.path.relpath(os.path.join(top, f), tmp) for f in files + dirs}
    return out


def check_contract(
    args: list[str],
    tmp: Path,
    inputs: dict[Path, bytes],
    stdin: bytes = b"",
    output: Path | None = None,
    golden_update: Path | None = None,
) -> Outcome:
    before = _listing(tmp)
    r = invoke(args, stdin)
    event(f"exit {r.code}")  # --hypothesis-show-statistics: how deep the inputs reach
    shown = f"{args}"[:300]
    assert r.code in (0, 1, 2), f"exit {r.code} for {shown}: {r.err[-500:]}"
    assert "Traceback" not in r.err, shown
    lines = r.err.splitlines()
    assert all(line.startswith("uefi-accept: ") for line in lines), f"{shown}: {r.err[-500:]}"
    assert not any(line.startswith("uefi-accept: internal") for line in lines), shown
    if r.code == 2:
        errors = [line for line in lines if line.startswith("uefi-accept: error: ")]
        assert len(errors) == 1 and lines[-1] == errors[0], f"{shown}: {r.err[-500:]}"
        # An empty file name has no name to show: the line says it is empty.
        named = [display_path(a) for a in args if "/" in a] + ["<stdin>", "'': ", "an empty"]
        line = errors[0]
        assert any(n in line for n in named) or re.search(r"(^|[ ':])-{1,2}[a-z]", line), (
            f"{shown}: the error names no file or option: {line}"
        )
    size = sum(len(b) for b in inputs.values()) + len(stdin)
    assert r.seconds < bound(size), f"{shown}: {r.seconds:.2f} s for {size} bytes"
    for path, data in inputs.items():
        if path == golden_update and r.code == 1:
            rewritten = invoke(["check", str(path)])
            assert rewritten.code == 0, f"--update wrote a file check rejects: {rewritten.err}"
            path.write_bytes(data)
        else:
            assert path.read_bytes() == data, f"{shown} changed its input {path.name}"
    after = _listing(tmp)
    made = os.path.relpath(output, tmp) if output is not None else None
    allowed = {made} if made is not None and r.code in (0, 1) else set()
    assert after - before <= allowed, f"{shown} left {sorted(after - before - allowed)}"
    if output is not None:
        output.unlink(missing_ok=True)
    return r


@pytest.fixture
def tmp_root(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    """Import what every command imports lazily, so that no example's time
    bound pays for the first import of numpy or a renderer."""
    log = str(
        ROOT
        / "tests"
        / "logs"
        / "snp-guest-efi-memmap-Unaccepted-snippet-lkml-rfc-hotplug-2025-12.txt"
    )
    for args in (
        ["matrix", "--format", "json"],
        ["matrix", "--format", "markdown"],
        ["run", "--fw", "far-future", "--kernel", "enlightened", "--format", "text"],
        ["sweep", "--ram", "1G..2G", "--format", "json"],
        ["upgrades"],
        ["inspect", log, "--format", "json"],
        ["inspect", log],
        ["check", str(ROOT / "matrices" / "snp-4g.json"), "--format", "json"],
    ):
        invoke(args)


@contextmanager
def example_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh directory per example (hypothesis runs many in one tmp_path)."""
    d = Path(tempfile.mkdtemp(dir=tmp_path))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _file(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


# -- one test per input kind ----------------------------------------------------------------

FW_ARGS = st.sampled_from(
    [
        ["run", "--kernel", "enlightened"],
        ["run", "--kernel", "unenlightened", "--platform", "tdx"],
        ["matrix", "--format", "json"],
    ]
)


@fuzz_settings(100)
@given(data=mutated(FW_SEEDS + KERNEL_SEEDS), kind=st.sampled_from(["firmware", "kernel"]),
       suffix=st.sampled_from([".toml", ".json", ".conf", ""]), args=FW_ARGS)  # fmt: skip
def test_profile_files(tmp_root: Path, data: bytes, kind: str, suffix: str, args: list[str]):
    with example_dir(tmp_root) as tmp_path:
        p = _file(tmp_path, f"p{suffix}", data)
        option = (
            ["--fw", str(p)] if kind == "firmware" else ["--kernel", str(p), "--fw", "far-future"]
        )
        if kind == "kernel":
            args = [a for a in args if a not in ("--kernel", "enlightened", "unenlightened")]
        check_contract([*args, *option], tmp_path, {p: data})


@fuzz_settings(100)
@given(doc=structured(PROFILE_DOCS), other=st.booleans())
def test_profile_values(tmp_root: Path, doc: Any, other: bool) -> None:
    with example_dir(tmp_root) as tmp_path:
        data = json.dumps(doc).encode()
        p = _file(tmp_path, "p.json", data)
        # Given as the kind it was (or, now and then, as the other kind).
        kernel = isinstance(doc, dict) and ("calls_protocol" in doc) != other
        platforms = doc.get("platforms") if isinstance(doc, dict) else None
        tdx = isinstance(platforms, list) and "tdx" in platforms and "snp" not in platforms
        args = ["run", "--format", "json", "--platform", "tdx" if tdx else "snp"]
        if kernel:
            args += ["--fw", "far-future", "--kernel", str(p)]
        else:
            args += ["--fw", str(p), "--kernel", "enlightened"]
        check_contract(args, tmp_path, {p: data})


@fuzz_settings(80)
@given(data=mutated(KCONFIG_SEEDS), version=st.sampled_from([None, "6.8", "5.15", "6.5.0-rc1"]),
       how=st.sampled_from(["--kernel-config", "--kernel"]))  # fmt: skip
def test_kernel_configs(tmp_root: Path, data: bytes, version: str | None, how: str) -> None:
    with example_dir(tmp_root) as tmp_path:
        p = _file(tmp_path, "k.config", data)
        args = ["run", "--fw", "far-future", how, str(p)]
        if version is not None and how == "--kernel-config":
            args += ["--kernel-version", version]
        check_contract(args, tmp_path, {p: data})


LOG_ARGS = st.sampled_from(
    [
        ["inspect"],
        ["inspect", "--format", "json"],
        ["run", "--kernel", "enlightened", "--memmap"],
        ["run", "--kernel", "unenlightened", "--memmap"],
        ["matrix", "--format", "json", "--memmap"],
    ]
)


@fuzz_settings(150)
@given(data=mutated(LOG_SEEDS), args=LOG_ARGS, how=st.sampled_from(["file", "stdin", "gzip"]))
def test_boot_logs(tmp_root: Path, data: bytes, args: list[str], how: str) -> None:
    with example_dir(tmp_root) as tmp_path:
        if how == "stdin":
            check_contract([*args, "-"], tmp_path, {}, stdin=data)
            return
        raw = gzip.compress(data, mtime=0) if how == "gzip" else data
        p = _file(tmp_path, "boot.log", raw)
        check_contract([*args, str(p)], tmp_path, {p: raw})


@fuzz_settings(80)
@given(data=mutated(MEMINFO_SEEDS), log=st.sampled_from(LOG_SEEDS))
def test_meminfo(tmp_root: Path, data: bytes, log: bytes) -> None:
    with example_dir(tmp_root) as tmp_path:
        lp = _file(tmp_path, "boot.log", log)
        mp = _file(tmp_path, "meminfo", data)
        check_contract(["inspect", str(lp), "--meminfo", str(mp)], tmp_path, {lp: log, mp: data})


GOLDEN_BYTES = st.one_of(
    mutated(GOLDEN_SEEDS[:2]), structured(GOLDEN_DOCS).map(lambda d: json.dumps(d).encode())
)
CHECK_ARGS = st.sampled_from([[], ["--format", "json"], ["--update"], ["--tolerance", "0"]])


@fuzz_settings(60)
@given(data=GOLDEN_BYTES, extra=CHECK_ARGS)
def test_goldens(tmp_root: Path, data: bytes, extra: list[str]) -> None:
    with example_dir(tmp_root) as tmp_path:
        p = _file(tmp_path, "g.json", data)
        check_contract(
            ["check", str(p), *extra],
            tmp_path,
            {p: data},
            golden_update=p if "--update" in extra else None,
        )


OPTION_SEEDS: dict[str, list[str]] = {
    "--ram": ["64G", "128M", "4096", "2T", "4P", "1.5G", "64GiB"],
    "--pre-accept": ["256M", "64M", "4G"],
    "--vcpus": ["1", "4", "4096"],
    "--slow-ratio": ["1.5", "1e6", "2"],
    "--degraded-fraction": ["0.9", "1", "0.5"],
    "--platform": ["snp", "tdx", "SNP"],
    "--layout": ["q35", "low-3g"],
    "--loader": ["efi-stub", "grub", "grub-legacy"],
    "--host-page-size": ["2M", "4K"],
    "--fw": ["deployed", "near-future", "far-future"],
    "--kernel": ["enlightened", "unenlightened", "dropped-protocol"],
    "--format": ["table", "text", "json", "markdown"],
}
SWEEP_SEEDS = {"--ram": ["1G..16T", "64M..4G"], "--vcpus": ["1..64"], "--pre-accept": ["64M..4G"]}
WEIRD = ["", " ", "-", "--", "\x00", "\udcff", "\n", "0", "-1", "1e400", "nan", "inf", "²", "٤",
         "1" * 5000, "99999999999999999999P", "1..", "..1", "1..2..3", "15E", "0x10"]  # fmt: skip


def _value(seed: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(seed),
        st.sampled_from(WEIRD),
        mutated([seed.encode()]).map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.text(max_size=12),
    )


@st.composite
def option_values(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["run", "matrix", "sweep", "upgrades"]))
    seeds = dict(OPTION_SEEDS)
    if command == "sweep":
        seeds.update(SWEEP_SEEDS)
    chosen = draw(st.lists(st.sampled_from(sorted(seeds)), min_size=1, max_size=3, unique=True))
    args = [command]
    for option in chosen:
        args += [option, draw(st.sampled_from(seeds[option]).flatmap(_value))]
    if command == "run":
        args += [] if "--fw" in chosen else ["--fw", "far-future"]
        args += [] if "--kernel" in chosen else ["--kernel", "enlightened"]
    if command == "sweep" and not any(o in SWEEP_SEEDS for o in chosen):
        args += ["--ram", "1G..8G"]
    return args


@fuzz_settings(150)
@given(args=option_values())
def test_option_values(tmp_root: Path, args: list[str]) -> None:
    with example_dir(tmp_root) as tmp_path:
        check_contract(args, tmp_path, {})


SPECIALS = ["/dev/null", "/dev/zero", "dir", "fifo", "loop", "dangling", "missing", "", "big",
            "gzip-cut", "no-read", "-"]  # fmt: skip
FILE_ARGS = [
    ["inspect", "{}"],
    ["run", "--memmap", "{}", "--kernel", "enlightened"],
    ["inspect", "{log}", "--meminfo", "{}"],
    ["check", "{}"],
    ["run", "--fw", "{}", "--kernel", "enlightened"],
    ["run", "--fw", "far-future", "--kernel-config", "{}"],
    ["matrix", "--format", "json", "-o", "{}"],
]


@fuzz_settings(84)
@given(which=st.sampled_from(SPECIALS), args=st.sampled_from(FILE_ARGS))
def test_special_files(tmp_root: Path, which: str, args: list[str]) -> None:
    with example_dir(tmp_root) as tmp_path:
        specials = tmp_path / "specials"
        specials.mkdir()
        paths = {
            "dir": specials,
            "fifo": specials / "fifo",
            "loop": specials / "loop",
            "dangling": specials / "dangling",
            "missing": specials / "missing.log",
            "big": specials / "big.log",
            "gzip-cut": specials / "cut.gz",
            "no-read": specials / "no-read.log",
        }
        os.mkfifo(paths["fifo"])
        paths["loop"].symlink_to(paths["loop"])
        paths["dangling"].symlink_to(specials / "nowhere" / "x.json")
        with open(paths["big"], "wb") as fh:  # sparse: over the limit, costs nothing
            fh.truncate(MAX_LOG_BYTES + 1)
        paths["gzip-cut"].write_bytes(gzip.compress(LOG_SEEDS[0])[:-12])
        paths["no-read"].write_bytes(LOG_SEEDS[0])
        paths["no-read"].chmod(0)
        if which == "fifo" and "-o" in args:
            return  # -o FIFO waits for its reader, as `> FIFO` does: nothing to test here
        target = str(paths.get(which, which))
        log = _file(tmp_path, "boot.log", LOG_SEEDS[-1])
        argv = [a.format(target, log=log) for a in args]
        output = Path(target) if "-o" in args and which == "missing" else None
        check_contract(argv, tmp_path, {log: LOG_SEEDS[-1]}, stdin=LOG_SEEDS[0], output=output)


@pytest.mark.skipif(not LONG, reason="the long run only: UEFI_ACCEPT_FUZZ_EXAMPLES=N")
@fuzz_settings(1)
@given(
    data=mutated(LOG_SEEDS + KCONFIG_SEEDS + GOLDEN_SEEDS + FW_SEEDS + [MEMINFO_SEED]),
    args=st.sampled_from([a for a in FILE_ARGS if "-o" not in a]),
)
def test_any_seed_as_any_input(tmp_root: Path, data: bytes, args: list[str]) -> None:
    """Every seed in every file position: a golden as a boot log, a log as a profile."""
    with example_dir(tmp_root) as tmp_path:
        p = _file(tmp_path, "input", data)
        log = _file(tmp_path, "boot.log", LOG_SEEDS[-1])
        argv = [a.format(p, log=log) for a in args]
        check_contract(argv, tmp_path, {p: data, log: LOG_SEEDS[-1]})
