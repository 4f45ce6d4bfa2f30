"""BRAVO ballot-polling audits (Lindeman, Stark & Yates 2012), for one winner-loser pair.

BRAVO is Wald's sequential probability ratio test of "the winner's share among the pair's votes
is the reported s_w" against "it is 1/2" (a tie, the closest the loser can come to winning).
Each sampled ballot for the winner multiplies the statistic T by s_w / (1/2), each one for the
loser by (1 - s_w) / (1/2); ballots for neither leave T alone. The measured risk of a sample is
``min(1, 1/T)``. Shares are among the pair's votes (valid votes), while the sample is drawn from
*all ballots cast* (blank, null and annulled ballots are drawn too and tell nothing), which is
why the sample sizes below depend on ``ballots`` as well as on the votes.

Sample sizes, as Arlo reports them (see ``shared/reference/audit.json``):

- ``asn``: Wald's average sample number under the reported result,
  ``ceil((ln(1/alpha) + z_w/2) / (p_w z_w + p_l z_l))`` with z_w = ln(2 s_w), z_l = ln(2 - 2 s_w)
  and p_w, p_l the pair's shares of all ballots.
- one-round quantiles: the size n whose *first round alone* confirms the result with probability
  q when the reported result is right, i.e. ``P(T_n >= 1/alpha) >= q`` with T evaluated at the end
  of the round. Lindeman's analytic estimate (a normal approximation of ln T_n) gives a start;
  the exact probability (binomial, or binomial mixture when some ballots are for neither) is then
  walked from ``floor(estimate)``: down while the smaller size still reaches q, or up until it
  does. The probability is a saw-tooth in n (a ballot more can need one more winner vote), so
  this is the first size at or below the estimate's neighbourhood that works, not the global
  minimum; it is the rule the reference numbers follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from escrutinio.audit.risk import RiskLimitLike, as_risk_limit, risk_from_log_statistic

DEFAULT_QUANTILES = (Fraction(7, 10), Fraction(8, 10), Fraction(9, 10))
"""Chances of finishing in one round that Arlo's sample-size menu offers."""

FULL_HAND_COUNT_MIN_BALLOTS = 100_000
FULL_HAND_COUNT_SHARE = Fraction(1, 4)

_EPS = 1e-9
"""Slack when turning a real threshold into a count: an exact tie with 1/alpha counts as reached."""
_TAIL_SD = 12.0
"""Standard deviations of the binomial mixture kept when summing it (the rest is below 1e-30)."""


@dataclass(frozen=True)
class PairShares:
    """The reported contest as BRAVO sees it: one winner-loser pair among all ballots cast."""

    winner_votes: int
    loser_votes: int
    ballots: int

    def __post_init__(self) -> None:
        if min(self.winner_votes, self.loser_votes) < 0:
            raise ValueError("votes cannot be negative")
        if self.winner_votes <= self.loser_votes:
            raise ValueError(
                f"the reported winner must lead the loser ({self.winner_votes} vs {self.loser_votes}): "
                "a tie or a reversed pair cannot be confirmed by an audit"
            )
        if self.ballots < self.winner_votes + self.loser_votes:
            raise ValueError(
                f"ballots ({self.ballots}) cannot be fewer than the pair's votes ({self.winner_votes + self.loser_votes})"
            )

    @property
    def winner_share(self) -> Fraction:
        """s_w: the winner's share of the pair's votes (exact)."""
        return Fraction(self.winner_votes, self.winner_votes + self.loser_votes)

    @property
    def log_winner_factor(self) -> float:
        """ln(2 s_w): what a winner ballot adds to ln T."""
        return math.log(2 * self.winner_share)

    @property
    def log_loser_factor(self) -> float:
        """ln(2 - 2 s_w): what a loser ballot adds to ln T (negative; -inf if the loser has no votes)."""
        return math.log(2 * (1 - self.winner_share)) if self.loser_votes else -math.inf

    @property
    def pair_fraction(self) -> Fraction:
        """Share of all ballots that are votes for the winner or the loser."""
        return Fraction(self.winner_votes + self.loser_votes, self.ballots)


@dataclass(frozen=True)
class BravoSampleSizes:
    """BRAVO's sample-size menu: ``asn`` and the one-round sizes keyed by their probability
    (as decimal strings, "0.9"); ``full_hand_count`` when the 0.9 size says to count by hand."""

    asn: int
    one_round: dict[str, int]
    full_hand_count: bool


def bravo_asn(winner_votes: int, loser_votes: int, ballots: int, risk_limit: RiskLimitLike) -> int:
    """Wald's average sample number (ballots) when the reported result is right."""
    pair = PairShares(winner_votes, loser_votes, ballots)
    alpha = as_risk_limit(risk_limit)
    p_w = winner_votes / ballots
    p_l = loser_votes / ballots
    z_w, z_l = pair.log_winner_factor, pair.log_loser_factor
    return math.ceil((math.log(1 / alpha) + z_w / 2) / (p_w * z_w + _scaled(p_l, z_l)))


