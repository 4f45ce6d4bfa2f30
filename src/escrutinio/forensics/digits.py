"""Digit tests, each run only where its assumption holds.

Both look at the vote counts of the choices at every counted table.

- **Last digit** (Beber & Scacco 2012): people inventing numbers favour some final digits. The
  assumption is that honest counts have *locally flat* frequencies, so that each final digit gets a
  tenth of them. That fails on small counts, whose frequencies fall steeply from 10 to 99 (Chile
  2021: 27,219 counts end in 0 against 19,206 in 9, from sizes alone). So the expected share of each
  final digit is read from the counts' own histogram smoothed over 11 consecutive values (weights
  ½, 1 × 9, ½ — a window that reproduces any linear trend exactly): what the local frequency of
  counts predicts, not 10 %. A preference for some digits survives the smoothing (it is a spike every
  ten values); a trend in count sizes does not. Counts below :data:`MIN_COUNT` (10) are left out.
  With ``by`` the histogram is smoothed within each area, so areas of different sizes are not mixed.
- **Second digit** (2BL, Mebane): Benford's second-digit law is not a law of honest counts: it holds
  only when counts spread over orders of magnitude (Deckert, Myagkov & Ordeshook 2011). So the test
  first checks the assumption on the counts themselves: the second digits that the same tables give
  when each count is redrawn binomially around itself (an honest count of that size). If those
  already depart from Benford at this number of counts, the test cannot tell and says so; otherwise
  the observed second digits are compared with those honest ones (chi-square, 9 degrees of
  freedom, inflated for the redraws' noise) — Benford's chi-square is reported beside it.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import ForensicResult, not_applicable

MIN_COUNT = 10
"""Smallest count the digit tests read (a count below ten has no second digit and no useful last digit)."""

BENFORD_SECOND = np.array(
    [sum(np.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)], dtype=np.float64
)
"""P(second significant digit = d), d = 0..9 (Benford)."""


def second_digit(v: np.ndarray) -> np.ndarray:
    """Second significant digit of each count (counts must be >= 10)."""
    v = np.asarray(v, dtype=np.int64)
    ndig = np.floor(np.log10(np.maximum(v, 1))).astype(np.int64) + 1
    return (v // 10 ** np.maximum(ndig - 2, 0)) % 10


def _counts(
    frame: pl.DataFrame, choices: list[str] | None, by: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Every choice's count at every counted table, its table's valid votes, its area code, the columns."""
    f = fr.counted(frame)
    cols = [tf.choice_column(c) for c in choices] if choices else fr.choice_columns(f)
    valid = fr.as_int(f, tf.VALID)
    v = np.concatenate([fr.as_int(f, c) for c in cols]) if cols else np.zeros(0, np.int64)
    n = np.tile(valid, len(cols))
    area = fr.level_keys(f, by) if by and by != "national" else np.zeros(f.height, np.int64)
    return v, np.maximum(n, v), np.tile(area - area.min(), len(cols)), cols


