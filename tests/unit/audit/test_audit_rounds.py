"""Next-round sizes of every method: draws, or a full hand count as an answer (never an error)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

from escrutinio.audit.alpha import polling_values
from escrutinio.audit.bravo import bravo_one_round_size
from escrutinio.audit.comparison import Discrepancies
from escrutinio.audit.macro import macro_sample_size
from escrutinio.audit.rounds import (
    NO_EVIDENCE,
    NO_RISK,
    POPULATION,
    TIE,
    SampleSize,
    alpha_batch_next_round,
    alpha_polling_next_round,
    bravo_next_round,
    macro_next_round,
    minerva_next_round,
    supersimple_next_round,
)

PAIR_SIZERS = [bravo_next_round, minerva_next_round, alpha_polling_next_round, supersimple_next_round]
"""Next-round sizers that take (winner votes, loser votes, ballots, risk limit)."""


@pytest.mark.parametrize("sizer", PAIR_SIZERS)
def test_ties_and_a_zero_risk_limit_are_answered_with_a_full_hand_count(sizer: Callable[..., SampleSize]) -> None:
    assert sizer(500, 500, 1_000, "0.05") == SampleSize(1_000, True, TIE)
    assert sizer(400, 500, 1_000, "0.05") == SampleSize(1_000, True, TIE)
    for zero in ("0", 0, 0.0, Fraction(0)):
        assert sizer(600, 400, 1_000, zero) == SampleSize(1_000, True, NO_RISK)
    with pytest.raises(ValueError):
        sizer(600, 400, 1_000, "1.5")


@pytest.mark.parametrize("sizer", PAIR_SIZERS)
def test_sizes_reaching_the_population_are_a_full_hand_count(sizer: Callable[..., SampleSize]) -> None:
    """8 to 7 of 15 ballots needs more draws than there are ballots: count the 15."""
    assert sizer(8, 7, 15, "0.05") == SampleSize(15, True, POPULATION)


def test_first_rounds_are_the_methods_own_sizes() -> None:
    assert bravo_next_round(600, 400, 1_000, "0.1") == SampleSize(bravo_one_round_size(600, 400, 1_000, "0.1", "0.9"))
    assert minerva_next_round(600, 400, 1_000, "0.1") == SampleSize(179)
    assert supersimple_next_round(600, 400, 1_000, "0.1") == SampleSize(27)
    assert macro_next_round(Fraction(101), "0.05", tables=455) == SampleSize(302)


def test_later_rounds_start_from_what_was_seen() -> None:
    """After 100 ballots (54 for A) r2b2's Minerva asks for 305 in all: 205 more."""
    assert minerva_next_round(60_000, 40_000, 100_000, "0.1", rounds=[(100, 54)], drawn=100) == SampleSize(205)
    assert bravo_next_round(600, 400, 1_000, "0.1", sample_winner=70, sample_loser=30, drawn=100) == SampleSize(0)
    assert supersimple_next_round(600, 400, 1_000, "0.1", compared=20, found=Discrepancies(o1=1)) == SampleSize(18)
    good = polling_values(["A", "A", "B", "A", "B"] * 10, "A", "B")
    assert 0 < alpha_polling_next_round(600, 400, 1_000, "0.1", values=good).draws < 200


def test_batch_rounds_answer_a_hand_count_when_no_size_confirms() -> None:
    assert macro_next_round(Fraction(101), "0.05", taints=[Fraction(1)], tables=455) == SampleSize(454, True, NO_EVIDENCE)
    assert alpha_batch_next_round(Fraction(101), "0", tables=455) == SampleSize(455, True, NO_RISK)
    # 278 draws for 4 tables: count the 4.
    assert macro_sample_size(Fraction(93), "0.05") == 278
    assert macro_next_round(Fraction(93), "0.05", tables=4) == SampleSize(4, True, POPULATION)
    # U <= 1: no table, even wrong by its whole bound, could change the result.
    assert macro_next_round(Fraction(9, 10), "0.05", tables=4) == SampleSize(0)


def test_a_sample_past_the_limit_needs_no_more_draws() -> None:
    taints = [Fraction(0)] * 302
    assert macro_next_round(Fraction(101), "0.05", taints=taints, tables=455) == SampleSize(0)
    assert alpha_polling_next_round(600, 400, 1_000, "0.1", values=np.ones(40)) == SampleSize(0)


def test_sample_sizes_write_plain_json() -> None:
    assert SampleSize(4, True, POPULATION).to_dict() == {"draws": 4, "full_hand_count": "yes", "reason": POPULATION}


def test_a_contests_round_is_its_largest_pair_round() -> None:
    from escrutinio.audit.contest import Contest
    from escrutinio.audit.rounds import contest_next_round

    contest = Contest({"A": 500, "B": 300, "C": 280, "D": 20}, 1_200, ("A", "B"))
    size, pair = contest_next_round(
        contest, lambda w, loser: bravo_next_round(contest.votes[w], contest.votes[loser], 1_200, "0.1")
    )
    assert pair == ("B", "C")
    assert size == bravo_next_round(300, 280, 1_200, "0.1")
    tied = Contest({"A": 500, "B": 300, "C": 300}, 1_100, ("A", "B"))
    size, pair = contest_next_round(tied, lambda w, loser: bravo_next_round(tied.votes[w], tied.votes[loser], 1_100, "0.1"))
    assert size.full_hand_count and size.reason == TIE and pair == ("B", "C")


def test_a_ballot_for_a_loser_reported_with_no_votes_asks_for_a_full_hand_count() -> None:
    """BRAVO's T is 0 for good once such a ballot is drawn: no further round can confirm (a
    contest of many choices often has a loser with no votes; this used to overflow)."""
    from escrutinio.audit.rounds import NO_EVIDENCE, bravo_next_round

    size = bravo_next_round(100, 0, 120, "0.1", sample_winner=5, sample_loser=1, drawn=6)
    assert size.full_hand_count and size.reason == NO_EVIDENCE and size.draws == 114
    assert not bravo_next_round(100, 0, 120, "0.1", sample_winner=1, sample_loser=0, drawn=1).full_hand_count
