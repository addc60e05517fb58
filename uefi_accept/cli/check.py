"""`uefi-accept check` and `uefi-accept upgrades`: regression gates for CI."""

from __future__ import annotations

from typing import Any

import click

from uefi_accept.cli.options import (
    EXIT_CODES_HELP,
    FractionType,
    format_option,
    output_option,
    profile_options,
    scenario_options,
)
from uefi_accept.errors import EXIT_CHANGED, EXIT_INPUT, EXIT_OK
from uefi_accept.render import Kind


@click.command("check", epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, required=True, metavar="FILE_OR_DIR...")
@click.option(
    "--tolerance",
    type=FractionType(10.0),
    default="0.05",
    show_default=True,
    help="Relative change of a time still counted as unchanged (0.05 or 5%). "
    "Byte counts, verdicts and timeline steps count on any change.",
)
@click.option(
    "--ignore",
    type=click.Choice(["explanation", "figure"], case_sensitive=False),
    multiple=True,
    help="Report changes of this class but do not exit 1 for them: `explanation` "
    "(reasons and timeline sentences) or `figure` (numbers, verdicts, steps).",
)
@click.option(
    "--update",
    is_flag=True,
    help="Rewrite the files that changed with the recomputed matrix (atomically); "
    "files that did not change, and files that could not be read, are left alone.",
)
@format_option(Kind.CHECK)
@output_option
def check(
    files: tuple[str, ...],
    tolerance: float,
    ignore: tuple[str, ...],
    update: bool,
    fmt: str | None,
    output: str | None,
) -> int:
    """Recompute saved matrices and report every figure that changed.

    Each FILE is the JSON written by `uefi-accept matrix --format json -o FILE`
    (a directory stands for the *.json files under it). The scenario and the
    full profile content come from the file itself, so a file stays checkable
    after a built-in profile changes. Every stored figure is compared: byte
    counts exactly, times within --tolerance, the verdict, the timeline's steps
    and bytes; changed sentences are reported as explanation changes. Exit 1
    when something changed (also with --update, after rewriting), 2 when a file
    could not be read (the others are still checked), 0 otherwise.
    """
    from uefi_accept.analyses.check import ChangeClass, check_files
    from uefi_accept.cli.common import emit, output_format
    from uefi_accept.inputs.files import STDIN_NAME, write_text_file

    out_fmt = output_format(fmt, output, Kind.CHECK)
    report = check_files(
        files, tolerance, ignore=[ChangeClass(i.lower()) for i in ignore], update=update
    )
    if update:
        from uefi_accept.analyses.check import expand_paths
        from uefi_accept.inputs.files import source_name

        # A report names a file for display (non-UTF-8 bytes escaped); write the real path.
        paths = {source_name(p): p for p in expand_paths(files)}
        for f in report.changed_files:
            if f.source != STDIN_NAME:
                write_text_file(f.fresh_text, paths.get(f.source, f.source))
    emit(Kind.CHECK, report, out_fmt, output)
    if report.errors:
        for f in report.errors:
            assert f.error is not None
            click.echo(f"uefi-accept: error: {f.error.one_line()}", err=True)
        return EXIT_INPUT
    return EXIT_CHANGED if report.failed else EXIT_OK


@click.command("upgrades", epilog=EXIT_CODES_HELP)
@scenario_options
@profile_options(
    "Firmware rows, in upgrade order (repeatable; default: deployed, near-future, far-future).",
    "Kernel columns, in upgrade order (repeatable; default: unenlightened, enlightened, "
    "dropped-protocol).",
)
@format_option(Kind.UPGRADES)
@output_option
def upgrades(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    **kw: Any,
) -> int:
    """Walk every upgrade path and report each step that makes things worse.

    Within each firmware row the kernel is upgraded column by column, within
    each kernel column the firmware row by row, in the order of --fw/--kernel
    (or the built-in order). A step is a regression when the verdict gets worse
    (fast < slow < degraded < timeout < oom < crash), usable memory is lost, or the boot
    takes at least --slow-ratio times as long (not counted when the step also
    makes more memory usable). Exit 1 when a regression exists, 0 otherwise.
    """
    from uefi_accept.analyses.matrix import evaluate_matrix
    from uefi_accept.analyses.upgrades import walk_upgrades
    from uefi_accept.cli.common import build_scenario, emit, output_format, resolve_rows_and_columns

    out_fmt = output_format(fmt, output, Kind.UPGRADES)
    scenario = build_scenario(kw)
    fws, ks = resolve_rows_and_columns(
        fw_refs, kernel_refs, scenario, accept_memory=kw.get("accept_memory")
    )
    report = walk_upgrades(evaluate_matrix(scenario, fws, ks))
    emit(Kind.UPGRADES, report, out_fmt, output)
    return EXIT_CHANGED if report.regressions else EXIT_OK
