"""Command line: parse, validate, call the engine, render, map errors to exit codes.

Heavy modules (numpy, rich, the engine) are imported inside commands so that
`uefi-accept --help` starts fast.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from uefi_accept import __version__
from uefi_accept.errors import EXIT_INPUT, EXIT_INTERNAL, InputError

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  `check` found a changed cell, or `upgrades` found a regression
  2  usage error or invalid input (unknown profile, malformed or
     inconsistent profile file, bad size, corrupt golden file, garbled log)
  3  internal error (add --debug for the traceback)"""


class SizeType(click.ParamType):
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


def scenario_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options that describe the VM, shared by every command that boots one."""
    options = [
        click.option(
            "--platform", type=click.Choice(["snp", "tdx"]), default="snp", show_default=True
        ),
        click.option(
            "--ram", type=SIZE, default="64G", show_default=True, help="e.g. 512M, 64G, 2T"
        ),
        click.option("--vcpus", type=click.IntRange(1, 4096), default=4, show_default=True),
        click.option(
            "--layout",
            type=click.Choice(["q35", "low-3g"]),
            default="q35",
            show_default=True,
            help="q35: 2 GiB below 4 GiB once RAM >= 2816 MiB; low-3g: 3 GiB below 4 GiB.",
        ),
        click.option(
            "--loader",
            type=click.Choice(["efi-stub", "grub", "grub-legacy"]),
            default="efi-stub",
            show_default=True,
        ),
        click.option(
            "--host-page-size",
            type=click.Choice(["2M", "4K"]),
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
            type=click.FloatRange(1.0, min_open=True),
            default=1.5,
            show_default=True,
            help="`slow` when boot takes at least this times the lazy-acceptance time.",
        ),
        click.option(
            "--degraded-fraction",
            type=click.FloatRange(0.0, 1.0, min_open=True),
            default=0.9,
            show_default=True,
            help="`degraded` when less than this fraction of RAM is usable.",
        ),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def build_scenario(kw: dict[str, Any]) -> Any:
    from uefi_accept.engine import Layout, Loader, Scenario
    from uefi_accept.profiles import MIN_PRE_ACCEPT
    from uefi_accept.units import MiB

    if kw["ram"] < 128 * MiB:
        raise InputError("a confidential VM needs at least 128M of RAM", field="--ram")
    if kw["pre_accept"] is not None and kw["pre_accept"] < MIN_PRE_ACCEPT:
        raise InputError(
            f"below the {MIN_PRE_ACCEPT >> 20}M the firmware needs for itself",
            field="--pre-accept",
        )
    return Scenario(
        platform=kw["platform"],
        ram_bytes=kw["ram"],
        vcpus=kw["vcpus"],
        layout=Layout(kw["layout"]),
        loader=Loader(kw["loader"]),
        host_page_size=4096 if kw["host_page_size"] == "4K" else 2 * MiB,
        pre_accept=kw["pre_accept"],
        slow_ratio=kw["slow_ratio"],
        degraded_fraction=kw["degraded_fraction"],
    )


def write_output(text: str, output: str | None) -> None:
    """Print, or write the whole file atomically: never a half-written file."""
    if output is None:
        click.echo(text, nl=False)
        return
    path = Path(output)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
)


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="uefi-accept")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Which firmware x kernel combinations boot fast, slow, lose memory, run
    out of memory or crash, when memory is handed over unaccepted (UEFI memory
    type 15) in SEV-SNP and TDX guests."""
    ctx.obj = {"debug": debug}


