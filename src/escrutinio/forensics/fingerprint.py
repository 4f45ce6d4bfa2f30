"""The turnout × winner-share "election fingerprint" (Klimek, Yegorov, Hanel & Thurner, PNAS 2012).

Ballot stuffing moves a table up in turnout and in the winner's share at once, so fraud smears the
2-D histogram of tables (turnout on one axis, the winner's share of valid votes on the other) towards
the top-right corner; extreme fraud piles tables at 100 % / 100 %. Klimek et al. fit a model with two
parameters: the fraction f_i of tables with *incremental* fraud (a fraction x ~ |N(0, σ)| of the
non-voters' ballots and of the opponents' votes go to the winner) and the fraction f_e with *extreme*
fraud (x ≈ 1). See :mod:`simulate` for the exact fraud mechanism (it is shared with the injector).

How geography is conditioned on (Puno gave Castillo 89 %: regional voting is not fraud): the fit is
one pooled fit for the whole election, but the **clean model is area-demeaned** — each table's
clean turnout and winner share are drawn around the robust centre of its own area at the ``by``
level (**district** by default: department-demeaning left the within-department mix of districts,
which the fit mistook for incremental fraud in calibration; an area with fewer than 20 tables falls
back to its province, then department) with that area's own robust spread (less the binomial noise
of the table's size). The test of f = 0 uses each area's median and MAD; the estimate of (f_i, f_e)
re-reads the clean model from the lower quantiles, which fraud (it only moves tables up) leaves
untouched, and refits (five rounds, damped). The
fraud fractions are then fit by simulation: the clean model and both fraud states are simulated for
every real table (its own electors, its own area), and the pair (f_i, f_e) on a grid whose simulated
histogram is closest (least squares) to the observed one is the estimate. Common random numbers make
every grid point a cheap sum of pre-computed cumulative histograms, so the whole grid, a multinomial
bootstrap of the observed histogram (the interval) and a parametric null (clean elections drawn from
the fitted clean model, refitted; the p-value of the fit's improvement over f = 0) take a second or
two on 86,000 tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import ForensicResult, not_applicable
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
    f = fr.counted(frame)
    electors = fr.as_int(f, tf.ELECTORS)
    cast = fr.as_int(f, tf.CAST)
    w = fr.as_int(f, tf.choice_column(winner))
    valid = fr.as_int(f, tf.VALID)
    keep = (electors >= min_electors) & (valid > 0) & (cast <= electors)
    f = f.filter(pl.Series(keep))
    group, _ = fr.peer_groups(f, by if by in fr.LEVELS else tf.DISTRICT, min_size=min_group)
    return _Data(electors[keep], cast[keep], w[keep], valid[keep], group, fr.table_ids(f))


_Q_LO, _Q_HI = 0.10, 0.40
_Z_LO, _Z_HI = -1.2815515655446004, -0.2533471031357997


def _group_quantile(x: np.ndarray, group: np.ndarray, q: float) -> np.ndarray:
    df = pl.DataFrame({"g": group, "x": x})
    return df.select(pl.col("x").quantile(q, interpolation="linear").over("g"))["x"].to_numpy()


def _fit_clean_symmetric(d: _Data) -> _CleanModel:
    """The clean model under the null (no fraud): each area's median and MAD, less binomial noise."""
    ng = int(d.group.max()) + 1
    out = []
    for x, size in ((d.cast / d.electors, d.electors), (d.winner / d.valid, d.valid)):
        mu, sd = fr.group_median_mad(x, d.group)
        binom = np.bincount(d.group, weights=x * (1 - x) / size, minlength=ng) / np.bincount(d.group, minlength=ng)
        out.append((mu, np.maximum(np.sqrt(np.maximum(sd**2 - binom[d.group], (0.25 * sd) ** 2)), 1e-4)))
    ratio = np.clip(d.valid / np.maximum(d.cast, 1), 0.0, 1.0)
    return _CleanModel(out[0][0], out[0][1], out[1][0], out[1][1], ratio)


