"""Rendering: one result kind, one format, one function.

`render(kind, result, fmt)` is the only way output is made. JSON and CSV
write their own documents; text, Markdown and the terminal view lay out the
format-neutral report that `views` builds for each kind. Only click-free,
light modules are imported here; rich and the views load on first use.
"""

from __future__ import annotations

import enum
from importlib import import_module
from typing import Any


class Format(enum.StrEnum):
    TABLE = "table"  # the terminal view: rich tables and colour
    TEXT = "text"  # ASCII, no colour, 79 columns
    MARKDOWN = "markdown"
    JSON = "json"
    CSV = "csv"
    JUNIT = "junit"  # JUnit XML for GitLab and Jenkins test reports
    GITHUB = "github"  # GitHub Actions workflow commands (annotations)
    HTML = "html"  # one self-contained page: inline CSS and SVG (render/html.py)


class Kind(enum.StrEnum):
    RUN = "run"
    MATRIX = "matrix"
    CHECK = "check"
    UPGRADES = "upgrades"
    SWEEP = "sweep"
    VALIDATION = "validation"
    INSPECT = "inspect"
    PROFILES = "profiles"
    GRID = "grid"  # a sweep over two parameters: VM shapes
    COMPARE = "compare"  # two firmware builds or two kernels across RAM


_BLOCK_FORMATS = (Format.TABLE, Format.TEXT, Format.MARKDOWN)
FORMATS: dict[Kind, tuple[Format, ...]] = {
    kind: (*_BLOCK_FORMATS, Format.JSON) for kind in Kind
} | {Kind.SWEEP: (*_BLOCK_FORMATS, Format.JSON, Format.CSV)}
# The CI gates also report as test results and as annotations.
for _kind in (Kind.CHECK, Kind.UPGRADES, Kind.VALIDATION):
    FORMATS[_kind] += (Format.JUNIT, Format.GITHUB)
# Every kind has a report page; render() finds html.<kind>.
for _kind in Kind:
    FORMATS[_kind] += (Format.HTML,)
FORMATS[Kind.GRID] = (*_BLOCK_FORMATS, Format.JSON, Format.CSV, Format.HTML)
FORMATS[Kind.COMPARE] = (*_BLOCK_FORMATS, Format.JSON, Format.CSV, Format.HTML)
# What an output file's name says about its format (`-o report.md`).
SUFFIX_FORMAT = {
    ".json": Format.JSON,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".txt": Format.TEXT,
    ".text": Format.TEXT,
    ".csv": Format.CSV,
    ".xml": Format.JUNIT,
    ".html": Format.HTML,
    ".htm": Format.HTML,
}
_BLOCK_RENDERER = {
    Format.TABLE: "uefi_accept.render.terminal",
    Format.TEXT: "uefi_accept.render.text",
    Format.MARKDOWN: "uefi_accept.render.markdown",
}


def assumptions_of(result: Any) -> tuple[str, ...]:
    """What the result's scenario was assumed to be where the inputs were silent."""
    scenario = getattr(result, "scenario", None)
    if scenario is None and hasattr(result, "matrix"):
        scenario = result.matrix.scenario
    return tuple(getattr(scenario, "assumptions", ()))


def render(kind: Kind, result: Any, fmt: Format) -> str:
    """`result` (of `kind`) as text in `fmt`; JSON carries the assumptions in
    its scenario, block formats in a closing section."""
    if fmt not in FORMATS[kind]:
        raise ValueError(f"{kind} has no {fmt} output")
    if fmt in _BLOCK_RENDERER:
        views = import_module("uefi_accept.render.views")
        report = getattr(views, kind.value)(result)
        views.add_assumptions(report, assumptions_of(result))
        return import_module(_BLOCK_RENDERER[fmt]).render(report)  # type: ignore[no-any-return]
    module = import_module(f"uefi_accept.render.{fmt.value}")
    return getattr(module, kind.value)(result)  # type: ignore[no-any-return]
