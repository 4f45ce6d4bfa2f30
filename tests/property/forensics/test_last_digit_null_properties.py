"""Properties of the last-digit test's null over many random counts: each count's digit distribution is
its binomial's, folded on the last digit; the moments add up; peers' shares carry only the areas' spread."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from escrutinio.forensics import digits

counts = st.lists(st.tuples(st.integers(0, 800), st.integers(0, 10_000).map(lambda k: k / 10_000)), min_size=1, max_size=40)
"""(valid votes, share) of up to 40 counts; shares on a grid of 1e-4 (scipy's reference pmf overflows at
shares like 1e-300, which no count has)."""


def _arrays(pairs: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])


@settings(max_examples=60, deadline=None)
@given(counts)
def test_forensics_last_digit_shares_fold_the_binomial(pairs):
    n, p = _arrays(pairs)
    q = digits.last_digit_shares(n, p)
    assert (q >= 0).all() and np.allclose(q.sum(axis=1), 1.0)
    for row, (size, share) in zip(q, pairs, strict=True):
        x = np.arange(size + 1)
        pmf = stats.binom.pmf(x, size, share)
        assert np.allclose(row[:10], np.bincount(x % 10, weights=pmf * (x >= 10), minlength=10), atol=1e-9)
        assert np.isclose(row[digits.BELOW_TEN], pmf[x < 10].sum(), atol=1e-9)
    # Off 10 % by no more than the bound the spread rule reads, once the counts below ten are taken off.
    bound = digits.digit_departure(n, p)
    off = np.abs(q[:, :10] - 0.1 * (1 - q[:, digits.BELOW_TEN : digits.BELOW_TEN + 1])).max(axis=1)
    assert (off <= (2 * bound[:4].sum(axis=0) + bound[4]) / 10 + q[:, digits.BELOW_TEN] + 1e-9).all()


@settings(max_examples=40, deadline=None)
@given(counts)
def test_forensics_last_digit_moments_are_the_rows_sums(pairs):
    n, p = _arrays(pairs)
    q = digits.last_digit_shares(n, p)
    mean, second = digits.last_digit_moments(n, p)
    assert np.allclose(mean, q.sum(axis=0), atol=1e-9) and np.allclose(second, q.T @ q, atol=1e-9)
    chi2 = digits.last_digit_null(mean, second, draws=50, seed=1)
    assert chi2.shape == (50,) and (chi2 >= 0).all()


@settings(max_examples=30, deadline=None)
@given(
    tables=st.integers(20, 80),
    share=st.floats(0.05, 0.95),
    spread=st.floats(0.0, 0.3),
    seed=st.integers(0, 10_000),
)
def test_forensics_peer_shares_carry_the_areas_spread_only(tables, share, spread, seed):
    """Peers' shares stay in [0, 1]; where every table has the same share the peer share is the
    prediction itself (no spread to carry); where tables differ, the peers' deviations are the
    area's, shrunk by what their binomial noise explains (so never wider than the area's)."""
    rng = np.random.default_rng(seed)
    if spread:
        valid = rng.integers(150, 300, tables)
        a = np.round(valid * np.clip(share + spread * rng.standard_normal(tables), 0.0, 1.0)).astype(np.int64)
    else:
        valid, a = np.full(tables, 200), np.full(tables, round(200 * share))
    frame = pl.DataFrame(
        {"department": ["1"] * tables, "province": ["1"] * tables, "district": ["1"] * tables, "valid": valid}
    ).with_columns(pl.Series("v_A", a), pl.Series("v_B", valid - a))
    predicted = np.concatenate([np.full(tables, a.sum() / valid.sum()), np.full(tables, 1 - a.sum() / valid.sum())])
    peers = digits.peer_shares(frame, ["v_A", "v_B"], "district", predicted, 3, rng)
    assert peers.shape == (2 * tables, 3) and (peers >= 0).all() and (peers <= 1).all()
    s = a / valid
    if not spread:
        assert np.allclose(peers, predicted[:, None])
    else:
        assert (np.abs(peers[:tables] - predicted[:tables, None]) <= np.abs(s - s.mean()).max() + 1e-12).all()