def local_digit_expectation(v: np.ndarray, area: np.ndarray, min_count: int = MIN_COUNT) -> np.ndarray:
    """Expected number of counts >= ``min_count`` ending in each digit, from the smoothed histogram.

    Within each area the histogram of counts is smoothed over 11 values (weights ½, 1, …, 1, ½ over
    ten): a linear trend passes unchanged, a spike every ten values is spread over all digits. The
    expectation is scaled so each area's total equals its observed number of counts.
    """
    v = np.asarray(v, dtype=np.int64)
    top = int(v.max()) + 12 if len(v) else 12
    na = int(area.max()) + 1 if len(area) else 1
    h = np.bincount(area * top + v, minlength=na * top).reshape(na, top).astype(np.float64)
    c = np.zeros((na, top + 1))
    c[:, 1:] = np.cumsum(h, axis=1)
    x = np.arange(top)

    def window(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # sum of h[:, a..b] inclusive, clipped
        return c[:, np.clip(b + 1, 0, top)] - c[:, np.clip(a, 0, top)]

    smooth = (window(x - 4, x + 4) + 0.5 * (window(x - 5, x - 5) + window(x + 5, x + 5))) / 10
    smooth[:, :min_count] = 0.0
    observed_total = h[:, min_count:].sum(axis=1)
    scale = np.divide(observed_total, smooth.sum(axis=1), out=np.zeros(na), where=smooth.sum(axis=1) > 0)
    per_digit = np.stack([smooth[:, x % 10 == d].sum(axis=1) for d in range(10)], axis=1) * scale[:, None]
    return per_digit.sum(axis=0)


def second_digit_test(
    frame: pl.DataFrame, *, choices: list[str] | None = None, replicates: int = 5, alpha: float = 0.05, seed: int = 0
) -> ForensicResult:
    """2BL against Benford, run only when honest counts of these sizes would follow Benford."""
    test = "digits.second_digit"
    v, n, _, _cols = _counts(frame, choices)
    keep = v >= MIN_COUNT
    v, n = v[keep], n[keep]
    if len(v) < 100:
        return not_applicable(test, f"fewer than 100 counts of {MIN_COUNT} votes or more.")
    obs = np.bincount(second_digit(v), minlength=10)
    total = int(obs.sum())
    rng = np.random.default_rng(seed)
    p_hat = v / np.maximum(n, 1)
    honest = np.zeros(10)
    for _ in range(replicates):
        d = rng.binomial(n, p_hat)
        d = d[d >= MIN_COUNT]
        honest += np.bincount(second_digit(d), minlength=10) / max(len(d), 1)
    honest /= replicates

    def chi(o: np.ndarray, share: np.ndarray) -> float:
        e = share * o.sum()
        return float(((o - e) ** 2 / np.maximum(e, 1e-9)).sum())

    honest_chi2 = chi(honest * total, BENFORD_SECOND)
    honest_p = float(stats.chi2.sf(honest_chi2, 9))
    benford_chi2 = chi(obs, BENFORD_SECOND)
    estimates = {
        "observed": obs.tolist(),
        "observed_share": (obs / total).tolist(),
        "benford_share": BENFORD_SECOND.tolist(),
        "honest_share": honest.tolist(),
        "chi2_vs_benford": benford_chi2,
        "chi2_honest_vs_benford": honest_chi2,
        "n_counts": total,
        "min_count": MIN_COUNT,
    }
    figures = {
        "second_digit": {
            "kind": "bars",
            "x_label": "second digit",
            "categories": list(range(10)),
            "observed_share": (obs / total).tolist(),
            "null_share": honest.tolist(),
            "benford_share": BENFORD_SECOND.tolist(),
        }
    }
    caveats = (
        "Second-digit Benford (2BL) holds for honest counts only when they spread over orders of magnitude "
        "(Deckert, Myagkov & Ordeshook 2011); the test checks that first.",
        f"Counts below {MIN_COUNT} have no second digit and are left out.",
        "Each count is redrawn around itself, so the null needs no peers: the test pools the nation at any --by.",
    )
    if honest_p < alpha:
        return ForensicResult(
            test=test,
            statistic=benford_chi2,
            statistic_name="chi2_vs_benford",
            p_value=None,
            reading=(
                f"Cannot tell: honest counts of these sizes do not follow Benford's second-digit law. The "
                f"{total:,} counts of {MIN_COUNT} votes or more, redrawn binomially around themselves, already "
                f"differ from Benford by chi-square {honest_chi2:.1f} ({fr.fmt_p(honest_p)}), so a departure "
                f"of the observed digits from Benford (chi-square {benford_chi2:.1f}) says nothing about how "
                "they were written."
            ),
            caveats=caveats,
            estimates=estimates,
            null="Benford's second-digit law (not applicable: see the wording)",
            status="not_applicable",
            figures=figures,
            level="national",
        )
    # Where Benford's premise holds, the observed digits are compared with what honest counts of these
    # sizes give (the redrawn counts): chi-square inflated by (1 + 1/R) for the redraws' own noise.
    stat = chi(obs, honest)
    p = float(stats.chi2.sf(stat / (1 + 1 / replicates), 9))
    estimates["chi2_vs_honest"] = stat
    reading = (
        f"Honest counts of these sizes follow Benford's second-digit law (redrawn, they differ from it by "
        f"chi-square {honest_chi2:.1f}), so the test applies. The second digits of {total:,} counts of "
        f"{MIN_COUNT} votes or more differ from them by chi-square {stat:.1f} on 9 degrees of freedom "
        f"({fr.fmt_p(p)}; against Benford itself {benford_chi2:.1f}). "
        + (
            "Numbers written without counting are one source of such a departure; so is a mix of very "
            "different table sizes. Evidence to weigh."
            if p < alpha
            else "The second digits are as honest counts of these sizes give."
        )
    )
    return ForensicResult(
        test=test,
        statistic=stat,
        statistic_name="chi2_vs_honest_counts",
        p_value=p,
        reading=reading,
        caveats=caveats,
        estimates=estimates,
        null=f"second digits of the counts redrawn binomially ({replicates} redraws); chi-square, 9 df",
        draws=replicates,
        figures=figures,
        level="national",
    )


def last_digit_test(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    min_count: int = MIN_COUNT,
    by: str | None = None,
    alpha: float = 0.05,
    level_label: str | None = None,
) -> ForensicResult:
    """Final digits of counts >= ``min_count`` against what the local frequency of counts predicts."""
    test = "digits.last_digit"
    v, _, area, cols = _counts(frame, choices, by)
    if len(v) == 0 or int((v >= min_count).sum()) < 100:
        return not_applicable(test, f"fewer than 100 counts of {min_count} votes or more.", level=by)
    keep = v >= min_count
    obs = np.bincount(v[keep] % 10, minlength=10)
    total = int(obs.sum())
    expected = local_digit_expectation(v, area, min_count)
    stat = float(((obs - expected) ** 2 / np.maximum(expected, 1e-9)).sum())
    p = float(stats.chi2.sf(stat, 9))
    uniform_chi2 = float(((obs - total / 10) ** 2 / (total / 10)).sum())
    dev = (obs - expected) / np.sqrt(np.maximum(expected, 1e-9))
    where = f" within each {(level_label or by).replace('_', ' ')}" if by and by != "national" else ""
    reading = (
        f"The final digits of {total:,} counts of {min_count} votes or more differ from what the local "
        f"frequency of counts predicts{where} by chi-square {stat:.1f} on 9 degrees of freedom "
        f"({fr.fmt_p(p)}); the most over-represented digit is {int(dev.argmax())} ({int(obs[dev.argmax()]):,} "
        f"against {expected[dev.argmax()]:,.0f}). "
        + (
            "Some final digits are preferred: numbers written without counting leave this trace; so does a "
            "rounding habit. Evidence to weigh."
            if p < alpha
            else "No final digit is preferred beyond what the sizes of the counts explain."
        )
        + (
            f" (Against a flat 10 % per digit the chi-square would be {uniform_chi2:.1f}: small counts are "
            "not uniform in their last digit, which is why the flat rule is not used.)"
            if uniform_chi2 > stat * 2 and uniform_chi2 > 30
            else ""
        )
    )
    return ForensicResult(
        test=test,
        statistic=stat,
        statistic_name="chi2_vs_local_frequency",
        p_value=p,
        reading=reading,
        caveats=(
            f"Counts below {min_count} are left out; the expected share of each final digit comes from the "
            "counts' histogram smoothed over 11 values, which keeps trends in count sizes and removes spikes "
            "every ten values.",
            "With hundreds of thousands of counts, tiny preferences become significant; look at the size of "
            "the deviation (the figure) as well as the p-value.",
        ),
        estimates={
            "observed": obs.tolist(),
            "expected": expected.tolist(),
            "chi2_vs_uniform": uniform_chi2,
            "n_counts": total,
            "min_count": min_count,
            "columns": cols,
        },
        null="final-digit shares predicted by the counts' histogram smoothed over 11 values; chi-square, 9 df",
        level=by or "national",
        figures={
            "last_digit": {
                "kind": "bars",
                "x_label": "last digit",
                "categories": list(range(10)),
                "observed_share": (obs / total).tolist(),
                "null_share": (expected / max(expected.sum(), 1e-9)).tolist(),
            }
        },
    )


def test(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    by: str | None = None,
    replicates: int = 5,
    alpha: float = 0.05,
    seed: int = 0,
    level_label: str | None = None,
) -> list[ForensicResult]:
    """Both digit tests (``by``: the level within which the last-digit null is read; national by default)."""
    return [
        second_digit_test(frame, choices=choices, replicates=replicates, alpha=alpha, seed=seed),
        last_digit_test(frame, choices=choices, by=by, alpha=alpha, level_label=level_label),
    ]
