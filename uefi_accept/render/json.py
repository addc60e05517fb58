"""JSON: the published contract (`inputs.documents`), one document per result.

Every document carries `kind` and `schema_version`; keys are sorted, indent 2,
trailing newline, no timestamps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from uefi_accept.inputs.documents import dump_json

if TYPE_CHECKING:
    from uefi_accept.analyses.calibration import Validation
    from uefi_accept.analyses.check import CheckReport, FieldChange
    from uefi_accept.analyses.diagnosis import InspectReport
    from uefi_accept.analyses.matrix import CellResult, MatrixResult
    from uefi_accept.analyses.sweep import SweepResult
    from uefi_accept.analyses.upgrades import UpgradeReport
    from uefi_accept.model.profiles import Profile

CHECK_SCHEMA_VERSION = 2  # 2: every figure compared, explanations a class of their own
SWEEP_SCHEMA_VERSION = 2  # 2: no `engine_points` (every point is the engine's)


def run(c: CellResult) -> str:
    from uefi_accept.analyses.matrix import cell_doc

    return dump_json(cell_doc(c))


def matrix(m: MatrixResult) -> str:
    from uefi_accept.analyses.matrix import matrix_doc

    return dump_json(matrix_doc(m))


def _change(c: FieldChange) -> dict[str, Any]:
    return {"path": c.path, "old": c.old, "new": c.new, "direction": str(c.direction)}


def check(r: CheckReport) -> str:
    from uefi_accept.analyses.check import ChangeClass

    files = []
    for f in r.files:
        if f.error is not None:
            files.append(
                {"file": f.source, "error": f.error.one_line(), "changed": False, "updated": False}
            )
            continue
        assert f.scenario is not None
        files.append(
            {
                "file": f.source,
                "changed": f.changed,
                "updated": r.update and f.changed,
                "cells_checked": f.cells_checked,
                "scenario": f.scenario.to_dict(),
                "matrix_changes": [_change(c) for c in f.matrix_changes],
                "changes": [
                    {
                        "firmware": cell.firmware,
                        "kernel": cell.kernel,
                        "figures": [_change(c) for c in cell.of(ChangeClass.FIGURE)],
                        "explanations": [_change(c) for c in cell.of(ChangeClass.EXPLANATION)],
                    }
                    for cell in f.cells
                ],
            }
        )
    return dump_json(
        {
            "schema_version": CHECK_SCHEMA_VERSION,
            "kind": "check",
            "tolerance": r.tolerance,
            "ignore": sorted(r.ignore),
            "update": r.update,
            "changed": bool(r.changed_files),
            "failed": r.failed,
            "errors": len(r.errors),
            "files_checked": len(r.checked),
            "files_changed": len(r.changed_files),
            "cells_checked": r.cells_checked,
            "cells_changed": r.cells_changed,
            "figure_changes": r.count(ChangeClass.FIGURE),
            "explanation_changes": r.count(ChangeClass.EXPLANATION),
            "files": files,
        }
    )


def upgrades(r: UpgradeReport) -> str:
    return dump_json(r.to_dict())


def sweep(r: SweepResult) -> str:
    from uefi_accept.analyses.sweep import PARAMS
    from uefi_accept.model.profiles import profile_to_dict

    scenario = r.scenario.to_dict()
    scenario[PARAMS[r.param][0]] = None  # swept: see "values"
    combos = []
    for c in r.curves:
        b = c.boots
        combos.append(
            {
                "firmware": c.firmware.name,
                "kernel": c.kernel.name,
                "verdict": [str(v) for v in c.verdict_list],
                "boot_time_s": [round(float(x), 6) for x in b.boot_time_s],
                "usable_bytes": b.usable_bytes.tolist(),
                "accepted_bytes": b.accepted_bytes.tolist(),
                "unaccepted_bytes": b.unaccepted_bytes.tolist(),
                "lost_bytes": b.lost_bytes.tolist(),
                "changes": [
                    {
                        "from": str(ch.before),
                        "to": str(ch.after),
                        "last_before": ch.last_before,
                        "first_after": ch.first_after,
                        "reason": ch.reason,
                    }
                    for ch in c.changes
                ],
            }
        )

    def unique(profiles: list[Profile]) -> list[dict[str, Any]]:
        seen: dict[str, Any] = {}
        for p in profiles:
            seen.setdefault(p.name, profile_to_dict(p))
        return list(seen.values())

    return dump_json(
        {
            "schema_version": SWEEP_SCHEMA_VERSION,
            "kind": "sweep",
            "parameter": r.param,
            "scenario": scenario,
            "values": r.values.tolist(),
            "reference_boot_time_s": [round(float(x), 6) for x in r.reference_s],
            "combinations": combos,
            "profiles": {
                "firmware": unique([c.firmware for c in r.curves]),
                "kernel": unique([c.kernel for c in r.curves]),
            },
        }
    )


def validation(v: Validation) -> str:
    rows = [
        {
            "name": r.name,
            "platform": r.platform,
            "conditions": r.conditions,
            "source": r.source,
            "unit": r.unit,
            "measured": r.measured,
            "model": round(r.model, 6),
            "error": round(r.error, 6),
            "tolerance": r.tolerance,
            "ok": r.ok,
        }
        for r in v.rows
    ]
    return dump_json(
        {
            "schema_version": 1,
            "kind": "validation",
            "rows": rows,
            "failed": v.failed,
            "cost_models": {name: msgspec.structs.asdict(m) for name, m in v.cost_models.items()},
        }
    )


def inspect(report: InspectReport) -> str:
    return dump_json(report.to_dict())


def profiles(found: dict[str, tuple[Profile, ...]]) -> str:
    from uefi_accept.model.profiles import profile_to_dict

    data: dict[str, Any] = {"schema_version": 1, "kind": "profiles"}
    for kind, items in found.items():
        data[kind] = [profile_to_dict(p) for p in items]
    return dump_json(data)
