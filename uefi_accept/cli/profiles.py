"""`uefi-accept profiles`: the built-in firmware and kernel profiles."""

from __future__ import annotations

import click

from uefi_accept.cli.options import EXIT_CODES_HELP, format_option, output_option
from uefi_accept.render import Kind


@click.command(epilog=EXIT_CODES_HELP)
@format_option(Kind.PROFILES)
@output_option
def profiles(fmt: str | None, output: str | None) -> None:
    """List the built-in firmware and kernel profiles and what each stands for."""
    from uefi_accept.cli.common import emit, output_format
    from uefi_accept.inputs.profile_files import builtin_profiles

    found = {kind: builtin_profiles(kind) for kind in ("firmware", "kernel")}
    emit(Kind.PROFILES, found, output_format(fmt, output, Kind.PROFILES), output)
