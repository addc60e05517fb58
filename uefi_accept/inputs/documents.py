"""The JSON documents uefi-accept writes and reads back: the published contract.

Each document is a msgspec Struct; writers fill them, `check` validates saved
matrices against them, and `uefi-accept schema KIND` prints their JSON Schema
(`inputs.schemas`, generated from these classes). JSON is written with sorted
keys, indent 2 and a trailing newline, with no timestamps: the same input
gives the same bytes. Every document names its `kind` and `schema_version`;
each kind has its own version. Fields are only added within a schema version;
a rename, a removal or a changed meaning bumps it.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

import msgspec
from msgspec import Meta

from uefi_accept.model.cost import CostModel
from uefi_accept.model.memmap import EfiMemoryType
from uefi_accept.model.outcome import Verdict
from uefi_accept.model.profiles import FirmwareProfile, KernelProfile
from uefi_accept.model.scenario import (
    MAX_PHYS_ADDR,
    MAX_VCPUS,
    MIN_RAM,
    Layout,
    Loader,
    Platform,
)

# The matrix and run documents (and every kind without its own constant below).
SCHEMA_VERSION: Final = 1
CHECK_SCHEMA_VERSION: Final = 2  # 2: every figure compared, explanations a class of their own
SWEEP_SCHEMA_VERSION: Final = 2  # 2: no `engine_points` (every point is the engine's)
# 2: rows may be bounds (`bound`) or open disagreements (`open`), which `failed` skips
VALIDATION_SCHEMA_VERSION: Final = 2

# Bounds that keep every figure finite and every size within int64.
Bytes = Annotated[int, Meta(ge=0, le=(1 << 63) - 1)]
Seconds = Annotated[float, Meta(ge=0.0, le=1e12)]
Ratio = Annotated[float, Meta(gt=1.0, le=1e6)]
Fraction = Annotated[float, Meta(gt=0.0, le=1.0)]
Count = Annotated[int, Meta(ge=0)]
RamBytes = Annotated[int, Meta(ge=MIN_RAM, le=1 << 52)]
Vcpus = Annotated[int, Meta(ge=1, le=MAX_VCPUS)]
PreAcceptBytes = Annotated[int, Meta(ge=1, le=1 << 52)]
FirmwareName = Annotated[str, Meta(description="The firmware profile's name.")]
KernelName = Annotated[str, Meta(description="The kernel profile's name.")]
VerdictField = Annotated[
    Verdict,
    Meta(
        description="The boot's verdict: slow is judged by the scenario's slow_ratio, "
        "degraded by its degraded_fraction."
    ),
]


_KIND = Meta(description="What this document is; with schema_version, how to read it.")
Assumptions = Annotated[
    list[str],
    Meta(
        description="What the inputs (--vm, --memmap, --kernel-config) left unsaid and was "
        "assumed, one sentence each; empty when nothing was."
    ),
]


def _version(n: int, kind: str) -> Any:
    """A `schema_version` field's meta: which version of which document."""
    return Meta(description=f"The {kind} schema, version {n}: bumped on an incompatible change.")


# -- the matrix and run documents ------------------------------------------------------


class ScenarioDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The VM every cell boots: what --platform, --ram, --vcpus and the other scenario
    options describe."""

    platform: Annotated[Platform, Meta(description="snp (AMD SEV-SNP) or tdx (Intel TDX).")]
    ram_bytes: Annotated[RamBytes, Meta(description="Guest RAM in bytes.")]
    vcpus: Annotated[Vcpus, Meta(description="Guest vCPUs.")]
    layout: Annotated[
        Layout,
        Meta(description="Guest physical layout: q35 (2 GiB below 4 GiB) or low-3g (3 GiB)."),
    ]
    loader: Annotated[
        Loader,
        Meta(description="What builds the kernel's e820: the EFI stub, GRUB, or an old GRUB."),
    ]
    host_page_size: Annotated[
        Literal[4096, 2097152],
        Meta(description="Page size in bytes the host backs private memory with."),
    ]
    pre_accept: Annotated[
        PreAcceptBytes | None,
        Meta(
            description="Bytes pre-accepted from address 0, overriding the firmware's own "
            "choice; null: each firmware's own."
        ),
    ]
    slow_ratio: Annotated[
        Ratio, Meta(description="A boot is slow at this many times the reference boot time.")
    ]
    degraded_fraction: Annotated[
        Fraction, Meta(description="A boot is degraded below this fraction of RAM usable.")
    ]
    deadline_s: Annotated[
        Annotated[float, Meta(gt=0.0, le=1e9)] | None,
        Meta(
            description="A boot that reaches userspace later than this many seconds is a "
            "timeout; null: no deadline."
        ),
    ] = None
    cost_model: Annotated[
        CostModel | None,
        Meta(
            description="The host's cost constants (--cost-model FILE); null: the built-in "
            "model of the platform."
        ),
    ] = None
    assumptions: Assumptions = []


class EventDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One step of a boot's timeline."""

    t_s: Annotated[Seconds, Meta(description="Start, in seconds from power-on.")]
    duration_s: Annotated[Seconds, Meta(description="Duration in seconds.")]
    bytes: Annotated[Bytes, Meta(description="Bytes the step accepted, reserved or lost.")]
    step: Annotated[str, Meta(description="Who acts: firmware, stub, kernel, ...")]
    what: Annotated[str, Meta(description="What happens, as a sentence.")]


class CellDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One firmware x kernel combination: each matrix cell (and, with `kind`, the
    `run` document)."""

    schema_version: Annotated[Literal[1], _version(1, "matrix and run")]
    platform: Annotated[Platform, Meta(description="snp or tdx.")]
    firmware: FirmwareName
    kernel: KernelName
    loader: Annotated[Loader, Meta(description="What built the kernel's e820.")]
    ram_bytes: Annotated[Bytes, Meta(description="Guest RAM in bytes.")]
    vcpus: Annotated[Vcpus, Meta(description="Guest vCPUs.")]
    verdict: VerdictField
    reason: Annotated[str, Meta(description="Why this verdict, as a sentence.")]
    boot_time_s: Annotated[Seconds, Meta(description="Modelled boot time to userspace, seconds.")]
    reference_boot_time_s: Annotated[
        Seconds,
        Meta(description="The same VM booted with lazy acceptance: what slow is measured against."),
    ]
    usable_bytes: Annotated[Bytes, Meta(description="RAM the kernel can use.")]
    accepted_bytes: Annotated[Bytes, Meta(description="RAM accepted by the end of boot.")]
    unaccepted_bytes: Annotated[Bytes, Meta(description="RAM still unaccepted (accepted lazily).")]
    lost_bytes: Annotated[Bytes, Meta(description="RAM the guest never gets to use.")]
    firmware_reserved_bytes: Annotated[
        Bytes, Meta(description="RAM the firmware keeps for itself.")
    ]
    # Left out of matrix cells that `check` reports without their timeline.
    events: (
        Annotated[list[EventDoc], Meta(description="The boot's timeline, in order.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class MemoryDescriptorDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One EFI memory map descriptor of a real hand-over map, as the engine keeps it
    (the attributes play no part in the model and are not kept)."""

    type: Annotated[
        EfiMemoryType,
        Meta(
            description="EFI_MEMORY_TYPE: 7 conventional, 3/4 boot services, 6 runtime "
            "data, 9/10 ACPI, 15 unaccepted (EfiUnacceptedMemoryType, UEFI 2.9), ..."
        ),
    ]
    start: Annotated[
        int, Meta(ge=0, lt=MAX_PHYS_ADDR, description="PhysicalStart: first byte, an address.")
    ]
    size: Annotated[
        int,
        Meta(
            ge=1,
            le=MAX_PHYS_ADDR,
            description="Bytes (NumberOfPages x 4 KiB; as the log printed it, if unaligned).",
        ),
    ]


_HANDOVER_MAP = Meta(
    min_length=1,
    description="The real EFI memory map the firmware handed over (--memmap LOG), in "
    "address order: the model boots over it, and `check` recomputes with it. Absent: "
    "the model's own layout and map.",
)


class RunDoc(CellDoc, kw_only=True):
    """`run --format json`: one firmware x kernel combination."""

    kind: Annotated[Literal["run"], _KIND]
    assumptions: Assumptions = []
    handover_map: Annotated[list[MemoryDescriptorDoc], _HANDOVER_MAP] | msgspec.UnsetType = (
        msgspec.UNSET
    )


