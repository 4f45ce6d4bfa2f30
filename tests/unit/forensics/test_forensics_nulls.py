"""The null models the anomaly counts are weighed against (forensics/nulls.py) and the permutation
null of identical sheets: each checked against a brute-force computation of the same thing."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import special, stats

from escrutinio.forensics import anomalies, nulls, simulate
from escrutinio.forensics.results import ForensicResult


@pytest.mark.parametrize(("mu", "sd", "n"), [(0.97, 0.02, 30), (0.99, 0.005, 200), (0.8, 0.1, 50), (1.02, 0.03, 100)])
def test_clipped_normal_power_matches_draws_and_never_undershoots(mu, sd, n):
    """E[nu**n] for nu ~ N(mu, sd) clipped to [0, 1]: the closed form is an upper bound (conservative)
    within a few per cent of a million draws."""
    rng = np.random.default_rng(0)
    nu = np.clip(rng.normal(mu, sd, 1_000_000), 0, 1)
    brute = float(np.mean(nu**n))
    got = float(nulls.clipped_normal_power(np.array([mu]), np.array([sd]), np.array([n]))[0])
    assert got >= brute - 3 * np.std(nu**n) / 1000
    assert got <= 1.06 * brute + 1e-6


def test_bernoulli_sum_p_matches_the_exact_tail():
    """The binned Monte Carlo tail of a sum of Bernoullis agrees with the exact Poisson-binomial tail."""
    rng = np.random.default_rng(1)
    q = rng.beta(0.5, 20, 3000)
    exact_mean = q.sum()
    observed = int(exact_mean + 2 * np.sqrt((q * (1 - q)).sum()))
    # exact tail by convolution
    dist = np.array([1.0])
    for qi in q:
        dist = np.convolve(dist, [1 - qi, qi])
    exact = float(dist[observed:].sum())
    p = nulls.bernoulli_sum_p(q, observed, draws=19_999, seed=2)
    assert abs(p - exact) < 0.01, (p, exact)
    assert nulls.bernoulli_sum_p(q, 0) == 1.0
    assert nulls.bernoulli_sum_p(q, 10_000, draws=999) == pytest.approx(1 / 1000)


def test_permuted_pairs_match_the_exact_expectation():
    """Members of one class moved among their stratum's tables without replacement: a pair sits in one
    place with probability sum m_p (m_p - 1) / (M (M - 1)); a class of three makes 3x that in pairs."""
    places = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])  # one stratum of 10 tables, places of 3, 2, 1, 4
    m = np.bincount(places)
    same = float((m * (m - 1)).sum() / (10 * 9))
    for k in (2, 3):
        cls = np.zeros(k, dtype=np.int64)
        pairs = anomalies._permuted_pairs(cls, np.zeros(k, np.int64), np.full(k, 10), places, 20_000, 3)
        assert pairs.mean() == pytest.approx(k * (k - 1) / 2 * same, rel=0.05)


def test_identical_without_polling_places_and_no_pair_is_not_flagged():
    """Zero identical pairs is an answer (not flagged), not a check that could not be run."""
    clean = simulate.synthetic_election(2000, seed=4).with_columns(pl.lit(None, dtype=pl.Utf8).alias("polling_place"))
    r = anomalies.identical(clean)
    assert r.statistic == 0 and r.flagged() is False and r.to_dict()["status"] == "not flagged"


def test_identical_without_polling_places_lists_pairs_and_cannot_tell():
    clean = simulate.synthetic_election(2000, seed=4).with_columns(pl.lit(None, dtype=pl.Utf8).alias("polling_place"))
    r = anomalies.identical(pl.concat([clean, clean.head(3).with_columns(pl.col("table") + "x")]))
    assert r.statistic >= 3 and r.flagged() is None and r.reading.startswith("Cannot tell")


def test_identical_gives_one_p_for_one_election_and_seed():
    """The permutation null numbers the classes of identical sheets; polars' group-by hands them back in
    the order its threads finish, so the same seed drew other places on every call (clean Bolivias:
    0.049, 0.047, 0.052, 0.040 for one election) and a calibration's seed did not reproduce its flag."""
    small = simulate.synthetic_election(12_000, seed=2, tables_per_place=6).with_columns(
        pl.col("v_A") // 8, pl.col("v_B") // 8, pl.lit(0).alias("blank"), pl.col("null") // 8
    )  # about 50 ballots a table: many identical sheets, so many classes to number
    small = small.with_columns(valid=pl.col("v_A") + pl.col("v_B")).with_columns(cast=pl.col("valid") + pl.col("null"))
    results = [anomalies.identical(small, seed=1, draws=199) for _ in range(4)]
    assert results[0].statistic > 200
    assert len({r.p_value for r in results}) == 1
    assert len({tuple(map(tuple, r.details["groups"])) for r in results}) == 1


