"""Clean elections shaped like a real one: the null world a test's calibration is checked in.

A test's false-alarm rate on a generic synthetic election says little about the election at hand:
its table sizes, its areas and how strongly they vote differently all change what chance produces.
So each clean election here keeps the real tables — their electors and their place in the geography
— and each district's observed centre and spread of turnout and of the leader's share; only the
link between the two is cut (the districts' share centres are shuffled among the districts of the
same top-level area), and every table is drawn binomially around its district's centres. Whatever
the real election holds — stuffing, round numbers, invented digits — is not in these draws, while
everything honest about its shape is.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr

LEADER, REST = "LEADER", "REST"
"""The two choices of a shaped election: the real leader's votes, and everyone else's."""


def clean_like(frame: pl.DataFrame, winner: str, *, seed: int = 0, min_electors: int = 20) -> pl.DataFrame:
    """One clean election with the tables, areas and district-level shape of ``frame``."""
    from escrutinio.forensics.fingerprint import _fit_clean_symmetric, _kept, _prepare, _simulate_clean

    rng = np.random.default_rng(seed)
    f = _kept(fr.counted(frame), winner, min_electors)
    d = _prepare(frame, winner, tf.DISTRICT, min_electors, 20)
    m = _fit_clean_symmetric(d)
    top = fr.level_keys(f, tf.DEPARTMENT)
    # Cut the link: each district takes the share centre and spread of a random district of its top area.
    groups = d.group
    ng = int(groups.max()) + 1
    g_top = np.zeros(ng, dtype=np.int64)
    g_top[groups] = top
    g_mu = np.zeros(ng)
    g_sd = np.zeros(ng)
    g_mu[groups], g_sd[groups] = m.mu_s, m.sd_s
    perm = np.arange(ng)
    for a in np.unique(g_top):
        idx = np.flatnonzero(g_top == a)
        perm[idx] = rng.permutation(idx)
    model = type(m)(m.mu_t, m.sd_t, g_mu[perm][groups], g_sd[perm][groups], m.valid_ratio)
    cast, valid, win = _simulate_clean(rng, d, model)
    return pl.DataFrame(
        {
            tf.TABLE: f[tf.TABLE].cast(pl.Utf8),
            tf.DEPARTMENT: f[tf.DEPARTMENT],
            tf.PROVINCE: f[tf.PROVINCE],
            tf.DISTRICT: f[tf.DISTRICT],
            tf.POLLING_PLACE: f[tf.POLLING_PLACE] if tf.POLLING_PLACE in f.columns else None,
            tf.ELECTORS: d.electors,
            tf.CAST: cast,
            tf.BLANK: np.zeros(len(cast), dtype=np.int64),
            tf.NULL: cast - valid,
            tf.CHALLENGED: np.zeros(len(cast), dtype=np.int64),
            tf.VALID: valid,
            tf.STATE: ["counted"] * len(cast),
            tf.choice_column(LEADER): win,
            tf.choice_column(REST): valid - win,
            tf.ORDER: pl.Series([None] * len(cast), dtype=pl.Int64),
        }
    )
