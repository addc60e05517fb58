"""`uefi-accept schema`: the JSON Schema of an output document or a profile file."""

from __future__ import annotations

import click

from uefi_accept.cli.options import EXIT_CODES_HELP


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("kind", required=False, metavar="[KIND]")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write to FILE (whole or not at all) instead of standard output.",
)
def schema(kind: str | None, output: str | None) -> None:
    """Print the JSON Schema (draft 2020-12) of a JSON document (run, matrix, check,
    upgrades, sweep, grid, compare, validation, inspect, profiles) or of a profile file
    (firmware-profile, kernel-profile). Without KIND, list the kinds.

    Every `--format json` document names its `kind` and `schema_version`;
    fields are only added within a version. Point an editor at a profile
    schema to check TOML as it is typed: `#:schema ./firmware-profile.json`
    as a profile's first line (Taplo, Even Better TOML)."""
    from difflib import get_close_matches

    from uefi_accept.cli.common import write_stdout
    from uefi_accept.errors import InputError
    from uefi_accept.inputs.schemas import KINDS, SUMMARY, schema_text

    if kind is None:
        width = max(len(k) for k in KINDS)
        text = "".join(f"{k:<{width}}  {SUMMARY[k]}\n" for k in KINDS)
    else:
        name = kind.strip().lower().replace("_", "-")
        # The command is `validate`; its document's kind is `validation`.
        name = {"validate": "validation"}.get(name, name)
        if name not in KINDS:
            close = get_close_matches(name, KINDS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"no schema for {kind[:40]!r} (one of {', '.join(KINDS)}){hint}", field="KIND"
            )
        text = schema_text(name)
    if output is None or output == "-":
        write_stdout(text)
    else:
        from uefi_accept.inputs.files import write_text_file

        write_text_file(text, output)
