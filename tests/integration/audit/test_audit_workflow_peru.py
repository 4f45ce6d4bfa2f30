"""A whole MACRO audit of Peru's 2021 runoff at a 5 % risk limit, through the application on a
real SQLite store: plan, a 20-digit seed, the draw, both entries of every sampled table equal to
its sheet entered from one CSV file (``audit record --file``), the measured risk, the report, and
the same audit recomputed from the exported log."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from escrutinio.app import Session
from escrutinio.audit.kinds import AuditMethod, Decision
from escrutinio.audit.risk import parse_risk

pytestmark = [pytest.mark.shared, pytest.mark.slow]

SEED = "73029184650183746529"


def double_entries(session: Session, path: Path) -> Path:
    """Both entries of every sampled table, equal to what its sheet reports, as a bulk CSV."""
    state = session.audit._service.state()
    batches = state.manifest.batches  # type: ignore[union-attr]
    lines = ["table,entry,PL,FP,other,ballots,by"]
    for table in state.unsettled_tables():
        i = batches.index_of(table)
        won, lost, ballots = int(batches.winner_votes[i]), int(batches.loser_votes[i]), int(batches.ballots[i])
        lines += [f"{table},{entry},{won},{lost},{ballots - won - lost},{ballots},clerk {entry}" for entry in (1, 2)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_macro_audit_of_the_runoff_confirms_when_sheets_are_right(runoff_file: Path, sqlite_db: str, tmp_path: Path) -> None:
    loader = Session(sqlite_db)
    loader.count.load(runoff_file, "peru-2021-runoff")
    loader.close()
    with Session(sqlite_db, actor="auditor") as session:
        audit = session.audit
        planned = audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
        assert (planned["winner"], planned["loser"], planned["risk_limit"]) == ("PL", "FP", "0.05")
        assert planned["manifest_tables"] == 86_462  # counted, resolved and annulled tables
        assert planned["first_round_draws"] == planned["plan"]["draws"] == 1_275
        audit.seed(SEED, "20 ten-sided dice at the public ceremony")

        drawn = audit.draw()
        assert drawn["round"] == 1 and drawn["draws"] == 1_275
        assert (drawn["tables"], drawn["ballots"], len(drawn["centres"])) == (1_265, 284_135, 532)
        assert sum(len(c["tables"]) for c in drawn["centres"]) == drawn["tables"]
        assert all(c["district_name"] for c in drawn["centres"])

        counts = double_entries(session, tmp_path / "hand-counts.csv")
        recorded = audit.record_file(counts)
        assert (recorded["entries"], recorded["events"], recorded["already_recorded"]) == (2_530, 2_530, 0)
        assert (recorded["phase"], recorded["unsettled"]) == ("measurable", 0)
        head = session.store.head()
        again = audit.record_file(counts)  # a rerun adds nothing
        assert (again["events"], again["already_recorded"]) == (0, 2_530) and session.store.head() == head

        measured = audit.measure()
        assert measured["decision"] == Decision.CONFIRMED and measured["draws"] == 1_275
        assert measured["risk"] == "0.0499960755052" and parse_risk(measured["risk"]) <= parse_risk("0.05")
        report = audit.report()
        assert report["report"]["outcome"] == Decision.CONFIRMED and report["report"]["tables_with_differences"] == 0
        assert report["report"]["tables_counted"] == drawn["tables"]
        # A runoff is one pair: its record is a pair record (no pair risks stored), and status
        # names the pair with the audit's risk.
        assert "pair_risks" not in measured and (report["winners"], report["losers"]) == (["PL"], ["FP"])
        assert report["pairs"] == [{"pair": "PL>FP", "winner": "PL", "loser": "FP", "margin": 44_349, "risk": measured["risk"]}]

        log = tmp_path / "runoff.jsonl"
        log.write_bytes(b"".join(line + b"\n" for line in session.store.event_lines()))
        assert audit.report_from_log(log) == report


def test_a_minerva_audit_of_the_runoff_is_planned_seeded_and_drawn_by_the_exact_law(runoff_file: Path, sqlite_db: str) -> None:
    """Minerva is a recorded method on the real runoff: its round 1 is the exact binomial law's
    size for a 0.9 chance of confirming (1.5 million ballots at 5 %: the margin is 0.25 % of the
    pair's votes), the plan states it, and the seeded record stands ready to draw. (The draw and
    1.5 million double readings are too many for a test; a whole Minerva audit runs through the
    CLI in tests/integration/audit/test_audit_polling_cli.py.)"""
    from escrutinio.audit.minerva import minerva_round_size

    loader = Session(sqlite_db)
    loader.count.load(runoff_file, "peru-2021-runoff")
    loader.close()
    with Session(sqlite_db, actor="auditor") as session:
        planned = session.audit.plan(Fraction(1, 20), method=AuditMethod.MINERVA)
        assert (planned["method"], planned["unit"], planned["winner"], planned["loser"]) == ("minerva", "ballots", "PL", "FP")
        pair = session.audit._service.state().reported_pair()
        size = minerva_round_size(pair.winner_votes, pair.loser_votes, pair.ballots, "0.05", "0.9")
        assert planned["first_round_draws"] == planned["plan"]["draws"] == size == 1_498_356
        assert planned["plan"]["details"] == {"0.9": size} and planned["plan"]["full_hand_count"] == "no"
        seeded = session.audit.seed(SEED, "20 ten-sided dice")
        assert seeded["phase"] == "seeded"
        assert session.audit.status()["method"] == "minerva"
