"""Click options and parameter types shared by the commands.

Only click (and the light `render` and `units` modules) at top level:
`uefi-accept --help` must not pay for numpy or rich.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from uefi_accept.errors import EXIT_CODES_HELP
from uefi_accept.render import FORMATS, Format, Kind

F = TypeVar("F", bound=Callable[..., Any])
__all__ = ["EXIT_CODES_HELP"]  # the commands' epilog, kept in errors beside the codes


class SizeType(click.ParamType):
    """512M, 64G, 2T, 64GiB or plain bytes (binary suffixes, as memparse() reads them),
    at most the 52-bit physical address limit. With `minimum` (a "module:NAME"
    constant, imported when a value is converted so --help stays light), a
    bare number below it is refused, explained as bytes."""

    name = "SIZE"

    def __init__(self, minimum: str | None = None, what: str = "minimum") -> None:
        self.minimum, self.what = minimum, what

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        from uefi_accept.units import below_minimum, is_bare_number, parse_size

        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            size = parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if self.minimum is not None and is_bare_number(value):
            # Other sizes below the minimum are the command's to refuse; a bare
            # number gets the reason here: it is bytes, not QEMU's MiB.
            import importlib

            module, _, constant = self.minimum.partition(":")
            problem = below_minimum(
                value, size, getattr(importlib.import_module(module), constant), self.what
            )
            if problem:
                self.fail(problem, param, ctx)
        return size


SIZE = SizeType()
# A confidential guest below MIN_RAM does not reach userspace; firmware needs
# MIN_PRE_ACCEPT for itself (HOBs, DXE pool, page tables).
RAM_SIZE = SizeType("uefi_accept.model.scenario:MIN_RAM", "a confidential VM needs")
PRE_ACCEPT_SIZE = SizeType(
    "uefi_accept.model.profiles:MIN_PRE_ACCEPT", "the firmware needs for itself"
)


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
                type=RAM_SIZE,
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
                type=click.Choice(["4K", "2M"], case_sensitive=False),
                default="4K",
                show_default=True,
                help="Page size the host backs private memory with. 4K: upstream KVM "
                "(guest_memfd) on both platforms in 2026; on TDX each 2 MiB accept then "
                "becomes 512 4 KiB ones. 2M: a host with huge-page backing.",
            ),
            click.option(
                "--pre-accept",
                type=PRE_ACCEPT_SIZE,
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
            click.option(
                "--deadline",
                type=FiniteFloat(0.0, 1e9),
                default=None,
                metavar="SECONDS",
                help="`timeout` when the boot reaches userspace later than this (Kata's "
                "create_container_timeout is 1200; a CI job's limit).",
            ),
            click.option(
                "--accept-memory",
                type=click.Choice(["lazy", "eager"], case_sensitive=False),
                default=None,
                help="Boot every kernel with accept_memory=lazy or eager (default: each "
                "kernel profile's own, lazy for the built-ins).",
            ),
            click.option(
                "--cost-model",
                type=click.Path(dir_okay=False, allow_dash=True),
                default=None,
                metavar="FILE",
                help="Your host's cost constants (TOML, see `uefi-accept validate`): "
                "replaces the built-in model's values it names.",
            ),
            click.option(
                "--vm",
                type=click.Path(dir_okay=False, allow_dash=True),
                default=None,
                metavar="FILE",
                help="Take the VM from its definition: a QEMU command line or script, a "
                "libvirt domain XML, or a Kata configuration TOML. Options given on the "
                "command line win; what the file leaves unsaid is printed as an assumption.",
            ),
            click.option(
                "--qemu-cmdline",
                default=None,
                metavar="ARGS",
                help="Like --vm, from a QEMU command line given as one string.",
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
    "its suffix (.json, .md, .txt, .csv, .xml, .html) sets the format.",
)


def complete_profiles(kind: str) -> Callable[..., list[Any]]:
    """Shell completion for --fw/--kernel (`kind`, or "any" for compare's A and
    B): the built-in names that start with what was typed, and files (a
    profile may be a path)."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from uefi_accept.inputs.profile_files import builtin_profiles

        kinds = ("firmware", "kernel") if kind == "any" else (kind,)
        names = sorted({p.name for k in kinds for p in builtin_profiles(k)})
        if "kernel" in kinds:  # any release by version: linux-6.8, linux-6.12.75
            from uefi_accept.model.versions import releases, version_name

            names += [f"linux-{version_name(v)}" for v in releases()]
        items = [CompletionItem(n) for n in names if n.startswith(incomplete)]
        return [*items, CompletionItem(incomplete, type="file")]

    return complete


def profile_options(rows_help: str, columns_help: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return _apply(
            func,
            [
                click.option(
                    "--fw",
                    "fw_refs",
                    multiple=True,
                    metavar="NAME_OR_PATH",
                    help=rows_help,
                    shell_complete=complete_profiles("firmware"),
                ),
                click.option(
                    "--kernel",
                    "kernel_refs",
                    multiple=True,
                    metavar="NAME_OR_PATH",
                    help=columns_help,
                    shell_complete=complete_profiles("kernel"),
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
