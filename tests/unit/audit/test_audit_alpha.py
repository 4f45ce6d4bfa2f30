"""ALPHA: the supermartingale, its special cases (BRAVO, MACRO) and its sample sizes."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from escrutinio.audit.alpha import (
    alpha_batch_log_path,
    alpha_batch_more_draws,
    alpha_batch_risk,
    alpha_batch_sample_size,
    alpha_log_statistics,
    alpha_polling_log_path,
    alpha_polling_risk,
    alpha_polling_sample_size,
    alpha_polling_sample_size_simulated,
    null_means,
    polling_values,
    shrink_trunc_etas,
)
from escrutinio.audit.bravo import PairShares, bravo_log_statistic
from escrutinio.audit.macro import macro_log_p_value, macro_sample_size


def test_factor_is_the_papers_expression() -> None:
    x, mu, u, eta = 0.8, 0.5, 1.0, 0.6
    expected = (x * eta / mu + (u - x) * (u - eta) / (u - mu)) / u
    assert alpha_log_statistics(np.array([x]), np.array([mu]), u, np.array([eta]))[0] == pytest.approx(math.log(expected))


def test_fixed_eta_at_the_winner_share_is_bravo() -> None:
    pair = PairShares(600, 400, 1000)
    values = polling_values(["A"] * 61 + ["B"] * 39 + ["blank"] * 7, "A", "B")
    path = alpha_polling_log_path(pair, values, eta=0.6)
    assert path[-1] == pytest.approx(bravo_log_statistic(600, 400, 61, 39), rel=1e-12)


def test_boldest_batch_bet_is_macro() -> None:
    U = Fraction(250)
    taints = [Fraction(0)] * 40 + [Fraction(3, 220), Fraction(-1, 300)] + [Fraction(0)] * 10
    path = alpha_batch_log_path(U, taints, bet=1.0)
    assert -path[-1] == pytest.approx(macro_log_p_value(U, taints), rel=1e-12)
    assert alpha_batch_sample_size(U, "0.05", bet=1.0) == macro_sample_size(U, "0.05")


def test_default_bet_costs_little_on_a_clean_sample() -> None:
    U = Fraction(426)
    bold, default = macro_sample_size(U, "0.05"), alpha_batch_sample_size(U, "0.05")
    assert bold < default <= math.ceil(bold * 1.02)


def test_a_table_beyond_its_bound_gives_risk_one() -> None:
    assert alpha_batch_risk(Fraction(50), [Fraction(0)] * 500 + [Fraction(1)]) == 1.0
    assert alpha_batch_more_draws(Fraction(50), "0.05", [Fraction(0)] * 5 + [Fraction(3, 2)]) is None


def test_risk_uses_the_running_maximum() -> None:
    pair = PairShares(700, 300, 1000)
    values = polling_values(["A"] * 40 + ["B"] * 60, "A", "B")
    path = alpha_polling_log_path(pair, values)
    assert path.max() > path[-1]
    assert alpha_polling_risk(700, 300, 1000, values) == pytest.approx(min(1.0, math.exp(-path.max())))


def test_without_replacement_the_null_mean_follows_what_is_left() -> None:
    mus = null_means(np.array([1.0, 1.0, 0.0]), 0.5, 10)
    assert list(mus) == pytest.approx([0.5, 4 / 9, 3 / 8])


def test_without_replacement_a_sample_that_exhausts_the_null_confirms() -> None:
    values = polling_values(["A"] * 6, "A", "B")
    assert alpha_polling_risk(6, 4, 10, values, without_replacement=True) == 0.0
    assert alpha_polling_risk(6, 4, 10, values) > 0.0


def test_shrink_trunc_guesses_stay_between_the_null_and_the_bound() -> None:
    xs = np.array([1.0] * 50 + [0.0] * 50)
    mus = np.full(len(xs), 0.5)
    etas = shrink_trunc_etas(xs, mus, 1.0, eta0=0.55)
    assert (etas > mus).all() and (etas < 1.0).all()
    assert etas[50] > etas[0] > etas[-1]


def test_polling_sample_size_lands_near_the_simulated_median() -> None:
    deterministic = alpha_polling_sample_size(6000, 4000, 10_000, "0.1")
    median = alpha_polling_sample_size_simulated(6000, 4000, 10_000, "0.1", quantile=0.5, repetitions=300, seed="7")
    assert median / 2 < deterministic < 2 * median


def test_simulated_sizes_are_reproducible_and_ordered() -> None:
    low = alpha_polling_sample_size_simulated(600, 400, 1000, "0.1", quantile=0.5, repetitions=60, seed="x")
    high = alpha_polling_sample_size_simulated(600, 400, 1000, "0.1", quantile=0.9, repetitions=60, seed="x")
    assert low == alpha_polling_sample_size_simulated(600, 400, 1000, "0.1", quantile=0.5, repetitions=60, seed="x")
    assert low < high


def test_values_outside_the_bound_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1"):
        alpha_log_statistics(np.array([1.5]), np.array([0.5]), 1.0, np.array([0.6]))


def test_a_draw_of_zero_when_the_null_mean_left_is_zero_is_no_evidence() -> None:
    """The issue's case: 1, 1, then 0 from 4 ballots leaves a null mean of 0 and draws 0, as the
    null predicts; the risk is that of the first two draws, not 0."""
    values = np.array([1.0, 1.0, 0.0])
    risk = alpha_polling_risk(2, 1, 4, values, without_replacement=True)
    assert risk == pytest.approx(alpha_polling_risk(2, 1, 4, values[:2], without_replacement=True))
    assert 0.0 < risk < 1.0