def _fit_clean(d: _Data, f_total: float = 0.0) -> _CleanModel:
    """Each area's clean centre and spread, read from the lower side of its distributions.

    Fraud only moves tables up (in turnout and in the winner's share), so below the clean centre the
    observed distribution is the clean one thinned by the fraud fraction f: the clean p-quantile is the
    observed p(1 - f)-quantile. A Gaussian is fitted through the 10 % and 40 % clean quantiles, then
    the binomial noise of each table's size is taken out of the spread.
    """
    ng = int(d.group.max()) + 1
    keep = 1.0 - min(max(f_total, 0.0), 0.8)
    out = []
    for x, size in ((d.cast / d.electors, d.electors), (d.winner / d.valid, d.valid)):
        lo = _group_quantile(x, d.group, _Q_LO * keep)
        hi = _group_quantile(x, d.group, _Q_HI * keep)
        sd = np.maximum((hi - lo) / (_Z_HI - _Z_LO), 1e-4)
        mu = hi - _Z_HI * sd
        binom = np.bincount(d.group, weights=x * (1 - x) / size, minlength=ng) / np.bincount(d.group, minlength=ng)
        latent = np.sqrt(np.maximum(sd**2 - binom[d.group], (0.25 * sd) ** 2))
        out.append((mu, np.maximum(latent, 1e-4)))
    ratio = np.clip(d.valid / np.maximum(d.cast, 1), 0.0, 1.0)
    return _CleanModel(out[0][0], out[0][1], out[1][0], out[1][1], ratio)


def _simulate_clean(rng: np.random.Generator, d: _Data, m: _CleanModel) -> tuple[np.ndarray, ...]:
    tau = np.clip(rng.normal(m.mu_t, m.sd_t), 0.0, 1.0)
    nu = np.clip(rng.normal(m.mu_s, m.sd_s), 0.0, 1.0)
    cast = rng.binomial(d.electors, tau)
    valid = rng.binomial(cast, m.valid_ratio)
    win = rng.binomial(valid, nu)
    return cast, valid, win


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


