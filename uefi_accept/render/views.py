"""Each result as a format-neutral report: the facts every text format shows.

Text, Markdown and the terminal view render these blocks; so every format
carries the same facts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uefi_accept.render.blocks import (
    Cell,
    Column,
    Diff,
    Facts,
    Heading,
    Para,
    Report,
    Span,
    Table,
    Timeline,
)
from uefi_accept.units import GiB, MiB, format_size

if TYPE_CHECKING:
    from uefi_accept.analyses.calibration import Validation
    from uefi_accept.analyses.check import CheckReport, FieldChange, FileCheck
    from uefi_accept.analyses.diagnosis import InspectReport
    from uefi_accept.analyses.matrix import CellResult, MatrixResult
    from uefi_accept.analyses.sweep import Curve, GridCurve, GridResult, SweepResult
    from uefi_accept.analyses.upgrades import UpgradeReport, UpgradeStep
    from uefi_accept.model.profiles import Profile
    from uefi_accept.model.scenario import Scenario

VERDICT_STYLE = {
    "fast": "bold green",
    "slow": "bold yellow",
    "degraded": "bold magenta",
    "oom": "bold red",
    "crash": "bold white on red",
}
LEGEND = {
    "fast": "boots about as fast as lazy acceptance allows, all memory usable",
    "slow": "all memory usable, boot >= {slow}x the lazy-acceptance time",
    "degraded": "boots, but less than {pct}% of RAM is usable (memory silently lost)",
    "timeout": "reaches userspace later than the {deadline:g} s deadline",
    "oom": "too little usable memory when userspace starts",
    "crash": "touches unaccepted memory, accepts twice, or cannot run on the platform",
}


def verdict_span(v: object) -> Span:
    return (str(v), VERDICT_STYLE.get(str(v)))


def add_assumptions(report: Report, assumptions: tuple[str, ...]) -> None:
    """Close the report with what was assumed where the inputs were silent."""
    if assumptions:
        report.add(Heading("Assumptions", 2))
        report.add(*(Para.of(f"- {a}.", level=1) for a in assumptions))


def scenario_line(s: Scenario, skip: str | tuple[str, ...] = ()) -> str:
    """The scenario in one line, without the (swept) fields named in `skip`."""
    skipped = (skip,) if isinstance(skip, str) else skip
    page = "4 KiB" if s.host_page_size < 2 * MiB else "2 MiB"
    parts = [s.platform.upper()]
    if "ram_bytes" not in skipped:
        parts.append(f"{format_size(s.ram_bytes)} RAM")
    if "vcpus" not in skipped:
        parts.append(f"{s.vcpus} vCPUs")
    parts += [f"{s.layout} layout", str(s.loader), f"host pages {page}"]
    if "pre_accept" not in skipped and s.pre_accept:
        parts.append(f"pre-accept {format_size(s.pre_accept)}")
    if s.deadline_s is not None:
        parts.append(f"deadline {s.deadline_s:g} s")
    if s.cost_model is not None:
        parts.append("your cost model")
    return ", ".join(parts)


def short_size(n: int) -> str:
    """Compact sizes for table cells: 512M, 64G, 1.9G, 16.0T."""
    v = n / GiB
    if v < 1:
        return f"{n / MiB:.0f}M"
    if v >= 1000:
        return f"{v / 1024:.1f}T"
    return f"{v:.0f}G" if v >= 10 or v == int(v) else f"{v:.1f}G"


def short_time(t: float) -> str:
    return f"{t:.0f}s" if t >= 100 else f"{t:.1f}s"


def _legend(s: Scenario) -> list[Para]:
    fill = {"slow": s.slow_ratio, "pct": round(s.degraded_fraction * 100), "deadline": 0.0}
    if s.deadline_s is not None:
        fill["deadline"] = s.deadline_s
    return [
        Para.of(verdict_span(v), f": {text.format(**fill)}", level=1)
        for v, text in LEGEND.items()
        if v != "timeout" or s.deadline_s is not None
    ]


def reference_line(seconds: float) -> Para:
    """The reference every `slow` is measured against, and what it is."""
    from uefi_accept.model.verdict import REFERENCE

    return Para.of(f"lazy-acceptance reference: {seconds:.1f} s, {REFERENCE}")


# -- matrix and run -------------------------------------------------------------------


def cell_summary(c: CellResult) -> tuple[Span, ...]:
    o = c.outcome
    return (
        verdict_span(c.verdict),
        (f" {short_time(o.boot_time_s)} {short_size(o.usable_bytes)}", None),
    )


def matrix(m: MatrixResult) -> Report:
    table = Table(
        columns=(
            Column("firmware \\ kernel", key=True),
            *(Column(k, justify="center") for k in m.kernels),
        ),
        rows=tuple(
            (Cell.of(fw), *(Cell.of(cell_summary(m.cell(fw, k))) for k in m.kernels))
            for fw in m.firmware
        ),
    )
    r = Report().add(Heading(scenario_line(m.scenario)), table)
    r.add(Para.of("cell: verdict, boot time, usable memory"), *_legend(m.scenario))
    r.add(reference_line(m.reference_boot_time_s))
    r.add(Para.of("Each cell, with the reason for its verdict:"))
    for c in m.cells:
        o = c.outcome
        lost = f", lost {format_size(o.lost_bytes)}" if o.lost_bytes else ""
        r.add(
            Para.of(
                (f"{c.firmware} / {c.kernel}", "bold"),
                ": ",
                verdict_span(c.verdict),
                f", {o.boot_time_s:.1f} s, usable {format_size(o.usable_bytes)}{lost}. ",
                c.reason,
                level=1,
            )
        )
    return r


def run(c: CellResult) -> Report:
    o = c.outcome
    figures = (
        ("boot time", f"{o.boot_time_s:.2f} s (lazy reference {c.reference_boot_time_s:.2f} s)"),
        ("usable", format_size(o.usable_bytes)),
        ("accepted", format_size(o.accepted_bytes)),
        ("unaccepted", format_size(o.unaccepted_bytes)),
        ("lost", format_size(o.lost_bytes)),
        ("firmware reserved", format_size(o.firmware_reserved_bytes)),
    )
    return Report().add(
        Heading(f"{c.firmware} firmware x {c.kernel} kernel"),
        Para.of(scenario_line(c.scenario)),
        Para.of(verdict_span(c.verdict), ": ", c.reason),
        Facts((("verdict", str(c.verdict)), *figures)),
        Heading("timeline", 2),
        Timeline(tuple((e.t_s, e.duration_s, e.bytes, e.step, e.what) for e in o.events)),
    )


# -- check ----------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def _value(path: str, v: Any) -> str:
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(v, bool) or v is None:
        return str(v).lower() if v is not None else "(none)"
    if isinstance(v, int) and (name.endswith("bytes") or name == "bytes"):
        return format_size(v)
    if isinstance(v, float) and name.endswith("_s"):
        return f"{v:g} s"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


def _exact_pair(path: str, old: Any, new: Any) -> tuple[str, str]:
    """Old and new as text; a size change too small to show is shown in bytes,
    so a changed value never looks unchanged."""
    a, b = _value(path, old), _value(path, new)
    if a == b:
        a, b = str(old), str(new)
    return a, b


def field_change_line(c: FieldChange) -> tuple[Span, ...]:
    old, new = _exact_pair(c.path, c.old, c.new)
    delta = ""
    if isinstance(c.old, int) and isinstance(c.new, int) and not isinstance(c.old, bool):
        d = c.new - c.old
        delta = f" ({'+' if d > 0 else '-'}{format_size(abs(d))})" if "bytes" in c.path else ""
    style = {"regression": "bold red", "improvement": "bold green"}.get(str(c.direction))
    label = [(", ", None), (str(c.direction), style)] if str(c.direction) != "change" else []
    return ((f"{c.path}:", "bold"), (f" {old} -> {new}{delta}", None), *label)


# The figures a reader looks at first, then the rest, then the timeline.
_FIRST = ("verdict", "usable_bytes", "lost_bytes", "boot_time_s")


def _order(c: FieldChange) -> tuple[int, int, str]:
    if c.path in _FIRST:
        return (0, _FIRST.index(c.path), "")
    if c.path.startswith("events"):
        index = c.path.split("[", 1)[1].split("]", 1)[0] if "[" in c.path else "0"
        return (2, int(index) if index.isdigit() else 0, c.path)
    return (1, 0, c.path)


def _check_summary(r: CheckReport) -> tuple[Span, ...]:
    read = len(r.files) - len(r.errors)  # the files that could be checked
    files = f"{read} file{'s' if read != 1 else ''}"
    tol = f"boot time tolerance {_pct(r.tolerance)}"
    errors = f"; {len(r.errors)} could not be read" if r.errors else ""
    ignored = f"; ignoring {', '.join(sorted(r.ignore))} changes" if r.ignore else ""
    if not r.changed_files:
        text = f"No change in {files}, {r.cells_checked} cells ({tol}){errors}{ignored}."
        return ((text, "bold red" if r.errors else "bold green"),)
    done = "; rewritten" if r.update else ""
    from uefi_accept.analyses.check import ChangeClass

    counts = (
        f"{r.count(ChangeClass.FIGURE)} figure and {r.count(ChangeClass.EXPLANATION)} "
        "explanation changes"
    )
    text = (
        f"{r.cells_changed} of {r.cells_checked} cells changed in "
        f"{len(r.changed_files)} of {files}: {counts} ({tol}){done}{errors}{ignored}."
    )
    return ((text, "bold red" if r.failed or r.errors else "bold yellow"),)


def _file_changes(f: FileCheck, update: bool, r: Report) -> None:
    from uefi_accept.analyses.check import ChangeClass

    done = "; rewritten" if update else ""
    assert f.scenario is not None
    r.add(Heading(f"{f.source}: {len(f.cells)} of {f.cells_checked} cells changed{done}", 2))
    r.add(Para.of(scenario_line(f.scenario)))
    for c in f.matrix_changes:
        r.add(Para(field_change_line(c), level=1))
    for cell in f.cells:
        r.add(Para.of((f"{cell.firmware} / {cell.kernel}", "bold")))
        for c in sorted(cell.of(ChangeClass.FIGURE), key=_order):
            r.add(Para(field_change_line(c), level=1))
        for c in sorted(cell.of(ChangeClass.EXPLANATION), key=_order):
            r.add(Diff(c.path, str(c.old), str(c.new)))


def check(r: CheckReport) -> Report:
    out = Report().add(Heading("uefi-accept check"), Para(_check_summary(r)))
    for f in r.errors:
        assert f.error is not None
        out.add(Para.of(("error: ", "bold red"), f.error.one_line()))
    for f in r.changed_files:
        _file_changes(f, r.update, out)
    if r.changed_files:
        out.add(
            Para.of(
                f"Byte counts must match exactly; a time within {_pct(r.tolerance)} of the "
                "stored one counts as unchanged. Explanations are the reason and timeline "
                "sentences."
            )
        )
    return out


# -- upgrades ---------------------------------------------------------------------------

_UPGRADE_COLUMNS = (
    ("verdict", "verdict"),
    ("usable_bytes", "usable"),
    ("lost_bytes", "lost"),
    ("boot_time_s", "boot time"),
)


def _fact(field: str, facts: Any) -> str:
    value = getattr(facts, field)
    if field == "verdict":
        return str(value)
    if field == "boot_time_s":
        return f"{value:.1f} s"
    return format_size(value)


def upgrades(r: UpgradeReport) -> Report:
    from uefi_accept.analyses.upgrades import cell_facts

    n, steps = len(r.regressions), len(r.steps)
    where = f"{steps} upgrade step{'s' if steps != 1 else ''}"
    summary = (
        f"No regression in {where}."
        if not n
        else f"{n} regression{'s' if n != 1 else ''} in {where}."
    )
    out = Report().add(
        Heading("uefi-accept upgrades"),
        Para.of(scenario_line(r.matrix.scenario)),
        Para.of(
            "Kernel upgrades " + " -> ".join(r.matrix.kernels) + " within each firmware row; "
            "firmware upgrades " + " -> ".join(r.matrix.firmware) + " within each kernel column."
        ),
    )
    if r.regressions:
        rows = []
        for i, s in enumerate(r.regressions, 1):
            before, after = cell_facts(s.before), cell_facts(s.after)
            cells = [Cell.of(str(i)), Cell.of(s.title())]
            for field, _ in _UPGRADE_COLUMNS:
                old, new = _fact(field, before), _fact(field, after)
                worse = field in s.worse
                if old == new:
                    cells.append(Cell.of(old))
                else:
                    cells.append(
                        Cell.of(((f"{old} -> ", None), (new, "bold red" if worse else None)))
                    )
            rows.append(tuple(cells))
        out.add(
            Table(
                columns=(
                    Column("#", justify="right", key=True),
                    Column("upgrade"),
                    *(Column(title) for _, title in _UPGRADE_COLUMNS),
                ),
                rows=tuple(rows),
            )
        )
        out.add(*(_step_para(i, s) for i, s in enumerate(r.regressions, 1)))
    if r.bug_changes:
        out.add(Para.of("Known kernel bugs that come or go along these paths:"))
        out.add(*(Para.of(b.sentence(), level=1) for b in r.bug_changes))
    out.add(Para(((summary, "bold red" if n else "bold green"),)))
    return out


def _step_para(i: int, s: UpgradeStep) -> Para:
    return Para.of((f"{i}. ", "bold"), s.sentence(), level=1)


# -- sweep -----------------------------------------------------------------------------

_PARAM_NAME = {"ram": "RAM", "pre_accept": "pre-accepted", "vcpus": "vCPUs"}


def exact_value(param: str, value: int) -> str:
    """A swept value exactly: 2816 MiB, 16 TiB, 3000 MiB + 1 KiB as 3072001 KiB."""
    if param == "vcpus":
        return f"{value} vCPU{'s' if value != 1 else ''}"
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if value % (1 << shift) == 0:
            return f"{value >> shift} {unit}"
    return f"{value} B"


def approx_value(param: str, value: int) -> str:
    return str(value) if param == "vcpus" else format_size(value)


def sweep_title(r: SweepResult) -> str:
    from uefi_accept.analyses.sweep import PARAMS

    lo, hi = int(r.values[0]), int(r.values[-1])
    span = f"{exact_value(r.param, lo)} .. {exact_value(r.param, hi)}"
    return f"{_PARAM_NAME[r.param]} sweep, {span}, {r.values.size} points: " + scenario_line(
        r.scenario, skip=PARAMS[r.param][0]
    )


def curve_name(c: Curve | GridCurve) -> str:
    return f"{c.firmware.name} / {c.kernel.name}"


def segments(r: SweepResult, c: Curve) -> str:
    v, start = str(c.verdict_list[0]), int(r.values[0])
    if not c.changes:
        return f"{v} throughout"
    parts = []
    for ch in c.changes:
        parts.append(f"{v} {exact_value(r.param, start)} .. {exact_value(r.param, ch.last_before)}")
        v, start = str(ch.after), ch.first_after
    parts.append(f"{v} {exact_value(r.param, start)} .. {exact_value(r.param, int(r.values[-1]))}")
    return "; ".join(parts)


def sweep(r: SweepResult) -> Report:
    step = "1 vCPU" if r.param == "vcpus" else "1 MiB"
    out = Report().add(Heading(sweep_title(r)), Para.of(f"Where the verdict changes (to {step}):"))
    for c in r.curves:
        out.add(Para.of((curve_name(c), "bold"), ": ", segments(r, c), level=1))
        for ch in c.changes:
            out.add(Para.of(f"at {exact_value(r.param, ch.first_after)}: {ch.reason}", level=2))
    label = _PARAM_NAME[r.param]
    values = r.values.tolist()
    if len(r.curves) == 1:
        c = r.curves[0]
        b = c.boots
        verdicts = c.verdict_list
        times, refs = b.boot_time_s.tolist(), r.reference_s.tolist()
        usable, lost = b.usable_bytes.tolist(), b.lost_bytes.tolist()
        table = Table(
            columns=(
                Column(label, justify="right", key=True),
                Column("verdict"),
                Column("boot time", justify="right"),
                Column("reference", justify="right"),
                Column("usable", justify="right"),
                Column("lost", justify="right"),
            ),
            rows=tuple(
                (
                    Cell.of(approx_value(r.param, x)),
                    Cell.of((verdict_span(verdicts[i]),)),
                    Cell.of(f"{times[i]:.1f} s"),
                    Cell.of(f"{refs[i]:.1f} s"),
                    Cell.of(format_size(usable[i])),
                    Cell.of(format_size(lost[i])),
                )
                for i, x in enumerate(values)
            ),
        )
        return out.add(table)
    columns = []
    for c in r.curves:
        times = c.boots.boot_time_s.tolist()
        usable = c.boots.usable_bytes.tolist()
        columns.append(
            [
                Cell.of((verdict_span(v), (f" {short_time(t)} {short_size(u)}", None)))
                for v, t, u in zip(c.verdict_list, times, usable, strict=True)
            ]
        )
    table = Table(
        columns=(
            Column(label, justify="right", key=True),
            *(Column(curve_name(c)) for c in r.curves),
        ),
        rows=tuple(
            (Cell.of(approx_value(r.param, x)), *(col[i] for col in columns))
            for i, x in enumerate(values)
        ),
    )
    return out.add(table, Para.of("cell: verdict, boot time, usable memory"))


# -- validate ---------------------------------------------------------------------------


def _figure(value: float, unit: str) -> str:
    return f"{value:.2f}x" if unit == "x" else f"{value:.1f} {unit}"


def _signed(x: float) -> str:
    return f"{100 * x:+.1f}%"


def _bound(row: Any) -> str:
    return {"at-least": "at least ", "at-most": "at most "}.get(row.kind, "")


def validation(v: Validation) -> Report:
    rows = []
    for row in v.rows:
        tol = f"{100 * row.tolerance:g}%"
        result: Span
        if row.ok:
            result = (f"ok, within {tol}", "bold green")
        elif row.open:
            result = ("OPEN: see below", "bold yellow")
        else:
            result = (f"OFF by more than {tol}", "bold red")
        rows.append(
            (
                Cell.of(row.name),
                Cell.of(row.platform.upper()),
                Cell.of(_bound(row) + _figure(row.measured, row.unit)),
                Cell.of(_figure(row.model, row.unit)),
                Cell.of(_signed(row.error)),
                Cell.of((result,)),
            )
        )
    out = Report().add(
        Heading("Validation against published measurements"),
        Para.of(
            "Each row is a measurement published by the people who built or ran the "
            "feature, recomputed through the same engine and cost model that the matrix "
            "uses. One cost model per platform reproduces all of that platform's rows at "
            "once: there are no per-row factors. A row passes when the model's figure is "
            "within its tolerance of the measured one (or of the bound a report gives). An "
            "open row disagrees for a reason given below; it does not fail validate."
        ),
        Table(
            columns=(
                Column("measurement", key=True),
                Column("platform"),
                Column("measured", justify="right"),
                Column("model", justify="right"),
                Column("error", justify="right"),
                Column("result"),
            ),
            rows=tuple(rows),
        ),
    )
    for i, row in enumerate(v.rows, 1):
        why = f" Open: {row.open}." if row.open and not row.ok else ""
        out.add(
            Para.of(
                (f"{i}. {row.name}", "bold"),
                f": {row.conditions}. Source: {row.source}.{why}",
                level=1,
            )
        )
    bad = v.failed
    opened = sum(1 for r in v.rows if not r.ok and r.open)
    n = len(v.rows)
    if bad:
        verdict = f"{bad} of {n} rows {'is' if bad == 1 else 'are'} off by more than the tolerance"
    else:
        verdict = f"{n - opened} of {n} rows are within tolerance"
    if opened:
        verdict += (
            f"; {opened} {'is an open disagreement' if opened == 1 else 'are open disagreements'}"
        )
    verdict += "."
    out.add(Heading("The cost models", 2))
    names = list(v.cost_models)
    models = [v.cost_models[k] for k in names]
    out.add(
        Table(
            columns=(
                Column("constant", key=True),
                *(Column(k.upper(), justify="right") for k in names),
            ),
            rows=tuple(
                (Cell.of(field), *(Cell.of(_constant(getattr(m, field))) for m in models))
                for field in models[0].__struct_fields__
                if field != "platform"
            ),
        ),
        Para.of(
            "Linux's acceptance time is bytes / GiB x rate x (serial + (1 - serial) / "
            "min(vCPUs, cap)); the firmware's multi-core acceptance scales with its own "
            "fraction and cap. A TDX host that backs private memory with 4 KiB pages turns "
            "each 2 MiB accept into 512 4 KiB ones (--host-page-size 4K). Each constant's "
            "source is in the README's model section; `--cost-model FILE` replaces any of them."
        ),
        Para(((verdict, "bold red" if bad else "bold green"),)),
    )
    return out


def _constant(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# -- inspect ---------------------------------------------------------------------------

PLATFORM_NAMES = {
    "snp": "AMD SEV-SNP guest",
    "sev-es": "AMD SEV-ES guest",
    "sev": "AMD SEV guest",
    "tdx": "Intel TDX guest",
}


def _size(n: int | None) -> str:
    return "unknown" if n is None else format_size(n)


def inspect_facts(report: InspectReport) -> tuple[tuple[str, str], ...]:
    basis = {"e820": "e820 usable", "memory-line": "Memory: line", "meminfo": "MemTotal"}
    rows = [
        ("Platform", PLATFORM_NAMES.get(report.platform or "", "no SEV/TDX guest line in log")),
        ("Kernel", report.kernel_version or "unknown"),
        ("Firmware", report.firmware or "unknown"),
    ]
    if report.accept_memory:
        rows.append(("accept_memory", report.accept_memory))
    ram = _size(report.ram_bytes)
    if report.ram_basis:
        ram += f" (from the {'EFI map' if report.ram_basis == 'efi' else 'e820 table'})"
    rows.append(("RAM", ram))
    rows.append(("Unaccepted (type 15)", _size(report.unaccepted_bytes)))
    usable = _size(report.usable_bytes)
    if report.usable_basis:
        usable += f" ({basis[report.usable_basis]})"
    rows.append(("Usable by the kernel", usable))
    rows.append(("Lost", _size(report.lost_bytes)))
    if report.meminfo_unaccepted is not None:
        rows.append(("meminfo Unaccepted", _size(report.meminfo_unaccepted)))
    if report.unsupported_message:
        rows.append(("EFI stub", "has unaccepted memory, but kernel does not support it"))
    return tuple(rows)


def inspect(report: InspectReport) -> Report:
    out = Report().add(Heading(f"Boot log: {report.source}"), Facts(inspect_facts(report)))
    if report.ram_by_type:
        out.add(
            Table(
                columns=(
                    Column("memory type", key=True),
                    Column("size", justify="right"),
                    Column("bytes", justify="right"),
                ),
                rows=tuple(
                    (Cell.of(name), Cell.of(format_size(size)), Cell.of(str(size)))
                    for name, size in report.ram_by_type
                ),
            )
        )
    out.add(Para.of(("Diagnosis:", "bold"), f" {report.diagnosis} ({report.verdict.value})"))
    if report.remedy:
        out.add(Para.of(("Remedy:", "bold"), f" {report.remedy}"))
    if report.remedy_command:
        # What the command is compared with: the diagnosed boot, in the model.
        now = "--kernel unenlightened"
        if report.verdict.value == "crash-risk":
            now += " --loader grub-legacy"
        out.add(
            Para.of(
                "To see the difference, boot this log's memory map with such a kernel "
                f"(the same command with {now} models this boot):"
            ),
            Para(((report.remedy_command, None),), level=1, verbatim=True),
        )
    if report.warnings:
        out.add(Para.of(f"Warnings ({len(report.warnings)}):"))
        out.add(*(Para.of(str(w), level=1) for w in report.warnings))
    return out


# -- profiles ----------------------------------------------------------------------------


def profiles(found: dict[str, tuple[Profile, ...]]) -> Report:
    out = Report()
    for kind, items in found.items():
        out.add(
            Table(
                title=f"{kind} profiles",
                columns=(Column("name", key=True), Column("platforms")),
                rows=tuple((Cell.of(p.name), Cell.of(", ".join(p.platforms))) for p in items),
            )
        )
        out.add(
            *(
                Para.of((p.name, "bold"), f" ({', '.join(p.platforms)}): {p.description}", level=1)
                for p in items
            )
        )
    return out


# -- grid (a sweep over two parameters) ------------------------------------------------


def grid(r: GridResult) -> Report:
    from uefi_accept.analyses.sweep import PARAMS

    scen = scenario_line(r.scenario, skip=(PARAMS[r.x_param][0], PARAMS[r.y_param][0]))
    out = Report().add(
        Heading(
            f"{_PARAM_NAME[r.y_param]} x {_PARAM_NAME[r.x_param]}: "
            f"{r.y_values.size} x {r.x_values.size} VM shapes, {scen}"
        )
    )
    for c in r.curves:
        counts = r.counts(c)
        summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda x: x[0].rank))
        out.add(Para.of((curve_name(c), "bold"), f": {summary}"))
        rows = []
        times = c.boot_time_s.tolist()
        for iy, y in enumerate(r.y_values.tolist()):
            cells = [Cell.of(approx_value(r.y_param, y))]
            for ix in range(r.x_values.size):
                v = c.verdict_at(iy, ix)
                cells.append(Cell.of((verdict_span(v), (f" {short_time(times[iy][ix])}", None))))
            rows.append(tuple(cells))
        out.add(
            Table(
                columns=(
                    Column(f"{_PARAM_NAME[r.y_param]} \\ {_PARAM_NAME[r.x_param]}", key=True),
                    *(Column(approx_value(r.x_param, x)) for x in r.x_values.tolist()),
                ),
                rows=tuple(rows),
            )
        )
    out.add(Para.of("cell: verdict and boot time at that VM shape"))
    return out


# == compare: two firmware builds or two kernels across RAM (compare command) ==========

if TYPE_CHECKING:
    from uefi_accept.analyses.compare import CompareResult, HeldComparison, Interval

_JUDGEMENT_STYLE = {"better": "bold green", "worse": "bold red", "same": None}
_DECIDER_NAME = {"verdict": "verdict", "usable_bytes": "usable", "boot_time_s": "boot time"}


def _ram_bound(value: int, exact: bool) -> str:
    """An interval's end: exact to 1 MiB, or a sampled point (marked *)."""
    return exact_value("ram", value) if exact else format_size(value) + "*"


