"""Super-Simple sample size and Kaplan–Markov risk."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from escrutinio.audit.comparison import (
    DEFAULT_RATES,
    GAMMA,
    Discrepancies,
    diluted_margin,
    expected_discrepancies,
    kaplan_markov_risk,
    kaplan_markov_sample_size,
    supersimple_sample_size,
)


def test_expected_counts_round_one_vote_kinds_up_and_two_vote_kinds_to_nearest() -> None:
    assert expected_discrepancies(DEFAULT_RATES, 24) == Discrepancies(o1=1, o2=0, u1=1, u2=0)
    assert expected_discrepancies(DEFAULT_RATES, 15_000) == Discrepancies(o1=15, o2=2, u1=15, u2=2)
    assert expected_discrepancies(DEFAULT_RATES, 14_999) == Discrepancies(o1=15, o2=1, u1=15, u2=1)


def test_sample_size_is_the_first_whose_risk_reaches_the_limit_for_small_margins() -> None:
    margin = diluted_margin(5050, 4950, 10_000)
    n = kaplan_markov_sample_size(margin, "0.05", Discrepancies(o1=1))
    assert kaplan_markov_risk(5050, 4950, 10_000, n, Discrepancies(o1=1)) <= 0.05
    # Stark's nmin uses ln(1 - mu/2g) ~ -mu/2g, so one ballot fewer is at most a hair over the limit.
    assert kaplan_markov_risk(5050, 4950, 10_000, n - 2, Discrepancies(o1=1)) > 0.05


def test_supersimple_uses_the_clean_size_to_set_expected_discrepancies() -> None:
    margin = diluted_margin(52_000, 48_000, 100_000)
    clean = kaplan_markov_sample_size(margin, "0.1")
    planned = kaplan_markov_sample_size(margin, "0.1", expected_discrepancies(DEFAULT_RATES, clean))
    assert supersimple_sample_size(52_000, 48_000, 100_000, "0.1") == planned > clean


def test_risk_formula() -> None:
    mu = 0.2
    expected = (1 - mu / (2 * GAMMA)) ** 30 / (1 - 1 / (2 * GAMMA)) / (1 + 1 / GAMMA) ** 2
    assert kaplan_markov_risk(600, 400, 1000, 30, Discrepancies(o1=1, u2=2)) == pytest.approx(expected, rel=1e-12)


def test_observed_discrepancies_must_be_whole_and_fit_in_the_sample() -> None:
    with pytest.raises(TypeError):
        kaplan_markov_risk(600, 400, 1000, 30, Discrepancies(o1=Fraction(1, 2)))
    with pytest.raises(ValueError, match="more discrepancies"):
        kaplan_markov_risk(600, 400, 1000, 1, Discrepancies(o1=1, o2=1))


def test_margin_must_be_positive() -> None:
    with pytest.raises(ValueError):
        diluted_margin(400, 400, 1000)
    assert math.isclose(float(diluted_margin(600, 400, 1000)), 0.2)
