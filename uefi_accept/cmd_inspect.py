"""`uefi-accept inspect LOG`: what happened to a real guest's memory."""

from __future__ import annotations

import click

from uefi_accept.options import EXIT_CODES_HELP, output_option


@click.command("inspect", epilog=EXIT_CODES_HELP)
@click.argument("log_path", metavar="LOG", type=click.Path(dir_okay=False))
@click.option(
    "--meminfo",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="/proc/meminfo of the same guest, if the log does not hold it.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@output_option
def inspect_command(log_path: str, meminfo: str | None, fmt: str, output: str | None) -> None:
    """Read a kernel boot log (dmesg, journalctl -k, serial console) and tell
    what happened to the guest's memory: RAM by EFI memory type, what was handed
    over unaccepted, what the kernel can use, what was lost, and why."""
    import dataclasses

    from uefi_accept.inspect import (
        inspect_boot_log,
        render_inspect_markdown,
        render_inspect_text,
    )
    from uefi_accept.logparse import parse_boot_log, parse_meminfo
    from uefi_accept.options import read_text_file, write_output
    from uefi_accept.render import dump_json

    log = parse_boot_log(read_text_file(log_path), log_path)
    warnings = [(log_path, w) for w in log.warnings]
    if meminfo is not None:
        log = dataclasses.replace(log, meminfo=parse_meminfo(read_text_file(meminfo), meminfo))
    for source, w in warnings:
        click.echo(f"uefi-accept: warning: {source}:{w.line}: {w.message}", err=True)
    report = inspect_boot_log(log)
    if fmt == "json":
        text = dump_json(report.to_dict())
    elif fmt == "markdown":
        text = render_inspect_markdown(report)
    else:
        text = render_inspect_text(report)
    write_output(text, output)