def _scaled(count: float, log_factor: float) -> float:
    """count * log_factor, with 0 * -inf = 0 (no loser ballot when the loser has no votes)."""
    return count * log_factor if count else 0.0


def _threshold(risk_limit: Fraction) -> float:
    return math.log(1 / risk_limit)


def _winner_votes_needed(pair: PairShares, pair_votes: np.ndarray, threshold: float) -> np.ndarray:
    """Fewest winner ballots among ``pair_votes`` ballots for the pair that put ln T at the threshold."""
    plus, minus = pair.log_winner_factor, pair.log_loser_factor
    if math.isinf(minus):
        return np.full(pair_votes.shape, math.ceil(threshold / plus - _EPS), dtype=np.float64)
    return np.ceil((threshold - pair_votes * minus) / (plus - minus) - _EPS)


def one_round_probability(pair: PairShares, sample_size: int, risk_limit: RiskLimitLike) -> float:
    """Chance that a round of ``sample_size`` ballots ends with risk <= alpha, if the result is right.

    The number m of the pair's ballots in the sample is Binomial(n, pair fraction) and, given m,
    the winner's ballots are Binomial(m, s_w); the round confirms when the winner's ballots reach
    the count that puts T at 1/alpha.
    """
    return _round_probability(pair, sample_size, _threshold(as_risk_limit(risk_limit)))


def _round_probability(pair: PairShares, sample_size: int, threshold: float) -> float:
    """Chance that ``sample_size`` more ballots raise ln T by at least ``threshold``."""
    from escrutinio.audit.binomial import binomial_pmf, binomial_sf  # here, not at the top: scipy costs a second

    s_w = float(pair.winner_share)
    if pair.pair_fraction == 1:
        needed = _winner_votes_needed(pair, np.array([sample_size]), threshold)[0]
        return float(binomial_sf(needed - 1, sample_size, s_w))
    p_pair = float(pair.pair_fraction)
    centre = sample_size * p_pair
    spread = _TAIL_SD * math.sqrt(sample_size * p_pair * (1 - p_pair)) + 1
    pair_votes = np.arange(max(0, math.floor(centre - spread)), min(sample_size, math.ceil(centre + spread)) + 1)
    weights = binomial_pmf(pair_votes, sample_size, p_pair)
    needed = _winner_votes_needed(pair, pair_votes, threshold)
    return float(np.sum(weights * _tails_along(pair_votes, needed, s_w)))


def _tails_along(sizes: np.ndarray, needed: np.ndarray, share: float) -> np.ndarray:
    """P(Binomial(m, s) >= k_m) for consecutive m with k_m growing by 0 or 1 at each step.

    One binomial tail is computed; the others follow exactly from it by the recurrences
    T(m + 1, k) = T(m, k) + s P(B_m = k - 1) and T(m + 1, k + 1) = T(m, k) - (1 - s) P(B_m = k),
    which need only probability masses (a tenth of a tail's cost: the plan's one-round sizes
    went from 1.4 s to a fraction of that). Other shapes fall back to a tail per size.
    """
    from escrutinio.audit.binomial import binomial_pmf, binomial_sf

    steps = np.diff(needed)
    if len(sizes) < 2 or not (np.all(np.diff(sizes) == 1) and np.all((steps == 0) | (steps == 1))):
        return binomial_sf(needed - 1, sizes, share)
    previous, k = sizes[:-1], needed[:-1]
    stay = share * binomial_pmf(k - 1, previous, share)
    rise = -(1 - share) * binomial_pmf(k, previous, share)
    first = binomial_sf(needed[0] - 1, sizes[0], share)
    return np.clip(first + np.concatenate(([0.0], np.cumsum(np.where(steps == 0, stay, rise)))), 0.0, 1.0)


def _analytic_one_round_size(pair: PairShares, threshold: float, probability: float) -> float:
    """Lindeman's normal approximation: n with mean(ln T_n) + z_(1-q) sd(ln T_n) = ln(1/alpha)."""
    from scipy import stats

    p_w = pair.winner_votes / pair.ballots
    p_l = pair.loser_votes / pair.ballots
    plus, minus = pair.log_winner_factor, pair.log_loser_factor
    mean = p_w * plus + _scaled(p_l, minus)
    variance = p_w * plus**2 + _scaled(p_l, minus**2) - mean**2
    z = float(stats.norm.ppf(1 - probability))
    b = z * math.sqrt(variance)
    root = (-b + math.sqrt(b * b + 4 * mean * threshold)) / (2 * mean)
    return root * root