# The full content of a profile, or a built-in's bare name (which follows the
# built-in). Read back by `inputs.golden`, which validates each entry as a profile;
# the schema points at the profile's own definition.
_FirmwareEntry = Annotated[
    dict[str, Any], Meta(extra_json_schema={"$ref": "#/$defs/FirmwareProfile"})
]
_KernelEntry = Annotated[dict[str, Any], Meta(extra_json_schema={"$ref": "#/$defs/KernelProfile"})]
_BUILTIN_REF = Meta(description="A built-in profile's name: the file follows the built-in.")


class ProfilesDoc(msgspec.Struct, forbid_unknown_fields=True):
    """Every profile the matrix used: full content, or a bare built-in name that follows
    the built-in."""

    firmware: Annotated[
        list[_FirmwareEntry | Annotated[str, _BUILTIN_REF]],
        Meta(description="One per firmware row, in order."),
    ]
    kernel: Annotated[
        list[_KernelEntry | Annotated[str, _BUILTIN_REF]],
        Meta(description="One per kernel column, in order."),
    ]


class MatrixDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`matrix --format json`: what `check` reads back as a golden file."""

    schema_version: Annotated[Literal[1], _version(1, "matrix")]
    kind: Annotated[Literal["matrix"], _KIND]
    scenario: ScenarioDoc
    reference_boot_time_s: Annotated[
        Seconds, Meta(description="The scenario booted with lazy acceptance, seconds.")
    ]
    firmware: Annotated[list[str], Meta(description="Firmware rows, in order.")]
    kernels: Annotated[list[str], Meta(description="Kernel columns, in order.")]
    cells: Annotated[list[CellDoc], Meta(description="One per firmware x kernel, row by row.")]
    profiles: ProfilesDoc
    handover_map: Annotated[list[MemoryDescriptorDoc], _HANDOVER_MAP] | msgspec.UnsetType = (
        msgspec.UNSET
    )


# -- check ------------------------------------------------------------------------------

Direction = Literal["regression", "improvement", "change"]
ChangeClass = Literal["figure", "explanation"]


class FieldChangeDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One stored figure or sentence that differs from the recomputed one."""

    path: Annotated[
        str, Meta(description='The field: "accepted_bytes", "events[3].duration_s", "reason".')
    ]
    old: Annotated[Any, Meta(description="The stored value (null: absent).")]
    new: Annotated[Any, Meta(description="The recomputed value (null: absent).")]
    direction: Annotated[
        Direction, Meta(description="regression or improvement where better is clear.")
    ]


class CellChangesDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The changes of one cell, by class."""

    firmware: FirmwareName
    kernel: KernelName
    figures: Annotated[
        list[FieldChangeDoc], Meta(description="Numbers, the verdict, the timeline's steps.")
    ]
    explanations: Annotated[
        list[FieldChangeDoc], Meta(description="Sentences: the reason, an event's text.")
    ]


class CheckedFileDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One golden file: its changes, or (with `error`) why it could not be checked."""

    file: Annotated[str, Meta(description="The file as named on the command line.")]
    changed: Annotated[bool, Meta(description="A stored figure or sentence changed.")]
    updated: Annotated[bool, Meta(description="--update rewrote the file.")]
    error: Annotated[str, Meta(description="The file's problem, one line.")] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    cells_checked: Annotated[Count, Meta(description="Cells recomputed.")] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    scenario: ScenarioDoc | msgspec.UnsetType = msgspec.UNSET
    matrix_changes: (
        Annotated[list[FieldChangeDoc], Meta(description="Changes of the whole matrix's figures.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    changes: (
        Annotated[list[CellChangesDoc], Meta(description="The cells that changed.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


# A file is either an error or a checked file, never both.
_FILE_ONE_OF = Meta(
    extra_json_schema={
        "oneOf": [
            {"required": ["error"]},
            {"required": ["cells_checked", "scenario", "matrix_changes", "changes"]},
        ]
    }
)


class CheckDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`check --format json`: saved matrices recomputed and compared figure by figure."""

    schema_version: Annotated[Literal[2], _version(CHECK_SCHEMA_VERSION, "check")]
    kind: Annotated[Literal["check"], _KIND]
    tolerance: Annotated[
        float, Meta(ge=0.0, description="Relative change of a time still counted as equal.")
    ]
    ignore: Annotated[
        list[ChangeClass], Meta(description="Change classes reported but not failed on.")
    ]
    update: Annotated[bool, Meta(description="--update: changed files were rewritten.")]
    changed: Annotated[bool, Meta(description="Some file changed.")]
    failed: Annotated[bool, Meta(description="A change in a class not ignored: exit code 1.")]
    errors: Annotated[Count, Meta(description="Files that could not be checked.")]
    files_checked: Annotated[Count, Meta(description="Files checked.")]
    files_changed: Annotated[Count, Meta(description="Files with a change.")]
    cells_checked: Annotated[Count, Meta(description="Cells recomputed.")]
    cells_changed: Annotated[Count, Meta(description="Cells with a change.")]
    figure_changes: Annotated[Count, Meta(description="Changed figures.")]
    explanation_changes: Annotated[Count, Meta(description="Changed sentences.")]
    files: list[Annotated[CheckedFileDoc, _FILE_ONE_OF]]


# -- upgrades ---------------------------------------------------------------------------


class CellFactsDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The facts of one cell an upgrade step compares."""

    firmware: FirmwareName
    kernel: KernelName
    verdict: VerdictField
    boot_time_s: Annotated[Seconds, Meta(description="Boot time, seconds (3 decimals).")]
    usable_bytes: Annotated[Bytes, Meta(description="RAM the kernel can use.")]
    lost_bytes: Annotated[Bytes, Meta(description="RAM the guest never gets to use.")]


class UpgradeStepDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Upgrading one side of a combination, and what got worse."""

    upgraded: Annotated[
        Literal["kernel", "firmware"], Meta(description="The side that is upgraded.")
    ]
    from_: Annotated[str, Meta(description="The profile before the upgrade.")] = msgspec.field(
        name="from"
    )
    to: Annotated[str, Meta(description="The profile after the upgrade.")]
    held: Annotated[str, Meta(description="The other side's profile, unchanged.")]
    worse: Annotated[
        list[Literal["verdict", "usable_bytes", "boot_time_s"]],
        Meta(description="What got worse: the verdict, usable memory, or boot time."),
    ]
    before: CellFactsDoc
    after: CellFactsDoc
    sentence: Annotated[str, Meta(description="The step, what changed and why.")]


KnownBug = Annotated[
    Literal["accept_storm", "hotplug_accept_deadlock", "table_reservation"],
    Meta(description="A known kernel bug, by the kernel-profile field that models it."),
]


class BugChangeDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A kernel upgrade that brings in or leaves behind known bugs, whether or not
    this VM's figures move."""

    from_: Annotated[str, Meta(description="The kernel before the upgrade.")] = msgspec.field(
        name="from"
    )
    to: Annotated[str, Meta(description="The kernel after the upgrade.")]
    appear: Annotated[list[KnownBug], Meta(description="Bugs the new kernel brings in.")]
    go: Annotated[list[KnownBug], Meta(description="Bugs the new kernel leaves behind.")]
    sentence: Annotated[str, Meta(description="The change, with the bugs' commits.")]


class UpgradesDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`upgrades --format json`: each upgrade step of the matrix, and its regressions."""

    schema_version: Annotated[Literal[1], _version(1, "upgrades")]
    kind: Annotated[Literal["upgrades"], _KIND]
    scenario: ScenarioDoc
    firmware: Annotated[list[str], Meta(description="Firmware, in upgrade order.")]
    kernels: Annotated[list[str], Meta(description="Kernels, in upgrade order.")]
    steps_checked: Annotated[Count, Meta(description="Upgrade steps compared.")]
    regression: Annotated[bool, Meta(description="Some step made a boot worse: exit code 1.")]
    regressions: Annotated[list[UpgradeStepDoc], Meta(description="The steps that made it worse.")]
    known_bugs: Annotated[
        list[BugChangeDoc],
        Meta(description="Kernel upgrades that bring in or leave behind known bugs."),
    ] = []


# -- sweep ------------------------------------------------------------------------------


class SweepScenarioDoc(ScenarioDoc, kw_only=True):
    """The scenario; the swept field is null (see `values`)."""

    # msgspec lets a subclass redefine a field; mypy does not know.
    ram_bytes: Annotated[RamBytes | None, Meta(description="Guest RAM in bytes; null: swept.")]  # type: ignore[assignment]
    vcpus: Annotated[Vcpus | None, Meta(description="Guest vCPUs; null: swept.")]  # type: ignore[assignment]


class VerdictChangeDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where the verdict changes between two adjacent values (1 MiB or 1 vCPU apart)."""

    from_: Annotated[Verdict, Meta(description="The verdict up to last_before.")] = msgspec.field(
        name="from"
    )
    to: Annotated[Verdict, Meta(description="The verdict from first_after.")]
    last_before: Annotated[int, Meta(description="The last value with the old verdict.")]
    first_after: Annotated[int, Meta(description="The first value with the new verdict.")]
    reason: Annotated[str, Meta(description="Why, at first_after.")]


class SweepCombinationDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One firmware x kernel combination across the sweep: one entry per value."""

    firmware: FirmwareName
    kernel: KernelName
    verdict: list[VerdictField]
    boot_time_s: Annotated[list[Seconds], Meta(description="Boot time, seconds.")]
    usable_bytes: Annotated[list[Bytes], Meta(description="RAM the kernel can use.")]
    accepted_bytes: Annotated[list[Bytes], Meta(description="RAM accepted by the end of boot.")]
    unaccepted_bytes: Annotated[list[Bytes], Meta(description="RAM still unaccepted.")]
    lost_bytes: Annotated[list[Bytes], Meta(description="RAM the guest never gets to use.")]
    changes: Annotated[list[VerdictChangeDoc], Meta(description="Every verdict change.")]


class SweepProfilesDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The full content of every profile the sweep used."""

    firmware: list[FirmwareProfile]
    kernel: list[KernelProfile]


class SweepDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`sweep --format json`: every combination at every value of one parameter."""

    schema_version: Annotated[Literal[2], _version(SWEEP_SCHEMA_VERSION, "sweep")]
    kind: Annotated[Literal["sweep"], _KIND]
    parameter: Annotated[
        Literal["ram", "pre_accept", "vcpus"], Meta(description="The swept parameter.")
    ]
    scenario: SweepScenarioDoc
    values: Annotated[
        list[int], Meta(description="The parameter's values: bytes, or vCPUs; increasing.")
    ]
    reference_boot_time_s: Annotated[
        list[Seconds], Meta(description="The lazy-acceptance reference at each value.")
    ]
    combinations: list[SweepCombinationDoc]
    profiles: SweepProfilesDoc


class GridCombinationDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One firmware x kernel combination over the grid: rows follow `y_values`,
    columns `x_values`."""

    firmware: FirmwareName
    kernel: KernelName
    verdict: Annotated[
        list[list[Verdict]], Meta(description="The verdict at each VM shape (rows: y_values).")
    ]
    boot_time_s: Annotated[list[list[Seconds]], Meta(description="Boot time, seconds.")]
    usable_bytes: Annotated[list[list[Bytes]], Meta(description="RAM the kernel can use.")]
    counts: Annotated[
        dict[Verdict, Count], Meta(description="How many VM shapes got each verdict.")
    ]


class GridScenarioDoc(ScenarioDoc, kw_only=True):
    """The scenario; the two swept fields are null (see `x_values`, `y_values`)."""

    ram_bytes: Annotated[RamBytes | None, Meta(description="Guest RAM in bytes; null: swept.")]  # type: ignore[assignment]
    vcpus: Annotated[Vcpus | None, Meta(description="Guest vCPUs; null: swept.")]  # type: ignore[assignment]


SweptParameter = Annotated[
    Literal["ram", "pre_accept", "vcpus"], Meta(description="A swept parameter.")
]


class GridDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`sweep --format json` over two parameters: every combination at every VM shape."""

    schema_version: Annotated[Literal[1], _version(1, "grid")]
    kind: Annotated[Literal["grid"], _KIND]
    x_parameter: SweptParameter
    y_parameter: SweptParameter
    scenario: GridScenarioDoc
    x_values: Annotated[list[int], Meta(description="Columns: bytes, or vCPUs; increasing.")]
    y_values: Annotated[list[int], Meta(description="Rows: bytes, or vCPUs; increasing.")]
    reference_boot_time_s: Annotated[
        list[list[Seconds]], Meta(description="The lazy-acceptance reference at each shape.")
    ]
    combinations: list[GridCombinationDoc]


# -- validate ---------------------------------------------------------------------------


class ValidationRowDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A published measurement against the model's figure for it."""

    name: Annotated[str, Meta(description="The measurement.")]
    platform: Annotated[Platform, Meta(description="snp or tdx.")]
    conditions: Annotated[str, Meta(description="The conditions it was measured under.")]
    source: Annotated[str, Meta(description="Who published it, where and when.")]
    unit: Annotated[str, Meta(description="s (seconds) or x (a ratio).")]
    measured: Annotated[float, Meta(description="The published figure.")]
    model: Annotated[float, Meta(description="The model's figure.")]
    error: Annotated[float, Meta(description="(model - measured) / measured.")]
    tolerance: Annotated[float, Meta(ge=0.0, description="The largest |error| allowed.")]
    bound: Annotated[
        Literal["value", "at-least", "at-most"],
        Meta(
            description="value: the figure itself; at-least / at-most: the measurement is a "
            "bound (a boot that took longer than, or finished within), so only an error "
            "on the wrong side counts."
        ),
    ]
    ok: Annotated[bool, Meta(description="Within tolerance (on the bound's side).")]
    open: Annotated[
        str | None,
        Meta(
            description="A known disagreement between mechanism and figure, explained: "
            "reported, not counted in `failed`; null for an ordinary row."
        ),
    ]


class ValidationDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`validate --format json`: the model against published measurements."""

    schema_version: Annotated[Literal[2], _version(VALIDATION_SCHEMA_VERSION, "validation")]
    kind: Annotated[Literal["validation"], _KIND]
    rows: list[ValidationRowDoc]
    failed: Annotated[
        Count, Meta(description="Rows off their tolerance that are not open: exit code 1.")
    ]
    open: Annotated[Count, Meta(description="Open rows: known, explained disagreements.")]
    cost_models: Annotated[
        dict[Platform, CostModel], Meta(description="Each platform's cost model.")
    ]


# -- inspect ----------------------------------------------------------------------------

# analyses.diagnosis.Verdict's values (tests/test_schema.py keeps them equal).
InspectVerdict = Literal[
    "healthy-lazy", "lost-memory", "crash-risk", "accepted-by-firmware", "no-unaccepted", "unknown"
]
_SizeOrNull = Bytes | None


class LogWarningDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A line of the log the parser worked around."""

    line: Annotated[Count, Meta(description="Line number in the log.")]
    message: Annotated[str, Meta(description="What was wrong with it.")]


class InspectDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`inspect --format json`: what one boot log says about unaccepted memory.
    Sizes are bytes; null where the log does not say."""

    accept_memory: Annotated[
        str | None, Meta(description="accept_memory= on the kernel command line.")
    ]
    diagnosis: Annotated[str, Meta(description="What happened, and why, in sentences.")]
    firmware: Annotated[str | None, Meta(description="The firmware the log names.")]
    kernel_supports_unaccepted: Annotated[
        bool | None, Meta(description="The kernel takes type 15 memory, where the log shows it.")
    ]
    kernel_version: Annotated[str | None, Meta(description="From the Linux version line.")]
    kind: Annotated[Literal["inspect"], _KIND]
    lost_bytes: Annotated[
        _SizeOrNull, Meta(description="Unaccepted memory the kernel did not take.")
    ]
    meminfo_total_bytes: Annotated[_SizeOrNull, Meta(description="MemTotal of /proc/meminfo.")]
    meminfo_unaccepted_bytes: Annotated[
        _SizeOrNull, Meta(description="Unaccepted of /proc/meminfo.")
    ]
    memory_line_total_bytes: Annotated[
        _SizeOrNull, Meta(description="The total of the kernel's Memory: line.")
    ]
    platform: Annotated[
        str | None, Meta(description="The guest platform the log shows: snp, sev-es, sev, tdx.")
    ]
    ram_basis: Annotated[
        Literal["efi", "e820"] | None, Meta(description="Where ram_by_type comes from.")
    ]
    ram_by_type: Annotated[
        dict[str, Bytes], Meta(description="Bytes per memory type of the EFI map (or e820).")
    ]
    ram_bytes: Annotated[_SizeOrNull, Meta(description="The guest's RAM, by the map.")]
    remedy: Annotated[
        str | None,
        Meta(
            description="For lost-memory and crash-risk (exit code 1): the kernel or "
            "firmware change that fixes it, in sentences; null otherwise."
        ),
    ] = None
    remedy_command: Annotated[
        str | None,
        Meta(
            description="The `uefi-accept run --memmap LOG --kernel enlightened` command "
            "that boots this log's memory map with a kernel that supports unaccepted "
            "memory, when the model boots it better so; null without a bootable map."
        ),
    ] = None
    schema_version: Annotated[Literal[1], _version(1, "inspect")]
    source: Annotated[str, Meta(description="The log file.")]
    unaccepted_bytes: Annotated[_SizeOrNull, Meta(description="Type 15 memory in the EFI map.")]
    unsupported_message: Annotated[
        bool, Meta(description="The kernel said it cannot handle unaccepted memory.")
    ]
    usable_basis: Annotated[
        Literal["e820", "memory-line", "meminfo"] | None,
        Meta(description="Where usable_bytes comes from."),
    ]
    usable_bytes: Annotated[_SizeOrNull, Meta(description="RAM the kernel can use.")]
    verdict: Annotated[InspectVerdict, Meta(description="What happened to unaccepted memory.")]
    warnings: list[LogWarningDoc]


# -- profiles ---------------------------------------------------------------------------


class BuiltinProfilesDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`profiles --format json`: the built-in firmware and kernel profiles."""

    schema_version: Annotated[Literal[1], _version(1, "profiles")]
    kind: Annotated[Literal["profiles"], _KIND]
    firmware: list[FirmwareProfile]
    kernel: list[KernelProfile]


# -- compare ----------------------------------------------------------------------------

CompareJudgement = Annotated[
    Literal["better", "worse", "same"],
    Meta(
        description="B against A: by verdict first (fast < slow < degraded < timeout < oom "
        "< crash), then usable memory, then boot time beyond time_ratio; two crashes are "
        "the same."
    ),
]


class RatioRangeDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The smallest and the largest of B's boot time over A's."""

    min: Annotated[float, Meta(ge=0.0, description="The smallest ratio.")]
    max: Annotated[float, Meta(ge=0.0, description="The largest ratio.")]


class DifferenceRangeDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The smallest and the largest of B's usable bytes minus A's (negative: B has less)."""

    min: Annotated[int, Meta(description="The smallest difference, bytes.")]
    max: Annotated[int, Meta(description="The largest difference, bytes.")]


class CompareIntervalDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """RAM sizes from low_bytes to high_bytes (both booted) where B stands the same way
    against A, with the same two verdicts."""

    judgement: CompareJudgement
    low_bytes: Annotated[Bytes, Meta(description="The interval's smallest RAM size, bytes.")]
    high_bytes: Annotated[Bytes, Meta(description="The interval's largest RAM size, bytes.")]
    low_exact: Annotated[
        bool,
        Meta(
            description="low_bytes is the range's first value or lies next to the previous "
            "interval's high_bytes (1 MiB apart); false: a sampled point, the change lies "
            "somewhere between the two."
        ),
    ]
    high_exact: Annotated[
        bool,
        Meta(description="The same for high_bytes and the next interval's low_bytes."),
    ]
    a_verdict: VerdictField
    b_verdict: VerdictField
    decided_by: Annotated[
        list[Literal["verdict", "usable_bytes", "boot_time_s"]],
        Meta(
            description="What made B better or worse at the interval's points, in order of "
            "precedence; empty when the same."
        ),
    ]
    boot_time_ratio: Annotated[
        RatioRangeDoc | None,
        Meta(
            description="B's boot time over A's at the interval's points where neither "
            "crashed; null: a crash at every point."
        ),
    ]
    usable_difference_bytes: Annotated[
        DifferenceRangeDoc | None,
        Meta(
            description="B's usable bytes minus A's at the interval's points where neither "
            "crashed; null: a crash at every point."
        ),
    ]
    points: Annotated[
        Count, Meta(description="Points booted in the interval, sampled or change points.")
    ]
    a_reason: Annotated[str, Meta(description="Why A has its verdict, at low_bytes.")]
    b_reason: Annotated[str, Meta(description="Why B has its verdict, at low_bytes.")]


class CompareSeriesDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One side's boot at every RAM size of the held profile's ram_bytes."""

    verdict: list[VerdictField]
    boot_time_s: Annotated[list[Seconds], Meta(description="Boot time, seconds.")]
    usable_bytes: Annotated[list[Bytes], Meta(description="RAM the kernel can use.")]


class CompareCountsDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """At how many of the sampled RAM sizes (`values`) B is better, worse, the same."""

    better: Annotated[Count, Meta(description="Sampled points where B is better.")]
    worse: Annotated[Count, Meta(description="Sampled points where B is worse.")]
    same: Annotated[Count, Meta(description="Sampled points where B is the same.")]


class CompareHeldDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A against B under one profile of the other side."""

    held: Annotated[
        str,
        Meta(
            description="The held profile's name: a kernel when firmware is compared, a "
            "firmware when kernels are."
        ),
    ]
    worse: Annotated[bool, Meta(description="B is worse than A somewhere under this profile.")]
    counts: CompareCountsDoc
    intervals: Annotated[
        list[CompareIntervalDoc],
        Meta(description="Consecutive intervals, from the smallest RAM size to the largest."),
    ]
    ram_bytes: Annotated[
        list[int],
        Meta(
            description="Every RAM size booted, increasing: the sampled values and the "
            "sizes either side of each verdict change."
        ),
    ]
    sampled: Annotated[
        list[bool], Meta(description="Per ram_bytes entry: one of the sampled values.")
    ]
    judgement: Annotated[list[CompareJudgement], Meta(description="Per ram_bytes entry.")]
    a: CompareSeriesDoc
    b: CompareSeriesDoc


class CompareDoc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`compare --format json`: two firmware builds, or two kernels, across a RAM range,
    under each profile of the other side."""

    schema_version: Annotated[Literal[1], _version(1, "compare")]
    kind: Annotated[Literal["compare"], _KIND]
    compared: Annotated[
        Literal["firmware", "kernel"],
        Meta(description="What A and B are; profiles of the other side are held."),
    ]
    a: Annotated[str, Meta(description="Profile A's name: the baseline.")]
    b: Annotated[str, Meta(description="Profile B's name: judged against A.")]
    time_ratio: Annotated[
        float,
        Meta(ge=1.0, le=1e6, description="A boot-time difference counts beyond this ratio."),
    ]
    scenario: SweepScenarioDoc
    values: Annotated[list[int], Meta(description="The sampled RAM sizes, bytes; increasing.")]
    worse: Annotated[
        bool, Meta(description="B is worse than A somewhere: exit code 1 with --fail-if-worse.")
    ]
    held: Annotated[
        list[CompareHeldDoc], Meta(description="One per held profile, in the order given.")
    ]
    profiles: SweepProfilesDoc


# Every output kind: its document and schema version (`uefi-accept schema KIND`).
DOCUMENTS: dict[str, tuple[type[msgspec.Struct], int]] = {
    "run": (RunDoc, SCHEMA_VERSION),
    "matrix": (MatrixDoc, SCHEMA_VERSION),
    "check": (CheckDoc, CHECK_SCHEMA_VERSION),
    "upgrades": (UpgradesDoc, 1),
    "sweep": (SweepDoc, SWEEP_SCHEMA_VERSION),
    "validation": (ValidationDoc, VALIDATION_SCHEMA_VERSION),
    "inspect": (InspectDoc, 1),
    "profiles": (BuiltinProfilesDoc, 1),
    "grid": (GridDoc, 1),
    "compare": (CompareDoc, 1),
}


def to_data(doc: Any) -> Any:
    """Plain JSON data (unset optional fields left out, enums as strings)."""
    return msgspec.to_builtins(doc)


_ENCODER = msgspec.json.Encoder(order="sorted")


def dump_json(data: Any) -> str:
    """The contract's bytes: sorted keys, indent 2, trailing newline (msgspec's
    encoder: the standard library's indents in pure Python, 20x slower)."""
    return msgspec.json.format(_ENCODER.encode(data), indent=2).decode("utf-8") + "\n"
