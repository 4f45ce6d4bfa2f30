"""Audit plans for contests with many choices on real data: Peru's 2021 first round (18 choices,
nobody above 50 %: the audit checks who goes to the runoff) and Chile's 2021 first round."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.conftest import DATA, need_shared

from escrutinio.audit.manifest import contest_batches_from_frame
from escrutinio.audit.plan import ALPHA_BATCH, ALPHA_POLLING, BRAVO, MACRO, MINERVA, plan_audit, plan_contest
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
    assert {m.method: m.draws for m in plan.methods} == {
        BRAVO: 6_825,
        ALPHA_POLLING: 18_395,
        MINERVA: 10_201,
        MACRO: 225,
        ALPHA_BATCH: 227,
    }
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
    expected = {BRAVO: 1_012_591, ALPHA_POLLING: 1_016_479, MINERVA: 1_498_356, MACRO: 1_275, ALPHA_BATCH: 1_288}
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
    assert {m.method: m.draws for m in plan.methods} == {BRAVO: 146, ALPHA_POLLING: 230, MINERVA: 224, MACRO: 27, ALPHA_BATCH: 27}
    assert plan.method(MACRO).details == {"smallest": 27, "arlo": 28}


def _hand_counts(log: Path, tables: list[str], path: Path, moved: dict[str, tuple[str, str, int]]) -> Path:
    """Both entries of each table, as its sheet in the record's manifest gives every choice
    (one column per choice), except ``moved[table] = (from, to, votes)``."""
    planned = next(json.loads(line) for line in log.read_bytes().splitlines() if json.loads(line)["type"] == "audit.planned")
    manifest = planned["data"]["manifest"]
    choices, at = manifest["choices"], {t: i for i, t in enumerate(manifest["table"])}
    lines = ["table,entry," + ",".join(choices) + ",other,ballots,by"]
    for table in tables:
        votes = {c: manifest["votes"][j][at[table]] for j, c in enumerate(choices)}
        if table in moved:
            source, target, n = moved[table]
            votes[source], votes[target] = votes[source] - n, votes[target] + n
        ballots = manifest["ballots"][at[table]]
        row = ",".join(str(votes[c]) for c in choices) + f",{ballots - sum(votes.values())},{ballots}"
        lines += [f"{table},{entry},{row},clerk {entry}" for entry in (1, 2)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_a_recorded_audit_of_perus_first_round_confirms_every_pair(tmp_path: Path) -> None:
    """Through the CLI: Peru's first round (18 choices) audited by MACRO at 5 %, PL and FP each
    confirmed over the 16 others (32 pairs) on one sample. The manifest carries every choice's
    votes; a hand count that moves 3 votes from FP to RP raises the closest pair's risk above
    the limit (and PL>RP's less), a second round confirms; each pair's risk is reported; the
    exported record verifies and recomputes the same audit."""
    from typer.testing import CliRunner

    from escrutinio.cli import app

    need_shared(PERU_FIRST)
    db = str(tmp_path / "first.db")
    runner = CliRunner()

    def ok(*args: str) -> Any:
        result = runner.invoke(app, ["--db", db, *args])
        assert result.exit_code == 0, f"{args}: {result.output} {result.exception!r}"
        return json.loads(result.output) if "json" in args else result.output

    ok("load", str(PERU_FIRST), "--election", "peru-2021-first-round")
    shown = ok("audit", "plan", "--risk-limit", "0.05", "--format", "json")
    assert shown["winners"] == ["PL", "FP"] and shown["closest_pair"] == "FP>RP"
    planned = ok("audit", "plan", "--risk-limit", "0.05", "--method", "macro", "--record", "--format", "json")
    assert (planned["winner"], planned["loser"], planned["winners"]) == ("FP", "RP", ["PL", "FP"])
    assert len(planned["losers"]) == 16 and len(planned["pairs"]) == 32
    assert planned["first_round_draws"] == planned["plan"]["draws"] == {m["method"]: m["draws"] for m in shown["methods"]}[MACRO]
    assert planned["plan"]["details"] == {"smallest": 225, "arlo": 226} and planned["manifest_tables"] == 85_957
    ok("audit", "seed", "73029184650183746529", "--ceremony", "20 ten-sided dice")
    drawn = ok("audit", "draw", "--format", "json")
    tables = [t["table"] for c in drawn["centres"] for t in c["tables"]]
    assert drawn["draws"] == 225 and len(tables) == drawn["tables"]

    log = tmp_path / "log.jsonl"
    ok("log", "export", str(log))
    moved = {tables[0]: ("FP", "RP", 3)}
    ok("audit", "record", "--file", str(_hand_counts(log, tables, tmp_path / "round1.csv", moved)))
    first = ok("audit", "measure", "--format", "json")
    pair_risks = {pair: float(risk) for pair, risk in first["pair_risks"].items()}
    assert len(pair_risks) == 32 and float(first["risk"]) == max(pair_risks.values()) == pair_risks["FP>RP"]
    # RP gained 3 votes (PL>RP's margin overstated by 3) and FP lost 3 (FP>RP's by 6); PL>PNP is untouched
    assert pair_risks["PL>PNP"] < pair_risks["PL>RP"] < pair_risks["FP>RP"]
    assert first["decision"] == "next_round" and float(first["risk"]) > 0.05

    drawn = ok("audit", "draw", "--format", "json")
    assert drawn["round"] == 2 and drawn["draws"] == first["next_round_draws"]
    ok("log", "export", str(log))
    more = [t["table"] for c in drawn["centres"] for t in c["tables"]]
    ok("audit", "record", "--file", str(_hand_counts(log, more, tmp_path / "round2.csv", {})))
    second = ok("audit", "measure", "--format", "json")
    assert second["decision"] == "confirmed" and max(map(float, second["pair_risks"].values())) <= 0.05

    status = ok("audit", "status", "--format", "json")
    assert {row["pair"]: row["risk"] for row in status["pairs"]} == second["pair_risks"]
    changed = next(row for row in status["tables"] if row["table"] == tables[0])
    assert (changed["worst_pair"], changed["overstatement_votes"]) == ("FP>RP", 6)
    assert "Winner-loser pairs" in ok("audit", "status")
    report = ok("audit", "report", "--format", "json")
    assert report["report"]["winners"] == ["PL", "FP"] and report["report"]["pair_risks"] == second["pair_risks"]
    ok("log", "export", str(log))
    assert ok("verify", str(log), "--format", "json")["ok"]
    assert ok("audit", "report", "--log", str(log), "--format", "json") == report
