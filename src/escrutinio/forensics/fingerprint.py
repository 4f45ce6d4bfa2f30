"""The turnout × winner-share "election fingerprint" (Klimek, Yegorov, Hanel & Thurner, PNAS 2012).

Ballot stuffing moves a table up in turnout and in the winner's share at once, so fraud smears the
2-D histogram of tables (turnout on one axis, the winner's share of valid votes on the other) towards
the top-right corner; extreme fraud piles tables at 100 % / 100 %. Klimek et al. fit a model with two
parameters: the fraction f_i of tables with *incremental* fraud (a fraction x ~ |N(0, σ)| of the
non-voters' ballots and of the opponents' votes go to the winner) and the fraction f_e with *extreme*
fraud (x ≈ 1). See :mod:`simulate` for the exact fraud mechanism (it is shared with the injector).

How geography is conditioned on (Puno gave Castillo 89 %: regional voting is not fraud): tables are
compared only within their area at the ``by`` level, and the **clean model is per area**: each
table's clean turnout and winner share are drawn around its own area's centre with that area's own
spread, then binomially from its own electors.

Three parts, all in :func:`test`:

- **The decision** rests on the tilt (:mod:`tilt`): the within-area rank correlation of turnout and
  the winner's share, with a wild cluster bootstrap null (p from ``draws`` ≥ 999 draws).
- **f_e** is read from what only extreme fraud produces, as Klimek et al. read it: the excess share
  of tables at 95 % turnout and share or more over the clean model's, divided by the share of
  extreme-fraud tables that land there.
- **f_i** is the fraction of tables with incremental fraud that, added with that extreme fraud to
  the clean model, gives the observed tilt (:func:`_fractions`): the estimate agrees with the
  decision by construction. Extreme-fraud tables tilt an election too, so the tilt is read given
  f_e (read on incremental fraud alone, f_e = 0.05 and no incremental fraud gave f_i = 0.22). The
  clean model is matched to the fractions read (:func:`_match`: centres and spreads that, with that
  fraud added, give each area's observed quartiles; read straight off the data they hold the fraud,
  and f_i = 0.3 read 0.42). Every bootstrap draw of the tilt and the far corner gives its own (f_e,
  f_i); the intervals are their percentiles. The model's incremental fraud tilts an election only
  so far (past some fraction the stuffed tables are the majority of their area and the ranking
  flattens again): a tilt past that peak is given by no fraction (``f_incremental`` None, not a
  floor), and an interval whose top is past it reaches the model's limit (censored).

On synthetic elections of 20,000 tables with (f_i, f_e) in {0, 0.1, 0.2, 0.3} × {0, 0.02, 0.05}
injected, the f_i interval covers the injected fraction in every one of 72 elections (six seeds
each) and f_e's in 69 (``tests/unit/forensics/test_forensics_fingerprint_recovery.py``; the runs
in docs/forensics-calibration.md). A least-squares fit of the 2-D histogram (``fit``, removed in
session 14) read f_i about as closely at 2 to 5 times the cost, with intervals that left out the
noise of its simulations (0.17–0.19 for an injected 0.2), on a statistic the decision does not use,
and was called by nothing the project ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics import nulls
from escrutinio.forensics.results import ForensicResult, choice_word, level_word, not_applicable
from escrutinio.forensics.simulate import KLIMEK_SIGMA_EXTREME, KLIMEK_SIGMA_INCREMENTAL


@dataclass(frozen=True)
class _Data:
    electors: np.ndarray
    cast: np.ndarray
    winner: np.ndarray
    valid: np.ndarray
    group: np.ndarray
    ids: tuple[str, ...]


@dataclass(frozen=True)
class _CleanModel:
    mu_t: np.ndarray
    sd_t: np.ndarray
    mu_s: np.ndarray
    sd_s: np.ndarray
    valid_ratio: np.ndarray


def _prepare(frame: pl.DataFrame, winner: str, by: str, min_electors: int, min_group: int) -> _Data:
    f = _kept(fr.counted(frame), winner, min_electors)
    group, _ = fr.peer_groups(f, by if by in fr.LEVELS else tf.DISTRICT, min_size=min_group)
    return _Data(
        fr.as_int(f, tf.ELECTORS),
        fr.as_int(f, tf.CAST),
        fr.as_int(f, tf.choice_column(winner)),
        fr.as_int(f, tf.VALID),
        group,
        (),
    )


def _fit_clean_symmetric(d: _Data) -> _CleanModel:
    """The clean model under the null (no fraud): each area's median and MAD, less binomial noise.

    Used only by the test of f = 0 (a model read straight off the data, with no fraud assumed)."""
    rates = ((d.cast / d.electors, d.electors), (d.winner / d.valid, d.valid))
    out = [nulls.latent_spread(x, size, d.group)[:2] for x, size in rates]
    ratio = np.clip(d.valid / np.maximum(d.cast, 1), 0.0, 1.0)
    return _CleanModel(out[0][0], out[0][1], out[1][0], out[1][1], ratio)


def _simulate_clean(rng: np.random.Generator, d: _Data, m: _CleanModel, *, smooth: bool = False) -> tuple[np.ndarray, ...]:
    """One clean election: latent turnout and share per table, then binomial counts.

    ``smooth`` draws the binomials by their normal approximation (rounded, clipped), from a fixed
    number of standard normals: with the same seed, a small change of the model then moves every
    count a little. numpy's exact binomial sampler consumes a variable number of uniforms, so a
    changed model reshuffles all later draws, and the grid of fractions and the matching of the
    clean model (which compare models that differ slightly) would compare noise with noise.
    """
    if not smooth:
        tau = np.clip(rng.normal(m.mu_t, m.sd_t), 0.0, 1.0)
        nu = np.clip(rng.normal(m.mu_s, m.sd_s), 0.0, 1.0)
        cast = rng.binomial(d.electors, tau)
        valid = rng.binomial(cast, m.valid_ratio)
        win = rng.binomial(valid, nu)
        return cast, valid, win
    z = rng.standard_normal((5, len(d.electors)), dtype=np.float32)  # float32: half the cost, ample here
    tau = np.clip(m.mu_t + m.sd_t * z[0], 0.0, 1.0)
    nu = np.clip(m.mu_s + m.sd_s * z[1], 0.0, 1.0)
    cast = _approx_binomial(d.electors, tau, z[2])
    valid = _approx_binomial(cast, m.valid_ratio, z[3])
    win = _approx_binomial(valid, nu, z[4])
    return cast, valid, win


def _approx_binomial(size: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Binomial(size, p) by its rounded normal approximation from the standard normals z."""
    mean = size * p
    x = np.floor(mean + np.sqrt(mean * (1.0 - p)) * z + 0.5)
    return np.clip(x, 0, size).astype(np.int64)


