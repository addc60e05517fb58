"""`uefi-accept compare A B`: two firmware builds (or two kernels) across a RAM
range, under each profile of the other side: where B is better than A, where
worse, and by how much.

Only click at top level (start-up speed); the rest is imported in the command.
"""

from __future__ import annotations

from typing import Any

import click

from uefi_accept.cli.options import (
    EXIT_CODES_HELP,
    FiniteFloat,
    complete_profiles,
    format_option,
    output_option,
    scenario_options,
)
from uefi_accept.render import Kind

COMPARE_HELP = """\b
Compare two firmware builds under the built-in kernels, or two kernels on the
built-in firmware:
  uefi-accept compare deployed far-future
  uefi-accept compare linux-6.13 linux-6.14 --vcpus 64
  uefi-accept compare old.toml new.toml --kernel linux-6.8 --ram 4G..1T
A and B are names or files; what they are decides the side (--side to say
so). Each interval keeps one judgement and one verdict on each side; its ends
are exact to 1 MiB where a verdict changes, else sampled points (--points).
--fail-if-worse: exit 1 when B is worse than A at some RAM size.

"""
DEFAULT_RAM = "1G..4T"


def _ram_range_option(func: Any) -> Any:
    """The scenario options, with --ram taking LOW..HIGH."""
    params = [p for p in getattr(func, "__click_params__", []) if p.name != "ram"]
    func.__click_params__ = params
    return click.option(
        "--ram",
        default=DEFAULT_RAM,
        show_default=True,
        metavar="LOW..HIGH",
        help="The RAM range to compare across (log-spaced points, ends kept exact).",
    )(func)


@click.command("compare", epilog=COMPARE_HELP + EXIT_CODES_HELP)
@click.argument("a", metavar="A", shell_complete=complete_profiles("any"))
@click.argument("b", metavar="B", shell_complete=complete_profiles("any"))
@click.option(
    "--side",
    type=click.Choice(["firmware", "kernel"], case_sensitive=False),
    default=None,
    help="What A and B are (default: where their names resolve).",
)
@click.option(
    "--fw",
    "fw_refs",
    multiple=True,
    shell_complete=complete_profiles("firmware"),
    metavar="NAME_OR_PATH",
    help="Firmware to hold when comparing kernels (repeatable; default: the 3 built-in).",
)
@click.option(
    "--kernel",
    "kernel_refs",
    multiple=True,
    shell_complete=complete_profiles("kernel"),
    metavar="NAME_OR_PATH",
    help="Kernel to hold when comparing firmware (repeatable; default: the 3 built-in).",
)
@_ram_range_option
@scenario_options
@click.option(
    "--points",
    type=click.IntRange(2, 100_000),
    default=None,
    help="Sampled RAM sizes (default: 2 per doubling, at least 9).",
)
@click.option(
    "--time-ratio",
    type=FiniteFloat(1.0, 1e6),
    default=1.05,
    show_default=True,
    help="A boot-time difference counts when one boot takes more than this times the other.",
)
@click.option(
    "--fail-if-worse",
    is_flag=True,
    help="Exit 1 when B is worse than A anywhere in the range.",
)
@format_option(Kind.COMPARE)
@output_option
def compare(**kw: Any) -> int:
    """Where B is better than A, where worse, and by how much, across a RAM
    range: two firmware builds under each held kernel, or two kernels on each
    held firmware. Judged by verdict, then usable memory, then boot time."""
    from uefi_accept.analyses.compare import compare as run_compare
    from uefi_accept.analyses.sweep import sweep_values
    from uefi_accept.cli.common import build_scenario, emit, output_format
    from uefi_accept.cli.sweep import parse_sweep_options
    from uefi_accept.errors import EXIT_CHANGED, EXIT_OK, InputError
    from uefi_accept.model.scenario import max_ram

    a_ref, b_ref, side = kw.pop("a"), kw.pop("b"), kw.pop("side")
    fw_refs, kernel_refs = kw.pop("fw_refs"), kw.pop("kernel_refs")
    fmt, output, points = kw.pop("fmt"), kw.pop("output"), kw.pop("points")
    time_ratio, fail_if_worse = kw.pop("time_ratio"), kw.pop("fail_if_worse")
    if ".." not in str(kw["ram"]):
        raise InputError(
            f"compare runs across a range of RAM: give LOW..HIGH (e.g. {DEFAULT_RAM})",
            field="--ram",
        )
    ((_, _, ram_high),) = parse_sweep_options(kw)
    scenario = build_scenario(kw)  # checks the low end like any single scenario
    if ram_high > max_ram(scenario.layout):
        raise InputError("beyond the 52-bit physical address limit", field="--ram")
    out_fmt = output_format(fmt, output, Kind.COMPARE)
    side, a, b = _resolve_pair(a_ref, b_ref, side, scenario.platform)
    held = _held(side, fw_refs, kernel_refs, scenario.platform)
    accept_memory = kw.get("accept_memory")
    if side == "kernel":
        a, b = _with_accept_memory([a, b], accept_memory)
    else:
        held = _with_accept_memory(held, accept_memory)
    values = sweep_values("ram", scenario.ram_bytes, ram_high, points)
    result = run_compare(scenario, side, a, b, held, values, time_ratio)
    emit(Kind.COMPARE, result, out_fmt, output)
    return EXIT_CHANGED if fail_if_worse and result.worse else EXIT_OK


