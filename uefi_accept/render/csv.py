"""CSV: one row per sweep point and combination, for spreadsheets and pandas."""

from __future__ import annotations

import csv
from io import StringIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
