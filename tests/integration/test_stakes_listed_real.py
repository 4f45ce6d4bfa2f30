"""Fuerza Popular's 59 highlighted tables of the 2021 runoff weighed as they are: 2 counted and
18 resolved could be annulled, 39 annulled (9,820 ballots) could be counted, and the 20 sheets
still at the dispute body are named as such (issue 13, item 8)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.conftest import DATA, RUNOFF, need_shared

from escrutinio.app import Session

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def _cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def runoff(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The runoff as ONPE's file has it: 20 sheets observed, each an open case on the docket."""
    db = str(tmp_path_factory.mktemp("listed") / "runoff.db")
    loaded = _cli(db, "load", str(need_shared(RUNOFF)), "--election", "peru-2021-runoff")
    assert loaded.returncode == 0, loaded.stderr
    return db


def test_the_59_tables_are_weighed_by_where_they_stand(runoff: str) -> None:
    listed = need_shared(DATA / "peru-2021-runoff" / "fp-highlighted-59-tables.csv")
    with Session(runoff) as session:
        report = session.stakes.report(listed=listed)
        alone = session.stakes.report()
    out = report["listed"]
    assert out["tables"] == 59 and out["unknown_tables"] == []
    assert out["by_state"] == {
        "annulled": {"tables": 39, "ballots": 9_820},
        "counted": {"tables": 2, "ballots": 475},
        "resolved": {"tables": 18, "ballots": 4_430},
    }
    assert (out["leader"], out["runner_up"], out["margin"]) == ("PL", "FP", 44_349)
    # Counting the 39 annulled sheets at worst (every ballot for FP) costs at most 9,820 votes, and
    # annulling the counted ones where PL led at most what PL led by there: the winner stands.
    assert out["lowest_margin"] <= 44_349 - 9_820 and out["lowest_margin"] > 0 and not out["can_change_winner"]
    assert out["highest_margin"] >= 44_349 + 9_820
    annulled = [t for t in out["per_table"] if t["state"] == "annulled"]
    assert len(annulled) == 39 and all({o["outcome"] for o in t["outcomes"]} >= {"count_at_area_rates", "count_worst_case"}
                                       for t in annulled)  # fmt: skip
    # The list is weighed apart from the docket: its 20 counted and resolved tables are not also
    # annulment claims in the headline (that counted them twice: 40 claims, worst case 43,815).
    assert (report["claims"], report["tables_under_claim"]) == (alone["claims"], alone["tables_under_claim"]) == (20, 20)
    assert report["worst_case_margin"] == alone["worst_case_margin"] == 43_959
    assert report["sheets_at_dispute_body"] == alone["sheets_at_dispute_body"] == 20
    assert len(report["sheets_at_dispute_body_tables"]) == 20 and "026140" in report["sheets_at_dispute_body_tables"]


def test_stakes_cli_names_the_sheets_at_the_dispute_body(runoff: str) -> None:
    listed = need_shared(DATA / "peru-2021-runoff" / "fp-highlighted-59-tables.csv")
    out = _cli(runoff, "stakes", "--claims", str(listed))
    assert out.returncode == 0, out.stderr
    assert "20 open claims (of which 20 are sheets still at the dispute body) on 20 tables" in out.stdout
    assert "Sheets still at the dispute body (20): 026140, 052363," in out.stdout
    assert "The 39 annulled ones hold 9,820 ballots" in out.stdout and "cannot put FP level with or ahead of PL" in out.stdout
    assert "the listed tables cannot change it" in out.stdout
