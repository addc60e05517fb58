"""What several commands do the same way: turn options into a scenario and
profiles, and write a rendered result. Imports the model lazily."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from uefi_accept.errors import InputError
from uefi_accept.render import SUFFIX_FORMAT, Format, Kind

if TYPE_CHECKING:
    from uefi_accept.inputs.bootlog import BootLog
    from uefi_accept.model.profiles import FirmwareProfile, KernelProfile
    from uefi_accept.model.scenario import Scenario


def warn(message: str) -> None:
    with contextlib.suppress(OSError):  # stderr gone: the exit code still tells
        click.echo(f"uefi-accept: warning: {message}", err=True)


def _given(name: str) -> bool:
    """The option was set on the command line (not left at its default)."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.get_parameter_source(name) not in (
        None,
        click.core.ParameterSource.DEFAULT,
    )


def build_scenario(kw: dict[str, Any], log: BootLog | None = None) -> Scenario:
    """The Scenario the options describe; with a boot log (--memmap), its RAM
    and, unless --platform was given, its platform come from the log."""
    from uefi_accept.model.firmware import handover_ram_bytes
    from uefi_accept.model.profiles import MIN_PRE_ACCEPT
    from uefi_accept.model.scenario import (
        LARGE_PAGE,
        MIN_RAM,
        SMALL_PAGE,
        Layout,
        Loader,
        Platform,
        Scenario,
        max_ram,
    )
    from uefi_accept.units import format_size

    assumptions = _apply_vm_definition(kw, log)
    platform = Platform(kw["platform"].lower())
    layout = Layout(kw["layout"].lower())
    ram = kw["ram"]
    if log is not None:
        for key in ("ram", "pre_accept", "layout"):
            if _given(key):
                raise InputError(
                    "not with --memmap: the log's memory map sets it",
                    field="--" + key.replace("_", "-"),
                )
        ram = handover_ram_bytes(log.efi_map)
        if not _given("platform") and log.platform in ("snp", "tdx"):
            platform = Platform(log.platform)
        elif not _given("platform"):
            named = f"an {log.platform.upper()} guest" if log.platform else "no platform"
            assumptions.append(
                f"{log.source} names {named}: booted as an {platform.upper()} guest "
                "(give --platform snp or tdx)"
            )
        if log.efi_map[0].start > 0:
            assumptions.append(
                f"{log.source} holds part of an EFI memory map (it starts at "
                f"{log.efi_map[0].start:#x}, not 0): RAM is what it lists, "
                f"{format_size(ram)}"
            )
        if log.warnings:
            assumptions.append(
                f"{log.source}: {len(log.warnings)} line(s) of the log were skipped "
                "(see the warnings); the map is what was left"
            )
    if ram < MIN_RAM:
        if log is not None:
            raise InputError(
                "the map holds less than the 128M of RAM a guest needs", source=log.source
            )
        raise InputError("a confidential VM needs at least 128M of RAM", field="--ram")
    if log is None and ram > max_ram(layout):
        raise InputError(
            f"beyond the 52-bit physical address limit (at most {max_ram(layout) >> 30}G "
            f"with the {layout} layout)",
            field="--ram",
        )
    pre = kw.get("pre_accept")
    if pre is not None and pre < MIN_PRE_ACCEPT:
        raise InputError(
            f"below the {MIN_PRE_ACCEPT >> 20}M the firmware needs for itself",
            field="--pre-accept",
        )
    if pre is not None and pre > ram:
        raise InputError("more than the VM's RAM", field="--pre-accept")
    cost_model = None
    if kw.get("cost_model"):
        from uefi_accept.inputs.cost_files import load_cost_model

        cost_model = load_cost_model(kw["cost_model"], platform)
    return Scenario(
        platform=platform,
        ram_bytes=ram,
        vcpus=kw["vcpus"],
        layout=layout,
        loader=Loader(kw["loader"].lower()),
        host_page_size=SMALL_PAGE if kw["host_page_size"].upper() == "4K" else LARGE_PAGE,
        pre_accept=pre,
        slow_ratio=kw["slow_ratio"],
        degraded_fraction=kw["degraded_fraction"],
        deadline_s=kw.get("deadline"),
        cost_model=cost_model,
        assumptions=tuple(assumptions),
    )


