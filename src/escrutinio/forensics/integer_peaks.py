"""Integer percentages (Kobak, Shpilkin & Pshenichnikov, Ann. Appl. Stat. 10(1), 2016).

When officials write down target figures instead of counts, turnout and the leader's result pile up
on round percentages (70 %, 75 %, 80 % …). Following the paper:

- **Quantities.** Turnout = ballots cast / registered electors; the leader's result = the leader's
  votes / ballots cast (valid plus invalid: the ballots found in the boxes, as the paper uses).
- **Inclusion.** Tables with at least :data:`MIN_DENOMINATOR` (100) registered electors for turnout
  and at least 100 ballots for the result: below that a single vote moves the percentage by more
  than a point and almost every value is near some integer.
- **Integer.** A percentage x = 100·v/n is *integer* when it is within :data:`TOLERANCE` (0.05)
  percentage points of a whole number — it reads "k.0 %" at one decimal. This does not depend on the
  table's size the way "v is the count nearest to k % of n" does (on tables of 200 electors every
  other count is nearest to some integer percentage).
- **Statistics.** The number of tables with an integer turnout, with an integer leader's result, and
  with either (the paper's headline statistic: "turnout and/or leader's result").
- **Null.** The paper's binomial Monte Carlo: each table's count redrawn as v* ~ Binomial(n, v/n),
  which keeps its size and level but smooths away any preference for round figures. Because the
  indicator "v* is integer" depends only on v*, each table's probability q of an integer under that
  binomial is computed exactly (the pmf summed over the integer counts near its mean), and each of
  the ``draws`` (≥ 1,000) Monte-Carlo replicates draws every table's indicator from it — the same
  distribution as redrawing the counts, vectorised by pooling tables of equal q (:func:`null_counts`).
  Turnout and result are redrawn independently (fixed denominators), so a table is integer on either
  with probability 1 − (1 − q_t)(1 − q_r).
- **Figures.** Excess = observed − mean of the null; z = excess / sd of the null; p = share of
  replicates at or above the observed count (with the usual +1), one-sided: only an excess is a sign
  of written-in figures.

With ``by`` the excess and z are also given per area at that level (each table keeps its own null,
so the areas' figures add up to the national ones): the paper's geographical analysis.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import special

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import ForensicResult, not_applicable

MIN_DENOMINATOR = 100
TOLERANCE = 0.05
"""Percentage points either side of a whole number within which a percentage counts as integer."""
DRAWS = 1000


def is_integer_percent(v: np.ndarray, n: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """Whether 100·v/n is within ``tolerance`` points of a whole number (False where n is 0)."""
    v = np.asarray(v, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    x = 100.0 * v / np.maximum(n, 1)
    return (n > 0) & (np.abs(x - np.round(x)) <= tolerance + 1e-9)


def integer_probability(v: np.ndarray, n: np.ndarray, *, tolerance: float = TOLERANCE, width: float = 6.0) -> np.ndarray:
    """P(100·v*/n is integer) per table for v* ~ Binomial(n, v/n), exactly (within ``width`` sd).

    Tables with the same count and denominator have the same probability: it is computed once per
    distinct pair (a million synthetic tables hold about 20,000 pairs; this was 10 s of the suite).
    """
    v = np.asarray(v, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if len(v) == 0:
        return np.zeros(0)
    vi, ni = v.astype(np.int64), n.astype(np.int64)
    if (vi == v).all() and (ni == n).all() and vi.min() >= 0 and ni.min() >= 0:
        pairs, where = np.unique(vi * (int(ni.max()) + 1) + ni, return_inverse=True)
        if len(pairs) < len(v):
            base = int(ni.max()) + 1
            once = _integer_probability_each((pairs // base).astype(np.float64), (pairs % base).astype(np.float64),
                                             tolerance=tolerance, width=width)
            return once[where.reshape(-1)]
    return _integer_probability_each(v, n, tolerance=tolerance, width=width)


def _integer_probability_each(v: np.ndarray, n: np.ndarray, *, tolerance: float, width: float) -> np.ndarray:
    """:func:`integer_probability` for every table, one by one.

    For every whole percentage k near the table's mean, the counts c with |100c/n − k| ≤ tolerance
    are the integers in [(k − tol)·n/100, (k + tol)·n/100]; their binomial pmf is summed. The pmf's
    log is log n! − log c! − log (n−c)! + c·logit p + n·log(1−p): factorials from one table of log
    factorials (counts are integers), so each (table, count) pair costs two lookups, not three
    log-gamma calls. A table with v = 0 or v = n redraws its own count (p is 0 or 1).
    """
    v = np.asarray(v, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros(len(v))
    if len(v) == 0:
        return out
    p = v / np.maximum(n, 1)
    fixed = (n > 0) & ((p <= 0) | (p >= 1))
    out[fixed] = is_integer_percent(v[fixed], n[fixed], tolerance)
    live = (n > 0) & ~fixed
    sd = np.sqrt(np.maximum(n * p * (1 - p), 0.0))
    lo_k = np.floor(100 * np.maximum(v - width * sd - 1, 0) / np.maximum(n, 1))
    hi_k = np.where(live, np.ceil(100 * np.minimum(v + width * sd + 1, n) / np.maximum(n, 1)), lo_k - 1)
    if not live.any():
        return out
    log_fact = special.gammaln(np.arange(int(n[live].max()) + 2, dtype=np.float64) + 1)
    n_int = n.astype(np.int64)
    with np.errstate(divide="ignore"):
        logit = np.where(live, np.log(p) - np.log1p(-p), 0.0)
        base = np.where(live, log_fact[np.where(live, n_int, 0)] + n * np.log1p(-np.where(live, p, 0.0)), 0.0)
    span = int((hi_k - lo_k)[live].max()) + 1
    # One pass per whole percentage k: the tables still in range, and each of their counts inside
    # k's window laid out flat (np.repeat), so every log-pmf is computed once on exactly the pairs
    # needed (masks over every table for every count were most of the time on a million tables).
    for j in range(span):
        k = lo_k + j
        act = np.flatnonzero(k <= hi_k)
        if len(act) == 0:
            break
        ka, na = k[act], n[act]
        first = np.maximum(np.ceil((ka - tolerance) * na / 100 - 1e-9), 0).astype(np.int64)
        last = np.minimum(np.floor((ka + tolerance) * na / 100 + 1e-9), na).astype(np.int64)
        cnt = np.maximum(last - first + 1, 0)
        total = int(cnt.sum())
        if total == 0:
            continue
        rows = np.repeat(act, cnt)
        c = np.repeat(first, cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        log_pmf = base[rows] - log_fact[c] - log_fact[n_int[rows] - c] + c * logit[rows]
        out += np.bincount(rows, weights=np.exp(log_pmf), minlength=len(v))
    return np.minimum(out, 1.0)


Q_RESOLUTION = 1e-3
"""Tables are pooled by their probability of an integer rounded to this step for the Monte Carlo."""


def null_counts(q: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` Monte-Carlo replicates of the number of integer tables, each table Bernoulli(q).

    Vectorised by pooling: the tables whose q rounds to the same multiple of :data:`Q_RESOLUTION`
    form a pool whose number of integer tables is Binomial(pool size, the pool's **mean** q) — one
    binomial draw per pool and replicate instead of one uniform per table. The mean keeps the
    null's expected count exact (its variance is larger by the pool's spread of q, at most a
    quarter of a step squared a table: negligible, and conservative). Rounding each pool to its
    step instead moved the expectation by a third of a step a table where most tables share one q
    (Peru: 68,000 tables of 300 electors, q = 1/3 rounded to 0.333, 23 integer tables fewer
    expected, 0.17 of the null's sd), which took the turnout test to 8 % and "either" to 10 %
    false alarms on clean elections shaped like Peru's at α = 5 %. Tables with a q too small to
    round to a step keep a pool of their own for the same reason.
    """
    q = np.asarray(q, dtype=np.float64)
    q = q[q > 0]
    if len(q) == 0:
        return np.zeros(draws, dtype=np.int64)
    _, pool, sizes = np.unique(np.round(q / Q_RESOLUTION).astype(np.int64), return_inverse=True, return_counts=True)
    p = np.minimum(np.bincount(pool.reshape(-1), weights=q) / sizes, 1.0)
    return rng.binomial(sizes[None, :], p[None, :], size=(draws, len(sizes))).sum(axis=1)


