"""The VMM and the firmware: lay out RAM, pre-accept, build the EFI memory map,
and (SEV) accept everything at ExitBootServices for loaders that did not opt in."""

from __future__ import annotations

import numpy as np

from uefi_accept.model.memmap import (
    FW_RESERVED_TYPES,
    RAM_TYPES,
    EfiMemoryType,
    MemoryDescriptor,
    MemoryMap,
)
from uefi_accept.model.profiles import AcceptVcpus, HandOver, PreAccept
from uefi_accept.model.ranges import Ranges
from uefi_accept.model.scenario import FOUR_GIB, low_ram
from uefi_accept.model.state import Boot, Step
from uefi_accept.units import GiB, MiB

# Runtime services data, ACPI tables and NVS kept by OVMF at the top of low RAM.
FIRMWARE_RUNTIME_BYTES = 4 * MiB


def vmm_layout(boot: Boot) -> None:
    """QEMU q35 (hw/i386/pc_q35.c) or a 3 GiB low region: RAM below 4 GiB, the
    rest from 4 GiB up."""
    b = boot.batch
    low = low_ram(b.base.layout, b.ram_bytes)
    high = b.ram_bytes - low
    boot.ram = Ranges(
        np.stack([np.zeros_like(low), np.full_like(low, FOUR_GIB)], axis=1),
        np.stack([low, FOUR_GIB + high], axis=1),
    )
    boot.event(Step.VMM_LAYOUT, nbytes=b.ram_bytes, low=low, high=high, layout=b.base.layout)
    # OVMF keeps runtime data, ACPI tables and NVS at the top of low RAM.
    boot.fw_reserved = Ranges.span(low - FIRMWARE_RUNTIME_BYTES, low)


def firmware_init(boot: Boot) -> None:
    """SEC/PEI/DXE work that grows with RAM (HOBs, GCD, page tables)."""
    cost = boot.cost
    boot.event(
        Step.FIRMWARE_INIT,
        cost.firmware_base_s + cost.firmware_s_per_gib * boot.ram.total / GiB,
        firmware=boot.fw.name,
        s_per_gib=cost.firmware_s_per_gib,
    )


def firmware_pre_accept(boot: Boot) -> None:
    """Accept `all`, `below-4g` or a size from address 0 (OvmfPkg/PlatformPei/
    AmdSev.c, TdxHelperLib; td-shim); everything else stays unaccepted."""
    b, fw = boot.batch, boot.fw
    fw_size = fw.pre_accept_bytes
    # --pre-accept overrides firmware that hands memory over at all.
    override = (b.pre_accept > 0) & (fw.handover != HandOver.NEVER)
    sized = override | (fw_size is not None)
    size = np.where(override, b.pre_accept, fw_size or 0)
    # `all` or `below-4g` (a sized firmware never uses the default).
    default = boot.ram if fw.pre_accept_mode == PreAccept.ALL else boot.ram.clip(0, FOUR_GIB)
    # The firmware also accepts what it keeps for itself.
    target = boot.ram.bottom(size).where(sized, default) | boot.fw_reserved
    boot.fw_accepted_ranges = target
    boot.unaccepted = boot.ram - target
    how = np.where(sized, "size", str(fw.pre_accept_mode))
    charge_firmware_acceptance(boot, Step.FIRMWARE_PRE_ACCEPT, target.total, how=how, size=size)


def firmware_vcpus(boot: Boot) -> np.ndarray:
    """The vCPUs the firmware accepts on: the BSP, or every vCPU (TDVF since edk2 451521c)."""
    all_vcpus = boot.fw.accept_vcpus == AcceptVcpus.ALL
    return boot.batch.vcpus if all_vcpus else np.ones(boot.n, dtype=np.int64)


def charge_firmware_acceptance(boot: Boot, step: Step, nbytes: np.ndarray, **facts: object) -> None:
    page, host = boot.fw.accept_page_bytes, boot.host_page
    vcpus = firmware_vcpus(boot)
    boot.fw_accepted = nbytes
    boot.event(
        step,
        boot.cost.firmware_accept_seconds(nbytes, page, vcpus, host),
        nbytes,
        page=boot.cost.effective_page(page, host),
        vcpus=vcpus,
        **facts,
    )


