"""Null models the anomaly checks weigh their counts against, and their Monte Carlo tails.

Why one module: the checks that count odd tables (unanimous tables, turnout outliers) must all be
calibrated against the same clean world the calibration suite draws (:mod:`shaped`, and the clean
model of :mod:`fingerprint`): each table's latent rate is normal around its peer group's centre,
with the group's spread less binomial noise, clipped to [0, 1]; its counts are binomial around that
rate. A count of odd tables is then a sum of independent Bernoullis with known, table-specific
probabilities, and its p-value is a Monte Carlo tail of that sum (:func:`bernoulli_sum_p`).

A count of unanimous tables rests on the far tail of that latent rate, which the body of a peer
group (its median and spread) does not pin down: a normal clipped to [0, 1] piles its tail at
exactly 1 (it gave Bolivia 2019 about 2,400 unanimous tables where the file has 460), a normal on
the logit scale never reaches 1 (about 280). Real peer groups sit between the two, so the count is
weighed against both (:func:`unanimity_chances`) and read as "more than either tail explains",
"within what even the thin tail explains", or "cannot tell" between them.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from escrutinio.forensics import frames as fr

FEWEST_DRAWS = 999
"""The fewest draws a fixed-draw Monte Carlo null of the suite takes (the anomaly counts', the
fingerprint's bootstrap): its p-value is (1 + k) / (draws + 1), never below 1 / 1,000."""

SMALLEST_ALPHA = 1 / (FEWEST_DRAWS + 1)
"""An alpha must be above this: at or below it a fixed-draw null cannot reach p < alpha, and a test
would say "not flagged" at its smallest p (``--alpha 0.001`` read "not flagged … p=0.001")."""

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


_NODES, _WEIGHTS = np.polynomial.hermite.hermgauss(24)
"""Gauss-Hermite nodes and weights for :func:`logit_normal_power` (centred on the integrand's mode)."""
_CHUNK = 1 << 16


def logit_latent(k: np.ndarray, n: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: its group's median of logit((k + ½)/(n − k + ½)) and the latent spread on that scale.

    The spread is the group's MAD (as an sd) less the mean binomial noise of a logit (1/(k + ½) +
    1/(n − k + ½), the delta method), floored at a quarter of the MAD, as :func:`latent_spread` does on
    the share scale. Rows with n = 0 are left out of every figure.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    use = n > 0
    ng = int(groups.max()) + 1 if len(groups) else 0
    logit = np.where(use, np.log((k + 0.5) / np.maximum(n - k + 0.5, 0.5)), np.nan)
    noise = 1.0 / (k + 0.5) + 1.0 / np.maximum(n - k + 0.5, 0.5)
    med, mad = fr.group_median_mad(logit, groups)
    m = np.bincount(groups[use], minlength=ng)
    noise_row = (np.bincount(groups[use], weights=noise[use], minlength=ng) / np.maximum(m, 1))[groups]
    sd = np.sqrt(np.maximum(mad**2 - noise_row, (0.25 * mad) ** 2))
    return np.nan_to_num(med), np.maximum(np.nan_to_num(sd), MIN_LATENT_SD)


def logit_normal_power(mu: np.ndarray, sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """E[nu**n] for logit(nu) ~ N(mu, sd): the chance a table of n votes gives them all to a choice
    whose latent share never reaches 1, only approaches it.

    In z (the standard normal under logit nu = mu + sd·z) the log integrand g(z) = −n·log(1 +
    e^−(mu+sd·z)) − z²/2 is concave, with its mode between 0 and n·sd·expit(−mu): found by Newton's
    method kept inside that bracket, then the integral by Gauss-Hermite quadrature centred on the mode
    with its curvature (adaptive quadrature: within a fraction of a per cent where the mass sits far in
    the tail, as it does for unanimity at hundreds of votes). Rows whose Laplace value (one node) is
    below 1e-12 are given it as it is: they add nothing a count can see, and a million tables cost
    seconds less.
    """
    mu, sd, n = (np.asarray(a, dtype=np.float64) for a in (mu, sd, n))
    sd = np.maximum(sd, MIN_LATENT_SD)
    # E[nu**n] <= P(logit nu > x0) + expit(x0)**n, with x0 where the second term is e^-30: rows whose
    # bound is below 1e-10 cannot add to a count what a million of them could show, and are left at it.
    x0 = -np.log(np.expm1(30.0 / np.maximum(n, 1.0)))
    bound = special.ndtr((mu - x0) / sd) + np.exp(-30.0)
    far = bound < 1e-10
    if far.any():
        out = bound.copy()
        near = ~far
        out[near] = logit_normal_power(mu[near], sd[near], n[near]) if near.any() else out[near]
        return out
    lo, hi = np.zeros_like(mu), n * sd * special.expit(-mu)
    z = np.zeros_like(mu)
    active = np.arange(len(mu))
    for _ in range(60):
        x = mu[active] + sd[active] * z[active]
        slope = n[active] * sd[active] * special.expit(-x) - z[active]
        curv = n[active] * sd[active] ** 2 * special.expit(x) * special.expit(-x) + 1.0
        lo[active] = np.where(slope > 0, z[active], lo[active])
        hi[active] = np.where(slope > 0, hi[active], z[active])
        new = z[active] + slope / curv
        new = np.where((new > lo[active]) & (new < hi[active]), new, (lo[active] + hi[active]) / 2)
        done = np.abs(new - z[active]) < 1e-10 * (1.0 + np.abs(new))
        z[active] = new
        active = active[~done]
        if len(active) == 0:
            break
    x = mu + sd * z
    scale = 1.0 / np.sqrt(n * sd**2 * special.expit(x) * special.expit(-x) + 1.0)
    out = scale * np.exp(-n * np.logaddexp(0.0, -x) - z**2 / 2)  # the Laplace value
    wide = np.flatnonzero(out > 1e-12)
    for a in range(0, len(wide), _CHUNK):  # nodes × tables in slices: a million tables in ~100 MB
        i = wide[a : a + _CHUNK]
        zk = z[i, None] + np.sqrt(2.0) * scale[i, None] * _NODES[None, :]
        log_f = -n[i, None] * np.logaddexp(0.0, -(mu[i, None] + sd[i, None] * zk)) - zk**2 / 2 + _NODES**2
        out[i] = scale[i] / np.sqrt(np.pi) * (np.exp(log_f) @ _WEIGHTS)
    return np.clip(out, 0.0, 1.0)


def unanimity_chances(
    votes: np.ndarray, valid: np.ndarray, groups: np.ndarray, eligible: np.ndarray, none_too: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each table's chance of being unanimous under a thick and a thin tail: (clipped normal, logit normal).

    ``votes`` is tables × choices; a table is unanimous when one choice has every valid vote, or when
    a choice marked in ``none_too`` has none. Ineligible tables get 0. The clipped normal piles mass
    at exactly 0 and 1 (a tail thicker than real peer groups show: an upper reading), the logit normal
    has none there (thinner: a lower reading).
    """
    n = valid.astype(np.float64)
    thick = np.zeros(len(n))
    thin = np.zeros(len(n))
    # Tables of one group and one size share their chance: computed once per (group, size).
    key = groups.astype(np.int64) * (int(valid.max(initial=0)) + 1) + valid
    pair, first, back = np.unique(np.where(eligible, key, -1), return_index=True, return_inverse=True)
    use = pair >= 0
    for j in range(votes.shape[1]):
        share = np.where(eligible, fr.safe_ratio(votes[:, j], valid), np.nan)
        med, sd, _ = latent_spread(share, n, groups)
        lmu, lsd = logit_latent(np.where(eligible, votes[:, j], 0), np.where(eligible, n, 0), groups)
        thick += clipped_normal_power(med, sd, n)
        at = first[use]
        for sign in (1.0, -1.0) if none_too[j] else (1.0,):
            chance = np.zeros(len(pair))
            chance[use] = logit_normal_power(sign * lmu[at], lsd[at], n[at])
            thin += chance[back]
        if none_too[j]:
            thick += clipped_normal_power(1.0 - med, sd, n)
    return np.where(eligible, np.minimum(thick, 1.0), 0.0), np.where(eligible, np.minimum(thin, 1.0), 0.0)


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
