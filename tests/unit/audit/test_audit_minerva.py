"""Minerva against r2b2's and athena's documented numbers (their test suites and the Athena paper),
and the cases that used to break: a 0-vote loser, deep tails, later rounds."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from escrutinio.audit.minerva import (
    STABLE_SIZES,
    log_binomial_sf,
    minerva_kmins,
    minerva_log_risk,
    minerva_log_rounds_risk,
    minerva_next_round_size,
    minerva_one_round_risk,
    minerva_pair_round_size,
    minerva_round_kmins,
    minerva_round_size,
    minerva_rounds_risk,
    minerva_stopping_probabilities,
)

GEORGIA = (2_453_876, 2_358_432)
"""Georgia's 2020 Senate contest as r2b2's tests give it (A, B)."""


def test_kmins_of_three_rounds_as_r2b2_documents() -> None:
    """r2b2 test_minerva_kmins: A 60,000 / B 40,000, alpha 0.1, rounds of 100, 200, 400 -> 58, 113, 221."""
    assert minerva_round_kmins(60_000, 40_000, [100, 200, 400], "0.1") == [58, 113, 221]


def test_a_round_too_small_has_no_kmin_as_r2b2_documents() -> None:
    """r2b2 test_sentinel: rounds of 13, 14, 15 -> 13, None, 14 (the paths cut at 13 cannot reach it at 14)."""
    assert minerva_round_kmins(60_000, 40_000, [13, 14, 15], "0.1") == [13, None, 14]


def test_kmin_of_the_athena_paper_example() -> None:
    """Athena paper (and r2b2 test_athena_minerva_paper): A 75 % of 100,000, alpha 0.1, 50 ballots -> 31."""
    assert minerva_kmins(np.array([50]), 0.75, "0.1").tolist() == [31]


def test_georgia_risks_as_r2b2_documents() -> None:
    """r2b2 test_minerva_georgia_senate_2020 (its p-values are the uncapped tail ratios)."""
    assert minerva_one_round_risk(*GEORGIA, 8_900, 17_605 - 8_900) == pytest.approx(0.081750333563781, abs=1e-9)
    rounds = [(9_903, 4_950)]
    assert math.exp(minerva_log_rounds_risk(*GEORGIA, rounds, "0.1")) == pytest.approx(0.527638189598802, abs=1e-9)
    # 2.663... uncapped in r2b2; a risk is capped at 1.
    assert minerva_rounds_risk(*GEORGIA, [*rounds, (24_000, 11_900)], "0.1") == 1.0
    assert minerva_rounds_risk(*GEORGIA, [*rounds, (24_000, 11_900), (45_600, 24_000)], "0.1") < 1e-6
    assert minerva_one_round_risk(*GEORGIA, 0, 17_605) == pytest.approx(1.0, abs=1e-9)


def test_an_all_winner_sample_has_a_tiny_risk_not_one() -> None:
    """The old code answered 1.0 for 2,000 and 17,605 winner ballots (both tails underflowed)."""
    logs = [minerva_log_risk(*GEORGIA, k, 0) for k in (1_070, 1_100, 2_000, 17_605)]
    assert all(math.isfinite(x) and x < 0 for x in logs)
    assert logs == sorted(logs, reverse=True)
    assert minerva_one_round_risk(*GEORGIA, 17_605, 0) < 1e-100


def test_log_tails_are_finite_below_double_precision() -> None:
    assert log_binomial_sf(17_605, 17_605, 0.5) == pytest.approx(-17_605 * math.log(2))
    assert log_binomial_sf(1_999, 2_000, 0.5) == pytest.approx(math.log(2_001) - 2_000 * math.log(2))
    assert log_binomial_sf(0, 10, 0.3) == 0.0 and log_binomial_sf(11, 10, 0.3) == -np.inf


def test_first_round_sizes_against_r2b2() -> None:
    """r2b2 test_minerva_first_round_estimate and Georgia: r2b2's sizes reach 0.9 at their own size
    (a tooth of the saw-tooth); ours are the least reaching it three sizes running, never smaller."""
    cases = [
        (Fraction(6, 10), "0.1", "0.9", 179, 179),
        (Fraction(51, 100), "0.1", "0.9", 17_272, 17_336),
        (Fraction(5_040_799, 10_000_000), "0.1", "0.9", 103_483, 103_621),
    ]
    for share, alpha, q, r2b2, ours in cases:
        assert minerva_pair_round_size(share, alpha, q) == ours
        assert minerva_stopping_probabilities(np.array([r2b2]), float(share), alpha)[0] >= float(q)
        stable = minerva_stopping_probabilities(np.arange(ours, ours + STABLE_SIZES), float(share), alpha)
        assert (stable >= float(q)).all()
    share = Fraction(GEORGIA[0], sum(GEORGIA))
    scaled = [math.ceil(1.0238785631 * minerva_pair_round_size(share, "0.1", q)) for q in ("0.7", "0.8", "0.9")]
    assert scaled == [10_541, 13_255, 18_016]  # r2b2: 10,486, 13,205, 18,005 (teeth)


def test_second_round_size_as_r2b2_documents() -> None:
    """r2b2 test_minerva_second_round_estimate: after 54 of 100 for A (60/40, alpha 0.1) -> 305."""
    assert minerva_next_round_size(60_000, 40_000, 100_000, [(100, 54)], "0.1", "0.9") == 305


def test_next_round_size_without_rounds_is_the_first_round_size() -> None:
    assert minerva_next_round_size(600, 400, 1_000, [], "0.1", "0.8") == minerva_round_size(600, 400, 1_000, "0.1", "0.8")


def test_a_loser_without_votes_is_audited() -> None:
    """s_w = 1: any loser ballot disproves the report; risk is the null tail alone."""
    assert minerva_round_size(100, 0, 100, "0.05", "0.9") == 5  # 2**-5 <= 0.05 < 2**-4
    assert minerva_one_round_risk(100, 0, 5, 0) == pytest.approx(2**-5)
    assert minerva_next_round_size(100, 0, 120, [(3, 3)], "0.05", "0.9") >= 4


def test_rounds_must_grow_and_fit() -> None:
    with pytest.raises(ValueError, match="grow"):
        minerva_round_kmins(60, 40, [20, 20], "0.1")
    with pytest.raises(ValueError, match="does not fit"):
        minerva_rounds_risk(60, 40, [(20, 21)], "0.1")
