"""Reading inputs and writing outputs, the same way for every kind of file.

Inputs: a path or `-` (standard input); gzip is read transparently; only
regular files (or a pipe on standard input) are read, never more than a
size limit, decompressed size included. Outputs: standard output, or a file
written whole or not at all, only where the user could write it directly.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

from uefi_accept.errors import InputError

# Size limits per input kind (the README's contract): far above any real
# input, low enough that the worst input within them is read in seconds and a
# few hundred MiB (tests/test_hardening.py measures both).
MAX_PROFILE_BYTES = 1 << 20  # a profile file is a few hundred bytes
MAX_KCONFIG_BYTES = 4 << 20  # a full .config is 150-300 KB
MAX_GOLDEN_BYTES = 16 << 20  # 4 KB per cell: a 60 x 60 matrix
MAX_LOG_BYTES = 16 << 20  # a boot's dmesg is ~100 KB; this holds a journal of many boots
MAX_INPUT_BYTES = MAX_LOG_BYTES  # boot logs and meminfo, read with the default
STDIN = "-"
STDIN_NAME = "<stdin>"
_GZIP_MAGIC = b"\x1f\x8b"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def source_name(path: str) -> str:
    """How messages and documents name an input: `-` is <stdin>; a name's
    bytes that are not UTF-8 (Python holds them as surrogates, which no UTF-8
    stream can print) and control characters (a newline, a terminal escape)
    are shown as \\xNN escapes, so the name is one line of valid text."""
    if path == STDIN:
        return STDIN_NAME
    return display_path(path)


def display_path(path: str) -> str:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        path = os.fsencode(path).decode("utf-8", errors="backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)


def read_input_bytes(path: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file (or of standard input for `-`), gunzipped
    if they are gzip; devices, directories, FIFOs and anything over `limit`
    are refused with a one-line InputError."""
    if path == "":
        raise InputError("an empty file name: give a path, or - for standard input", source="''")
    source = source_name(path)
    if path == STDIN:
        data = sys.stdin.buffer.read(limit + 1)
    else:
        data = _read_regular_file(path, limit, source)
    if len(data) > limit:
        raise InputError(_too_big(limit), source=source)
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, limit, source)
    return data