def interval_span(iv: Interval, sep: str = " .. ") -> str:
    low, high = _ram_bound(iv.low, iv.low_exact), _ram_bound(iv.high, iv.high_exact)
    return low if iv.low == iv.high else f"{low}{sep}{high}"


def _ratio_text(ratio: tuple[float, float] | None, sep: str = " .. ") -> str:
    if ratio is None:
        return "-"
    low, high = f"{ratio[0]:.2f}x", f"{ratio[1]:.2f}x"
    return low if low == high else f"{low}{sep}{high}"


def _signed_size(n: int) -> str:
    return "0" if n == 0 else ("+" if n > 0 else "-") + format_size(abs(n))


def _difference_text(diff: tuple[int, int] | None, sep: str = " .. ") -> str:
    if diff is None:
        return "-"
    low, high = _signed_size(diff[0]), _signed_size(diff[1])
    return low if low == high else f"{low}{sep}{high}"


def judgement_span(iv: Interval) -> tuple[Span, ...]:
    why = ", ".join(_DECIDER_NAME[d] for d in iv.decided_by)
    return ((iv.judgement, _JUDGEMENT_STYLE[iv.judgement]), (f" ({why})" if why else "", None))


def held_title(r: CompareResult, h: HeldComparison) -> str:
    if r.side == "firmware":
        return f"under the {h.held.name} kernel"
    return f"on {h.held.name} firmware"