@cli.command(epilog=EXIT_CODES_HELP)
@scenario_options
@click.option(
    "--fw", "fw_refs", multiple=True, metavar="NAME_OR_PATH", help="Firmware rows (repeatable)."
)
@click.option(
    "--kernel", "kernel_refs", multiple=True, metavar="NAME_OR_PATH", help="Kernel columns."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "markdown", "text"]), default="table"
)
@output_option
def matrix(
    fw_refs: tuple[str, ...], kernel_refs: tuple[str, ...], fmt: str, output: str | None, **kw: Any
) -> None:
    """Every firmware x kernel combination for one VM (default: SNP, 64 GiB, 3 x 3)."""
    from uefi_accept import render
    from uefi_accept.profiles import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile
    from uefi_accept.verdict import evaluate_matrix

    scenario = build_scenario(kw)
    fws = [resolve_profile(r, "firmware", scenario.platform) for r in fw_refs or FIRMWARE_ORDER]
    ks = [resolve_profile(r, "kernel", scenario.platform) for r in kernel_refs or KERNEL_ORDER]
    _check_unique([p.name for p in fws], "--fw")
    _check_unique([p.name for p in ks], "--kernel")
    result = evaluate_matrix(scenario, fws, ks)  # type: ignore[arg-type]
    renderer = {
        "table": render.matrix_table,
        "json": render.matrix_json,
        "markdown": render.matrix_markdown,
        "text": render.matrix_text,
    }[fmt]
    write_output(renderer(result), output)


@cli.command(epilog=EXIT_CODES_HELP)
@scenario_options
@click.option("--fw", "fw_ref", required=True, metavar="NAME_OR_PATH")
@click.option("--kernel", "kernel_ref", required=True, metavar="NAME_OR_PATH")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "markdown", "text"]), default="table"
)
@output_option
def run(fw_ref: str, kernel_ref: str, fmt: str, output: str | None, **kw: Any) -> None:
    """One combination in full: figures, reason and timeline."""
    from uefi_accept import render
    from uefi_accept.profiles import resolve_profile
    from uefi_accept.verdict import evaluate

    scenario = build_scenario(kw)
    fw = resolve_profile(fw_ref, "firmware", scenario.platform)
    kernel = resolve_profile(kernel_ref, "kernel", scenario.platform)
    cell = evaluate(scenario, fw, kernel)  # type: ignore[arg-type]
    renderer = {
        "table": render.run_table,
        "json": render.run_json,
        "markdown": render.run_markdown,
        "text": render.run_text,
    }[fmt]
    write_output(renderer(cell), output)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def profiles(fmt: str) -> None:
    """List the built-in firmware and kernel profiles."""
    from uefi_accept.profiles import builtin_profiles, profile_to_dict
    from uefi_accept.render import dump_json

    if fmt == "json":
        data = {
            "schema_version": 1,
            "firmware": [profile_to_dict(p) for p in builtin_profiles("firmware")],
            "kernel": [profile_to_dict(p) for p in builtin_profiles("kernel")],
        }
        click.echo(dump_json(data), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for kind in ("firmware", "kernel"):
        table = Table(title=f"{kind} profiles", show_lines=True)
        table.add_column("name", style="bold")
        table.add_column("platforms")
        table.add_column("description", overflow="fold")
        for p in builtin_profiles(kind):
            table.add_row(p.name, ", ".join(p.platforms), p.description)
        console.print(table)


# -- Commands defined in their own modules register here, one line each:
# -- `from uefi_accept.cmd_x import x` then `cli.add_command(x)`. Those modules
# -- import only click at top level, to keep start-up fast.
from uefi_accept.cmd_check import check, upgrades  # noqa: E402

cli.add_command(check)
cli.add_command(upgrades)
from uefi_accept.cmd_sweep import sweep_command, validate  # noqa: E402

cli.add_command(validate)
cli.add_command(sweep_command(scenario_options))  # sweep widens the shared scenario options
# -- END OF COMMAND REGISTRATION


def _check_unique(names: list[str], option: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"profile named twice: {', '.join(dupes)}", field=option)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors with documented exit codes, no tracebacks."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="uefi-accept", standalone_mode=False)
    except InputError as exc:
        click.echo(f"uefi-accept: error: {exc.one_line()}", err=True)
        sys.exit(EXIT_INPUT)
    except click.exceptions.Abort:
        click.echo("uefi-accept: aborted", err=True)
        sys.exit(EXIT_INTERNAL)
    except click.ClickException as exc:
        msg = exc.format_message().replace("\n", " ")
        click.echo(f"uefi-accept: error: {msg} (see --help)", err=True)
        sys.exit(exc.exit_code if exc.exit_code else EXIT_INPUT)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            raise
        click.echo(
            f"uefi-accept: internal error: {type(exc).__name__}: {exc} (run with --debug)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
