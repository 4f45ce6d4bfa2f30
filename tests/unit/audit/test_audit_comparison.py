"""Super-Simple sample size and Kaplan–Markov risk."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from escrutinio.audit.comparison import (
    DEFAULT_RATES,
    GAMMA,
    Discrepancies,
    DiscrepancyRates,
    diluted_margin,
    expected_discrepancies,
    kaplan_markov_risk,
    kaplan_markov_sample_size,
    rates_size,
    supersimple_sample_size,
    supersimple_sample_size_after,
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


PERU_PROCLAIMED = (8_836_380, 8_792_117, 18_856_802)
"""JNE resolution 0750-2021-JNE: Castillo, Fujimori, ballots cast."""


def test_supersimple_sets_expected_counts_at_the_size_the_rates_give() -> None:
    """Arlo / Stark's nminFromRates: n0 with the rates in its denominator (4,947.9 on Peru's
    proclaimed totals), counts at n0 (5, 0, 5, 0), then nmin: 3,819. Counts taken at the clean
    size (2,653: 3, 0, 3, 0) give 3,352, what this function answered before."""
    margin = diluted_margin(*PERU_PROCLAIMED)
    assert rates_size(margin, "0.05", DEFAULT_RATES) == pytest.approx(4_947.92, abs=0.01)
    assert expected_discrepancies(DEFAULT_RATES, rates_size(margin, "0.05", DEFAULT_RATES)) == Discrepancies(5, 0, 5, 0)
    assert supersimple_sample_size(*PERU_PROCLAIMED, "0.05") == 3_819
    clean = kaplan_markov_sample_size(margin, "0.05")
    assert clean == 2_653
    assert kaplan_markov_sample_size(margin, "0.05", expected_discrepancies(DEFAULT_RATES, clean)) == 3_352


def test_supersimple_after_observed_discrepancies_uses_the_observed_rates() -> None:
    """600 / 400 of 1,000 at 10 %: one one-vote overstatement among 20 (or 27) compared ballots
    -> rate 1/20, n0 = 36.3, o1 = 2 -> 38 (nmin with the one observed overstatement is 31)."""
    assert supersimple_sample_size_after(600, 400, 1_000, "0.1", 20, Discrepancies(o1=1)) == 38
    assert supersimple_sample_size_after(600, 400, 1_000, "0.1", 27, Discrepancies(o1=1)) == 38
    assert kaplan_markov_sample_size(diluted_margin(600, 400, 1_000), "0.1", Discrepancies(o1=1)) == 31
    # A clean sample: observed rates are 0, the size is the clean nmin (never below what was compared).
    assert supersimple_sample_size_after(600, 400, 1_000, "0.1", 20, Discrepancies()) == 24
    assert supersimple_sample_size_after(600, 400, 1_000, "0.1", 30, Discrepancies()) == 30


def test_rates_that_eat_the_margin_mean_a_full_hand_count() -> None:
    heavy = DiscrepancyRates(o2=Fraction(1, 10))
    assert rates_size(diluted_margin(600, 400, 1_000), "0.1", heavy) is None
    assert supersimple_sample_size(600, 400, 1_000, "0.1", heavy) == 1_000
    assert supersimple_sample_size_after(600, 400, 1_000, "0.1", 10, Discrepancies(o2=2)) == 1_000


def test_rates_and_counts_are_different_types() -> None:
    with pytest.raises(TypeError, match="DiscrepancyRates"):
        Discrepancies(o1=Fraction(1, 1000))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 0 and 1"):
        DiscrepancyRates(o1=Fraction(3, 2))
    assert DiscrepancyRates.observed(Discrepancies(o1=1, u2=2), 20) == DiscrepancyRates(o1=Fraction(1, 20), u2=Fraction(1, 10))
    with pytest.raises(ValueError, match="cannot come from"):
        DiscrepancyRates.observed(Discrepancies(o1=3), 2)


def test_risk_formula() -> None:
    mu = 0.2
    expected = (1 - mu / (2 * GAMMA)) ** 30 / (1 - 1 / (2 * GAMMA)) / (1 + 1 / GAMMA) ** 2
    assert kaplan_markov_risk(600, 400, 1000, 30, Discrepancies(o1=1, u2=2)) == pytest.approx(expected, rel=1e-12)


def test_observed_discrepancies_must_be_whole_and_fit_in_the_sample() -> None:
    with pytest.raises(TypeError):
        kaplan_markov_risk(600, 400, 1000, 30, Discrepancies(o1=Fraction(1, 2)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="more discrepancies"):
        kaplan_markov_risk(600, 400, 1000, 1, Discrepancies(o1=1, o2=1))


def test_margin_must_be_positive() -> None:
    with pytest.raises(ValueError):
        diluted_margin(400, 400, 1000)
    assert math.isclose(float(diluted_margin(600, 400, 1000)), 0.2)
