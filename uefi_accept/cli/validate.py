"""`uefi-accept validate`: the cost model against published measurements."""

from __future__ import annotations

from typing import Any

import click

from uefi_accept.cli.options import EXIT_CODES_HELP, FractionType, format_option, output_option
from uefi_accept.errors import EXIT_CHANGED, EXIT_OK
from uefi_accept.render import Kind


@click.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--platform",
    type=click.Choice(["snp", "tdx"], case_sensitive=False),
    default=None,
    help="Only this platform's measurements (default: all).",
)
@click.option(
    "--tolerance",
    type=FractionType(10.0),
    default=None,
    help="Allowed relative error for every row, e.g. 0.1 or 10% "
    "(default: each row's own, 20% unless stated).",
)
@click.option(
    "--measurements",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    metavar="FILE",
    help="Your own measurements (TOML, one [[measurement]] table each: name, measured, "
    "platform, firmware, kernel, ram, vcpus, ...), checked after the published ones.",
)
@format_option(Kind.VALIDATION)
@output_option
def validate(
    platform: str | None,
    tolerance: float | None,
    measurements: str | None,
    fmt: str | None,
    output: str | None,
) -> int:
    """The cost model against every published measurement it is built on.

    One row per measurement: source, conditions, measured figure, the model's
    figure (through the same engine and one cost model per platform) and the
    relative error. Exits 1 when any row is off by more than its tolerance."""
    from uefi_accept.analyses.calibration import validate as run_validation
    from uefi_accept.cli.common import emit, output_format

    if tolerance is not None and tolerance <= 0:
        raise click.BadParameter("must be above 0", param_hint="'--tolerance'")
    out_fmt = output_format(fmt, output, Kind.VALIDATION)
    extra: tuple[Any, ...] = ()
    if measurements is not None:
        from uefi_accept.analyses.calibration import measurement_from_spec
        from uefi_accept.inputs.files import source_name
        from uefi_accept.inputs.measurement_files import load_measurements

        source = source_name(measurements)
        extra = tuple(measurement_from_spec(s, source) for s in load_measurements(measurements))
    result = run_validation(platform.lower() if platform else None, tolerance, extra)
    emit(Kind.VALIDATION, result, out_fmt, output)
    return EXIT_CHANGED if result.failed else EXIT_OK
