"""Reading inputs and writing outputs, the same way for every kind of file.

Inputs: a path or `-` (standard input); gzip is read transparently; only
regular files (or a pipe on standard input) are read, never more than a
size limit, decompressed size included. Outputs: standard output, or a file
written whole or not at all, only where the user could write it directly.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

from uefi_accept.errors import InputError

MAX_INPUT_BYTES = 256 << 20
STDIN = "-"
STDIN_NAME = "<stdin>"
_GZIP_MAGIC = b"\x1f\x8b"


def source_name(path: str) -> str:
    """How messages name an input."""
    return STDIN_NAME if path == STDIN else path


def read_input_bytes(path: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file (or of standard input for `-`), gunzipped
    if they are gzip; devices, directories, FIFOs and anything over `limit`
    are refused with a one-line InputError."""
    if path == "":
        raise InputError("an empty file name: give a path, or - for standard input")
    source = source_name(path)
    if path == STDIN:
        data = sys.stdin.buffer.read(limit + 1)
    else:
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
                raise InputError(kind, source=source)
            if st.st_size > limit:
                raise InputError(_too_big(limit), source=source)
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            problem = "no such file" if isinstance(exc, FileNotFoundError) else exc.strerror
            raise InputError(f"cannot read: {problem}", source=source) from None
    if len(data) > limit:
        raise InputError(_too_big(limit), source=source)
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, limit, source)
    return data


def read_text(path: str, limit: int = MAX_INPUT_BYTES) -> str:
    return read_input_bytes(path, limit).decode("utf-8", errors="replace")


def _too_big(limit: int) -> str:
    return f"larger than {limit >> 20} MiB: not an input this tool reads"


def _gunzip(data: bytes, limit: int, source: str) -> bytes:
    """Every gzip member, never more than `limit` bytes out."""
    out = bytearray()
    while data:
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += d.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise InputError(f"corrupt gzip data ({exc})", source=source) from None
        if len(out) > limit or d.unconsumed_tail:
            raise InputError(_too_big(limit) + " once decompressed", source=source)
        if not d.eof:
            raise InputError("truncated gzip data", source=source)
        data = d.unused_data.lstrip(b"\0")
    return bytes(out)


# -- outputs -----------------------------------------------------------------------


def output_target(output: str, option: str = "-o") -> Path:
    """Where an output file goes: a new file in a directory the user may write,
    or an existing regular file the user may write (through a symlink), or a
    device or pipe to write through. Never a directory."""
    if not output:
        raise InputError("an empty file name", field=option)
    path = Path(os.path.realpath(output))
    if path.exists():
        if not (path.is_file() or is_stream(path)):
            raise InputError("not a regular file; refusing to replace it", source=output)
        if not os.access(path, os.W_OK):
            raise InputError("permission denied: not writable", source=output)
        return path
    if not path.parent.is_dir():
        raise InputError("no such directory", source=output)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError("permission denied: the directory is not writable", source=output)
    return path


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
    if is_stream(path):  # /dev/null, /dev/stdout, a pipe: write through, never rename over
        try:
            write(str(path))
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", source=output) from None
        return
    _remove_stale_temporaries(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}{suffix}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        write(str(tmp))
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror}", source=output) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _remove_stale_temporaries(path: Path) -> None:
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.[0-9a-f]{{8}}\.")
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            m = pattern.match(entry.name)
            if m and not _alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
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
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutError(exc.strerror or str(exc)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
