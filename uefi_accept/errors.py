"""Exceptions that the CLI maps to exit codes.

Exit codes (also in `uefi-accept --help` and the README):
  0 success; 1 a gate found something (check, upgrades, validate, inspect,
  compare --fail-if-worse); 2 usage error or invalid input; 3 internal error;
  130 interrupted.
"""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_CHANGED = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class InputError(Exception):
    """Invalid user input: a bad profile, size, golden file or log.

    Rendered as one line: ``<source>: <field>: <problem>`` (parts that are
    unknown are left out), and exit code 2.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.field = field
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """One line of plain text: a newline, a terminal escape or any other
        control character from the input shows as an escape (\\n, \\x1b)."""
        where = self.source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        parts = [p for p in (where, self.field) if p]
        return _CONTROL.sub(_escape, ": ".join([*parts, self.problem]))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    char, code = m.group(), ord(m.group())
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    return named or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports a SIGINT death

# The table every command's --help ends with (README, "Exit codes").
EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    `check` found a change, `upgrades` a regression, `validate` a row
       off its tolerance, `inspect` lost memory or a crash risk,
       `compare --fail-if-worse` B worse somewhere
  2    usage error or invalid input (unknown profile, malformed or
       inconsistent profile file, bad size, corrupt golden file, garbled log)
  3    internal error (add --debug for the traceback)
  130  interrupted (Ctrl-C)"""
