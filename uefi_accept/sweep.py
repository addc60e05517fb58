"""Sweeps: one scenario parameter over many values, evaluated with numpy.

`simulate_many` is the step engine (`uefi_accept.engine.simulate`) in closed
form: every step of the built-in mechanism (q35 / low-3g layout, firmware
pre-acceptance, hand-over policy and the accept-all fallback at
ExitBootServices, the loader's e820, the stub's unaligned head and tail, the
decompressor, memblock's top-down allocations with the +1 unit guard, MAX_ORDER
4 MiB blocks, eager or lazy acceptance, on-demand acceptance for userspace) is
array arithmetic over all points at once. The unaccepted bitmap of one boot
holds at most two runs of set bits (one below 4 GiB, one above), and every
acceptance clears a prefix or a suffix of a run, so two intervals per point
stand in for the engine's bitmap.

A point that leaves that shape (a clear in the middle of a run, which only
sizes the command line refuses can cause: RAM below 128 MiB or a pre-accepted
size below 64 MiB) is computed by the step engine instead, and counted in
`BootArrays.engine_points`. Boots over a real hand-over map (`--memmap`) are
not swept: they go through the engine. `verdict_codes` is `verdict.judge` on
arrays; `sweep` adds where each combination's verdict changes, refined to
1 MiB (or 1 vCPU). The crash and loss messages repeat the engine's word for
word; tests/test_sweep.py compares every figure and message with the engine.
Pure: no printing, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from uefi_accept.cost import COST_MODELS, LARGE_PAGE, SMALL_PAGE, CostModel
from uefi_accept.engine import CRASH_NO_ROOM as ENGINE_CRASH_NO_ROOM
from uefi_accept.engine import CRASH_NO_STUB as ENGINE_CRASH_NO_STUB
from uefi_accept.engine import (
    FIRMWARE_RUNTIME_BYTES,
    FOUR_GIB,
    LOAD_PHYSICAL_ADDR,
    LOST_CAUSE_GRUB,
    LOST_CAUSE_STUB,
    PAGE_TABLE_PER_GIB,
    Q35_SPLIT_THRESHOLD,
    STRUCT_PAGE_PER_PAGE,
    TOUCH_DECOMPRESSOR,
    TOUCH_MEMBLOCK,
    TOUCH_USERSPACE,
    BootOutcome,
    Layout,
    Loader,
    Scenario,
    Verdict,
    crash_no_platform,
    crash_touch,
    simulate,
)
from uefi_accept.profiles import MIN_PRE_ACCEPT, PAGE_BYTES, FirmwareProfile, KernelProfile
from uefi_accept.ranges import MAX_ORDER_BYTES, UNIT
from uefi_accept.units import GiB, MiB, TiB
from uefi_accept.verdict import LAZY_REFERENCE_KERNEL, judge, lazy_reference_firmware

Array = np.ndarray

# The sweepable parameters: Scenario field, the CLI option, and the step a
# refined verdict change is located to.
PARAMS: dict[str, tuple[str, str, int]] = {
    "ram": ("ram_bytes", "--ram", MiB),
    "pre_accept": ("pre_accept", "--pre-accept", MiB),
    "vcpus": ("vcpus", "--vcpus", 1),
}
# Smallest RAM the command line accepts (cli.build_scenario).
MIN_RAM = 128 * MiB
# The engine's limit (its bitmap holds a byte per 2 MiB), so that any point of
# a sweep can be run through `uefi-accept run` too.
MAX_RAM = 64 * TiB

# Why a boot stopped; the messages are the engine's (engine.decompressor,
# engine.memblock_alloc, engine.start_userspace, _Boot.touch).
(
    CRASH_NONE,
    CRASH_NO_STUB,
    CRASH_PLATFORM,
    CRASH_NO_ROOM,
    CRASH_DECOMPRESSOR,
    CRASH_MEMBLOCK,
    CRASH_USERSPACE,
) = range(7)
_TOUCH_WHAT = {
    CRASH_DECOMPRESSOR: TOUCH_DECOMPRESSOR,
    CRASH_MEMBLOCK: TOUCH_MEMBLOCK,
    CRASH_USERSPACE: TOUCH_USERSPACE,
}
# What becomes of type 15 memory after ExitBootServices (engine.setup_e820).
_LOST_STUB = LOST_CAUSE_STUB
_LOST_GRUB = LOST_CAUSE_GRUB

VERDICTS: tuple[Verdict, ...] = tuple(Verdict)  # index = Verdict.rank


def _crash_message(kind: int, addr: int, platform: str) -> str | None:
    if kind == CRASH_NONE:
        return None
    if kind == CRASH_NO_STUB:
        return ENGINE_CRASH_NO_STUB
    if kind == CRASH_PLATFORM:
        return crash_no_platform(platform)
    if kind == CRASH_NO_ROOM:
        return ENGINE_CRASH_NO_ROOM
    return crash_touch(_TOUCH_WHAT[kind], addr, platform)


@dataclass
class BootArrays:
    """`engine.BootOutcome` for many boots of one combination: one entry per point."""

    platform: str
    ram_bytes: Array
    vcpus: Array
    pre_accept: Array  # 0: no override
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
    oom: Array
    crash_kind: Array
    crash_addr: Array
    lost_cause: str | None
    # Points computed by the step engine (see the module docstring).
    engine_points: dict[int, BootOutcome] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ram_bytes.size)

    @property
    def crashed(self) -> Array:
        return self.crash_kind != CRASH_NONE

    def crash_message(self, i: int) -> str | None:
        if i in self.engine_points:
            return self.engine_points[i].crash
        return _crash_message(int(self.crash_kind[i]), int(self.crash_addr[i]), self.platform)

    def outcome(self, i: int) -> BootOutcome:
        """Point i as the engine's BootOutcome (without the map and timeline)."""
        if i in self.engine_points:
            return self.engine_points[i]
        lost = int(self.lost_bytes[i])
        return BootOutcome(
            ram_bytes=int(self.ram_bytes[i]),
            boot_time_s=float(self.boot_time_s[i]),
            usable_bytes=int(self.usable_bytes[i]),
            accepted_bytes=int(self.accepted_bytes[i]),
            unaccepted_bytes=int(self.unaccepted_bytes[i]),
            lost_bytes=lost,
            firmware_reserved_bytes=int(self.firmware_reserved_bytes[i]),
            kernel_reserved_bytes=int(self.kernel_reserved_bytes[i]),
            free_bytes=int(self.free_bytes[i]),
            firmware_accepted_bytes=int(self.firmware_accepted_bytes[i]),
            ebs_accepted_bytes=int(self.ebs_accepted_bytes[i]),
            kernel_accepted_bytes=int(self.kernel_accepted_bytes[i]),
            eager_accepted_bytes=int(self.eager_accepted_bytes[i]),
            lost_cause=self.lost_cause if lost else None,
            crash=self.crash_message(i),
            oom=bool(self.oom[i]),
            handover_map=(),
            events=(),
        )


