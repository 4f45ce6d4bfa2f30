"""The turnout × winner-share "election fingerprint" (Klimek, Yegorov, Hanel & Thurner, PNAS 2012).

Ballot stuffing moves a table up in turnout and in the winner's share at once, so fraud smears the
2-D histogram of tables (turnout on one axis, the winner's share of valid votes on the other) towards
the top-right corner; extreme fraud piles tables at 100 % / 100 %. Klimek et al. fit a model with two
parameters: the fraction f_i of tables with *incremental* fraud (a fraction x ~ |N(0, σ)| of the
non-voters' ballots and of the opponents' votes go to the winner) and the fraction f_e with *extreme*
fraud (x ≈ 1). See :mod:`simulate` for the exact fraud mechanism (it is shared with the injector).

How geography is conditioned on (Puno gave Castillo 89 %: regional voting is not fraud): the fit is
one pooled fit for the whole election, but the **clean model is per area** — each table's clean
turnout and winner share are drawn around the centre of its own area at the ``by`` level
(**district** by default; an area with fewer than 20 tables falls back to its province, then
department) with that area's own spread, then binomially from its own electors.

Two steps, because fraud biases what the clean model is read from:

- **The test of f = 0** reads the clean model straight off the data (each area's median and MAD,
  less binomial noise), fits (f_i, f_e) on a grid by least squares between the simulated and the
  observed raw fingerprint (40 × 40 bins on [0, 1]²), and takes the improvement over f = 0 as the
  statistic; its null is parametric (clean elections from that model, refitted). That fit recovers
  f_e (extreme fraud piles tables in the far corner whatever the clean centres) but not f_i: fraud
  drags every area's median up and widens its spread, so the no-fraud model absorbs most of the
  incremental fraud (f_i = 0.3 was read as 0.1–0.2).
- **The estimate of f_i** does what the paper does — fits the clean model's parameters together
  with the fraud fractions — with the per-area parameters profiled out: for each candidate f_i the
  clean centres and spreads are solved by simulation so that, with that fraud added, every area's
  observed quartiles are reproduced (indirect inference, :func:`_match`); the candidate's loss is
  the distance between the observed and simulated fingerprints in each area's own coordinates
  (:func:`_residual_binner`: the raw bins are coarser than an area's spread and blur the shape
  fraud gives it). The estimate is the vertex of a parabola through the best candidates; the
  interval re-runs that choice on multinomial resamples of the observed histogram (it leaves out
  the noise of the simulations and of the matched areas).

On synthetic elections of 20,000 tables this recovers f_i ∈ {0, 0.1, 0.2, 0.3} and f_e ∈ {0, 0.02,
0.05} within 0.05 (``tests/unit/forensics/test_forensics_calibration.py``). Common random numbers
(one clean draw, one uniform and one fraud size per table, the same for every candidate) make every
grid point a cheap sum of pre-computed cumulative histograms and the profile smooth in f_i.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics import nulls
from escrutinio.forensics.results import ForensicResult, choice_word, level_word, not_applicable
from escrutinio.forensics.simulate import KLIMEK_SIGMA_EXTREME, KLIMEK_SIGMA_INCREMENTAL

STEP = 0.005
"""Resolution of the fraud-fraction grid (cumulative histograms are cut every STEP of the uniform)."""


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
    changed model reshuffles all later draws, and the profile fit (which compares candidates that
    differ slightly) would compare noise with noise.
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


def _bins(electors: np.ndarray, cast: np.ndarray, valid: np.ndarray, win: np.ndarray, nb: int) -> np.ndarray:
    t = cast / np.maximum(electors, 1)
    s = np.where(valid > 0, win / np.maximum(valid, 1), 0.0)
    bt = np.minimum((t * nb).astype(np.int64), nb - 1)
    bs = np.minimum((s * nb).astype(np.int64), nb - 1)
    return bt * nb + bs


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


Binner = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(cast, valid, winner votes) of every table -> its bin in a 2-D histogram."""


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


def _raw_binner(d: _Data, nb: int) -> Binner:
    """The paper's fingerprint: turnout × winner share on [0, 1]², nb × nb bins."""
    return lambda cast, valid, win: _bins(d.electors, cast, valid, win, nb)