def _read_regular_file(path: str, limit: int, source: str) -> bytes:
    """At most limit + 1 bytes of a regular file. The type is checked before
    opening (a device is never opened) and again on the open file (a FIFO
    swapped in between is refused, not waited on: O_NONBLOCK)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(_not_regular(st.st_mode), source=source)
        if st.st_size > limit:
            raise InputError(_too_big(limit), source=source)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        with open(fd, "rb", closefd=True) as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise InputError(_not_regular(st.st_mode), source=source)
            os.set_blocking(fd, True)
            return fh.read(limit + 1)
    except OSError as exc:
        problem = "no such file" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise InputError(f"cannot read: {problem}", source=source) from None
    except ValueError:  # a NUL byte in the name
        raise InputError("cannot read: not a usable file name", source=source) from None


def _not_regular(mode: int) -> str:
    return "a directory" if stat.S_ISDIR(mode) else "not a regular file"


def read_text(path: str, limit: int = MAX_INPUT_BYTES) -> str:
    return read_input_bytes(path, limit).decode("utf-8", errors="replace")


def read_toml(path: str, limit: int) -> tuple[dict[str, object], str]:
    """A TOML file (or `-`) as data, and its name for messages; anything that is
    not TOML, deep nesting included, is one InputError naming the file."""
    import tomllib

    source = source_name(path)
    raw = read_input_bytes(path, limit)
    try:
        return tomllib.loads(raw.decode("utf-8")), source
    except ValueError as exc:  # bad UTF-8 or TOML, or an integer of 4,300+ digits
        raise InputError(f"not a TOML file: {str(exc)[:200]}", source=source) from None
    except RecursionError:
        raise InputError("not a TOML file: nested too deeply", source=source) from None


def _too_big(limit: int) -> str:
    return f"larger than {limit >> 20} MiB: not an input this tool reads"


def _gunzip(data: bytes, limit: int, source: str) -> bytes:
    """Every gzip member, never more than `limit` bytes out. GzipFile reads
    the members in chunks: slicing the rest of the data after each member
    would be quadratic in a file of a million empty members."""
    import gzip  # here, not at the top: most commands never read gzip (start-up time)
    import zlib

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as fh:
            out = fh.read(limit + 1)
    except EOFError:
        raise InputError("truncated gzip data", source=source) from None
    except (OSError, zlib.error) as exc:
        raise InputError(f"corrupt gzip data ({str(exc)[:80]})", source=source) from None
    if len(out) > limit:
        raise InputError(_too_big(limit) + " once decompressed", source=source)
    return out


# -- outputs -----------------------------------------------------------------------


def output_target(output: str, option: str = "-o") -> Path:
    """Where an output file goes: a new file in a directory the user may write,
    or an existing regular file the user may write (through a symlink), or a
    device or pipe to write through. Never a directory, never where the user
    could not write directly (the kernel's own rules, as for `>`; so root may)."""
    if not output:
        raise InputError("an empty file name", field=option)
    shown = display_path(output)
    try:
        path = Path(os.path.realpath(output, strict=False))
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a symlink loop, a directory on the way we may not enter
        raise InputError(f"cannot write: {exc.strerror}", source=shown) from None
    except ValueError:  # a NUL byte
        raise InputError("cannot write: not a usable file name", source=shown) from None
    if mode is not None:
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise InputError("not a regular file; refusing to replace it", source=shown)
        if not _may_write(path):
            raise InputError("permission denied: not writable", source=shown)
        return path
    if not path.parent.is_dir():
        raise InputError("no such directory", source=shown)
    if not _may_write(path.parent, os.W_OK | os.X_OK):
        raise InputError("permission denied: the directory is not writable", source=shown)
    return path


def _may_write(path: Path, mode: int = os.W_OK) -> bool:
    # The effective ids decide, as for open(); os.access() alone uses the real ones.
    if os.access in os.supports_effective_ids:
        return os.access(path, mode, effective_ids=True)
    return os.access(path, mode)


def is_stream(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def atomic_write(output: str, write: Callable[[str], None], suffix: str = ".tmp") -> None:
    """Write through `write(tmp_path)` to a temporary file beside the target,
    then rename it over the target: the whole file or none of it. The target
    keeps its mode, or gets the mode a plain open() would give. Temporary files
    carry the writer's pid, so ones left by a killed run are removed by the next."""
    path = output_target(output)
    shown = display_path(output)
    if is_stream(path):  # /dev/null, /dev/stdout, a pipe: write through, never rename over
        try:
            write(str(path))
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", source=shown) from None
        return
    try:
        old: os.stat_result | None = path.stat()
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=shown) from None
    if old is not None and not _may_replace(path, old):
        _write_in_place(path, write, suffix, shown)
        return
    _remove_stale_temporaries(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}{suffix}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        write(str(tmp))
        if old is not None:
            # The new file is the old one's: same owner, group and mode. Only
            # root may give a file away; _may_replace() said this is possible.
            os.chown(tmp, old.st_uid if os.geteuid() == 0 else -1, old.st_gid)
        os.chmod(tmp, old.st_mode & 0o7777 if old is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror}", source=shown) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _may_replace(path: Path, old: os.stat_result) -> bool:
    """A new file can take the old one's place unchanged: the directory is
    writable, the file has no other hard link, and its owner and group can be
    kept (the file is ours and we are in its group, or we are root). Otherwise
    a rename would hand the user's file to someone else, or bypass its mode."""
    euid = os.geteuid()
    if not _may_write(path.parent, os.W_OK | os.X_OK) or old.st_nlink != 1:
        return False
    if euid == 0:
        return True
    return old.st_uid == euid and (old.st_gid == os.getegid() or old.st_gid in os.getgroups())


def _write_in_place(path: Path, write: Callable[[str], None], suffix: str, shown: str) -> None:
    """Rewrite an existing file's content through its own inode (as `>` does),
    keeping its owner, mode and links: written whole to a private temporary
    file first, so a failing writer never touches the target."""
    import tempfile  # rarely needed; it imports shutil and random (start-up time)

    with tempfile.TemporaryDirectory(prefix="uefi-accept-") as scratch:
        tmp = os.path.join(scratch, "out" + suffix)
        try:
            write(tmp)
            with open(tmp, "rb") as src:
                data = src.read()
            with open(path, "r+b") as dst:
                dst.write(data)
                dst.truncate()
                dst.flush()
                os.fsync(dst.fileno())
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", source=shown) from None


STALE_SECONDS = 60  # a writer is done with its temporary file well before this


def _remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files a killed writer left beside `path`: its pid
    is gone, and the file is older than any write takes (a writer in another
    pid namespace, a container sharing the directory, has a pid we cannot see)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.([0-9]{{1,10}})\.[0-9a-f]{{8}}\.")
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            m = pattern.match(entry.name)
            if not m or _alive(int(m.group(1))):
                continue
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_SECONDS:
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return True  # kill(0) and kill(-1) signal groups: never "dead"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def write_text_file(text: str, output: str) -> None:
    """Write the whole file atomically (`-`: standard output)."""
    if output == STDIN:
        write_stdout(text)
        return

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(text)
            fh.flush()
            if Path(tmp).is_file():
                os.fsync(fh.fileno())

    atomic_write(output, write)


class StdoutError(Exception):
    """Standard output could not be written (the CLI maps it to an exit code)."""


def write_stdout(text: str) -> None:
    """Text to standard output as UTF-8 (a name that is not UTF-8 becomes '?')."""
    data = text.encode("utf-8", errors="replace")
    try:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stream (an embedding program's StringIO)
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
            return
        buffer.write(data)
        buffer.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutError(exc.strerror or str(exc)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
