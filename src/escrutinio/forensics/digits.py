"""Digit tests: second-digit Benford (2BL, Mebane) and last-digit uniformity (Beber & Scacco 2012).

Both look at the vote counts of the choices, pooled over tables.

- **2BL**: Mebane proposed comparing the second significant digit of table-level counts with
  Benford's second-digit law. Benford's law is not a law of elections: the digit distribution of
  honest counts depends on table sizes and shares (Deckert, Myagkov & Ordeshook 2011 show honest and
  fraudulent elections on both sides of it). So the Benford chi-square is reported as a description,
  and the p-value compares the observed second digits with the distribution the same tables give
  when each count is redrawn binomially around itself (a Monte-Carlo null that keeps the sizes and
  shares, as in the integer-percentage test).
- **Last digit**: people inventing numbers favour some final digits (0 and 5); honest counts of ten
  or more votes have a last digit close to uniform. Chi-square against uniform, 9 degrees of freedom.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import ForensicResult, not_applicable

BENFORD_SECOND = np.array(
    [sum(np.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)], dtype=np.float64
)
"""P(second significant digit = d), d = 0..9 (Benford)."""


def second_digit(v: np.ndarray) -> np.ndarray:
    """Second significant digit of each count (counts must be >= 10)."""
    v = np.asarray(v, dtype=np.int64)
    ndig = np.floor(np.log10(np.maximum(v, 1))).astype(np.int64) + 1
    return (v // 10 ** np.maximum(ndig - 2, 0)) % 10


def _counts(frame: pl.DataFrame, choices: list[str] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    f = fr.counted(frame)
    cols = [tf.choice_column(c) for c in choices] if choices else fr.choice_columns(f)
    valid = fr.as_int(f, tf.VALID)
    v = np.concatenate([fr.as_int(f, c) for c in cols]) if cols else np.zeros(0, np.int64)
    n = np.tile(valid, len(cols))
    ids = np.tile(np.asarray(fr.table_ids(f), dtype=object), len(cols))
    return v, np.maximum(n, v), ids, cols


def second_digit_test(
    frame: pl.DataFrame, *, choices: list[str] | None = None, replicates: int = 19, seed: int = 0
) -> ForensicResult:
    """2BL with a binomial Monte-Carlo null (and the Benford chi-square as a description)."""
    test = "digits.second_digit"
    v, n, _, cols = _counts(frame, choices)
    keep = v >= 10
    v, n = v[keep], n[keep]
    if len(v) < 100:
        return not_applicable(test, "fewer than 100 counts of ten votes or more.")
    obs = np.bincount(second_digit(v), minlength=10)
    rng = np.random.default_rng(seed)
    p_hat = v / np.maximum(n, 1)
    sims = np.empty((replicates, 10))
    for r in range(replicates):
        d = rng.binomial(n, p_hat)
        d = d[d >= 10]
        sims[r] = np.bincount(second_digit(d), minlength=10) / max(len(d), 1)
    expected_p = sims.mean(axis=0)
    total = obs.sum()

    def chi(o: np.ndarray, m: int) -> float:
        e = expected_p * m
        return float(((o - e) ** 2 / np.maximum(e, 1e-9)).sum())

    stat = chi(obs, total)
    # Under the null the observed digits are multinomial around the expectation, so the statistic is
    # chi-square with 9 df, inflated by (1 + 1/R) for the Monte-Carlo error of the expectation.
    p = float(stats.chi2.sf(stat / (1 + 1 / replicates), 9))
    benford_chi2 = float(((obs - BENFORD_SECOND * total) ** 2 / (BENFORD_SECOND * total)).sum())
    benford_p = float(stats.chi2.sf(benford_chi2, 9))
    reading = (
        f"Over {total:,} counts of ten votes or more, the second digits differ from what the same tables "
        f"give when redrawn binomially by chi-square {stat:.1f} (p = {fr.fmt_p(p)}). "
        f"Against Benford's second-digit law itself the chi-square is {benford_chi2:.1f} (p = "
        f"{fr.fmt_p(benford_p)}), which says more about table sizes than about fraud. "
        + (
            "The digit pattern is unusual for counts of these sizes: evidence to weigh, not a finding."
            if p < 0.05
            else "The second digits look as honest counts of these sizes would."
        )
    )
    return ForensicResult(
        test=test,
        statistic=stat,
        statistic_name="chi2_vs_binomial_null",
        p_value=p,
        reading=reading,
        caveats=(
            "Second-digit Benford (2BL) is not a valid fraud test by itself: honest elections deviate from "
            "Benford and some manipulations do not (Deckert, Myagkov & Ordeshook 2011; Mebane's replies).",
            "Counts below ten have no second digit and are left out.",
        ),
        details={
            "observed": obs.tolist(),
            "expected_share": expected_p.tolist(),
            "benford_share": BENFORD_SECOND.tolist(),
            "benford_chi2": benford_chi2,
            "benford_p": benford_p,
            "columns": cols,
        },
        figures={
            "second_digit": {
                "kind": "bars",
                "x_label": "second digit",
                "categories": list(range(10)),
                "observed_share": (obs / total).tolist(),
                "null_share": expected_p.tolist(),
                "benford_share": BENFORD_SECOND.tolist(),
            }
        },
    )


def last_digit_test(frame: pl.DataFrame, *, choices: list[str] | None = None, min_count: int = 10) -> ForensicResult:
    """Last-digit uniformity of counts >= ``min_count`` (chi-square, 9 df)."""
    test = "digits.last_digit"
    v, _, _, cols = _counts(frame, choices)
    keep = v >= min_count
    v = v[keep]
    if len(v) < 100:
        return not_applicable(test, f"fewer than 100 counts of {min_count} votes or more.")
    obs = np.bincount(v % 10, minlength=10)
    total = int(obs.sum())
    e = total / 10
    stat = float(((obs - e) ** 2 / e).sum())
    p = float(stats.chi2.sf(stat, 9))
    dev = (obs - e) / np.sqrt(e * 0.9)
    reading = (
        f"The last digits of {total:,} counts of {min_count} votes or more differ from uniform by chi-square "
        f"{stat:.1f} on 9 degrees of freedom (p = {fr.fmt_p(p)}); the most over-represented digit is "
        f"{int(dev.argmax())} ({int(obs.max()):,} vs {e:,.0f} expected). "
        + (
            "Invented numbers tend to favour some final digits; this is evidence to weigh."
            if p < 0.05
            else "The final digits look like those of honest counts."
        )
    )
    return ForensicResult(
        test=test,
        statistic=stat,
        statistic_name="chi2_uniform",
        p_value=p,
        reading=reading,
        caveats=(
            "Small counts do not have uniform last digits; counts below the minimum are left out.",
            "With hundreds of thousands of counts, tiny deviations become significant; look at the size of "
            "the deviation (the figure) as well as the p-value.",
        ),
        details={"observed": obs.tolist(), "columns": cols, "min_count": min_count},
        figures={
            "last_digit": {
                "kind": "bars",
                "x_label": "last digit",
                "categories": list(range(10)),
                "observed_share": (obs / total).tolist(),
                "null_share": [0.1] * 10,
            }
        },
    )


def test(
    frame: pl.DataFrame, *, choices: list[str] | None = None, replicates: int = 19, seed: int = 0
) -> list[ForensicResult]:
    """Both digit tests."""
    return [
        second_digit_test(frame, choices=choices, replicates=replicates, seed=seed),
        last_digit_test(frame, choices=choices),
    ]
