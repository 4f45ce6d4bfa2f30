"""The last-digit test reads only counts whose honest spread makes a flat last digit hold (Beber &
Scacco's condition, made a number), and cannot tell when none does."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from escrutinio.forensics import digits, simulate


def _three_choices(n_tables: int, seed: int) -> pl.DataFrame:
    """A clean election whose choice A takes 5 % of about 220 valid votes everywhere (a count near 11,
    spread over 3 votes: its last digits sit on 8 to 3 from its size alone) and B and C share the rest
    (counts near 100, spread over 7)."""
    f = simulate.synthetic_election(n_tables, seed=seed)
    rng = np.random.default_rng(seed)
    valid = rng.integers(200, 241, f.height)
    a = rng.binomial(valid, 0.05)
    b = rng.binomial(valid - a, 0.5)
    return f.with_columns(
        pl.Series("electors", valid + 100),
        pl.Series("valid", valid),
        pl.Series("cast", valid),
        pl.Series("v_A", a),
        pl.Series("v_B", b),
        pl.Series("v_C", valid - a - b),
    )


def test_forensics_last_digit_leaves_out_counts_too_narrow_for_a_flat_digit():
    """The small choice's honest counts end in 0, 1, 2 far more than in 5, 6 (a narrow binomial near
    11): read, they flagged a clean election (the old smoothed-histogram null did, p < 1e-6). Only B's
    and C's counts spread widely enough; they are read, and not flagged. (A few hundred of A's are read
    beside them: diluted among 40,000 flat counts, their pull on the digits stays within the bound.)"""
    f = _three_choices(20_000, seed=4)
    r = digits.last_digit_test(f, choices=["A", "B", "C"])
    assert r.flagged() is False, r.reading
    read = {b["choice"]: b["read"] for b in r.estimates["by_choice"]}
    assert read["A"] < 1000 and read["B"] == read["C"] == 20_000, read
    assert r.estimates["worst_noncentrality"] <= digits.SPREAD_BOUND
    # The small choice's digits alone are far from flat: what the rule keeps out.
    small = np.bincount(f["v_A"].to_numpy() % 10, minlength=10)
    assert stats.chisquare(small).pvalue < 1e-6


def test_forensics_last_digit_cannot_tell_when_no_count_spreads_widely():
    """Tables of about 40 valid votes split two ways: no count's spread reaches the rule's minimum, so
    the test cannot tell and says why (the old test read the counts of 10 or more and gave a verdict)."""
    f = simulate.synthetic_election(5000, seed=2)
    rng = np.random.default_rng(2)
    valid = rng.integers(30, 50, f.height)
    a = rng.binomial(valid, 0.5)
    f = f.with_columns(pl.Series("valid", valid), pl.Series("v_A", a), pl.Series("v_B", valid - a))
    r = digits.last_digit_test(f, choices=["A", "B"])
    assert r.flagged() is None and r.p_value is None, r.reading
    assert r.reading.startswith("Cannot tell: only ") and "of 10,000 counts" in r.reading, r.reading
    assert r.estimates["n_counts"] < digits.MIN_READ
    assert "small counts end in low digits" in r.reading
    assert r.to_dict()["flagged"] is None and r.to_dict()["status"] == "cannot tell"


def test_forensics_last_digit_still_sees_fabricated_counts():
    f = _three_choices(6000, seed=5)
    inj = simulate.inject(f, kind="fabricated", winner="B", share=0.5, seed=5)
    r = digits.last_digit_test(inj.frame, choices=["A", "B", "C"])
    assert r.flagged() is True and r.p_value < 0.001, r.reading


def test_forensics_digit_departure_bounds_the_exact_binomial_last_digit():
    """The bound the rule rests on: a Binomial(n, p) count's last-digit probabilities are within
    (1/10)·(2·Σ_{k≤4} |φ_k| + |φ_5|) of 10 %, and |φ_1| falls below 0.001 at a spread of 6 votes."""
    for n, p in ((220, 0.05), (220, 0.3), (60, 0.5), (900, 0.02), (300, 0.17)):
        pmf = stats.binom.pmf(np.arange(n + 1), n, p)
        by_digit = np.bincount(np.arange(n + 1) % 10, weights=pmf, minlength=10)
        a = digits.digit_departure(np.array([n]), np.array([p]))[:, 0]
        assert np.abs(by_digit - 0.1).max() <= (2 * a[:4].sum() + a[4]) / 10 + 1e-12, (n, p)
        assert a[0] == np.abs(np.sum(pmf * np.exp(2j * np.pi * np.arange(n + 1) / 10))).round(12) or np.isclose(
            a[0], np.abs(np.sum(pmf * np.exp(2j * np.pi * np.arange(n + 1) / 10)))
        )
    sd6 = digits.digit_departure(np.array([144]), np.array([0.5]))[0, 0]  # σ = 6
    assert sd6 < 0.001
