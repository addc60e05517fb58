"""JSON: the published contract (`inputs.documents`), one document per result.

Each function fills its kind's document record and encodes it; the same records
generate the JSON Schemas (`uefi-accept schema KIND`). Every document carries
`kind` and `schema_version`; keys are sorted, indent 2, trailing newline, no
timestamps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from uefi_accept.inputs.documents import (
    CHECK_SCHEMA_VERSION,
    SWEEP_SCHEMA_VERSION,
    VALIDATION_SCHEMA_VERSION,
    BugChangeDoc,
    BuiltinProfilesDoc,
    CellChangesDoc,
    CellFactsDoc,
    CheckDoc,
    CheckedFileDoc,
    FieldChangeDoc,
    GridCombinationDoc,
    GridDoc,
    GridScenarioDoc,
    RunDoc,
    SweepCombinationDoc,
    SweepDoc,
    SweepProfilesDoc,
    SweepScenarioDoc,
    UpgradesDoc,
    UpgradeStepDoc,
    ValidationDoc,
    ValidationRowDoc,
    VerdictChangeDoc,
    dump_json,
)
from uefi_accept.model.scenario import Platform

if TYPE_CHECKING:
    from uefi_accept.analyses.calibration import Validation
    from uefi_accept.analyses.check import CheckReport, FieldChange
    from uefi_accept.analyses.compare import CompareResult, HeldComparison, Interval
    from uefi_accept.analyses.diagnosis import InspectReport
    from uefi_accept.analyses.matrix import CellResult, MatrixResult
    from uefi_accept.analyses.sweep import GridResult, SweepResult
    from uefi_accept.analyses.upgrades import UpgradeReport
    from uefi_accept.model.profiles import Profile


def run(c: CellResult) -> str:
    from uefi_accept.analyses.matrix import cell_doc, handover_map_doc

    return dump_json(
        RunDoc(
            kind="run",
            assumptions=list(c.scenario.assumptions),
            handover_map=handover_map_doc(c.handover_map),
            **msgspec.structs.asdict(cell_doc(c)),
        )
    )


def matrix(m: MatrixResult) -> str:
    from uefi_accept.analyses.matrix import matrix_doc

    return dump_json(matrix_doc(m))


def _change(c: FieldChange) -> FieldChangeDoc:
    return FieldChangeDoc(path=c.path, old=c.old, new=c.new, direction=c.direction.value)


def check(r: CheckReport) -> str:
    from uefi_accept.analyses.check import ChangeClass
    from uefi_accept.analyses.matrix import scenario_doc

    files = []
    for f in r.files:
        if f.error is not None:
            files.append(
                CheckedFileDoc(
                    file=f.source, error=f.error.one_line(), changed=False, updated=False
                )
            )
            continue
        assert f.scenario is not None
        files.append(
            CheckedFileDoc(
                file=f.source,
                changed=f.changed,
                updated=r.update and f.changed,
                cells_checked=f.cells_checked,
                scenario=scenario_doc(f.scenario),
                matrix_changes=[_change(c) for c in f.matrix_changes],
                changes=[
                    CellChangesDoc(
                        firmware=cell.firmware,
                        kernel=cell.kernel,
                        figures=[_change(c) for c in cell.of(ChangeClass.FIGURE)],
                        explanations=[_change(c) for c in cell.of(ChangeClass.EXPLANATION)],
                    )
                    for cell in f.cells
                ],
            )
        )
    return dump_json(
        CheckDoc(
            schema_version=CHECK_SCHEMA_VERSION,
            kind="check",
            tolerance=r.tolerance,
            ignore=sorted(c.value for c in r.ignore),
            update=r.update,
            changed=bool(r.changed_files),
            failed=r.failed,
            errors=len(r.errors),
            files_checked=len(r.checked),
            files_changed=len(r.changed_files),
            cells_checked=r.cells_checked,
            cells_changed=r.cells_changed,
            figure_changes=r.count(ChangeClass.FIGURE),
            explanation_changes=r.count(ChangeClass.EXPLANATION),
            files=files,
        )
    )


def upgrades(r: UpgradeReport) -> str:
    from uefi_accept.analyses.matrix import scenario_doc
    from uefi_accept.analyses.upgrades import cell_facts

    def facts(c: CellResult) -> CellFactsDoc:
        f = cell_facts(c)
        return CellFactsDoc(
            firmware=c.firmware,
            kernel=c.kernel,
            verdict=f.verdict,
            boot_time_s=f.boot_time_s,
            usable_bytes=f.usable_bytes,
            lost_bytes=f.lost_bytes,
        )

    m = r.matrix
    return dump_json(
        UpgradesDoc(
            schema_version=1,
            kind="upgrades",
            scenario=scenario_doc(m.scenario),
            firmware=list(m.firmware),
            kernels=list(m.kernels),
            steps_checked=len(r.steps),
            regression=bool(r.regressions),
            regressions=[
                UpgradeStepDoc(
                    upgraded=s.side,
                    from_=s.old_name,
                    to=s.new_name,
                    held=s.held,
                    worse=list(s.worse),  # type: ignore[arg-type]
                    before=facts(s.before),
                    after=facts(s.after),
                    sentence=s.sentence(),
                )
                for s in r.regressions
            ],
            known_bugs=[
                BugChangeDoc(
                    from_=b.old_kernel,
                    to=b.new_kernel,
                    appear=list(b.appear),  # type: ignore[arg-type]
                    go=list(b.go),  # type: ignore[arg-type]
                    sentence=b.sentence(),
                )
                for b in r.bug_changes
            ],
        )
    )


def sweep(r: SweepResult) -> str:
    from uefi_accept.analyses.sweep import PARAMS

    scenario = r.scenario.to_dict()
    scenario[PARAMS[r.param][0]] = None  # swept: see "values"
    combos = [
        SweepCombinationDoc(
            firmware=c.firmware.name,
            kernel=c.kernel.name,
            verdict=c.verdict_list,
            boot_time_s=[round(float(x), 6) for x in c.boots.boot_time_s],
            usable_bytes=c.boots.usable_bytes.tolist(),
            accepted_bytes=c.boots.accepted_bytes.tolist(),
            unaccepted_bytes=c.boots.unaccepted_bytes.tolist(),
            lost_bytes=c.boots.lost_bytes.tolist(),
            changes=[
                VerdictChangeDoc(
                    from_=ch.before,
                    to=ch.after,
                    last_before=ch.last_before,
                    first_after=ch.first_after,
                    reason=ch.reason,
                )
                for ch in c.changes
            ],
        )
        for c in r.curves
    ]

    def unique(profiles: list[Profile]) -> list[Profile]:
        seen: dict[str, Profile] = {}
        for p in profiles:
            seen.setdefault(p.name, p)
        return list(seen.values())

    return dump_json(
        SweepDoc(
            schema_version=SWEEP_SCHEMA_VERSION,
            kind="sweep",
            parameter=r.param,  # type: ignore[arg-type]
            scenario=msgspec.convert(scenario, SweepScenarioDoc),
            values=r.values.tolist(),
            reference_boot_time_s=[round(float(x), 6) for x in r.reference_s],
            combinations=combos,
            profiles=SweepProfilesDoc(
                firmware=unique([c.firmware for c in r.curves]),  # type: ignore[arg-type]
                kernel=unique([c.kernel for c in r.curves]),  # type: ignore[arg-type]
            ),
        )
    )


def grid(r: GridResult) -> str:
    from uefi_accept.analyses.sweep import PARAMS

    scenario = r.scenario.to_dict()
    for param in (r.x_param, r.y_param):
        scenario[PARAMS[param][0]] = None  # swept: see x_values and y_values
    return dump_json(
        GridDoc(
            schema_version=1,
            kind="grid",
            x_parameter=r.x_param,  # type: ignore[arg-type]
            y_parameter=r.y_param,  # type: ignore[arg-type]
            scenario=msgspec.convert(scenario, GridScenarioDoc),
            x_values=r.x_values.tolist(),
            y_values=r.y_values.tolist(),
            reference_boot_time_s=r.reference_s.round(6).tolist(),
            combinations=[
                GridCombinationDoc(
                    firmware=c.firmware.name,
                    kernel=c.kernel.name,
                    verdict=[
                        [c.verdict_at(iy, ix) for ix in range(r.x_values.size)]
                        for iy in range(r.y_values.size)
                    ],
                    boot_time_s=c.boot_time_s.round(6).tolist(),
                    usable_bytes=c.usable_bytes.tolist(),
                    counts=r.counts(c),
                )
                for c in r.curves
            ],
        )
    )


def validation(v: Validation) -> str:
    return dump_json(
        ValidationDoc(
            schema_version=VALIDATION_SCHEMA_VERSION,
            kind="validation",
            rows=[
                ValidationRowDoc(
                    name=r.name,
                    platform=Platform(r.platform),
                    conditions=r.conditions,
                    source=r.source,
                    unit=r.unit,
                    measured=r.measured,
                    model=round(r.model, 6),
                    error=round(r.error, 6),
                    tolerance=r.tolerance,
                    bound=r.kind,  # type: ignore[arg-type]
                    ok=r.ok,
                    open=r.open,
                )
                for r in v.rows
            ],
            failed=v.failed,
            open=sum(r.open is not None for r in v.rows),
            cost_models={Platform(name): m for name, m in v.cost_models.items()},
        )
    )


def inspect(report: InspectReport) -> str:
    return dump_json(report.to_doc())


def profiles(found: dict[str, tuple[Profile, ...]]) -> str:
    return dump_json(
        BuiltinProfilesDoc(
            schema_version=1,
            kind="profiles",
            firmware=list(found["firmware"]),  # type: ignore[arg-type]
            kernel=list(found["kernel"]),  # type: ignore[arg-type]
        )
    )


# -- compare ----------------------------------------------------------------------------


def compare(r: CompareResult) -> str:
    from uefi_accept.inputs.documents import (
        CompareCountsDoc,
        CompareDoc,
        CompareHeldDoc,
        CompareIntervalDoc,
        CompareSeriesDoc,
        DifferenceRangeDoc,
        RatioRangeDoc,
    )

    scenario = r.scenario.to_dict()
    scenario["ram_bytes"] = None  # swept: see "values"

    def interval(iv: Interval) -> CompareIntervalDoc:
        ratio, diff = iv.time_ratio, iv.usable_difference
        return CompareIntervalDoc(
            judgement=iv.judgement,
            low_bytes=iv.low,
            high_bytes=iv.high,
            low_exact=iv.low_exact,
            high_exact=iv.high_exact,
            a_verdict=iv.a_verdict,
            b_verdict=iv.b_verdict,
            decided_by=list(iv.decided_by),  # type: ignore[arg-type]
            boot_time_ratio=(
                None
                if ratio is None
                else RatioRangeDoc(min=round(ratio[0], 6), max=round(ratio[1], 6))
            ),
            usable_difference_bytes=(
                None if diff is None else DifferenceRangeDoc(min=diff[0], max=diff[1])
            ),
            points=iv.points,
            a_reason=iv.a_reason,
            b_reason=iv.b_reason,
        )

    def held(h: HeldComparison) -> CompareHeldDoc:
        return CompareHeldDoc(
            held=h.held.name,
            worse=h.worse,
            counts=CompareCountsDoc(**h.counts),
            intervals=[interval(iv) for iv in h.intervals],
            ram_bytes=h.ram.tolist(),
            sampled=h.sampled.tolist(),
            judgement=list(h.judgements),
            a=CompareSeriesDoc(
                verdict=list(h.a_verdicts),
                boot_time_s=h.a_boot_time_s.round(6).tolist(),
                usable_bytes=h.a_usable_bytes.tolist(),
            ),
            b=CompareSeriesDoc(
                verdict=list(h.b_verdicts),
                boot_time_s=h.b_boot_time_s.round(6).tolist(),
                usable_bytes=h.b_usable_bytes.tolist(),
            ),
        )

    held_profiles = [h.held for h in r.held]
    firmware, kernel = (
        ([r.a, r.b], held_profiles) if r.side == "firmware" else (held_profiles, [r.a, r.b])
    )
    return dump_json(
        CompareDoc(
            schema_version=1,
            kind="compare",
            compared=r.side,
            a=r.a.name,
            b=r.b.name,
            time_ratio=r.time_ratio,
            scenario=msgspec.convert(scenario, SweepScenarioDoc),
            values=r.values.tolist(),
            worse=r.worse,
            held=[held(h) for h in r.held],
            profiles=SweepProfilesDoc(
                firmware=firmware,  # type: ignore[arg-type]
                kernel=kernel,  # type: ignore[arg-type]
            ),
        )
    )
