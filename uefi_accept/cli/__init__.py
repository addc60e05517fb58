"""Command line: parse, call an analysis, render, write; map errors to exit codes.

Command modules import only click at top level, so `uefi-accept --help`
starts without numpy or rich.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys

import click

from uefi_accept import __version__
from uefi_accept.cli.check import check, upgrades
from uefi_accept.cli.compare import compare
from uefi_accept.cli.inspect import inspect
from uefi_accept.cli.options import EXIT_CODES_HELP
from uefi_accept.cli.profiles import profiles
from uefi_accept.cli.run import matrix, run
from uefi_accept.cli.schema import schema
from uefi_accept.cli.sweep import sweep
from uefi_accept.cli.validate import validate
from uefi_accept.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, InputError


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="uefi-accept")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """Which firmware x kernel combinations boot fast, slow, lose memory, run
    out of memory or crash, when memory is handed over unaccepted (UEFI memory
    type 15) in SEV-SNP and TDX guests."""


for command in (matrix, run, profiles, check, upgrades, validate, sweep, compare, inspect, schema):
    cli.add_command(command)


def _error(message: str) -> None:
    """One line on stderr, whatever the terminal's encoding."""
    line = f"uefi-accept: {message}".replace("\n", " ").replace("\r", " ")
    data = line.encode("utf-8", errors="replace") + b"\n"
    try:
        sys.stderr.flush()
        buffer = getattr(sys.stderr, "buffer", None)
        if buffer is None:  # a text-only stream (an embedding program's StringIO)
            sys.stderr.write(data.decode("utf-8"))
        else:
            buffer.write(data)
        sys.stderr.flush()
    except OSError:
        pass  # stderr is gone (closed, full): the exit code still tells


class _ClosedStream(io.TextIOBase):
    """Standard output the shell closed (`>&-`; Python then sets sys.stdout to
    None): writing fails as it would on the descriptor, so the command ends
    with exit 2 and one line instead of an AttributeError."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise _StdoutClosed(errno.EBADF, "it is closed")


class _StdoutClosed(OSError):
    pass


_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF})


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors with documented exit codes, no tracebacks."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    if sys.stdout is None:
        sys.stdout = _ClosedStream()
    args = sys.argv[1:] if argv is None else argv
    if os.environ.get("_UEFI_ACCEPT_COMPLETE"):
        # Shell completion (README): click answers from COMP_WORDS and exits.
        cli.main(args=args, prog_name="uefi-accept", complete_var="_UEFI_ACCEPT_COMPLETE")
    debug = "--debug" in args
    try:
        if not args:
            click.echo(cli.get_help(click.Context(cli, info_name="uefi-accept")))
            code = 0
        else:
            code = cli.main(args=args, prog_name="uefi-accept", standalone_mode=False)
    except InputError as exc:
        _error(f"error: {exc.one_line()}")
        sys.exit(EXIT_INPUT)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        _error(f"error: {exc.format_message()} (see --help)")
        sys.exit(exc.exit_code if exc.exit_code else EXIT_INPUT)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except _StdoutClosed:  # click's own output (--version, --help) to a closed stdout
        _error("error: cannot write to standard output: it is closed")
        sys.exit(EXIT_INPUT)
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _WRITE_FAILURES:
            if debug:
                raise
            _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug)")
            sys.exit(EXIT_INTERNAL)
        # A stream (no file name) failing to take bytes: click's own output
        # (--version, --help) to a full disk or a dead device. Files never get
        # here, their errors are InputErrors.
        with contextlib.suppress(OSError, ValueError):  # a test's capture has no fd
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _error(f"error: cannot write to standard output: {exc.strerror}")
        sys.exit(EXIT_INPUT)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug)")
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
