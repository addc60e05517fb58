"""Exceptions that the CLI maps to exit codes.

Exit codes (also in `uefi-accept --help` and the README):
  0 success; 1 a check or upgrade walk found a change or regression;
  2 usage error or invalid input; 3 internal error.
"""

from __future__ import annotations

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
        where = self.source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        parts = [p for p in (where, self.field) if p]
        return ": ".join([*parts, self.problem])


EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports a SIGINT death
