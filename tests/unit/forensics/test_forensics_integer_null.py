"""The integer-percentage test's null (Kobak et al. 2016): the exact per-table probabilities under the
joint redraw against brute force and against the paper's Monte Carlo itself."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics import integer_peaks, simulate

RESULT = integer_peaks.RESULT_WHOLE


def _joint_redraw(e, c, w, in_t, in_r, draws: int, rng: np.random.Generator) -> np.ndarray:
    """The paper's Monte Carlo, table by table: ballots c* ~ Binomial(electors, c/electors) (kept where
    the turnout is undefined or above 100 %), the leader's votes w* ~ Binomial(c*, w/c), the integer
    indicators read off that one draw (the result's count reflected into the range it is read in,
    :func:`integer_peaks.reflected`). Returns each table's share of draws integer on
    (turnout, result, either). The brute-force reference of :func:`integer_peaks.joint_probabilities`."""
    redraw = (e > 0) & (c <= e)
    p_t = np.where(redraw, c / np.maximum(e, 1), 0.0)
    p_r = np.where((c > 0) & (w <= c), w / np.maximum(c, 1), 0.0)
    hits = np.zeros((3, len(c)))
    step = 200
    for start in range(0, draws, step):
        k = min(step, draws - start)
        cs = np.where(redraw, rng.binomial(np.where(redraw, e, 0), p_t, size=(k, len(c))), c)
        ws = rng.binomial(cs, p_r)
        it = in_t & integer_peaks.is_integer_percent(cs, e)
        ir = in_r & integer_peaks.is_integer_percent(integer_peaks.reflected(ws, cs), cs, whole=RESULT)
        for j, x in enumerate((it, ir, it | ir)):
            hits[j] += x.sum(axis=0)
    return hits / draws


def _inputs(frame, winner="A"):
    e, c = fr.as_int(frame, tf.ELECTORS), fr.as_int(frame, tf.CAST)
    w = fr.as_int(frame, tf.choice_column(winner))
    return e, c, w, (e >= 100) & (c <= e), integer_peaks.result_included(c, w)


def test_forensics_integer_joint_probabilities_are_the_exact_sums():
    """Against the full double sum over every c* in [0, electors] and every w* in [0, c*] (scipy's pmf),
    on tables of every kind: results near 0 % and 100 %, every elector voting, no ballots, more ballots
    than electors (kept), no electors: the windows lose less than 1e-6."""
    rng = np.random.default_rng(3)
    e = rng.integers(100, 420, 60)
    c = rng.binomial(e, rng.uniform(0.3, 0.95, 60))
    w = rng.binomial(c, rng.uniform(0.05, 0.95, 60))
    e = np.r_[e, 300, 300, 300, 250, 300, 0, 200, 150]
    c = np.r_[c, 300, 240, 240, 0, 120, 180, 230, 150]
    w = np.r_[w, 150, 1, 239, 0, 120, 90, 100, 75]
    in_t, in_r = (e >= 100) & (c <= e), integer_peaks.result_included(c, w)  # the range the redraw reflects at
    q = np.vstack(integer_peaks.joint_probabilities(e, c, w, in_t, in_r))
    for i in range(len(e)):
        redraw = e[i] > 0 and c[i] <= e[i]
        cs = np.arange(e[i] + 1) if redraw else np.array([c[i]])
        p_c = stats.binom.pmf(cs, e[i], c[i] / e[i]) if redraw else np.ones(1)
        it = in_t[i] & integer_peaks.is_integer_percent(cs, np.full(len(cs), e[i]))
        g = np.zeros(len(cs))
        if in_r[i]:
            for j, n in enumerate(cs):
                ws = np.arange(n + 1)
                g[j] = stats.binom.pmf(ws, n, w[i] / c[i])[
                    integer_peaks.is_integer_percent(integer_peaks.reflected(ws, n), np.full(n + 1, n), whole=RESULT)
                ].sum()
        exact = [np.sum(p_c * it), np.sum(p_c * g), np.sum(p_c * (it + g - it * g))]
        assert np.abs(q[:, i] - exact).max() < 1e-6, (e[i], c[i], w[i], q[:, i], exact)


@pytest.fixture(scope="module")
def peru_like():
    """Most tables of 300 electors (Peru's register): an integer turnout is a count divisible by 3."""
    return _inputs(simulate.synthetic_election(3000, seed=11))


def test_forensics_integer_joint_probabilities_match_the_paper_monte_carlo(peru_like):
    """The exact probabilities against 4,000 joint redraws, per statistic: the expected counts within
    4 standard errors, and table by table (tables whose share is well estimated) a chi-square within
    5 of its own standard deviations. The independent null of before (result redrawn at the observed
    ballots, P(either) = q_t + q_r − q_t·q_r) fails the same check on "either"."""
    e, c, w, in_t, in_r = peru_like
    draws = 4000
    share = _joint_redraw(e, c, w, in_t, in_r, draws, np.random.default_rng(1))
    q = np.vstack(integer_peaks.joint_probabilities(e, c, w, in_t, in_r))
    var = q * (1 - q) / draws
    for j, name in enumerate(("turnout", "result", "either")):
        se = np.sqrt(var[j].sum())
        assert abs(share[j].sum() - q[j].sum()) < 4 * se, (name, share[j].sum(), q[j].sum(), se)
        sure = q[j] * (1 - q[j]) * draws >= 20
        chi = np.sum((share[j] - q[j])[sure] ** 2 / var[j][sure])
        n = int(sure.sum())
        assert n > 1000 and abs(chi - n) < 5 * np.sqrt(2 * n), (name, chi, n)
    q_t = np.where(in_t, integer_peaks.integer_probability(c, e), 0.0)
    q_r = np.where(in_r, integer_peaks.integer_probability(w, c, whole=RESULT, side=integer_peaks.MIN_SIDE), 0.0)
    independent = 1 - (1 - q_t) * (1 - q_r)
    assert abs(share[2].sum() - independent.sum()) > 6 * np.sqrt(var[2].sum())


def test_forensics_integer_null_counts_have_the_exact_mean_and_spread(peru_like):
    """The replicates drawn from the per-table probabilities (pooled by q) have the mean and the
    variance of the sum of independent Bernoullis, the joint redraw's count."""
    q = integer_peaks.joint_probabilities(*peru_like)[2]
    draws = 4000
    null = integer_peaks.null_counts(q, draws, np.random.default_rng(7))
    sd = float(np.sqrt(np.sum(q * (1 - q))))
    assert abs(null.mean() - q.sum()) < 4 * sd / np.sqrt(draws)
    assert abs(null.std() / sd - 1) < 0.06


def test_forensics_integer_result_alone_is_weighed_at_its_observed_ballots():
    """The result, alone and inside "either", is weighed at the observed ballots (redrawing the ballots
    too flagged 9 % of clean Bolivia-shaped elections on the result alone, and 6.9 % of 595 on "either");
    the turnout and the overlap of the two come from the joint redraw."""
    frame = simulate.synthetic_election(3000, seed=11)
    e, c, w, in_t, in_r = _inputs(frame)
    res = {r.test.split(".")[1]: r.estimates["expected"] for r in integer_peaks.test(frame, winner="A")}
    q_t, q_rj, q_ej = integer_peaks.joint_probabilities(e, c, w, in_t, in_r)
    q_r = np.where(in_r, integer_peaks.integer_probability(w, c, whole=RESULT, side=integer_peaks.MIN_SIDE), 0.0)
    assert res["turnout"] == pytest.approx(q_t.sum())
    assert res["either"] == pytest.approx(integer_peaks.either_probability(q_t, q_r, q_t + q_rj - q_ej).sum())
    assert res["winner"] == pytest.approx(q_r.sum()) and abs(q_r.sum() - q_rj.sum()) > 0.5
