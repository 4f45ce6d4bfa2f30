"""Minerva (Zagórski, McClearn, Morin, McBurnett & Vora 2021): risks, kmins and round sizes, by the
exact binomial law at every size and for every round.

Minerva is a ballot-polling test built for audits in rounds. For the pair (winner, loser) with
the winner's reported share s_w of the pair's votes, let K_j be the winner's ballots among the
first n_j ballots for the pair (n_1 < n_2 < ... cumulative round sizes). The audit goes on past
round i only when K_i < kmin_i, so round j looks at the paths that have not stopped before:

    tail_p(k) = P_p(K_j >= k and K_i < kmin_i for every i < j)       (p = 1/2 or p = s_w)
    risk_j    = min(1, tail_(1/2)(k_j) / tail_(s_w)(k_j))

and round j's *kmin* is the least k with tail_(1/2)(k) <= alpha tail_(s_w)(k): the round confirms
when k_j >= kmin_j (r2b2 writes ``None`` for a round too small to have a kmin; here it is
n_j + 1). In the first round the tails are the binomial laws' upper tails. The distributions of
the paths are built round by round: convolve with Binomial(n_j - n_(j-1), p), cut at kmin_j.

Numbers. First-round tails are computed in log space (:func:`log_binomial_sf`: scipy's log tail,
continued by a log-sum of the probability mass function where the tail is below 1e-300), so a
risk never underflows to 0/0 and never jumps to 1 when the evidence grows: on an all-winner
sample of 17,605 ballots the risk is a tiny positive number (or 0.0 once below 1e-308), never
1.0. Later rounds convolve the path distributions (direct convolution for small rounds, FFT for
large ones, supports trimmed 12 standard deviations out) and take the tail at the observed k in
log space too.

Round sizes. The chance that a first round of n ballots confirms a correct result is its
stopping probability ``P_(s_w)(K >= kmin(n))``, a saw-tooth in n (one ballot more can need one
more winner vote). The size for probability q is the least n whose stopping probability is at
least q at n, n + 1 and n + 2 (:data:`STABLE_SIZES`), so that a round that ends a ballot or two
larger than planned does not fall into a tooth below q. athena's sizes for small contests follow
this rule (the reference's 111, 138, 179); r2b2's sizes reach q at their own size but often not
one ballot later (17,272 for 51 % at 10 %, where this rule gives 17,336).

It is computed with the exact law at every size: by scanning every n from 1 when the normal
approximation's size is at most SCAN_LIMIT / 2 (:data:`SCAN_LIMIT`), otherwise in a window
around that size, widened downwards until a stretch of :data:`GUARD_SIZES` sizes none of which
reaches q lies below the answer. That stretch is many teeth long (kmin grows by one every two
sizes or so), so the saw-tooth's upper envelope, which rises with n, is below q there and no
smaller size can reach q at all. The normal approximation alone (athena's rule for large
contests, and this module's above 10,000 pair ballots before) falls short: athena's 88,619
ballots for the 50.5 % / 49.5 % contest at 5 % stop with probability 0.8992 under the exact law.

Later rounds: :func:`minerva_next_round_size` gives the least cumulative size whose round
confirms with probability q *given the rounds so far* (the paths cut at every earlier kmin, the
observed winner count as the next round's start, as r2b2 computes it; r2b2's 305 after 54 of
100 for 60 % at 10 % is reproduced), by the same three-sizes rule.

Round sizes count ballots for the pair; with ballots for neither candidate in the contest they
are scaled by ballots / (pair's votes) and rounded up (the expected number of draws that holds
that many pair ballots). A loser with no votes (s_w = 1) is allowed: the alternative tail is 1
and the risk is the null tail alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import optimize, signal, special, stats

from escrutinio.audit.binomial import binomial_pmf, binomial_sf
from escrutinio.audit.bravo import DEFAULT_QUANTILES, PairShares, stopping_probability
from escrutinio.audit.risk import RiskLimitLike, as_risk_limit

STABLE_SIZES = 3
"""A round size n must reach q at n, n + 1, ..., n + STABLE_SIZES - 1."""

SCAN_LIMIT = 1 << 12
"""Largest first-round size (pair ballots) found by scanning every size from 1."""

EXACT_ROUND_LIMIT = SCAN_LIMIT
"""Kept for callers of earlier versions: sizes are exact at every size now; this is the scan limit."""

GUARD_SIZES = 256
"""Sizes below an answer of the exact search that must all fall short of q (see the module)."""

_MAX_ROUND = 1 << 40
"""No contest needs a round this large; the search gives up here instead of looping forever."""

_DEEP_TAIL = -690.0
"""Below this log tail (about 1e-300) scipy's log survival function is continued by a log-sum."""

