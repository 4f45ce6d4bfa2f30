"""The integer-percentage null at its two defects of session 11: the result inside "either" is weighed
at the observed ballots (the joint redraw's own result fell short where ballots pile near a count such
as 200, and "either" flagged 6.9 % of 595 clean Bolivias at α = 5 %), and a result of 0 % or 100 % is
not an integer percentage on either side (the redraw of 1 to 4 votes lands on 0 far more often than
counting does: the Peru 2021 first round's result sat 8.2 sds below its null)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from escrutinio.forensics import integer_peaks, simulate

RESULT = integer_peaks.RESULT_WHOLE


def _with_counts(electors: np.ndarray, cast: np.ndarray, leader: np.ndarray, seed: int) -> pl.DataFrame:
    """A synthetic election's tables with these electors, ballots and votes for A (all ballots valid)."""
    f = simulate.synthetic_election(len(cast), seed=seed)
    return f.with_columns(
        pl.Series("electors", electors),
        pl.Series("cast", cast),
        pl.Series("blank", np.zeros(len(cast), dtype=np.int64)),
        pl.Series("null", np.zeros(len(cast), dtype=np.int64)),
        pl.Series("valid", cast),
        pl.Series("v_A", leader),
        pl.Series("v_B", cast - leader),
    )


def _piled_near_200_ballots(rng: np.random.Generator, m: int) -> tuple[np.ndarray, ...]:
    """Clean tables whose ballots pile around 200 (Bolivia's tables: 215 to 240 electors, a median of
    203 ballots), where half of the leader's possible counts are whole percentages at 200 ballots and
    about one in ten at 195 or 205."""
    e = rng.integers(215, 241, m)
    c = rng.binomial(e, np.clip(rng.normal(200 / e, 0.02), 0, 1))
    w = rng.binomial(c, np.clip(rng.normal(0.5, 0.1, m), 0, 1))
    return e, c, w


def test_forensics_integer_either_weighs_the_result_at_its_observed_ballots():
    """On clean tables piled near 200 ballots the joint redraw's result probability (ballots redrawn,
    then votes) falls short of the integer results counting gives, by more than 3 sds; at the observed
    ballots it does not. "Either" takes its result from the observed ballots and its overlap with the
    turnout from the joint redraw (before: the joint redraw's "either" as it stood)."""
    rng = np.random.default_rng(5)
    gap = {"joint": [0.0, 0.0], "observed ballots": [0.0, 0.0]}
    for _ in range(8):
        e, c, w = _piled_near_200_ballots(rng, 20_000)
        in_t, in_r = (e >= 100) & (c <= e), integer_peaks.result_included(c, w)
        seen = (in_r & integer_peaks.is_integer_percent(w, c, whole=RESULT)).sum()
        _, q_joint, _ = integer_peaks.joint_probabilities(e, c, w, in_t, in_r)
        q_obs = np.where(in_r, integer_peaks.integer_probability(w, c, whole=RESULT), 0.0)
        for key, q in (("joint", q_joint), ("observed ballots", q_obs)):
            gap[key][0] += seen - q.sum()
            gap[key][1] += np.sum(q * (1 - q))
    z = {k: x / np.sqrt(v) for k, (x, v) in gap.items()}
    assert z["joint"] > 3 and abs(z["observed ballots"]) < 3, z

    e, c, w = _piled_near_200_ballots(np.random.default_rng(6), 3000)
    res = {r.test.split(".")[1]: r.estimates for r in integer_peaks.test(_with_counts(e, c, w, 6), winner="A")}
    in_t, in_r = (e >= 100) & (c <= e), integer_peaks.result_included(c, w)
    q_t, q_rj, q_ej = integer_peaks.joint_probabilities(e, c, w, in_t, in_r)
    q_r = np.where(in_r, integer_peaks.integer_probability(w, c, whole=RESULT), 0.0)
    assert res["either"]["expected"] == pytest.approx(np.clip(q_t + q_r - (q_t + q_rj - q_ej), 0, 1).sum())
    assert abs(res["either"]["expected"] - q_ej.sum()) > 1  # not the joint redraw's own "either"
    assert res["winner"]["expected"] == pytest.approx(q_r.sum())


