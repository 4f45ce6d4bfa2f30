"""Unit tests of what is at stake and the 2021 scenario (on the real ONPE file)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from escrutinio.count.stakes import OpenClaim, smallest_overturning_set, stakes
from escrutinio.disputes.scenario_2021 import bodies_2021_rulings, play, processed_base, runoff_2021_docket
from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import CaseKind, CaseStatus, EffectKind, Figures, table_outcomes
from escrutinio.domain.errors import RuleError
from escrutinio.formats.definition import load_definition
from escrutinio.intake.frames import read_table_frame

ELECTION = load_definition("peru-2021-runoff")[0]
LIMA = ZoneInfo("America/Lima")


def frame(rows: list[tuple[str, str, int, int, int]]) -> pl.DataFrame:
    """(table, state, PL, FP, challenged) rows as a table frame."""
    return pl.DataFrame(
        {
            tf.TABLE: [r[0] for r in rows],
            tf.STATE: [r[1] for r in rows],
            "v_PL": [r[2] for r in rows],
            "v_FP": [r[3] for r in rows],
            tf.CHALLENGED: [r[4] for r in rows],
            tf.BLANK: [0] * len(rows),
            tf.NULL: [0] * len(rows),
            tf.VALID: [r[2] + r[3] for r in rows],
            tf.CAST: [r[2] + r[3] + r[4] for r in rows],
        },
        schema_overrides={c: pl.Int64 for c in ("v_PL", "v_FP", tf.CHALLENGED, tf.BLANK, tf.NULL, tf.VALID, tf.CAST)},
    )


SMALL = frame(
    [
        ("1", "counted", 100, 10, 0),  # PL +90
        ("2", "counted", 80, 20, 0),  # PL +60
        ("3", "counted", 10, 40, 0),  # FP +30
        ("4", "observed", 10, 60, 0),  # FP +50, not counted
        ("5", "resolved", 50, 45, 6),  # PL +5
        ("6", "annulled", 0, 0, 0),
    ]
)  # counted margin: PL 240 - FP 115 = 125


def test_margin_and_votes_under_claim() -> None:
    s = stakes(SMALL, ELECTION, [OpenClaim("A", ("1",), EffectKind.ANNUL)], include_observed=False)
    assert (s.leader, s.runner_up, s.margin) == ("PL", "FP", 125)
    assert s.votes == {"PL": 240, "FP": 115}
    assert s.under_claim["votes"] == {"PL": 100, "FP": 10} and s.tables_under_claim == 1
    assert s.worst_case_margin == 35 and not s.can_change_winner and s.smallest_set is None


def test_smallest_set_takes_the_biggest_cuts_first() -> None:
    claims = [
        OpenClaim("A", ("1",), EffectKind.ANNUL),  # cuts 90
        OpenClaim("B", ("2",), EffectKind.ANNUL),  # cuts 60
        OpenClaim("C", ("5",), EffectKind.ANNUL),  # cuts 5
        OpenClaim("D", ("3",), EffectKind.ANNUL),  # helps PL by 30: never in the worst case
    ]
    s = stakes(SMALL, ELECTION, claims, include_observed=False)
    assert s.can_change_winner and s.smallest_set == ("A", "B") and s.exact
    assert s.worst_case_margin == 125 - 155
    assert s.margin_if_all_granted == 125 - 155 + 30
    assert s.to_dict()["smallest_set_size"] == 2


def test_observed_tables_are_at_stake_on_their_own() -> None:
    s = stakes(SMALL, ELECTION, [OpenClaim("A", ("1",), EffectKind.ANNUL)])
    assert s.implicit_observed == 1 and s.claims == 2
    assert s.worst_case_margin == 125 - 90 - 50
    assert s.can_change_winner and s.smallest_set == ("A", "observed:4")


def test_shared_tables_count_once() -> None:
    claims = [OpenClaim("A", ("1",), EffectKind.ANNUL), OpenClaim("B", ("1", "1"), EffectKind.ANNUL)]
    s = stakes(SMALL, ELECTION, claims, include_observed=False)
    assert s.worst_case_margin == 35 and s.under_claim["tables"] == 1


def test_corrections_and_challenged_ballots() -> None:
    fix = OpenClaim("F", ("2",), EffectKind.COUNT_CORRECTED, Figures((20, 80), 0, 0, 0, 100))  # +60 → -60: cuts 120
    s = stakes(SMALL, ELECTION, [fix], include_observed=False)
    assert s.worst_case_margin == 5 and not s.can_change_winner
    ch = OpenClaim("V", ("5",), EffectKind.DECIDE_CHALLENGED)  # all 6 challenged to FP: cuts 6
    s = stakes(SMALL, ELECTION, [fix, ch], include_observed=False)
    assert s.worst_case_margin == -1 and s.smallest_set == ("F", "V")
    with pytest.raises(RuleError):
        stakes(SMALL, ELECTION, [OpenClaim("F", ("2",), EffectKind.COUNT_CORRECTED, Figures((1,), 0, 0, 0, 1))])
    with pytest.raises(RuleError):
        stakes(SMALL, ELECTION, [OpenClaim("X", ("2",), EffectKind.CONFIRM)])


def test_unknown_tables_are_reported() -> None:
    s = stakes(SMALL, ELECTION, [("A", ["1", "999"], EffectKind.ANNUL, None)], include_observed=False)
    assert s.unknown_tables == ("999",) and s.worst_case_margin == 35


def test_smallest_set_within_a_group_of_shared_tables() -> None:
    # A and B overlap on t1; C alone. Cuts: A = {t1: 50, t2: 10}, B = {t1: 50, t3: 30}, C = {t4: 55}
    reductions = [{"t1": 50, "t2": 10}, {"t1": 50, "t3": 30}, {"t4": 55}]
    assert smallest_overturning_set(reductions, 85) == ((1, 2), True)  # B + C = 135 ≥ 85; A + B only 90
    assert smallest_overturning_set(reductions, 136) == ((0, 1, 2), True)
    assert smallest_overturning_set(reductions, 146) == (None, True)
    assert smallest_overturning_set(reductions, 0) == ((), True)


# ---------------------------------------------------------------- the 2021 scenario on the real file


@pytest.mark.shared
@pytest.mark.slow
def test_docket_and_rulings_reproduce_the_files_states(runoff_file: Path) -> None:
    f = read_table_frame(runoff_file, ELECTION)
    docket = runoff_2021_docket(f, ELECTION)
    assert docket == runoff_2021_docket(f, ELECTION)  # same seed, same docket
    assert runoff_2021_docket(f, ELECTION, seed=7).entries != docket.entries
    fp = docket.of_kind(CaseKind.NULLITY_REQUEST, "FP")
    deadline = ELECTION.claims.deadline
    assert deadline is not None
    assert len(fp) == 943 and sum(e.filing.filed_at <= deadline for e in fp) == 165
    late_days = {e.filing.filed_at.astimezone(LIMA).day for e in fp if e.filing.filed_at > deadline}
    assert late_days <= {9, 10, 11} and {9, 10} <= late_days
    assert any(e.filing.fee_receipt is None for e in fp)
    pl_won = sum(1 for e in fp if f.filter(pl.col(tf.TABLE) == e.filing.tables[0]).select(pl.col("v_PL") > pl.col("v_FP")).item())
    assert pl_won == 943  # every FP request is on a table Perú Libre won
    assert len(docket.of_kind(CaseKind.NULLITY_REQUEST, "PL")) == 148
    assert len(docket.of_kind(CaseKind.OBSERVATION)) == 1386 + 213 + 20

    steps = bodies_2021_rulings(docket, ELECTION)
    played = play(docket, steps, ELECTION)
    assert Counter(x.rule for _, x in played.refused) == {"late": 100}  # appeals out of time
    assert sum(s.action == "appeal" for s in steps) == 370 and sum(s.action == "decide_appeal" for s in steps) == 270
    requests = [c for c in played.cases.values() if c.kind is CaseKind.NULLITY_REQUEST]
    assert all(c.status is CaseStatus.FINAL for c in requests)
    assert {c.refusal.rule for c in requests if c.refusal} == {"late", "no_fee"}
    assert sum(c.status is CaseStatus.ADMITTED for c in played.cases.values()) == 20
    outcome = table_outcomes(played.cases.values(), processed_base(f, ELECTION), ELECTION)
    states = dict(f.select(tf.TABLE, tf.STATE).iter_rows())
    assert all(o.state.value == states[t] for t, o in outcome.items())

    # What was at stake: every FP request granted would have overturned the result; the admissible ones could not.
    claims = [OpenClaim(c.number, c.tables, EffectKind.ANNUL) for c in requests if c.filer == "FP"]
    at_stake = stakes(f, ELECTION, claims, include_observed=False)
    assert at_stake.can_change_winner and at_stake.margin == 44349
    admissible = [OpenClaim(c.number, c.tables, EffectKind.ANNUL) for c in requests if c.filer == "FP" and not c.refusal]
    assert not stakes(f, ELECTION, admissible).can_change_winner
