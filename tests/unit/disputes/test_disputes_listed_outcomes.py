"""A published list weighed against the election's outcome rule (``disputes.listed_outcomes``): on
Russia's base (shares of every ballot of those who took part, invalid ones included) and on a
change that needs two of the rule's conditions at once (Bolivia's 40 % with a 10-point lead)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import polars as pl

from escrutinio.disputes.listed_outcomes import listed_outcomes
from escrutinio.domain.contest_rules import ShareBase
from escrutinio.domain.election import Election
from escrutinio.domain.rules import decide
from escrutinio.formats.definition import load_definition


def _frame(election: Election, tables: list[tuple[dict[str, int], int, str]]) -> pl.DataFrame:
    """One row per table: (votes by choice id, ballots that are no choice's votes, state)."""
    ids = election.contest.choice_ids
    return pl.DataFrame(
        [
            {"table": f"{i:06d}", "state": state, "district": "d1", "cast": sum(votes.values()) + other}
            | {f"v_{c}": votes.get(c, 0) for c in ids}
            for i, (votes, other, state) in enumerate(tables)
        ]
    )


def test_the_ballots_base_counts_invalid_ballots_in_the_share() -> None:
    """Russia 2012: Putin holds 56 % of the ballots. An observed sheet of 300 invalid ballots, counted,
    takes him to 43.8 % of the ballots (600 of 1,370), a runoff, though he keeps 57 % of the valid
    votes: the list can change the outcome on Russia's base and not on a base of valid votes."""
    russia, _ = load_definition("russia-2012-presidential")
    assert russia.rules.share_base is ShareBase.BALLOTS
    frame = _frame(
        russia,
        [
            ({"PUTIN": 600, "ZYUGANOV": 300, "ZHIRINOVSKY": 50, "MIRONOV": 50, "PROKHOROV": 50}, 20, "counted"),
            ({}, 300, "observed"),
        ],
    )
    out = listed_outcomes(frame, ["000001"], russia)
    assert out["outcome_now"] == "Vladimir Putin wins outright: share of ballots cast > 50%"
    assert out["can_change_outcome"] is True
    assert out["reachable_outcomes"] == [
        "no choice meets a threshold to win outright: runoff between Vladimir Putin and Gennady Zyuganov"
    ]
    on_valid = replace(russia, rules=replace(russia.rules, share_base=ShareBase.VALID))
    assert listed_outcomes(frame, ["000001"], on_valid)["can_change_outcome"] is False


def _every_outcome(frame: pl.DataFrame, listed: list[str], election: Election) -> set[str]:
    """Brute force: every observed listed sheet counted or not, each combination decided."""
    ids = list(election.contest.choice_ids)
    names = {c.id: c.name or c.id for c in election.contest.choices}
    rules = replace(election.rules, void=None)
    counted = frame.filter(pl.col("state") == "counted")
    now = np.array([int(counted[f"v_{c}"].sum()) for c in ids])
    other_now = int(counted["cast"].sum()) - int(now.sum())
    rows = frame.filter(pl.col("table").is_in(listed))
    votes = rows.select([f"v_{c}" for c in ids]).to_numpy()
    other = rows["cast"].to_numpy() - votes.sum(axis=1)
    found = set()
    for picked in itertools.product((0, 1), repeat=len(listed)):
        v, cast = now + np.array(picked) @ votes, other_now + int(np.array(picked) @ other)
        o = decide(dict(zip(ids, map(int, v), strict=True)), 0, 0, int(v.sum()) + cast, rules)
        found.add(o.describe(names))
    return found


def test_a_change_needing_two_conditions_at_once_is_found() -> None:
    """Bolivia's rule, art. 166: more than 50 %, or 40 % with a 10-point lead. CC leads with 40.0 %
    and 8 points: a runoff. Five observed sheets: one lifts CC's lead and lowers its share (A), one
    lifts its share and lowers its lead (D), two lower both or one of them (C, E), one lifts both a
    little (B). Counting A, B and D gives CC 40.2 % and 10.1 points: it wins outright. Pushing its
    share alone counts B, C and D (the lead stays under 10), its lead alone A and B (the share falls
    under 40 %), and no other single condition of the rule counts A, B and D: one condition at a time
    missed it; the two pushed together find it. What it finds is what brute force finds."""
    bolivia, _ = load_definition("bolivia-2019-first-round")
    four = replace(bolivia, contest=replace(bolivia.contest, choices=bolivia.contest.choices[:4]))
    cc, fpv, mts, ucs = four.contest.choice_ids
    sheets = [(30, 0, 70, 0), (10, 5, 0, 0), (20, 20, 0, 0), (48, 41, 11, 0), (2, 1, 97, 0)]
    frame = _frame(
        four,
        [({cc: 400, fpv: 320, mts: 180, ucs: 100}, 0, "counted")]
        + [(dict(zip((cc, fpv, mts, ucs), s, strict=True)), 0, "observed") for s in sheets],
    )
    listed = [f"{i:06d}" for i in range(1, 6)]
    out = listed_outcomes(frame, listed, four)
    assert out["outcome_now"].startswith("no choice meets a threshold to win outright: runoff between Comunidad Ciudadana")
    wins = "Comunidad Ciudadana wins outright: share of valid votes >= 40% with a lead >= 10 points"
    assert wins in out["reachable_outcomes"], out["reachable_outcomes"]
    assert {out["outcome_now"], *out["reachable_outcomes"]} == _every_outcome(frame, listed, four)
