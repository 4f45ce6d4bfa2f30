"""The second-digit test (2BL, Mebane), run only where its assumption holds.

It looks at the vote counts of the choices at every counted table, as the last-digit test does, and
builds on that test's helpers (:mod:`escrutinio.forensics.digits`: the counts, their areas' shares,
the peers' shares, the Gaussian histogram null, the refusal at the nation).

Benford's second-digit law is not a law of honest counts: it holds
only when counts spread over orders of magnitude (Deckert, Myagkov & Ordeshook 2011), and the old
test, which asked first whether redrawn counts followed it, could tell on no real file. So its null
is the last digit's: each count of the tables redrawn from its table's valid votes at a share its
area's tables could have (:func:`peer_shares`, at ``by``, the district by default), its second digit
taken (:func:`redrawn_moments`, :data:`SECOND_REDRAWS` redraws a count, no closed form), their
histogram drawn :data:`NULL_DRAWS` times from its Gaussian (:func:`histogram_null`, shared with the
last digit). The counts read are the counts of :data:`MIN_COUNT` (10) or more, the ones that have a
second digit; the null leaves out the honest counts below ten the same way, so what the cut does is
in the null. A second digit follows where a count falls within its decade, so the null must place
the counts' sizes right: it is checked first on what the second digit does not see, their first
digits and decades (:func:`size_class`); where it misplaces them (every real file: the tables'
shares do not spread around their area's as the null draws them), the test cannot tell and says so.
Benford's chi-square is reported beside it, not tested.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from escrutinio.forensics import frames as fr
from escrutinio.forensics.digits import (
    BELOW_TEN,
    MIN_COUNT,
    MIN_READ,
    NULL_DRAWS,
    READ_LEVELS,
    chi2_against,
    expected_counts,
    histogram_null,
    peer_shares,
    read_at,
    too_coarse,
)
from escrutinio.forensics.results import STATUS_NOT_APPLICABLE, ForensicResult, level_word, not_applicable

BENFORD_SECOND = np.array([sum(np.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)], dtype=np.float64)
"""P(second significant digit = d), d = 0..9 (Benford)."""


def second_digit(v: np.ndarray) -> np.ndarray:
    """Second significant digit of each count (counts must be >= 10)."""
    v = np.asarray(v, dtype=np.int64)
    ndig = np.floor(np.log10(np.maximum(v, 1))).astype(np.int64) + 1
    return (v // 10 ** np.maximum(ndig - 2, 0)) % 10


SECOND_REDRAWS = 16
"""Redraws of each count (each from a share a random other table of its area stands at) that give the
second-digit test's null its per-count digit distributions: their sum is unbiased at any number, their
covariance too (the categorical's unbiased estimator, R/(R − 1)), and the observed digits are compared
with a mean that carries 1/R of the histogram's own variance, which the null's draws carry as well."""


def size_class(x: np.ndarray) -> np.ndarray:
    """Each count's size at the resolution its second digit does not see: its first digit and number
    of digits (10-99, 100-999, 1,000 or more: 27 classes), and :data:`SIZE_BELOW_TEN` below ten."""
    x = np.asarray(x, dtype=np.int64)
    digits_of = np.floor(np.log10(np.maximum(x, 1))).astype(np.int64) + 1
    first = x // 10 ** np.maximum(digits_of - 1, 0)
    return np.where(x >= MIN_COUNT, np.minimum(digits_of - 2, 2) * 9 + first - 1, SIZE_BELOW_TEN)


SIZE_BELOW_TEN = 27
"""The column of :func:`size_class` that holds the counts below ten."""


def _second_or_below(x: np.ndarray) -> np.ndarray:
    return np.where(x >= MIN_COUNT, second_digit(x), BELOW_TEN)


def redrawn_moments(
    n: np.ndarray, shares: np.ndarray, rng: np.random.Generator, chunk: int = 1 << 18
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Σ qᵢ and the covariance Σ (diag qᵢ − qᵢqᵢᵀ) of two histograms of honest counts
    X ~ Binomial(nᵢ, sᵢ): their second digits (0..9, then X < 10 in column :data:`BELOW_TEN`) and
    their sizes (:func:`size_class`). What :func:`histogram_null` needs, as :func:`last_digit_moments`
    gives it for the last digit.

    A second digit has no closed form like the last digit's (it follows where the count falls within
    its decade, not a period of ten), so each qᵢ is estimated from the R redraws of count i, one per
    column of ``shares`` (each a share its area's tables could have, :func:`peer_shares`): their mean
    is unbiased for the mixture over the area's shares, and R/(R − 1)·(diag q̂ᵢ − q̂ᵢq̂ᵢᵀ) for its
    covariance. Both histograms come from the same redraws. Vectorised in chunks of counts (memory:
    chunk × R)."""
    redraws = shares.shape[1]
    out = []
    sums = [(np.zeros(k), np.zeros((k, k))) for k in (11, SIZE_BELOW_TEN + 1)]
    for start in range(0, len(n), chunk):
        x = rng.binomial(n[start : start + chunk, None], shares[start : start + chunk])
        rows = np.arange(x.shape[0])[:, None]
        for (mean, product), classify in zip(sums, (_second_or_below, size_class), strict=True):
            k = len(mean)
            q = np.bincount((rows * k + classify(x)).ravel(), minlength=x.shape[0] * k).reshape(-1, k) / redraws
            mean += q.sum(axis=0)
            product += q.T @ q
    for mean, product in sums:
        out.append((mean, redraws / (redraws - 1) * (np.diag(mean) - product)))
    return out[0], out[1]


def second_digit_test(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    by: str | None = None,
    alpha: float = 0.05,
    redraws: int = SECOND_REDRAWS,
    level_label: str | None = None,
    draws: int = NULL_DRAWS,
    seed: int = 0,
) -> ForensicResult:
    """The second digit (Mebane's 2BL) against the second digits honest counts of these tables give,
    not against Benford (whose law honest counts follow only when spread over orders of magnitude):
    the last-digit test's binomial null, read at the second digit. See the module's docstring."""
    test = "digits.second_digit"
    f, cols, level = read_at(frame, choices, by)
    if level not in READ_LEVELS:
        return too_coarse(test, level)
    where = level_word(level_label or level)
    v, n, p, _which = expected_counts(f, cols, level)
    read = v >= MIN_COUNT
    obs = np.bincount(second_digit(v[read]), minlength=10)
    total = int(obs.sum())
    caveats = (
        f"Counts below {MIN_COUNT} have no second digit and are left out; the null leaves out the honest "
        f"counts that fall below {MIN_COUNT} the same way.",
        "A second digit follows where a count falls within its decade, so the null is the second digits of "
        f"each count redrawn from its table's valid votes at a share its {where}'s tables could have: "
        "Benford's law is reported beside it, not tested (honest counts follow it only when spread over "
        "orders of magnitude, Deckert, Myagkov & Ordeshook 2011).",
    )
    if total < MIN_READ:
        return not_applicable(
            test,
            f"only {total:,} counts of {MIN_COUNT} votes or more have a second digit, and the test needs {MIN_READ}.",
            level=level,
        )
    rng = np.random.default_rng([seed, 2])
    reach = n >= MIN_COUNT  # a count of fewer valid votes never has a second digit: left out, null alike
    shares = peer_shares(f, cols, level, p, redraws, rng)[reach]
    (mean, covariance), (size_mean, size_covariance) = redrawn_moments(n[reach], shares, rng)
    inflate = 1.0 + 1.0 / redraws  # the observed digits meet a mean estimated from R redraws
    honest = mean[:10] / mean[:10].sum()
    stat = float(chi2_against(obs, honest)[0])
    null_chi2 = histogram_null(mean, covariance * inflate, honest, draws, seed)
    p_value = float((1 + np.count_nonzero(null_chi2 >= stat)) / (1 + draws))
    # The null's premise, checked on what a second digit does not see: the counts' sizes (first digit
    # and decade). A null that misplaces them misplaces the second digits too (they follow where a count
    # falls within its decade), and its verdict would be the null's misfit, not the counts': cannot tell.
    sizes = np.bincount(size_class(v[read]), minlength=SIZE_BELOW_TEN + 1)
    size_shares = size_mean[:SIZE_BELOW_TEN] / size_mean[:SIZE_BELOW_TEN].sum()
    size_stat = float(chi2_against(sizes, size_shares)[0])
    size_null = histogram_null(size_mean, size_covariance * inflate, size_shares, draws, seed + 1)
    size_p = float((1 + np.count_nonzero(size_null >= size_stat)) / (1 + draws))
    benford_chi2 = float(chi2_against(obs, BENFORD_SECOND)[0])
    gap = obs / total - honest
    most = int(np.abs(gap).argmax())
    estimates = {
        "observed": obs.tolist(),
        "expected": (honest * total).tolist(),
        "observed_share": (obs / total).tolist(),
        "honest_share": honest.tolist(),
        "benford_share": BENFORD_SECOND.tolist(),
        "chi2_vs_honest": stat,
        "p_vs_honest": p_value,
        "chi2_vs_benford": benford_chi2,
        "null_chi2_mean": float(null_chi2.mean()),
        "null_chi2_95": float(np.quantile(null_chi2, 0.95)),
        "p_chi2_9df": float(stats.chi2.sf(stat, 9)),
        "chi2_sizes": size_stat,
        "null_chi2_sizes_mean": float(size_null.mean()),
        "p_sizes": size_p,
        "n_counts": total,
        "n_counts_all": len(v),
        "min_count": MIN_COUNT,
        "redraws": redraws,
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
    null = (
        "chi-square against the second digits honest counts give: each count of the tables redrawn "
        f"binomially over its table's valid votes at its {where}'s share moved as a random other table of "
        f"the {where} stands from it ({redraws} redraws a count, as the last-digit null; counts below "
        f"{MIN_COUNT} left out of both), their histogram drawn as a Gaussian"
    )
    if size_p < alpha:
        return ForensicResult(
            test=test,
            statistic=stat,
            statistic_name="chi2_vs_honest_counts",
            p_value=None,
            reading=(
                f"Cannot tell: what honest counts would give misplaces these counts' sizes. Redrawn from their "
                f"tables' valid votes at shares their {where}'s tables could have, the {total:,} counts of "
                f"{MIN_COUNT} votes or more would fall in other decades and first digits than they do "
                f"(chi-square {size_stat:.1f} where honest counts give {size_null.mean():.1f} on average, "
                f"{fr.fmt_p(size_p)}): the tables' shares are not spread around their {where}'s as the null "
                "draws them. A second digit follows where a count falls within its decade, so the null's "
                f"second digits are not honest counts' either (the observed differ from them by chi-square "
                f"{stat:.1f}, {fr.fmt_p(p_value)}), and that says nothing of how the figures were written: tables "
                f"whose shares spread otherwise than the null draws them move the sizes, as figures written by "
                "the tens would. A finer --by may fit them."
            ),
            caveats=caveats,
            estimates=estimates,
            null=null + "; not applicable: the counts' sizes depart from it (see the wording)",
            draws=draws,
            status=STATUS_NOT_APPLICABLE,
            level=level,
            figures=figures,
        )
    reading = (
        f"The second digits of {total:,} of {len(v):,} counts (those of {MIN_COUNT} votes or more) differ from "
        f"what honest counts of these tables give, each redrawn from its table's valid votes at a share its "
        f"{where}'s tables could have, by chi-square {stat:.1f}; honest counts give {null_chi2.mean():.1f} on "
        f"average ({fr.fmt_p(p_value)}, from {draws:,} draws); the largest gap is at {most} "
        f"({obs[most] / total:.2%} against {honest[most]:.2%}). The null places the counts' sizes as they are "
        f"(first digits and decades: chi-square {size_stat:.1f}, {fr.fmt_p(size_p)}). Against Benford's law "
        f"the chi-square is {benford_chi2:.1f}, which honest counts of these sizes need not follow. "
        + (
            "Some second digits appear more or less often than counting gives: numbers written without "
            "counting leave this trace, and so do counts moved by whole tens. Evidence to weigh."
            if p_value < alpha
            else "The second digits are as honest counts of these tables give."
        )
    )
    return ForensicResult(
        test=test,
        statistic=stat,
        statistic_name="chi2_vs_honest_counts",
        p_value=p_value,
        reading=reading,
        caveats=caveats,
        estimates=estimates,
        null=null,
        draws=draws,
        level=level,
        figures=figures,
    )
