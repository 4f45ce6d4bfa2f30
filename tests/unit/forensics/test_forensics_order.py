"""The count order a person gives (``--order``): ranks from times or ranks, every bad row named."""

from __future__ import annotations

from pathlib import Path

import pytest

from escrutinio.domain.errors import InputError
from escrutinio.forensics.order import read_order


def test_forensics_order_ranks_follow_times_and_ties_share_a_rank(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("table,at\n000003,2021-06-06T20:00\n000001,2021-06-06T18:00\n000002,2021-06-06T20:00\n")
    assert read_order(p) == {"000001": 1, "000003": 2, "000002": 2}


def test_forensics_order_without_at_is_the_row_order(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("MESA_DE_VOTACION\n000009\n000002\n")
    assert read_order(p) == {"000009": 1, "000002": 2}


def test_forensics_order_reports_every_bad_row(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("table,at\n000001,5\n,6\n000001,7\n000004,later\n")
    with pytest.raises(InputError) as err:
        read_order(p)
    text = str(err.value)
    assert f"{p}:3:table: expected a table id" in text
    assert f"{p}:4:table: table '000001' is listed twice (first on line 2)" in text
    assert f"{p}:5:at: expected a time (ISO 8601) or a rank (integer), got 'later'" in text


def test_forensics_order_without_a_table_column_lists_the_file_columns(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("acta,hora\n1,2\n")
    with pytest.raises(InputError, match="the file has acta, hora"):
        read_order(p)