def test_forensics_integer_result_at_0_and_100_percent_is_not_an_integer_percentage():
    """0 % and 100 % of the leader's result count on neither side: not observed, and no mass of the
    null on them (a count of 0 or of every ballot has probability 0, not 1). The turnout keeps every
    whole percentage, 100 % included."""
    n = np.array([300, 300, 300, 300, 2000, 2000])
    v = np.array([0, 300, 3, 297, 1, 1999])  # 0 %, 100 %, 1 %, 99 %, 0.05 %, 99.95 %
    assert integer_peaks.is_integer_percent(v, n, whole=RESULT).tolist() == [False, False, True, True, False, False]
    assert integer_peaks.is_integer_percent(v, n).tolist() == [True, True, True, True, True, True]
    q = integer_peaks.integer_probability(np.array([0, 300, 2]), np.array([300, 300, 300]), whole=RESULT)
    assert q[0] == 0 and q[1] == 0
    included = integer_peaks.result_included(np.array([300, 300, 300, 300, 99]), np.array([9, 10, 290, 291, 50]))
    assert included.tolist() == [False, True, True, False, False]
    from scipy import stats

    lattice = np.arange(3, 301, 3)[:-1]  # 1 % … 99 % of 300 ballots, 0 and 300 left out
    assert q[2] == pytest.approx(stats.binom.pmf(lattice, 300, 2 / 300).sum(), abs=1e-6)


def test_forensics_integer_result_of_a_leader_near_0_votes_fits_its_null():
    """A leader with a handful of votes a table (a share around 1 %, as Perú Libre's in Lima in the
    2021 first round), drawn clean: the result fits its null. With 0 % counted as a whole percentage the
    redraw of the tables at 1 to 4 votes landed on 0 votes far more often than the counts do, and the
    result sat more than 10 sds below its null ("cannot tell"); with 0 % left out but every table read,
    the redraw's surplus on 0 votes came out of the whole percentages next to it, and the result sat 4
    sds above (flagged). Read from 10 votes up (:func:`integer_peaks.result_included`) it fits."""
    rng = np.random.default_rng(8)
    m = 6000
    e = rng.integers(250, 301, m)
    c = rng.binomial(e, 0.8)
    w = rng.binomial(c, np.clip(rng.gamma(1.5, 0.006, m), 0, 1))
    res = {r.test: r for r in integer_peaks.test(_with_counts(e, c, w, 8), winner="A")}
    for name in ("integer_peaks.winner", "integer_peaks.either"):
        r = res[name]
        assert abs(r.estimates["z"]) < 3 and r.flagged() is False and r.estimates["null_misfit"] is False, r.reading
        # The caveat says whose rule the 10 votes and 10 other ballots are: the project's, not the paper's.
        assert any("at least 10 votes and the other ballots number at least 10, a rule of this project's" in c for c in r.caveats)


def test_forensics_integer_result_redraw_is_reflected_at_the_edge_it_is_read_from():
    """Leaders of 4 to 30 votes a table, evenly spread, at ballots next to 200 and 300: the result is
    read from 10 votes up (``result_included``), and the null's expected count of integer results must
    be the observed count's expectation. Next to 200 and 300 ballots the whole percentages below 10 votes
    are dense (every even count below 10 at 199 and 201) and those just above it sparse (none from 11
    to 90 votes at 202), so a redraw counted on the integer counts below the edge expected 5 % too
    many (on clean Peru-first-round shapes: 11 integer results an election short, the other way);
    reflected into the range it is read in, within 1 %."""
    observed = expected = 0.0
    for c in (198, 199, 201, 202, 298, 299, 301, 302):
        w = np.arange(c + 1)
        read = integer_peaks.result_included(np.full(c + 1, c), w)
        x = integer_peaks.is_integer_percent(w, np.full(c + 1, c), whole=RESULT)
        q = integer_peaks.integer_probability(w[read], np.full(read.sum(), c), whole=RESULT, side=integer_peaks.MIN_SIDE)
        for lam in np.arange(4.0, 30.0, 0.5):
            pm = stats.binom.pmf(w, c, lam / c)
            observed += np.sum(pm * (read & x))
            expected += np.sum(pm[read] * q)
    assert abs(expected / observed - 1) < 0.01, (expected, observed)
    # the same table by the helper the brute-force references use
    assert integer_peaks.reflected(np.array([9, 10, 5, 195, 200]), np.array([200] * 5)).tolist() == [10, 10, 14, 186, 181]
