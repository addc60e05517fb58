"""JUnit XML for CI test reports (GitLab `artifacts:reports:junit`, Jenkins `junit`).

`check`: one <testsuite> per golden file, one <testcase> per cell plus one for
the matrix's reference boot time; a cell with a change that counts is a
<failure> whose message lists the changed figures, a change of an ignored
class (`--ignore`) goes to <system-out>, a file that could not be read is one
<testcase> with an <error>. `upgrades`: one testcase per upgrade step, a
regression fails. `validation`: one testcase per measurement, a row off its
tolerance fails, unless it is an open (known, explained) disagreement: that
one is skipped with its reason.

Deterministic: no timestamps, hostnames or durations (the `time` attributes
are optional in both readers), attributes in a fixed order. Built with
ElementTree, which escapes markup; characters XML 1.0 cannot carry at all
(control characters, unpaired surrogates from undecodable file names) are
written as `\\xNN` escapes so the document always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uefi_accept.render.blocks import plain

if TYPE_CHECKING:
    from uefi_accept.analyses.calibration import Validation, ValidationRow
    from uefi_accept.analyses.check import CheckReport, FieldChange, FileCheck
    from uefi_accept.analyses.upgrades import UpgradeReport, UpgradeStep

REFERENCE = "reference boot time"  # the testcase of the matrix's own figure

# XML 1.0 "Char": tab, newline, carriage return and everything from U+0020
# except surrogates and U+FFFE/U+FFFF.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML cannot carry written as an escape."""
    return _NOT_XML_CHAR.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# -- what check found in one cell, shared with the GitHub renderer ----------------------------


@dataclass(frozen=True)
class CellFinding:
    """One cell of a golden file (or its matrix-wide figures) and its changes,
    split into the classes that count and the ones `--ignore` names."""

    name: str  # "deployed / enlightened", or REFERENCE
    firmware: str | None
    kernel: str | None
    counted: tuple[FieldChange, ...]
    ignored: tuple[FieldChange, ...]

    @property
    def counted_figures(self) -> tuple[FieldChange, ...]:
        return tuple(c for c in self.counted if str(c.kind) == "figure")


def file_findings(report: CheckReport, f: FileCheck) -> list[CellFinding]:
    """Every cell of a checked file in the matrix's order, changed or not, then
    the matrix's reference boot time."""
    counted = report.counted
    changed = {(c.firmware, c.kernel): c.changes for c in f.cells}
    # A report built without the recomputed matrix has only what changed.
    keys = [(c.firmware, c.kernel) for c in f.fresh.cells] if f.fresh else list(changed)

    def finding(
        name: str, fw: str | None, k: str | None, cs: tuple[FieldChange, ...]
    ) -> CellFinding:
        ordered = sort_changes(cs)
        return CellFinding(
            name,
            fw,
            k,
            tuple(c for c in ordered if c.kind in counted),
            tuple(c for c in ordered if c.kind not in counted),
        )

    out = [finding(f"{fw} / {k}", fw, k, changed.get((fw, k), ())) for fw, k in keys]
    out.append(finding(REFERENCE, None, None, f.matrix_changes))
    return out


def sort_changes(changes: tuple[FieldChange, ...]) -> tuple[FieldChange, ...]:
    """Figures first, in the order the text report shows them, then explanations."""
    from uefi_accept.render.views import _order

    figures = sorted((c for c in changes if str(c.kind) == "figure"), key=_order)
    words = sorted((c for c in changes if str(c.kind) != "figure"), key=_order)
    return (*figures, *words)


def change_line(c: FieldChange) -> str:
    """A figure as the text report writes it ("verdict: fast -> slow, regression");
    an explanation as its path (the sentences are in `change_detail`)."""
    from uefi_accept.render.views import field_change_line

    if str(c.kind) == "figure":
        return plain(field_change_line(c))
    return f"{c.path}: changed"


def change_detail(c: FieldChange) -> str:
    """One change in full: an explanation with its old and new sentence."""
    if str(c.kind) == "figure":
        return change_line(c)
    return f"{c.path}:\n  - {c.old}\n  + {c.new}"


def failure_message(changes: tuple[FieldChange, ...]) -> str:
    """One line: the changed figures, then which sentences changed."""
    figures = [change_line(c) for c in changes if str(c.kind) == "figure"]
    words = [c.path for c in changes if str(c.kind) != "figure"]
    parts = list(figures)
    if words:
        parts.append("explanation changed: " + ", ".join(words))
    return "; ".join(parts)


# -- building the document ---------------------------------------------------------------


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    clean = {k: xml_safe(str(v)) for k, v in attrs.items() if v is not None}
    el = ET.Element(tag, clean) if parent is None else ET.SubElement(parent, tag, clean)
    if text is not None:
        el.text = xml_safe(text)
    return el


def _properties(suite: ET.Element, props: list[tuple[str, str]]) -> None:
    el = _el(suite, "properties")
    for name, value in props:
        _el(el, "property", name=name, value=value)


_COUNTED = {"tests": "testcase", "failures": "failure", "errors": "error", "skipped": "skipped"}


