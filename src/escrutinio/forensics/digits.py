"""Digit tests, each run only where its assumption holds.

Both look at the vote counts of the choices at every counted table.

- **Last digit** (Beber & Scacco 2012): people inventing numbers favour some final digits, while an
  honest count's last digit is flat — *when* the count's distribution is close to linear over every
  run of ten values (their appendix's condition), that is, when the count could as easily have been
  a few votes more or less. A count near 11 spread over 3 votes ends in 0, 1 or 2 far more often than
  in 5 or 6, whoever wrote it (Chile 2021, Peru 2021's first round: most counts of 18 choices are
  small). So the test first asks each count how widely an honest count of its size would spread: a
  binomial around the count its area's share of the choice predicts (the share at the **other**
  tables of its area at ``by``, the district by default, so the choice of counts does not depend on
  the counts themselves: a cut on a count's own size favours the digits just above the cut). That
  count's last digit is off 10 % by at most (1/10)·(2·Σ_{k≤4}|φ_k| + |φ_5|), φ_k its characteristic
  function at 2πk/10 (:func:`digit_departure`; |φ_1| ≈ exp(−0.19·σ²), 0.001 at a spread σ of 6 votes).
  The counts are read widest first, down to where, were every honest departure to point the same
  way, they would add :data:`SPREAD_BOUND` (0.1) to the chi-square (:func:`worst_noncentrality`):
  about a spread of 5 votes. Of those, the counts of 10 or more are tested as the paper does (a
  choice with no vote at a table puts a point mass on 0; the cut takes the whole run 0-9, where the
  counts read are rare): chi-square against 10 % a digit (Peru's first round: 50,574 of 1,530,090
  counts, spread 5.4 votes or more). Its null is not the chi-square table but the digits those very
  counts give honestly (:func:`last_digit_null`): each a binomial over its table's valid votes at a
  share its area's tables could have (:func:`peer_shares`), its last digit's distribution exact
  (:func:`last_digit_shares`), their histogram drawn :data:`NULL_DRAWS` times. Whatever the counts'
  sizes, and their areas' spread of shares, still do to their digits after the spread cut is then in
  the null rather than a false alarm, at any number of counts: tables of an area differ, which puts
  some honest mass near the single-digit cut (clean Bolivias: a null chi-square of 9.35 on average, not
  9; their real file 10.0, Russia's 10.8 to 12.9).
  Fewer than :data:`MIN_READ` (100) counts read: cannot tell, and the wording says why. Until this
  change the test read every count of 10 or more against its own histogram smoothed over 11 values;
  that null misfit curved histograms and flagged 5 of 6 clean elections shaped like Peru's first round.
- **Second digit** (2BL, Mebane): :mod:`escrutinio.forensics.second_digit`, built on this module's
  helpers.
- **Levels**: both tests predict a count from its area's share, so they read peers at most
  :data:`COARSEST_LEVEL`-sized (:func:`too_coarse`): at ``national`` they cannot tell.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import special, stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import STATUS_NOT_APPLICABLE, ForensicResult, level_word

MIN_COUNT = 10
"""Smallest count the second-digit test reads (a count below ten has no second digit); the last-digit
test reads counts by their expected spread instead, and gives the flat rule on every count of 10 or more
beside its own figures, to show what sizes alone do to last digits."""


SPREAD_BOUND = 0.1
"""The most that honest counts' own departure from a flat last digit may add to the last-digit
chi-square, were every count's departure to point the same way (its noncentrality): at 0.1 a 5 % test
rejects at most about 5.4 % of honest elections."""
MIN_PEERS = 10
"""Tables an area needs for its share of a choice to set its tables' expected counts (a smaller area
is read with the area above it)."""
MIN_READ = 100
"""Fewest counts the last-digit test reads; with fewer it cannot tell."""

_HARMONICS = 1.0 - np.cos(2.0 * np.pi * np.arange(1, 6) / 10.0)
"""1 − cos(2πk/10) for k = 1..5: the last digit's frequencies, in Fourier terms."""