def stopping_probability(probability: Fraction | str) -> float:
    """A one-round size's chance of finishing, checked to be strictly between 0 and 1."""
    q = float(Fraction(probability))
    if not 0 < q < 1:
        raise ValueError(f"probability must be strictly between 0 and 1, got {probability!r}")
    return q


def bravo_one_round_size(
    winner_votes: int, loser_votes: int, ballots: int, risk_limit: RiskLimitLike, probability: Fraction | str
) -> int:
    """Ballots to draw so that one round confirms a correct result with the given probability
    (draws are with replacement and, as in Arlo's menu, not capped at the ballots: the plan and
    :mod:`~escrutinio.audit.rounds` turn a size reaching the ballots into a full hand count)."""
    pair = PairShares(winner_votes, loser_votes, ballots)
    return _size_for_threshold(pair, _threshold(as_risk_limit(risk_limit)), stopping_probability(probability))


def _size_for_threshold(pair: PairShares, threshold: float, q: float) -> int:
    """Draws whose round raises ln T by ``threshold`` with probability q: Lindeman's estimate,
    then the exact probability walked down or up from it (see the module docstring)."""
    if threshold <= 0:
        return 0
    size = max(1, math.floor(_analytic_one_round_size(pair, threshold, q)))
    if _round_probability(pair, size, threshold) >= q:
        while size > 1 and _round_probability(pair, size - 1, threshold) >= q:
            size -= 1
    else:
        while _round_probability(pair, size, threshold) < q:
            size += 1
    return size


def bravo_more_draws(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    probability: Fraction | str,
    sample_winner: int,
    sample_loser: int,
) -> int | None:
    """Further ballots whose round brings the whole sample to risk <= alpha with probability q,
    from where the sample stands (its ln T counts towards ln(1/alpha)); 0 if it is there.

    ``None`` when no size can: a ballot for a loser reported with no votes at all sets T to 0
    for good (in a contest of many choices such a loser is common), so the pair needs a full
    hand count."""
    pair = PairShares(winner_votes, loser_votes, ballots)
    log_t = bravo_log_statistic(winner_votes, loser_votes, sample_winner, sample_loser)
    if math.isinf(log_t) and log_t < 0:
        return None
    return _size_for_threshold(pair, _threshold(as_risk_limit(risk_limit)) - log_t, stopping_probability(probability))


def suggests_full_hand_count(ballots: int, size_at_90: int) -> bool:
    """Arlo's rule: a contest of more than 100,000 ballots whose 0.9 one-round size reaches a
    quarter of its ballots is better counted by hand than polled."""
    return ballots > FULL_HAND_COUNT_MIN_BALLOTS and size_at_90 >= FULL_HAND_COUNT_SHARE * ballots


def bravo_sample_sizes(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    quantiles: tuple[Fraction, ...] = DEFAULT_QUANTILES,
) -> BravoSampleSizes:
    """The ASN and the one-round sizes for each probability in ``quantiles``."""
    one_round = {_quantile_key(q): bravo_one_round_size(winner_votes, loser_votes, ballots, risk_limit, q) for q in quantiles}
    at_90 = one_round.get("0.9", max(one_round.values(), default=0))
    return BravoSampleSizes(
        asn=bravo_asn(winner_votes, loser_votes, ballots, risk_limit),
        one_round=one_round,
        full_hand_count=suggests_full_hand_count(ballots, at_90),
    )


def _quantile_key(q: Fraction) -> str:
    return format(float(q), "g")


def bravo_log_statistic(winner_votes: int, loser_votes: int, sample_winner: int, sample_loser: int) -> float:
    """ln T for a sample holding ``sample_winner`` and ``sample_loser`` ballots for the pair
    (ballots for anyone else do not change T)."""
    if min(sample_winner, sample_loser) < 0:
        raise ValueError("sample counts cannot be negative")
    pair = PairShares(winner_votes, loser_votes, winner_votes + loser_votes)
    return _scaled(sample_winner, pair.log_winner_factor) + _scaled(sample_loser, pair.log_loser_factor)


def bravo_risk(winner_votes: int, loser_votes: int, sample_winner: int, sample_loser: int) -> float:
    """Measured risk ``min(1, 1/T)`` of the whole sample, T evaluated at its end."""
    return risk_from_log_statistic(bravo_log_statistic(winner_votes, loser_votes, sample_winner, sample_loser))


def bravo_risk_uncapped(winner_votes: int, loser_votes: int, sample_winner: int, sample_loser: int) -> float:
    """``1/T`` without the cap at 1 (what rlacalc prints; useful to see how far from confirming)."""
    return math.exp(-bravo_log_statistic(winner_votes, loser_votes, sample_winner, sample_loser))
