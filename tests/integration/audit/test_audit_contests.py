"""Audit plans for contests with many choices on real data: Peru's 2021 first round (18 choices,
nobody above 50 %: the audit checks who goes to the runoff) and Chile's 2021 first round."""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import DATA, need_shared

from escrutinio.audit.contest import contest_batches_from_frame
from escrutinio.audit.plan import ALPHA_BATCH, ALPHA_POLLING, BRAVO, MACRO, plan_audit, plan_contest
from escrutinio.domain import table_frame as tf
from escrutinio.formats.definition import load_definition
from escrutinio.intake.frames import read_table_frame

pytestmark = pytest.mark.shared

PERU_FIRST = DATA / "peru-2021-first-round" / "Resultados_1ra_vuelta_Version_PCM.csv.gz"
PERU_RUNOFF = DATA / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
CHILE = DATA / "chile-2021-first-round" / "chile_election_2021.csv"


def _choices(name: str) -> list[str]:
    election, _ = load_definition(name)
    return [choice.id for choice in election.contest.choices]


@pytest.fixture(scope="module")
def peru_first() -> pl.DataFrame:
    need_shared(PERU_FIRST)
    election, _ = load_definition("peru-2021-first-round")
    return read_table_frame(PERU_FIRST, election)


def test_plan_for_perus_first_round(peru_first: pl.DataFrame) -> None:
    """Castillo (PL) and Fujimori (FP) go to the runoff over 16 others: 32 pairs; the closest is
    Fujimori over López Aliaga (RP), 1,930,538 to 1,692,072 in the file's tables in the count."""
    plan = plan_contest(peru_first, _choices("peru-2021-first-round"), ["PL", "FP"], "0.05")
    assert plan.winners == ("PL", "FP") and len(plan.losers) == 16
    assert plan.votes["PL"] == 2_724_542 and plan.votes["FP"] == 1_930_538 and plan.votes["RP"] == 1_692_072
    assert 2 * plan.votes["PL"] < sum(plan.votes.values())  # the leader is below half of the valid votes
    assert (plan.closest_pair, plan.closest_margin) == ("FP>RP", 238_466)
    assert (plan.tables, plan.ballots) == (85_957, 17_705_182)
    assert plan.total_error_bound == "17978281/238466"
    assert {m.method: m.draws for m in plan.methods} == {BRAVO: 6_825, ALPHA_POLLING: 18_395, MACRO: 225, ALPHA_BATCH: 227}
    assert plan.method(BRAVO).details == {"asn": 6_825, "0.7": 10_327, "0.8": 13_256, "0.9": 18_427}
    assert plan.method(MACRO).details == {"smallest": 225, "arlo": 226}
    assert set(plan.binding_pairs.values()) == {"FP>RP"}
    assert not any(m.full_hand_count for m in plan.methods)


def test_every_tables_bound_covers_every_pair(peru_first: pl.DataFrame) -> None:
    """MACRO's per-table bound is at least each pair's own bound (in the plan's units)."""
    batches = contest_batches_from_frame(peru_first, _choices("peru-2021-first-round"), ["PL", "FP"])
    votes, ballots, scale = batches.votes, batches.ballots, batches.scale
    columns = {choice: i for i, choice in enumerate(batches.contest.votes)}
    for winner, loser in batches.contest.pairs():
        reach = votes[:, columns[winner]] - votes[:, columns[loser]] + ballots
        assert (batches.bound_numerators * batches.contest.margin((winner, loser)) >= reach * scale).all()


def test_the_runoff_plan_is_unchanged_through_the_contest_planner() -> None:
    need_shared(PERU_RUNOFF)
    election, _ = load_definition("peru-2021-runoff")
    frame = read_table_frame(PERU_RUNOFF, election)
    contest = plan_contest(frame, ["PL", "FP"], ["PL"], "0.05")
    pair = plan_audit(frame, "PL", "FP", "0.05")
    assert contest.methods == pair.methods
    expected = {BRAVO: 1_012_591, ALPHA_POLLING: 1_016_479, MACRO: 1_275, ALPHA_BATCH: 1_288}
    assert {m.method: m.draws for m in contest.methods} == expected
    assert contest.method(MACRO).details == {"smallest": 1_275, "arlo": 1_276}


def test_plan_for_chiles_first_round() -> None:
    """Kast and Boric go to the runoff; the closest pair is Boric over Parisi (897,186 votes)."""
    need_shared(CHILE)
    election, _ = load_definition("chile-2021-first-round")
    frame = read_table_frame(CHILE, election)
    assert set(frame[tf.STATE].unique()) == {"counted"}
    plan = plan_contest(frame, _choices("chile-2021-first-round"), ["KAST", "BORIC"], "0.05")
    assert plan.votes["KAST"] == 1_953_207 and plan.votes["BORIC"] == 1_795_691 and plan.votes["PARISI"] == 898_505
    assert (plan.closest_pair, plan.closest_margin) == ("BORIC>PARISI", 897_186)
    assert (plan.tables, plan.ballots) == (46_606, 7_075_532)
    assert {m.method: m.draws for m in plan.methods} == {BRAVO: 146, ALPHA_POLLING: 230, MACRO: 27, ALPHA_BATCH: 27}
    assert plan.method(MACRO).details == {"smallest": 27, "arlo": 28}


def test_the_audit_command_plans_every_pair_of_a_first_round(tmp_path: object) -> None:
    """`escrutinio audit plan` on a first-round store plans the outcome it reports (PL and FP to
    the runoff, over every other choice), not the top two against each other; a recorded audit,
    which follows one pair, is refused with a line saying so rather than auditing the wrong pair."""
    import json
    from pathlib import Path

    from typer.testing import CliRunner

    from escrutinio.cli import app

    need_shared(PERU_FIRST)
    db = str(Path(str(tmp_path)) / "first.db")
    runner = CliRunner()
    loaded = runner.invoke(app, ["--db", db, "load", str(PERU_FIRST), "--election", "peru-2021-first-round"])
    assert loaded.exit_code == 0, loaded.output
    shown = runner.invoke(app, ["--db", db, "audit", "plan", "--risk-limit", "0.05", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    plan = json.loads(shown.output)
    assert plan["winners"] == ["PL", "FP"] and plan["closest_pair"] == "FP>RP"
    assert {m["method"]: m["draws"] for m in plan["methods"]}[MACRO] == 225
    recorded = runner.invoke(app, ["--db", db, "audit", "plan", "--risk-limit", "0.05", "--method", "macro", "--record"])
    assert recorded.exit_code == 1
    assert "this contest reports 2 winners (PL, FP go to the runoff)" in str(recorded.exception) + recorded.output
