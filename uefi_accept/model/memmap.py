"""EFI memory map: types, descriptors, and the kernel's efi=debug line format.

Type numbers are the UEFI spec's EFI_MEMORY_TYPE; `EfiUnacceptedMemoryType` = 15
was added in UEFI 2.9. Names are the ones Linux prints
(drivers/firmware/efi/efi.c, memory_type_name[]); older kernels printed the
longer names kept in LEGACY_TYPE_NAMES.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import msgspec
import numpy as np

from uefi_accept.model.ranges import Ranges


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


class MemoryDescriptor(msgspec.Struct, frozen=True, order=True):
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


# What firmware keeps for itself after ExitBootServices: runtime services and
# ACPI tables (counted as RAM, never handed to the kernel's allocator).
FW_RESERVED_TYPES = frozenset(
    {
        EfiMemoryType.RUNTIME_SERVICES_CODE,
        EfiMemoryType.RUNTIME_SERVICES_DATA,
        EfiMemoryType.ACPI_RECLAIM,
        EfiMemoryType.ACPI_NVS,
    }
)


class MemoryMap:
    """An EFI memory map for every point of a batch: the ranges of each type.

    Ranges of one type stay as separate descriptors where the map had them
    separate (process_unaccepted_memory() is called per descriptor)."""

    __slots__ = ("n", "types")

    def __init__(self, n: int, types: dict[EfiMemoryType, Ranges]) -> None:
        self.n = n
        self.types = {t: r for t, r in sorted(types.items())}

    @classmethod
    def from_descriptors(cls, descs: Iterable[MemoryDescriptor]) -> MemoryMap:
        """One point's map, from a real map's descriptors (sorted, disjoint)."""
        by_type: dict[EfiMemoryType, list[tuple[int, int]]] = {}
        for d in sorted(descs):
            by_type.setdefault(d.type, []).append((d.start, d.end))
        return cls(1, {t: Ranges.disjoint(r) for t, r in by_type.items()})

    def __getitem__(self, t: EfiMemoryType) -> Ranges:
        return self.types.get(t) or Ranges.empty(self.n)

    def union(self, types: Iterable[EfiMemoryType]) -> Ranges:
        present = [self.types[t] for t in sorted(types) if t in self.types]
        if not present:
            return Ranges.empty(self.n)
        out = present[0]
        for r in present[1:]:
            out = out | r
        return out

    def replace(self, **changes: Ranges) -> MemoryMap:
        types = dict(self.types)
        for name, ranges in changes.items():
            types[EfiMemoryType[name]] = ranges
        return MemoryMap(self.n, types)

    @property
    def count(self) -> np.ndarray:
        """Descriptors per point."""
        total = np.zeros(self.n, dtype=np.int64)
        for r in self.types.values():
            total += r.count
        return total

    def descriptors(self, i: int) -> tuple[MemoryDescriptor, ...]:
        """Point i's map as sorted descriptors."""
        return tuple(
            sorted(MemoryDescriptor(s, e, t) for t, r in self.types.items() for s, e in r.point(i))
        )