def _fraud(
    cast: np.ndarray, valid: np.ndarray, win: np.ndarray, electors: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sheet after moving a fraction x of non-voters and of opposing votes to the winner."""
    add = np.floor(x * (electors - cast)).astype(np.int64)
    stolen = np.floor(x * (valid - win)).astype(np.int64)
    return cast + add, valid + add, win + add + stolen


def _fraud_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The fraction x moved in a table under incremental and under extreme fraud (as :mod:`simulate`)."""
    x_inc = np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_INCREMENTAL, n)), 0.95)
    x_ext = 1 - np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_EXTREME, n)), 1.0)
    return x_inc, x_ext


@dataclass(frozen=True)
class _AreaStats:
    """Per-area robust centre (median) and width (IQR / 1.349) of turnout (t) and winner share (s)."""

    centre_t: np.ndarray
    width_t: np.ndarray
    centre_s: np.ndarray
    width_s: np.ndarray


def _area_stats(
    electors: np.ndarray, cast: np.ndarray, valid: np.ndarray, win: np.ndarray, group: np.ndarray, ng: int
) -> _AreaStats:
    """Quartiles of turnout and winner share in every area, in one multi-threaded polars pass."""
    t = cast / np.maximum(electors, 1)
    s = np.where(valid > 0, win / np.maximum(valid, 1), 0.0)
    q = {f"{v}{i}": pl.col(v).quantile(p, interpolation="linear") for v in "ts" for i, p in enumerate((0.25, 0.5, 0.75))}
    agg = pl.DataFrame({"g": group, "t": t, "s": s}).group_by("g").agg(**q)
    g = agg["g"].to_numpy()
    out = []
    for v in "ts":
        lo, mid, hi = (np.zeros(ng) for _ in range(3))
        lo[g], mid[g], hi[g] = (agg[f"{v}{i}"].to_numpy() for i in range(3))
        out += [mid, np.maximum((hi - lo) / 1.3489795003921634, 1e-4)]
    return _AreaStats(*out)


@dataclass(frozen=True)
class _Params:
    """The clean model per area (latent centre and spread of turnout and winner share)."""

    mu_t: np.ndarray
    sd_t: np.ndarray
    mu_s: np.ndarray
    sd_s: np.ndarray

    def model(self, d: _Data) -> _CleanModel:
        g = d.group
        return _CleanModel(
            self.mu_t[g], self.sd_t[g], self.mu_s[g], self.sd_s[g], np.clip(d.valid / np.maximum(d.cast, 1), 0.0, 1.0)
        )


def _start_params(d: _Data, obs: _AreaStats) -> _Params:
    """Each area's observed centre and width, less the mean binomial noise of its tables."""
    ng = len(obs.centre_t)
    cnt = np.maximum(np.bincount(d.group, minlength=ng), 1)
    out = []
    for x, size, centre, width in (
        (d.cast / d.electors, d.electors, obs.centre_t, obs.width_t),
        (d.winner / d.valid, d.valid, obs.centre_s, obs.width_s),
    ):
        binom = np.bincount(d.group, weights=x * (1 - x) / size, minlength=ng) / cnt
        out += [centre.copy(), np.maximum(np.sqrt(np.maximum(width**2 - binom, (0.25 * width) ** 2)), 1e-4)]
    return _Params(*out)


