"""Click options and parameter types shared by the commands.

Only click (and the light `render` and `units` modules) at top level:
`uefi-accept --help` must not pay for numpy or rich.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from uefi_accept.render import FORMATS, Format, Kind

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    `check` found a change, `upgrades` a regression, `validate` a row
       off its tolerance
  2    usage error or invalid input (unknown profile, malformed or
       inconsistent profile file, bad size, corrupt golden file, garbled log)
  3    internal error (add --debug for the traceback)
  130  interrupted (Ctrl-C)"""


class SizeType(click.ParamType):
    """512M, 64G, 2T, 64GiB or plain bytes (binary suffixes, as memparse() reads them)."""

    name = "SIZE"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        from uefi_accept.units import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


SIZE = SizeType()


class FractionType(click.ParamType):
    """A positive, finite fraction: 0.1 or 10%."""

    name = "FRACTION"

    def __init__(self, maximum: float = math.inf) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            x = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"not a number: {value!r} (use e.g. 0.1 or 10%)", param, ctx)
        if not math.isfinite(x) or x < 0 or x > self.maximum:
            self.fail(f"not a tolerance from 0 to {self.maximum:g}: {value!r}", param, ctx)
        return x


class FiniteFloat(click.ParamType):
    """A finite number within (low, high]; NaN and infinity are refused."""

    name = "NUMBER"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"not a number: {value!r}", param, ctx)
        if not math.isfinite(x) or not self.low < x <= self.high:
            self.fail(
                f"must be above {self.low:g} and at most {self.high:g}: {value!r}", param, ctx
            )
        return x


def _apply(func: F, options: list[Callable[[F], F]]) -> F:
    for opt in reversed(options):
        func = opt(func)
    return func


def scenario_options(func: F) -> F:
    """Options that describe the VM, shared by every command that boots one."""
    return _apply(
        func,
        [
            click.option(
                "--platform",
                type=click.Choice(["snp", "tdx"], case_sensitive=False),
                default="snp",
                show_default=True,
            ),
            click.option(
                "--ram",
                type=SIZE,
                default="64G",
                show_default=True,
                help="e.g. 512M, 64G, 2T (a bare number is bytes; QEMU's -m reads MiB).",
            ),
            click.option("--vcpus", type=click.IntRange(1, 4096), default=4, show_default=True),
            click.option(
                "--layout",
                type=click.Choice(["q35", "low-3g"], case_sensitive=False),
                default="q35",
                show_default=True,
                help="q35: 2 GiB below 4 GiB once RAM >= 2816 MiB; low-3g: 3 GiB below 4 GiB.",
            ),
            click.option(
                "--loader",
                type=click.Choice(["efi-stub", "grub", "grub-legacy"], case_sensitive=False),
                default="efi-stub",
                show_default=True,
            ),
            click.option(
                "--host-page-size",
                type=click.Choice(["2M", "4K"], case_sensitive=False),
                default="2M",
                show_default=True,
                help="Page size the host backs private memory with (4K: 512 accepts per 2 MiB).",
            ),
            click.option(
                "--pre-accept",
                type=SIZE,
                default=None,
                help="Override what firmware that hands memory over pre-accepts (e.g. 256M).",
            ),
            click.option(
                "--slow-ratio",
                type=FiniteFloat(1.0, 1e6),
                default=1.5,
                show_default=True,
                help="`slow` when boot takes at least this times the lazy-acceptance time.",
            ),
            click.option(
                "--degraded-fraction",
                type=FiniteFloat(0.0, 1.0),
                default=0.9,
                show_default=True,
                help="`degraded` when less than this fraction of RAM is usable.",
            ),
        ],
    )


def format_option(kind: Kind, default: Format = Format.TABLE) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice([str(f) for f in FORMATS[kind]], case_sensitive=False),
        default=None,
        help=f"Output format (default: {default}, or what the -o file name ends in).",
    )


output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write to FILE (whole or not at all) instead of standard output; "
    "its suffix (.json, .md, .txt, .csv) sets the format.",
)


def profile_options(rows_help: str, columns_help: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return _apply(
            func,
            [
                click.option(
                    "--fw", "fw_refs", multiple=True, metavar="NAME_OR_PATH", help=rows_help
                ),
                click.option(
                    "--kernel",
                    "kernel_refs",
                    multiple=True,
                    metavar="NAME_OR_PATH",
                    help=columns_help,
                ),
            ],
        )

    return decorate


memmap_option = click.option(
    "--memmap",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="LOG",
    help="Boot over the EFI memory map printed in LOG (efi=debug; - for standard "
    "input) instead of the VMM layout and the firmware's pre-acceptance; RAM and "
    "platform come from the log.",
)


def kernel_config_options(func: F) -> F:
    return _apply(
        func,
        [
            click.option(
                "--kernel-config",
                "kernel_configs",
                multiple=True,
                type=click.Path(dir_okay=False, allow_dash=True),
                metavar="FILE",
                help="A kernel profile built from a kernel .config or fragment "
                "(repeatable; gzip is fine: /proc/config.gz).",
            ),
            click.option(
                "--kernel-version",
                default=None,
                metavar="X.Y",
                help="Kernel version for --kernel-config files without a version header.",
            ),
        ],
    )
