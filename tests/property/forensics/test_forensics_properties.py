"""Properties of the simulator and of the rank machinery, over many random inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.forensics import integer_peaks, peers, simulate


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(simulate.FRAUD_KINDS), share=st.floats(0.0, 0.5), k=st.integers(2, 4))
def test_forensics_injected_sheets_stay_consistent(seed, kind, share, k):
    choices = tuple("ABCD"[:k])
    f = simulate.synthetic_election(300, seed=seed, choices=choices)
    g = simulate.inject(f, kind=kind, winner="A", share=share, seed=seed).frame
    votes = np.column_stack([g[f"v_{c}"].to_numpy() for c in choices])
    assert (votes >= 0).all()
    assert (votes.sum(axis=1) == g["valid"].to_numpy()).all()
    assert (g["valid"] + g["blank"] + g["null"] == g["cast"]).all()
    assert (g["cast"] <= g["electors"]).all()
    # The winner never loses votes and nobody else gains any.
    assert (g["v_A"].to_numpy() >= f["v_A"].to_numpy()).all() or kind == "fabricated"
    for c in choices[1:]:
        assert (g[f"v_{c}"].to_numpy() <= f[f"v_{c}"].to_numpy()).all()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(100, 3000))
def test_forensics_integer_percent_counts_match_the_window(n):
    """The integer counts of a table of n are exactly those within 0.05 points of k %, k = 0..100."""
    v = np.arange(n + 1)
    flags = integer_peaks.is_integer_percent(v, np.full(n + 1, n))
    expected = {c for k in range(101) for c in range(n + 1) if abs(100 * c / n - k) <= 0.05 + 1e-9}
    assert set(np.flatnonzero(flags).tolist()) == expected
    assert flags[0] and flags[n]  # 0 % and 100 % are whole percentages


@settings(max_examples=30, deadline=None)
@given(n=st.integers(100, 2500), v=st.integers(0, 2500))
def test_forensics_integer_probability_is_the_binomial_mass_on_integer_counts(n, v):
    from scipy import stats

    v = min(v, n)
    counts = np.arange(n + 1)
    mass = stats.binom.pmf(counts, n, v / n)[integer_peaks.is_integer_percent(counts, np.full(n + 1, n))].sum()
    q = integer_peaks.integer_probability(np.array([v]), np.array([n]))[0]
    assert abs(q - mass) < 1e-6


@settings(max_examples=30, deadline=None)
@given(n=st.integers(100, 2500), v=st.integers(0, 2500))
def test_forensics_integer_result_probability_leaves_out_0_and_100_percent(n, v):
    """The result's null puts no mass on 0 % or 100 % (a count of 0 or of every ballot is not a whole
    percentage of the result): the binomial mass on the integer counts 1 % to 99 % only."""
    from scipy import stats

    v = min(v, n)
    counts = np.arange(n + 1)
    whole = integer_peaks.RESULT_WHOLE
    flags = integer_peaks.is_integer_percent(counts, np.full(n + 1, n), whole=whole)
    assert not flags[0] and not flags[n]
    q = integer_peaks.integer_probability(np.array([v]), np.array([n]), whole=whole)[0]
    assert abs(q - stats.binom.pmf(counts, n, v / n)[flags].sum()) < 1e-6
    assert (q == 0) if v in (0, n) else q >= 0


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_forensics_percentiles_are_in_unit_interval_and_centred(seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 20, 2000)
    values = rng.normal(groups / 10, 1)
    claimed = np.zeros(2000, dtype=bool)
    claimed[rng.choice(2000, 100, replace=False)] = True
    _stat, p, u = peers.rank_against_peers(values, groups, claimed, permutations=199, seed=seed)
    assert np.all((u > 0) & (u < 1))
    assert abs(np.mean(u) - 0.5) < 1e-9
    assert 0 < p <= 1
