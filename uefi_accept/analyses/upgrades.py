"""Upgrade paths: does upgrading one side of a working combination make it worse?

The seed's worry (LKML, Dave Hansen, 2023-04-05): someone on near-future
firmware runs an enlightened kernel and boots fast; "They upgrade to a newer,
dropped-protocol kernel and their boot gets slower." Kirill Shutemov's answer
adds the other direction: an unenlightened kernel on far-future firmware boots
with "the fraction of memory usable". Within each firmware row the kernel is
upgraded column by column, within each kernel column the firmware row by row,
each step compared with the one before. Pure: no printing.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from uefi_accept.analyses.matrix import CellResult, MatrixResult
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.profiles import KernelProfile, TableReservation
from uefi_accept.units import format_size

Side = Literal["kernel", "firmware"]
# Why a step counts as a regression, in the order the report gives them.
WORSE_VERDICT, LESS_USABLE, SLOWER = "verdict", "usable_bytes", "boot_time_s"


@dataclass(frozen=True)
class CellFacts:
    """The facts of one cell an upgrade step compares."""

    verdict: Verdict
    boot_time_s: float
    usable_bytes: int
    lost_bytes: int


def cell_facts(cell: CellResult) -> CellFacts:
    """Facts of a cell, rounded the way the matrix JSON stores them."""
    o = cell.outcome
    return CellFacts(cell.verdict, round(o.boot_time_s, 3), o.usable_bytes, o.lost_bytes)


def _boot_noun(v: Verdict) -> str:
    return {
        Verdict.CRASH: "a crash",
        Verdict.OOM: "an out-of-memory boot",
        Verdict.TIMEOUT: "a timeout",
    }.get(v, f"a {v} boot")


def worse_fields(before: CellFacts, after: CellFacts, slow_ratio: float) -> tuple[str, ...]:
    """A worse verdict (fast < slow < degraded < oom < crash), any usable memory
    lost, or a boot that takes at least `slow_ratio` times as long.

    A longer boot does not count when the step also makes more memory usable
    (degraded -> fast, say): the kernel then has more RAM to initialise, and
    the verdict, measured against lazy acceptance of the same RAM, already
    says whether that boot is slow. Nor does it after a boot that never got
    to userspace (crash, oom): that one had no boot time to compare.
    """
    fields = []
    if after.verdict.rank > before.verdict.rank:
        fields.append(WORSE_VERDICT)
    if after.usable_bytes < before.usable_bytes:
        fields.append(LESS_USABLE)
    if (
        after.usable_bytes <= before.usable_bytes
        and before.verdict not in (Verdict.CRASH, Verdict.OOM)
        and before.boot_time_s > 0
        and after.boot_time_s >= slow_ratio * before.boot_time_s
    ):
        fields.append(SLOWER)
    return tuple(fields)


@dataclass(frozen=True)
class UpgradeStep:
    side: Side  # the side that is upgraded
    before: CellResult
    after: CellResult
    worse: tuple[str, ...]
    # Known kernel bugs the step brings in or leaves behind (KNOWN_BUGS keys).
    bugs_appear: tuple[str, ...] = ()
    bugs_go: tuple[str, ...] = ()

    @property
    def regression(self) -> bool:
        return bool(self.worse)

    @property
    def old_name(self) -> str:
        return self.before.kernel if self.side == "kernel" else self.before.firmware

    @property
    def new_name(self) -> str:
        return self.after.kernel if self.side == "kernel" else self.after.firmware

    @property
    def held(self) -> str:
        """The name of the side that stays the same."""
        return self.before.firmware if self.side == "kernel" else self.before.kernel

    def title(self) -> str:
        if self.side == "kernel":
            return f"kernel {self.old_name} -> {self.new_name} on {self.held} firmware"
        return f"firmware {self.old_name} -> {self.new_name} under the {self.held} kernel"

    def sentence(self) -> str:
        """Which step, what changed and why, in one sentence."""
        if self.side == "kernel":
            step = (
                f"Upgrading the kernel from {self.old_name} to {self.new_name} "
                f"on {self.held} firmware"
            )
        else:
            step = (
                f"Upgrading the firmware from {self.old_name} to {self.new_name} "
                f"under the {self.held} kernel"
            )
        b, a = cell_facts(self.before), cell_facts(self.after)
        what = []
        if WORSE_VERDICT in self.worse:
            plain = (Verdict.FAST, Verdict.SLOW, Verdict.DEGRADED)
            if b.verdict in plain and a.verdict in plain:
                what.append(f"turns a {b.verdict} boot into a {a.verdict} one")
            else:
                what.append(f"turns {_boot_noun(b.verdict)} into {_boot_noun(a.verdict)}")
        if LESS_USABLE in self.worse:
            what.append(
                f"cuts usable memory from {format_size(b.usable_bytes)} "
                f"to {format_size(a.usable_bytes)}"
            )
        if SLOWER in self.worse:
            what.append(
                f"makes the boot {a.boot_time_s / b.boot_time_s:.1f}x longer "
                f"({b.boot_time_s:.1f} s -> {a.boot_time_s:.1f} s)"
            )
        joined = what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1]
        return f"{step} {joined}, because {_cause(self.before, self.after)}."


def _cause(before: CellResult, after: CellResult) -> str:
    """The mechanism behind the worse outcome, from the engine's figures."""
    b, a = before.outcome, after.outcome
    if a.crash:
        return f"the guest crashes: {a.crash}"
    if a.oom:
        lost = (
            f" after {format_size(a.lost_bytes)} is lost ({a.lost_cause})" if a.lost_bytes else ""
        )
        return f"only {format_size(a.free_bytes)} is free when userspace starts{lost}"
    if a.lost_bytes > b.lost_bytes:
        return (
            f"{format_size(a.lost_bytes)} handed over as unaccepted memory (type 15) is lost: "
            f"{a.lost_cause}"
        )
    if a.usable_bytes < b.usable_bytes:
        return (
            f"the kernel sees {format_size(a.usable_bytes)} of usable RAM in e820 "
            f"instead of {format_size(b.usable_bytes)}"
        )
    if a.ebs_accepted_bytes > b.ebs_accepted_bytes:
        return (
            "nobody calls AllowUnacceptedMemory(), so the firmware accepts "
            f"{format_size(a.ebs_accepted_bytes)} at ExitBootServices"
        )
    if a.eager_accepted_bytes > b.eager_accepted_bytes:
        return f"the kernel accepts {format_size(a.eager_accepted_bytes)} eagerly at boot"
    if a.firmware_accepted_bytes > b.firmware_accepted_bytes:
        return (
            f"the firmware accepts {format_size(a.firmware_accepted_bytes)} before hand-over "
            f"instead of {format_size(b.firmware_accepted_bytes)}"
        )
    if a.kernel_accepted_bytes > b.kernel_accepted_bytes:
        return (
            f"the kernel accepts {format_size(a.kernel_accepted_bytes)} during boot "
            f"instead of {format_size(b.kernel_accepted_bytes)}"
        )
    return "the same memory takes longer to accept"


