"""One boot, step by step, for every point of a batch: the only physics.

`simulate` runs the steps in the order firmware and Linux run them; `run`,
`matrix`, `check`, `upgrades`, `sweep` and `validate` all ask it. A batch of
one is a single VM; a sweep is one batch over all its points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from uefi_accept.model import firmware, kernel, stub, timeline
from uefi_accept.model.cost import COST_MODELS, CostModel
from uefi_accept.model.memmap import MemoryDescriptor, MemoryMap
from uefi_accept.model.outcome import BootOutcome, Event
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile
from uefi_accept.model.scenario import Batch, Scenario
from uefi_accept.model.state import Array, Boot, Crash, LostCause, StepRecord

# The hand-over and the kernel's boot, in order (after the firmware has built its map).
KERNEL_STEPS: tuple[Callable[[Boot], None], ...] = (
    stub.allow_unaccepted_memory,
    firmware.exit_boot_services,
    stub.setup_e820,
    kernel.decompressor,
    kernel.memblock_alloc,
    kernel.memblock_free_all,
    kernel.mem_encrypt_init,
    kernel.smp_init,
    kernel.initcalls,
    kernel.kernel_init,
    kernel.userspace,
)


# Figures of a BootOutcome that Boots holds as one array each.
FIGURES = (
    "ram_bytes",
    "boot_time_s",
    "usable_bytes",
    "accepted_bytes",
    "unaccepted_bytes",
    "lost_bytes",
    "firmware_reserved_bytes",
    "kernel_reserved_bytes",
    "free_bytes",
    "firmware_accepted_bytes",
    "ebs_accepted_bytes",
    "kernel_accepted_bytes",
    "eager_accepted_bytes",
)


class Boots:
    """Every point's boot of one firmware x kernel combination: one array per
    figure (boots.usable_bytes, ...), the step records, the crashes."""

    def __init__(
        self,
        batch: Batch,
        fw: FirmwareProfile,
        kernel: KernelProfile,
        records: tuple[StepRecord, ...],
        figures: dict[str, Array],
        lost_cause: LostCause | None,
        crash: Array,
        crash_addr: Array,
        oom: Array,
        handover: MemoryMap,
    ) -> None:
        self.batch, self.fw, self.kernel, self.records = batch, fw, kernel, records
        self.figures, self.lost_cause, self.handover = figures, lost_cause, handover
        self.crash, self.crash_addr, self.oom = crash, crash_addr, oom  # Crash codes
        for name, values in figures.items():
            setattr(self, name, values)

    if TYPE_CHECKING:
        ram_bytes: Array
        boot_time_s: Array
        usable_bytes: Array
        accepted_bytes: Array
        unaccepted_bytes: Array
        lost_bytes: Array
        firmware_reserved_bytes: Array
        kernel_reserved_bytes: Array
        free_bytes: Array
        firmware_accepted_bytes: Array
        ebs_accepted_bytes: Array
        kernel_accepted_bytes: Array
        eager_accepted_bytes: Array

    def __len__(self) -> int:
        return self.batch.n

    @property
    def crashed(self) -> Array:
        return self.crash != Crash.NONE

    def crash_message(self, i: int) -> str | None:
        if not self.crashed[i]:
            return None
        step = next(r.step for r in self.records if r.stopped[i])
        return timeline.crash_sentence(
            Crash(int(self.crash[i])), int(self.crash_addr[i]), step, self.batch.platform
        )

    def outcome(self, i: int) -> BootOutcome:
        """Point i in full, with its timeline."""
        f = {name: int(self.figures[name][i]) for name in FIGURES if name != "boot_time_s"}
        lost = f["lost_bytes"]
        return BootOutcome(
            boot_time_s=float(self.figures["boot_time_s"][i]),
            **f,
            lost_cause=timeline.lost_cause_sentence(self.lost_cause) if lost else None,
            crash=self.crash_message(i),
            oom=bool(self.oom[i]),
            handover_map=self.handover.descriptors(i),
            events=tuple(self.events(i)),
        )

    def events(self, i: int) -> list[Event]:
        crash = self.crash_message(i)
        return [
            Event(
                float(r.t_s[i]),
                float(r.duration_s[i]),
                int(r.nbytes[i]),
                str(r.step),
                timeline.event_sentence(r, i, crash),
            )
            for r in self.records
            if r.reached[i]
        ]


def simulate(
    batch: Batch | Scenario,
    fw: FirmwareProfile,
    kernel_profile: KernelProfile,
    handover_map: tuple[MemoryDescriptor, ...] | None = None,
    cost: CostModel | None = None,
) -> Boots:
    """Boot one combination at every point of the batch, through every step;
    each point stops at its crash or OOM."""
    if isinstance(batch, Scenario):
        batch = Batch.of(batch)
    cost = cost or batch.base.cost_model or COST_MODELS[batch.platform]
    boot = Boot(batch, fw, kernel_profile, cost)
    if handover_map is None:
        firmware.vmm_layout(boot)
        firmware.firmware_init(boot)
        firmware.firmware_pre_accept(boot)
        firmware.build_efi_memory_map(boot)
    else:
        firmware.load_handover_map(boot, handover_map)
    handed_over = boot.efi_map
    for step in KERNEL_STEPS:
        step(boot)
    ram = boot.ram.total
    lost = boot.lost.total
    # Unaccepted memory the kernel knows as RAM (not what it lost).
    unaccepted = (boot.unaccepted & boot.usable).total
    fw_reserved = boot.fw_reserved.total
    figures = {
        "ram_bytes": ram,
        "boot_time_s": boot.t,
        "usable_bytes": boot.usable.total,
        "accepted_bytes": ram - fw_reserved - lost - unaccepted,
        "unaccepted_bytes": unaccepted,
        "lost_bytes": lost,
        "firmware_reserved_bytes": fw_reserved,
        "kernel_reserved_bytes": boot.kernel_reserved,
        "free_bytes": boot.free,
        "firmware_accepted_bytes": boot.fw_accepted,
        "ebs_accepted_bytes": boot.ebs_accepted,
        "kernel_accepted_bytes": boot.kernel_accepted,
        "eager_accepted_bytes": boot.eager_accepted,
    }
    return Boots(
        batch=batch,
        fw=fw,
        kernel=kernel_profile,
        records=tuple(boot.records),
        figures={k: np.asarray(v) for k, v in figures.items()},
        lost_cause=boot.lost_cause,
        crash=boot.crash,
        crash_addr=boot.crash_addr,
        oom=boot.oom,
        handover=handed_over,
    )
