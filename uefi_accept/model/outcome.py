"""What a boot produced, as plain records: its events, its figures, its verdict."""

from __future__ import annotations

import enum

import msgspec

from uefi_accept.model.memmap import MemoryDescriptor


class Event(msgspec.Struct, frozen=True):
    t_s: float
    duration_s: float
    bytes: int
    step: str
    what: str

    def to_dict(self) -> dict[str, object]:
        return {
            "t_s": round(self.t_s, 6),
            "duration_s": round(self.duration_s, 6),
            "bytes": self.bytes,
            "step": self.step,
            "what": self.what,
        }


class BootOutcome(msgspec.Struct, frozen=True):
    """What one boot did, before a verdict is given."""

    ram_bytes: int
    boot_time_s: float
    usable_bytes: int
    accepted_bytes: int
    unaccepted_bytes: int
    lost_bytes: int
    firmware_reserved_bytes: int
    kernel_reserved_bytes: int
    free_bytes: int
    firmware_accepted_bytes: int
    ebs_accepted_bytes: int
    kernel_accepted_bytes: int
    eager_accepted_bytes: int
    lost_cause: str | None
    crash: str | None
    oom: bool
    handover_map: tuple[MemoryDescriptor, ...]
    events: tuple[Event, ...]


class Verdict(enum.StrEnum):
    FAST = "fast"
    SLOW = "slow"
    DEGRADED = "degraded"
    TIMEOUT = "timeout"  # would not reach userspace within --deadline
    OOM = "oom"
    CRASH = "crash"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {v: i for i, v in enumerate(Verdict)}
VERDICTS: tuple[Verdict, ...] = tuple(Verdict)  # index = Verdict.rank
