"""Every sentence the model says, written from the figures the steps recorded:
timeline events, crash and loss messages, and the reason behind a verdict.

The steps never format text; renderers never invent it.
"""

from __future__ import annotations

from typing import Any

from uefi_accept.model.outcome import BootOutcome, Verdict
from uefi_accept.model.scenario import LARGE_PAGE, Platform, Scenario
from uefi_accept.model.state import Crash, LostCause, Step, StepRecord
from uefi_accept.model.stub import Opt
from uefi_accept.units import format_size


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def _page_name(page: int) -> str:
    return "2 MiB" if page >= LARGE_PAGE else "4 KiB"


# -- crashes and losses -------------------------------------------------------

_TOUCHED_BY = {
    Step.DECOMPRESSOR: "decompressor",
    Step.MEMBLOCK_ALLOC: "memblock allocation",
    Step.USERSPACE: "the first use of type 15 memory that old GRUB called available",
}


def crash_sentence(kind: Crash, addr: int, step: Step, platform: Platform) -> str:
    if kind == Crash.NO_STUB:
        return "the kernel has no EFI stub (CONFIG_EFI_STUB), so firmware cannot start it"
    if kind == Crash.NO_PLATFORM:
        opt = "CONFIG_AMD_MEM_ENCRYPT" if platform == Platform.SNP else "CONFIG_INTEL_TDX_GUEST"
        return f"the kernel has no {platform.upper()} guest support ({opt}) and dies at entry"
    if kind == Crash.NO_ROOM:
        return "no usable RAM at LOAD_PHYSICAL_ADDR for the kernel image"
    if kind == Crash.ACCEPTED_TWICE:
        return f"memory at 0x{addr:x} was accepted twice (fatal)"
    if kind == Crash.TABLE_FAULT:
        return (
            "the kernel faults in accept_memory(): reserve_unaccepted() page-aligned the "
            "unaccepted table's size without its 0x18 offset in its page, so the bitmap bits "
            f"for memory from 0x{addr:x} lie in a page it never mapped (8dbe33956d96; fixed "
            "by 0862438c9048)"
        )
    if kind == Crash.HOTPLUG_DEADLOCK:
        return (
            "the accept storm uses up the last unaccepted memory while APs are being brought "
            "up: static_branch_dec() under cpu_hotplug_lock deadlocks and the boot hangs "
            "(fixed in 6.15 by 4067196a5227)"
        )
    # Touching never-accepted memory: #VC on SNP, #VE on TDX, no recovery.
    exc = "VC" if platform == Platform.SNP else "VE"
    what = _TOUCHED_BY.get(step, str(step))
    return f"{what} at 0x{addr:x} touched memory that was never accepted (#{exc}, fatal)"


def lost_cause_sentence(cause: LostCause | None) -> str:
    if cause == LostCause.GRUB:
        return "GRUB marks the unknown memory type 15 reserved"
    return (
        "its kernel does not support unaccepted memory, so setup_e820() leaves type 15 out of e820"
    )


# -- timeline events ------------------------------------------------------------

_OPT = {
    Opt.NO_SUPPORT: (
        "kernel has no unaccepted memory support: the stub does not look for the protocol"
    ),
    Opt.NO_CALL: "the stub no longer calls the SEV memory acceptance protocol",
    Opt.TDX: "no SEV memory acceptance protocol on TDX: the stub continues silently",
    Opt.NO_PROTOCOL: "firmware has no SEV memory acceptance protocol: the stub continues silently",
    Opt.ALLOWED: "EFI stub calls AllowUnacceptedMemory(): firmware keeps type 15 in the map",
}

_PRE_ACCEPTED = {
    "all": "all RAM",
    "below-4g": "RAM below 4 GiB",
    "map": "all RAM the map does not show as type 15",
}


def _accepting(nbytes: int, suffix: str = "") -> str:
    return f", accepting {format_size(nbytes)}{suffix}" if nbytes else ""