def _count(root: ET.Element) -> None:
    """tests/failures/errors/skipped on every suite and on the root, from the testcases."""
    total = dict.fromkeys(_COUNTED, 0)
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        for key, tag in _COUNTED.items():
            n = len(cases) if key == "tests" else sum(c.find(tag) is not None for c in cases)
            suite.set(key, str(n))
            total[key] += n
    for key, n in total.items():
        root.set(key, str(n))


def _document(root: ET.Element) -> str:
    _count(root)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _classname(*parts: str) -> str:
    """Jenkins reads the last dot-separated part as the class and the rest as the
    package: dots inside a part (a file name's suffix, "1.5 GiB") become `_`."""
    return ".".join(p.replace(".", "_") for p in parts)


def _file_classname(source: str) -> str:
    name = source[: -len(".json")] if source.endswith(".json") else source
    return _classname("uefi-accept", "check", name.removeprefix("./"))


# -- the result kinds ----------------------------------------------------------------------


def check(r: CheckReport) -> str:
    from uefi_accept.render.views import _pct, scenario_line

    root = _el(None, "testsuites", name="uefi-accept check")
    for f in r.files:
        suite = _el(root, "testsuite", name=f.source)
        classname = _file_classname(f.source)
        if f.error is not None:
            case = _el(suite, "testcase", classname=classname, name="read", file=f.source)
            message = f.error.one_line()
            _el(case, "error", message, message=message, type="InputError")
            continue
        assert f.scenario is not None
        props = [("scenario", scenario_line(f.scenario)), ("tolerance", _pct(r.tolerance))]
        if r.ignore:
            props.append(("ignore", ", ".join(sorted(r.ignore))))
        if r.update and f.changed:
            props.append(("updated", "rewritten with the recomputed matrix"))
        _properties(suite, props)
        for cell in file_findings(r, f):
            case = _el(suite, "testcase", classname=classname, name=cell.name, file=f.source)
            if cell.counted:
                found = {str(c.kind) for c in cell.counted}
                kinds = [k for k in ("figure", "explanation") if k in found]
                _el(
                    case,
                    "failure",
                    "\n".join(change_detail(c) for c in cell.counted),
                    message=failure_message(cell.counted),
                    type=" and ".join(kinds) + " change",
                )
            if cell.ignored:
                ignored = ", ".join(sorted({str(c.kind) for c in cell.ignored}))
                _el(
                    case,
                    "system-out",
                    f"Ignored ({ignored} changes, --ignore):\n"
                    + "\n".join(change_detail(c) for c in cell.ignored),
                )
    return _document(root)


def _step_case(suite: ET.Element, classname: str, s: UpgradeStep) -> None:
    case = _el(suite, "testcase", classname=classname, name=s.title())
    if s.regression:
        sentence = s.sentence()
        _el(case, "failure", sentence, message=sentence, type="regression: " + ", ".join(s.worse))


def upgrades(r: UpgradeReport) -> str:
    from uefi_accept.render.views import scenario_line

    scenario = scenario_line(r.matrix.scenario)
    root = _el(None, "testsuites", name="uefi-accept upgrades")
    suite = _el(root, "testsuite", name=f"uefi-accept upgrades: {scenario}")
    _properties(
        suite,
        [
            ("scenario", scenario),
            ("firmware", " -> ".join(r.matrix.firmware)),
            ("kernels", " -> ".join(r.matrix.kernels)),
        ],
    )
    # Two runs for two scenarios stay apart in Jenkins: the scenario is the class.
    classname = _classname("uefi-accept", "upgrades", scenario)
    for s in r.steps:
        _step_case(suite, classname, s)
    return _document(root)


def open_reason(row: ValidationRow) -> str | None:
    """Why a row off its tolerance is a known disagreement that does not fail
    validate (`open`), or None: such a row fails."""
    return None if row.ok else getattr(row, "open", None)


def off_tolerance(row: ValidationRow) -> str:
    """How far the model is from one measurement (or from the bound a report
    gives), in one line."""
    from uefi_accept.render.views import _figure, _signed

    bound = {"at-least": "at least ", "at-most": "at most "}.get(getattr(row, "kind", ""), "")
    return (
        f"model {_figure(row.model, row.unit)} vs measured {bound}"
        f"{_figure(row.measured, row.unit)}: "
        f"error {_signed(row.error)}, tolerance {100 * row.tolerance:g}%"
    )


def _row_case(suite: ET.Element, row: ValidationRow) -> None:
    classname = _classname("uefi-accept", "validate", row.platform)
    case = _el(suite, "testcase", classname=classname, name=row.name)
    if row.ok:
        return
    message = off_tolerance(row)
    details = f"{message}\nConditions: {row.conditions}\nSource: {row.source}"
    why = open_reason(row)
    if why is not None:
        # A known, explained disagreement: reported the way pytest reports an
        # expected failure (xfail), as skipped with its reason.
        _el(case, "skipped", f"{details}\nOpen: {why}", message=f"open: {why}")
    else:
        _el(case, "failure", details, message=message, type="off tolerance")


def validation(v: Validation) -> str:
    root = _el(None, "testsuites", name="uefi-accept validate")
    suite = _el(root, "testsuite", name="uefi-accept validate")
    for row in v.rows:
        _row_case(suite, row)
    return _document(root)