# -- interval arithmetic on arrays: [start, end) with end >= start --------------


def _rd(x: Any, a: int) -> Any:
    return x - x % a


def _ru(x: Any, a: int) -> Any:
    return -((-x) // a) * a


def _overlap(s1: Any, e1: Any, s2: Any, e2: Any) -> Array:
    return np.maximum(0, np.minimum(e1, e2) - np.maximum(s1, s2))


def _guard_end(end: Array) -> Array:
    """accept_memory() clears one extra unit past a unit-aligned end
    (load_unaligned_zeropad guard, commit c211c19e80d0)."""
    return _ru(np.where(end % UNIT == 0, end + UNIT, end), UNIT)


class _Run:
    """One run of set bits of the unaccepted bitmap, per point."""

    def __init__(self, start: Array, end: Array) -> None:
        self.s, self.e = start, np.maximum(start, end)
        self.split = np.zeros(start.shape, dtype=bool)

    @property
    def size(self) -> Array:
        return self.e - self.s

    def clear(self, p: Array, q: Array, where: Array) -> Array:
        """Clear the units in [p, q) (unit-aligned) where `where`; returns bytes cleared."""
        got = np.where(where, _overlap(self.s, self.e, p, q), 0)
        hit = got > 0
        lo, hi = p <= self.s, q >= self.e
        # A clear strictly inside the run would split it: left to the engine.
        self.split |= hit & ~lo & ~hi
        new_s = np.where(hit & lo, np.minimum(np.maximum(q, self.s), self.e), self.s)
        new_e = np.where(hit & ~lo & hi, np.maximum(p, self.s), self.e)
        self.s, self.e = new_s, new_e
        return got

    def clear_all(self, where: Array) -> Array:
        got = np.where(where, self.size, 0)
        self.s = np.where(where, self.e, self.s)
        return got

    def keep_max_order_blocks(self, where: Array, free_s: Array, free_e: Array) -> Array:
        """memblock_free_all, lazy: units in whole 4 MiB blocks of the free range
        [free_s, free_e) stay unaccepted; the others are accepted now."""
        b0, b1 = _ru(free_s, MAX_ORDER_BYTES), _rd(free_e, MAX_ORDER_BYTES)
        ks, ke = np.maximum(self.s, b0), np.minimum(self.e, b1)
        keep = ke > ks
        new_s = np.where(keep, ks, self.e)
        new_e = np.where(keep, ke, self.e)
        got = np.where(where, self.size - (new_e - new_s), 0)
        self.s = np.where(where, new_s, self.s)
        self.e = np.where(where, new_e, self.e)
        return got


def _engine_figures() -> tuple[str, ...]:
    """Per-point figures that BootArrays takes over from an engine BootOutcome."""
    from dataclasses import fields

    outcome = {f.name for f in fields(BootOutcome)}
    skip = {"ram_bytes", "lost_cause"}  # set per sweep, not per point
    return tuple(f.name for f in fields(BootArrays) if f.name in outcome - skip)


def _as_points(*arrays: Any) -> list[Array]:
    out = np.broadcast_arrays(*[np.atleast_1d(np.asarray(a, dtype=np.int64)) for a in arrays])
    return [np.array(a, dtype=np.int64) for a in out]


def simulate_many(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    *,
    ram: Any = None,
    vcpus: Any = None,
    pre_accept: Any = None,
    cost: CostModel | None = None,
    engine_mask: Array | None = None,
) -> BootArrays:
    """`engine.simulate` for every point at once.

    `ram`, `vcpus` and `pre_accept` (0 = no override) are arrays (or scalars)
    broadcast against each other; each defaults to the scenario's value.
    `engine_mask` selects points to compute with the step engine instead.
    """
    cost = cost or COST_MODELS[scenario.platform]
    ram_b, cpus, pre = _as_points(
        scenario.ram_bytes if ram is None else ram,
        scenario.vcpus if vcpus is None else vcpus,
        (scenario.pre_accept or 0) if pre_accept is None else pre_accept,
    )
    n = ram_b.size
    zeros = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    crash_kind = np.zeros(n, dtype=np.int8)
    crash_addr = zeros.copy()

    # vmm_layout_ram: q35 puts 2 GiB below 4 GiB once RAM >= 2816 MiB.
    if scenario.layout == Layout.Q35:
        low_cap, threshold = 2 * GiB, Q35_SPLIT_THRESHOLD
    else:
        low_cap, threshold = 3 * GiB, 3 * GiB
    low = np.where(ram_b < threshold, ram_b, np.minimum(ram_b, low_cap))
    high = ram_b - low
    e_low = low - FIRMWARE_RUNTIME_BYTES  # firmware runtime data at the top of low RAM

    # firmware_pre_accept: RAM [0, a) and [4G, 4G + b) is accepted, plus the
    # firmware's own area; D1 = [a, e_low) and D2 = [4G + b, 4G + high) are not.
    override = pre > 0 if fw.handover != "never" else np.zeros(n, dtype=bool)
    fw_size = fw.pre_accept_bytes()
    if fw_size is not None:
        has_size, pre_size = np.ones(n, dtype=bool), np.where(override, pre, fw_size)
    else:
        has_size, pre_size = override, pre
    b_default = high if fw.pre_accept == "all" else zeros
    a = np.where(has_size, np.minimum(pre_size, low), low)
    b = np.where(has_size, np.clip(pre_size - low, 0, high), b_default)
    d1s, d1e = a, np.maximum(a, e_low)
    d2s, d2e = FOUR_GIB + b, FOUR_GIB + high
    pending = (d1e - d1s) + (d2e - d2s)
    fw_accepted = ram_b - pending
    fw_page = min(PAGE_BYTES[fw.accept_page_size], scenario.host_page_size)
    fw_vcpus = cpus if fw.accept_vcpus == "all" else np.ones(n, dtype=np.int64)
    t = cost.firmware_base_s + cost.firmware_s_per_gib * (ram_b / GiB)
    t = t + cost.accept_seconds(fw_accepted, fw_page, fw_vcpus)

    # allow_unaccepted_memory and exit_boot_services.
    lost_cause: str | None = None
    stub = scenario.loader == Loader.EFI_STUB and kernel.efi_stub
    allowed = (
        stub
        and kernel.unaccepted_memory
        and kernel.calls_protocol
        and scenario.platform == "snp"
        and fw.handover == "opt-in"
    )
    ebs_accepted = zeros
    if fw.handover == "opt-in" and not allowed:
        ebs_accepted = pending
        t = t + cost.accept_seconds(pending, fw_page, fw_vcpus)
        mode = "accepted"
    elif stub and kernel.unaccepted_memory:
        mode = "bitmap"
    elif stub:
        mode, lost_cause = "lost", _LOST_STUB
    elif scenario.loader == Loader.GRUB:
        mode, lost_cause = "lost", _LOST_GRUB
    else:
        mode = "untracked"  # old GRUB passes type 15 on as available RAM

    # setup_e820: the usable RAM is [0, u_low) and [4G, 4G + u_high).
    runs: list[_Run] = []
    kernel_accepted = zeros
    if mode == "lost":
        lost = pending
        u_low, u_high = np.minimum(a, e_low), b
    else:
        lost = zeros
        u_low, u_high = e_low, high
    if mode == "bitmap":
        # Ranges under two units, and unaligned heads and tails, are accepted now.
        immediate = zeros
        for s, e in ((d1s, d1e), (d2s, d2e)):
            big = e - s >= 2 * UNIT
            run = _Run(np.where(big, _ru(s, UNIT), s), np.where(big, _rd(e, UNIT), s))
            immediate = immediate + (e - s) - run.size
            runs.append(run)
        kernel_accepted = immediate
        t = t + cost.accept_seconds(immediate, SMALL_PAGE, 1)
    usable = u_low + u_high

    # decompressor
    img_s = LOAD_PHYSICAL_ADDR
    img_e = LOAD_PHYSICAL_ADDR + kernel.image_bytes
    if scenario.loader == Loader.EFI_STUB and not kernel.efi_stub:
        crash_kind[:] = CRASH_NO_STUB
        alive[:] = False
    elif scenario.platform not in kernel.platforms:
        crash_kind[:] = CRASH_PLATFORM
        alive[:] = False
    no_room = alive & (img_e > u_low)
    crash_kind[no_room] = CRASH_NO_ROOM
    alive &= ~no_room
    accepted = zeros
    p, q = np.full(n, _rd(np.int64(img_s), UNIT)), _guard_end(np.full(n, img_e, dtype=np.int64))
    for run in runs:
        accepted = accepted + run.clear(p, q, alive)
    if mode == "untracked":
        touched = alive & (
            (_overlap(img_s, img_e, d1s, d1e) > 0) | (_overlap(img_s, img_e, d2s, d2e) > 0)
        )
        crash_kind[touched] = CRASH_DECOMPRESSOR
        crash_addr[touched] = img_s
        alive &= ~touched
    kernel_accepted = kernel_accepted + accepted
    t = t + np.where(alive, cost.accept_seconds(accepted, SMALL_PAGE, 1), 0.0)
    kernel_reserved = np.where(alive, img_e - img_s, 0)

    # memblock_alloc: struct pages and page tables, top-down from the free RAM
    # [0, 16M), [image end, u_low), [4G, 4G + u_high).
    kernel_page = min(LARGE_PAGE, scenario.host_page_size)
    size = usable // 4096 * STRUCT_PAGE_PER_PAGE + usable // GiB * PAGE_TABLE_PER_GIB
    t2 = np.minimum(size, u_high)
    t1 = np.minimum(size - t2, np.maximum(u_low - img_e, 0))
    t0 = np.minimum(size - t2 - t1, img_s)
    allocs = (  # ascending, as the engine walks them
        (img_s - t0, np.full(n, img_s, dtype=np.int64), t0),
        (u_low - t1, u_low, t1),
        (FOUR_GIB + u_high - t2, FOUR_GIB + u_high, t2),
    )
    accepted = zeros
    touched = np.zeros(n, dtype=bool)
    addr = zeros.copy()
    for s, e, taken in allocs:
        some = alive & (taken > 0)
        for run in runs:
            accepted = accepted + run.clear(_rd(s, UNIT), _guard_end(e), some)
        if mode == "untracked":
            hit = some & ((_overlap(s, e, d1s, d1e) > 0) | (_overlap(s, e, d2s, d2e) > 0))
            addr = np.where(hit & ~touched, s, addr)
            touched |= hit
    crash_kind[touched] = CRASH_MEMBLOCK
    crash_addr[touched] = addr[touched]
    alive &= ~touched
    kernel_accepted = kernel_accepted + accepted
    t = t + np.where(alive, cost.accept_seconds(accepted, kernel_page, 1), 0.0)
    kernel_reserved = kernel_reserved + np.where(alive, t0 + t1 + t2, 0)

    # memblock_free_all: eager accepts every unit; lazy defers the units in
    # whole MAX_ORDER blocks of their free range and accepts the others. The
    # free ranges are [0, 16M - t0), [image end, u_low - t1), [4G, 4G + u_high - t2);
    # a low run lies above the image (pre-accept >= 64M) unless it was split.
    init_s = cost.kernel_s_per_gib * usable / GiB
    accepted = zeros
    eager_accepted = zeros
    for run_index, run in enumerate(runs):
        if kernel.accept_memory == "eager":
            eager_accepted = eager_accepted + run.clear_all(alive)
            continue
        if run_index == 0:
            above = run.s >= img_e
            free_s = np.where(above, img_e, 0)
            free_e = np.where(above, u_low - t1, img_s - t0)
        else:
            free_s, free_e = np.full(n, FOUR_GIB, dtype=np.int64), FOUR_GIB + u_high - t2
        accepted = accepted + run.keep_max_order_blocks(alive, free_s, free_e)
    accepted = accepted + eager_accepted
    kernel_accepted = kernel_accepted + accepted
    t = t + np.where(alive, init_s + cost.accept_seconds(accepted, kernel_page, 1), 0.0)

    # start_userspace: min_memory must be free; 4 MiB blocks are accepted on demand.
    t = t + np.where(alive, cost.kernel_base_s, 0.0)
    need = kernel.min_memory_bytes
    free = usable - kernel_reserved
    free_bytes = np.where(alive, free, 0)
    oom = alive & (free < need)
    alive &= ~oom
    if mode == "untracked":
        touched = alive & (pending > 0)
        crash_kind[touched] = CRASH_USERSPACE
        crash_addr[touched] = np.where(d1e > d1s, d1s, d2s)[touched]
        alive &= ~touched
    bits = sum((run.size for run in runs), zeros)
    shortfall = need - (free - bits)
    got = np.where(alive & (shortfall > 0), np.minimum(bits, _ru(shortfall, MAX_ORDER_BYTES)), 0)
    kernel_accepted = kernel_accepted + got
    t = t + np.where(alive, cost.accept_seconds(got, kernel_page, cpus), 0.0)

    if mode == "bitmap":
        unaccepted = bits - got
    elif mode == "untracked":
        unaccepted = pending
    else:
        unaccepted = zeros
    fields: dict[str, Any] = {
        "ram_bytes": ram_b,
        "vcpus": cpus,
        "pre_accept": pre,
        "boot_time_s": np.asarray(t, dtype=np.float64),
        "usable_bytes": usable,
        "accepted_bytes": ram_b - FIRMWARE_RUNTIME_BYTES - lost - unaccepted,
        "unaccepted_bytes": unaccepted,
        "lost_bytes": lost,
        "firmware_reserved_bytes": np.full(n, FIRMWARE_RUNTIME_BYTES, dtype=np.int64),
        "kernel_reserved_bytes": kernel_reserved,
        "free_bytes": free_bytes,
        "firmware_accepted_bytes": fw_accepted,
        "ebs_accepted_bytes": ebs_accepted,
        "kernel_accepted_bytes": kernel_accepted,
        "eager_accepted_bytes": eager_accepted,
        "oom": oom,
        "crash_kind": crash_kind,
        "crash_addr": crash_addr,
    }
    # Own copies: several figures may be the same array above (zeros, pending).
    owned: dict[str, Any] = {k: np.array(v, copy=True) for k, v in fields.items()}
    out = BootArrays(platform=scenario.platform, lost_cause=lost_cause, **owned)
    exotic = (ram_b < MIN_RAM) | ((pre > 0) & (pre < MIN_PRE_ACCEPT))
    for run in runs:
        exotic |= run.split
    if engine_mask is not None:
        exotic |= np.broadcast_to(np.asarray(engine_mask, dtype=bool), (n,))
    for i in np.flatnonzero(exotic):
        _from_engine(out, int(i), scenario, fw, kernel, cost)
    return out


_ENGINE_FIGURES = _engine_figures()


def _from_engine(
    out: BootArrays,
    i: int,
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    cost: CostModel,
) -> None:
    point = replace(
        scenario,
        ram_bytes=int(out.ram_bytes[i]),
        vcpus=int(out.vcpus[i]),
        pre_accept=int(out.pre_accept[i]) or None,
    )
    o = simulate(point, fw, kernel, cost=cost)
    out.engine_points[i] = o
    for name in _ENGINE_FIGURES:
        getattr(out, name)[i] = getattr(o, name)
    # Any crash kind will do for the verdict; the message comes from the engine.
    out.crash_kind[i] = CRASH_PLATFORM if o.crash else CRASH_NONE


def reference_many(scenario: Scenario, *, ram: Any = None, vcpus: Any = None) -> Array:
    """`verdict.reference_boot_time` for every point: the same VM with lazy acceptance."""
    ref = replace(scenario, loader=Loader.EFI_STUB, pre_accept=None)
    boots = simulate_many(
        ref,
        lazy_reference_firmware(scenario.platform),
        LAZY_REFERENCE_KERNEL,
        ram=ram,
        vcpus=vcpus,
        pre_accept=0,
    )
    return boots.boot_time_s


def verdict_codes(scenario: Scenario, boots: BootArrays, reference_s: Array) -> Array:
    """`verdict.judge` for every point: indexes into VERDICTS (= Verdict.rank)."""
    v = np.full(len(boots), Verdict.FAST.rank, dtype=np.int8)
    v[boots.boot_time_s / reference_s >= scenario.slow_ratio] = Verdict.SLOW.rank
    v[boots.usable_bytes < scenario.degraded_fraction * boots.ram_bytes] = Verdict.DEGRADED.rank
    v[boots.oom] = Verdict.OOM.rank
    v[boots.crashed] = Verdict.CRASH.rank
    return v


# -- sweeps ----------------------------------------------------------------------


def sweep_values(param: str, lo: int, hi: int, points: int | None = None) -> Array:
    """The points of a sweep from lo to hi, both included, strictly increasing.

    Sizes are log-spaced and rounded to whole MiB (what `qemu -m` takes); the
    end points are kept exact. vCPUs: every integer when there are no more than
    `points` of them, else log-spaced integers. Rounding can merge points, so
    there may be fewer than asked for. Default: two sizes per doubling (at
    least 9), or every vCPU count up to 64 points.
    """
    if param not in PARAMS:
        raise ValueError(f"cannot sweep {param!r}")
    if not 0 < lo < hi:
        raise ValueError(f"a sweep needs 0 < low < high, got {lo}..{hi}")
    if param == "vcpus":
        n = points if points is not None else 64
        if hi - lo + 1 <= n:
            return np.arange(lo, hi + 1, dtype=np.int64)
        raw = np.rint(np.geomspace(lo, hi, n))
        gran = 1
    else:
        n = points if points is not None else max(9, round(2 * math.log2(hi / lo)) + 1)
        raw = np.rint(np.geomspace(lo, hi, n) / MiB) * MiB
        gran = MiB
    vals = np.clip(raw, lo, hi).astype(np.int64)
    vals = vals - vals % gran
    vals[0], vals[-1] = lo, hi
    return np.unique(np.clip(vals, lo, hi))


def _point_arrays(scenario: Scenario, param: str, values: Array) -> dict[str, Any]:
    return {
        "ram": values if param == "ram" else scenario.ram_bytes,
        "vcpus": values if param == "vcpus" else scenario.vcpus,
        "pre_accept": values if param == "pre_accept" else (scenario.pre_accept or 0),
    }


def evaluate_points(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    param: str,
    values: Array,
    reference_s: Array | None = None,
) -> tuple[BootArrays, Array, Array]:
    """Boots, lazy reference times and verdict codes at `values` of `param`."""
    arrays = _point_arrays(scenario, param, values)
    boots = simulate_many(scenario, fw, kernel, **arrays)
    if reference_s is None:
        reference_s = reference_many(scenario, ram=arrays["ram"], vcpus=arrays["vcpus"])
    reference_s = np.broadcast_to(reference_s, (len(boots),))
    return boots, reference_s, verdict_codes(scenario, boots, reference_s)


@dataclass(frozen=True)
class Change:
    """The verdict is `before` at `last_before` and `after` at `first_after`,
    adjacent values on the parameter's step (1 MiB or 1 vCPU, or a sweep end)."""

    index: int  # the sweep point before the change
    last_before: int
    first_after: int
    before: Verdict
    after: Verdict
    reason: str  # judge's reason at first_after
    boot_time_s: float
    usable_bytes: int


@dataclass(frozen=True)
class Curve:
    """One firmware x kernel combination across the sweep."""

    firmware: FirmwareProfile
    kernel: KernelProfile
    boots: BootArrays
    verdicts: Array
    changes: tuple[Change, ...]

    @cached_property
    def verdict_list(self) -> list[Verdict]:
        return [VERDICTS[int(c)] for c in self.verdicts]


@dataclass(frozen=True)
class SweepResult:
    scenario: Scenario  # the swept field holds the first value
    param: str
    values: Array
    reference_s: Array
    curves: tuple[Curve, ...]

    @property
    def engine_points(self) -> int:
        return sum(len(c.boots.engine_points) for c in self.curves)

    def scenario_at(self, value: int) -> Scenario:
        return scenario_with(self.scenario, self.param, value)


def scenario_with(scenario: Scenario, param: str, value: int) -> Scenario:
    """The scenario at one value of the swept parameter."""
    if param == "ram":
        return replace(scenario, ram_bytes=int(value))
    if param == "vcpus":
        return replace(scenario, vcpus=int(value))
    if param == "pre_accept":
        return replace(scenario, pre_accept=int(value))
    raise ValueError(f"cannot sweep {param!r}")


def _candidates(lo: Array, hi: Array, gran: int) -> tuple[Array, Array]:
    """Candidate values between lo and hi: lo, the multiples of gran strictly
    between, hi. Returns the first multiple and the count of candidates - 1."""
    first = (lo // gran + 1) * gran
    last = _ru(hi, gran) - gran
    inner = np.maximum(0, (last - first) // gran + 1)
    return first, inner + 1


def refine_changes(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    param: str,
    lo: Array,
    hi: Array,
    before: Array,
    ways: int = 16,
) -> tuple[Array, Array]:
    """Narrow each interval (lo, hi), where the verdict is `before` at lo and
    differs at hi, to adjacent values on the parameter's step: a `ways`-ary
    search, vectorised over the intervals. Where the verdict changes more
    than once inside an interval, this finds the first change."""
    gran = PARAMS[param][2]
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    first, top = _candidates(lo, hi, gran)
    jlo, jhi = np.zeros_like(lo), top.copy()

    def value(j: Array) -> Array:
        return np.where(j <= 0, lo, np.where(j >= top, hi, first + (j - 1) * gran))

    frac = np.arange(1, ways) / ways
    while True:
        width = jhi - jlo
        active = width > 1
        if not active.any():
            break
        idx = np.flatnonzero(active)
        probe = jlo[idx, None] + np.floor(width[idx, None] * frac).astype(np.int64)
        probe = np.maximum(probe, jlo[idx, None] + 1)
        vals = np.where(
            probe >= top[idx, None],
            hi[idx, None],
            first[idx, None] + (probe - 1) * gran,
        )
        flat = vals.ravel()
        _, _, v = evaluate_points(scenario, fw, kernel, param, flat)
        differs = v.reshape(vals.shape) != before[idx, None]
        any_diff = differs.any(axis=1)
        k = np.argmax(differs, axis=1)
        rows = np.arange(idx.size)
        new_hi = np.where(any_diff, probe[rows, k], jhi[idx])
        prev = np.where(k > 0, probe[rows, np.maximum(k - 1, 0)], jlo[idx])
        new_lo = np.where(any_diff, prev, probe[:, -1])
        jlo[idx], jhi[idx] = new_lo, new_hi
    return value(jlo), value(jhi)


def sweep(
    scenario: Scenario,
    param: str,
    values: Array,
    firmwares: list[FirmwareProfile],
    kernels: list[KernelProfile],
    refine: bool = True,
) -> SweepResult:
    """Every firmware x kernel combination at every value of `param`."""
    if param not in PARAMS:
        raise ValueError(f"cannot sweep {param!r}")
    values = np.asarray(values, dtype=np.int64)
    arrays = _point_arrays(scenario, param, values)
    reference_s = np.broadcast_to(
        reference_many(scenario, ram=arrays["ram"], vcpus=arrays["vcpus"]), values.shape
    )
    curves = []
    for fw in firmwares:
        for kernel in kernels:
            boots, _, verdicts = evaluate_points(scenario, fw, kernel, param, values, reference_s)
            changes = _changes(scenario, fw, kernel, param, values, verdicts, refine)
            curves.append(Curve(fw, kernel, boots, verdicts, changes))
    return SweepResult(scenario, param, values, np.array(reference_s), tuple(curves))


def _changes(
    scenario: Scenario,
    fw: FirmwareProfile,
    kernel: KernelProfile,
    param: str,
    values: Array,
    verdicts: Array,
    refine: bool,
) -> tuple[Change, ...]:
    """Every change between neighbouring sweep points, refined; where one
    interval holds more than one change, each is found in turn."""
    idx = np.flatnonzero(verdicts[1:] != verdicts[:-1])
    # Work list: sweep interval, bounds, verdict at the low and at the high end.
    which, lo, hi = idx, values[idx], values[idx + 1]
    v_lo, v_hi = verdicts[idx], verdicts[idx + 1]
    found: list[Change] = []
    while which.size:
        if refine:
            lo, hi = refine_changes(scenario, fw, kernel, param, lo, hi, v_lo)
        boots, ref, after = evaluate_points(scenario, fw, kernel, param, hi)
        for j, i in enumerate(which):
            point = scenario_with(scenario, param, int(hi[j]))
            verdict, reason = judge(point, boots.outcome(j), float(ref[j]))
            if verdict.rank != after[j]:  # pragma: no cover - the equivalence tests guard this
                raise AssertionError(f"vectorised verdict disagrees with judge at {point}")
            found.append(
                Change(
                    index=int(i),
                    last_before=int(lo[j]),
                    first_after=int(hi[j]),
                    before=VERDICTS[int(v_lo[j])],
                    after=verdict,
                    reason=reason,
                    boot_time_s=float(boots.boot_time_s[j]),
                    usable_bytes=int(boots.usable_bytes[j]),
                )
            )
        # A first change to another verdict than the one at the interval's end:
        # look again between the change and that end.
        more = after != v_hi
        original_hi = values[which + 1]
        which, lo, hi = which[more], hi[more], original_hi[more]
        v_lo, v_hi = after[more], v_hi[more]
    found.sort(key=lambda c: (c.index, c.first_after))
    return tuple(found)
