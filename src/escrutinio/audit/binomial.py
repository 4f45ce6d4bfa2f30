"""Binomial probabilities for the audit math, element-wise over arrays, without scipy's overhead.

``scipy.stats.binom.sf`` and ``.pmf`` check and broadcast their arguments through the generic
distribution machinery before calling one ufunc (Boost's binomial); on the small arrays that
round-size searches evaluate thousands of times, those checks cost ten times the probabilities
themselves (a contest plan of 32 winner–loser pairs spent most of its time there). These
functions call the same ufuncs, so the numbers are scipy's to the last bit, and give scipy's
answers outside the support (where the ufuncs give NaN). Should a scipy release drop the
ufuncs' private names, they fall back to ``scipy.stats.binom``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

_SF = getattr(special._ufuncs, "_binom_sf", None)
_PMF = getattr(special._ufuncs, "_binom_pmf", None)


def binomial_sf(k: np.ndarray | int, n: np.ndarray | int, p: float) -> np.ndarray:
    """P(K > k) for K ~ Binomial(n, p): 1 for k < 0, 0 for k >= n (as ``stats.binom.sf``)."""
    if _SF is None:
        from scipy import stats  # only without the ufuncs: scipy.stats costs every command half a second

        return np.asarray(stats.binom.sf(k, n, p), dtype=np.float64)
    k_arr, n_arr = np.broadcast_arrays(np.asarray(k, dtype=np.int64), np.asarray(n, dtype=np.int64))
    inside = _SF(np.clip(k_arr, 0, n_arr), n_arr, p)
    return np.where(k_arr < 0, 1.0, np.where(k_arr >= n_arr, 0.0, inside))


def binomial_pmf(k: np.ndarray | int, n: np.ndarray | int, p: float) -> np.ndarray:
    """P(K = k) for K ~ Binomial(n, p): 0 outside 0..n (as ``stats.binom.pmf``)."""
    if _PMF is None:
        from scipy import stats

        return np.asarray(stats.binom.pmf(k, n, p), dtype=np.float64)
    k_arr, n_arr = np.broadcast_arrays(np.asarray(k, dtype=np.int64), np.asarray(n, dtype=np.int64))
    inside = _PMF(np.clip(k_arr, 0, n_arr), n_arr, p)
    return np.where((k_arr < 0) | (k_arr > n_arr), 0.0, inside)
