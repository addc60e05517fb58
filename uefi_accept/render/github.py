"""GitHub Actions workflow commands: annotations on the run and the pull request.

One line per finding: `::error` for a changed cell whose figures count, a
regression, a measurement off its tolerance or an unreadable file;
`::warning` for a cell whose only changes are explanations (sentences) or of
an ignored class, and for a measurement off its tolerance for a known, stated
reason (an open disagreement); then one `::notice` with the summary. Values are escaped as
actions/toolkit does (packages/core/src/command.ts): in the message `%`, CR
and LF become %25, %0D, %0A; in properties `:` and `,` also become %3A and
%2C. So a golden file's content can never start a command line of its own.
GitHub shows at most 10 errors and 10 warnings per step as annotations (every
line stays in the log); the notice always carries the totals.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from uefi_accept.render.blocks import plain
from uefi_accept.render.junit import (
    CellFinding,
    change_detail,
    change_line,
    file_findings,
    off_tolerance,
    open_reason,
)

if TYPE_CHECKING:
    from uefi_accept.analyses.calibration import Validation
    from uefi_accept.analyses.check import CheckReport, FileCheck
    from uefi_accept.analyses.upgrades import UpgradeReport


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """`::name key=value,...::message`, properties in the order given."""
    given = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None]
    return f"::{name}{' ' + ','.join(given) if given else ''}::{escape_data(message)}"


def _lines(commands: list[str]) -> str:
    return "".join(c + "\n" for c in commands)


# -- check ----------------------------------------------------------------------------------

_KEY = re.compile(r'^(\s*)"(firmware|kernel|reference_boot_time_s)":\s*(.*?),?\s*$')


def _locations(raw: bytes) -> dict[tuple[str, str] | str, int]:
    """The line of each cell (its `"firmware"` key) and of the matrix's reference
    boot time in a golden file as `matrix --format json` writes it (one key per
    line); nothing for a file laid out otherwise, which then gets no line."""
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return {}
    found: dict[tuple[str, str] | str, int] = {}
    pending: tuple[str, str, int] | None = None  # indent, firmware, line
    for number, line in enumerate(lines, 1):
        m = _KEY.match(line)
        if m is None:
            continue
        indent, key, value = m.groups()
        if key == "reference_boot_time_s" and len(indent) == 2:
            found["reference"] = number
            continue
        try:
            text = json.loads(value)
        except ValueError:
            continue
        if not isinstance(text, str):  # the top-level "firmware": [ ... ] list
            continue
        if key == "firmware":
            pending = (indent, text, number)
        elif pending is not None and pending[0] == indent:
            found.setdefault((pending[1], text), pending[2])
            pending = None
    return found


def _file_property(source: str) -> str | None:
    from uefi_accept.inputs.files import STDIN_NAME

    return None if source == STDIN_NAME else source


def _cell_command(f: FileCheck, cell: CellFinding, line: int | None) -> str:
    file = _file_property(f.source)
    ignored = sorted({str(c.kind) for c in cell.ignored})
    details = [change_line(c) for c in cell.counted_figures]
    details += [change_detail(c) for c in cell.counted if c not in cell.counted_figures]
    if cell.ignored:
        details.append(f"Ignored ({', '.join(ignored)} changes, --ignore):")
        details += [change_detail(c) for c in cell.ignored]
    what = f"{cell.name} in {f.source}"
    if cell.counted_figures:
        n = len(cell.counted_figures)
        title = f"uefi-accept check: {what}: {n} figure{'s' if n != 1 else ''} changed"
        return command("error", "\n".join(details), file=file, line=line, title=title)
    if cell.counted:
        title = f"uefi-accept check: {what}: explanation changed"
    else:
        title = f"uefi-accept check: {what}: {' and '.join(ignored)} changed (ignored)"
    return command("warning", "\n".join(details), file=file, line=line, title=title)


def check(r: CheckReport) -> str:
    from uefi_accept.render.views import _check_summary

    out = []
    for f in r.files:
        if f.error is not None:
            title = f"uefi-accept check: cannot read {f.source}"
            out.append(
                command("error", f.error.one_line(), file=_file_property(f.source), title=title)
            )
            continue
        where = _locations(f.stored_text) if f.changed else {}
        for cell in file_findings(r, f):
            if not (cell.counted or cell.ignored):
                continue
            key: tuple[str, str] | str = (
                (cell.firmware, cell.kernel)
                if cell.firmware is not None and cell.kernel is not None
                else "reference"
            )
            out.append(_cell_command(f, cell, where.get(key)))
    out.append(command("notice", plain(_check_summary(r)), title="uefi-accept check"))
    return _lines(out)


# -- upgrades and validate ------------------------------------------------------------------


def upgrades(r: UpgradeReport) -> str:
    from uefi_accept.render.views import scenario_line

    out = [
        command("error", s.sentence(), title=f"uefi-accept upgrades: {s.title()}")
        for s in r.regressions
    ]
    n, steps = len(r.regressions), len(r.steps)
    where = f"{steps} upgrade step{'s' if steps != 1 else ''}"
    found = f"{n} regression{'s' if n != 1 else ''}" if n else "No regression"
    summary = f"{found} in {where} ({scenario_line(r.matrix.scenario)})."
    out.append(command("notice", summary, title="uefi-accept upgrades"))
    return _lines(out)


def validation(v: Validation) -> str:
    out = []
    bad = opened = 0
    for row in v.rows:
        if row.ok:
            continue
        message = f"{off_tolerance(row)}\nConditions: {row.conditions}\nSource: {row.source}"
        title = f"uefi-accept validate: {row.name}"
        why = open_reason(row)
        if why is None:
            bad += 1
            out.append(command("error", message, title=title))
        else:
            opened += 1
            out.append(command("warning", f"{message}\nOpen: {why}", title=f"{title} (open)"))
    n = len(v.rows)
    if bad:
        summary = f"{bad} of {n} rows {'is' if bad == 1 else 'are'} off by more than the tolerance"
    else:
        summary = f"{n - opened} of {n} rows are within tolerance"
    if opened:
        summary += (
            f"; {opened} {'is an open disagreement' if opened == 1 else 'are open disagreements'}"
        )
    out.append(command("notice", summary + ".", title="uefi-accept validate"))
    return _lines(out)
