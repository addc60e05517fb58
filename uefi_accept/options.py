"""Options and helpers shared by every command module.

Only click at top level: importing this costs nothing at start-up.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from uefi_accept.errors import InputError

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  `check` found a changed cell, `upgrades` a regression, or
     `validate` a row off its tolerance
  2  usage error or invalid input (unknown profile, malformed or
     inconsistent profile file, bad size, corrupt golden file, garbled log)
  3  internal error (add --debug for the traceback)"""


class SizeType(click.ParamType):
    name = "SIZE"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        from uefi_accept.units import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


SIZE = SizeType()


def scenario_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options that describe the VM, shared by every command that boots one."""
    options = [
        click.option(
            "--platform", type=click.Choice(["snp", "tdx"]), default="snp", show_default=True
        ),
        click.option(
            "--ram", type=SIZE, default="64G", show_default=True, help="e.g. 512M, 64G, 2T"
        ),
        click.option("--vcpus", type=click.IntRange(1, 4096), default=4, show_default=True),
        click.option(
            "--layout",
            type=click.Choice(["q35", "low-3g"]),
            default="q35",
            show_default=True,
            help="q35: 2 GiB below 4 GiB once RAM >= 2816 MiB; low-3g: 3 GiB below 4 GiB.",
        ),
        click.option(
            "--loader",
            type=click.Choice(["efi-stub", "grub", "grub-legacy"]),
            default="efi-stub",
            show_default=True,
        ),
        click.option(
            "--host-page-size",
            type=click.Choice(["2M", "4K"]),
            default="2M",
            show_default=True,
            help="Page size the host backs private memory with (4K: 512 accepts per 2 MiB).",
        ),
        click.option(
            "--pre-accept",
            type=SIZE,
            default=None,
            help="Override what firmware that hands memory over pre-accepts (e.g. 256M).",
        ),
        click.option(
            "--slow-ratio",
            type=click.FloatRange(1.0, min_open=True),
            default=1.5,
            show_default=True,
            help="`slow` when boot takes at least this times the lazy-acceptance time.",
        ),
        click.option(
            "--degraded-fraction",
            type=click.FloatRange(0.0, 1.0, min_open=True),
            default=0.9,
            show_default=True,
            help="`degraded` when less than this fraction of RAM is usable.",
        ),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def build_scenario(kw: dict[str, Any], log: Any = None) -> Any:
    """The Scenario the options describe; with a boot log (--memmap), its RAM
    and, unless --platform was given, its platform come from the log."""
    from uefi_accept.engine import MAX_RAM, Layout, Loader, Scenario, handover_ram_bytes
    from uefi_accept.profiles import MIN_PRE_ACCEPT
    from uefi_accept.units import MiB

    platform = kw["platform"]
    for key in ("slow_ratio", "degraded_fraction"):
        if not math.isfinite(kw[key]):
            raise InputError("not a number", field="--" + key.replace("_", "-"))
    if log is not None:
        ctx = click.get_current_context(silent=True)
        for key in ("ram", "pre_accept", "layout"):
            if ctx is not None and ctx.get_parameter_source(key) not in (
                None,
                click.core.ParameterSource.DEFAULT,
            ):
                raise InputError(
                    "not with --memmap: the log's memory map sets it",
                    field="--" + key.replace("_", "-"),
                )
        kw = {**kw, "ram": handover_ram_bytes(log.efi_map)}
        ctx = click.get_current_context(silent=True)
        explicit = ctx is not None and ctx.get_parameter_source("platform") not in (
            None,
            click.core.ParameterSource.DEFAULT,
        )
        if not explicit and log.platform in ("snp", "tdx"):
            platform = log.platform
    if kw["ram"] < 128 * MiB:
        if log is not None:
            raise InputError(
                "the map holds less than the 128M of RAM a guest needs", source=log.source
            )
        raise InputError("a confidential VM needs at least 128M of RAM", field="--ram")
    if kw["ram"] > MAX_RAM:
        raise InputError("more than 64T of RAM is beyond this model", field="--ram")
    if kw["pre_accept"] is not None and kw["pre_accept"] < MIN_PRE_ACCEPT:
        raise InputError(
            f"below the {MIN_PRE_ACCEPT >> 20}M the firmware needs for itself",
            field="--pre-accept",
        )
    return Scenario(
        platform=platform,
        ram_bytes=kw["ram"],
        vcpus=kw["vcpus"],
        layout=Layout(kw["layout"]),
        loader=Loader(kw["loader"]),
        host_page_size=4096 if kw["host_page_size"] == "4K" else 2 * MiB,
        pre_accept=kw["pre_accept"],
        slow_ratio=kw["slow_ratio"],
        degraded_fraction=kw["degraded_fraction"],
    )


def output_target(output: str, option: str = "-o") -> Path:
    """Where an output file goes: a new path or a regular file (through a
    symlink); never a device, a directory or a path in a missing directory."""
    if not output:
        raise InputError("an empty file name", field=option)
    path = Path(os.path.realpath(output))
    if path.exists() and not (path.is_file() or _is_stream(path)):
        raise InputError("not a regular file; refusing to replace it", source=output)
    if not path.parent.is_dir():
        raise InputError("no such directory", source=output)
    return path


def _is_stream(path: Path) -> bool:
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def atomic_write(output: str, write: Callable[[str], None], suffix: str = ".tmp") -> None:
    """Write through `write(tmp_path)` to a temporary file beside the target,
    then rename it over the target: the whole file or none of it. The target
    keeps its mode, or gets the mode a plain open() would give."""
    path = output_target(output)
    if _is_stream(path):  # /dev/null, /dev/stdout, a pipe: write through, never rename over
        try:
            write(str(path))
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", source=output) from None
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", source=output) from None
    os.close(fd)
    try:
        write(tmp)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror}", source=output) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(text: str, output: str | None) -> None:
    """Print (for no -o, or -o -), or write the whole file atomically."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if Path(tmp).is_file():
                os.fsync(fh.fileno())

    atomic_write(output, write)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
)