_RES_LO, _RES_HI = -4.0, 8.0
"""Range of the area-standardised residuals binned by :func:`_residual_binner` (fraud only moves up)."""


def _residual_binner(d: _Data, ref: _AreaStats, nb: int) -> Binner:
    """The fingerprint in each area's own coordinates: (x - area centre) / area width, on [-4, 8]².

    Within an area turnout and share spread by a few points, much less than a bin of the raw
    histogram, so the raw fingerprint pooled over areas blurs the shape incremental fraud gives each
    area (a tail up and to the right). Standardising by fixed references read once off the observed
    data keeps that shape; observed and simulated tables go through the same map, so the comparison
    stays fair whatever the references are.
    """
    ct, wt, cs, ws = ref.centre_t[d.group], ref.width_t[d.group], ref.centre_s[d.group], ref.width_s[d.group]
    wt, ws = np.maximum(wt, 1e-3), np.maximum(ws, 1e-3)
    scale = nb / (_RES_HI - _RES_LO)

    def binner(cast: np.ndarray, valid: np.ndarray, win: np.ndarray) -> np.ndarray:
        t = cast / d.electors
        s = np.where(valid > 0, win / np.maximum(valid, 1), 0.0)
        bt = np.clip(((t - ct) / wt - _RES_LO) * scale, 0, nb - 1).astype(np.int64)
        bs = np.clip(((s - cs) / ws - _RES_LO) * scale, 0, nb - 1).astype(np.int64)
        return bt * nb + bs

    return binner


def _grid(
    rng: np.random.Generator,
    d: _Data,
    m: _CleanModel,
    k_i: np.ndarray,
    k_e: np.ndarray,
    binner: Binner,
    nbins: int,
    replicates: int,
    smooth: bool = False,
) -> np.ndarray:
    """Simulated normalised histograms for every (f_i, f_e) on the grid, shape (len(k_i), len(k_e), nbins).

    Common random numbers: one clean draw, one uniform and one fraud size per table; a table is in
    incremental fraud when u < f_i and in extreme fraud when f_i <= u < f_i + f_e, so the histogram at
    any grid point is a difference of cumulative histograms over the u-segments.
    """
    n = len(d.electors)
    kmax = int(k_i.max() + k_e.max())
    sim = np.zeros((len(k_i), len(k_e), nbins))
    ki = np.broadcast_to(k_i[:, None], (len(k_i), len(k_e)))
    ke = np.broadcast_to(k_e[None, :], (len(k_i), len(k_e)))
    for _ in range(replicates):
        cast, valid, win = _simulate_clean(rng, d, m, smooth=smooth)
        seg = np.minimum((rng.random(n) / STEP).astype(np.int64), kmax)
        x_inc, x_ext = _fraud_sizes(rng, n)
        cums = []
        for b in (
            binner(cast, valid, win),
            binner(*_fraud(cast, valid, win, d.electors, x_inc)),
            binner(*_fraud(cast, valid, win, d.electors, x_ext)),
        ):
            h = np.bincount(seg * nbins + b, minlength=(kmax + 1) * nbins).reshape(kmax + 1, nbins)
            c = np.zeros((kmax + 2, nbins))
            c[1:] = np.cumsum(h, axis=0)  # c[k] = histogram of tables with seg < k
            cums.append(c)
        c_clean, c_inc, c_ext = cums
        sim += c_clean[-1] - c_clean[ki + ke] + c_inc[ki] + c_ext[ki + ke] - c_ext[ki]
    return sim / (replicates * n)


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
    there were none made the fit absorb most of the incremental fraud into the clean model). This
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


def _vertex(xs: np.ndarray, ys: np.ndarray) -> float:
    """Minimum of the parabola through the lowest point of (xs, ys) and its two neighbours (xs sorted)."""
    j = int(np.argmin(ys))
    if len(xs) < 3:
        return float(xs[j])
    k = min(max(j, 1), len(xs) - 2)
    x0, x1, x2 = xs[k - 1 : k + 2]
    y0, y1, y2 = ys[k - 1 : k + 2]
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
    if a <= 0:
        return float(xs[j])
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
    lo, hi = xs[max(j - 1, 0)], xs[min(j + 1, len(xs) - 1)]
    return float(np.clip(-b / (2 * a), lo, hi))


