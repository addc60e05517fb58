"""`run` and `matrix`: one firmware x kernel combination, or every one, for one VM.

Each cell is a batch of one through the engine, judged against the same VM's
reference boot.
"""

from __future__ import annotations

import msgspec

from uefi_accept.inputs.documents import (
    SCHEMA_VERSION,
    CellDoc,
    EventDoc,
    MatrixDoc,
    MemoryDescriptorDoc,
    ProfilesDoc,
    ScenarioDoc,
)
from uefi_accept.model.boot import BootOutcome, simulate
from uefi_accept.model.memmap import MemoryDescriptor
from uefi_accept.model.outcome import VERDICTS, Verdict
from uefi_accept.model.profiles import (
    AcceptVcpus,
    FirmwareProfile,
    HandOver,
    KernelProfile,
    PreAccept,
    profile_to_dict,
)
from uefi_accept.model.scenario import Batch, Platform, Scenario
from uefi_accept.model.timeline import reason_sentence
from uefi_accept.model.verdict import reference_boot_times, verdict_codes


class CellResult(msgspec.Struct, frozen=True):
    scenario: Scenario
    firmware: str
    kernel: str
    verdict: Verdict
    reason: str
    reference_boot_time_s: float
    outcome: BootOutcome
    # The real map it booted over (--memmap), recorded so `check` recomputes the same.
    handover_map: tuple[MemoryDescriptor, ...] | None = None

    @property
    def slowdown(self) -> float:
        return self.outcome.boot_time_s / self.reference_boot_time_s


class MatrixResult(msgspec.Struct, frozen=True):
    scenario: Scenario
    firmware: tuple[str, ...]
    kernels: tuple[str, ...]
    cells: tuple[CellResult, ...]
    reference_boot_time_s: float
    # Full profile content, so a saved matrix stays recomputable after a
    # built-in profile changes (`uefi-accept check`).
    firmware_profiles: tuple[FirmwareProfile, ...] = ()
    kernel_profiles: tuple[KernelProfile, ...] = ()
    # The real map every cell booted over (--memmap); None: the model's own layout.
    handover_map: tuple[MemoryDescriptor, ...] | None = None

    def cell(self, fw: str, kernel: str) -> CellResult:
        return next(c for c in self.cells if c.firmware == fw and c.kernel == kernel)


def reference_boot_time(scenario: Scenario) -> float:
    return float(reference_boot_times(Batch.of(scenario))[0])


def evaluate(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    reference_s: float | None = None,
    handover_map: tuple[MemoryDescriptor, ...] | None = None,
) -> CellResult:
    """One combination: boot it, judge it."""
    if reference_s is None:
        reference_s = reference_boot_time(scenario)
    boots = simulate(Batch.of(scenario), fw, kernel, handover_map=handover_map)
    verdict = VERDICTS[int(verdict_codes(boots, reference_s)[0])]
    outcome = boots.outcome(0)
    reason = reason_sentence(verdict, outcome, reference_s, scenario)
    return CellResult(
        scenario, fw.name, kernel.name, verdict, reason, reference_s, outcome, handover_map
    )


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
        handover_map,
    )


def memmap_firmware(platform: Platform, source: str) -> FirmwareProfile:
    """The firmware row for a real map (--memmap): it handed over what the log
    shows, so the map already holds its own acceptance (firmware.load_handover_map)."""
    return FirmwareProfile(
        name="memmap",
        description=f"the firmware that printed the EFI memory map in {source}",
        platforms=[platform],
        pre_accept=PreAccept.ALL,
        handover=HandOver.ALWAYS,
        accept_vcpus=AcceptVcpus.ALL if platform == Platform.TDX else AcceptVcpus.BSP,
    )


# -- the JSON documents ---------------------------------------------------------


def scenario_doc(s: Scenario) -> ScenarioDoc:
    return msgspec.convert(s.to_dict(), ScenarioDoc)


def cell_doc(c: CellResult, events: bool = True) -> CellDoc:
    o = c.outcome
    return CellDoc(
        schema_version=SCHEMA_VERSION,
        platform=c.scenario.platform,
        firmware=c.firmware,
        kernel=c.kernel,
        loader=c.scenario.loader,
        ram_bytes=o.ram_bytes,
        vcpus=c.scenario.vcpus,
        verdict=c.verdict,
        reason=c.reason,
        boot_time_s=round(o.boot_time_s, 3),
        reference_boot_time_s=round(c.reference_boot_time_s, 3),
        usable_bytes=o.usable_bytes,
        accepted_bytes=o.accepted_bytes,
        unaccepted_bytes=o.unaccepted_bytes,
        lost_bytes=o.lost_bytes,
        firmware_reserved_bytes=o.firmware_reserved_bytes,
        events=[
            EventDoc(
                t_s=round(e.t_s, 6),
                duration_s=round(e.duration_s, 6),
                bytes=e.bytes,
                step=e.step,
                what=e.what,
            )
            for e in o.events
        ]
        if events
        else msgspec.UNSET,
    )


def handover_map_doc(
    descs: tuple[MemoryDescriptor, ...] | None,
) -> list[MemoryDescriptorDoc] | msgspec.UnsetType:
    """A real hand-over map as the documents record it; left out without one."""
    if descs is None:
        return msgspec.UNSET
    return [MemoryDescriptorDoc(type=d.type, start=d.start, size=d.size) for d in descs]


def matrix_doc(m: MatrixResult) -> MatrixDoc:
    return MatrixDoc(
        schema_version=SCHEMA_VERSION,
        kind="matrix",
        scenario=scenario_doc(m.scenario),
        reference_boot_time_s=round(m.reference_boot_time_s, 3),
        firmware=list(m.firmware),
        kernels=list(m.kernels),
        cells=[cell_doc(c) for c in m.cells],
        profiles=ProfilesDoc(
            firmware=[profile_to_dict(p) for p in m.firmware_profiles],
            kernel=[profile_to_dict(p) for p in m.kernel_profiles],
        ),
        handover_map=handover_map_doc(m.handover_map),
    )