def _figures(observed: int, null: np.ndarray) -> dict[str, float]:
    mean = float(null.mean())
    sd = float(null.std(ddof=1)) if len(null) > 1 else 0.0
    excess = observed - mean
    return {
        "observed": observed,
        "expected": mean,
        "excess": excess,
        "z": excess / sd if sd > 0 else (0.0 if excess == 0 else float("inf")),
        "p_value": float((1 + np.sum(null >= observed)) / (1 + len(null))),
    }


def test(
    frame: pl.DataFrame,
    *,
    winner: str,
    by: str | None = None,
    draws: int = DRAWS,
    seed: int = 0,
    level_label: str | None = None,
) -> list[ForensicResult]:
    """Kobak et al.'s integer-percentage test: one result each for "either", turnout and the result."""
    f = fr.counted(frame)
    names = ("integer_peaks.either", "integer_peaks.turnout", "integer_peaks.winner")
    if not fr.has_electors(f):
        why = "no registered electors, so turnout is undefined and the paper's statistic cannot be formed"
        return [
            not_applicable(names[0], why + "."),
            not_applicable(names[1], why + "."),
            _result_only(f, winner, by, draws, seed, level_label),
        ]
    electors, cast = fr.as_int(f, tf.ELECTORS), fr.as_int(f, tf.CAST)
    w = fr.as_int(f, tf.choice_column(winner))
    in_t = (electors >= MIN_DENOMINATOR) & (cast <= electors)
    in_r = (cast >= MIN_DENOMINATOR) & (w <= cast)
    keep = in_t | in_r
    if keep.sum() < 50:
        why = f"fewer than 50 tables with at least {MIN_DENOMINATOR} electors or ballots."
        return [not_applicable(n, why) for n in names]
    rng = np.random.default_rng(seed)
    int_t = in_t & is_integer_percent(cast, electors)
    int_r = in_r & is_integer_percent(w, cast)
    q_t = np.where(in_t, integer_probability(cast, electors), 0.0)
    q_r = np.where(in_r, integer_probability(w, cast), 0.0)
    q_e = 1 - (1 - q_t) * (1 - q_r)
    area = _areas(f, by)
    out = []
    pct_t = 100.0 * cast / np.maximum(electors, 1)
    pct_r = 100.0 * w / np.maximum(cast, 1)
    null_t, null_r, null_e = (null_counts(q, draws, rng) for q in (q_t, q_r, q_e))
    for name, flags, q, use, what, pct, null in (
        (names[0], int_t | int_r, q_e, keep, "an integer turnout or an integer result for " + winner, None, null_e),
        (names[1], int_t, q_t, in_t, "an integer turnout", pct_t, null_t),
        (names[2], int_r, q_r, in_r, f"an integer result for {winner}", pct_r, null_r),
    ):
        out.append(_one(f, name, flags & use, q * use, use, what, null, area, by, level_label, pct))
    return out