def event_sentence(rec: StepRecord, i: int, crash: str | None) -> str:
    """What happened in this step at point i (`crash`: how the point crashed, if it did)."""
    f: Any = lambda name: rec.fact(name, i)  # noqa: E731 - reads like the facts it names
    nbytes = int(rec.nbytes[i])
    if rec.stopped[i] and crash:
        return crash
    step = rec.step
    if step == Step.VMM_LAYOUT:
        if "from_map" in rec.facts:
            return (
                f"RAM from the given memory map: {format_size(nbytes)}; the map is the one "
                "the kernel printed, so it already shows the firmware's own acceptance"
            )
        low, high, layout = int(f("low")), int(f("high")), f("layout")
        if high:
            where = f"{format_size(low)} below 4 GiB, {format_size(high)} from 4 GiB ({layout})"
        else:
            where = f"all {format_size(low)} below 4 GiB ({layout})"
        return f"VMM lays out RAM: {where}"
    if step == Step.FIRMWARE_INIT:
        return f"{f('firmware')} firmware SEC/PEI/DXE work ({f('s_per_gib'):g} s/GiB of RAM)"
    if step == Step.FIRMWARE_PRE_ACCEPT:
        how = str(f("how"))
        what = (
            f"the first {format_size(int(f('size')))} of RAM"
            if how == "size"
            else _PRE_ACCEPTED[how]
        )
        return (
            f"firmware accepts {what} ({format_size(nbytes)}) with {_page_name(f('page'))} "
            f"accepts on {_plural(int(f('vcpus')), 'vCPU')}"
        )
    if step == Step.EFI_MEMORY_MAP:
        prefix = (
            "firmware builds the EFI memory map"
            if f("source") == "firmware"
            else "hand-over map from the log"
        )
        return (
            f"{prefix}: {int(f('descriptors'))} descriptors, {format_size(nbytes)} as type 15 "
            "(EfiUnacceptedMemoryType)"
        )
    if step == Step.ALLOW_UNACCEPTED_MEMORY:
        if f("opt") == Opt.NO_STUB:
            return (
                f"{f('loader')} boots the kernel without the EFI stub: "
                "no AllowUnacceptedMemory() call"
            )
        return _OPT[f("opt")]
    if step == Step.EXIT_BOOT_SERVICES:
        if not f("fallback"):
            return "ExitBootServices succeeds on the first call"
        return (
            f"nobody called AllowUnacceptedMemory(): firmware accepts all "
            f"{format_size(nbytes)} of type 15 at ExitBootServices on "
            f"{_plural(int(f('vcpus')), 'vCPU')}; the map changed, so the first "
            "ExitBootServices fails and the loader retries"
        )
    if step == Step.SETUP_E820:
        parts = [f"e820: {format_size(int(f('usable')))} usable"]
        if f("table"):
            parts.append(
                f"{format_size(int(f('recorded')))} recorded in the unaccepted bitmap "
                f"({int(f('table_bytes'))} bytes, one bit per 2 MiB)"
            )
        if f("lost"):
            parts.append(
                f"{format_size(int(f('lost')))} of type 15 lost: "
                + lost_cause_sentence(f("lost_cause"))
            )
            if f("warns"):
                parts.append("'The system has unaccepted memory, but kernel does not support it'")
        if f("untracked"):
            parts.append(
                f"old GRUB passes {format_size(int(f('untracked')))} of type 15 as available"
            )
        return "; ".join(parts)
    if step == Step.DECOMPRESSOR:
        return f"kernel decompressed into {format_size(f('image'))} at 0x{f('at'):x}" + _accepting(
            nbytes
        )
    if step == Step.MEMBLOCK_ALLOC:
        return (
            f"memblock allocates {format_size(int(f('allocated')))} top-down for struct pages "
            "(64 bytes per 4 KiB) and page tables" + _accepting(nbytes)
        )
    if step == Step.MEMBLOCK_FREE_ALL:
        if not f("had_unaccepted"):
            return f"{format_size(int(f('usable')))} freed to the page allocator, none unaccepted"
        if f("eager"):
            return "page allocator init; accept_memory=eager: the kernel accepts all of it now"
        accepted = f"; {format_size(nbytes)} accepted" if nbytes else ""
        return (
            f"page allocator init; {format_size(int(f('deferred')))} stays on the unaccepted "
            f"list in 4 MiB blocks{accepted}"
        )
    if step == Step.MEM_ENCRYPT_INIT:
        size = format_size(int(f("swiotlb")))
        if not f("early"):
            return (
                f"mem_encrypt_init() leaves the {size} SWIOTLB buffer private: it is "
                "converted at fs_initcall_sync (Dstack patch 0010)"
            )
        if not f("tdx"):
            return f"mem_encrypt_init() converts the {size} SWIOTLB buffer to shared"
        return (
            f"mem_encrypt_init() converts the {size} SWIOTLB buffer to shared before SMP "
            f"bring-up: for each private page removed, KVM kicks all "
            f"{_plural(int(f('vcpus')), 'vCPU')} out of the TD"
        )
    if step == Step.SMP_INIT:
        aps = int(f("aps"))
        what = f"smp_init() brings up {_plural(aps, 'AP')}" if aps else "no APs to bring up"
        if f("storm"):
            pre, during = int(f("before_smp")), int(f("during_smp"))
            what += (
                "; with the zone watermarks still zero, every allocation accepts a 4 MiB "
                f"block: {format_size(pre)} since the page allocator came up and "
                f"{format_size(during)} during bring-up"
            )
        return what
    if step == Step.INITCALLS:
        what = "initcalls: watermarks from postcore, the tick stops at fs_initcall"
        if f("deferred"):
            what += (
                f"; the {format_size(nbytes)} SWIOTLB buffer becomes shared at "
                "fs_initcall_sync, the APs halted outside the TD"
            )
        return what
    if step == Step.KERNEL_INIT:
        return "kernel init to userspace"
    if step == Step.USERSPACE:
        need = format_size(f("need"))
        if rec.stopped[i]:
            return (
                f"userspace needs {need} but only {format_size(int(f('free')))} is free: "
                "out of memory"
            )
        return f"userspace starts with {need} in use" + _accepting(
            nbytes, " in 4 MiB blocks on demand"
        )
    raise AssertionError(f"no sentence for step {step}")