@dataclass(frozen=True)
class UpgradeReport:
    matrix: MatrixResult
    steps: tuple[UpgradeStep, ...]

    @property
    def regressions(self) -> tuple[UpgradeStep, ...]:
        return tuple(s for s in self.steps if s.regression)

    @property
    def bug_steps(self) -> tuple[UpgradeStep, ...]:
        """Kernel upgrades where a known bug appears or goes (flagged even when
        this VM's figures do not move)."""
        return tuple(s for s in self.steps if s.bugs_appear or s.bugs_go)

    @property
    def bug_changes(self) -> tuple[BugChange, ...]:
        """`bug_steps` once per kernel upgrade (the same on every firmware)."""
        seen: dict[tuple[str, str], BugChange] = {}
        for s in self.bug_steps:
            key = (s.old_name, s.new_name)
            seen.setdefault(key, BugChange(s.old_name, s.new_name, s.bugs_appear, s.bugs_go))
        return tuple(seen.values())


@dataclass(frozen=True)
class BugChange:
    """A kernel upgrade that brings in or leaves behind known bugs."""

    old_kernel: str
    new_kernel: str
    appear: tuple[str, ...]
    go: tuple[str, ...]

    def sentence(self) -> str:
        parts = [f"brings in {KNOWN_BUGS[b]}" for b in self.appear]
        parts += [f"leaves behind {KNOWN_BUGS[b]}" for b in self.go]
        return f"kernel {self.old_kernel} -> {self.new_kernel}: " + "; ".join(parts) + "."


# Known kernel bugs, by the kernel-profile field that says a kernel has one.
KNOWN_BUGS = {
    "accept_storm": "the accept storm before the watermarks exist (800f1059c99e, 6.14)",
    "hotplug_accept_deadlock": (
        "the cpu_hotplug_lock deadlock when the storm takes the last page (6.14; fixed by "
        "4067196a5227)"
    ),
    "table_reservation": (
        "reserve_unaccepted()'s unmapped table tail (8dbe33956d96, 6.6; fixed by 0862438c9048)"
    ),
}


def known_bugs(kernel: KernelProfile) -> frozenset[str]:
    bugs = {key for key in ("accept_storm", "hotplug_accept_deadlock") if getattr(kernel, key)}
    if kernel.unaccepted_memory and kernel.table_reservation == TableReservation.PAGE_ALIGNED_SIZE:
        bugs.add("table_reservation")
    return frozenset(bugs)


def walk_upgrades(matrix: MatrixResult) -> UpgradeReport:
    """Every step of every upgrade path, in the matrix's own row and column
    order: kernel upgrades within each firmware row, then firmware upgrades
    within each kernel column."""
    ratio = matrix.scenario.slow_ratio
    steps: list[UpgradeStep] = []
    bugs = {k.name: known_bugs(k) for k in matrix.kernel_profiles}

    def step(side: Side, before: CellResult, after: CellResult) -> None:
        worse = worse_fields(cell_facts(before), cell_facts(after), ratio)
        old, new = bugs.get(before.kernel, frozenset()), bugs.get(after.kernel, frozenset())
        steps.append(
            UpgradeStep(
                side, before, after, worse, tuple(sorted(new - old)), tuple(sorted(old - new))
            )
        )

    for fw in matrix.firmware:
        for old, new in pairwise(matrix.kernels):
            step("kernel", matrix.cell(fw, old), matrix.cell(fw, new))
    for k in matrix.kernels:
        for old, new in pairwise(matrix.firmware):
            step("firmware", matrix.cell(old, k), matrix.cell(new, k))
    return UpgradeReport(matrix, tuple(steps))