_TRIM_SD = 12.0
"""Standard deviations kept on each side of a binomial's mean in later rounds (the rest is below 1e-32)."""

_DIRECT_CONVOLUTION = 1 << 12
"""Supports shorter than this are convolved directly (exactly); longer ones by FFT."""


# --- log-space binomial tails ----------------------------------------------------------------


def log_binomial_sf(k: np.ndarray | int, n: np.ndarray | int, p: float) -> np.ndarray:
    """ln P(K >= k) for K ~ Binomial(n, p), element-wise, finite wherever the tail is not empty.

    scipy's ``binom.logsf`` takes the log of a survival function that underflows to 0 below
    1e-308; there the tail is summed instead, in log space, from the probability mass function
    (whose log scipy computes directly), term by term until the terms no longer count.
    """
    k_arr, n_arr = np.broadcast_arrays(np.asarray(k, dtype=np.int64), np.asarray(n, dtype=np.int64))
    with np.errstate(divide="ignore"):
        out = np.log(binomial_sf(k_arr - 1, n_arr, p))
    out = np.where(k_arr <= 0, 0.0, out)
    out = np.where(k_arr > n_arr, -np.inf, out)
    flat, ks, ns = out.ravel(), k_arr.ravel(), n_arr.ravel()
    deep = np.flatnonzero((ks <= ns) & (ks > 0) & ~(flat > _DEEP_TAIL))
    if len(deep):
        flat[deep] = _deep_log_tails(ks[deep], ns[deep], p)
    return flat.reshape(out.shape)


_GRID_LIMIT = 1 << 22
"""Most terms summed at once by :func:`_deep_log_tails` (larger jobs go tail by tail)."""


