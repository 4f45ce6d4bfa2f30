"""``session.audit``: a step taken again is refused with the reason that applies to the record as
it stands, not the reason an earlier phase would have had."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.audit.entries import HandCountEntry
from escrutinio.audit.kinds import AuditMethod
from escrutinio.domain.errors import RuleError

SEED = "31415926535897932384"


def _counted(session: Session) -> None:
    """Every sampled table's hand count, twice, equal to its sheet."""
    for row in session.audit.status()["tables"]:
        won, lost, ballots = row["sheet_winner"], row["sheet_loser"], row["sheet_ballots"]
        counts = {"FP": won, "PL": lost, "other": ballots - won - lost}
        for entry in (1, 2):
            session.audit.record(HandCountEntry(row["table"], entry, counts, ballots, f"clerk {entry}"))


def test_measuring_a_measured_round_again_names_the_decision_not_the_hand_counts(tmp_path: Path) -> None:
    with Session(str(tmp_path / "s.db"), "auditor") as session:
        session.count.load(write(tmp_path / "s.csv"), "peru-2021-runoff")
        session.audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
        session.audit.seed(SEED)
        session.audit.draw()
        _counted(session)
        assert session.audit.measure()["decision"] == "confirmed"
        events = session.store.head()[0]
        with pytest.raises(RuleError) as again:
            session.audit.measure()
        assert "already measured" in str(again.value) and "confirmed" in str(again.value)
        assert "audit report" in str(again.value) and "settled" not in str(again.value)
        session.audit.report()
        with pytest.raises(RuleError) as reported:
            session.audit.measure()
        assert "already measured" in str(reported.value) and "reported" in str(reported.value)
        assert session.store.head()[0] == events + 1  # the report only: the refusals wrote nothing