def _match(d_rep: _Data, obs: _AreaStats, start: _Params, f_i: float, f_e: float, iterations: int, seed: int) -> _Params:
    """The clean model that, with fraud (f_i, f_e) added, reproduces each area's observed quartiles.

    Fraud moves tables up, so it drags an area's median and widens its spread: the clean centre and
    spread cannot be read off the data without knowing how much fraud there is (reading them as if
    there were none made f_i read 0.42 for an injected 0.3: :func:`_fractions`). This
    solves for them by simulation (indirect inference): simulate the area with the candidate fraud,
    compare its quartiles with the observed ones, shift the centre by the difference of medians and
    the variance by the difference of squared widths, repeat. ``d_rep`` holds the tables replicated
    a few times (less simulation noise on small areas); the same random numbers every round keep
    the iteration smooth.
    """
    ng = len(obs.centre_t)
    n = len(d_rep.electors)
    p = start
    for _ in range(iterations):
        rng = np.random.default_rng(seed)
        cast, valid, win = _simulate_clean(rng, d_rep, p.model(d_rep), smooth=True)
        u = rng.random(n)
        x_inc, x_ext = _fraud_sizes(rng, n)
        x = np.where(u < f_i, x_inc, np.where(u < f_i + f_e, x_ext, 0.0))
        sim = _area_stats(d_rep.electors, *_fraud(cast, valid, win, d_rep.electors, x), d_rep.group, ng)
        p = _Params(
            np.clip(p.mu_t + obs.centre_t - sim.centre_t, -0.5, 1.5),
            np.sqrt(np.maximum(p.sd_t**2 + obs.width_t**2 - sim.width_t**2, (0.5 * p.sd_t) ** 2 + 1e-8)),
            np.clip(p.mu_s + obs.centre_s - sim.centre_s, -0.5, 1.5),
            np.sqrt(np.maximum(p.sd_s**2 + obs.width_s**2 - sim.width_s**2, (0.5 * p.sd_s) ** 2 + 1e-8)),
        )
    return p


def _replicate(d: _Data, reps: int) -> _Data:
    """The tables repeated ``reps`` times (same areas), for lower-noise simulations of small elections."""
    if reps == 1:
        return d
    return _Data(
        np.tile(d.electors, reps),
        np.tile(d.cast, reps),
        np.tile(d.winner, reps),
        np.tile(d.valid, reps),
        np.tile(d.group, reps),
        (),
    )


MATCH_TABLES = 200_000
"""The matching of the clean model simulates at least this many tables (small elections replicated),
so that an area's simulated quartiles are not noisier than its observed ones."""

MATCH_ROUNDS = 2
"""How many times the clean model is matched to the fractions read on the previous one (a fixed-point
iteration: matched once, at the fractions the unmatched model gives, it overcorrected)."""

FI_STEP = 0.05
"""Step of the grid of incremental-fraud fractions the tilt is read on."""

DECLINE_NOISES = 3.0
"""The model's tilt is said to fall past its peak only when the top of the grid is below the peak by more
than this many of the grid's simulation noise (:func:`declines_past_peak`). Why: on Bolivia by
department the simulated tilt at f_i 0.80, 0.85 and 0.90 was 0.16525, 0.16442, 0.16444, a drop of
0.0008 against a noise of 0.0005, and the words said more stuffed tables tilt it less."""

FE_COLUMNS_APART = 0.002
"""Below this width of the f_e interval the tilt grid is simulated at the f_e read alone; above it, at
both ends of the interval, and each bootstrap draw's grid is interpolated between them."""


def _f_grid(fi_max: float) -> np.ndarray:
    """The fractions f_i the tilt is simulated at, 0 to ``fi_max`` by :data:`FI_STEP`, rounded to the
    step's decimals: ``np.arange`` gave 0.7000000000000001, which the JSON printed as it was."""
    return np.round(np.arange(0.0, fi_max + 1e-9, FI_STEP), 6)


def declines_past_peak(grid: np.ndarray) -> bool:
    """Whether the model's tilt over the grid of f_i falls past its peak by more than the grid's noise.

    The noise of one grid point is read from the grid itself: the median absolute second difference
    (of independent noise of spread σ, a second difference has spread σ·√6; the median of its absolute
    value is 0.6745 of that), an overestimate where the grid curves, so a decline is claimed the less.
    On Bolivia (12 grids, by department and province, seeds 0-5) it is 0.0003 to 0.0012."""
    g = np.asarray(grid, dtype=np.float64)
    if len(g) < 3:
        return False
    noise = float(np.median(np.abs(np.diff(g, 2)))) / (0.6745 * np.sqrt(6))
    return float(g.max() - g[-1]) > DECLINE_NOISES * noise


@dataclass(frozen=True)
class _Fractions:
    """Klimek's two fractions as the tilt and the far corner give them, with bootstrap intervals.

    ``f_i`` is None when the tilt is more than the model's incremental fraud gives at any fraction
    (``beyond``); an end of its interval is None where the bootstrap draws there are beyond it too
    (the top end: ``censored``, the interval reaches the model's limit)."""

    f_i: float | None
    f_i_interval: tuple[float | None, float | None]
    censored: bool
    ceiling: float
    ceiling_f_i: float
    f_e: float
    f_e_interval: tuple[float, float]
    clean_corner: float
    grid_f: np.ndarray
    grid: np.ndarray
    model: _CleanModel

    @property
    def beyond(self) -> bool:
        return self.f_i is None