def build_efi_memory_map(boot: Boot) -> None:
    """CoreGetMemoryMap: accepted RAM as conventional memory, unaccepted GCD
    ranges as EfiUnacceptedMemoryType (MdeModulePkg/Core/Dxe/Mem/Page.c)."""
    fw_res = boot.fw_reserved

    # OVMF's own area, roughly as it lays it out: runtime data, ACPI tables, ACPI NVS.
    size = fw_res.lengths
    a = fw_res.s + size // 2
    b = a + size // 8
    runtime, acpi, nvs = Ranges(fw_res.s, a), Ranges(a, b), Ranges(b, fw_res.e)
    boot.efi_map = MemoryMap(
        boot.n,
        {
            # What the firmware accepted, less what it keeps; the rest of RAM.
            EfiMemoryType.CONVENTIONAL: boot.fw_accepted_ranges - fw_res,
            EfiMemoryType.UNACCEPTED: boot.unaccepted,
            EfiMemoryType.RUNTIME_SERVICES_DATA: runtime,
            EfiMemoryType.ACPI_RECLAIM: acpi,
            EfiMemoryType.ACPI_NVS: nvs,
        },
    )
    describe_map(boot, source="firmware")


def describe_map(boot: Boot, source: str) -> None:
    t15 = boot.efi_map[EfiMemoryType.UNACCEPTED].total
    boot.event(Step.EFI_MEMORY_MAP, nbytes=t15, descriptors=boot.efi_map.count, source=source)


def load_handover_map(boot: Boot, descs: tuple[MemoryDescriptor, ...]) -> None:
    """A real map (from a boot log) as the firmware's hand-over map; it already
    shows what the firmware accepted."""
    boot.efi_map = MemoryMap.from_descriptors(descs)
    ram_types = RAM_TYPES | FW_RESERVED_TYPES | {EfiMemoryType.UNACCEPTED}
    boot.ram = boot.efi_map.union(ram_types).merged()
    boot.fw_reserved = boot.efi_map.union(FW_RESERVED_TYPES)
    boot.unaccepted = boot.efi_map[EfiMemoryType.UNACCEPTED]
    boot.event(Step.VMM_LAYOUT, nbytes=boot.ram.total, from_map=True)
    firmware_init(boot)
    charge_firmware_acceptance(
        boot, Step.FIRMWARE_PRE_ACCEPT, boot.ram.total - boot.unaccepted.total, how="map"
    )
    describe_map(boot, source="log")


def handover_ram_bytes(descs: tuple[MemoryDescriptor, ...]) -> int:
    """RAM in a hand-over map: what load_handover_map counts as RAM."""
    ram_types = RAM_TYPES | FW_RESERVED_TYPES | {EfiMemoryType.UNACCEPTED}
    return int(MemoryMap.from_descriptors(descs).union(ram_types).total[0])


def exit_boot_services(boot: Boot) -> None:
    """AmdSevDxe's BeforeExitBootServices callback accepts everything unless the
    loader opted in; it changes the map, so the first call fails and the loader
    re-reads the map and retries (Linux's efi_exit_boot_services() once on
    EFI_INVALID_PARAMETER; GRUB's grub_efi_finish_boot_services() loops)."""
    fw = boot.fw
    boot.loader_map = boot.efi_map
    pending = boot.unaccepted.total
    fallback = (fw.handover == HandOver.OPT_IN and not boot.allowed) & (pending > 0)
    vcpus = firmware_vcpus(boot)
    if fallback.any():
        accepting = boot.unaccepted.only(fallback)
        boot.accept(accepting)
        boot.ebs_accepted = accepting.total
        t15 = boot.efi_map[EfiMemoryType.UNACCEPTED]
        boot.efi_map = boot.efi_map.replace(
            CONVENTIONAL=(boot.efi_map[EfiMemoryType.CONVENTIONAL] | t15).where(
                fallback, boot.efi_map[EfiMemoryType.CONVENTIONAL]
            ),
            UNACCEPTED=t15.only(~fallback),
        )
        duration = boot.cost.firmware_accept_seconds(
            boot.ebs_accepted, fw.accept_page_bytes, vcpus, boot.host_page
        )
    else:
        duration = 0.0
    boot.event(Step.EXIT_BOOT_SERVICES, duration, boot.ebs_accepted, fallback=fallback, vcpus=vcpus)
