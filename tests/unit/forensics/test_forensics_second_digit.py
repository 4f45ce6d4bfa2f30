"""The second-digit test against the last digit's binomial null (not Benford), its check of that null
on the counts' sizes, and both digit tests' refusal to read peers at the nation."""

from __future__ import annotations

import numpy as np
import polars as pl

from escrutinio.forensics import digits, second_digit, simulate


def _tens_written(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """A's count of 100 or more, at a fifth of the tables, with its tens digit written from 0, 2, 5, 8."""
    rng = np.random.default_rng(seed)
    a = frame["v_A"].to_numpy()
    written = np.where(
        (rng.random(len(a)) < 0.2) & (a >= 100), a // 100 * 100 + rng.choice([0, 2, 5, 8], len(a)) * 10 + a % 10, a
    )
    moved = pl.Series(written - a)
    return frame.with_columns(pl.Series("v_A", written), pl.col("valid") + moved, pl.col("cast") + moved)


def test_second_digit_decides_on_clean_elections_against_the_binomial_null() -> None:
    """Clean simulated elections: the test decides (not flagged, a p from 9,999 draws of the redrawn
    counts' second digits), where the Benford-premise check could tell on none."""
    for seed in (1, 2):
        r = second_digit.second_digit_test(simulate.synthetic_election(20_000, seed=seed), choices=["A", "B"])
        assert r.flagged() is False, r.reading
        assert r.draws == digits.NULL_DRAWS and "redrawn" in r.null and r.level == "district"
        assert r.p_value is not None and r.p_value > 0.05
        e = r.estimates
        assert e["p_sizes"] > 0.05 and e["min_count"] == digits.MIN_COUNT == 10
        assert abs(e["null_chi2_mean"] - 9.0) < 1.0 and sum(e["observed"]) == e["n_counts"]
        assert "The second digits are as honest counts of these tables give." in r.reading


def test_second_digit_cannot_tell_where_the_null_misplaces_the_counts_sizes() -> None:
    """Tens written at a fifth of the tables widen the tables' spread of shares, which the null reads
    from peers: its counts' sizes (first digits and decades) no longer match, so the test cannot tell
    and says why, with the second-digit chi-square beside it."""
    r = second_digit.second_digit_test(_tens_written(simulate.synthetic_election(20_000, seed=1), 1), choices=["A", "B"])
    assert r.flagged() is None and r.p_value is None
    assert r.estimates["p_sizes"] < 0.05 and r.estimates["chi2_vs_honest"] > 100
    assert r.reading.startswith("Cannot tell: what honest counts would give misplaces these counts' sizes.")


def test_second_digit_reads_counts_of_ten_or_more_and_the_null_leaves_out_the_rest() -> None:
    """Counts below ten have no second digit: the histogram and the null's column 10 hold them apart."""
    n = np.array([5, 12, 300, 3000])
    shares = np.full((4, 4), 0.5)
    (mean, cov), (size_mean, _) = second_digit.redrawn_moments(n, shares, np.random.default_rng(0))
    assert mean.sum() == size_mean.sum() == 4 and mean[digits.BELOW_TEN] >= 1
    assert np.allclose(cov.sum(axis=0), 0.0) and np.all(np.diag(cov) >= -1e-12)
    assert second_digit.size_class(np.array([9, 10, 99, 100, 999, 1000, 25_000])).tolist() == [27, 0, 8, 9, 17, 18, 19]


def test_digit_tests_cannot_tell_at_the_nation_and_say_where_they_can_be_read() -> None:
    """One share for the whole nation misdescribes regional voting: both digit tests cannot tell at
    --by national and name the levels they read; at the department they decide."""
    frame = simulate.synthetic_election(20_000, seed=1)
    both = (second_digit.second_digit_test, digits.last_digit_test)
    for r in (one(frame, choices=["A", "B"], by="national") for one in both):
        assert r.flagged() is None and r.level == "national", r.reading
        assert "Cannot tell at the nation" in r.reading and "from the department down" in r.reading
    for r in (one(frame, choices=["A", "B"], by="department") for one in both):
        assert r.flagged() is not None and r.level == "department", r.reading
