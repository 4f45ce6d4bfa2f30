"""Minerva (Zagórski, McClearn, Morin, McBurnett & Vora 2021): one-round risk and round sizes.

Minerva is a ballot-polling test built for audits in rounds: after a first round whose sample
holds n ballots for the pair (winner, loser), of which k for the winner, it compares the tails
of the two binomial laws instead of BRAVO's point likelihoods:

    risk = P(K >= k | K ~ Binomial(n, 1/2)) / P(K >= k | K ~ Binomial(n, s_w))

(capped at 1), s_w being the winner's reported share of the pair's votes. The round confirms the
result when risk <= alpha; the least such k is the round's *kmin*, and the chance that a round of
n ballots confirms a correct result is its stopping probability ``P(K >= kmin(n) | s_w)``.

Round sizes. Planning asks the reverse: the n whose first round stops with probability q. The
stopping probability is a saw-tooth in n (one ballot more can need one more winner vote), so
"the n" needs a rule, and the reference numbers (``shared/reference/audit.json``, athena's
quantiles as Arlo reports them) follow two, depending on the size:

- small rounds (up to :data:`EXACT_ROUND_LIMIT` ballots): the exact binomial law, and the least
  n whose stopping probability is at least q *and stays so for the next two sizes*
  (:data:`STABLE_SIZES`), so that a round that ends up a ballot or two larger than planned does
  not fall into a tooth below q;
- large rounds: the continuous normal approximation of both laws (k real, no continuity
  correction), whose stopping probability is smooth and increasing in n, and the least n
  reaching q.

Neither rule is spelled out in the paper; they are the reading of athena's numbers that
reproduces all six reference sizes (the exact rule alone, least n reaching q, gives the large
contest's sizes 22 to 78 ballots larger; the normal rule alone gives the small contest's sizes 10 to 13 smaller). The
switch between them is ours: the exact search costs a binomial tail per size and is exact, the
approximation is within a fraction of a percent of it once rounds hold thousands of ballots.
Round sizes count ballots for the pair; with ballots for neither candidate in the contest they
are scaled by ballots / (pair's votes) and rounded up (the expected number of draws that holds
that many pair ballots).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy import optimize, stats

from escrutinio.audit.bravo import DEFAULT_QUANTILES, PairShares, stopping_probability
from escrutinio.audit.risk import RiskLimitLike, as_risk_limit

EXACT_ROUND_LIMIT = 10_000
"""Largest round (pair ballots) searched with the exact binomial law; larger ones use the normal law."""

STABLE_SIZES = 3
"""An exact round size n must reach q at n, n + 1, ..., n + STABLE_SIZES - 1."""

_MAX_ROUND = 1 << 40
"""No contest needs a round this large; the search gives up here instead of looping forever."""


def minerva_one_round_risk(winner_votes: int, loser_votes: int, sample_winner: int, sample_loser: int) -> float:
    """Risk of a first round with ``sample_winner`` and ``sample_loser`` ballots for the pair."""
    if min(sample_winner, sample_loser) < 0:
        raise ValueError("sample counts cannot be negative")
    share = float(PairShares(winner_votes, loser_votes, winner_votes + loser_votes).winner_share)
    n = sample_winner + sample_loser
    null_tail = stats.binom.sf(sample_winner - 1, n, 0.5)
    alternative_tail = stats.binom.sf(sample_winner - 1, n, share)
    if alternative_tail <= 0:
        return 1.0
    return float(min(1.0, null_tail / alternative_tail))


def minerva_kmins(sizes: np.ndarray, share: float, risk_limit: RiskLimitLike) -> np.ndarray:
    """kmin for every round size in ``sizes`` (exact binomial); n + 1 where no k confirms.

    The tail ratio P0(K >= k) / P1(K >= k) falls as k grows (the binomial family has a monotone
    likelihood ratio), so kmin is found by bisection on k, for all sizes at once.
    """
    log_alpha = math.log(as_risk_limit(risk_limit))
    sizes = np.asarray(sizes, dtype=np.int64)
    low, high = np.zeros_like(sizes), sizes + 1
    while (low < high).any():
        middle = (low + high) // 2
        confirms = (middle > sizes) | (
            stats.binom.logsf(middle - 1, sizes, 0.5) <= log_alpha + stats.binom.logsf(middle - 1, sizes, share)
        )
        high = np.where(confirms, middle, high)
        low = np.where(confirms, low, middle + 1)
    return low


def minerva_stopping_probabilities(sizes: np.ndarray, share: float, risk_limit: RiskLimitLike) -> np.ndarray:
    """Chance that a first round of each size confirms a correct result (exact binomial)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    kmins = minerva_kmins(sizes, share, risk_limit)
    return np.where(kmins > sizes, 0.0, stats.binom.sf(kmins - 1, sizes, share))


def _normal_stopping_probability(size: float, share: float, log_alpha: float) -> float:
    """Stopping probability of a round under the normal approximation of both laws (k real)."""
    null_sd = math.sqrt(size) / 2
    alt_sd = math.sqrt(size * share * (1 - share))

    def excess(k: float) -> float:
        return float(stats.norm.logsf((k - size / 2) / null_sd) - stats.norm.logsf((k - size * share) / alt_sd) - log_alpha)

    low, high = size / 2, size * share + 8 * alt_sd
    if excess(high) > 0:
        return 0.0
    kmin = optimize.brentq(excess, low, high, xtol=1e-12, rtol=1e-15)
    return float(stats.norm.sf((kmin - size * share) / alt_sd))


def _normal_round_size(share: float, alpha: Fraction, probability: float) -> int:
    """Least n whose normal-approximation stopping probability reaches ``probability``."""
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


def _exact_round_size(share: float, alpha: Fraction, probability: float, start_limit: int) -> int:
    """Least n reaching ``probability`` at n and the next STABLE_SIZES - 1 sizes (exact law)."""
    limit = max(start_limit, 64)
    while True:
        sizes = np.arange(1, limit + STABLE_SIZES, dtype=np.int64)
        reached = minerva_stopping_probabilities(sizes, share, alpha) >= probability
        stable = np.ones(limit, dtype=bool)
        for offset in range(STABLE_SIZES):
            stable &= reached[offset : offset + limit]
        found = np.flatnonzero(stable)
        if len(found):
            return int(sizes[found[0]])
        if limit > _MAX_ROUND:
            raise ValueError("no round size reaches that stopping probability")
        limit *= 2


def minerva_round_size(
    winner_votes: int, loser_votes: int, ballots: int, risk_limit: RiskLimitLike, probability: Fraction | str
) -> int:
    """Ballots to draw so that a first round confirms a correct result with the given probability."""
    share = float(PairShares(winner_votes, loser_votes, ballots).winner_share)
    alpha = as_risk_limit(risk_limit)
    q = stopping_probability(probability)
    pair_ballots = _normal_round_size(share, alpha, q)
    if pair_ballots <= EXACT_ROUND_LIMIT:
        pair_ballots = _exact_round_size(share, alpha, q, 2 * pair_ballots + 16)
    scale = Fraction(ballots, winner_votes + loser_votes)
    return math.ceil(pair_ballots * scale)


def minerva_sample_sizes(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    quantiles: tuple[Fraction, ...] = DEFAULT_QUANTILES,
) -> dict[str, int]:
    """First-round sizes for each stopping probability, keyed as BRAVO's menu is ("0.9")."""
    return {format(float(q), "g"): minerva_round_size(winner_votes, loser_votes, ballots, risk_limit, q) for q in quantiles}