def _deep_log_tails(k: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """ln P(K >= k) for upper tails below 1e-300, all at once: the terms P(K = k + j) fall at
    least as fast as r^j, r = (n - k) p / ((k + 1)(1 - p)) < 1, so ceil(45 / -ln r) terms (to
    e^-45 of the first) are enough; a grid of them is summed in log space."""
    with np.errstate(divide="ignore"):
        ratio = (n - k) / (k + 1.0) * (p / (1 - p))
        counts = np.where(ratio < 1, np.ceil(45 / -np.log(np.minimum(ratio, 1 - 1e-12))), np.inf)
    counts = np.clip(counts, 1, n - k + 1)
    width = int(counts.max()) if np.isfinite(counts).all() else _GRID_LIMIT + 1
    if width * len(k) > _GRID_LIMIT:
        return np.array([_log_tail_by_sum(int(a), int(b), p) for a, b in zip(k, n, strict=True)])
    j = np.arange(width)
    terms = stats.binom.logpmf(k[:, None] + j, n[:, None], p)
    terms = np.where(j[None, :] < counts[:, None], terms, -np.inf)
    return special.logsumexp(terms, axis=1)


def _log_tail_by_sum(k: int, n: int, p: float) -> float:
    """ln sum_{j >= k} P(K = j), by log-sum-exp over blocks of terms until they stop counting."""
    total = -np.inf
    start, block = k, 1024
    while start <= n:
        terms = stats.binom.logpmf(np.arange(start, min(n, start + block - 1) + 1), n, p)
        total = float(np.logaddexp(total, special.logsumexp(terms)))
        if terms[-1] < total - 50:
            break
        start += block
        block *= 2
    return total


def minerva_log_risk(winner_votes: int, loser_votes: int, sample_winner: int, sample_loser: int) -> float:
    """ln of a first round's risk: ln min(1, P_(1/2)(K >= k) / P_(s_w)(K >= k)), never NaN."""
    if min(sample_winner, sample_loser) < 0:
        raise ValueError("sample counts cannot be negative")
    share = float(PairShares(winner_votes, loser_votes, winner_votes + loser_votes).winner_share)
    n = sample_winner + sample_loser
    null_tail = float(log_binomial_sf(sample_winner, n, 0.5))
    alternative_tail = float(log_binomial_sf(sample_winner, n, share))
    if alternative_tail == -np.inf:
        return 0.0
    return min(0.0, null_tail - alternative_tail)


def minerva_one_round_risk(winner_votes: int, loser_votes: int, sample_winner: int, sample_loser: int) -> float:
    """Risk of a first round with ``sample_winner`` and ``sample_loser`` ballots for the pair."""
    return math.exp(minerva_log_risk(winner_votes, loser_votes, sample_winner, sample_loser))


# --- first-round kmins and stopping probabilities --------------------------------------------


def _confirms(k: np.ndarray, sizes: np.ndarray, share: float, log_alpha: float) -> np.ndarray:
    """Whether k winner ballots among ``sizes`` confirm in a first round (k > n: a sentinel, True)."""
    inside = np.minimum(k, sizes)
    ok = log_binomial_sf(inside, sizes, 0.5) <= log_alpha + log_binomial_sf(inside, sizes, share)
    return (k > sizes) | ok


def _bisect_kmins(sizes: np.ndarray, share: float, log_alpha: float, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Least k in [low, high] that confirms, for each size (``high`` must confirm, ``low - 1`` not)."""
    while (low < high).any():
        middle = (low + high) // 2
        confirms = _confirms(middle, sizes, share, log_alpha)
        high = np.where(confirms, middle, high)
        low = np.where(confirms, low, middle + 1)
    return low


def _first_round_kmins(sizes: np.ndarray, share: float, log_alpha: float) -> np.ndarray:
    """kmin for ascending ``sizes``; n + 1 where no k confirms.

    The tail ratio falls as k grows (the binomial family has a monotone likelihood ratio), so kmin
    is a bisection on k. For many sizes the bisection starts from a narrow bracket: kmin grows
    smoothly with n, so interpolating the kmins of the end sizes is within a few ballots; the
    bracket is checked and widened where it does not hold.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if len(sizes) <= 64:
        return _bisect_kmins(sizes, share, log_alpha, np.zeros_like(sizes), sizes + 1)
    ends = sizes[[0, -1]]
    end_kmins = _bisect_kmins(ends, share, log_alpha, np.zeros_like(ends), ends + 1)
    guess = np.rint(np.interp(sizes, ends, end_kmins)).astype(np.int64)
    width = np.full_like(sizes, 2)
    low, high = np.clip(guess - width, 0, sizes + 1), np.clip(guess + width, 0, sizes + 1)
    while True:
        bad_low = (low > 0) & _confirms(low - 1, sizes, share, log_alpha)
        bad_high = ~_confirms(high, sizes, share, log_alpha)
        if not (bad_low.any() or bad_high.any()):
            break
        width = np.where(bad_low | bad_high, width * 4, width)
        low = np.where(bad_low, np.clip(guess - width, 0, sizes + 1), low)
        high = np.where(bad_high, np.clip(guess + width, 0, sizes + 1), high)
    return _bisect_kmins(sizes, share, log_alpha, low, high)


def minerva_kmins(sizes: np.ndarray, share: float, risk_limit: RiskLimitLike) -> np.ndarray:
    """First-round kmin for every round size in ``sizes`` (exact binomial); n + 1 where no k confirms."""
    sizes = np.asarray(sizes, dtype=np.int64)
    order = np.argsort(sizes, kind="stable")
    kmins = np.empty_like(sizes)
    kmins[order] = _first_round_kmins(sizes[order], float(share), math.log(as_risk_limit(risk_limit)))
    return kmins


def minerva_stopping_probabilities(sizes: np.ndarray, share: float, risk_limit: RiskLimitLike) -> np.ndarray:
    """Chance that a first round of each size confirms a correct result (exact binomial)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    kmins = minerva_kmins(sizes, share, risk_limit)
    return np.exp(log_binomial_sf(kmins, sizes, float(share)))


def _stable(reached: np.ndarray) -> np.ndarray:
    """stable[i]: reached at i, i + 1, ..., i + STABLE_SIZES - 1 (length len(reached) - STABLE_SIZES + 1)."""
    count = len(reached) - STABLE_SIZES + 1
    stable = np.ones(count, dtype=bool)
    for offset in range(STABLE_SIZES):
        stable &= reached[offset : offset + count]
    return stable


# --- first-round sizes -----------------------------------------------------------------------


def _normal_stopping_probability(size: float, share: float, log_alpha: float) -> float:
    """Stopping probability of a round under the normal approximation of both laws (k real)."""
    null_sd = math.sqrt(size) / 2
    alt_sd = math.sqrt(size * share * (1 - share))
    if alt_sd == 0:
        return 1.0 if size * math.log(2) >= -log_alpha else 0.0

    def excess(k: float) -> float:
        return special.log_ndtr((size / 2 - k) / null_sd) - special.log_ndtr((size * share - k) / alt_sd) - log_alpha

    low, high = size / 2, size * share + 8 * alt_sd
    if excess(high) > 0:
        return 0.0
    kmin = optimize.brentq(excess, low, high, xtol=1e-12, rtol=1e-15)
    return float(special.ndtr((size * share - kmin) / alt_sd))


def _normal_round_size(share: float, alpha: Fraction, probability: float) -> int:
    """Least n whose normal-approximation stopping probability reaches ``probability`` (a start)."""
    log_alpha = math.log(alpha)
    high = 1
    while _normal_stopping_probability(high, share, log_alpha) < probability:
        high *= 2
        if high > _MAX_ROUND:
            raise ValueError("no round size reaches that stopping probability")
    low = high // 2
    while low < high:
        middle = (low + high) // 2
        if _normal_stopping_probability(middle, share, log_alpha) >= probability:
            high = middle
        else:
            low = middle + 1
    return low


def _window_half_width(share: float) -> int:
    """Half the first window of the exact search: about where the saw-tooth lets the stopping
    probability wander around its smooth trend (a few hundred to a few thousand sizes)."""
    return max(GUARD_SIZES, math.ceil(2 / max(share - 0.5, 1e-9)))


def _scan_round_size(share: float, alpha: Fraction, probability: float, start: int = 1) -> int | None:
    """Least stable size by scanning 1, 2, ... up to SCAN_LIMIT; None if beyond.

    The first scan reaches past the normal approximation's size ``start`` (a scan that stops
    short of the answer is thrown away, and each costs as much as all the smaller ones); the
    answer is the least stable size either way."""
    limit = max(64, min(SCAN_LIMIT, 1 << math.ceil(math.log2(max(1.25 * start, 1)))))
    while limit <= SCAN_LIMIT:
        sizes = np.arange(1, limit + STABLE_SIZES, dtype=np.int64)
        found = np.flatnonzero(_stable(minerva_stopping_probabilities(sizes, share, alpha) >= probability))
        if len(found):
            return int(sizes[found[0]])
        limit *= 2
    return None


def _window_round_size(share: float, alpha: Fraction, probability: float, start: int) -> int:
    """Least stable size in a window around the normal estimate ``start``, widened as the module says."""
    guard, half = GUARD_SIZES, _window_half_width(share)
    low, high = max(1, start - half), start + half
    while True:
        sizes = np.arange(low, high + STABLE_SIZES, dtype=np.int64)
        reached = minerva_stopping_probabilities(sizes, share, alpha) >= probability
        found = np.flatnonzero(_stable(reached))
        if not len(found):
            low, high = high - STABLE_SIZES, high + 2 * half
            if high > _MAX_ROUND:
                raise ValueError("no round size reaches that stopping probability")
            continue
        first = int(found[0])
        if low == 1 or _has_clear_stretch(reached[:first], guard):
            return int(sizes[first])
        low, high = max(1, low - 2 * half), low + guard


def _has_clear_stretch(reached_below: np.ndarray, guard: int) -> bool:
    """Whether ``guard`` consecutive sizes none of which reaches q lie below the answer."""
    run = 0
    for value in reached_below[::-1]:
        run = 0 if value else run + 1
        if run >= guard:
            return True
    return False


def minerva_pair_round_size(share: Fraction | float, risk_limit: RiskLimitLike, probability: Fraction | str) -> int:
    """First-round size in ballots *for the pair* that confirms with probability q (exact law)."""
    alpha = as_risk_limit(risk_limit)
    q = stopping_probability(probability)
    s = float(share)
    if not 0.5 < s <= 1:
        raise ValueError(f"the winner's share of the pair must be above 1/2, got {share}")
    start = _normal_round_size(s, alpha, q)
    scanned = _scan_round_size(s, alpha, q, start) if start <= SCAN_LIMIT // 2 else None
    return scanned if scanned is not None else _window_round_size(s, alpha, q, start)


def minerva_round_size(
    winner_votes: int, loser_votes: int, ballots: int, risk_limit: RiskLimitLike, probability: Fraction | str
) -> int:
    """Ballots to draw so that a first round confirms a correct result with the given probability."""
    share = PairShares(winner_votes, loser_votes, ballots).winner_share
    pair_ballots = minerva_pair_round_size(share, risk_limit, probability)
    return math.ceil(pair_ballots * Fraction(ballots, winner_votes + loser_votes))


def minerva_sample_sizes(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    quantiles: tuple[Fraction, ...] = DEFAULT_QUANTILES,
) -> dict[str, int]:
    """First-round sizes for each stopping probability, keyed as BRAVO's menu is ("0.9")."""
    return {format(float(q), "g"): minerva_round_size(winner_votes, loser_votes, ballots, risk_limit, q) for q in quantiles}


# --- later rounds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Paths:
    """Probabilities of the winner counts k = start, start + 1, ... on paths that have not stopped."""

    start: int
    mass: np.ndarray

    def log_tail(self, k: int, extra: int, p: float) -> float:
        """ln P(paths' count + Binomial(extra, p) >= k), summed in log space (no underflow)."""
        counts = self.start + np.arange(len(self.mass))
        with np.errstate(divide="ignore"):
            terms = np.log(self.mass) + log_binomial_sf(k - counts, extra, p)
        return float(special.logsumexp(terms)) if len(terms) else -np.inf


def _binomial_slice(extra: int, p: float) -> tuple[int, np.ndarray]:
    """Binomial(extra, p)'s probabilities where they are not negligible: (first count, masses)."""
    spread = _TRIM_SD * math.sqrt(extra * p * (1 - p)) + 1
    first, last = max(0, math.floor(extra * p - spread)), min(extra, math.ceil(extra * p + spread))
    return first, binomial_pmf(np.arange(first, last + 1), extra, p)


def _grow(paths: _Paths, extra: int, p: float) -> _Paths:
    """The paths after ``extra`` more pair ballots (a convolution with Binomial(extra, p))."""
    first, masses = _binomial_slice(extra, p)
    if min(len(paths.mass), len(masses)) < _DIRECT_CONVOLUTION:
        grown = np.convolve(paths.mass, masses)
    else:
        grown = np.clip(signal.fftconvolve(paths.mass, masses), 0.0, None)
    return _Paths(paths.start + first, grown)


def _cut(paths: _Paths, kmin: int) -> _Paths:
    """Keep the paths whose count is below kmin (the audit went on)."""
    keep = max(0, min(len(paths.mass), kmin - paths.start))
    return _Paths(paths.start, paths.mass[:keep])


def _round_kmin(null: _Paths, alternative: _Paths, log_alpha: float, size: int) -> int:
    """Least k with tail_(1/2)(k) <= alpha tail_(s_w)(k) over the grown paths; size + 1 if none."""
    ends = max(null.start + len(null.mass), alternative.start + len(alternative.mass))
    base = min(null.start, alternative.start)
    null_mass = np.zeros(ends - base)
    alternative_mass = np.zeros(ends - base)
    null_mass[null.start - base : null.start - base + len(null.mass)] = null.mass
    alternative_mass[alternative.start - base : alternative.start - base + len(alternative.mass)] = alternative.mass
    null_tail = np.cumsum(null_mass[::-1])[::-1]
    alternative_tail = np.cumsum(alternative_mass[::-1])[::-1]
    confirms = (alternative_tail > 0) & (null_tail <= math.exp(log_alpha) * alternative_tail)
    hits = np.flatnonzero(confirms)
    return min(size + 1, base + int(hits[0])) if len(hits) else size + 1


@dataclass(frozen=True)
class MinervaRounds:
    """Where a Minerva audit stands after some rounds: each round's cumulative pair size, kmin and
    observed winner count, and the path distributions cut at every kmin (to build the next round)."""

    share: float
    alpha: Fraction
    sizes: tuple[int, ...]
    kmins: tuple[int, ...]
    winner_counts: tuple[int, ...]
    null: _Paths
    alternative: _Paths

    @property
    def log_alpha(self) -> float:
        return math.log(self.alpha)


def _rounds_through(share: float, log_alpha: float, sizes: Sequence[int]) -> tuple[list[int], _Paths, _Paths]:
    """kmins of rounds with these cumulative sizes, and the paths cut at all of them but the last."""
    null = alternative = _Paths(0, np.ones(1))
    kmins: list[int] = []
    previous = 0
    for index, size in enumerate(sizes):
        if size <= previous:
            raise ValueError(f"round sizes must grow: round {index + 1} has {size} after {previous}")
        null, alternative = _grow(null, size - previous, 0.5), _grow(alternative, size - previous, share)
        if index:
            kmins.append(_round_kmin(null, alternative, log_alpha, size))
        else:
            kmins.append(int(_first_round_kmins(np.array([size]), share, log_alpha)[0]))
        if index < len(sizes) - 1:
            null, alternative = _cut(null, kmins[-1]), _cut(alternative, kmins[-1])
        previous = size
    return kmins, null, alternative


def minerva_round_kmins(
    winner_votes: int, loser_votes: int, round_sizes: Sequence[int], risk_limit: RiskLimitLike
) -> list[int | None]:
    """kmin of each round (cumulative pair sizes), ``None`` where a round is too small to confirm
    (r2b2's convention; :func:`minerva_kmins` writes n + 1 for a first round instead)."""
    share = float(PairShares(winner_votes, loser_votes, winner_votes + loser_votes).winner_share)
    kmins, _, _ = _rounds_through(share, math.log(as_risk_limit(risk_limit)), list(round_sizes))
    return [k if k <= n else None for k, n in zip(kmins, round_sizes, strict=True)]


def minerva_rounds(
    winner_votes: int, loser_votes: int, rounds: Sequence[tuple[int, int]], risk_limit: RiskLimitLike
) -> MinervaRounds:
    """The audit after ``rounds``, each (cumulative pair ballots, cumulative winner ballots)."""
    share = float(PairShares(winner_votes, loser_votes, winner_votes + loser_votes).winner_share)
    alpha = as_risk_limit(risk_limit)
    _check_rounds(rounds)
    sizes = [int(n) for n, _ in rounds]
    counts = [int(k) for _, k in rounds]
    kmins, null, alternative = _rounds_through(share, math.log(alpha), sizes)
    if sizes:
        null, alternative = _cut(null, kmins[-1]), _cut(alternative, kmins[-1])
    return MinervaRounds(share, alpha, tuple(sizes), tuple(kmins), tuple(counts), null, alternative)


def _check_rounds(rounds: Sequence[tuple[int, int]]) -> None:
    """Each round adds ballots, and the winner's ballots it adds fit in them."""
    for (n, k), previous in zip(rounds, [(0, 0), *rounds], strict=False):
        if n <= previous[0]:
            raise ValueError(f"round sizes must grow: {n} pair ballots after {previous[0]}")
        if not 0 <= k - previous[1] <= n - previous[0]:
            raise ValueError(f"round of {n} pair ballots: {k} for the winner does not fit the round")


def minerva_log_rounds_risk(
    winner_votes: int, loser_votes: int, rounds: Sequence[tuple[int, int]], risk_limit: RiskLimitLike
) -> float:
    """ln of the last round's risk given the earlier rounds did not stop (their kmins are the
    risk limit's); the first round alone gives :func:`minerva_log_risk`."""
    _check_rounds(rounds)
    if not rounds:
        return 0.0
    if len(rounds) == 1:
        n, k = rounds[0]
        return minerva_log_risk(winner_votes, loser_votes, k, n - k)
    before = minerva_rounds(winner_votes, loser_votes, rounds[:-1], risk_limit)
    for index, (k, kmin) in enumerate(zip(before.winner_counts, before.kmins, strict=True)):
        if k >= kmin:  # the audit stopped at that round: its risk is the answer
            return minerva_log_rounds_risk(winner_votes, loser_votes, rounds[: index + 1], risk_limit)
    size, count = rounds[-1]
    extra = size - before.sizes[-1]
    null_tail = before.null.log_tail(count, extra, 0.5)
    alternative_tail = before.alternative.log_tail(count, extra, before.share)
    if alternative_tail == -np.inf:
        return 0.0
    return min(0.0, null_tail - alternative_tail)


def minerva_rounds_risk(
    winner_votes: int, loser_votes: int, rounds: Sequence[tuple[int, int]], risk_limit: RiskLimitLike
) -> float:
    """Risk after the rounds so far (cumulative (pair ballots, winner ballots) per round)."""
    return math.exp(minerva_log_rounds_risk(winner_votes, loser_votes, rounds, risk_limit))


_LOCAL_SCAN = 64
"""Sizes scanned on each side of a later round's bisection answer to apply the three-sizes rule."""


def _next_round_probability(state: MinervaRounds, size: int) -> float:
    """Chance that a round ending at cumulative ``size`` confirms, from where the audit stands."""
    last_size, last_count = state.sizes[-1], state.winner_counts[-1]
    extra = size - last_size
    null, alternative = _grow(state.null, extra, 0.5), _grow(state.alternative, extra, state.share)
    kmin = _round_kmin(null, alternative, state.log_alpha, size)
    if kmin > size:
        return 0.0
    return float(np.exp(log_binomial_sf(kmin - last_count, extra, state.share)))


def _step(paths: _Paths, p: float) -> _Paths:
    """The paths after one more pair ballot: a convolution with Binomial(1, p), in O(length)."""
    grown = np.zeros(len(paths.mass) + 1)
    grown[:-1] += paths.mass * (1 - p)
    grown[1:] += paths.mass * p
    return _Paths(paths.start, grown)


def _next_round_probabilities(state: MinervaRounds, low: int, high: int) -> np.ndarray:
    """:func:`_next_round_probability` for every cumulative size from ``low`` to ``high``: the
    paths are grown to ``low`` once, then one ballot at a time (each step a two-term convolution
    instead of a full one: a scan of a few hundred sizes at runoff scale goes from minutes to a
    fraction of a second)."""
    last_size, last_count = state.sizes[-1], state.winner_counts[-1]
    null = _grow(state.null, low - last_size, 0.5)
    alternative = _grow(state.alternative, low - last_size, state.share)
    sizes = np.arange(low, high + 1)
    kmins = np.empty(len(sizes), dtype=np.int64)
    for index, size in enumerate(sizes):
        if index:
            null, alternative = _step(null, 0.5), _step(alternative, state.share)
        kmins[index] = _round_kmin(null, alternative, state.log_alpha, int(size))
    extra = sizes - last_size
    possible = kmins <= sizes
    with np.errstate(divide="ignore"):
        tails = np.exp(log_binomial_sf(np.where(possible, kmins - last_count, 0), extra, state.share))
    return np.where(possible, tails, 0.0)


def _least_stable(state: MinervaRounds, low: int, high: int, q: float) -> int | None:
    sizes = list(range(low, high + STABLE_SIZES))
    reached = _next_round_probabilities(state, sizes[0], sizes[-1]) >= q
    found = np.flatnonzero(_stable(reached))
    return sizes[int(found[0])] if len(found) else None


def minerva_next_round_pair_size(state: MinervaRounds, probability: Fraction | str) -> int:
    """Least cumulative pair size whose round confirms with probability q given ``state``.

    The three-sizes rule of the first round: every size is tried from the last round's size up
    when the next round is short (up to 4,096 more ballots); beyond, a bisection on the stopping
    probability's trend finds where it crosses q and the rule is applied in
    :data:`_LOCAL_SCAN` sizes around it.
    """
    q = stopping_probability(probability)
    if not state.sizes:
        return minerva_pair_round_size(state.share, state.alpha, probability)
    if not state.alternative.mass.any():
        raise ValueError("no round can confirm: the sample so far is impossible if the reported result is right")
    last = state.sizes[-1]
    high = 64
    while _next_round_probability(state, last + high) < q:
        high *= 2
        if high > _MAX_ROUND:
            raise ValueError("no round size reaches that stopping probability")
    if high <= _DIRECT_CONVOLUTION:
        found = _least_stable(state, last + 1, last + 2 * high, q)
        if found is not None:
            return found
    low = high // 2
    while low < high:
        middle = (low + high) // 2
        if _next_round_probability(state, last + middle) >= q:
            high = middle
        else:
            low = middle + 1
    start = max(last + 1, last + low - _LOCAL_SCAN)
    while (found := _least_stable(state, start, start + 2 * _LOCAL_SCAN, q)) is None:
        start += 2 * _LOCAL_SCAN
    return found


def minerva_next_round_size(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    rounds: Sequence[tuple[int, int]],
    risk_limit: RiskLimitLike,
    probability: Fraction | str = "0.9",
) -> int:
    """Cumulative ballots to have drawn by the end of the next round so that it confirms with
    probability q, given ``rounds`` so far (cumulative (pair ballots, winner ballots)); with no
    rounds, the first round's size. Scaled to all ballots as :func:`minerva_round_size` is."""
    PairShares(winner_votes, loser_votes, ballots)
    state = minerva_rounds(winner_votes, loser_votes, rounds, risk_limit)
    pair_ballots = minerva_next_round_pair_size(state, probability)
    return math.ceil(pair_ballots * Fraction(ballots, winner_votes + loser_votes))
