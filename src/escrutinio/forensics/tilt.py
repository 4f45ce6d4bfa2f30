"""The fingerprint's decision: does it tilt towards high turnout with a high winner share?

Klimek et al.'s clean model has each table's turnout and winner share vary independently around
its area's centre; their fraud mechanism moves a stuffed table up in *both* at once (the "comet"
towards 100 % / 100 %). So the quantity a decision can rest on is the tilt: the rank correlation,
within each area at the conditioning level, between a table's turnout and its winner share
(ranks within the area, so regional voting — Puno at 89 % — does not enter). Zero under the clean
model; positive under incremental stuffing; large where whole territorial commissions were
stuffed to different degrees.

Why a cluster bootstrap and not a table-level permutation: tables of the same territorial
commission, district or polling place share their voters' habits, so the tilt of an honest
election wanders by far more than tables drawn independently would allow; a permutation of tables
would cry wolf on every large election (Peru's runoff has 86,000 tables). The unit is the cluster
one level below the conditioning level (territorial commissions within regions, provinces within
departments). The null gives each cluster's contribution a random sign (a wild cluster bootstrap
with Rademacher weights, ``draws`` ≥ 999 times; it keeps its size with a few dozen clusters, where
resampling them over-rejects); the p-value is its one-sided tail. The interval resamples the
clusters with Poisson(1) weights.

The fraction estimates agree with the decision by construction:

- ``f_e`` is read first, from what only extreme fraud produces: the excess share of tables at 95 %
  turnout or more *and* a 95 % winner share or more over what the clean election gives, divided by
  the share of extreme-fraud tables that land there (Klimek et al.'s reading of the far corner).
- ``f_i`` is the share of tables with Klimek's incremental fraud that, added with that extreme
  fraud to the clean election, gives the observed tilt (0 when the tilt is not above the clean
  one's): extreme-fraud tables tilt an election too, so a tilt read on incremental fraud alone
  took them for incremental fraud. Each bootstrap draw gives its own (f_e, f_i) pair, and the
  intervals are their percentiles (:func:`fingerprint._fractions`).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from escrutinio.forensics import frames as fr

CORNER = 0.95
"""Turnout and winner share at or above which a table is in the extreme-fraud corner."""


MAX_CLUSTERS = 5000
"""Above this many clusters, they are pooled at random into this many blocks for the bootstrap."""


def centred_ranks(x: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Each value's mid-rank within its area, scaled to (0, 1) and centred on 0."""
    df = pl.DataFrame({"a": area, "x": x})
    u = df.select(((pl.col("x").rank("average").over("a") - 0.5) / pl.len().over("a")).alias("u"))["u"]
    return u.to_numpy() - 0.5


def area_codes(area: np.ndarray) -> np.ndarray:
    """Dense integer codes of the area keys."""
    return np.unique(area, return_inverse=True)[1].astype(np.int64)


def tilt_of(t: np.ndarray, s: np.ndarray, area: np.ndarray) -> float:
    """The tilt of one election: Σ u_t·u_s / Σ (u_t² + u_s²)/2 over its tables (see :func:`measure`)."""
    ut, us = centred_ranks(t, area), centred_ranks(s, area)
    return float((ut * us).sum() / max(((ut**2 + us**2) / 2).sum(), 1e-12))


def cluster_level(frame: pl.DataFrame, level: str) -> str:
    """The level whose units are resampled: the first level below ``level`` that splits its areas."""
    i = fr.LEVELS.index(level)
    base = fr.level_keys(frame, level)
    for finer in reversed(fr.LEVELS[:i]):
        if finer not in frame.columns or frame[finer].null_count() == frame.height:
            continue
        keys = fr.level_keys(frame, finer)
        if len(np.unique(keys)) > len(np.unique(base)):
            return finer
    return "table"