@dataclass(frozen=True)
class FingerprintFit:
    """The fitted fractions, their bootstrap interval and the p-value of f > 0."""

    f_incremental: float
    f_extreme: float
    interval_incremental: tuple[float, float]
    interval_extreme: tuple[float, float]
    p_value: float
    improvement: float
    n_tables: int


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


def fit(
    frame: pl.DataFrame,
    *,
    winner: str,
    by: str = tf.DISTRICT,
    nb: int = 40,
    fi_max: float = 0.6,
    fe_max: float = 0.2,
    replicates: int = 1,
    bootstrap: int = 200,
    null_replicates: int = 49,
    min_electors: int = 20,
    min_group: int = 20,
    estimate: bool = True,
    profile_step: float = 0.05,
    match_tables: int = 200_000,
    seed: int = 0,
) -> tuple[FingerprintFit, dict]:
    """Fit (f_i, f_e) by simulation; returns the fit and the figure data.

    Two parts. The **test of f = 0** (the p-value) compares the raw fingerprint with clean elections
    from each area's median and MAD (no fraud assumed) and with the best fraud fit on that model; its
    null is parametric (clean elections from the same model, refitted). The **estimate** profiles f_i:
    for each candidate f_i (every ``profile_step``, stopping once the loss has risen twice, then
    halfway points around the best) the clean model is solved so that, with that fraud added, every
    area's quartiles match the observed ones (:func:`_match`); the loss of that candidate is the
    distance between the observed and simulated area-standardised fingerprints at the best f_e. The
    estimate is the vertex of a parabola through the best candidates; the intervals re-run that
    choice on multinomial resamples of the observed histogram. ``estimate=False`` skips the profile
    (calibration runs that only read the p-value) and reports the test's own fit instead.
    ``match_tables``: the matching simulates at least this many tables (small elections are
    replicated) so that an area's simulated quartiles are not noisier than its observed ones.
    """
    rng = np.random.default_rng(seed)
    d = _prepare(frame, winner, by, min_electors, min_group)
    n = len(d.electors)
    nbins = nb * nb
    k_i = np.arange(0, round(fi_max / STEP) + 1, 2)  # f_i every 0.01
    k_e = np.arange(0, round(fe_max / STEP) + 1)  # f_e every 0.005
    raw = _raw_binner(d, nb)
    obs = np.bincount(raw(d.cast, d.valid, d.winner), minlength=nbins) / n
    # The test of f = 0, on the clean model read straight off the data (binomials by their normal
    # approximation: several times faster than numpy's exact sampler, same false-alarm rate in calibration).
    m0 = _fit_clean_symmetric(d)
    sim0 = _grid(rng, d, m0, k_i, k_e, raw, nbins, replicates, smooth=True)
    s_flat0 = sim0.reshape(-1, nbins)
    s_norm0 = (s_flat0**2).sum(axis=1)

    def improvement(o: np.ndarray) -> np.ndarray:
        loss = s_norm0[:, None] - 2 * s_flat0 @ o
        return loss[0] - loss.min(axis=0)

    imp = improvement(obs[:, None])
    nulls = np.empty((nbins, null_replicates))
    for r in range(null_replicates):
        nulls[:, r] = np.bincount(raw(*_simulate_clean(rng, d, m0, smooth=True)), minlength=nbins) / n
    imp_null = improvement(nulls)
    p = float((1 + np.sum(imp_null >= imp[0] - 1e-15)) / (1 + null_replicates))
    # The fit on that model: f_e is well identified there (extreme fraud piles tables in the far
    # corner, whatever the clean centres), f_i is not (the no-fraud model has absorbed part of it).
    boots = rng.multinomial(n, obs, size=bootstrap).T / n
    loss = s_norm0[:, None] - 2 * s_flat0 @ np.column_stack([obs, boots])
    gi, ge = np.unravel_index(loss.argmin(axis=0), (len(k_i), len(k_e)))
    fi_all, fe_all = k_i[gi] * STEP, k_e[ge] * STEP
    f_i, f_e = float(fi_all[0]), float(fe_all[0])
    model = m0
    if estimate:
        f_i, fi_all, model = _profile(d, rng, nb, f_e, fi_max, profile_step, bootstrap, match_tables, replicates, seed)
    result = FingerprintFit(
        f_incremental=f_i,
        f_extreme=f_e,
        interval_incremental=_interval(fi_all[1:], f_i),
        interval_extreme=_interval(fe_all[1:], f_e),
        p_value=p,
        improvement=float(imp[0]),
        n_tables=n,
    )
    return result, _figure_data(d, model, rng)