def _simulate_fraud(
    rng: np.random.Generator, d: _Data, m: _CleanModel, f_i: float, f_e: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One election from the clean model with Klimek fraud in fractions f_i and f_e of tables."""
    n = len(d.electors)
    cast, valid, win = _simulate_clean(rng, d, m)
    u = rng.random(n)
    x = np.where(
        u < f_i,
        np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_INCREMENTAL, n)), 0.95),
        np.where(u < f_i + f_e, 1 - np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_EXTREME, n)), 1.0), 0.0),
    )
    return _fraud(cast, valid, win, d.electors, x)


def _grid(
    rng: np.random.Generator, d: _Data, m: _CleanModel, k_i: np.ndarray, k_e: np.ndarray, nb: int, replicates: int
) -> np.ndarray:
    """Simulated normalised histograms for every (f_i, f_e) on the grid, shape (len(k_i), len(k_e), nb*nb).

    Common random numbers: one clean draw, one uniform and one fraud size per table; a table is in
    incremental fraud when u < f_i and in extreme fraud when f_i <= u < f_i + f_e, so the histogram at
    any grid point is a difference of cumulative histograms over the u-segments.
    """
    n = len(d.electors)
    nbins = nb * nb
    kmax = int(k_i.max() + k_e.max())
    sim = np.zeros((len(k_i), len(k_e), nbins))
    ki = np.broadcast_to(k_i[:, None], (len(k_i), len(k_e)))
    ke = np.broadcast_to(k_e[None, :], (len(k_i), len(k_e)))
    for _ in range(replicates):
        cast, valid, win = _simulate_clean(rng, d, m)
        seg = np.minimum((rng.random(n) / STEP).astype(np.int64), kmax)
        x_inc = np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_INCREMENTAL, n)), 0.95)
        x_ext = 1 - np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_EXTREME, n)), 1.0)
        cums = []
        for b in (
            _bins(d.electors, cast, valid, win, nb),
            _bins(d.electors, *_fraud(cast, valid, win, d.electors, x_inc), nb),
            _bins(d.electors, *_fraud(cast, valid, win, d.electors, x_ext), nb),
        ):
            h = np.bincount(seg * nbins + b, minlength=(kmax + 1) * nbins).reshape(kmax + 1, nbins)
            c = np.zeros((kmax + 2, nbins))
            c[1:] = np.cumsum(h, axis=0)  # c[k] = histogram of tables with seg < k
            cums.append(c)
        c_clean, c_inc, c_ext = cums
        sim += c_clean[-1] - c_clean[ki + ke] + c_inc[ki] + c_ext[ki + ke] - c_ext[ki]
    return sim / (replicates * n)


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
    calibration_rounds: int = 5,
    seed: int = 0,
) -> tuple[FingerprintFit, dict]:
    """Fit (f_i, f_e) by simulation; returns the fit and the figure data."""
    rng = np.random.default_rng(seed)
    d = _prepare(frame, winner, by, min_electors, min_group)
    n = len(d.electors)
    nbins = nb * nb
    k_i = np.arange(0, round(fi_max / STEP) + 1, 2)  # f_i every 0.01
    k_e = np.arange(0, round(fe_max / STEP) + 1)  # f_e every 0.005
    b_obs = _bins(d.electors, d.cast, d.valid, d.winner, nb)
    obs = np.bincount(b_obs, minlength=nbins) / n
    m = _fit_clean_symmetric(d)
    f_fed = 0.0
    for it in range(calibration_rounds + 1):
        sim = _grid(rng, d, m, k_i, k_e, nb, replicates)
        s_flat = sim.reshape(-1, nbins)
        s_norm = (s_flat**2).sum(axis=1)
        loss = s_norm - 2 * s_flat @ obs
        gi, ge = np.unravel_index(int(loss.argmin()), (len(k_i), len(k_e)))
        if it == 0:
            # The test of f = 0 uses the clean model read straight off the data (no fraud assumed).
            m0, s_flat0, s_norm0 = m, s_flat, s_norm
        if it == calibration_rounds:
            break
        # Re-read the clean model from the quantiles the fitted fraud leaves untouched, and refit; the
        # fraud fraction fed back is damped (averaged with the previous one) so the iteration settles.
        f_now = float((k_i[gi] + k_e[ge]) * STEP) if it > 0 else 0.0
        f_fed = 0.5 * (f_fed + f_now) if it > 1 else f_now
        m = _fit_clean(d, f_fed)

    def best(o: np.ndarray, sf: np.ndarray = s_flat, sn: np.ndarray = s_norm) -> tuple[np.ndarray, np.ndarray]:
        """Index of the best grid point and the improvement over f = 0, for columns of o."""
        loss = sn[:, None] - 2 * sf @ o
        return loss.argmin(axis=0), loss[0] - loss.min(axis=0)

    g_obs, _ = best(obs[:, None])
    _, imp = best(obs[:, None], s_flat0, s_norm0)
    gi, ge = np.unravel_index(int(g_obs[0]), (len(k_i), len(k_e)))
    f_i, f_e = float(k_i[gi] * STEP), float(k_e[ge] * STEP)
    # Bootstrap: multinomial resamples of the observed histogram.
    boots = rng.multinomial(n, obs, size=bootstrap).T / n
    g_b, _ = best(boots)
    bi, be = np.unravel_index(g_b, (len(k_i), len(k_e)))
    fi_b, fe_b = k_i[bi] * STEP, k_e[be] * STEP
    # Parametric null: clean elections from the fitted clean model.
    nulls = np.empty((nbins, null_replicates))
    for r in range(null_replicates):
        cast, valid, win = _simulate_clean(rng, d, m0)
        nulls[:, r] = np.bincount(_bins(d.electors, cast, valid, win, nb), minlength=nbins) / n
    _, imp_null = best(nulls, s_flat0, s_norm0)
    p = float((1 + np.sum(imp_null >= imp[0] - 1e-15)) / (1 + null_replicates))
    result = FingerprintFit(
        f_incremental=f_i,
        f_extreme=f_e,
        interval_incremental=(float(np.quantile(fi_b, 0.025)), float(np.quantile(fi_b, 0.975))),
        interval_extreme=(float(np.quantile(fe_b, 0.025)), float(np.quantile(fe_b, 0.975))),
        p_value=p,
        improvement=float(imp[0]),
        n_tables=n,
    )
    return result, _figure_data(d, m, rng, sim[gi, ge], nb)


def _figure_data(d: _Data, m: _CleanModel, rng: np.random.Generator, fitted: np.ndarray, nb: int) -> dict:
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
            "model_counts": np.histogram(
                np.where(valid > 0, win / np.maximum(valid, 1), 0), bins=fine, range=(0, 1)
            )[0].tolist(),
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


def test(frame: pl.DataFrame, *, winner: str, by: str = tf.DISTRICT, seed: int = 0, **kw) -> ForensicResult:
    """The fingerprint as a :class:`ForensicResult` (statistic: the fitted f_i + f_e)."""
    name = "fingerprint.klimek"
    f = fr.counted(frame)
    if not fr.has_electors(f):
        return not_applicable(name, "the frame has no registered electors, so turnout is undefined.")
    if f.height < 100:
        return not_applicable(name, "fewer than 100 counted tables: too few for a 2-D histogram.")
    res, figs = fit(frame, winner=winner, by=by, seed=seed, **kw)
    reading = (
        f"Fitting Klimek et al.'s model to {res.n_tables:,} tables, with each table's clean turnout and "
        f"{winner}'s share centred on its own {by}, gives an incremental-fraud fraction f_i = "
        f"{res.f_incremental:.3f} (95 % bootstrap interval {res.interval_incremental[0]:.3f}–"
        f"{res.interval_incremental[1]:.3f}) and an extreme-fraud fraction f_e = {res.f_extreme:.3f} "
        f"({res.interval_extreme[0]:.3f}–{res.interval_extreme[1]:.3f}). Clean elections simulated from the "
        f"fitted clean model improve as much on f = 0 with probability p = {fr.fmt_p(res.p_value)}. "
        + (
            "The joint shift of tables towards high turnout and a high winner share is more than the clean "
            "model produces by chance: evidence to weigh with the other tests, not proof of stuffing."
            if res.p_value < 0.05
            else "The histogram is in line with the clean model: no fingerprint of stuffing is visible."
        )
    )
    return ForensicResult(
        test=name,
        statistic=res.f_incremental + res.f_extreme,
        statistic_name="f_i+f_e",
        p_value=res.p_value,
        interval=(res.interval_incremental[0] + res.interval_extreme[0],
                  res.interval_incremental[1] + res.interval_extreme[1]),
        reading=reading,
        caveats=(
            "The clean model is a Gaussian around each area's median; real elections with bimodal areas "
            "(a city with rich and poor districts) can look like incremental fraud.",
            "Mobilisation that raises turnout and one side's share together (a popular local candidate) "
            "produces the same shift as stuffing.",
            f"The fit uses a fixed fraud spread (incremental x ~ |N(0, {KLIMEK_SIGMA_INCREMENTAL})|).",
        ),
        details={
            "f_incremental": res.f_incremental,
            "f_extreme": res.f_extreme,
            "interval_incremental": res.interval_incremental,
            "interval_extreme": res.interval_extreme,
            "improvement": res.improvement,
            "n_tables": res.n_tables,
            "by": by,
        },
        figures=figs,
        level=by,
    )