# What each scenario option decides among a VM definition's notes: a note
# about a value the command line gives anyway is not an assumption.
_VM_NOTE_MARKERS: dict[str, tuple[str, ...]] = {
    "ram": ("-m ", "no -m", "RAM", "<memory", "<currentMemory>", "default_memory", "maxmem"),
    "vcpus": ("-smp", "vCPU", "<vcpu", "default_vcpus"),
    "platform": ("platform", "not SEV-SNP", "sev_snp_guest", "says TDX"),
    "layout": ("layout", "machine", "i440fx", "max-ram-below-4g"),
    "loader": ("--loader", "-kernel", "<kernel>", "EFI stub", "SeaBIOS", "directly"),
    "deadline": ("create_container_timeout",),
    "accept_memory": ("accept_memory=",),
}


def _overridden(note: str, given: set[str]) -> bool:
    """The note only concerns options given on the command line."""
    about = {option for option, marks in _VM_NOTE_MARKERS.items() if any(m in note for m in marks)}
    return bool(about) and about <= given


def _apply_vm_definition(kw: dict[str, Any], log: BootLog | None) -> list[str]:
    """Fill the scenario options the user left at their defaults from --vm FILE
    or --qemu-cmdline; returns what the definition left unsaid (assumptions)."""
    path, cmdline = kw.pop("vm", None), kw.pop("qemu_cmdline", None)
    if path is None and cmdline is None:
        return []
    from uefi_accept.inputs.vmdefs import parse_qemu_cmdline, parse_vm_definition

    if path is not None and cmdline is not None:
        raise InputError("give --vm FILE or --qemu-cmdline, not both", field="--qemu-cmdline")
    if log is not None:
        raise InputError(
            "not with --memmap: the log's memory map sets the VM",
            field="--vm" if path else "--qemu-cmdline",
        )
    if path is not None:
        from uefi_accept.inputs.files import read_text, source_name

        vm = parse_vm_definition(read_text(path), source_name(path))
    else:
        vm = parse_qemu_cmdline(cmdline)
    fields = vm.scenario_fields()
    for key, option in (
        ("platform", "platform"),
        ("ram_bytes", "ram"),
        ("vcpus", "vcpus"),
        ("layout", "layout"),
        ("loader", "loader"),
    ):
        if key in fields and not _given(option):
            value = fields[key]
            kw[option] = value if isinstance(value, int) else str(value)
    if vm.accept_memory is not None and not _given("accept_memory"):
        kw["accept_memory"] = str(vm.accept_memory)
    if vm.deadline_s is not None and not _given("deadline"):
        kw["deadline"] = vm.deadline_s
    given = {option for option in _VM_NOTE_MARKERS if _given(option)}
    notes = [f"{vm.source}: {a}" for a in vm.assumptions if not _overridden(a, given)]
    if vm.platform is None and not _given("platform"):
        notes = [n for n in notes if "pass --platform" not in n]  # said once, below
        notes.append(
            f"{vm.source} defines no SEV-SNP or TDX guest: booted as an "
            f"{str(kw['platform']).upper()} guest (give --platform)"
        )
    return notes


def load_memmap(path: str) -> BootLog:
    """Parse a boot log for --memmap; warnings go to stderr, no map is an error."""
    from uefi_accept.inputs.bootlog import parse_boot_log
    from uefi_accept.inputs.files import read_text, source_name

    source = source_name(path)
    log = parse_boot_log(read_text(path), source)
    for w in log.warnings:
        warn(f"{source}:{w.line}: {w.message}")
    if not log.efi_map:
        raise InputError(
            "no EFI memory map in this log (boot with efi=debug to print it)", source=source
        )
    return log


def kernel_config_profiles(paths: tuple[str, ...], version: str | None) -> list[KernelProfile]:
    from uefi_accept.inputs.profile_files import kernel_profile_from_config

    if version is not None and not paths:
        raise InputError("only applies to --kernel-config files", field="--kernel-version")
    # The path as given: Path("") would be ".", the current directory.
    return [kernel_profile_from_config(p, version) for p in paths]


def config_assumptions(scenario: Scenario, kernels: list[KernelProfile]) -> Scenario:
    """The scenario, noting each kernel config that names no version: whether it
    supports unaccepted memory then rests on CONFIG_UNACCEPTED_MEMORY alone."""
    from msgspec.structs import replace

    notes = [
        f"{k.name} names no kernel version: "
        + (
            "assumed 6.5 or later, because it sets CONFIG_UNACCEPTED_MEMORY=y"
            if k.unaccepted_memory
            else "scored without unaccepted memory support, so firmware-handed memory "
            "is lost or accepted by the firmware"
        )
        + " (give --kernel-version X.Y)"
        for k in kernels
        if k.version is None
    ]
    if not notes:
        return scenario
    return replace(scenario, assumptions=(*scenario.assumptions, *notes))


