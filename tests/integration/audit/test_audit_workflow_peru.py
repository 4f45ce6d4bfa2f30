"""A whole MACRO audit of Peru's 2021 runoff at a 5 % risk limit, through the audit service on a
real SQLite store: plan, a 20-digit seed, the draw, both entries of every sampled table equal to
its sheet, the measured risk, the report, and the same audit recomputed from the exported log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from escrutinio.audit.plan import MACRO
from escrutinio.audit.risk import parse_risk
from escrutinio.audit.service import AuditService, HandCountEntry, audit_from_log, summary
from escrutinio.audit.workflow import CONFIRMED
from escrutinio.canvass import Canvass

pytestmark = pytest.mark.shared

SEED = "73029184650183746529"


def test_a_macro_audit_of_the_runoff_confirms_when_sheets_are_right(runoff_file: Path, sqlite_db: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    canvass = Canvass(sqlite_db)
    canvass.load(runoff_file, "peru-2021-runoff")
    service = AuditService(canvass)

    planned = service.plan("0.05", method=MACRO)
    assert (planned["winner"], planned["loser"], planned["risk_limit"]) == ("PL", "FP", "0.05")
    assert planned["manifest_tables"] == 86_462  # counted, resolved and annulled tables
    assert planned["first_round_draws"] == planned["plan"]["draws"] == 1_275
    service.seed(SEED, "20 ten-sided dice at the public ceremony")

    drawn = service.draw()
    assert drawn["round"] == 1 and drawn["draws"] == 1_275
    assert (drawn["tables"], drawn["ballots"], len(drawn["centres"])) == (1_265, 284_135, 532)
    assert sum(len(c["tables"]) for c in drawn["centres"]) == drawn["tables"]
    assert all(c["district_name"] for c in drawn["centres"])

    state = service.state()
    batches = state.manifest.batches  # type: ignore[union-attr]
    entries = []
    for table in state.unsettled_tables():
        i = batches.index_of(table)
        won, lost, ballots = int(batches.winner_votes[i]), int(batches.loser_votes[i]), int(batches.ballots[i])
        counts = {"PL": won, "FP": lost, "other": ballots - won - lost}
        entries += [HandCountEntry(table, entry, counts, ballots, f"clerk {entry}") for entry in (1, 2)]
    recorded = service.record_many(entries)
    assert recorded == {"events": 2 * drawn["tables"], "phase": "measurable", "unsettled": 0}

    measured = service.measure()
    assert measured["decision"] == CONFIRMED and measured["draws"] == 1_275
    assert measured["risk"] == "0.0499960755052" and parse_risk(measured["risk"]) <= parse_risk("0.05")
    report = service.report()
    assert report["report"]["outcome"] == CONFIRMED and report["report"]["tables_with_differences"] == 0
    assert report["report"]["tables_counted"] == drawn["tables"]

    log = tmp_path / "runoff.jsonl"
    canvass.export_log(log)
    assert summary(audit_from_log(log)) == report
    assert time.perf_counter() - started < 60
