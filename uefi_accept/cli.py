"""Command line: parse, validate, call the engine, render, map errors to exit codes.

Heavy modules (numpy, rich, the engine) are imported inside commands so that
`uefi-accept --help` starts fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from uefi_accept import __version__
from uefi_accept.errors import EXIT_INPUT, EXIT_INTERNAL, InputError
from uefi_accept.options import (  # noqa: F401 - re-exported for command modules
    EXIT_CODES_HELP,
    SIZE,
    build_scenario,
    kernel_config_options,
    kernel_config_profiles,
    load_memmap,
    memmap_firmware,
    memmap_option,
    output_option,
    resolve_rows_and_columns,
    scenario_options,
    write_output,
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


def with_kernel_configs(func: Any) -> Any:
    for opt in reversed(kernel_config_options):
        func = opt(func)
    return func


@cli.command(epilog=EXIT_CODES_HELP)
@scenario_options
@click.option(
    "--fw", "fw_refs", multiple=True, metavar="NAME_OR_PATH", help="Firmware rows (repeatable)."
)
@click.option(
    "--kernel", "kernel_refs", multiple=True, metavar="NAME_OR_PATH", help="Kernel columns."
)
@with_kernel_configs
@memmap_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "markdown", "text"]), default="table"
)
@output_option
def matrix(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    kernel_configs: tuple[str, ...],
    kernel_version: str | None,
    memmap: str | None,
    fmt: str,
    output: str | None,
    **kw: Any,
) -> None:
    """Every firmware x kernel combination for one VM (default: SNP, 64 GiB, 3 x 3).

    A kernel may be a built-in name, a profile file, or a kernel .config
    (--kernel-config). With --memmap the rows boot over a real EFI memory map."""
    from uefi_accept import render
    from uefi_accept.verdict import evaluate_matrix

    log = load_memmap(memmap) if memmap else None
    scenario = build_scenario(kw, log)
    fws, ks = resolve_rows_and_columns(
        fw_refs,
        kernel_refs,
        scenario.platform,
        extra_kernels=kernel_config_profiles(kernel_configs, kernel_version),
        default_fw=[memmap_firmware(scenario.platform, memmap)] if memmap else None,
    )
    handover = log.efi_map if log is not None else None
    result = evaluate_matrix(scenario, fws, ks, handover_map=handover)  # type: ignore[arg-type]
    write_output(render.renderer(render, "matrix", fmt)(result), output)


@cli.command(epilog=EXIT_CODES_HELP)
@scenario_options
@click.option(
    "--fw",
    "fw_refs",
    multiple=True,
    metavar="NAME_OR_PATH",
    help="Firmware; with --memmap its hand-over rules apply to the log's map (default: as logged).",
)
@click.option("--kernel", "kernel_refs", multiple=True, metavar="NAME_OR_PATH")
@with_kernel_configs
@memmap_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "markdown", "text"]), default="table"
)
@output_option
def run(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    kernel_configs: tuple[str, ...],
    kernel_version: str | None,
    memmap: str | None,
    fmt: str,
    output: str | None,
    **kw: Any,
) -> None:
    """One combination in full: figures, reason and timeline.

    Needs --fw (or --memmap) and one of --kernel or --kernel-config."""
    from uefi_accept import render
    from uefi_accept.profiles import resolve_profile
    from uefi_accept.verdict import evaluate

    if len(fw_refs) > 1:
        raise InputError(
            "run boots one combination: give --fw once (matrix takes many)", field="--fw"
        )
    if len(kernel_refs) > 1:
        raise InputError("run boots one combination: give --kernel once", field="--kernel")
    fw_ref = fw_refs[0] if fw_refs else None
    kernel_ref = kernel_refs[0] if kernel_refs else None
    log = load_memmap(memmap) if memmap else None
    scenario = build_scenario(kw, log)
    if fw_ref is None and log is None:
        raise InputError("give a firmware profile, or a boot log with --memmap", field="--fw")
    if (kernel_ref is None) == (not kernel_configs) or len(kernel_configs) > 1:
        raise InputError("give exactly one of --kernel or --kernel-config", field="--kernel")
    if fw_ref is not None:
        fw = resolve_profile(fw_ref, "firmware", scenario.platform)
    else:
        fw = memmap_firmware(scenario.platform, memmap)  # type: ignore[arg-type]
    if kernel_ref is not None:
        kernel = resolve_profile(kernel_ref, "kernel", scenario.platform)
    else:
        kernel = kernel_config_profiles(kernel_configs, kernel_version)[0]
    handover = log.efi_map if log is not None else None
    cell = evaluate(scenario, fw, kernel, handover_map=handover)  # type: ignore[arg-type]
    write_output(render.renderer(render, "run", fmt)(cell), output)


@cli.command(epilog=EXIT_CODES_HELP)
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
from uefi_accept.cmd_inspect import inspect_command  # noqa: E402

cli.add_command(inspect_command)
# -- END OF COMMAND REGISTRATION


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