def _result_only(f: pl.DataFrame, winner: str, by: str | None, draws: int, seed: int, level_label: str | None) -> ForensicResult:
    cast = fr.as_int(f, tf.CAST)
    w = fr.as_int(f, tf.choice_column(winner))
    use = (cast >= MIN_DENOMINATOR) & (w <= cast)
    if use.sum() < 50:
        return not_applicable("integer_peaks.winner", f"fewer than 50 tables with at least {MIN_DENOMINATOR} ballots.")
    q = np.where(use, integer_probability(w, cast), 0.0)
    return _one(
        f,
        "integer_peaks.winner",
        use & is_integer_percent(w, cast),
        q,
        use,
        f"an integer result for {winner}",
        null_counts(q, draws, np.random.default_rng(seed)),
        _areas(f, by),
        by,
        level_label,
        100.0 * w / np.maximum(cast, 1),
    )


def _areas(f: pl.DataFrame, by: str | None) -> np.ndarray | None:
    if by is None or by == "national":
        return None
    return fr.area_labels(f, by)


def _one(
    f: pl.DataFrame,
    name: str,
    flags: np.ndarray,
    q: np.ndarray,
    use: np.ndarray,
    what: str,
    null: np.ndarray,
    area: np.ndarray | None,
    by: str | None,
    level_label: str | None,
    pct: np.ndarray | None,
) -> ForensicResult:
    observed = int(flags.sum())
    draws = len(null)
    figs = _figures(observed, null)
    p = figs.pop("p_value")
    n_used = int(use.sum())
    by_area = _by_area(flags, q, use, area) if area is not None else []
    label = level_label or by
    reading = (
        f"{observed:,} of {n_used:,} tables report {what} (within {TOLERANCE} points of a whole percentage), "
        f"against {figs['expected']:,.0f} expected when every table's counts are redrawn binomially around "
        f"themselves ({draws:,} draws): excess {figs['excess']:+,.0f}, z = {figs['z']:.1f}, {fr.fmt_p(p)}. "
        + (
            "Round percentages are more frequent than counting produces by chance; figures written to a "
            "target leave this trace, and so would any other reason officials round a table's numbers."
            if p < 0.05
            else "Round percentages are no more frequent than counting produces by chance."
        )
        + (f" The excess by {label} is in the estimates (largest first)." if by_area else "")
    )
    null_edges = np.linspace(null.min() - 0.5, max(null.max(), observed) + 0.5, 41)
    figures = {
        f"{name.split('.')[-1]}_integer_null": {
            "kind": "histogram",
            "x_label": f"number of tables with {what}: null draws (observed {observed:,})",
            "edges": null_edges.tolist(),
            "counts": np.histogram(null, bins=null_edges)[0].tolist(),
        }
    }
    if pct is not None:
        pct_edges = np.linspace(0, 100, 1001)
        figures[f"{name.split('.')[-1]}_fine_histogram"] = {
            "kind": "histogram",
            "x_label": "percentage, bins of 0.1 point",
            "edges": pct_edges.tolist(),
            "counts": np.histogram(pct[use], bins=pct_edges)[0].tolist(),
        }
    return ForensicResult(
        test=name,
        statistic=float(observed),
        statistic_name="integer_tables",
        p_value=p,
        interval=(float(np.quantile(null, 0.025)), float(np.quantile(null, 0.975))),
        reading=reading,
        tables=fr.table_ids(f, flags) if p < 0.05 else (),
        caveats=(
            f"Only tables with at least {MIN_DENOMINATOR} electors (turnout) or ballots (result) are used, as in the paper.",
            "An excess spread over tens of thousands of tables can come from a few areas: see the excess by area.",
        ),
        estimates={**figs, "n_tables": n_used, "tolerance_points": TOLERANCE, "by_area": by_area[:30]},
        null="binomial Monte Carlo: each table's count redrawn as Binomial(n, v/n)",
        draws=draws,
        level=by or "national",
        details={},
        figures=figures,
    )


def _by_area(flags: np.ndarray, q: np.ndarray, use: np.ndarray, area: np.ndarray) -> list[dict]:
    """Observed, expected, excess and z (exact Bernoulli variance) per area, largest excess first."""
    df = pl.DataFrame({"area": area[use], "x": flags[use].astype(np.int64), "q": q[use]})
    g = (
        df.group_by("area")
        .agg(
            pl.len().alias("tables"),
            pl.col("x").sum().alias("observed"),
            pl.col("q").sum().alias("expected"),
            (pl.col("q") * (1 - pl.col("q"))).sum().alias("var"),
        )
        .with_columns((pl.col("observed") - pl.col("expected")).alias("excess"))
    )
    g = g.with_columns((pl.col("excess") / pl.col("var").sqrt().clip(1e-9)).alias("z")).sort("excess", descending=True)
    return [
        {
            "area": r["area"],
            "tables": r["tables"],
            "observed": r["observed"],
            "expected": r["expected"],
            "excess": r["excess"],
            "z": r["z"],
        }
        for r in g.iter_rows(named=True)
    ]
