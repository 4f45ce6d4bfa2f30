"""The figures a wording quotes from a benchmark come from one place that names the run that
measured them (``forensics.measured``): the count-order wording and the docs' coverage table agree
with it."""

from __future__ import annotations

import re
from pathlib import Path

from escrutinio.forensics import count_order
from escrutinio.forensics.measured import SORTED_HOLD_OUTS, held_out_by_area

DOCS = Path(__file__).resolve().parents[3] / "docs" / "forensics.md"


def test_the_count_order_wording_quotes_the_measured_coverage() -> None:
    """The clause says every election's measured figure (count_order words a miss with it:
    test_forensics_count_order_outside)."""
    said = held_out_by_area()
    for election, covered in SORTED_HOLD_OUTS.covered.items():
        assert f"{covered} on {election}" in said or f"{covered} times in 100 on {election}" in said
    assert not hasattr(count_order, "HELD_OUT_BY_AREA")  # no second copy of the figures


def test_the_docs_coverage_table_gives_the_same_figures() -> None:
    row = next(line for line in DOCS.read_text(encoding="utf-8").splitlines() if line.startswith("| sorted by geography |"))
    covered = [int(n) for n in re.findall(r"\*\*(\d+)/100\*\*", row)]
    assert covered == list(SORTED_HOLD_OUTS.covered.values()) and SORTED_HOLD_OUTS.trials == 100
    assert "--trials 100" in SORTED_HOLD_OUTS.command and "seed 11" in SORTED_HOLD_OUTS.settings
