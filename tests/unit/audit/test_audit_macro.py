"""MACRO: error bounds, taints, sample size and risk."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from escrutinio.audit.macro import (
    BatchManifest,
    expected_workload,
    macro_more_draws,
    macro_risk,
    macro_sample_size,
    taint,
)


def _manifest() -> BatchManifest:
    return BatchManifest.build(["t1", "t2", "t3"], [120, 80, 0], [90, 100, 0], [220, 200, 150])


def test_error_bounds_are_winner_minus_loser_plus_ballots_over_the_margin() -> None:
    batches = _manifest()
    assert batches.margin == 10
    assert list(batches.bound_numerators) == [250, 180, 150]
    assert batches.total_error_bound == Fraction(580, 10)


def test_manifest_refuses_impossible_sheets() -> None:
    with pytest.raises(ValueError, match="t2"):
        BatchManifest.build(["t1", "t2"], [10, 150], [5, 100], [20, 200])
    with pytest.raises(ValueError, match="distinct"):
        BatchManifest.build(["t1", "t1"], [10, 1], [5, 0], [20, 2])
    with pytest.raises(ValueError, match="margin must be positive"):
        BatchManifest.build(["t1"], [5], [5], [20])
    with pytest.raises(KeyError, match="t9"):
        _manifest().index_of("t9")


def test_taint_is_the_overstatement_as_a_share_of_the_bound() -> None:
    assert taint(120, 90, 220, 120, 90) == 0
    assert taint(120, 90, 220, 119, 90) == Fraction(1, 250)
    assert taint(120, 90, 220, 119, 91) == Fraction(2, 250)
    assert taint(120, 90, 220, 121, 90) == Fraction(-1, 250)
    assert taint(120, 90, 220, 0, 220) == 1


def test_sample_size_is_the_smallest_clean_sample_under_the_limit() -> None:
    U = Fraction(4263, 10)
    n = macro_sample_size(U, "0.05")
    assert macro_risk(U, [Fraction(0)] * n) <= 0.05 < macro_risk(U, [Fraction(0)] * (n - 1))


def test_risk_is_the_kaplan_markov_product() -> None:
    U = Fraction(58)
    taints = [Fraction(0), Fraction(1, 250), Fraction(-1, 100), Fraction(0)]
    expected = math.prod((1 - 1 / 58) / (1 - float(t)) for t in taints)
    assert macro_risk(U, taints) == pytest.approx(expected, rel=1e-12)


def test_a_table_that_used_up_its_whole_bound_ends_the_audit() -> None:
    U = Fraction(58)
    assert macro_risk(U, [Fraction(0)] * 1000 + [Fraction(1)]) == 1.0
    assert macro_more_draws(U, "0.05", [Fraction(0)] * 10 + [Fraction(1)]) is None


def test_more_draws_extrapolates_the_draws_so_far() -> None:
    U = Fraction(100)
    assert macro_more_draws(U, "0.05", []) == macro_sample_size(U, "0.05")
    clean = [Fraction(0)] * 200
    assert macro_more_draws(U, "0.05", clean) == macro_sample_size(U, "0.05") - 200
    assert macro_more_draws(U, "0.05", [Fraction(0)] * 300) == 0
    assert macro_more_draws(U, "0.05", [Fraction(1, 50)] * 10) is None


def test_expected_workload_for_one_draw_is_the_weighted_mean() -> None:
    weights, ballots = np.array([1, 3]), np.array([100, 300])
    tables, counted = expected_workload(weights, ballots, 1)
    assert tables == pytest.approx(1.0)
    assert counted == pytest.approx(0.25 * 100 + 0.75 * 300)
    tables, counted = expected_workload(weights, ballots, 2)
    assert tables == pytest.approx(2 - (0.25**2 + 0.75**2))


def test_arlo_reports_one_draw_more_than_the_smallest_size() -> None:
    from escrutinio.audit.macro import macro_sample_size_arlo

    for bound in (Fraction(101), Fraction("100.910"), Fraction(6_298_955, 14_783)):
        smallest = macro_sample_size(bound, "0.05")
        assert macro_sample_size_arlo(bound, "0.05") == smallest + 1
        assert (1 - 1 / bound) ** smallest <= Fraction(1, 20) < (1 - 1 / bound) ** (smallest - 1)
