"""Integer percentages (Kobak, Shpilkin & Pshenichnikov, Ann. Appl. Stat. 10(1), 2016).

When officials write down target figures instead of counts, turnout and the leader's result pile up
on round percentages (70 %, 75 %, 80 % …). Following the paper:

- **Quantities.** Turnout = ballots cast / registered electors; the leader's result = the leader's
  votes / ballots cast (valid plus invalid: the ballots found in the boxes, as the paper uses).
- **Inclusion.** Tables with at least :data:`MIN_DENOMINATOR` (100) registered electors for turnout
  and at least 100 ballots for the result (the paper's rule: below that a single vote moves the
  percentage by more than a point and almost every value is near some integer); the result also
  needs at least :data:`MIN_SIDE` (10) votes for the leader and 10 other ballots
  (:func:`result_included`, ours: the binomial redraw is not smooth at 0 votes, see there).
- **Integer.** A percentage x = 100·v/n is *integer* when it is within :data:`TOLERANCE` (0.05)
  percentage points of a whole number — it reads "k.0 %" at one decimal. This does not depend on the
  table's size the way "v is the count nearest to k % of n" does (on tables of 200 electors every
  other count is nearest to some integer percentage). For the leader's result the whole numbers are
  1 to 99 (:data:`RESULT_WHOLE`): 0 % and 100 % are not counted, on the observed side or the null's;
  the turnout counts 0 to 100 (:data:`TURNOUT_WHOLE`). The paper's treatment of 0 % and 100 % is not
  in the text we could read (docs/forensics-integer-percentages.md); these rules are ours, and why.
- **Statistics.** The number of tables with an integer turnout, with an integer leader's result, and
  with either (the paper's headline statistic: "turnout and/or leader's result").
- **Null.** The paper's binomial Monte Carlo: a table's ballots redrawn as
  c* ~ Binomial(electors, c/electors), the leader's votes as w* ~ Binomial(ballots, w/c). This keeps
  each table's size and level but smooths away any preference for round figures. The redraw is not
  simulated table by table (1,000 draws of Peru's 86,000 tables took 45 s): each table's probability
  of an integer turnout, an integer result and both is computed exactly, and each of the ``draws``
  (≥ 1,000) replicates draws the counts from those probabilities (:func:`null_counts`), tables being
  independent under the redraw. Each probability is taken where it is unbiased on clean elections:

  - the turnout, and the turnout and result together, under the joint redraw (w* drawn from the
    redrawn ballots c*, :func:`joint_probabilities`): both integer-nesses depend on c*, so their
    overlap needs one draw of c* (drawing them independently, q_t·q_r, under-expected "either" and
    flagged 9.5 % of 200 clean Peru-shaped elections at α = 5 %);
  - the result at the **observed** ballots (w* ~ Binomial(c, w/c), :func:`integer_probability`), alone
    and inside "either" (:func:`either_probability`). Redrawing the ballots as well smooths the
    denominator's arithmetic a second time (the observed ballots are already one draw around the
    truth, and the share of counts that are whole percentages swings with the ballots: half of them
    at 200, one in ten at 201, multiples of 12 only at 1,200), and falls short where ballots pile up
    near such a count: alone it flagged 18 of 200 clean Bolivias (9 %), inside "either" 41 of 595
    (6.9 %). So is the result weighed where there are no electors (turnout undefined), the only
    statistic then. The result's redraw is reflected at the edges of the range it is read in
    (:func:`result_included`; :class:`_IntegerLattice`): counted on the whole percentages outside
    it, it was 11 integer results an election short on clean Peru-first-round shapes.
- **Figures.** Excess = observed − mean of the null; z = excess / sd of the null (both exact: Σq and
  √Σq(1 − q)); p = share of replicates at or above the observed count (with the usual +1),
  one-sided: only an excess is a sign of written-in figures.
- **Misfit.** A statistic :data:`MISFIT_Z` (3) or more of the null's sds **below** its mean cannot tell
  (``flagged`` null): the null expects far more integer tables than the data hold, so it does not
  describe them, and an excess of round percentages could hide under it. (The Peru 2021 first round's
  result sat 8.2 sds below before the boundary rules above; it now fits, z −0.10.)

With ``by`` the excess and z are also given per area at that level (each table keeps its own null,
so the areas' figures add up to the national ones): the paper's geographical analysis.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl
from scipy import special

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import STATUS_NOT_APPLICABLE, STATUS_OK, ForensicResult, choice_word, not_applicable

MIN_DENOMINATOR = 100
MIN_SIDE = 10
"""The leader's result is read only where the leader has at least this many votes and the other
ballots number at least this many: :func:`result_included`."""
TOLERANCE = 0.05
"""Percentage points either side of a whole number within which a percentage counts as integer."""
DRAWS = 1000
MISFIT_Z = -3.0
"""A statistic this many of the null's sds (or more) **below** the null's mean says the null does not
describe the data: the test is one-sided (only an excess of round percentages is a trace of written-in
figures), and a null that expects far more integer tables than there are could hide an excess under
it. Then the statistic cannot tell. At −3 an honest election that the null describes lands there about
once in 740 (the normal's lower tail; the null's count is a sum of many independent Bernoullis)."""
NULL_TEXT = (
    "binomial Monte Carlo: ballots redrawn as Binomial(electors, turnout) where there are electors, "
    "the leader's votes as Binomial(those ballots, result); each table's probabilities under that redraw "
    "computed exactly, the replicates drawn from them"
)
RESULT_NULL_TEXT = (
    "binomial Monte Carlo: the leader's votes redrawn as Binomial(ballots cast, result); each table's "
    "probability computed exactly, the replicates drawn from them"
)


RESULT_WHOLE = (1, 99)
"""The whole percentages the leader's result is integer at: 1 % to 99 %. A result of 0 % or 100 % is not
counted, on the observed side or the null's. The binomial redraw cannot reproduce that boundary: a
count of 0 (or of every ballot) redraws onto itself with certainty, and a count of 1 to 4 lands on 0
with a probability of about e^(−count), convex in the count, so around the boundary the redraw puts far
more tables on it than counting does (a leader at a share λ/c per table has 0 votes with probability
e^(−λ), the redraw of its count e^(−0.63·λ) on average). The Peru 2021 first round's result sat 8.2
sds below its null from the tables where Perú Libre got 1 to 4 votes alone. A choice at 0 % or 100 %
is not the round figure this test looks for; the anomaly checks report a choice at 100 %."""
TURNOUT_WHOLE = (0, 100)
"""The whole percentages the turnout is integer at: every one, 100 % included. Counting 100 % is kept
because the turnout's null fits with it on the clean elections measured: on 150 clean Bolivias the
turnout's z has mean −0.05 with 100 % counted and +0.26 without it (above 1.645 on 8 % of them), the
redraw's overshoot onto 100 % offsetting a shortfall of its own nearer the peak of the turnouts
(docs/forensics-integer-percentages.md, "0 % and 100 %"). A turnout of 0 % is below the inclusion rule's
reach in practice (a table of 100 electors or more with no ballot)."""


def is_integer_percent(
    v: np.ndarray, n: np.ndarray, tolerance: float = TOLERANCE, whole: tuple[int, int] = TURNOUT_WHOLE
) -> np.ndarray:
    """Whether 100·v/n is within ``tolerance`` points of a whole number k with whole[0] ≤ k ≤ whole[1]
    (False where n is 0): :data:`TURNOUT_WHOLE` for the turnout, :data:`RESULT_WHOLE` for the result."""
    v = np.asarray(v, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    x = 100.0 * v / np.maximum(n, 1)
    k = np.round(x)
    return (n > 0) & (np.abs(x - k) <= tolerance + 1e-9) & (k >= whole[0]) & (k <= whole[1])


WIDTH = 5.3
"""Standard deviations from a binomial's mean within which its mass is summed: the redrawn (ballots,
votes) pair is summed over the ellipse z_ballots² + z_votes² ≤ WIDTH² (plus :data:`SLACK` counts),
outside which a bivariate normal holds exp(−WIDTH²/2) < 1e-6 of its mass."""
SLACK = 3
"""Counts added to every window: the binomial's tails are longer than the normal's where p is near 0 or 1."""


def integer_probability(
    v: np.ndarray,
    n: np.ndarray,
    *,
    tolerance: float = TOLERANCE,
    whole: tuple[int, int] = TURNOUT_WHOLE,
    side: int = 0,
) -> np.ndarray:
    """P(100·v*/n is integer) per table for v* ~ Binomial(n, v/n), exactly (within :data:`WIDTH` sd).

    With ``side`` > 0 (the result: :data:`MIN_SIDE`) the redraw is reflected at the edges of the range
    the observed count is read in, side ≤ v* ≤ n − side (:class:`_IntegerLattice`).

    Tables with the same count and denominator have the same probability: it is computed once per
    distinct pair (a million synthetic tables hold about 20,000 pairs).
    """
    v = np.asarray(v, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    if len(v) == 0:
        return np.zeros(0)
    pairs, where = np.unique(np.stack([n, v]), axis=1, return_inverse=True)
    nn, vv = pairs
    p = vv / np.maximum(nn, 1)
    lattice = _IntegerLattice(np.unique(nn[nn > 0]), tolerance, whole, side)
    half = WIDTH * np.sqrt(nn * p * (1 - p)) + SLACK
    return np.minimum(lattice.sums(nn, p, np.zeros(len(nn)), half), 1.0)[where.reshape(-1)]


class _IntegerLattice:
    """The integer counts of every denominator in ``n_values``: the x in [0, n] whose 100·x/n is
    within ``tolerance`` points of a whole number (exactly the counts :func:`is_integer_percent`
    accepts), sorted by n then x, so that a denominator's integer counts inside any window are one
    slice, found by binary search; with each its log binomial coefficient log C(n, x).

    Summing a binomial's pmf over those counts only is what makes the exact null cheap: about one
    count in ten is integer, and the others are never visited.

    With ``side`` > 0 the counts are those of the redraw **reflected** at the edges of the range a count
    is read in, side ≤ x ≤ n − side (:func:`result_included`): a redrawn count x below ``side`` stands
    for the count 2·side − 1 − x, one above n − side for 2(n − side) + 1 − x, so the lattice holds the
    integer counts inside the range and the mirror images of those within ``side`` of its edges. Why:
    an included table's redraw that leaves the range was counted on the integer counts outside it,
    which the observed side never reads, and how dense those are next to the edge is arithmetic (at
    200 ballots every even count below 10 is a whole percentage; at 202 there is none from 11 to 90):
    on clean Peru-2021-first-round shapes, whose leader has 10 to 20 votes at thousands of tables,
    that put the null 11 integer results an election short (z +0.14). Reflected, each table keeps its
    whole mass inside the range, on the same integer counts the observed side reads; for a symmetric
    kernel the reflected one is doubly stochastic, so where tables are evenly spread across the edge
    the expected count no longer depends on the integer counts near it (docs/forensics-integer-percentages.md).
    """

    def __init__(self, n_values: np.ndarray, tolerance: float, whole: tuple[int, int] = TURNOUT_WHOLE, side: int = 0) -> None:
        self.n_values = np.asarray(n_values, dtype=np.int64)
        self.tolerance, self.whole = tolerance, whole
        n = np.repeat(self.n_values, 101)
        k = np.tile(np.arange(101, dtype=np.float64), len(self.n_values))
        # Each whole percentage k holds the counts in [(k − tol)·n/100, (k + tol)·n/100]; the slack
        # only widens the candidates, which is_integer_percent then decides (so the two agree).
        first = np.maximum(np.ceil((k - tolerance) * n / 100 - 1e-6), 0).astype(np.int64)
        last = np.minimum(np.floor((k + tolerance) * n / 100 + 1e-6), n).astype(np.int64)
        cnt = np.maximum(last - first + 1, 0)
        rows = np.repeat(np.arange(len(n)), cnt)
        x = first[rows] + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        ok = is_integer_percent(x, n[rows], tolerance, whole)
        rows, x = rows[ok], x[ok]
        if side > 0:
            rows, x = _reflected(rows, x, n[rows], side)
        self.stride = int(self.n_values.max(initial=0)) + 1
        self.index = np.zeros(self.stride, dtype=np.int64)  # n → its place in n_values
        self.index[self.n_values] = np.arange(len(self.n_values))
        self.x = x
        self.keys = (rows // 101) * self.stride + x
        log_fact = special.gammaln(np.arange(self.stride + 1, dtype=np.float64) + 1)
        nx = n[rows]
        self.log_choose = log_fact[nx] - log_fact[x] - log_fact[nx - x]

    def sums(self, n: np.ndarray, p: np.ndarray, log_weight: np.ndarray, half: np.ndarray) -> np.ndarray:
        """Per element, exp(log_weight) × P(X integer and |X − n·p| ≤ half) for X ~ Binomial(n, p).

        One flat pass over the integer counts inside every element's window: each costs a few
        additions and one exp (the log pmf is log C(n, x) + x·logit p + n·log(1 − p)), and the sums
        are taken segment by segment (``np.add.reduceat``).
        """
        n = np.asarray(n, dtype=np.int64)
        p = np.asarray(p, dtype=np.float64)
        out = np.zeros(len(n))
        degenerate = (n > 0) & ((p <= 0) | (p >= 1))
        at = np.where(p[degenerate] <= 0, 0, n[degenerate])  # X is 0 or n: 0 % or 100 %, not integer
        out[degenerate] = np.exp(log_weight[degenerate]) * is_integer_percent(at, n[degenerate], self.tolerance, self.whole)
        live = np.flatnonzero((n > 0) & ~degenerate)
        if len(live) == 0:
            return out
        nl, pl_ = n[live], p[live]
        mean = nl * pl_
        lo = np.maximum(np.ceil(mean - half[live]), 0).astype(np.int64)
        hi = np.minimum(np.floor(mean + half[live]), nl).astype(np.int64)
        base = self.index[nl] * self.stride
        start = np.searchsorted(self.keys, base + lo, side="left")
        cnt = np.searchsorted(self.keys, base + hi, side="right") - start
        some = np.flatnonzero(cnt > 0)
        if len(some) == 0:
            return out
        start, cnt = start[some], cnt[some]
        offsets = np.cumsum(cnt) - cnt
        pos = np.arange(int(cnt.sum())) + np.repeat(start - offsets, cnt)
        log1m = np.log1p(-pl_[some])
        logit = np.log(pl_[some]) - log1m
        terms = self.log_choose[pos] + self.x[pos] * np.repeat(logit, cnt)
        terms += np.repeat(log_weight[live][some] + nl[some] * log1m, cnt)
        np.exp(terms, out=terms)
        out[live[some]] = np.add.reduceat(terms, offsets)
        return out


def reflected(x: np.ndarray, n: np.ndarray, side: int = MIN_SIDE) -> np.ndarray:
    """The count a redrawn count x out of n stands for when the redraw is reflected at the edges of the
    range side ≤ x ≤ n − side (:class:`_IntegerLattice`): x inside, 2·side − 1 − x below it,
    2(n − side) + 1 − x above it; −1 (no count) where n < 2·side. Table by table, it is what the exact
    sums add up (the tests' brute-force reference)."""
    x, n = np.asarray(x, dtype=np.int64), np.asarray(n, dtype=np.int64)
    out = np.where(x < side, 2 * side - 1 - x, np.where(x > n - side, 2 * (n - side) + 1 - x, x))
    return np.where(n >= 2 * side, out, -1)


def _reflected(rows: np.ndarray, x: np.ndarray, n: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The integer counts x of each row (denominator n) inside side ≤ x ≤ n − side, with the mirror
    images 2·side − 1 − x of those below 2·side and 2(n − side) + 1 − x of those above n − 2·side,
    sorted by denominator then count (:class:`_IntegerLattice`: 101 rows a denominator). Rows with
    n < 2·side keep no count."""
    inside = (x >= side) & (x <= n - side)
    low = inside & (x <= 2 * side - 1)
    high = inside & (x >= n - 2 * side + 1)
    rows = np.concatenate([rows[inside], rows[low], rows[high]])
    x = np.concatenate([x[inside], 2 * side - 1 - x[low], 2 * (n[high] - side) + 1 - x[high]])
    order = np.lexsort((x, rows // 101))
    return rows[order], x[order]


Q_RESOLUTION = 1e-3
"""Tables are pooled by their probability of an integer rounded to this step for the Monte Carlo."""


def null_counts(q: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` Monte-Carlo replicates of the number of integer tables, each table Bernoulli(q).

    Vectorised by pooling: the tables whose q rounds to the same multiple of :data:`Q_RESOLUTION`
    form a pool whose number of integer tables is Binomial(pool size, the pool's **mean** q) — one
    binomial draw per pool and replicate instead of one uniform per table. How exact that is: the
    mean is the sum of the q's exactly; the variance exceeds the sum of q(1 − q) by the pool's spread
    of q, at most (Q_RESOLUTION/2)² = 2.5e-7 a table (a millionth of the variance of a table with
    q = 0.1: conservative, and far below what 1,000 replicates resolve); higher moments differ by
    as little. Rounding each pool to its step instead moved the expectation by a third of a step a
    table where most tables share one q (Peru: 68,000 tables of 300 electors, q = 1/3 rounded to
    0.333, 23 integer tables fewer expected, 0.17 of the null's sd: 8 % false alarms on the turnout
    at α = 5 %). Tables with a q too small to round to a step keep a pool of their own for the same
    reason.
    """
    q = np.asarray(q, dtype=np.float64)
    q = q[q > 0]
    if len(q) == 0:
        return np.zeros(draws, dtype=np.int64)
    _, pool, sizes = np.unique(np.round(q / Q_RESOLUTION).astype(np.int64), return_inverse=True, return_counts=True)
    p = np.minimum(np.bincount(pool.reshape(-1), weights=q) / sizes, 1.0)
    return rng.binomial(sizes[None, :], p[None, :], size=(draws, len(sizes))).sum(axis=1)


CHUNK_POINTS = 1 << 18
"""Integer counts summed at once by :func:`joint_probabilities`: arrays that stay in cache (larger
chunks were slower, smaller ones pay Python's overhead)."""


def joint_probabilities(
    electors: np.ndarray,
    cast: np.ndarray,
    w: np.ndarray,
    in_t: np.ndarray,
    in_r: np.ndarray,
    *,
    tolerance: float = TOLERANCE,
    chunk_points: int = CHUNK_POINTS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each table's probability of an integer turnout, an integer result and either, under the
    paper's joint redraw: ballots c* ~ Binomial(electors, c/electors), then the leader's votes
    w* ~ Binomial(c*, w/c) from those ballots.

    Exactly: a sum over the ballots c* near c of P(c*) × 1[turnout integer at c*] and
    P(c*) × P(w* integer | c*) (the binomial mass on the integer counts of c*: :class:`_IntegerLattice`),
    so P(either) = Σ P(c*)·(1[turnout integer] + P(w* integer | c*) − 1[turnout integer]·P(w* integer | c*)).
    That is not q_t + q_r − q_t·q_r: whether c* is a whole percentage of the electors and whether the
    leader's votes are a whole percentage of c* both depend on c*. Where the turnout is undefined or
    above 100 % the ballots are kept as observed (c* = c). Tables alike in electors, ballots, votes
    and inclusion are computed once (most of Peru's and the synthetic tables have 300 electors).
    """
    m = len(cast)
    out = np.zeros((3, m))
    live = np.flatnonzero(in_t | in_r)
    if len(live) == 0:
        return out[0], out[1], out[2]
    e = np.asarray(electors, dtype=np.int64)[live]
    c = np.asarray(cast, dtype=np.int64)[live]
    v = np.asarray(w, dtype=np.int64)[live]
    e = np.where((e > 0) & (c <= e), e, 0)  # 0: the ballots are not redrawn
    rows, where = np.unique(
        np.stack([e, c, v, in_t[live].astype(np.int64), in_r[live].astype(np.int64)]), axis=1, return_inverse=True
    )
    q = _joint_rows(*rows, tolerance=tolerance, chunk_points=chunk_points)
    out[:, live] = q[:, where.reshape(-1)]
    return out[0], out[1], out[2]


def _joint_rows(
    e: np.ndarray, c: np.ndarray, v: np.ndarray, t: np.ndarray, r: np.ndarray, *, tolerance: float, chunk_points: int
) -> np.ndarray:
    """:func:`joint_probabilities` for distinct tables (e = 0: ballots kept), rows (turnout, result, either).

    The (c*, w*) pairs summed over are those of the ellipse z_c² + z_w² ≤ WIDTH² (z_w measured in
    w*'s sd given c*), widened by :data:`SLACK` counts each way.
    """
    t, r = t.astype(bool), r.astype(bool)
    moving = (e > 0) & (c > 0) & (c < e)
    p_t = np.where(moving, c / np.maximum(e, 1), 0.5)
    p_r = np.where(c > 0, v / np.maximum(c, 1), 0.0)
    sd_c = np.where(moving, np.sqrt(e * p_t * (1 - p_t)), 0.0)
    lo = np.where(moving, np.maximum(np.ceil(c - WIDTH * sd_c - SLACK), 0), c).astype(np.int64)
    hi = np.where(moving, np.minimum(np.floor(c + WIDTH * sd_c + SLACK), e), c).astype(np.int64)
    # The denominators whose integer counts are needed: every c* of a table whose result is tested.
    cover = np.zeros(int(hi.max()) + 2, dtype=np.int64)
    np.add.at(cover, lo[r], 1)
    np.add.at(cover, hi[r] + 1, -1)
    needed = np.flatnonzero(np.cumsum(cover)[:-1] > 0)
    lattice = _IntegerLattice(needed[needed > 0], tolerance, RESULT_WHOLE, MIN_SIDE)
    log_fact = special.gammaln(np.arange(max(int(e.max()), 1) + 1, dtype=np.float64) + 1)
    head = np.where(moving, log_fact[e] + e * np.log1p(-p_t), 0.0)
    logit = np.where(moving, np.log(p_t) - np.log1p(-p_t), 0.0)
    span = hi - lo + 1
    cost = span * (1 + r * (0.12 * (2 * WIDTH * np.sqrt(c * p_r * (1 - p_r)) + 2 * SLACK) + 1))
    bounds = np.searchsorted(np.cumsum(cost), np.arange(1, int(cost.sum() // chunk_points) + 1) * chunk_points)
    q = np.zeros((3, len(c)))
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(c)], strict=True):
        if a >= b:
            continue
        n = span[a:b]
        row = np.repeat(np.arange(a, b), n)
        cs = np.repeat(lo[a:b], n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
        ec, mv = e[row], moving[row]
        log_p = np.where(mv, head[row] - log_fact[cs] - log_fact[np.where(mv, ec - cs, 0)] + cs * logit[row], 0.0)
        it = t[row] & is_integer_percent(cs, ec, tolerance)
        pr = p_r[row]
        z2 = np.where(mv, ((cs - c[row]) / np.maximum(sd_c[row], 1e-12)) ** 2, 0.0)
        half = np.sqrt(np.maximum(WIDTH**2 - z2, 0.0) * cs * pr * (1 - pr)) + SLACK
        joint = np.zeros(len(cs))  # P(c*) × P(w* integer | c*)
        tested = np.flatnonzero(r[row])
        joint[tested] = lattice.sums(cs[tested], pr[tested], log_p[tested], half[tested])
        local = row - a
        turnout = np.bincount(local, weights=np.exp(log_p) * it, minlength=b - a)
        q[0, a:b] = turnout
        q[1, a:b] = np.bincount(local, weights=joint, minlength=b - a)
        q[2, a:b] = turnout + q[1, a:b] - np.bincount(local, weights=joint * it, minlength=b - a)
    return np.clip(q, 0.0, 1.0)


def result_included(cast: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The tables whose leader's result is read: at least :data:`MIN_DENOMINATOR` ballots (the paper's
    rule) and at least :data:`MIN_SIDE` votes for the leader and :data:`MIN_SIDE` other ballots.

    Why the second rule: the binomial redraw of a count near 0 (or near every ballot) is not smooth
    there. Counting tables near the boundary pile up on it — a leader with a share of λ/c a table has
    0 votes with probability e^(−λ) — while the redraw of an observed count w lands on 0 with
    probability about e^(−w), and that is convex in w, so the null puts more tables on 0 than counting
    does and fewer on the whole percentages next to it (1 %, 2 % …). With 0 % counted as a whole
    percentage that sank the null 8.2 sds below the Peru 2021 first round's result (tables where Perú
    Libre got 1 to 4 votes); without it, clean elections with a leader of a few votes a table ran the
    other way (z +4 on 6,000 tables at a 0.9 % share). A table left out at w < 10 costs nothing else: the
    integer counts are as dense just above 10 votes as anywhere, so a null whose redraws cross the
    cut-off still expects the count the included tables give (the redraw from 10 votes reaches 0 with
    probability 5e-5).
    """
    cast, w = np.asarray(cast), np.asarray(w)
    return (cast >= MIN_DENOMINATOR) & (w >= MIN_SIDE) & (cast - w >= MIN_SIDE)


def either_probability(q_t: np.ndarray, q_r: np.ndarray, both: np.ndarray) -> np.ndarray:
    """P(integer turnout or integer result) per table: q_t + q_r − P(both), each term from the null that
    measures it without bias on clean elections.

    - q_t, the turnout, and ``both``, the two together, from the joint redraw
      (:func:`joint_probabilities`): whether c* is a whole percentage of the electors and whether w* is
      one of c* both depend on c*, so the overlap must come from one draw of c* (drawing the two
      independently, q_t·q_r, over-expected the overlap by 17 tables an election on clean Bolivias and
      under-expected "either" by as much).
    - q_r, the result, at the **observed** ballots (:func:`integer_probability`), as for the result alone.
      The joint redraw's own result probability smooths the ballots a second time (the observed
      ballots are already one draw around the truth), and the share of integer counts swings with the
      ballots — half of them at 200 ballots, one in ten at 201 —, so its total falls short where the
      ballots pile up near such a count: 24 integer results an election short on clean Bolivias (whose
      median is 203 ballots), which put "either" a third of an sd low and flagged 6.9 % of 595 clean
      Bolivias at α = 5 %.

    Each term's sum is the expected count it stands for, so the sum of the result is the expected count
    of "either"; a table's own value is clipped to [0, 1].
    """
    return np.clip(q_t + q_r - both, 0.0, 1.0)


def _figures(observed: int, null: np.ndarray, q: np.ndarray) -> dict[str, float]:
    """Expected count and its sd are the null's own, exactly (Σq and √Σq(1 − q): the tables are
    independent under the redraw), so excess and z carry no Monte-Carlo noise and do not move with
    the seed; p is the replicates' one-sided tail, with the usual +1."""
    mean = float(q.sum())
    sd = float(np.sqrt(np.sum(q * (1 - q))))
    excess = observed - mean
    return {
        "observed": observed,
        "expected": mean,
        "excess": excess,
        "z": excess / sd if sd > 0 else (0.0 if excess == 0 else float("inf")),
        "p_value": float((1 + np.sum(null >= observed)) / (1 + len(null))),
    }


def test(
    frame: pl.DataFrame,
    *,
    winner: str,
    by: str | None = None,
    draws: int = DRAWS,
    seed: int = 0,
    level_label: str | None = None,
    choice_names: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> list[ForensicResult]:
    """Kobak et al.'s integer-percentage test: one result each for "either", turnout and the result.
    ``choice_names`` names the leader in the wording as the election does (its id stays in JSON);
    ``alpha`` is the run's level, which the wording follows (the verdict is p < alpha)."""
    f = fr.counted(frame)
    who = choice_word(winner, choice_names)
    names = ("integer_peaks.either", "integer_peaks.turnout", "integer_peaks.winner")
    if not fr.has_electors(f):
        why = "no registered electors, so turnout is undefined and the paper's statistic cannot be formed"
        return [
            not_applicable(names[0], why + "."),
            not_applicable(names[1], why + "."),
            _result_only(f, winner, by, draws, seed, level_label, who, alpha),
        ]
    electors, cast = fr.as_int(f, tf.ELECTORS), fr.as_int(f, tf.CAST)
    w = fr.as_int(f, tf.choice_column(winner))
    in_t = (electors >= MIN_DENOMINATOR) & (cast <= electors)
    in_r = result_included(cast, w)
    keep = in_t | in_r
    if keep.sum() < 50:
        why = f"fewer than 50 tables with at least {MIN_DENOMINATOR} electors or ballots."
        return [not_applicable(n, why) for n in names]
    rng = np.random.default_rng(seed)
    int_t = in_t & is_integer_percent(cast, electors)
    int_r = in_r & is_integer_percent(w, cast, whole=RESULT_WHOLE)
    q_t, q_rj, q_ej = joint_probabilities(electors, cast, w, in_t, in_r)
    # The result is weighed at its observed ballots, alone and inside "either" (the module's docstring).
    q_r = np.where(in_r, integer_probability(w, cast, whole=RESULT_WHOLE, side=MIN_SIDE), 0.0)
    q_e = either_probability(q_t, q_r, q_t + q_rj - q_ej)
    null_t, null_r, null_e = (null_counts(q, draws, rng) for q in (q_t, q_r, q_e))
    area = _areas(f, by)
    out = []
    pct_t = 100.0 * cast / np.maximum(electors, 1)
    pct_r = 100.0 * w / np.maximum(cast, 1)
    for name, flags, q, use, what, pct, null in (
        (names[0], int_t | int_r, q_e, keep, "an integer turnout or an integer result for " + who, None, null_e),
        (names[1], int_t, q_t, in_t, "an integer turnout", pct_t, null_t),
        (names[2], int_r, q_r, in_r, f"an integer result for {who}", pct_r, null_r),
    ):
        out.append(_one(f, name, flags & use, q * use, use, what, null, area, by, level_label, pct, alpha))
    return out


def _result_only(
    f: pl.DataFrame, winner: str, by: str | None, draws: int, seed: int, level_label: str | None, who: str, alpha: float
) -> ForensicResult:
    cast = fr.as_int(f, tf.CAST)
    w = fr.as_int(f, tf.choice_column(winner))
    use = result_included(cast, w)
    if use.sum() < 50:
        return not_applicable("integer_peaks.winner", f"fewer than 50 tables with at least {MIN_DENOMINATOR} ballots.")
    q = np.where(use, integer_probability(w, cast, whole=RESULT_WHOLE, side=MIN_SIDE), 0.0)
    return _one(
        f,
        "integer_peaks.winner",
        use & is_integer_percent(w, cast, whole=RESULT_WHOLE),
        q,
        use,
        f"an integer result for {who}",
        null_counts(q, draws, np.random.default_rng(seed)),
        _areas(f, by),
        by,
        level_label,
        100.0 * w / np.maximum(cast, 1),
        alpha,
    )


def _areas(f: pl.DataFrame, by: str | None) -> np.ndarray | None:
    if by is None or by == "national":
        return None
    return fr.area_labels(f, by)


def _one(
    f: pl.DataFrame,
    name: str,
    flags: np.ndarray,
    q: np.ndarray,
    use: np.ndarray,
    what: str,
    null: np.ndarray,
    area: np.ndarray | None,
    by: str | None,
    level_label: str | None,
    pct: np.ndarray | None,
    alpha: float,
) -> ForensicResult:
    observed = int(flags.sum())
    draws = len(null)
    figs = _figures(observed, null, q[use])
    p = figs.pop("p_value")
    n_used = int(use.sum())
    by_area = _by_area(flags, q, use, area) if area is not None else []
    label = level_label or by
    misfit = figs["z"] <= MISFIT_Z
    seen = (
        f"{observed:,} of {n_used:,} tables report {what} (within {TOLERANCE} points of a whole percentage), "
        f"against {figs['expected']:,.0f} expected when every table's counts are redrawn binomially around "
        f"themselves ({draws:,} draws)"
    )
    if misfit:
        reading = (
            f"Cannot tell: {seen}: {-figs['excess']:,.0f} fewer, z = {figs['z']:.1f}. The data sit far below "
            f"what the null expects ({-MISFIT_Z:.0f} or more of its sds), so the null does not describe how "
            "these tables' percentages fall, and the test cannot read integer peaks here: an excess of round "
            "percentages could hide under a null this far above the data."
        )
    else:
        reading = (
            f"{seen}: excess {figs['excess']:+,.0f}, z = {figs['z']:.1f}, {fr.fmt_p(p)}. "
            + (
                "Round percentages are more frequent than counting produces by chance; figures written to a "
                "target leave this trace, and so would any other reason officials round a table's numbers."
                if p < alpha
                else "Round percentages are no more frequent than counting produces by chance."
            )
            + (f" The excess by {label} is in the estimates (largest first)." if by_area else "")
        )
    null_edges = np.linspace(null.min() - 0.5, max(null.max(), observed) + 0.5, 41)
    figures = {
        f"{name.split('.')[-1]}_integer_null": {
            "kind": "histogram",
            "x_label": f"number of tables with {what}: null draws (observed {observed:,})",
            "edges": null_edges.tolist(),
            "counts": np.histogram(null, bins=null_edges)[0].tolist(),
        }
    }
    if pct is not None:
        pct_edges = np.linspace(0, 100, 1001)
        figures[f"{name.split('.')[-1]}_fine_histogram"] = {
            "kind": "histogram",
            "x_label": "percentage, bins of 0.1 point",
            "edges": pct_edges.tolist(),
            "counts": np.histogram(pct[use], bins=pct_edges)[0].tolist(),
        }
    return ForensicResult(
        test=name,
        statistic=float(observed),
        statistic_name="integer_tables",
        p_value=None if misfit else p,
        interval=(float(np.quantile(null, 0.025)), float(np.quantile(null, 0.975))),
        reading=reading,
        # No table: the test weighs the whole election, and most tables with a round percentage
        # have it by chance (Russia 2011: 20,208 of them for an excess of about 900). Naming them
        # read as "table X was flagged"; where the excess lies is in ``by_area``.
        tables=(),
        caveats=(
            f"Only tables with at least {MIN_DENOMINATOR} electors (turnout) or ballots (result) are used, as in the "
            f"paper; the result is read only where the leader has at least {MIN_SIDE} votes and the other ballots number "
            f"at least {MIN_SIDE}, a rule of this project's, not the paper's (near 0 the binomial redraw of a count "
            "misplaces the whole percentages: result_included).",
            "An excess spread over tens of thousands of tables can come from a few areas: see the excess by area.",
            f"A count {-MISFIT_Z:.0f} or more of the null's sds below its mean means the null does not fit: cannot tell.",
            "Each table's counts are redrawn around themselves, so the null needs no peers: the count, the "
            "expected count, z and p are the nation's at any --by, which sets only the areas the excess is split "
            "by (estimates.by_area).",
            "It names no table: most tables with a round percentage have it by chance, as the expected count says.",
        )
        + (
            (f"estimates.by_area lists the {BY_AREA_MOST} {label} areas of largest excess, of {len(by_area):,}.",)
            if len(by_area) > BY_AREA_MOST
            else ()
        ),
        status=STATUS_NOT_APPLICABLE if misfit else STATUS_OK,
        estimates={
            **figs,
            "p_excess": p,
            "null_misfit": misfit,
            "misfit_z": MISFIT_Z,
            "n_tables": n_used,
            "tolerance_points": TOLERANCE,
            "by_area": by_area[:BY_AREA_MOST],
            "by_area_level": label,
            "by_area_areas": len(by_area),
            "by_area_cut": len(by_area) > BY_AREA_MOST,
            "null_peers": "none (each table redrawn around itself)",
        },
        null=RESULT_NULL_TEXT if name.endswith(".winner") else NULL_TEXT,
        draws=draws,
        level="national",  # the level its figures are of, at any --by (which only splits the excess)
        details={},
        figures=figures,
    )


BY_AREA_MOST = 30
"""Areas of largest excess the result lists (Russia has about 2,700 territorial commissions); the
result says how many there are and that the list is cut."""


def _by_area(flags: np.ndarray, q: np.ndarray, use: np.ndarray, area: np.ndarray) -> list[dict]:
    """Observed, expected, excess and z (exact Bernoulli variance) per area, largest excess first."""
    df = pl.DataFrame({"area": area[use], "x": flags[use].astype(np.int64), "q": q[use]})
    g = (
        df.group_by("area")
        .agg(
            pl.len().alias("tables"),
            pl.col("x").sum().alias("observed"),
            pl.col("q").sum().alias("expected"),
            (pl.col("q") * (1 - pl.col("q"))).sum().alias("var"),
        )
        .with_columns((pl.col("observed") - pl.col("expected")).alias("excess"))
    )
    g = g.with_columns((pl.col("excess") / pl.col("var").sqrt().clip(1e-9)).alias("z")).sort("excess", descending=True)
    return [
        {
            "area": r["area"],
            "tables": r["tables"],
            "observed": r["observed"],
            "expected": r["expected"],
            "excess": r["excess"],
            "z": r["z"],
        }
        for r in g.iter_rows(named=True)
    ]