def _interval(draws: np.ndarray, point: float) -> tuple[float, float]:
    """The 95 % percentile interval of bootstrap draws (the point itself without draws)."""
    if len(draws) == 0:
        return (point, point)
    return (float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975)))


def _profile(
    d: _Data,
    rng: np.random.Generator,
    nb: int,
    f_e: float,
    fi_max: float,
    step: float,
    bootstrap: int,
    match_tables: int,
    replicates: int,
    seed: int,
) -> tuple[float, np.ndarray, _CleanModel]:
    """The profile estimate of f_i at a given f_e: (estimate, estimates on [observed, *resamples], model)."""
    n = len(d.electors)
    nbins = nb * nb
    ng = int(d.group.max()) + 1
    obs_stats = _area_stats(d.electors, d.cast, d.valid, d.winner, d.group, ng)
    res = _residual_binner(d, obs_stats, nb)
    obs = np.bincount(res(d.cast, d.valid, d.winner), minlength=nbins) / n
    hists = np.column_stack([obs, rng.multinomial(n, obs, size=bootstrap).T / n])
    d_rep = _replicate(d, max(1, -(-match_tables // n)))
    reps_hist = max(replicates, -(-match_tables // (2 * n)))
    start = _start_params(d, obs_stats)
    k_e = np.array([round(f_e / STEP)])
    evaluated: dict[int, tuple[np.ndarray, _Params]] = {}  # k (f_i = k·STEP) -> (loss per histogram, params)

    def evaluate(k: int) -> float:
        near = min(evaluated, key=lambda j: abs(j - k), default=None)
        p0 = start if near is None else evaluated[near][1]
        params = _match(d_rep, obs_stats, p0, k * STEP, f_e, 5 if near is None else 3, seed + 1)
        sf = _grid(np.random.default_rng(seed + 2), d, params.model(d), np.array([k]), k_e, res, nbins, reps_hist, smooth=True)[
            0, 0
        ]
        loss = (sf**2).sum() - 2 * sf @ hists
        evaluated[k] = (loss, params)
        return float(loss[0])

    dk = max(1, round(step / STEP))
    kmax = round(fi_max / STEP)
    worse, best = 0, np.inf
    for k in range(0, kmax + 1, dk):
        cur = evaluate(k)
        worse = 0 if cur < best else worse + 1
        best = min(best, cur)
        if worse >= 2:
            break
    k_best = min(evaluated, key=lambda j: evaluated[j][0][0])
    for k in (k_best - dk // 2, k_best + dk // 2):
        if 0 <= k <= kmax and k not in evaluated:
            evaluate(k)
    ks = np.array(sorted(evaluated))
    prof = np.stack([evaluated[int(k)][0] for k in ks])  # (candidates, 1 + bootstrap)
    fi_all = np.array([_vertex(ks * STEP, prof[:, b]) for b in range(prof.shape[1])])
    model = evaluated[int(ks[prof[:, 0].argmin()])][1].model(d)
    return round(float(fi_all[0]) / STEP) * STEP, fi_all, model


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
    # The clean election shaped like this one, with Klimek's incremental fraud added in growing shares.
    rng = np.random.default_rng(seed + 1)
    m0 = _fit_clean_symmetric(d)
    cast, valid, win = _simulate_clean(rng, d, m0, smooth=True)
    u = rng.random(len(t))
    x_inc, _ = _fraud_sizes(rng, len(t))
    grid_f = np.arange(0.0, fi_max + 1e-9, 0.05)
    grid_tilt: list[float] = []
    for fi in grid_f:
        c2, v2, w2 = _fraud(cast, valid, win, d.electors, np.where(u < fi, x_inc, 0.0))
        grid_tilt.append(tl.tilt_of(c2 / d.electors, np.where(v2 > 0, w2 / np.maximum(v2, 1), 0.0), d.group))
        if len(grid_tilt) >= 2 and max(grid_tilt) >= max(observed, hi):
            # The inversion reads the grid only up to its first point past the observed tilt and the
            # interval's top: a clean election stops at f_i = 0.05 instead of ranking 19 elections
            # (20 s of a million tables' 50).
            break
    grid_f = grid_f[: len(grid_tilt)]
    grid = np.array(grid_tilt)
    # The model's incremental fraud tilts a clean election only so far: past some f_i the stuffed
    # tables are the majority and the ranking within an area flattens again (Russia: a ceiling of
    # 0.18 to 0.21 near f_i = 0.7, against observed tilts of 0.38 to 0.52). A tilt beyond the ceiling
    # cannot be read as an f_i at all, so the estimate is the ceiling's f_i, named as a floor.
    peak = int(np.argmax(grid))
    beyond = peak < len(grid) - 1 and observed > grid[peak]
    f_i = float(grid_f[peak]) if beyond else tl.invert(observed, grid_f, grid)
    at_top = not beyond and f_i >= fi_max - 1e-9
    f_i_iv = (tl.invert(lo, grid_f[: peak + 1], grid[: peak + 1]), tl.invert(hi, grid_f[: peak + 1], grid[: peak + 1]))
    t0, s0 = cast / d.electors, np.where(valid > 0, win / np.maximum(valid, 1), 0.0)
    clean_corner = float(np.mean((t0 >= tl.CORNER) & (s0 >= tl.CORNER)))
    f_e = max(0.0, float(corner[0]) - clean_corner)
    f_e_iv = tuple(max(0.0, float(q) - clean_corner) for q in np.quantile(corner_boot, (0.025, 0.975)))
    # Beyond the model's ceiling (or at the top of the range fitted) the point is a floor: the interval
    # has no upper end the model can give, so it is not pinned to the floor (0.80, 0.80, 0.80 read as
    # an estimate known to the hundredth).
    f_i_iv_out = [f_i, None] if beyond else ([f_i_iv[0], None] if at_top else list(f_i_iv))
    flagged = p < alpha  # the run's level: the words follow the verdict (they said flagged at --alpha 0.2's p = 0.1)
    names = dict(level_names or {})
    where = level_word(level_label or names.get(level, level))
    unit = "table" if clevel == "table" else level_word(names.get(clevel, clevel))
    units = "tables" if clevel == "table" else fr.plural(unit)
    said = _Reading(
        level=level, where=where, n_tables=int(d.electors.size), n_counted=f.height, min_electors=min_electors,
        who=choice_word(winner, choice_names), tilt=observed, tilt_interval=(lo, hi), units=units, p=p, draws=draws,
        flagged=flagged, f_i=f_i, f_i_interval=f_i_iv, beyond=beyond, at_top=at_top, ceiling=float(grid[peak]),
        corner=float(corner[0]), clean_corner=clean_corner, f_e=f_e, f_e_interval=(f_e_iv[0], f_e_iv[1]),
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
            f"{KLIMEK_SIGMA_INCREMENTAL})|) on a clean model with {clean_where} observed centre and spread.",
        ),
        estimates={
            "tilt": observed,
            "tilt_interval": [lo, hi],
            "f_incremental": f_i,
            "f_incremental_at_top_of_range": bool(at_top),
            "f_incremental_beyond_model": bool(beyond),
            "model_max_tilt": float(grid[peak]),
            "interval_incremental": f_i_iv_out,
            "f_extreme": f_e,
            "interval_extreme": list(f_e_iv),
            "corner_share": float(corner[0]),
            "clean_corner_share": clean_corner,
            "n_tables": int(d.electors.size),
            "n_counted": f.height,
            "n_areas": int(d.group.max()) + 1,
            "cluster_level": names.get(clevel, clevel),  # the election's name, as the null's wording gives it
            "n_clusters": len(np.unique(cluster)),
            "tilt_by_f_incremental": {f"{x:.2f}": float(y) for x, y in zip(grid_f, grid, strict=True)},
        },
        null=f"wild cluster bootstrap of the tilt: each {unit}'s contribution with a random sign",
        draws=draws,
        level=level,
        figures=_figure_data(d, m0, rng),
    )


@dataclass(frozen=True)
class _Reading:
    """What the fingerprint's sentence says: the figures of one result, before they are worded."""

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
    f_i: float
    f_i_interval: tuple[float, float]
    beyond: bool
    at_top: bool
    ceiling: float
    corner: float
    clean_corner: float
    f_e: float
    f_e_interval: tuple[float, float]


def _reading(r: _Reading) -> str:
    """The fingerprint's reading: what was ranked and where, the tilt, and both fraud fractions as a
    reader says them ("incremental fraud fraction estimated at 0.36 (95 % interval 0.28–0.47)"), each
    with its interval, or the bound it is when the tilt is past what the model's fraud produces.

    Why the tables are counted as "N of the M counted tables": the fit keeps the counted tables with
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
    if r.beyond:
        incremental = (
            f"the tilt is more than its incremental fraud produces in any fraction of the tables (at most "
            f"{r.ceiling:+.3f}, at a fraction of {r.f_i:.2f}), so the incremental fraud fraction (f_i) is beyond the "
            f"model: it cannot be estimated, only bounded (at least {r.f_i:.2f}), and the tilt has another source as "
            "well (fraud larger per table than the model's, or a mobilisation that raises turnout and share together)"
        )
    elif r.at_top:
        incremental = (
            f"the incremental fraud fraction (f_i) is estimated at {r.f_i:.2f} or more (the top of the range "
            f"fitted; 95 % interval from {i_lo:.2f}, with no upper end within the range)"
        )
    else:
        incremental = f"the incremental fraud fraction (f_i) is estimated at {r.f_i:.2f} (95 % interval {i_lo:.2f}–{i_hi:.2f})"
    if r.flagged:
        # Never "the tilt corresponds to fraud in 52 % of the tables": a turnout-share gradient inside
        # the areas (rural tables turning out more and leaning to one side, Bolivia by municipality)
        # gives the same tilt, so the fraction is what the model would need, not what was found.
        area = "area" if r.level == "national" else r.where
        verdict = (
            f"Tables with a higher turnout give {r.who} a higher share more than independent turnout and share "
            "produce: the direction ballot stuffing moves a table, and also the direction of a local mobilisation "
            f"for one side, or of a gradient inside each {area} (tables that turn out more also leaning more to one "
            f"side, as rural tables often do). Read through Klimek et al.'s model, as if all of the tilt were "
            f"fraud, {incremental}"
        )
    else:
        # Not flagged is not a clean bill of health: at a coarse level (Bolivia by department: 10
        # areas, no power on simulated stuffing in docs/forensics-calibration.md) the same tilt
        # is "not flagged" whatever happened. The fit's own interval says how much it can rule out,
        # so the wording gives its upper end instead of "within what chance gives".
        ceiling = (
            "with no upper end within the range fitted, so it rules out no fraction of stuffed tables"
            if r.at_top or r.beyond
            else f"so it cannot rule out incremental fraud in up to {i_hi:.2f} of the tables"
        )
        verdict = (
            "That is not more than independent turnout and share give by chance at this level; not flagged is not "
            "evidence that there was no stuffing. Read through Klimek et al.'s model, incremental fraud is not "
            f"distinguishable from 0: {incremental}, {ceiling}"
        )
    e_lo, e_hi = r.f_e_interval
    return (
        f"{scope} were ranked on turnout and on the share of valid votes for {r.who}: the two rankings agree with "
        f"a rank correlation of {r.tilt:+.3f} (95 % bootstrap interval {lo:+.3f} to {hi:+.3f}, resampling "
        f"{r.units}; {fr.fmt_p(r.p)} from {r.draws:,} draws). {verdict}. {100 * r.corner:.2f} % of the tables "
        f"report both a turnout and a share of 95 % or more, {_against_clean(r.corner, r.clean_corner)}: the extreme "
        f"fraud fraction (f_e) is estimated at {r.f_e:.3f} (95 % interval {e_lo:.3f}–{e_hi:.3f})."
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
