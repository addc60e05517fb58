"""`uefi-accept inspect LOG`: what happened to a real guest's memory."""

from __future__ import annotations

import click

from uefi_accept.cli.options import EXIT_CODES_HELP, format_option, output_option
from uefi_accept.render import Format, Kind


@click.command("inspect", epilog=EXIT_CODES_HELP)
@click.argument("log_path", metavar="LOG", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--meminfo",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="/proc/meminfo of the same guest, if the log does not hold it (- for standard input).",
)
@format_option(Kind.INSPECT, default=Format.TEXT)
@output_option
def inspect(log_path: str, meminfo: str | None, fmt: str | None, output: str | None) -> int:
    """Read a kernel boot log (dmesg, journalctl -k, serial console; - for
    standard input, gzip is fine) and tell what happened to the guest's memory:
    RAM by EFI memory type, what was handed over unaccepted, what the kernel
    can use, what was lost, and why.

    Exits 1 when it diagnoses lost memory or a crash risk, and names the remedy:
    the kernel or firmware change, and (with a bootable EFI memory map in the
    log) the `uefi-accept run --memmap LOG --kernel enlightened` command that
    shows it; 0 otherwise."""
    import dataclasses

    from uefi_accept.analyses.diagnosis import inspect_boot_log
    from uefi_accept.cli.common import emit, output_format, warn
    from uefi_accept.errors import EXIT_CHANGED, EXIT_OK, InputError
    from uefi_accept.inputs.bootlog import parse_boot_log, parse_meminfo
    from uefi_accept.inputs.files import STDIN, read_text, source_name

    if log_path == STDIN and meminfo == STDIN:
        raise InputError(
            "standard input can hold the log or the meminfo, not both", field="--meminfo"
        )
    out_fmt = output_format(fmt, output, Kind.INSPECT)
    if fmt is None and output is None:
        out_fmt = Format.TEXT
    source = source_name(log_path)
    log = parse_boot_log(read_text(log_path), source)
    warnings = [(source, w) for w in log.warnings]
    if meminfo is not None:
        mi_source = source_name(meminfo)
        log = dataclasses.replace(log, meminfo=parse_meminfo(read_text(meminfo), mi_source))
    for where, w in warnings:
        warn(f"{where}:{w.line}: {w.message}")
    report = inspect_boot_log(log)
    emit(Kind.INSPECT, report, out_fmt, output)
    return EXIT_CHANGED if report.needs_remedy else EXIT_OK
