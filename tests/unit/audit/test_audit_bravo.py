"""BRAVO: sample sizes and measured risk, checked against direct computation."""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

import pytest

from escrutinio.audit.bravo import (
    PairShares,
    bravo_asn,
    bravo_one_round_size,
    bravo_risk,
    bravo_risk_uncapped,
    one_round_probability,
    suggests_full_hand_count,
)


def _exact_probability(pair: PairShares, n: int, alpha: Fraction) -> float:
    """P(ln T_n >= ln 1/alpha) by enumerating every (winner, loser, other) split of n ballots."""
    p_w = pair.winner_votes / pair.ballots
    p_l = pair.loser_votes / pair.ballots
    p_o = 1 - p_w - p_l
    threshold = math.log(1 / alpha)
    total = 0.0
    for k_w, k_l in product(range(n + 1), repeat=2):
        if k_w + k_l > n:
            continue
        if k_w * pair.log_winner_factor + k_l * pair.log_loser_factor >= threshold - 1e-12:
            k_o = n - k_w - k_l
            total += math.comb(n, k_w) * math.comb(n - k_w, k_l) * p_w**k_w * p_l**k_l * p_o**k_o
    return total


@pytest.mark.parametrize("n", [10, 23, 40])
def test_one_round_probability_with_other_ballots_is_the_exact_trinomial(n: int) -> None:
    pair = PairShares(450, 300, 1000)
    assert one_round_probability(pair, n, "0.1") == pytest.approx(_exact_probability(pair, n, Fraction(1, 10)), abs=1e-12)


def test_one_round_size_is_where_the_probability_first_reaches_the_target_near_the_estimate() -> None:
    pair = PairShares(5500, 4000, 10_000)
    size = bravo_one_round_size(5500, 4000, 10_000, "0.05", "0.8")
    assert one_round_probability(pair, size, "0.05") >= 0.8
    assert one_round_probability(pair, size - 1, "0.05") < 0.8


def test_asn_is_walds_formula() -> None:
    s = 0.55 / 0.95
    z_w, z_l = math.log(2 * s), math.log(2 - 2 * s)
    expected = (math.log(20) + z_w / 2) / (0.55 * z_w + 0.40 * z_l)
    assert bravo_asn(5500, 4000, 10_000, "0.05") == math.ceil(expected)


def test_blank_and_null_ballots_make_the_sample_larger() -> None:
    assert bravo_asn(5500, 4000, 12_000, "0.05") > bravo_asn(5500, 4000, 9_500, "0.05")
    assert bravo_one_round_size(5500, 4000, 12_000, "0.05", "0.9") > bravo_one_round_size(5500, 4000, 9_500, "0.05", "0.9")


def test_risk_is_one_over_the_likelihood_ratio() -> None:
    ratio = (2 * 0.6) ** 70 * (2 * 0.4) ** 30
    assert bravo_risk(600, 400, 70, 30) == pytest.approx(1 / ratio, rel=1e-12)
    assert bravo_risk(600, 400, 45, 55) == 1.0
    assert bravo_risk_uncapped(600, 400, 45, 55) > 1


@pytest.mark.parametrize(("winner", "loser", "ballots"), [(400, 400, 800), (300, 400, 700), (600, 400, 900), (-1, 0, 5)])
def test_pair_must_have_a_winner_and_fit_in_the_ballots(winner: int, loser: int, ballots: int) -> None:
    with pytest.raises(ValueError):
        PairShares(winner, loser, ballots)


def test_full_hand_count_rule_needs_both_a_large_contest_and_a_large_sample() -> None:
    assert suggests_full_hand_count(100_001, 25_001)
    assert not suggests_full_hand_count(100_000, 99_000)
    assert not suggests_full_hand_count(400_000, 99_999)
