"""Contests with any number of choices and winners: pairs, maxima over pairs, MACRO's per-table maximum."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import polars as pl
import pytest

from escrutinio.audit.contest import Contest, ContestBatches, pair_label, worst_pair
from escrutinio.audit.macro import BatchManifest, taint
from escrutinio.audit.manifest import contest_batches_from_frame
from escrutinio.audit.plan import BATCH_METHODS, MACRO, POLLING_METHODS, plan_audit, plan_contest
from escrutinio.audit.simulate import synthetic_frame
from escrutinio.domain import table_frame as tf


def test_pairs_are_every_winner_against_every_loser() -> None:
    contest = Contest({"A": 50, "B": 30, "C": 25, "D": 5}, 120, ("A", "B"))
    assert contest.losers == ("C", "D")
    assert contest.pairs() == [("A", "C"), ("A", "D"), ("B", "C"), ("B", "D")]
    assert contest.closest_pair() == ("B", "C") and not contest.tied
    assert worst_pair(contest, lambda w, loser: -contest.margin((w, loser))) == (-5, ("B", "C"))
    assert pair_label(("B", "C")) == "B>C"


def test_leaders_are_the_top_choices_and_a_tie_is_flagged() -> None:
    assert Contest.leaders({"A": 10, "B": 40, "C": 30}, 90, seats=2).winners == ("B", "C")
    assert Contest({"A": 30, "B": 30, "C": 1}, 61, ("A",)).tied


@pytest.mark.parametrize(
    ("votes", "ballots", "winners", "problem"),
    [
        ({"A": 3, "B": 2}, 5, ("C",), "must be choices"),
        ({"A": 3, "B": 2}, 5, ("A", "B"), "at least one reported loser"),
        ({"A": 3, "B": 2}, 4, ("A",), "fit in"),
    ],
)
def test_bad_contests_are_refused(votes: dict[str, int], ballots: int, winners: tuple[str, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Contest(votes, ballots, winners)


def _batches(votes: list[list[int]], ballots: list[int], choices: tuple[str, ...], winners: tuple[str, ...]) -> ContestBatches:
    array = np.array(votes, dtype=np.int64)
    contest = Contest(dict(zip(choices, (int(v) for v in array.sum(axis=0)), strict=True)), sum(ballots), winners)
    return ContestBatches(contest, tuple(f"t{i}" for i in range(len(ballots))), array, np.array(ballots, dtype=np.int64))


def test_a_single_pair_gives_macros_own_bounds_and_taints() -> None:
    rng = np.random.default_rng(3)
    winner, loser = rng.integers(40, 120, 50), rng.integers(0, 80, 50)
    ballots = winner + loser + rng.integers(0, 20, 50)
    contest = _batches(np.column_stack([winner, loser]).tolist(), ballots.tolist(), ("A", "B"), ("A",))
    manifest = BatchManifest.build(contest.tables, winner, loser, ballots)
    assert contest.bound_numerators.tolist() == manifest.bound_numerators.tolist()
    assert contest.total_error_bound == manifest.total_error_bound
    expected = taint(int(winner[7]), int(loser[7]), int(ballots[7]), int(winner[7]) - 3, int(loser[7]) + 2)
    assert contest.taint("t7", {"A": int(winner[7]) - 3, "B": int(loser[7]) + 2}) == expected


def test_bounds_and_taints_are_the_maximum_over_pairs() -> None:
    """Two winners A (100) and B (60) over C (50): B>C has margin 10, A>C 50. A table of 10 ballots
    (A 4, B 3, C 1) can overstate B>C by (3 - 1 + 10)/10 = 1.2 and A>C by (4 - 1 + 10)/50 = 0.26:
    its bound is 1.2, i.e. 12 in units of 1/10."""
    batches = _batches([[96, 57, 49], [4, 3, 1]], [210, 10], ("A", "B", "C"), ("A", "B"))
    assert batches.scale == 10
    assert batches.bound_numerators.tolist()[1] == 12
    # The hand count moves one vote from B to C: B>C overstated by 2 of its margin 10 -> 0.2 / 1.2.
    assert batches.taint("t1", {"A": 4, "B": 2, "C": 2}) == Fraction(1, 6)
    # A pair whose bound is not whole in units of 1/V_min is rounded up (a looser, still valid bound).
    assert batches.bound_numerators.tolist()[0] == max(-(-(57 - 49 + 210) * 10 // 10), -(-(96 - 49 + 210) * 10 // 50))


def test_the_runoff_shaped_plan_is_the_pair_plan() -> None:
    frame = synthetic_frame(300, seed="5", annulled=3)
    assert plan_contest(frame, ["A", "B"], ["A"], "0.05").methods == plan_audit(frame, "A", "B", "0.05").methods


def test_a_tie_between_a_winner_and_a_loser_plans_a_full_hand_count() -> None:
    frame = pl.DataFrame(
        {
            tf.TABLE: ["1", "2"],
            tf.CAST: [10, 10],
            tf.STATE: ["counted", "counted"],
            tf.choice_column("A"): [6, 4],
            tf.choice_column("B"): [4, 6],
            tf.choice_column("C"): [0, 0],
        }
    )
    plan = plan_contest(frame, ["A", "B", "C"], ["A"], "0.05")
    assert plan.closest_margin == 0 and plan.total_error_bound == "none"
    assert all(m.full_hand_count for m in plan.methods)
    assert {m.method: m.draws for m in plan.methods} == dict.fromkeys(POLLING_METHODS, 20) | dict.fromkeys(BATCH_METHODS, 2)


def test_contest_batches_from_a_frame_zero_the_annulled_tables() -> None:
    frame = synthetic_frame(40, seed="9", annulled=2)
    batches = contest_batches_from_frame(frame, ["A", "B"], ["A"])
    assert len(batches.tables) == 40 and batches.votes[-2:].sum() == 0
    assert plan_contest(frame, ["A", "B"], ["A"], "0.1").method(MACRO).details["arlo"] == (
        plan_contest(frame, ["A", "B"], ["A"], "0.1").method(MACRO).details["smallest"] + 1
    )
    with pytest.raises(KeyError, match="v_Z"):
        contest_batches_from_frame(frame, ["A", "Z"], ["A"])