# -- verdict reasons -------------------------------------------------------------


def slow_cause(o: BootOutcome, scenario: Scenario) -> str:
    """The mechanism behind a slow boot: the step that takes longest."""
    e = max(o.events, key=lambda e: e.duration_s)
    if e.step == Step.EXIT_BOOT_SERVICES and o.ebs_accepted_bytes:
        return (
            f"nobody called AllowUnacceptedMemory(), so the firmware accepts "
            f"{format_size(o.ebs_accepted_bytes)} at ExitBootServices"
        )
    if e.step == Step.MEMBLOCK_FREE_ALL and o.eager_accepted_bytes:
        return f"the kernel accepts {format_size(o.eager_accepted_bytes)} eagerly at boot"
    if e.step == Step.FIRMWARE_PRE_ACCEPT:
        return f"the firmware accepts {format_size(o.firmware_accepted_bytes)} before hand-over"
    if e.step == Step.SMP_INIT and e.bytes:
        # Only a TD exit waits for the ticking APs (cost.accept_tick_s_per_vcpu).
        tick = (
            ", each 4 KiB accept slower for every AP online and taking the tick"
            if scenario.platform == Platform.TDX
            else ""
        )
        return (
            f"the accept storm: with the watermarks still zero, every allocation accepts a "
            f"4 MiB block ({format_size(e.bytes)} in {e.duration_s:.0f} s){tick}"
        )
    if e.step == Step.MEM_ENCRYPT_INIT:
        return (
            f"converting the SWIOTLB buffer to shared before SMP bring-up kicks every vCPU "
            f"out of the TD for each page ({e.duration_s:.0f} s)"
        )
    return slowest_step(o)


def slowest_step(o: BootOutcome) -> str:
    """Where most of a boot's time went."""
    e = max(o.events, key=lambda e: e.duration_s)
    share = 100 * e.duration_s / o.boot_time_s if o.boot_time_s else 0
    return f"{e.step} takes {e.duration_s:.0f} s ({share:.0f}%)"


def reason_sentence(
    verdict: Verdict, o: BootOutcome, reference_s: float, scenario: Scenario
) -> str:
    """One sentence on why the boot got its verdict."""
    ram = o.ram_bytes
    if verdict == Verdict.CRASH:
        return f"Crash: {o.crash}."
    if verdict == Verdict.OOM:
        cause = (
            f"; {format_size(o.lost_bytes)} was lost because {o.lost_cause}" if o.lost_bytes else ""
        )
        return (
            f"Out of memory: only {format_size(o.free_bytes)} is free when userspace starts{cause}."
        )
    if verdict == Verdict.DEGRADED:
        pct = 100 * o.usable_bytes / ram
        return (
            f"Boots with {format_size(o.usable_bytes)} of {format_size(ram)} usable ({pct:.0f}%): "
            f"{format_size(o.lost_bytes)} was handed over as unaccepted memory and "
            f"{o.lost_cause}."
        )
    ratio = o.boot_time_s / reference_s
    timing = f"{o.boot_time_s:.1f} s, {ratio:.1f}x the {reference_s:.1f} s of lazy acceptance"
    if verdict == Verdict.TIMEOUT:
        return (
            f"Misses the {scenario.deadline_s:g} s deadline: boots in {timing}; {slowest_step(o)}."
        )
    if verdict == Verdict.SLOW:
        return f"Boots in {timing}: {slow_cause(o, scenario)}."
    if o.unaccepted_bytes:
        how = f"{format_size(o.unaccepted_bytes)} is left for the kernel to accept lazily"
    else:
        how = "nothing is left unaccepted, but there is little to accept"
    return f"Boots in {timing} with all memory usable: {how}."
