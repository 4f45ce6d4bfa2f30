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
from escrutinio.forensics import nulls

LEADER, REST = "LEADER", "REST"
"""The two choices of a shaped election: the real leader's votes, and everyone else's."""


def _shuffled(rng: np.random.Generator, groups: np.ndarray, top: np.ndarray, *per_row: np.ndarray) -> list[np.ndarray]:
    """Each group's value of every ``per_row`` array, taken from a random group of its top area:
    the link between a district's turnout and its share is cut, each stays a real district's."""
    ng = int(groups.max()) + 1
    g_top = np.zeros(ng, dtype=np.int64)
    g_top[groups] = top
    perm = np.arange(ng)
    for a in np.unique(g_top):
        idx = np.flatnonzero(g_top == a)
        perm[idx] = rng.permutation(idx)
    out = []
    for x in per_row:
        g = np.zeros(ng)
        g[groups] = x
        out.append(g[perm][groups])
    return out


def clean_like(frame: pl.DataFrame, winner: str, *, seed: int = 0, min_electors: int = 20) -> pl.DataFrame:
    """One clean election with the tables, areas and district-level shape of ``frame``.

    Without registered electors (Chile's files) turnout is unknown: ballots cast are drawn around
    each district's median and spread of ballots cast instead, and the electors column stays empty,
    so the tests that need turnout cannot tell on these elections as on the real one.
    """
    from escrutinio.forensics.fingerprint import _simulate_clean

    rng = np.random.default_rng(seed)
    if not fr.has_electors(frame):
        return _clean_without_electors(rng, frame, winner)
    f, d, m, top = fr.memo(frame, ("shaped", winner, min_electors), lambda: _shape(frame, winner, min_electors))
    mu_s, sd_s = _shuffled(rng, d.group, top, m.mu_s, m.sd_s)
    model = type(m)(m.mu_t, m.sd_t, mu_s, sd_s, m.valid_ratio)
    cast, valid, win = _simulate_clean(rng, d, model)
    return fr.same_rows(_frame(f, d.electors, cast, valid, win), f)


def _shape(frame: pl.DataFrame, winner: str, min_electors: int) -> tuple:
    """What every clean election shaped like ``frame`` reads off it: the tables kept, their districts'
    clean model (centre and spread of turnout and share) and their top-level areas.

    Why once per frame: it depends on the real frame alone, and a calibration run draws hundreds of
    elections from one frame (a fifth of a fingerprint-only run on Russia was spent reading it again)."""
    from escrutinio.forensics.fingerprint import _fit_clean_symmetric, _kept, _prepare

    f = _kept(fr.counted(frame), winner, min_electors)
    d = _prepare(frame, winner, tf.DISTRICT, min_electors, 20)
    return f, d, _fit_clean_symmetric(d), fr.level_keys(f, tf.DEPARTMENT)


def _clean_without_electors(rng: np.random.Generator, frame: pl.DataFrame, winner: str) -> pl.DataFrame:
    """A clean election shaped like one without electors: cast normal around its district's median
    with its spread (at least one ballot), the real tables' valid ratio, binomial shares."""
    f = fr.counted(frame)
    f = fr.subset(f, fr.as_int(f, tf.VALID) > 0)
    groups, _ = fr.peer_groups(f, tf.DISTRICT, min_size=20)
    cast0, valid0 = fr.as_int(f, tf.CAST), fr.as_int(f, tf.VALID)
    mu_c, sd_c = fr.group_median_mad(cast0.astype(np.float64), groups)
    mu_s, sd_s, _ = nulls.latent_spread(fr.as_int(f, tf.choice_column(winner)) / valid0, valid0, groups)
    mu_s, sd_s = _shuffled(rng, groups, fr.level_keys(f, tf.DEPARTMENT), mu_s, sd_s)
    cast = np.maximum(np.round(rng.normal(mu_c, np.maximum(sd_c, 1.0))), 1).astype(np.int64)
    valid = rng.binomial(cast, np.clip(valid0 / np.maximum(cast0, 1), 0.0, 1.0))
    win = rng.binomial(valid, np.clip(rng.normal(mu_s, sd_s), 0.0, 1.0))
    return fr.same_rows(_frame(f, None, cast, valid, win), f)


def _frame(f: pl.DataFrame, electors: np.ndarray | None, cast: np.ndarray, valid: np.ndarray, win: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        {
            tf.TABLE: f[tf.TABLE].cast(pl.Utf8),
            tf.DEPARTMENT: f[tf.DEPARTMENT],
            tf.PROVINCE: f[tf.PROVINCE],
            tf.DISTRICT: f[tf.DISTRICT],
            tf.POLLING_PLACE: f[tf.POLLING_PLACE] if tf.POLLING_PLACE in f.columns else None,
            tf.ELECTORS: pl.Series(electors, dtype=pl.Int64)
            if electors is not None
            else pl.Series([None] * len(cast), dtype=pl.Int64),
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
