"""What the last-digit null must reproduce on clean elections whose tables' shares spread within their
areas (forensics/shaped.py's, Bolivia's): the digits the tables' own latent shares give, not those of
the area's share alone; and which counts it reads (``digits.spread_enough``: widest spread first, up to
the noncentrality bound)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import digits, simulate
from escrutinio.forensics import frames as fr


def _spread_election(n_tables: int, seed: int, mean: float, sd: float) -> tuple[pl.DataFrame, np.ndarray]:
    """Two complementary choices (A and B = valid − A, as in the shaped elections) over 120-260 valid
    votes; A's latent share is normal around its district's centre with spread ``sd`` between tables,
    clipped to [0, 1]; returns the frame and each table's latent share."""
    f = simulate.synthetic_election(n_tables, seed=seed, choices=("A", "B"))
    rng = np.random.default_rng(seed)
    valid = rng.integers(120, 261, f.height)
    area = fr.level_keys(f, tf.DISTRICT)
    centre = np.clip(rng.normal(mean, mean / 3, int(area.max()) + 1), 0.02, 0.98)[area]
    share = np.clip(rng.normal(centre, sd), 0.0, 1.0)
    a = rng.binomial(valid, share)
    cols = {"electors": valid + 100, "valid": valid, "cast": valid, "v_A": a, "v_B": valid - a}
    return f.with_columns([pl.Series(k, x) for k, x in cols.items()]), share


def _distance(a: np.ndarray, b: np.ndarray, total: int) -> float:
    """The noncentrality that separates two expectations of the same ``total`` digits (10 % scale)."""
    a, b = a[:10] / a[:10].sum(), b[:10] / b[:10].sum()
    return float(10 * total * ((a - b) ** 2).sum())


@pytest.mark.parametrize(("seed", "mean", "sd"), [(1, 0.2, 0.1), (3, 0.3, 0.12)])
def test_forensics_last_digit_null_expects_the_digits_of_the_tables_own_shares(seed, mean, sd):
    """Tables of one area at 20 % ± 10 points put some of the counts read near the single-digit cut:
    their latent shares give digits a noncentrality of about 1 from flat. The null's expected digits
    are those (within 0.15), where a binomial around the area's share alone expects flat digits and
    misses them by as much; that miss flagged clean Bolivias 9.6 % of the time."""
    frame, share = _spread_election(40_000, seed, mean, sd)
    r = digits.last_digit_test(frame, choices=["A", "B"], seed=seed)
    _, n, p, _ = digits.expected_counts(fr.counted(frame), ["v_A", "v_B"], tf.DISTRICT)
    chosen, _ = digits.spread_enough(n, p)
    truth = digits.last_digit_moments(n[chosen], np.concatenate([share, 1.0 - share])[chosen])[0]
    area_only = digits.last_digit_moments(n[chosen], p[chosen])[0]
    null = np.array(r.estimates["expected"])
    total = r.estimates["n_counts"]
    flat = np.full(10, 0.1)
    assert _distance(truth, flat, total) > 0.6  # the spread matters here
    assert _distance(null, truth, total) < 0.15
    assert _distance(area_only, truth, total) > 0.5
    assert r.estimates["null_chi2_mean"] > 9.4  # and the null's chi-square expects it


@settings(max_examples=60, deadline=None)
@given(
    n=st.lists(st.integers(0, 400), min_size=1, max_size=60),
    p=st.lists(st.floats(0.0, 1.0), min_size=60, max_size=60),
    bound=st.sampled_from([0.0, 0.01, 0.1, 1.0, np.inf]),
)
def test_forensics_spread_enough_reads_the_widest_spread_first_up_to_the_bound(n, p, bound):
    """The counts chosen are the widest spread (smallest |φ_1|) first, up to the last one at which the
    worst noncentrality is still within the bound (every longer run passes it); none when every run
    does, the first alone included."""
    n_, p_ = np.array(n), np.array(p[: len(n)])
    chosen, worst = digits.spread_enough(n_, p_, bound)
    departure = digits.digit_departure(n_, p_)
    order = np.argsort(departure[0], kind="stable")
    k = int(chosen.sum())
    assert chosen[order[:k]].all() and not chosen[order[k:]].any()
    cumulative = digits.worst_noncentrality(departure[:, order])
    if k == 0:
        assert worst is None and (cumulative > bound).all()
        return
    assert worst == cumulative[k - 1] <= bound
    assert (cumulative[k:] > bound).all()
