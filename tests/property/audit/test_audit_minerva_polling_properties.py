"""Properties of the new audit math: Minerva's kmin and round sizes, MACRO's first-order size, the
polling record's next-round estimate, and polling risk recomputed on replay."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.audit.macro import macro_sample_size, macro_sample_size_first_order
from escrutinio.audit.minerva import (
    STABLE_SIZES,
    minerva_kmins,
    minerva_log_risk,
    minerva_log_rounds_risk,
    minerva_one_round_risk,
    minerva_round_size,
    minerva_stopping_probabilities,
)
from escrutinio.audit.workflow import _more_from_log

ALPHAS = st.sampled_from(["0.01", "0.05", "0.1", "0.2"])


@st.composite
def contests(draw: st.DrawFn) -> tuple[int, int]:
    """A pair whose winner leads by 10 % or more of the pair (round sizes stay small)."""
    loser = draw(st.integers(1, 400))
    winner = draw(st.integers(math.ceil(loser * 1.23) + 1, 3 * loser + 10))
    return winner, loser


@settings(max_examples=60, deadline=None)
@given(contests(), ALPHAS, st.integers(1, 300))
def test_kmin_is_the_least_winner_count_whose_risk_is_within_the_limit(pair: tuple[int, int], alpha: str, n: int) -> None:
    winner, loser = pair
    share = winner / (winner + loser)
    kmin = int(minerva_kmins(np.array([n]), share, alpha)[0])
    limit = float(Fraction(alpha))
    if kmin <= n:
        assert minerva_one_round_risk(winner, loser, kmin, n - kmin) <= limit * (1 + 1e-9)
    if kmin > 0:
        k = min(kmin - 1, n)
        assert minerva_one_round_risk(winner, loser, k, n - k) > limit * (1 - 1e-9)


@settings(max_examples=25, deadline=None)
@given(contests(), ALPHAS, st.sampled_from(["0.5", "0.7", "0.8", "0.9"]))
def test_an_exact_round_size_reaches_its_probability_and_stays_there(pair: tuple[int, int], alpha: str, q: str) -> None:
    winner, loser = pair
    n = minerva_round_size(winner, loser, winner + loser, alpha, q)
    share = winner / (winner + loser)
    probabilities = minerva_stopping_probabilities(np.arange(n, n + STABLE_SIZES), share, alpha)
    assert (probabilities >= float(Fraction(q))).all()
    if n > 1:  # and the size before is not stable: n is the least such size
        before = minerva_stopping_probabilities(np.arange(n - 1, n - 1 + STABLE_SIZES), share, alpha)
        assert not (before >= float(Fraction(q))).all()


@settings(max_examples=20, deadline=None)
@given(contests(), ALPHAS)
def test_round_sizes_grow_with_the_stopping_probability(pair: tuple[int, int], alpha: str) -> None:
    winner, loser = pair
    sizes = [minerva_round_size(winner, loser, winner + loser, alpha, q) for q in ("0.6", "0.75", "0.9")]
    assert sizes == sorted(sizes)


@settings(max_examples=30, deadline=None)
@given(contests(), st.integers(0, 1000))
def test_other_ballots_scale_the_round_up(pair: tuple[int, int], others: int) -> None:
    winner, loser = pair
    base = minerva_round_size(winner, loser, winner + loser, "0.1", "0.8")
    scaled = minerva_round_size(winner, loser, winner + loser + others, "0.1", "0.8")
    assert scaled == math.ceil(Fraction(base * (winner + loser + others), winner + loser))


@given(st.fractions(min_value=Fraction(11, 10), max_value=Fraction(10**6)), ALPHAS)
def test_the_first_order_macro_size_is_sufficient_and_close(bound: Fraction, alpha: str) -> None:
    exact = macro_sample_size(bound, alpha)
    first_order = macro_sample_size_first_order(bound, alpha)
    assert exact <= first_order <= exact + math.ceil(math.log(1 / float(Fraction(alpha))) / 2) + 2
    assert first_order * math.log1p(-1 / float(bound)) <= math.log(float(Fraction(alpha))) + 1e-9


@given(st.floats(-50, 50, allow_nan=False).filter(lambda x: abs(x) >= 1e-6 or x == 0), st.integers(0, 10_000), st.floats(0.1, 10))
def test_more_draws_reach_the_threshold_at_the_mean_gain(log_t: float, draws: int, threshold: float) -> None:
    more = _more_from_log(log_t, draws, threshold)
    if log_t >= threshold:
        assert more == 0
    elif draws == 0 or log_t <= 0:
        assert more is None
    else:
        assert more is not None and more >= 1
        drift = log_t / draws
        assert log_t + more * drift >= threshold * (1 - 1e-12)
        # Minimal up to float rounding (the step where the sum lands on the threshold itself).
        assert more == 1 or log_t + (more - 1) * drift < threshold * (1 + 1e-12)


@st.composite
def wide_contests(draw: st.DrawFn) -> tuple[int, int]:
    """Any pair with a leader, from landslides (a 0-vote loser) to a one-vote margin in millions."""
    loser = draw(st.integers(0, 5_000_000))
    winner = loser + draw(st.integers(1, max(1, loser)))
    return winner, loser


@settings(max_examples=200, deadline=None)
@given(wide_contests(), st.integers(0, 40_000), st.integers(0, 40_000), st.integers(1, 50))
def test_the_risk_never_rises_when_the_winner_gains(pair: tuple[int, int], won: int, lost: int, more: int) -> None:
    """Adding winner ballots (the loser's count fixed) or turning loser ballots into winner ballots
    (the sample size fixed) never raises the risk; logs stay finite-or-0 (no underflow to 0/0)."""
    winner, loser = pair
    base = minerva_log_risk(winner, loser, won, lost)
    assert base <= 0 and not math.isnan(base)
    assert minerva_log_risk(winner, loser, won + more, lost) <= base + 1e-9 * max(1.0, abs(base))
    moved = min(more, lost)
    assert minerva_log_risk(winner, loser, won + moved, lost - moved) <= base + 1e-9 * max(1.0, abs(base))


@settings(max_examples=60, deadline=None)
@given(wide_contests(), st.integers(1, 30_000))
def test_an_all_winner_sample_is_strong_evidence(pair: tuple[int, int], n: int) -> None:
    """Every ballot for the winner: the risk is 2**-n / s_w**n (capped at 1), never 1 by underflow."""
    winner, loser = pair
    expected = min(0.0, n * (math.log(0.5) - math.log(winner / (winner + loser))))
    assert minerva_log_risk(winner, loser, n, 0) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(contests(), ALPHAS, st.lists(st.integers(1, 60), min_size=1, max_size=3), st.data())
def test_later_round_risks_never_rise_with_the_winner_count(
    pair: tuple[int, int], alpha: str, steps: list[int], data: st.DataObject
) -> None:
    """In a later round, one more winner ballot (one fewer for the loser) never raises the risk."""
    winner, loser = pair
    rounds, size, count, added = [], 0, 0, 0
    for step in steps:
        added = data.draw(st.integers(0, step - 1))
        size, count = size + step, count + added
        rounds.append((size, count))
    base = minerva_log_rounds_risk(winner, loser, rounds, alpha)
    better = minerva_log_rounds_risk(winner, loser, [*rounds[:-1], (size, count + 1)], alpha)
    assert better <= base + 1e-9