def test_a_population_reading_continues_its_sentence_in_lower_case():
    """'read on their own: cannot tell: ...', not '...: Cannot tell: ...' mid-sentence."""
    frame = simulate.synthetic_election(300, seed=1)
    r = anomalies._apart(anomalies.not_applicable("anomalies.identical", "too few."), "abroad", frame)
    assert "read on their own: cannot tell: too few." in r.reading


def test_unanimous_false_alarms_on_clean_synthetic_elections_stay_near_alpha():
    """Twenty clean synthetic elections: the calibrated count flags at most what a 5 % test would
    (one-sided binomial test at 1 %), as the Poisson tail of the old expectation did not."""
    flags = [
        anomalies.unanimous(simulate.synthetic_election(1500, seed=s), choices=["A", "B"], seed=s).flagged() for s in range(20)
    ]
    assert stats.binom.sf(sum(flags) - 1, 20, 0.05) >= 0.01


@pytest.mark.parametrize(("mu", "sd", "n"), [(2.0, 0.5, 100), (3.0, 1.0, 300), (4.0, 1.5, 50), (1.0, 0.3, 30), (5.0, 2.0, 400)])
def test_logit_normal_power_matches_draws(mu, sd, n):
    """E[nu**n] for logit nu ~ N(mu, sd) by adaptive quadrature: within 2 % of two million draws."""
    rng = np.random.default_rng(0)
    brute = float(np.mean(special.expit(rng.normal(mu, sd, 2_000_000)) ** n))
    got = float(nulls.logit_normal_power(np.array([mu]), np.array([sd]), np.array([n]))[0])
    assert got == pytest.approx(brute, rel=0.02)


def test_logit_normal_power_leaves_far_rows_at_a_bound_that_is_negligible():
    """Rows far from unanimity get an upper bound below 1e-10 instead of the quadrature: the sum over a
    million of them moves a count by less than 1e-4."""
    got = nulls.logit_normal_power(np.array([-3.0, 0.0]), np.array([0.2, 0.1]), np.array([300.0, 300.0]))
    assert np.all(got < 1e-10)


def unanimous_with(planted: int) -> ForensicResult:
    clean = simulate.synthetic_election(3000, seed=11)
    ids = [f"{i:06d}" for i in range(1, 3001, 100)][:planted]
    frame = clean.with_columns(
        pl.when(pl.col("table").is_in(ids)).then(pl.col("valid")).otherwise(pl.col("v_A")).alias("v_A"),
        pl.when(pl.col("table").is_in(ids)).then(0).otherwise(pl.col("v_B")).alias("v_B"),
    )
    return anomalies.unanimous(frame, choices=["A", "B"])


def test_unanimous_reads_a_count_between_the_thin_and_the_thick_tail_as_cannot_tell():
    """The count is weighed against a thin tail (logit normal) and a thick one (clipped normal): within
    the thin one it is not flagged, beyond the thick one flagged, between them cannot tell (2 planted
    unanimous tables where the thin tail expects 0.0003 and the thick 0.8); the interval is the range
    of expected counts."""
    none, two, four = unanimous_with(0), unanimous_with(2), unanimous_with(4)
    assert none.flagged() is False
    assert two.flagged() is None and "Cannot tell: more than a thin tail" in two.reading
    assert four.flagged() is True
    lo, hi = two.interval
    assert lo == two.estimates["expected_thin_tail"] < hi == two.estimates["expected"]
