"""The VM being booted: one scenario, or a batch of them that differ in RAM,
vCPUs or pre-accepted size (a sweep)."""

from __future__ import annotations

import enum
from typing import Any

import msgspec
import numpy as np

from uefi_accept.model.cost import CostModel
from uefi_accept.units import GiB, MiB

Array = np.ndarray

# The x86-64 physical address limit (MAXPHYADDR 52): no RAM may end above it.
MAX_PHYS_ADDR = 1 << 52
FOUR_GIB = 4 * GiB
# A confidential guest below this does not get to userspace anyway.
MIN_RAM = 128 * MiB
MAX_VCPUS = 4096
SMALL_PAGE = 4096
LARGE_PAGE = 2 * MiB


class Platform(enum.StrEnum):
    SNP = "snp"  # AMD SEV-SNP: PVALIDATE after a page-state change
    TDX = "tdx"  # Intel TDX: TDG.MEM.PAGE.ACCEPT


class Layout(enum.StrEnum):
    Q35 = "q35"  # QEMU q35: 2 GiB below 4 GiB once RAM >= 2816 MiB
    LOW_3G = "low-3g"  # other VMMs: up to 3 GiB below 4 GiB


class Loader(enum.StrEnum):
    EFI_STUB = "efi-stub"
    GRUB = "grub"  # builds e820 itself; unknown types become reserved
    GRUB_LEGACY = "grub-legacy"  # old builds: unknown types fall through to available


# QEMU hw/i386/pc_q35.c: with RAM >= 2816 MiB, 2 GiB go below 4 GiB.
Q35_SPLIT_THRESHOLD = 2816 * MiB


def low_ram(layout: Layout, ram: Any) -> Any:
    """RAM the VMM places below 4 GiB (the rest starts at 4 GiB)."""
    if layout == Layout.Q35:
        return np.where(ram < Q35_SPLIT_THRESHOLD, ram, np.minimum(ram, 2 * GiB))
    return np.minimum(ram, 3 * GiB)


def max_ram(layout: Layout) -> int:
    """The most RAM whose layout still ends at the physical address limit."""
    return MAX_PHYS_ADDR - FOUR_GIB + int(low_ram(layout, MAX_PHYS_ADDR))


class Scenario(msgspec.Struct, frozen=True):
    """One VM: what the user describes with --platform, --ram, --vcpus, ..."""

    platform: Platform = Platform.SNP
    ram_bytes: int = 64 * GiB
    vcpus: int = 4
    layout: Layout = Layout.Q35
    loader: Loader = Loader.EFI_STUB
    # Page size the host backs private memory with. Upstream KVM maps private
    # (guest_memfd) memory at 4 KiB on both platforms: the TDX huge-page series
    # was still out of tree in early 2026, and 2 MiB guest_memfd backing for SNP
    # was not upstream as of 6.11 (AMDESE/AMDSEV issue 225). On TDX it turns
    # each 2 MiB accept into 512 4 KiB ones.
    host_page_size: int = SMALL_PAGE
    # Overrides the firmware's pre-accepted size when it hands memory over unaccepted.
    pre_accept: int | None = None
    slow_ratio: float = 1.5
    degraded_fraction: float = 0.9
    # A boot that reaches userspace later than this is `timeout` (Kata's
    # create_container_timeout, a CI job's limit); None: no deadline.
    deadline_s: float | None = None
    # The host's costs (`--cost-model FILE`); None: the built-in model of the platform.
    cost_model: CostModel | None = None
    # What the user's inputs (a VM definition, a log, a kernel config) left
    # unsaid and the tool assumed: shown with every result, never used by the engine.
    assumptions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]


# The scenario fields a batch may vary from point to point.
POINT_FIELDS = ("ram_bytes", "vcpus", "pre_accept")


class Batch(msgspec.Struct, frozen=True):
    """N scenarios that share everything but RAM, vCPUs and pre-accepted size.

    `base` holds the shared fields; the arrays hold one value per point
    (pre_accept 0: the firmware's own choice)."""

    base: Scenario
    ram_bytes: Array
    vcpus: Array
    pre_accept: Array

    @classmethod
    def of(cls, scenario: Scenario) -> Batch:
        return cls.over(scenario)

    @classmethod
    def over(
        cls, base: Scenario, *, ram: Any = None, vcpus: Any = None, pre_accept: Any = None
    ) -> Batch:
        """Points that take each of ram/vcpus/pre_accept (arrays or scalars,
        broadcast together) from the arguments, or from `base`."""
        arrays = np.broadcast_arrays(
            np.atleast_1d(np.asarray(base.ram_bytes if ram is None else ram, np.int64)),
            np.atleast_1d(np.asarray(base.vcpus if vcpus is None else vcpus, np.int64)),
            np.atleast_1d(
                np.asarray((base.pre_accept or 0) if pre_accept is None else pre_accept, np.int64)
            ),
        )
        ram_b, cpus, pre = (np.array(a, dtype=np.int64) for a in arrays)
        return cls(base, ram_b, cpus, pre)

    @property
    def n(self) -> int:
        return int(self.ram_bytes.size)

    @property
    def platform(self) -> Platform:
        return self.base.platform

    def scenario(self, i: int) -> Scenario:
        """Point i as a plain scenario."""
        return msgspec.structs.replace(
            self.base,
            ram_bytes=int(self.ram_bytes[i]),
            vcpus=int(self.vcpus[i]),
            pre_accept=int(self.pre_accept[i]) or None,
        )
