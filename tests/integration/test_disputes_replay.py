"""Issue 3's must-show on the real runoff file: the 2021 dispute replayed end to end, through
the application layer (what ``escrutinio demo dispute`` runs)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from escrutinio.app import Session
from escrutinio.app.replay_2021 import replay_2021
from escrutinio.domain.claims import CaseKind

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def test_replay_2021(runoff_file: Path, sqlite_db: str) -> None:
    out = replay_2021(runoff_file, sqlite_db)
    night, filed, judged, first, last = out["phases"]
    # Election night: the sheets the bodies later settled are observed, not counted.
    assert night["tables"]["observed"] == 1_619 and night["docket"]["observation:admitted"] == 1_619
    # Before any ruling: with every request open (late ones included) some set could change the
    # winner, and the stakes name its size; once the late and unpaid ones are refused, the
    # admitted requests and the observed sheets together cannot (computed, not asserted: these
    # hold for this seeded docket on this file).
    assert filed["stakes"]["claims"] > 2_000
    assert filed["stakes"]["can_change_winner"] is (filed["stakes"]["worst_case_margin"] <= 0)
    assert judged["stakes"]["can_change_winner"] is False and judged["stakes"]["worst_case_margin"] > 0
    assert judged["votes"] == night["votes"]  # admissibility alone changes no vote
    # After the rulings the count equals the count issue's figures to the vote.
    for p in (first, last):
        assert p["votes"] == {"PL": 8_834_440, "FP": 8_790_091}
        assert (p["blank"], p["null"], p["ballots_cast"], p["margin"]) == (121_462, 1_106_523, 18_852_516, 44_349)
        assert p["tables"]["observed"] == 20 and p["tables"]["resolved"] == 1_386 and p["tables"]["annulled"] == 213
    assert out["verify_ok"]
    # Every request filed after the deadline is inadmissible for lateness; only appeals out of
    # time were refused among the later steps.
    session = Session(sqlite_db)
    deadline = session.election().claims.deadline
    requests = session.cases.listing(kind=CaseKind.NULLITY_REQUEST)
    late = [r for r in requests if datetime.fromisoformat(r["filed_at"]) > deadline]
    assert late and all(r["rule"] == "late" for r in late)
    assert {(r["action"], r["rule"]) for r in out["refused_steps"]} == {("appeal", "late")}
    assert 90 <= len(out["refused_steps"]) <= 110
    # History reconstructed, not live: every step shows its 2021 time beside the time of receipt.
    shown = session.cases.show(late[0]["number"])
    assert all(h["declared"] and h["at"].startswith("2021-") for h in shown["history"])
    assert all(datetime.fromisoformat(h["received_at"]).year >= 2025 for h in shown["history"])
    assert {h["actor"] for h in shown["history"]} == {"administrator:replay-2021"}
    session.close()