def _held_summary(r: CompareResult, h: HeldComparison) -> tuple[Span, ...]:
    counts, total = h.counts, int(r.values.size)
    parts = [f"{n} {j}" for j, n in counts.items() if n]
    style = "bold red" if h.worse else ("bold green" if counts["better"] else None)
    text = f"B against A at the {total} sampled points: {', '.join(parts)}."
    if h.worse and not counts["worse"]:
        text += " Worse only between sampled points, at a verdict change."
    return ((text, style),)


def compare(r: CompareResult) -> Report:
    lo, hi = int(r.values[0]), int(r.values[-1])
    scen = scenario_line(r.scenario, skip="ram_bytes")
    out = Report().add(
        Heading(
            f"{r.side} {r.a.name} (A) against {r.b.name} (B), RAM {exact_value('ram', lo)} .. "
            f"{exact_value('ram', hi)}, {r.values.size} points: {scen}"
        ),
        Para.of(
            f"B against A under each {r.other_side}: by verdict first (fast < slow < degraded "
            "< timeout < oom < crash), then usable memory, then boot time when one boot takes "
            f"more than {r.time_ratio:g}x the other's; two crashes are the same. Each "
            "interval keeps one judgement and one verdict on each side. Where a verdict "
            "changes, the ends are exact to 1 MiB; an end marked * is a sampled point and "
            "the change lies between it and the neighbouring interval's end (--points for "
            "more)."
        ),
    )
    for h in r.held:
        out.add(Heading(held_title(r, h), 2), Para(_held_summary(r, h)))
        out.add(
            Table(
                columns=(
                    Column("RAM", key=True),
                    Column("B vs A, verdicts"),
                    Column("boot time B/A", justify="right"),
                    Column("usable B - A", justify="right"),
                ),
                rows=tuple(
                    (
                        Cell.of(interval_span(iv, "..")),
                        Cell.of(
                            judgement_span(iv),
                            (
                                verdict_span(iv.a_verdict),
                                (" -> ", None),
                                verdict_span(iv.b_verdict),
                            ),
                        ),
                        Cell.of(_ratio_text(iv.time_ratio, "..")),
                        Cell.of(_difference_text(iv.usable_difference, "..")),
                    )
                    for iv in h.intervals
                ),
                lines=True,
            )
        )
        for iv in h.intervals:
            if iv.judgement == "same":
                continue
            out.add(
                Para.of(
                    (f"{interval_span(iv)}: ", "bold"),
                    (iv.judgement, _JUDGEMENT_STYLE[iv.judgement]),
                    level=1,
                ),
                Para.of(f"A ({r.a.name}): {iv.a_reason}", level=2),
                Para.of(f"B ({r.b.name}): {iv.b_reason}", level=2),
            )
    worse = []
    for h in r.held:
        spans_worse = [interval_span(iv) for iv in h.intervals if iv.judgement == "worse"]
        if spans_worse:
            worse.append(f"{h.held.name} ({', '.join(spans_worse)})")
    if worse:
        verdict = f"B ({r.b.name}) is worse than A ({r.a.name}) with " + "; ".join(worse) + "."
    else:
        verdict = f"B ({r.b.name}) is nowhere worse than A ({r.a.name})."
    out.add(Para(((verdict, "bold red" if worse else "bold green"),)))
    return out
