"""CSV: one row per sweep point and combination, for spreadsheets and pandas."""

from __future__ import annotations

import csv
from io import StringIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uefi_accept.analyses.compare import CompareResult
    from uefi_accept.analyses.sweep import GridResult, SweepResult

_COLUMN = {"ram": "ram_bytes", "pre_accept": "pre_accept_bytes", "vcpus": "vcpus"}


def sweep(r: SweepResult) -> str:
    out = StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            _COLUMN[r.param],
            "firmware",
            "kernel",
            "verdict",
            "boot_time_s",
            "reference_boot_time_s",
            "usable_bytes",
            "accepted_bytes",
            "unaccepted_bytes",
            "lost_bytes",
        ]
    )
    refs = r.reference_s.tolist()
    for c in r.curves:
        b = c.boots
        columns = zip(
            r.values.tolist(),
            c.verdict_list,
            b.boot_time_s.tolist(),
            refs,
            b.usable_bytes.tolist(),
            b.accepted_bytes.tolist(),
            b.unaccepted_bytes.tolist(),
            b.lost_bytes.tolist(),
            strict=True,
        )
        for x, v, t, ref, usable, accepted, unaccepted, lost in columns:
            w.writerow(
                [
                    x,
                    c.firmware.name,
                    c.kernel.name,
                    str(v),
                    f"{t:.6f}",
                    f"{ref:.6f}",
                    usable,
                    accepted,
                    unaccepted,
                    lost,
                ]
            )
    return out.getvalue()


def grid(r: GridResult) -> str:
    out = StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [_COLUMN[r.x_param], _COLUMN[r.y_param], "firmware", "kernel", "verdict", "boot_time_s"]
        + ["reference_boot_time_s", "usable_bytes"]
    )
    xs, ys = r.x_values.tolist(), r.y_values.tolist()
    for c in r.curves:
        times, usable = c.boot_time_s.tolist(), c.usable_bytes.tolist()
        for iy, y in enumerate(ys):
            for ix, x in enumerate(xs):
                w.writerow(
                    [x, y, c.firmware.name, c.kernel.name, str(c.verdict_at(iy, ix))]
                    + [f"{times[iy][ix]:.6f}", f"{float(r.reference_s[iy, ix]):.6f}"]
                    + [usable[iy][ix]]
                )
    return out.getvalue()


def compare(r: CompareResult) -> str:
    """One row per held profile and RAM size booted: the sampled sizes and the
    sizes either side of each verdict change (`point`: sample or change)."""
    out = StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["ram_bytes", "point", "compared", "a", "b", r.other_side, "judgement", "decided_by"]
        + ["a_verdict", "b_verdict", "a_boot_time_s", "b_boot_time_s", "boot_time_ratio"]
        + ["a_usable_bytes", "b_usable_bytes", "usable_difference_bytes"]
    )
    for h in r.held:
        columns = zip(
            h.ram.tolist(),
            h.sampled.tolist(),
            h.judgements,
            h.decided_by,
            h.a_verdicts,
            h.b_verdicts,
            h.a_boot_time_s.tolist(),
            h.b_boot_time_s.tolist(),
            h.a_usable_bytes.tolist(),
            h.b_usable_bytes.tolist(),
            strict=True,
        )
        for ram, sampled, judgement, decided, av, bv, at, bt, au, bu in columns:
            w.writerow(
                [ram, "sample" if sampled else "change", r.side, r.a.name, r.b.name]
                + [h.held.name, judgement, decided or "", str(av), str(bv)]
                + [f"{at:.6f}", f"{bt:.6f}", f"{bt / at:.6f}" if at > 0 else ""]
                + [au, bu, bu - au]
            )
    return out.getvalue()