def _fractions(d: _Data, tilts: np.ndarray, corners: np.ndarray, *, fi_max: float, seed: int, model: _CleanModel) -> _Fractions:
    """f_e and f_i read off the observed tilt and far corner (first entry) and their bootstrap draws.

    Read again on a matched clean model, because the clean model read straight off the data
    (``model``) holds the fraud: stuffed tables drag each area's median up and widen its spread, and a
    wider clean spread makes the same fraud tilt the simulated election less, so f_i read on it came
    out high (0.42 for an injected 0.3). So the clean model is solved that, with the fractions read,
    reproduces every area's observed quartiles (:func:`_match`, indirect inference: Klimek et al.
    fit the clean parameters together with the fraud), and the fractions are read again on it,
    ``MATCH_ROUNDS`` times. An election whose first reading tells neither fraction from 0 keeps that
    model (on the clean synthetic elections of the recovery tests the top of f_i's interval moved by
    0.002 at most against the matched model's, at a third of the cost).
    """
    read = _read_fractions(d, model, tilts, corners, fi_max=fi_max, seed=seed)
    if read.f_i_interval[0] == 0.0 and read.f_e_interval[0] == 0.0:
        # Neither fraction is told from 0, so the no-fraud model read off the data fits it as well as
        # any: kept (matching it costs twice a clean election's test, and calibration runs hundreds).
        return read
    ng = int(d.group.max()) + 1
    obs = _area_stats(d.electors, d.cast, d.valid, d.winner, d.group, ng)
    d_rep = _replicate(d, max(1, -(-MATCH_TABLES // len(d.electors))))
    params = _start_params(d, obs)
    for _ in range(MATCH_ROUNDS):
        f_i = read.ceiling_f_i if read.f_i is None else read.f_i
        params = _match(d_rep, obs, params, f_i, read.f_e, 5, seed + 1)
        read = _read_fractions(d, params.model(d), tilts, corners, fi_max=fi_max, seed=seed)
    return read


def _read_fractions(d: _Data, m: _CleanModel, tilts: np.ndarray, corners: np.ndarray, *, fi_max: float, seed: int) -> _Fractions:
    """One reading of (f_e, f_i) on the clean model ``m``, for the observed values and every draw.

    f_e first, from the far corner: an observed share c of tables at 95 % turnout and share or more
    is (1 - f_i - f_e)·c0 + f_i·ci + f_e·ce, with c0, ci and ce the shares of the clean election's
    tables that land there clean, with incremental and with extreme fraud. Then f_i, from the tilt
    that incremental fraud in f_i of the tables gives *with that extreme fraud added* (extreme-fraud
    tables tilt an election too: read on incremental fraud alone, f_e = 0.05 and no incremental
    fraud gave f_i = 0.22). f_e is read again with that f_i (incremental tables reach the corner
    too, rarely). Common random numbers: one clean draw, one uniform and one fraud size per table
    for every grid point, so the grid is smooth in both fractions.
    """
    from escrutinio.forensics import tilt as tl

    rng = np.random.default_rng(seed + 1)
    n = len(d.electors)
    cast, valid, win = _simulate_clean(rng, d, m, smooth=True)
    u = rng.random(n)
    x_inc, x_ext = _fraud_sizes(rng, n)

    def corner_share(c: np.ndarray, v: np.ndarray, w: np.ndarray) -> float:
        s = np.where(v > 0, w / np.maximum(v, 1), 0.0)
        return float(np.mean((c / d.electors >= tl.CORNER) & (s >= tl.CORNER)))

    c0 = corner_share(cast, valid, win)
    ci = corner_share(*_fraud(cast, valid, win, d.electors, x_inc))
    ce = corner_share(*_fraud(cast, valid, win, d.electors, x_ext))

    def f_e_of(f_i: np.ndarray) -> np.ndarray:
        return np.clip((corners - c0 - f_i * (ci - c0)) / max(ce - c0, 1e-9), 0.0, 1.0 - f_i)

    def tilt_at(f_i: float, f_e: float) -> float:
        x = np.where(u < f_i, x_inc, np.where(u < f_i + f_e, x_ext, 0.0))
        c2, v2, w2 = _fraud(cast, valid, win, d.electors, x)
        return tl.tilt_of(c2 / d.electors, np.where(v2 > 0, w2 / np.maximum(v2, 1), 0.0), d.group)

    fe = f_e_of(np.zeros(len(corners)))
    lo, hi = np.quantile(fe[1:], (0.025, 0.975)) if len(fe) > 1 else (fe[0], fe[0])
    cols = np.array([fe[0]]) if hi - lo < FE_COLUMNS_APART else np.array([lo, hi])
    # The grid stops at its first point past the tilts it must read (the observed one and all but the
    # top 1 % of the draws): a clean election stops at f_i = 0.05 instead of ranking 19 elections.
    target = max(float(tilts[0]), float(np.quantile(tilts[1:], 0.99)) if len(tilts) > 1 else -1.0)
    grid_f = _f_grid(fi_max)
    rows: list[list[float]] = []
    for f in grid_f:
        rows.append([tilt_at(float(f), float(c)) for c in cols])
        if len(rows) >= 2 and np.max(rows, axis=0).min() >= target:
            break
    grid = np.array(rows)
    grid_f = grid_f[: len(rows)]
    complete = len(rows) == len(_f_grid(fi_max))

    def grids(f_e: np.ndarray) -> np.ndarray:
        if len(cols) == 1:
            return np.broadcast_to(grid[:, 0], (len(f_e), len(grid_f)))
        w = (f_e - cols[0]) / (cols[1] - cols[0])
        return grid[:, 0][None, :] + w[:, None] * (grid[:, 1] - grid[:, 0])[None, :]

    def f_i_of(f_e: np.ndarray) -> np.ndarray:
        g = grids(f_e)
        return np.array([tl.invert(float(t), grid_f, g[b], complete=complete) for b, t in enumerate(tilts)])

    fi = f_i_of(fe)
    g0 = grids(fe[:1])[0]
    cap = float(grid_f[int(np.argmax(g0))])
    fe = f_e_of(np.where(np.isfinite(fi), fi, cap))
    fi = f_i_of(fe)
    g0 = grids(fe[:1])[0]
    peak = int(np.argmax(g0))
    f_i_iv: tuple[float | None, float | None] = (None, None)
    f_e_iv = (float(fe[0]), float(fe[0]))
    if len(fi) > 1:
        # A draw beyond the model is above every fraction: a percentile among such draws is no fraction.
        q = np.quantile(np.where(np.isfinite(fi[1:]), fi[1:], 2.0), (0.025, 0.975))
        f_i_iv = (float(q[0]) if q[0] <= fi_max else None, float(q[1]) if q[1] <= fi_max else None)
        f_e_iv = (float(np.quantile(fe[1:], 0.025)), float(np.quantile(fe[1:], 0.975)))
    point = float(fi[0]) if np.isfinite(fi[0]) else None
    if point is not None and f_i_iv[0] is None:
        # The observed tilt within the model, most draws past it: the interval has no end the model
        # gives but the point's (words and JSON need a lower end to say "from").
        f_i_iv = (point, None)
    return _Fractions(
        f_i=point,
        f_i_interval=f_i_iv if point is not None else (None, None),
        censored=point is not None and f_i_iv[1] is None and len(fi) > 1,
        ceiling=float(g0[peak]),
        ceiling_f_i=float(grid_f[peak]),
        f_e=float(fe[0]),
        f_e_interval=f_e_iv,
        clean_corner=c0,
        grid_f=grid_f,
        grid=g0,
        model=m,
    )


def _figure_data(d: _Data, m: _CleanModel, rng: np.random.Generator) -> dict:
    """Heat map (100 × 100), 1-D histograms and the cumulative winner votes by turnout."""
    fine = 100
    t = d.cast / d.electors
    s = d.winner / d.valid
    h2, _, _ = np.histogram2d(t, s, bins=fine, range=[[0, 1], [0, 1]])
    order = np.argsort(t)
    cum = np.cumsum(d.winner[order]) / max(int(d.winner.sum()), 1)
    cast, valid, win = _simulate_clean(rng, d, m)
    t0 = cast / d.electors
    o0 = np.argsort(t0)
    cum0 = np.cumsum(win[o0]) / max(int(win.sum()), 1)
    grid = np.linspace(0, 1, 101)
    return {
        "fingerprint": {
            "kind": "heatmap",
            "x_label": "turnout",
            "y_label": "winner share of valid votes",
            "edges": np.linspace(0, 1, fine + 1).tolist(),
            "counts": h2.astype(int).tolist(),
        },
        "turnout_histogram": {
            "kind": "histogram",
            "x_label": "turnout",
            "edges": np.linspace(0, 1, fine + 1).tolist(),
            "counts": np.histogram(t, bins=fine, range=(0, 1))[0].tolist(),
            "model_counts": np.histogram(t0, bins=fine, range=(0, 1))[0].tolist(),
        },
        "share_histogram": {
            "kind": "histogram",
            "x_label": "winner share of valid votes",
            "edges": np.linspace(0, 1, fine + 1).tolist(),
            "counts": np.histogram(s, bins=fine, range=(0, 1))[0].tolist(),
            "model_counts": np.histogram(np.where(valid > 0, win / np.maximum(valid, 1), 0), bins=fine, range=(0, 1))[0].tolist(),
        },
        "cumulative_by_turnout": {
            "kind": "curve",
            "x_label": "turnout",
            "y_label": "share of the winner's votes from tables at or below this turnout",
            "x": grid.tolist(),
            "observed": np.interp(grid, t[order], cum, left=0.0, right=1.0).tolist(),
            "clean_model": np.interp(grid, t0[o0], cum0, left=0.0, right=1.0).tolist(),
        },
    }


def test(
    frame: pl.DataFrame,
    *,
    winner: str,
    by: str = tf.DEPARTMENT,
    seed: int = 0,
    level_label: str | None = None,
    draws: int = 999,
    fi_max: float = 0.9,
    min_electors: int = 20,
    min_group: int = 20,
    cluster: str | None = None,
    level_names: Mapping[str, str] | None = None,
    choice_names: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> ForensicResult:
    """The fingerprint: decided on its tilt (:mod:`tilt`), fraud fractions read from the same tilt.

    ``by`` is the level the clean model is centred on (the top level by default: a region, whose
    territorial commissions are where stuffing would act; their differences stay visible). Tables
    are ranked within their area; the bootstrap resamples the clusters of :func:`cluster_level`
    (``cluster`` names another level, for calibration runs that compare choices). ``level_names``
    maps a frame level to the election's own name for it, ``choice_names`` a choice id to the
    election's name for it (wording only: :func:`_reading`).
    """
    from escrutinio.forensics import tilt as tl

    name = "fingerprint.klimek"
    f = fr.counted(frame)
    if not fr.has_electors(f):
        return not_applicable(name, "the frame has no registered electors, so turnout is undefined.", level=by)
    if f.height < 100:
        return not_applicable(name, "fewer than 100 counted tables: too few for a 2-D histogram.", level=by)
    level = by if by in fr.LEVELS else tf.DISTRICT
    kept = _kept(f, winner, min_electors)
    d = _prepare(frame, winner, level, min_electors, min_group)
    t, s = d.cast / d.electors, d.winner / d.valid
    clevel = cluster or cluster_level(kept, level)
    cluster = np.arange(kept.height) if clevel == "table" else fr.level_keys(kept, clevel)
    observed, boot, null, corner_boot, corner = tl.measure(t, s, d.group, cluster, draws=draws, seed=seed)
    p = float((1 + np.sum(null >= observed)) / (1 + draws))
    lo, hi = (float(x) for x in np.quantile(boot, (0.025, 0.975)))
    # The fractions: f_e from the far corner, then f_i from the tilt that incremental fraud gives with
    # that extreme fraud added, each bootstrap draw carrying both (:func:`_fractions`).
    m0 = _fit_clean_symmetric(d)
    fx = _fractions(d, np.r_[observed, boot], np.r_[corner[0], corner_boot], fi_max=fi_max, seed=seed, model=m0)
    rng = np.random.default_rng(seed + 1)
    flagged = p < alpha  # the run's level: the words follow the verdict (they said flagged at --alpha 0.2's p = 0.1)
    names = dict(level_names or {})
    where = level_word(level_label or names.get(level, level))
    unit = "table" if clevel == "table" else level_word(names.get(clevel, clevel))
    units = "tables" if clevel == "table" else fr.plural(unit)
    said = _Reading(
        level=level, where=where, n_tables=int(d.electors.size), n_counted=f.height, min_electors=min_electors,
        who=choice_word(winner, choice_names), tilt=observed, tilt_interval=(lo, hi), units=units, p=p, draws=draws,
        flagged=flagged, f_i=fx.f_i, f_i_interval=fx.f_i_interval, censored=fx.censored, ceiling=fx.ceiling,
        ceiling_f_i=fx.ceiling_f_i, corner=float(corner[0]), clean_corner=fx.clean_corner, f_e=fx.f_e,
        f_e_interval=fx.f_e_interval, peak_at_top=not declines_past_peak(fx.grid), top_f_i=float(fx.grid_f[-1]),
    )  # fmt: skip
    reading = _reading(said)
    clean_where = "the nation's" if level == "national" else f"each {where}'s"
    return ForensicResult(
        test=name,
        statistic=observed,
        statistic_name="within_area_rank_correlation",
        p_value=p,
        interval=(lo, hi),
        reading=reading,
        caveats=(
            "A tilt is what stuffing leaves; so does a mobilisation that raises turnout and one side's share "
            "together (a popular local candidate, a company town).",
            f"f_i and f_e are read through Klimek et al.'s fraud model (incremental x ~ |N(0, "
            f"{KLIMEK_SIGMA_INCREMENTAL})|) on a clean model with {clean_where} observed centre and spread of "
            "turnout and share (once either fraction is told from 0: the centre and spread that, with the fraud "
            "read added, give them).",
        ),
        estimates={
            "tilt": observed,
            "tilt_interval": [lo, hi],
            "f_incremental": fx.f_i,
            "f_incremental_beyond_model": fx.beyond,
            "interval_incremental": list(fx.f_i_interval),
            "interval_incremental_censored": fx.censored,
            "model_max_tilt": fx.ceiling,
            "model_max_tilt_f_incremental": fx.ceiling_f_i,
            "f_extreme": fx.f_e,
            "interval_extreme": list(fx.f_e_interval),
            "corner_share": float(corner[0]),
            "clean_corner_share": fx.clean_corner,
            "n_tables": int(d.electors.size),
            "n_counted": f.height,
            "n_areas": int(d.group.max()) + 1,
            "cluster_level": names.get(clevel, clevel),  # the election's name, as the null's wording gives it
            "n_clusters": len(np.unique(cluster)),
            "tilt_by_f_incremental": {f"{x:.2f}": float(y) for x, y in zip(fx.grid_f, fx.grid, strict=True)},
        },
        null=f"wild cluster bootstrap of the tilt: each {unit}'s contribution with a random sign",
        draws=draws,
        level=level,
        figures=_figure_data(d, fx.model, rng),
    )


@dataclass(frozen=True)
class _Reading:
    """What the fingerprint's sentence says: the figures of one result, before they are worded.

    ``f_i`` None: no fraction of incremental fraud gives the tilt; an end of ``f_i_interval`` None:
    none gives the tilt there; ``censored``: the interval's top reaches the model's limit."""

    level: str
    where: str
    n_tables: int
    n_counted: int
    min_electors: int
    who: str
    tilt: float
    tilt_interval: tuple[float, float]
    units: str
    p: float
    draws: int
    flagged: bool
    f_i: float | None
    f_i_interval: tuple[float | None, float | None]
    censored: bool
    ceiling: float
    ceiling_f_i: float
    corner: float
    clean_corner: float
    f_e: float
    f_e_interval: tuple[float, float]
    peak_at_top: bool = False
    """No decline past the model's peak was seen beyond the grid's noise (:func:`declines_past_peak`)."""
    top_f_i: float | None = None
    """The top of the range of f_i fitted (None: the peak's own)."""


def _reading(r: _Reading) -> str:
    """The fingerprint's reading: what was ranked and where, the tilt, and what Klimek et al.'s model
    makes of it, in words that agree with the decision.

    Flagged, both fractions are read as the model reads them ("incremental fraud fraction estimated at
    0.36 (95 % interval 0.28–0.47)"), as if all of the tilt and of the far corner's excess were fraud,
    with what else gives them. Not flagged, no fraction of fraud is estimated (Bolivia by department
    read "f_i is estimated at 0.50" on a tilt within chance): the words give only how much incremental
    fraud the interval cannot rule out, and the far corner as an observation. A tilt past the most the
    model's incremental fraud gives at any fraction has no f_i at all (a larger fraction tilts less,
    so "at least 0.80" was no bound), and an interval whose top is past it reaches the model's limit.

    Why the tables are counted as "N of the M counted tables": the test keeps the counted tables with
    at least ``min_electors`` electors, some valid votes and no more ballots than electors, so "all
    86,234 tables" of an election with 86,249 counted (and 86,488 in all) said more than it did.
    """
    kept = f"{r.n_tables:,} counted tables"
    if r.n_tables < r.n_counted:
        kept = (
            f"{r.n_tables:,} of the {r.n_counted:,} counted tables (those with at least {r.min_electors} electors, "
            "some valid votes and no more ballots cast than electors)"
        )
    scope = f"Across the nation as one area, {kept}" if r.level == "national" else f"Within each {r.where}, {kept}"
    lo, hi = r.tilt_interval
    i_lo, i_hi = r.f_i_interval
    top = r.ceiling_f_i if r.top_f_i is None else r.top_f_i
    limit = (
        f"its incremental fraud tilts an election at most {r.ceiling:+.3f}, with {r.ceiling_f_i:.2f} of the tables "
        "stuffed, the most the range fitted stuffs"
        if r.peak_at_top and r.ceiling_f_i >= top - 1e-9
        else f"its incremental fraud tilts an election at most {r.ceiling:+.3f} (in {r.ceiling_f_i:.2f} of the tables), "
        f"and about as much up to {top:.2f}, the most the range fitted stuffs (the differences are within the "
        "simulation's noise)"
        if r.peak_at_top
        else f"its incremental fraud tilts an election at most {r.ceiling:+.3f} (in {r.ceiling_f_i:.2f} of the tables), "
        "and more stuffed tables than that tilt it less, not more"
    )
    other = (
        "fraud larger per table than the model's, whole areas stuffed to different degrees, or a mobilisation or "
        "gradient that raises turnout and share together"
    )
    e_lo, e_hi = r.f_e_interval
    corner = (
        f"{100 * r.corner:.2f} % of the tables report both a turnout and a share of 95 % or more, "
        f"{_against_clean(r.corner, r.clean_corner)}"
    )
    unanimous = (
        "communities that turn out and vote almost as one (as many small rural ones do) give such tables without any fraud"
    )
    if r.flagged:
        # Never "the tilt corresponds to fraud in 52 % of the tables": a turnout-share gradient inside
        # the areas (rural tables turning out more and leaning to one side, Bolivia by municipality)
        # gives the same tilt, so the fraction is what the model would need, not what was found.
        area = "area" if r.level == "national" else r.where
        if r.f_i is None:
            incremental = (
                f"no fraction of incremental fraud (f_i) gives this tilt, so none is estimated and none is a bound: "
                f"{limit}. Something else tilts it as well: {other}"
            )
        elif r.censored:
            incremental = (
                f"the incremental fraud fraction (f_i) is estimated at {r.f_i:.2f} (95 % interval from {i_lo:.2f}, "
                f"reaching the model's limit: {limit}, and the top of the tilt's interval is beyond that, so the "
                "interval has no upper end)"
            )
        else:
            incremental = (
                f"the incremental fraud fraction (f_i) is estimated at {r.f_i:.2f} (95 % interval {i_lo:.2f}–{i_hi:.2f})"
            )
        verdict = (
            f"Tables with a higher turnout give {r.who} a higher share more than independent turnout and share "
            "produce: the direction ballot stuffing moves a table, and also the direction of a local mobilisation "
            f"for one side, or of a gradient inside each {area} (tables that turn out more also leaning more to one "
            f"side, as rural tables often do). Read through Klimek et al.'s model, as if all of the tilt were "
            f"fraud, {incremental}"
        )
        extreme = (
            f"{corner}: read through the same model as if all of that excess were extreme fraud (nearly every "
            f"non-voter and opposing vote written for {r.who}), the extreme fraud fraction (f_e) is estimated at "
            f"{r.f_e:.3f} (95 % interval {e_lo:.3f}–{e_hi:.3f}); {unanimous}."
        )
    else:
        # Not flagged is not a clean bill of health: at a coarse level (Bolivia by department: 10
        # areas, no power on simulated stuffing in docs/forensics-calibration.md) the same tilt
        # is "not flagged" whatever happened. The interval says how much it can rule out, so the
        # wording gives its upper end, and estimates no fraction of fraud.
        if r.f_i is None or r.censored:
            ceiling = (
                f"the top of the tilt's interval is beyond what the model gives ({limit}), so the interval reaches "
                "the model's limit and rules out no fraction of stuffed tables"
            )
        else:
            ceiling = (
                f"the tilts in its interval are what incremental fraud in {i_lo:.2f} to {i_hi:.2f} of the tables "
                f"gives, so it cannot rule out incremental fraud in up to {i_hi:.2f} of the tables"
            )
        verdict = (
            "That is not more than independent turnout and share give by chance at this level; not flagged is not "
            "evidence that there was no stuffing. Read through Klimek et al.'s model, incremental fraud is not "
            f"distinguishable from 0, so no fraction of it is estimated: {ceiling}"
        )
        extreme = (
            f"{corner}; the test does not weigh that against chance, and {unanimous}, as extreme fraud would, so "
            "no fraction of extreme fraud is read from it."
        )
    return (
        f"{scope} were ranked on turnout and on the share of valid votes for {r.who}: the two rankings agree with "
        f"a rank correlation of {r.tilt:+.3f} (95 % bootstrap interval {lo:+.3f} to {hi:+.3f}, resampling "
        f"{r.units}; {fr.fmt_p(r.p)} from {r.draws:,} draws). {verdict}. {extreme}"
    )


def _against_clean(corner: float, clean: float) -> str:
    """The far corner's share against the clean model's, in the direction it lies and at a precision
    that shows it: below the model it read "0.00 points more" (0.009 % against 0.022 %)."""
    diff = 100 * (corner - clean)
    if abs(diff) < 0.0005:
        return f"as many as the clean model gives ({100 * clean:.3f} %)"
    word = "more" if diff > 0 else "fewer"
    digits = 2 if abs(diff) >= 0.1 else 3
    return f"{abs(diff):.{digits}f} points {word} than the clean model gives ({100 * clean:.3f} %)"


def cluster_level(kept: pl.DataFrame, level: str) -> str:
    """The level whose areas the fingerprint's null resamples when it is centred on ``level``.

    Why not the level just below the centring level (what :func:`tilt.cluster_level` gives): tables
    of one district, districts of one province share their voters' habits, so the within-area tilt
    of an honest election is correlated across the units below the centring level; resampling them
    as if independent cried wolf on Peru's runoff by province (p = 0.026 resampling districts; 0.43
    resampling departments) and let the tilt of every finer level rest on single tables. So the
    clusters are the areas of the level above the centring level, and never finer than the paper's
    unit (the level below the top: provinces, territorial commissions), where the dependence is
    carried; centred on the top level, they are that unit. Calibrated on clean elections shaped
    like each real one at every level they offer (``benchmarks/forensics_calibration.py --by all``).
    """
    from escrutinio.forensics import tilt as tl

    paper = tl.cluster_level(kept, tf.DEPARTMENT)
    if level in (tf.DEPARTMENT, "national") or paper == "table":
        return paper
    areas = len(np.unique(fr.level_keys(kept, level)))
    parent = next(
        (
            up
            for up in fr.LEVELS[fr.LEVELS.index(level) + 1 : -1]
            if up in kept.columns and len(np.unique(fr.level_keys(kept, up))) < areas
        ),
        tf.DEPARTMENT,
    )
    return max(parent, paper, key=fr.LEVELS.index)


def _kept(f: pl.DataFrame, winner: str, min_electors: int) -> pl.DataFrame:
    """The counted tables the fingerprint reads (electors known, some valid votes, turnout at most 1)."""
    electors, cast, valid = fr.as_int(f, tf.ELECTORS), fr.as_int(f, tf.CAST), fr.as_int(f, tf.VALID)
    return fr.subset(f, (electors >= min_electors) & (valid > 0) & (cast <= electors))
