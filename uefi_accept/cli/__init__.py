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
from uefi_accept.errors import (
    EXIT_CODES_HELP,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    InputError,
)

# Each command: its module and, for the group's --help, its one-line summary.
# A command's module is imported only when that command runs (click's "lazily
# loading subcommands" pattern), so `uefi-accept --help` costs click alone;
# tests/test_cli.py keeps each summary equal to the command's own.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "check",
        ("Recompute saved matrices and report every figure that changed."),
    ),
    "compare": (
        "compare",
        (
            "Where B is better than A, where worse, and by how much, across a RAM range: two "
            "firmware builds under each held kernel, or two kernels on each held firmware."
        ),
    ),
    "inspect": (
        "inspect",
        (
            "Read a kernel boot log (dmesg, journalctl -k, serial console; - for standard "
            "input, gzip is fine) and tell what happened to the guest's memory: RAM by EFI "
            "memory type, what was handed over unaccepted, what the kernel can use, what was "
            "lost, and why."
        ),
    ),
    "matrix": (
        "run",
        ("Every firmware x kernel combination for one VM (default: SNP, 64 GiB, 3 x 3)."),
    ),
    "profiles": (
        "profiles",
        ("List the built-in firmware and kernel profiles and what each stands for."),
    ),
    "run": (
        "run",
        ("One combination in full: figures, reason and timeline."),
    ),
    "schema": (
        "schema",
        (
            "Print the JSON Schema (draft 2020-12) of a JSON document (run, matrix, check, "
            "upgrades, sweep, grid, compare, validation, inspect, profiles) or of a profile "
            "file (firmware-profile, kernel-profile)."
        ),
    ),
    "sweep": (
        "sweep",
        (
            "Verdicts of one or more combinations across a range of RAM sizes, pre-accepted "
            "sizes or vCPU counts: one batch through the engine per combination."
        ),
    ),
    "upgrades": (
        "check",
        ("Walk every upgrade path and report each step that makes things worse."),
    ),
    "validate": (
        "validate",
        ("The cost model against every published measurement it is built on."),
    ),
}


def _shorten(text: str, limit: int) -> str:
    """Whole words up to `limit` characters, "..." where cut (as click does)."""
    if len(text) <= limit:
        return text
    out = ""
    for word in text.split():
        if len(out) + len(word) + 4 > limit:
            break
        out = f"{out} {word}" if out else word
    return out + "..."


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        from importlib import import_module

        command: click.Command = getattr(
            import_module(f"uefi_accept.cli.{COMMANDS[name][0]}"), name
        )
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click.Group does, from the summaries instead of the commands.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _shorten(summary, limit)) for name, (_, summary) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="uefi-accept")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """Which firmware x kernel combinations boot fast, slow, lose memory, run
    out of memory or crash, when memory is handed over unaccepted (UEFI memory
    type 15) in SEV-SNP and TDX guests."""


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
