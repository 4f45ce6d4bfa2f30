"""A published list of tables given to ``stakes``: a table not in the election is refused naming its
line, a missing column lists the file's columns, a repeated table is weighed once and said so, and
the sheets still at the dispute body are named (issue 13, must-have 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.app.stakes import dispute_body_line, listed_lines
from escrutinio.domain.errors import InputError


@pytest.fixture
def session(tmp_path: Path) -> Session:
    s = Session(str(tmp_path / "s.db"))
    s.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    return s


def test_stakes_refuses_a_listed_table_not_in_the_election_by_its_line(session: Session, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("MESA_DE_VOTACION\n000004\n999999\n")
    with pytest.raises(InputError) as err:
        session.stakes.report(listed=listed)
    assert str(err.value) == f"claims: {listed}:3:MESA_DE_VOTACION: table '999999' is not in this election"
    assert err.value.field == "claims"


def test_forensics_refuses_the_same_claims_file_as_stakes(session: Session, tmp_path: Path) -> None:
    """One reader for --claims: forensics refuses a claimed table not in the election as stakes
    does, instead of dropping it unseen."""
    from escrutinio.app.forensics import ForensicsOptions

    listed = tmp_path / "list.csv"
    listed.write_text("MESA_DE_VOTACION\n000004\n999999\n")
    with pytest.raises(InputError) as err:
        session.forensics.run(ForensicsOptions(tests=("peers",), claims=listed))
    assert str(err.value) == f"claims: {listed}:3:MESA_DE_VOTACION: table '999999' is not in this election"
    assert err.value.field == "claims"


def test_stakes_missing_column_lists_the_file_columns(session: Session, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("acta,partido\n000004,FP\n")
    with pytest.raises(
        InputError, match=r"list.csv:1: expected a column MESA_DE_VOTACION, table, mesa, Número Mesa; the file has acta, partido$"
    ):
        session.stakes.report(listed=listed)


def test_stakes_says_a_repeated_table_is_weighed_once_and_names_the_sheets_at_the_dispute_body(
    session: Session, tmp_path: Path
) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("table\n000004\n000001\n000004\n")
    report = session.stakes.report(listed=listed)
    assert report["listed"]["tables"] == 2 and report["listed"]["repeated"] == [{"table": "000004", "lines": [2, 4]}]
    assert "Table 000004 is listed twice (lines 2 and 4): weighed once." in listed_lines(report["listed"])
    assert report["sheets_at_dispute_body_tables"] == ["000007"]  # EN PROCESO in the sample: at the dispute body
    assert dispute_body_line(report) == "Sheets still at the dispute body (1): 000007."


def test_stakes_and_forensics_read_a_listed_id_without_its_leading_zeros(session: Session, tmp_path: Path) -> None:
    """A list saved from a spreadsheet writes table 000004 as 4: stakes weighs it as 000004, and the
    same table written both ways is a repeat, weighed once."""
    from escrutinio.app.forensics import ForensicsOptions

    listed = tmp_path / "list.csv"
    listed.write_text("table\n4\n000001\n000004\n")
    report = session.stakes.report(listed=listed)
    assert report["listed"]["tables"] == 2 and report["listed"]["repeated"] == [{"table": "000004", "lines": [2, 4]}]
    result = session.forensics.run(ForensicsOptions(tests=("peers",), claims=listed))
    assert [t["table"] for t in result.results[0].details["per_table"]] == ["000001", "000004"]
