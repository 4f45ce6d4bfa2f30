"""Null models the anomaly checks weigh their counts against, and their Monte Carlo tails.

Why one module: the checks that count odd tables (unanimous tables, turnout outliers) must all be
calibrated against the same clean world the calibration suite draws (:mod:`shaped`, and the clean
model of :mod:`fingerprint`): each table's latent rate is normal around its peer group's centre,
with the group's spread less binomial noise, clipped to [0, 1]; its counts are binomial around that
rate. A count of odd tables is then a sum of independent Bernoullis with known, table-specific
probabilities, and its p-value is a Monte Carlo tail of that sum (:func:`bernoulli_sum_p`).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from escrutinio.forensics import frames as fr

MIN_LATENT_SD = 1e-4
"""Floor of a group's latent spread: a group whose tables agree to the vote still has some."""


def latent_spread(x: np.ndarray, size: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: its group's median of ``x`` (a rate), the latent spread around it, and the group's size.

    The latent spread is the group's MAD (scaled to an sd) less the binomial noise of tables of the
    group's sizes, floored at a quarter of the MAD (as the fingerprint's clean model does): what
    varies between tables beyond chance. NaN rows (no rate) are left out of every figure.
    """
    use = np.isfinite(x)
    ng = int(groups.max()) + 1 if len(groups) else 0
    med, mad = fr.group_median_mad(np.where(use, x, np.nan), groups)
    p = np.where(use, x, 0.0)
    binom = np.bincount(groups[use], weights=(p * (1 - p) / np.maximum(size, 1))[use], minlength=ng)
    m = np.bincount(groups[use], minlength=ng)
    binom_row = (binom / np.maximum(m, 1))[groups]
    sd = np.sqrt(np.maximum(mad**2 - binom_row, (0.25 * mad) ** 2))
    return med, np.maximum(np.nan_to_num(sd), MIN_LATENT_SD), m[groups]


def clipped_normal_power(mu: np.ndarray, sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """E[nu**n] for nu ~ N(mu, sd) clipped to [0, 1]: the chance a table of n votes gives them all to
    a choice whose latent share is nu.

    The mass clipped at 1 gives all n for sure; below 1, (1 - u)**n <= exp(-n u) with u = 1 - nu
    gives a closed form (the normal's exponential moment), an upper bound within a factor
    exp(n u**2 / 2) where the integrand matters (u of order 1/n): conservative, never a false alarm.
    """
    mu = np.asarray(mu, dtype=np.float64)
    sd = np.maximum(np.asarray(sd, dtype=np.float64), MIN_LATENT_SD)
    n = np.asarray(n, dtype=np.float64)
    m = 1.0 - mu  # the latent u = 1 - nu is N(m, sd)
    at_one = special.ndtr(-m / sd)
    log_rest = -n * m + 0.5 * (n * sd) ** 2 + special.log_ndtr((m - n * sd**2) / sd)
    return np.clip(at_one + np.exp(np.minimum(log_rest, 0.0)), 0.0, 1.0)


def bernoulli_sum_p(q: np.ndarray, observed: int, *, draws: int = 999, seed: int = 0, bins: int = 200) -> float:
    """Monte Carlo P(S >= observed) for S a sum of independent Bernoulli(q_i), with ``draws`` draws.

    Vectorised for a million tables: the q_i are grouped in ``bins`` bins of log q (each bin's sum
    drawn as one binomial at the bin's mean q, which keeps the sum's mean exactly and its variance
    within the bin's spread of q), so each draw costs ``bins`` binomials, not one per table.
    p = (1 + #{draws >= observed}) / (draws + 1), never 0.
    """
    q = np.asarray(q, dtype=np.float64)
    q = q[q > 1e-15]
    if observed <= 0:
        return 1.0
    if len(q) == 0:
        return 1.0 / (draws + 1)
    edges = np.quantile(np.log(q), np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, np.log(q), side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    mean_q = np.bincount(which, weights=q, minlength=bins) / np.maximum(count, 1)
    keep = count > 0
    rng = np.random.default_rng(seed)
    sums = rng.binomial(count[keep], np.clip(mean_q[keep], 0.0, 1.0), size=(draws, int(keep.sum()))).sum(axis=1)
    return float((1 + int((sums >= observed).sum())) / (draws + 1))
