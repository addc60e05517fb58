"""Verdicts: crash, oom, degraded, slow or fast, each with a one-sentence reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from uefi_accept.engine import (
    SCHEMA_VERSION,
    BootOutcome,
    Loader,
    Scenario,
    Verdict,
    simulate,
)
from uefi_accept.memmap import MemoryDescriptor
from uefi_accept.profiles import FirmwareProfile, KernelProfile, profile_to_dict
from uefi_accept.units import format_size

# "The best it can do": firmware that pre-accepts below 4 GiB and hands the rest
# over, a kernel that accepts lazily through the EFI stub.
LAZY_REFERENCE_KERNEL = KernelProfile(
    name="lazy-reference",
    description="Linux 6.5+ with accept_memory=lazy",
    unaccepted_memory=True,
    calls_protocol=True,
    accept_memory="lazy",
    platforms=["snp", "tdx"],
)


def lazy_reference_firmware(platform: str) -> FirmwareProfile:
    return FirmwareProfile(
        name="lazy-reference",
        description="pre-accepts RAM below 4 GiB, hands the rest over as type 15",
        platforms=[platform],  # type: ignore[list-item]
        pre_accept="below-4g",
        handover="always",
        # SNP PEI validates on the BSP; TDX SEC spreads over all vCPUs.
        accept_vcpus="all" if platform == "tdx" else "bsp",
    )


def reference_boot_time(scenario: Scenario) -> float:
    """Boot time of the same VM with lazy acceptance, the yardstick for `slow`."""
    ref = Scenario(
        platform=scenario.platform,
        ram_bytes=scenario.ram_bytes,
        vcpus=scenario.vcpus,
        layout=scenario.layout,
        loader=Loader.EFI_STUB,
        host_page_size=scenario.host_page_size,
    )
    fw = lazy_reference_firmware(scenario.platform)
    return simulate(ref, fw, LAZY_REFERENCE_KERNEL).boot_time_s


@dataclass(frozen=True)
class CellResult:
    scenario: Scenario
    firmware: str
    kernel: str
    verdict: Verdict
    reason: str
    reference_boot_time_s: float
    outcome: BootOutcome

    @property
    def slowdown(self) -> float:
        return self.outcome.boot_time_s / self.reference_boot_time_s

    def to_dict(self, events: bool = True) -> dict[str, Any]:
        o = self.outcome
        d: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "platform": self.scenario.platform,
            "firmware": self.firmware,
            "kernel": self.kernel,
            "loader": str(self.scenario.loader),
            "ram_bytes": o.ram_bytes,
            "vcpus": self.scenario.vcpus,
            "verdict": str(self.verdict),
            "reason": self.reason,
            "boot_time_s": round(o.boot_time_s, 3),
            "reference_boot_time_s": round(self.reference_boot_time_s, 3),
            "usable_bytes": o.usable_bytes,
            "accepted_bytes": o.accepted_bytes,
            "unaccepted_bytes": o.unaccepted_bytes,
            "lost_bytes": o.lost_bytes,
            "firmware_reserved_bytes": o.firmware_reserved_bytes,
        }
        if events:
            d["events"] = [e.to_dict() for e in o.events]
        return d


def judge(scenario: Scenario, o: BootOutcome, reference_s: float) -> tuple[Verdict, str]:
    ram = o.ram_bytes
    if o.crash:
        return Verdict.CRASH, f"Crash: {o.crash}."
    if o.oom:
        cause = (
            f"; {format_size(o.lost_bytes)} was lost because {o.lost_cause}" if o.lost_bytes else ""
        )
        return (
            Verdict.OOM,
            f"Out of memory: only {format_size(o.free_bytes)} is free "
            f"when userspace starts{cause}.",
        )
    if o.usable_bytes < scenario.degraded_fraction * ram:
        pct = 100 * o.usable_bytes / ram
        return (
            Verdict.DEGRADED,
            f"Boots with {format_size(o.usable_bytes)} of {format_size(ram)} usable ({pct:.0f}%): "
            f"{format_size(o.lost_bytes)} was handed over as unaccepted memory and "
            f"{o.lost_cause}.",
        )
    ratio = o.boot_time_s / reference_s
    timing = f"{o.boot_time_s:.1f} s, {ratio:.1f}x the {reference_s:.1f} s of lazy acceptance"
    if ratio >= scenario.slow_ratio:
        if o.ebs_accepted_bytes:
            who = (
                f"nobody called AllowUnacceptedMemory(), so the firmware accepts "
                f"{format_size(o.ebs_accepted_bytes)} at ExitBootServices"
            )
        elif o.eager_accepted_bytes:
            who = f"the kernel accepts {format_size(o.eager_accepted_bytes)} eagerly at boot"
        else:
            who = f"the firmware accepts {format_size(o.firmware_accepted_bytes)} before hand-over"
        return Verdict.SLOW, f"Boots in {timing}: {who}."
    if o.unaccepted_bytes:
        how = f"{format_size(o.unaccepted_bytes)} is left for the kernel to accept lazily"
    else:
        how = "nothing is left unaccepted, but there is little to accept"
    return Verdict.FAST, f"Boots in {timing} with all memory usable: {how}."


def evaluate(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    reference_s: float | None = None,
    handover_map: tuple[MemoryDescriptor, ...] | None = None,
) -> CellResult:
    if reference_s is None:
        reference_s = reference_boot_time(scenario)
    outcome = simulate(scenario, fw, kernel, handover_map=handover_map)
    verdict, reason = judge(scenario, outcome, reference_s)
    return CellResult(scenario, fw.name, kernel.name, verdict, reason, reference_s, outcome)


@dataclass(frozen=True)
class MatrixResult:
    scenario: Scenario
    firmware: tuple[str, ...]
    kernels: tuple[str, ...]
    cells: tuple[CellResult, ...]
    reference_boot_time_s: float
    # Full profile content, so a saved matrix stays recomputable after a
    # built-in profile changes (`uefi-accept check`).
    firmware_profiles: tuple[FirmwareProfile, ...] = ()
    kernel_profiles: tuple[KernelProfile, ...] = ()

    def cell(self, fw: str, kernel: str) -> CellResult:
        return next(c for c in self.cells if c.firmware == fw and c.kernel == kernel)

    def to_dict(self, events: bool = True) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "matrix",
            "scenario": self.scenario.to_dict(),
            "reference_boot_time_s": round(self.reference_boot_time_s, 3),
            "firmware": list(self.firmware),
            "kernels": list(self.kernels),
            "cells": [c.to_dict(events=events) for c in self.cells],
            "profiles": {
                "firmware": [profile_to_dict(p) for p in self.firmware_profiles],
                "kernel": [profile_to_dict(p) for p in self.kernel_profiles],
            },
        }


def evaluate_matrix(
    scenario: Scenario,
    firmwares: list[FirmwareProfile],
    kernels: list[KernelProfile],
    handover_map: tuple[MemoryDescriptor, ...] | None = None,
) -> MatrixResult:
    ref = reference_boot_time(scenario)
    cells = tuple(evaluate(scenario, fw, k, ref, handover_map) for fw in firmwares for k in kernels)
    return MatrixResult(
        scenario,
        tuple(f.name for f in firmwares),
        tuple(k.name for k in kernels),
        cells,
        ref,
        tuple(firmwares),
        tuple(kernels),
    )
