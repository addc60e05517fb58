from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from uefi_accept.cli import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli_run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the real entry point in-process; returns exit code, stdout, stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        captured = capsys.readouterr()
        code = exc.value.code
        return CliResult(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run
