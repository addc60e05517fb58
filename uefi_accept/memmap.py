"""EFI memory map: types, descriptors, and the kernel's efi=debug line format.

Type numbers are the UEFI spec's EFI_MEMORY_TYPE; `EfiUnacceptedMemoryType` = 15
was added in UEFI 2.9. Names are the ones Linux prints
(drivers/firmware/efi/efi.c, memory_type_name[]); older kernels printed the
longer names kept in LEGACY_TYPE_NAMES.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class EfiMemoryType(enum.IntEnum):
    RESERVED = 0
    LOADER_CODE = 1
    LOADER_DATA = 2
    BOOT_SERVICES_CODE = 3
    BOOT_SERVICES_DATA = 4
    RUNTIME_SERVICES_CODE = 5
    RUNTIME_SERVICES_DATA = 6
    CONVENTIONAL = 7
    UNUSABLE = 8
    ACPI_RECLAIM = 9
    ACPI_NVS = 10
    MMIO = 11
    MMIO_PORT = 12
    PAL_CODE = 13
    PERSISTENT = 14
    UNACCEPTED = 15


# drivers/firmware/efi/efi.c: memory_type_name[] (Linux 6.5+).
LINUX_TYPE_NAMES: dict[EfiMemoryType, str] = {
    EfiMemoryType.RESERVED: "Reserved",
    EfiMemoryType.LOADER_CODE: "Loader Code",
    EfiMemoryType.LOADER_DATA: "Loader Data",
    EfiMemoryType.BOOT_SERVICES_CODE: "Boot Code",
    EfiMemoryType.BOOT_SERVICES_DATA: "Boot Data",
    EfiMemoryType.RUNTIME_SERVICES_CODE: "Runtime Code",
    EfiMemoryType.RUNTIME_SERVICES_DATA: "Runtime Data",
    EfiMemoryType.CONVENTIONAL: "Conventional",
    EfiMemoryType.UNUSABLE: "Unusable",
    EfiMemoryType.ACPI_RECLAIM: "ACPI Reclaim",
    EfiMemoryType.ACPI_NVS: "ACPI Mem NVS",
    EfiMemoryType.MMIO: "MMIO",
    EfiMemoryType.MMIO_PORT: "MMIO Port",
    EfiMemoryType.PAL_CODE: "PAL Code",
    EfiMemoryType.PERSISTENT: "Persistent",
    EfiMemoryType.UNACCEPTED: "Unaccepted",
}

# Names printed by older kernels (e.g. 5.6 in shared/samples).
LEGACY_TYPE_NAMES: dict[str, EfiMemoryType] = {
    "Conventional Memory": EfiMemoryType.CONVENTIONAL,
    "Unusable Memory": EfiMemoryType.UNUSABLE,
    "ACPI Reclaim Memory": EfiMemoryType.ACPI_RECLAIM,
    "ACPI Memory NVS": EfiMemoryType.ACPI_NVS,
    "Memory Mapped I/O": EfiMemoryType.MMIO,
    "MMIO Port Space": EfiMemoryType.MMIO_PORT,
    "Persistent Memory": EfiMemoryType.PERSISTENT,
}

# Types the kernel turns into usable RAM after ExitBootServices
# (libstub/x86-stub.c setup_e820 / arch/x86/platform/efi do_add_efi_memmap).
RAM_TYPES = frozenset(
    {
        EfiMemoryType.LOADER_CODE,
        EfiMemoryType.LOADER_DATA,
        EfiMemoryType.BOOT_SERVICES_CODE,
        EfiMemoryType.BOOT_SERVICES_DATA,
        EfiMemoryType.CONVENTIONAL,
    }
)


@dataclass(frozen=True, order=True)
class MemoryDescriptor:
    """One EFI memory map entry; `end` is exclusive."""

    start: int
    end: int
    type: EfiMemoryType

    @property
    def size(self) -> int:
        return self.end - self.start


def format_efi_debug_line(index: int, desc: MemoryDescriptor, attrs: str | None = None) -> str:
    """One line as Linux prints it with efi=debug (efi_md_typeattr_format()).

    `mem%02u: [%-12s|attributes] range=[0x%016llx-0x%016llx] (%lluMB)`,
    inclusive end, MB truncated.
    """
    if attrs is None:
        attrs = "   |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC"
    name = LINUX_TYPE_NAMES[desc.type]
    return (
        f"efi: mem{index:02d}: [{name:<12}|{attrs}] "
        f"range=[0x{desc.start:016x}-0x{desc.end - 1:016x}] ({desc.size >> 20}MB)"
    )