def memmap_firmware(scenario: Scenario, source: str) -> FirmwareProfile:
    """The firmware row for a real map: it handed over what the log shows
    (`inspect` boots the same row for its remedy command)."""
    from uefi_accept.analyses.matrix import memmap_firmware as firmware
    from uefi_accept.inputs.files import source_name

    return firmware(scenario.platform, source_name(source))


def with_accept_memory(kernels: list[KernelProfile], mode: str | None) -> list[KernelProfile]:
    """--accept-memory: the kernel command line's accept_memory=, for every
    kernel that has unaccepted memory support (older ones ignore it)."""
    if mode is None:
        return kernels
    import msgspec

    from uefi_accept.model.profiles import AcceptMemory

    value = AcceptMemory(mode.lower())

    def booted(k: KernelProfile) -> KernelProfile:
        if not k.unaccepted_memory or k.accept_memory == value:
            return k
        # Renamed, so every output (and a golden) shows the override.
        return msgspec.structs.replace(
            k,
            name=f"{k.name[: 63 - len(value.value)]}+{value.value}",
            description=f"{k.description} Booted with accept_memory={value.value}.",
            accept_memory=value,
        )

    return [booted(k) for k in kernels]


def resolve_rows_and_columns(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    scenario: Scenario,
    extra_kernels: list[KernelProfile] | None = None,
    default_fw: list[FirmwareProfile] | None = None,
    accept_memory: str | None = None,
) -> tuple[list[FirmwareProfile], list[KernelProfile]]:
    """Firmware rows and kernel columns from --fw/--kernel (built-in names or
    paths; the built-in 3 x 3 by default), each name at most once."""
    from uefi_accept.inputs.profile_files import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile

    platform = scenario.platform
    if fw_refs or default_fw is None:
        fws = [resolve_profile(r, "firmware", platform) for r in fw_refs or FIRMWARE_ORDER]
    else:
        fws = list(default_fw)
    extra = list(extra_kernels or [])
    default_kernels = () if extra else KERNEL_ORDER
    resolved = [resolve_profile(r, "kernel", platform) for r in kernel_refs or default_kernels]
    ks = with_accept_memory([*resolved, *extra], accept_memory)  # type: ignore[list-item]
    for names, option in (([p.name for p in fws], "--fw"), ([p.name for p in ks], "--kernel")):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError(f"profile named twice: {', '.join(dupes)}", field=option)
    return fws, ks  # type: ignore[return-value]


def output_format(fmt: str | None, output: str | None, kind: Kind) -> Format:
    """--format, or what the -o file's suffix says; a contradiction is an error."""
    from uefi_accept.render import FORMATS

    suffix = Path(output).suffix.lower() if output and output != "-" else ""
    implied = SUFFIX_FORMAT.get(suffix)
    if fmt is not None:
        chosen = Format(fmt.lower())
        # A format with no suffix of its own (github) may go to a plain .txt file.
        plain = implied == Format.TEXT and chosen not in SUFFIX_FORMAT.values()
        if implied is not None and implied != chosen and chosen != Format.TABLE and not plain:
            raise InputError(
                f"--format {chosen} contradicts the file name ({suffix} is {implied})",
                field="-o",
            )
        if implied is not None and chosen == Format.TABLE:
            raise InputError(
                f"--format table draws for a terminal; {output} asks for {implied}",
                field="-o",
            )
        return chosen
    if implied is not None and implied in FORMATS[kind]:
        return implied
    if implied is not None:
        offered = ", ".join(str(f) for f in FORMATS[kind] if f != Format.TABLE)
        raise InputError(
            f"{kind} has no {implied} output ({suffix}); it writes {offered}", field="-o"
        )
    return Format.TEXT if output and output != "-" else Format.TABLE


def emit(kind: Kind, result: Any, fmt: Format, output: str | None) -> None:
    """Render and write: standard output, or a file written whole. Assumptions
    go to stderr as well, whatever the format."""
    from uefi_accept.render import assumptions_of, render

    for note in assumptions_of(result):
        click.echo(f"uefi-accept: assumed: {note}", err=True)
    text = render(kind, result, fmt)
    if output is None or output == "-":
        write_stdout(text)
    else:
        from uefi_accept.inputs.files import write_text_file

        write_text_file(text, output)


def write_stdout(text: str) -> None:
    """To standard output; a reader that went away (`| head -1`) ends the
    output quietly, and the command still exits with its own code."""
    from uefi_accept.inputs.files import StdoutError
    from uefi_accept.inputs.files import write_stdout as write

    try:
        write(text)
    except BrokenPipeError:
        # Nothing more can reach the reader; keep the interpreter's final flush quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except StdoutError as exc:
        raise InputError(f"cannot write to standard output: {exc}") from None