def measure(
    t: np.ndarray,
    s: np.ndarray,
    area: np.ndarray,
    cluster: np.ndarray,
    *,
    draws: int = 999,
    seed: int = 0,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tilt, its bootstrap draws, its null draws, and the corner share's draws and value (for f_e).

    Tilt = Σ u_t·u_s / Σ (u_t² + u_s²)/2 over tables, u the centred within-area ranks: a pooled
    rank correlation that is 1 when turnout and share are ranked alike in every area.
    """
    ut, us = centred_ranks(t, area), centred_ranks(s, area)
    rng = np.random.default_rng(seed)
    _, c = np.unique(cluster, return_inverse=True)
    if c.max() + 1 > MAX_CLUSTERS:
        # Many small clusters (tables on their own): resampling random blocks of them gives sums with the
        # same variance at a fraction of the cost of one weight per table and draw.
        c = rng.permutation(int(c.max()) + 1)[c] % MAX_CLUSTERS
    nc = int(c.max()) + 1
    a = np.bincount(c, weights=ut * us, minlength=nc)
    b = np.bincount(c, weights=(ut**2 + us**2) / 2, minlength=nc)
    corner = np.bincount(c, weights=((t >= CORNER) & (s >= CORNER)).astype(np.float64), minlength=nc)
    size = np.bincount(c, minlength=nc).astype(np.float64)
    w = rng.poisson(1.0, size=(draws, nc)).astype(np.float64)
    tilt = float(a.sum() / max(b.sum(), 1e-12))
    boot = (w @ a) / np.maximum(w @ b, 1e-12)
    # The null: each cluster's contribution with a random sign (the wild cluster bootstrap with
    # Rademacher weights, which keeps its size with few clusters where resampling them does not).
    # Ranks are centred within the area, so an area's clusters are not independent: with m of them the
    # contributions are positively correlated and their sum varies about m/(m - 1) times more than their
    # variances add up to; each contribution is scaled by the square root of that, m being the area's
    # effective number of clusters (Σn)²/Σn² (clusters of unequal sizes count as fewer).
    ac = area_codes(area)
    pair, pair_inv = np.unique(ac * nc + c, return_inverse=True)
    n_pair = np.bincount(pair_inv).astype(np.float64)
    pair_area = pair // nc
    m_eff = np.bincount(pair_area, weights=n_pair) ** 2 / np.bincount(pair_area, weights=n_pair**2)
    factor = np.where(m_eff > 1.01, m_eff / np.maximum(m_eff - 1, 1e-9), 1.0)
    scale = np.sqrt(
        np.bincount(pair % nc, weights=factor[pair_area] * n_pair, minlength=nc)
        / np.maximum(np.bincount(pair % nc, weights=n_pair, minlength=nc), 1.0)
    )
    signs = rng.integers(0, 2, size=(draws, nc)).astype(np.float64) * 2 - 1
    null = (signs @ (a * scale)) / max(b.sum(), 1e-12)
    corner_boot = (w @ corner) / np.maximum(w @ size, 1.0)
    return tilt, boot, null, corner_boot, np.array([corner.sum() / max(size.sum(), 1.0)])


def invert(observed: float, grid_f: np.ndarray, grid_tilt: np.ndarray, *, complete: bool = True) -> float:
    """The fraud fraction whose simulated tilt equals ``observed``, read on the grid up to its peak.

    0 below the grid. Past the peak a larger fraction tilts an election less (the stuffed tables
    become the majority of their area and the ranking flattens again), so a tilt above the peak is
    given by no fraction at all: ``inf``, when the grid is ``complete`` (it reached the top of the
    range fitted) or its peak lies inside it. A grid cut short below its peak (the simulation stops
    once it has passed the tilts it must read) gives its last fraction for a tilt above it: a lower
    bound that only the far tail of the bootstrap draws can reach.
    """
    peak = int(np.argmax(grid_tilt))
    g = np.maximum.accumulate(grid_tilt[: peak + 1])
    if observed <= g[0]:
        return 0.0
    if observed > g[-1]:
        return math.inf if complete or peak < len(grid_tilt) - 1 else float(grid_f[peak])
    return float(np.interp(observed, g, grid_f[: peak + 1]))