memmap_option = click.option(
    "--memmap",
    type=click.Path(dir_okay=False),
    metavar="LOG",
    help="Boot over the EFI memory map printed in LOG (efi=debug) instead of the VMM "
    "layout and the firmware's pre-acceptance; RAM and platform come from the log.",
)
kernel_config_options = [
    click.option(
        "--kernel-config",
        "kernel_configs",
        multiple=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="A kernel profile built from a kernel .config or fragment (repeatable).",
    ),
    click.option(
        "--kernel-version",
        default=None,
        metavar="X.Y",
        help="Kernel version for --kernel-config files without a version header.",
    ),
]


def load_memmap(path: str) -> Any:
    """Parse a boot log for --memmap; warnings go to stderr, no map is an error."""
    from uefi_accept.logparse import parse_boot_log

    log = parse_boot_log(read_text_file(path), path)
    for w in log.warnings:
        click.echo(f"uefi-accept: warning: {path}:{w.line}: {w.message}", err=True)
    if not log.efi_map:
        raise InputError(
            "no EFI memory map in this log (boot with efi=debug to print it)", source=path
        )
    return log


MAX_INPUT_BYTES = 256 << 20


def read_input_bytes(path: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """A regular file's bytes, refusing devices, directories and huge files."""
    p = Path(path)
    try:
        if not p.is_file():
            problem = "no such file" if not p.exists() else "not a regular file"
            raise InputError(problem, source=path)
        if p.stat().st_size > limit:
            raise InputError(
                f"larger than {limit >> 20} MiB: not an input this tool reads", source=path
            )
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from None


def read_text_file(path: str) -> str:
    return read_input_bytes(path).decode("utf-8", errors="replace")


def kernel_config_profiles(paths: tuple[str, ...], version: str | None) -> list[Any]:
    from uefi_accept.profiles import kernel_profile_from_config

    if version is not None and not paths:
        raise InputError("only applies to --kernel-config files", field="--kernel-version")
    return [kernel_profile_from_config(Path(p), version) for p in paths]


def memmap_firmware(platform: str, source: str) -> Any:
    """The firmware row for a real map: it handed over what the log shows."""
    from uefi_accept.profiles import FirmwareProfile

    return FirmwareProfile(
        name="memmap",
        description=f"the firmware that printed the EFI memory map in {source}",
        platforms=[platform],  # type: ignore[list-item]
        pre_accept="all",
        handover="always",
        accept_vcpus="all" if platform == "tdx" else "bsp",
    )


def resolve_rows_and_columns(
    fw_refs: tuple[str, ...],
    kernel_refs: tuple[str, ...],
    platform: str,
    extra_kernels: list[Any] | None = None,
    default_fw: list[Any] | None = None,
) -> tuple[list[Any], list[Any]]:
    """Firmware rows and kernel columns from --fw/--kernel (built-in names or
    paths; the built-in 3 x 3 by default), each name at most once."""
    from uefi_accept.profiles import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile

    if fw_refs or default_fw is None:
        fws = [resolve_profile(r, "firmware", platform) for r in fw_refs or FIRMWARE_ORDER]
    else:
        fws = list(default_fw)
    extra = list(extra_kernels or [])
    default_kernels = () if extra else KERNEL_ORDER
    ks = [resolve_profile(r, "kernel", platform) for r in kernel_refs or default_kernels] + extra
    for names, option in (([p.name for p in fws], "--fw"), ([p.name for p in ks], "--kernel")):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError(f"profile named twice: {', '.join(dupes)}", field=option)
    return fws, ks