def _resolve_pair(a_ref: str, b_ref: str, side: str | None, platform: Any) -> tuple[Any, Any, Any]:
    """A and B as profiles of one side: --side, or the side both names resolve
    to. A name of both sides, or A and B of different sides, is an error."""
    from uefi_accept.errors import InputError
    from uefi_accept.inputs.profile_files import resolve_profile

    def relabel(exc: InputError, which: str) -> InputError:
        # resolve_profile names --fw or --kernel; here the name came as A or B.
        field = exc.field if exc.source else which
        return InputError(exc.problem, source=exc.source, field=field, line=exc.line)

    if side is not None:
        kind = side.lower()
        profiles = []
        for ref, which in ((a_ref, "A"), (b_ref, "B")):
            try:
                profiles.append(resolve_profile(ref, kind, platform))
            except InputError as exc:
                raise relabel(exc, which) from None
        return kind, profiles[0], profiles[1]

    ref_of = {"A": a_ref, "B": b_ref}
    found: dict[str, dict[str, Any]] = {}
    errors: dict[str, dict[str, InputError]] = {}
    for ref, which in ((a_ref, "A"), (b_ref, "B")):
        found[which], errors[which] = {}, {}
        for kind in ("firmware", "kernel"):
            try:
                found[which][kind] = resolve_profile(ref, kind, platform)
            except InputError as exc:
                errors[which][kind] = exc
    for ref, which in ((a_ref, "A"), (b_ref, "B")):
        if len(found[which]) == 2:
            raise InputError(
                f"{ref!r} is both a firmware and a kernel profile: say which with --side",
                field=which,
            )
    a_kinds, b_kinds = set(found["A"]), set(found["B"])
    if a_kinds and b_kinds and a_kinds != b_kinds:
        (a_kind,), (b_kind,) = a_kinds, b_kinds
        raise InputError(f"A is a {a_kind} profile and B a {b_kind} profile: compare two of a kind")
    resolved = next(iter(a_kinds or b_kinds), None)
    for which in ("A", "B"):
        if found[which]:
            continue
        if resolved is not None:  # the other one's side: its own error says what is wrong
            raise relabel(errors[which][resolved], which)
        raise relabel(_likelier(ref_of[which], errors[which]), which)
    assert resolved is not None
    return resolved, found["A"][resolved], found["B"][resolved]


def _likelier(ref: str, errors: dict[str, Any]) -> Any:
    """Of a name's two failures, the one that says more: a file that is a
    kernel profile with a bad field gets the kernel error, not "this is a
    kernel profile"; a built-in without this platform's variant or a Linux
    release out of range gets its own; an unknown name one message for both."""
    from uefi_accept.errors import InputError
    from uefi_accept.inputs.profile_files import builtin_profiles, did_you_mean, show_value

    fw, kernel = errors["firmware"], errors["kernel"]
    if fw.source or kernel.source:  # a file
        return kernel if "not a firmware profile" in fw.problem else fw
    for exc in (fw, kernel):
        if not exc.problem.startswith("unknown "):
            return exc
    names = sorted({p.name for k in ("firmware", "kernel") for p in builtin_profiles(k)})
    return InputError(
        f"neither a firmware nor a kernel profile: {show_value(ref)}{did_you_mean(ref, names)}"
        " (`uefi-accept profiles` lists the built-in ones; or a path to a .toml file)"
    )


def _held(side: str, fw_refs: tuple[str, ...], kernel_refs: tuple[str, ...], platform: Any) -> Any:
    """The other side's profiles: --kernel when comparing firmware, --fw when
    comparing kernels; the 3 built-in by default."""
    from uefi_accept.errors import InputError
    from uefi_accept.inputs.profile_files import FIRMWARE_ORDER, KERNEL_ORDER, resolve_profile

    if side == "firmware":
        wrong, refs, kind, option, default = (
            fw_refs,
            kernel_refs,
            "kernel",
            "--kernel",
            KERNEL_ORDER,
        )
    else:
        wrong, refs, kind, option, default = (
            kernel_refs,
            fw_refs,
            "firmware",
            "--fw",
            FIRMWARE_ORDER,
        )
    if wrong:
        given = "--fw" if side == "firmware" else "--kernel"
        raise InputError(
            f"A and B are {side} profiles: hold {kind} profiles with {option}", field=given
        )
    held = [resolve_profile(r, kind, platform) for r in refs or default]
    names = [p.name for p in held]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"profile named twice: {', '.join(dupes)}", field=option)
    return held


def _with_accept_memory(kernels: list[Any], mode: str | None) -> list[Any]:
    from uefi_accept.cli.common import with_accept_memory

    return with_accept_memory(kernels, mode)
