"""The last-digit test's null: the digits the counts read give honestly, each a binomial around the
count its area's share predicts, drawn as a histogram (not 10 % a digit and a chi-square table)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from test_forensics_digit_spread import _three_choices

from escrutinio.forensics import digits, simulate


def _folded(n: int, p: float) -> np.ndarray:
    """P(X ≥ 10, X ends in d) for d = 0..9 and P(X < 10), X ~ Binomial(n, p), by summing its pmf."""
    x = np.arange(n + 1)
    pmf = stats.binom.pmf(x, n, p)
    return np.append(np.bincount(x % 10, weights=pmf * (x >= 10), minlength=10), pmf[x < 10].sum())


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (220, 0.05),
        (220, 0.3),
        (60, 0.5),
        (900, 0.02),
        (300, 0.17),
        (15, 0.9),
        (0, 0.3),
        (5, 0.5),
        (1000, 1.0),
        (40, 0.0),
        (12, 1.0),
    ],  # edges: every vote, none, fewer than ten
)
def test_forensics_last_digit_shares_are_the_binomial_folded_on_its_last_digit(n, p):
    got = digits.last_digit_shares(np.array([n]), np.array([p]))[0]
    assert got == pytest.approx(_folded(n, p), abs=1e-12)


def test_forensics_last_digit_null_of_flat_counts_is_the_chi_square_table():
    """Counts spread over 20 votes end in each digit with 10 % to double precision: their null is
    Pearson's chi-square on 9 degrees of freedom (mean 9, 95th percentile 16.92)."""
    n, p = np.full(50_000, 1600), np.full(50_000, 0.5)
    shares = digits.last_digit_shares(n, p)
    assert np.abs(shares[:, :10] - 0.1).max() < 1e-15 and shares[:, digits.BELOW_TEN].max() == 0
    mean, second = digits.last_digit_moments(n, p)
    chi2 = digits.last_digit_null(mean, second, draws=20_000, seed=3)
    assert mean[:10] == pytest.approx(np.full(10, 5_000.0))
    assert chi2.mean() == pytest.approx(9.0, abs=0.2)
    assert np.quantile(chi2, 0.95) == pytest.approx(stats.chi2.ppf(0.95, 9), abs=0.5)


def test_forensics_last_digit_null_matches_counts_drawn_one_by_one():
    """Narrow counts (Binomial(60, 0.1): a spread of 2.3 votes, digits far from flat) and their null:
    the Gaussian histogram's chi-squares against 10 % a digit agree with drawing the counts themselves
    (mean about 41, not 9), so what their sizes do to their digits is in the null."""
    n, p = np.full(3000, 60), np.full(3000, 0.1)
    chi2 = digits.last_digit_null(*digits.last_digit_moments(n, p), draws=4000, seed=1)
    rng = np.random.default_rng(2)
    x = rng.binomial(n, p, size=(4000, 3000))
    hist = np.stack([np.bincount(row[row >= 10] % 10, minlength=10) for row in x])
    brute = digits.chi2_flat(hist)
    assert chi2.mean() > 30 and chi2.mean() == pytest.approx(brute.mean(), rel=0.05)
    for q in (0.5, 0.95):
        assert np.quantile(chi2, q) == pytest.approx(np.quantile(brute, q), rel=0.08), q


def test_forensics_last_digit_moments_skip_only_flat_counts():
    """The moments computed on the counts off 10 % alone equal those of every count's row."""
    rng = np.random.default_rng(0)
    n, p = rng.integers(0, 3000, 20_000), rng.random(20_000) ** 2
    q = digits.last_digit_shares(n, p)
    mean, second = digits.last_digit_moments(n, p)
    assert mean == pytest.approx(q.sum(axis=0), abs=1e-8) and second == pytest.approx(q.T @ q, abs=1e-8)


def test_forensics_last_digit_null_is_the_seeds():
    moments = digits.last_digit_moments(np.full(500, 80), np.full(500, 0.2))
    a, b, c = (digits.last_digit_null(*moments, draws=100, seed=s) for s in (7, 7, 8))
    assert (a == b).all() and not (a == c).all()


def test_forensics_last_digit_reading_every_count_holds_with_the_counts_own_null():
    """Read every count (no spread bound), a clean election's small choice (5 % of about 220 votes: a
    count near 11 spread over 3 votes) puts its sizes in the digits: 10 % a digit rejects it (p far
    below 1e-6, the old false alarm), the null of the counts' own binomials does not."""
    f = _three_choices(20_000, seed=4)
    r = digits.last_digit_test(f, choices=["A", "B", "C"], spread_bound=np.inf)
    assert {b["choice"]: b["read"] for b in r.estimates["by_choice"]}["A"] > 10_000  # the counts of 10 or more
    assert r.estimates["p_chi2_9df"] < 1e-6
    assert r.flagged() is False, r.reading
    assert r.estimates["null_chi2_mean"] > 100  # the null expects the small counts' uneven digits


def test_forensics_last_digit_gives_its_null_and_draws():
    f = _three_choices(6000, seed=5)
    r = digits.last_digit_test(f, choices=["A", "B", "C"], seed=3)
    assert r.draws == digits.NULL_DRAWS and "binomial" in r.null
    assert r.p_value >= 1 / (digits.NULL_DRAWS + 1)
    assert sum(r.estimates["expected"]) == pytest.approx(r.estimates["n_counts"])
    assert r.figures["last_digit"]["null_share"] == pytest.approx(np.array(r.estimates["expected"]) / r.estimates["n_counts"])
    # Fabricated counts are still seen at the null's resolution.
    inj = simulate.inject(f, kind="fabricated", winner="B", share=0.5, seed=5)
    assert digits.last_digit_test(inj.frame, choices=["A", "B", "C"]).p_value == 1 / (digits.NULL_DRAWS + 1)
