"""`uefi-accept check` and `uefi-accept upgrades`: regression gates for CI.

Only click (and the click-only helpers of uefi_accept.cli) at top level; the
engine, numpy and rich are imported inside the commands so `--help` stays fast.
"""

from __future__ import annotations

from typing import Any

import click

from uefi_accept.options import EXIT_CODES_HELP, output_option, scenario_options

FORMATS = ["table", "json", "markdown", "text"]
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
)


def _finite(value: float, option: str) -> float:
    import math

    if not math.isfinite(value):
        raise click.BadParameter("not a number", param_hint=f"'{option}'")
    return value


def replace_file_atomically(path: str, text: str) -> None:
    """Rewrite a golden file whole or not at all; it keeps its mode."""
    from uefi_accept.options import write_output

    write_output(text, path)


@click.command("check", epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--tolerance",
    type=click.FloatRange(0.0, 10.0),
    callback=lambda ctx, param, v: _finite(v, "--tolerance"),
    default=0.05,
    show_default=True,
    help="Relative boot-time difference still counted as unchanged (0.05 = 5%). "
    "Any change of verdict, usable or lost memory counts.",
)
@click.option(
    "--update",
    is_flag=True,
    help="Rewrite the files whose cells changed with the recomputed matrix "
    "(atomically); files that did not change are left untouched.",
)
@format_option
@output_option
def _check(
    files: tuple[str, ...], tolerance: float, update: bool, fmt: str, output: str | None
) -> int:
    """Recompute saved matrices and print only the cells that changed.

    Each FILE is the JSON written by `uefi-accept matrix --format json -o FILE`
    (a directory stands for the *.json files in it). The scenario and the full
    profile content are taken from the file itself, so a file stays checkable
    after a built-in profile changes. Exit 1 when a cell changed (also with
    --update, after rewriting), 0 when none did.
    """
    from uefi_accept import render_check
    from uefi_accept.errors import EXIT_CHANGED, EXIT_OK
    from uefi_accept.golden import CheckReport, check_golden, expand_paths, load_golden
    from uefi_accept.options import write_output
    from uefi_accept.render import renderer

    # Validate every file before recomputing or writing anything: one corrupt
    # file stops the run (exit 2) with nothing rewritten.
    goldens = [load_golden(p) for p in expand_paths(files)]
    report = CheckReport(tuple(check_golden(g, tolerance) for g in goldens), tolerance, update)
    if update:
        for f in report.changed_files:
            replace_file_atomically(f.source, f.fresh_text)
    write_output(renderer(render_check, "check", fmt)(report), output)
    return EXIT_CHANGED if report.changed else EXIT_OK


# Declared types: cli.py imports these while this module imports cli.
check: click.Command = _check


@click.command("upgrades", epilog=EXIT_CODES_HELP)
@scenario_options
@click.option(
    "--fw",
    "fw_refs",
    multiple=True,
    metavar="NAME_OR_PATH",
    help="Firmware rows, in upgrade order (repeatable; default: deployed, near-future, "
    "far-future).",
)
@click.option(
    "--kernel",
    "kernel_refs",
    multiple=True,
    metavar="NAME_OR_PATH",
    help="Kernel columns, in upgrade order (repeatable; default: unenlightened, "
    "enlightened, dropped-protocol).",
)
@format_option
@output_option
def _upgrades(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    fmt: str,
    output: str | None,
    **kw: Any,
) -> int:
    """Walk every upgrade path and report each step that makes things worse.

    Within each firmware row the kernel is upgraded column by column, within
    each kernel column the firmware row by row, in the order of --fw/--kernel
    (or the built-in order). A step is a regression when the verdict gets worse
    (fast < slow < degraded < oom < crash), usable memory is lost, or the boot
    takes at least --slow-ratio times as long (not counted when the step also
    makes more memory usable). Exit 1 when a regression exists, 0 otherwise.
    """
    from uefi_accept import render_check
    from uefi_accept.errors import EXIT_CHANGED, EXIT_OK
    from uefi_accept.options import build_scenario, resolve_rows_and_columns, write_output
    from uefi_accept.render import renderer
    from uefi_accept.upgrades import walk_upgrades
    from uefi_accept.verdict import evaluate_matrix

    scenario = build_scenario(kw)
    fws, ks = resolve_rows_and_columns(fw_refs, kernel_refs, scenario.platform)
    report = walk_upgrades(evaluate_matrix(scenario, fws, ks))  # type: ignore[arg-type]
    write_output(renderer(render_check, "upgrades", fmt)(report), output)
    return EXIT_CHANGED if report.regressions else EXIT_OK


upgrades: click.Command = _upgrades