def digit_departure(n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """|E e^{2πikX/10}| for X ~ Binomial(n, p), rows k = 1..5: how far X's last digit is from flat.

    X mod 10 takes digit d with probability 1/10 + (1/10)·Σ_{k=1..9} φ_k·e^{−2πikd/10}, φ_k the
    binomial's characteristic function at 2πk/10, whose modulus is (1 − 2p(1 − p)(1 − cos 2πk/10))^{n/2},
    about exp(−0.19·σ²) at k = 1 for a spread σ = √(np(1 − p)). So a count spread over a few votes
    has a last digit far from flat (σ = 3: φ_1 = 0.18, digits up to 3.6 points off 10 %), and one
    spread over 6 or more is flat to a thousandth (φ_1 = 0.001): Beber & Scacco's condition that the
    count's distribution be near linear over every run of ten values, made a number.
    """
    n = np.asarray(n, dtype=np.float64)
    q = 2.0 * np.asarray(p, dtype=np.float64) * (1.0 - np.asarray(p, dtype=np.float64))
    base = np.maximum(1.0 - q[None, :] * _HARMONICS[:, None], 1e-300)
    return np.exp(0.5 * n[None, :] * np.log(base))


def worst_noncentrality(departure: np.ndarray) -> np.ndarray:
    """For the counts taken in order (columns of :func:`digit_departure`), the chi-square
    noncentrality the first N of them would give a flat-digit test if every count's departure
    pointed the same way: N·(2·Σ_{k=1..4} ā_k² + ā_5²), ā_k the mean modulus over the N counts
    (Parseval: the null's expected digit shares are off 10 % by (1/10)·Σ_k φ̄_k·e^{−2πikd/10})."""
    if departure.shape[1] == 0:
        return np.zeros(0)
    n = np.arange(1, departure.shape[1] + 1, dtype=np.float64)
    mean = np.cumsum(departure, axis=1) / n[None, :]
    return n * (2.0 * (mean[:4] ** 2).sum(axis=0) + mean[4] ** 2)


def spread_enough(n: np.ndarray, p: np.ndarray, spread_bound: float = SPREAD_BOUND) -> tuple[np.ndarray, float | None]:
    """Which counts (Binomial(``n``, ``p``) honestly, ``p`` their area's share) the last-digit test
    chooses: the widest spread first, down to where :func:`worst_noncentrality` reaches
    ``spread_bound``; and that noncentrality (None when no count fits). Apart from the test so that
    the calibration's diagnosis (``benchmarks/last_digit_calibration.py --shaped``) reads the very
    counts the test reads."""
    departure = digit_departure(n, p)
    order = np.argsort(departure[0], kind="stable")  # widest honest spread first
    worst = worst_noncentrality(departure[:, order])
    fits = np.flatnonzero(worst <= spread_bound)
    chosen = np.zeros(len(n), dtype=bool)
    if not len(fits):
        return chosen, None
    chosen[order[: fits[-1] + 1]] = True
    return chosen, float(worst[fits[-1]])


NULL_DRAWS = 9_999
"""Draws of the last-digit test's Monte-Carlo null (its p-value is (1 + draws at least as far from
flat as the observed digits) / (1 + draws), so it resolves 1e-4)."""
BELOW_TEN = 10
"""The column of :func:`last_digit_shares` that holds P(count < 10): the counts the test leaves out."""


_K = np.arange(1, 6)
_WAVES = 2.0 * np.pi * np.outer(_K, np.arange(10)) / 10.0
"""2πkd/10 for k = 1..5 (rows) and d = 0..9 (columns)."""


def last_digit_shares(n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """For X ~ Binomial(n, p), one row per count: P(X ≥ 10 and X ends in d) for d = 0..9, then
    P(X < 10) (column :data:`BELOW_TEN`).

    X mod 10 = d with probability (1/10)·Σ_{k=0..9} φ_k·e^{−2πikd/10}, φ_k = (1 − p + p·e^{2πik/10})^n
    the binomial's characteristic function at 2πk/10 (its moduli are :func:`digit_departure`'s), and
    φ_{10−k} its conjugate: (1/10)·(1 + Σ_{k=1..5} w_k·|φ_k|·cos(n·θ_k − 2πkd/10)), θ_k the angle of
    1 − p + p·e^{2πik/10}, w = 2 for k = 1..4 and 1 for k = 5. The single-digit counts the test leaves
    out are taken off their digit (the exact pmf, where P(X < 10) can exceed 1e-15), so the row is the
    honest count's distribution over what the test sees of it.
    """
    n = np.asarray(n, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    out = np.zeros((len(n), 11))
    out[:, :10] = 0.1
    for i, k in enumerate(_K):
        # |φ_k| (a count's pull on its last digit at frequency k) falls fast with k and with the spread;
        # only the counts where it reaches 1e-17 move their row off 10 % in double precision.
        re = 1.0 - p + p * np.cos(2.0 * np.pi * k / 10.0)
        im = p * np.sin(2.0 * np.pi * k / 10.0)
        log_modulus = 0.5 * n * np.log(np.maximum(re * re + im * im, 1e-300))
        rough = np.flatnonzero(log_modulus > -39.0)
        if not len(rough):  # |φ_k| falls with k up to 5 (1 − cos 2πk/10 rises): none rough further on
            break
        weight = (2.0 if k < 5 else 1.0) * 0.1 * np.exp(log_modulus[rough])
        angle = n[rough] * np.arctan2(im[rough], re[rough])
        # cos(nθ − 2πkd/10) = cos nθ·cos 2πkd/10 + sin nθ·sin 2πkd/10
        out[rough, :10] += (weight * np.cos(angle))[:, None] * np.cos(_WAVES[i])[None, :]
        out[rough, :10] += (weight * np.sin(angle))[:, None] * np.sin(_WAVES[i])[None, :]
    # P(X ≤ 9) ≤ exp(−t²/(2(σ² + t/3))), t = μ − 9 (Bernstein): the exact pmf only where that passes 1e-15.
    t = n * p - (MIN_COUNT - 1)
    small = np.flatnonzero((t <= 0) | (t * t <= 69.1 * (n * p * (1.0 - p) + t / 3.0)))
    if len(small):
        k, m, q = np.arange(MIN_COUNT)[None, :], n[small, None], p[small, None]
        log_pmf = special.gammaln(m + 1) - special.gammaln(k + 1) - special.gammaln(np.maximum(m - k, 0) + 1)
        pmf = np.where(k <= m, np.exp(log_pmf + special.xlogy(k, q) + special.xlog1py(m - k, -q)), 0.0)
        out[small, :10] -= pmf
        out[small, BELOW_TEN] = pmf.sum(axis=1)
    np.clip(out, 0.0, 1.0, out=out)
    return out / out.sum(axis=1, keepdims=True)


def chi2_against(histogram: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Chi-square of histograms (rows; the first ``len(shares)`` columns, any further column, the counts
    left out, ignored) against ``shares`` (summing to one), each row against its own total: what both
    digit tests measure, the last digit against 10 % a digit, the second against what honest counts
    give. A class honest counts never reach (share below 1e-9) is left out of the sum."""
    shares = np.asarray(shares, dtype=np.float64)
    seen = shares > 1e-9
    h = np.atleast_2d(np.asarray(histogram, dtype=np.float64))[:, : len(shares)][:, seen]
    e = np.maximum(h.sum(axis=1, keepdims=True) * shares[None, seen] / shares[seen].sum(), 1e-300)
    return ((h - e) ** 2 / e).sum(axis=1)


def chi2_flat(histogram: np.ndarray) -> np.ndarray:
    """Chi-square of last-digit histograms (rows; columns 0..9, any further column ignored) against
    10 % a digit, each against its own total."""
    return chi2_against(histogram, np.full(10, 0.1))


_FLAT = np.append(np.full(10, 0.1), 0.0)
"""A count spread widely: 10 % a final digit, never below ten."""


def last_digit_moments(n: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ qᵢ and Σ qᵢqᵢᵀ over counts X ~ Binomial(nᵢ, pᵢ), qᵢ their :func:`last_digit_shares` rows:
    what the histogram of their last digits needs (:func:`last_digit_null`). Only counts whose row is
    off :data:`_FLAT` in double precision (|φ_1| ≥ e^−39, or P(X < 10) possibly ≥ 1e-15) are computed;
    the others add the flat row."""
    n = np.asarray(n, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    re = 1.0 - p + p * np.cos(2.0 * np.pi / 10.0)
    im = p * np.sin(2.0 * np.pi / 10.0)
    t = n * p - (MIN_COUNT - 1)
    near_ten = (t <= 0) | (t * t <= 69.1 * (n * p * (1.0 - p) + t / 3.0))
    rough = np.flatnonzero((0.5 * n * np.log(np.maximum(re * re + im * im, 1e-300)) > -39.0) | near_ten)
    q = last_digit_shares(n[rough], p[rough])
    flat = len(n) - len(rough)
    return q.sum(axis=0) + flat * _FLAT, q.T @ q + flat * np.outer(_FLAT, _FLAT)


def last_digit_null(mean: np.ndarray, second: np.ndarray, draws: int = NULL_DRAWS, seed: int = 0) -> np.ndarray:
    """``draws`` chi-squares (:func:`chi2_flat`) of the honest histogram of the counts read, from its
    :func:`last_digit_moments` (``mean`` = Σ qᵢ, ``second`` = Σ qᵢqᵢᵀ).

    Each count falls in one of :func:`last_digit_shares`' eleven columns, independently of the others
    (the honest count is binomial around its prediction; the counts of one table are tied through its
    valid votes, but a count spread over 5 votes or more ends in a digit all but independent of the
    table's other counts). The histogram, a sum of such independent draws, is Gaussian to within the
    central limit theorem's error at the hundreds of counts the test needs: mean Σ qᵢ, covariance
    Σ (diag qᵢ − qᵢqᵢᵀ). So it is drawn ``draws`` times from that Gaussian (vectorised: draws × 11),
    and each draw's chi-square against 10 % a digit is the null of the observed chi-square. What the
    honest counts' own sizes do to their digits is in the null, not a false alarm.
    """
    return histogram_null(mean, np.diag(mean) - second, np.full(10, 0.1), draws, seed)


def histogram_null(
    mean: np.ndarray, covariance: np.ndarray, shares: np.ndarray, draws: int = NULL_DRAWS, seed: int = 0
) -> np.ndarray:
    """``draws`` chi-squares (:func:`chi2_against` ``shares``) of a digit histogram drawn from its
    Gaussian (``mean``, ``covariance``; eleven columns, the last one the counts left out): the null of
    both digit tests, vectorised (draws × 11). A sum of independent per-count digits is that Gaussian
    to within the central limit theorem's error at the hundreds of counts either test needs."""
    w, v = np.linalg.eigh(covariance)
    root = v * np.sqrt(np.clip(w, 0.0, None))[None, :]
    z = np.random.default_rng(seed).standard_normal((draws, len(mean)))
    return chi2_against(mean[None, :] + z @ root.T, shares)


def expected_counts(frame: pl.DataFrame, cols: list[str], level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every choice's count at every counted table (``frame`` already counted), its table's valid
    votes, the choice's share of the valid votes at the **other** tables of the table's area at
    ``level`` (or the area above, where fewer than :data:`MIN_PEERS` tables), and the column's index.

    The share leaves the table out, so which counts the last-digit test reads does not depend on the
    counts themselves: choosing counts by their own size would cut their distribution at the
    threshold, and the cut alone favours the digits just above it (the old false alarm on Chile).
    """
    valid = fr.as_int(frame, tf.VALID)
    if not cols or frame.height == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    groups, _ = fr.peer_groups(frame, level, min_size=MIN_PEERS)
    area_valid = np.bincount(groups, weights=valid)
    others = area_valid[groups] - valid
    v, p = [], []
    for c in cols:
        x = fr.as_int(frame, c)
        area_x = np.bincount(groups, weights=x)
        v.append(x)
        p.append(np.clip(np.divide(area_x[groups] - x, others, out=np.zeros(len(x)), where=others > 0), 0.0, 1.0))
    which = np.repeat(np.arange(len(cols)), frame.height)
    return np.concatenate(v), np.tile(valid, len(cols)), np.concatenate(p), which


PEER_DRAWS = 1
"""Tables of its area each count's honest share is drawn from in the last-digit test's null. One is
enough: the null needs the sum of the counts' digit distributions, and a random table a count adds to
that sum what the area's whole spread would on average (the draw's noise, at most a few counts a digit
over thousands of counts that are not flat, is far below the histogram's own)."""


def peer_shares(
    frame: pl.DataFrame, cols: list[str], level: str, predicted: np.ndarray, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """For every choice's count at every counted table (stacked as :func:`expected_counts` stacks them,
    ``predicted`` its area's share there), ``draws`` shares an honest table of its area could have:
    the prediction plus the deviation of a random other table of the area from the area's mean share,
    shrunk by the part of the tables' spread that their own binomial noise explains.

    Why: an honest count is binomial around its *table's* share, and tables of one area differ (a
    village votes apart from its neighbours; a choice gets 2 % at one table and 30 % at the next).
    That spread puts some of an honest count's mass near 10, where the test's single-digit cut makes
    its digits uneven, and near 0 or all the valid votes: a binomial around the area's share misses it
    (clean Bolivias flagged 9.6 %). The other tables' shares carry that spread in its real shape, but
    also their own binomial noise, which would count the noise twice (a null spread too wide has digits
    flatter than honest counts): each deviation is shrunk by √(1 − binomial variance / variance of the
    shares) of its area (method of moments; 0 where the noise explains all the spread, which leaves the
    binomial around the area's share).
    """
    valid = fr.as_int(frame, tf.VALID)
    groups, _ = fr.peer_groups(frame, level, min_size=MIN_PEERS)
    h = frame.height
    order = np.argsort(groups, kind="stable")
    size = np.bincount(groups)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    position = np.empty(h, dtype=np.int64)
    position[order] = np.arange(h) - start[groups[order]]
    g = groups[:, None]
    pick = np.floor(rng.random((h, draws)) * np.maximum(size[g] - 1, 1)).astype(np.int64)
    pick += (pick >= position[:, None]) & (size[g] > 1)  # another table of the area, never the table itself
    peer = order[start[g] + np.minimum(pick, size[g] - 1)]
    has = (valid > 0).astype(np.float64)
    tables = np.maximum(np.bincount(groups, weights=has), 1.0)
    out = []
    for i, c in enumerate(cols):
        share = np.divide(fr.as_int(frame, c), valid, out=np.zeros(h), where=valid > 0)
        mean = np.bincount(groups, weights=share * has) / tables
        spread = np.bincount(groups, weights=(share - mean[groups]) ** 2 * has) / tables
        noise = np.bincount(groups, weights=np.divide(share * (1 - share), valid, out=np.zeros(h), where=valid > 0)) / tables
        shrink = np.sqrt(np.clip(1.0 - np.divide(noise, spread, out=np.ones_like(noise), where=spread > 0), 0.0, 1.0))
        deviation = np.where(valid[peer] > 0, share[peer] - mean[g], 0.0) * shrink[g]
        out.append(np.clip(predicted[i * h : (i + 1) * h, None] + deviation, 0.0, 1.0))
    return np.concatenate(out) if out else np.zeros((0, draws))


COARSEST_LEVEL = tf.DEPARTMENT
"""The coarsest level the digit tests read peers at. Both predict each count from its area's share of
the choice: one share for the whole nation misdescribes a choice strong in some regions and weak in
others (the Peru runoff by the nation: last digit p 0.048, and 0.041 to 0.046 at seeds 1-3, while
every level from the district to the department reads it as honest), so at ``national`` they cannot
tell."""


READ_LEVELS = fr.LEVELS[: fr.LEVELS.index(COARSEST_LEVEL) + 1]
"""The levels the digit tests read peers at: every one up to :data:`COARSEST_LEVEL`."""


def read_at(frame: pl.DataFrame, choices: list[str] | None, by: str | None) -> tuple[pl.DataFrame, list[str], str]:
    """What both digit tests read: the counted tables, the choices' columns (all without ``choices``) and
    the level their peers are read at (``by``, the district by default; see :func:`too_coarse`)."""
    f = fr.counted(frame)
    cols = [tf.choice_column(c) for c in choices] if choices else fr.choice_columns(f)
    return f, cols, fr.peer_level(f, by or tf.DISTRICT)


def too_coarse(test: str, level: str) -> ForensicResult:
    """The "cannot tell" of a digit test asked to read its peers at a level coarser than
    :data:`COARSEST_LEVEL` (the nation, not in :data:`READ_LEVELS`), saying why and at which levels it
    can be read."""
    return ForensicResult(
        test=test,
        statistic=None,
        statistic_name="",
        p_value=None,
        reading=(
            "Cannot tell at the nation: this test predicts each count from its area's share of the choice, "
            "and one share for the whole nation misdescribes a choice that is strong in some regions and weak "
            "in others, so what honest counts would give is not known there. Read it by any level from the "
            f"{level_word(COARSEST_LEVEL)} down (the district without --by)."
        ),
        null="not applicable at the nation: see the wording",
        status=STATUS_NOT_APPLICABLE,
        level=level,
    )


def last_digit_test(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    by: str | None = None,
    alpha: float = 0.05,
    level_label: str | None = None,
    spread_bound: float = SPREAD_BOUND,
    draws: int = NULL_DRAWS,
    seed: int = 0,
) -> ForensicResult:
    """Beber & Scacco's last-digit test (chi-square against 10 % a digit), on the counts whose honest
    spread makes a flat last digit hold: see the module's docstring."""
    test = "digits.last_digit"
    f, cols, level = read_at(frame, choices, by)
    if level not in READ_LEVELS:
        return too_coarse(test, level)
    where = level_word(level_label or level)
    v, n, p, which = expected_counts(f, cols, level)
    chosen, worst = spread_enough(n, p, spread_bound)
    # Single-digit counts are left out, as Beber & Scacco do: a choice with no vote at a table (a
    # community voting as one) puts a point mass on 0 that says nothing of how figures were written,
    # and the cut takes a whole run of ten values (0-9), below the counts read, where they are rare.
    read = chosen & (v >= MIN_COUNT)
    spread = np.sqrt(n * p * (1.0 - p))
    total = int(read.sum())
    flat_all = v >= MIN_COUNT
    obs_all = np.bincount(v[flat_all] % 10, minlength=10)
    every_chi2 = float(((obs_all - obs_all.sum() / 10) ** 2 / max(obs_all.sum() / 10, 1e-9)).sum())
    by_choice = []
    for i, c in enumerate(cols):
        mine = which == i
        o = np.bincount(v[mine & read] % 10, minlength=10)
        by_choice.append(
            {
                "choice": c.removeprefix(tf.CHOICE_PREFIX),
                "counts": int(mine.sum()),
                "read": int(o.sum()),
                "chi2_vs_uniform": float(((o - o.sum() / 10) ** 2 / (o.sum() / 10)).sum()) if o.sum() else None,
            }
        )
    estimates: dict = {
        "n_counts": total,
        "n_counts_all": len(v),
        "min_spread_votes": float(spread[read].min()) if total else None,
        "widest_spread_votes": float(spread.max()) if len(v) else None,
        "spread_bound": spread_bound,
        "worst_noncentrality": worst,
        "chi2_every_count_of_10_or_more": every_chi2,
        "by_choice": by_choice,
        "columns": cols,
    }
    caveats = (
        "An honest count's last digit is flat only when the count could as easily have been a few votes "
        "more or less (Beber & Scacco 2012): the test reads a count only where its binomial spread around "
        f"the count its {where}'s share predicts is wide enough, so counts of small choices and small "
        "tables are left out.",
        "With hundreds of thousands of counts, tiny preferences become significant; look at the size of "
        "the deviation (the figure) as well as the p-value.",
    )
    if total < MIN_READ:
        widest = estimates["widest_spread_votes"] or 0.0
        return ForensicResult(
            test=test,
            statistic=None,
            statistic_name="chi2_vs_uniform",
            p_value=None,
            reading=(
                f"Cannot tell: only {total:,} of {len(v):,} counts are expected to spread widely enough for "
                f"an honest last digit to be flat, and the test needs {MIN_READ} (the widest spreads "
                f"{widest:.1f} votes around the count its {where}'s share predicts; {MIN_READ} counts need about "
                "5 or more). On counts spread more narrowly the last digits follow the counts' sizes (small "
                "counts end in low digits more often), whoever wrote them."
            ),
            caveats=caveats,
            estimates=estimates,
            null="10 % a final digit (Beber & Scacco); not applicable: see the wording",
            status=STATUS_NOT_APPLICABLE,
            level=level,
        )
    obs = np.bincount(v[read] % 10, minlength=10)
    stat = float(chi2_flat(obs)[0])
    peers = peer_shares(f, cols, level, p, PEER_DRAWS, np.random.default_rng([seed, 1]))[chosen]
    moments = [last_digit_moments(n[chosen], peers[:, k]) for k in range(PEER_DRAWS)]
    honest = sum(m for m, _ in moments) / PEER_DRAWS
    null_chi2 = last_digit_null(honest, sum(s for _, s in moments) / PEER_DRAWS, draws, seed)
    honest_share = honest[:10] / honest[:10].sum()
    p_value = float((1 + np.count_nonzero(null_chi2 >= stat)) / (1 + draws))
    top = int(obs.argmax())
    estimates |= {
        "observed": obs.tolist(),
        "expected": (honest_share * total).tolist(),
        "chi2_vs_uniform": stat,
        "null_chi2_mean": float(null_chi2.mean()),
        "null_chi2_95": float(np.quantile(null_chi2, 0.95)),
        "p_chi2_9df": float(stats.chi2.sf(stat, 9)),
        "min_count": MIN_COUNT,
    }
    reading = (
        f"{total:,} of {len(v):,} counts are expected to spread widely enough for an honest last digit to be "
        f"flat (a binomial spread of at least {estimates['min_spread_votes']:.1f} votes around the count "
        f"the {where}'s share predicts). Their final digits differ from 10 % each by chi-square {stat:.1f}; "
        f"honest counts of these sizes, spread as the {where}'s tables are, give "
        f"{null_chi2.mean():.1f} on average "
        f"({fr.fmt_p(p_value)}, from {draws:,} draws); the most frequent is {top} ({obs[top] / total:.2%}). "
        + (
            "Some final digits appear more often than counting gives: numbers written without counting "
            "leave this trace, and so does a habit of rounding. Evidence to weigh."
            if p_value < alpha
            else "No final digit appears more often than counting gives."
        )
    )
    return ForensicResult(
        test=test,
        statistic=stat,
        statistic_name="chi2_vs_uniform",
        p_value=p_value,
        reading=reading,
        caveats=caveats,
        estimates=estimates,
        null=(
            "chi-square against 10 % a final digit (Beber & Scacco), on the counts whose honest spread makes it "
            f"hold, against the digits those counts give honestly: each binomial over its table's valid votes "
            f"at its {where}'s share moved as a random other table of the {where} stands from it (less that "
            f"table's binomial noise; {PEER_DRAWS} such tables a count; their histogram drawn as a Gaussian)"
        ),
        draws=draws,
        level=level,
        figures={
            "last_digit": {
                "kind": "bars",
                "x_label": "last digit",
                "categories": list(range(10)),
                "observed_share": (obs / total).tolist(),
                "null_share": honest_share.tolist(),
            }
        },
    )
