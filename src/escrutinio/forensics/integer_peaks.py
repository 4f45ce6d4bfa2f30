"""Integer-percentage peaks (Kobak, Shpilkin & Pshenichnikov, Ann. Appl. Stat. 2016).

When officials write down target figures instead of counts, turnout and the leader's result cluster
on round percentages (70 %, 75 %, 80 % …). A table's percentage 100·v/n is called *integer* here
when v is the count nearest to an integer percentage of n, i.e. v == round(k·n/100) for
k = round(100·v/n). Tables with n < 100 are left out: on them nearly every count is nearest to some
integer percentage, so they carry no signal.

The null is Kobak et al.'s binomial Monte Carlo: every table's count is redrawn as
v* ~ Binomial(n, v/n), which keeps each table's size and rough level but smooths away any
fine-scale preference for round numbers; the p-value is the share of replicates with at least as
many integer tables as observed (one-sided: only an excess is a fingerprint). By default the same
null is computed exactly rather than by simulation (see :func:`integer_probability`). The test runs
separately on turnout (cast of electors) and on the winner's result (of ballots cast, as the
Russian data and the papers use; ``share_of="valid"`` for the share of valid votes).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import special, stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import ForensicResult, not_applicable

MIN_DENOMINATOR = 100


def is_integer_percent(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Whether each count v is the count nearest to an integer percentage of n (n > 0)."""
    v = np.asarray(v, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    k = np.round(100.0 * v / np.maximum(n, 1))
    return (n > 0) & (np.round(k * n / 100.0).astype(np.int64) == v)


def integer_peaks(
    v: np.ndarray,
    n: np.ndarray,
    *,
    replicates: int = 199,
    seed: int = 0,
    chunk: int = 50,
) -> tuple[int, np.ndarray]:
    """Observed number of integer tables and the Monte-Carlo null counts (one per replicate)."""
    rng = np.random.default_rng(seed)
    obs = int(is_integer_percent(v, n).sum())
    p = v / np.maximum(n, 1)
    null = np.empty(replicates, dtype=np.int64)
    for start in range(0, replicates, chunk):
        r = min(chunk, replicates - start)
        draws = rng.binomial(np.broadcast_to(n, (r, len(n))), np.broadcast_to(p, (r, len(n))))
        null[start : start + r] = is_integer_percent(draws, n[None, :]).sum(axis=1)
    return obs, null


def integer_probability(v: np.ndarray, n: np.ndarray, *, width: float = 5.0) -> np.ndarray:
    """P(v* is integer) per table for v* ~ Binomial(n, v/n): the exact binomial null, table by table.

    Sums the binomial pmf over the counts nearest to each integer percentage within ``width``
    standard deviations of the mean (the rest of the mass is negligible).
    """
    v = np.asarray(v, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    p = v / np.maximum(n, 1)
    sd = np.sqrt(np.maximum(n * p * (1 - p), 1e-12))
    lo = np.floor(100 * np.maximum(v - width * sd - 1, 0) / np.maximum(n, 1))
    hi = np.ceil(100 * np.minimum(v + width * sd + 1, n) / np.maximum(n, 1))
    span = int((hi - lo).max()) + 1 if len(v) else 0
    out = np.zeros(len(v))
    lg_n = special.gammaln(n + 1)
    for j in range(span):
        k = lo + j
        c = np.round(k * n / 100.0)
        # The count c is "integer" only if c maps back to k (it always does for n >= 100).
        ok = np.flatnonzero((k <= hi) & (np.round(100.0 * c / np.maximum(n, 1)) == k) & (c >= 0) & (c <= n))
        # The binomial pmf on those tables only, from log-gamma (scipy's binom.pmf on every table, every
        # step, was most of this test's time).
        co, no, po = c[ok], n[ok], p[ok]
        log_pmf = (lg_n[ok] - special.gammaln(co + 1) - special.gammaln(no - co + 1)
                   + special.xlogy(co, po) + special.xlog1py(no - co, -po))
        out[ok] += np.exp(log_pmf)
    return np.minimum(out, 1.0)


def _one(
    f: pl.DataFrame, v: np.ndarray, n: np.ndarray, label: str, test: str, replicates: int, seed: int
) -> ForensicResult:
    keep = (n >= MIN_DENOMINATOR) & (v >= 0) & (v <= n)
    v, n = v[keep], n[keep]
    if len(v) < 50:
        return not_applicable(test, f"fewer than 50 tables with at least {MIN_DENOMINATOR} in the denominator.")
    if replicates > 0:
        obs, null = integer_peaks(v, n, replicates=replicates, seed=seed)
        p = float((1 + np.sum(null >= obs)) / (1 + replicates))
        expected = float(null.mean())
        band = (float(np.quantile(null, 0.025)), float(np.quantile(null, 0.975)))
    else:
        # Exact binomial null: the count of integer tables is a sum of independent Bernoulli(q_i).
        obs = int(is_integer_percent(v, n).sum())
        q = integer_probability(v, n)
        expected = float(q.sum())
        sd = float(np.sqrt((q * (1 - q)).sum()))
        p = float(stats.norm.sf((obs - 0.5 - expected) / max(sd, 1e-9)))
        band = (expected - 1.96 * sd, expected + 1.96 * sd)
    excess = obs - expected
    pct = 100.0 * v / n
    flags = is_integer_percent(v, n)
    ints = np.round(pct[flags]).astype(int)
    exp_per_k = np.zeros(101)
    # Per-integer excess (observed vs expected from the first replicate batch's smoothing).
    obs_per_k = np.bincount(ints, minlength=101)[:101]
    rng = np.random.default_rng(seed + 1)
    for _ in range(5):
        d = rng.binomial(n, v / n)
        fl = is_integer_percent(d, n)
        exp_per_k += np.bincount(np.round(100.0 * d[fl] / n[fl]).astype(int), minlength=101)[:101]
    exp_per_k /= 5
    top = np.argsort(-(obs_per_k - exp_per_k))[:10]
    ids = np.asarray(fr.table_ids(f))[keep]
    reading = (
        f"{obs:,} of {len(v):,} tables report a {label} that is exactly an integer percentage, against "
        f"{expected:,.0f} expected when each table's count is redrawn binomially around itself (excess "
        f"{excess:+,.0f}; p = {fr.fmt_p(p)}). "
        + (
            "Round-number peaks of this kind are what target figures written onto sheets leave behind."
            if p < 0.05
            else "There is no excess of round percentages."
        )
    )
    hist_edges = np.linspace(0, 100, 1001)
    return ForensicResult(
        test=test,
        statistic=float(obs),
        statistic_name="integer_tables",
        p_value=p,
        interval=band,
        reading=reading,
        tables=tuple(str(t) for t in ids[flags]) if p < 0.05 else (),
        caveats=(
            "A real preference for round numbers needs many tables: an excess of a few dozen in tens "
            "of thousands can come from a handful of areas.",
            f"Only tables with at least {MIN_DENOMINATOR} in the denominator are used.",
        ),
        details={
            "expected": expected,
            "excess": excess,
            "n_tables": len(v),
            "top_integers": [
                {"percent": int(k), "observed": int(obs_per_k[k]), "expected": float(exp_per_k[k])} for k in top
            ],
        },
        figures={
            f"{test.split('.')[-1]}_fine_histogram": {
                "kind": "histogram",
                "x_label": f"{label} (%), bins of 0.1 %",
                "edges": hist_edges.tolist(),
                "counts": np.histogram(pct, bins=hist_edges)[0].tolist(),
            }
        },
    )


def test(
    frame: pl.DataFrame,
    *,
    winner: str,
    share_of: str = tf.CAST,
    replicates: int = 0,
    seed: int = 0,
) -> list[ForensicResult]:
    """Integer-percentage peaks in turnout and in the winner's result.

    ``replicates`` > 0 runs Kobak et al.'s Monte Carlo with that many binomial redraws; 0 (default)
    uses the same binomial null computed exactly (each table's probability of an integer percentage
    under Binomial(n, v/n), summed; normal approximation of the count), which is ~10x faster.
    """
    f = fr.counted(frame)
    out = []
    if fr.has_electors(f):
        out.append(
            _one(f, fr.as_int(f, tf.CAST), fr.as_int(f, tf.ELECTORS), "turnout", "integer_peaks.turnout",
                 replicates, seed)
        )
    else:
        out.append(not_applicable("integer_peaks.turnout", "no registered electors: turnout is undefined."))
    out.append(
        _one(f, fr.as_int(f, tf.choice_column(winner)), fr.as_int(f, share_of), f"{winner} result",
             "integer_peaks.winner", replicates, seed + 7)
    )
    return out
