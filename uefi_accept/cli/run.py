"""`uefi-accept run` and `uefi-accept matrix`: boot one combination, or all."""

from __future__ import annotations

from typing import Any

import click

from uefi_accept.cli.options import (
    EXIT_CODES_HELP,
    format_option,
    kernel_config_options,
    memmap_option,
    output_option,
    profile_options,
    scenario_options,
)
from uefi_accept.errors import InputError
from uefi_accept.render import Kind


@click.command(epilog=EXIT_CODES_HELP)
@scenario_options
@profile_options("Firmware rows (repeatable).", "Kernel columns (repeatable).")
@kernel_config_options
@memmap_option
@format_option(Kind.MATRIX)
@output_option
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw the verdict matrix to FILE.svg, .png or .pdf "
    "(needs: pip install 'uefi-accept[plot]').",
)
def matrix(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    kernel_configs: tuple[str, ...],
    kernel_version: str | None,
    memmap: str | None,
    fmt: str | None,
    output: str | None,
    plot: str | None,
    **kw: Any,
) -> None:
    """Every firmware x kernel combination for one VM (default: SNP, 64 GiB, 3 x 3).

    A kernel may be a built-in name, a profile file, or a kernel .config
    (--kernel-config). With --memmap the rows boot over a real EFI memory map."""
    from uefi_accept.analyses.matrix import evaluate_matrix
    from uefi_accept.cli.common import (
        build_scenario,
        config_assumptions,
        emit,
        kernel_config_profiles,
        load_memmap,
        memmap_firmware,
        output_format,
        resolve_rows_and_columns,
    )

    out_fmt = output_format(fmt, output, Kind.MATRIX)
    if plot is not None:  # fail before any work
        from uefi_accept.render.plot import check_path, require_matplotlib

        check_path(plot)
        require_matplotlib()
    log = load_memmap(memmap) if memmap else None
    scenario = build_scenario(kw, log)
    configs = kernel_config_profiles(kernel_configs, kernel_version)
    scenario = config_assumptions(scenario, configs)
    fws, ks = resolve_rows_and_columns(
        fw_refs,
        kernel_refs,
        scenario,
        extra_kernels=configs,
        default_fw=[memmap_firmware(scenario, memmap)] if memmap else None,
        accept_memory=kw.get("accept_memory"),
    )
    handover = log.efi_map if log is not None else None
    result = evaluate_matrix(scenario, fws, ks, handover_map=handover)
    if plot is not None:  # the plot first: a failed run leaves no text file behind
        from uefi_accept.render.plot import plot_matrix

        plot_matrix(result, plot)
    emit(Kind.MATRIX, result, out_fmt, output)


@click.command(epilog=EXIT_CODES_HELP)
@scenario_options
@profile_options(
    "Firmware; with --memmap its hand-over rules apply to the log's map (default: as logged).",
    "Kernel: a built-in name or a profile file.",
)
@kernel_config_options
@memmap_option
@format_option(Kind.RUN)
@output_option
def run(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    kernel_configs: tuple[str, ...],
    kernel_version: str | None,
    memmap: str | None,
    fmt: str | None,
    output: str | None,
    **kw: Any,
) -> None:
    """One combination in full: figures, reason and timeline.

    Needs --fw (or --memmap) and one of --kernel or --kernel-config."""
    from uefi_accept.analyses.matrix import evaluate
    from uefi_accept.cli.common import (
        build_scenario,
        config_assumptions,
        emit,
        kernel_config_profiles,
        load_memmap,
        memmap_firmware,
        output_format,
        with_accept_memory,
    )
    from uefi_accept.inputs.profile_files import resolve_profile

    if len(fw_refs) > 1:
        raise InputError(
            "run boots one combination: give --fw once (matrix takes many)", field="--fw"
        )
    if len(kernel_refs) > 1:
        raise InputError("run boots one combination: give --kernel once", field="--kernel")
    out_fmt = output_format(fmt, output, Kind.RUN)
    log = load_memmap(memmap) if memmap else None
    scenario = build_scenario(kw, log)
    if not fw_refs and memmap is None:
        raise InputError("give a firmware profile, or a boot log with --memmap", field="--fw")
    if bool(kernel_refs) == bool(kernel_configs) or len(kernel_configs) > 1:
        raise InputError("give exactly one of --kernel or --kernel-config", field="--kernel")
    if fw_refs:
        fw = resolve_profile(fw_refs[0], "firmware", scenario.platform)
    else:
        assert memmap is not None
        fw = memmap_firmware(scenario, memmap)
    if kernel_refs:
        kernel = resolve_profile(kernel_refs[0], "kernel", scenario.platform)
    else:
        kernel = kernel_config_profiles(kernel_configs, kernel_version)[0]
        scenario = config_assumptions(scenario, [kernel])
    (kernel,) = with_accept_memory([kernel], kw.get("accept_memory"))  # type: ignore[list-item]
    handover = log.efi_map if log is not None else None
    cell = evaluate(scenario, fw, kernel, handover_map=handover)  # type: ignore[arg-type]
    emit(Kind.RUN, cell, out_fmt, output)
