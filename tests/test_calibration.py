"""The cost model reproduces every published measurement at once, and the
README's calibration table is what the model computes today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from uefi_accept.analyses.calibration import MEASUREMENTS, calibrate

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("row", calibrate(), ids=lambda r: r.measurement.name)
def test_row_within_tolerance(row) -> None:
    assert row.ok, f"{row.measurement.name}: model {row.model:.3g} vs {row.measurement.measured}"


def test_every_platform_has_rows() -> None:
    assert {m.platform for m in MEASUREMENTS} == {"snp", "tdx"}


def test_readme_table_matches_the_model() -> None:
    text = README.read_text()
    block = text.split("<!-- calibration:start -->")[1].split("<!-- calibration:end -->")[0]
    rows = [ln for ln in block.strip().splitlines()[2:]]
    assert len(rows) == len(MEASUREMENTS)
    for line, row in zip(rows, calibrate(), strict=True):
        cols = [c.strip() for c in line.strip("|").split("|")]
        assert cols[0] == row.measurement.name
        model = float(re.match(r"[\d.]+", cols[4]).group())  # type: ignore[union-attr]
        assert model == pytest.approx(row.model, rel=5e-3)
