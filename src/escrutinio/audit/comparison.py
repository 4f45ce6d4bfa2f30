"""Ballot-level comparison audits: Stark's Super-Simple sample size and the Kaplan–Markov risk.

In a ballot-level comparison audit each sampled ballot's hand interpretation is compared with
the machine's record of that same ballot (a cast-vote record). Differences are classed by how
much they overstate the reported margin: a one-vote overstatement (o1: e.g. the record says
winner, the ballot is blank), a two-vote overstatement (o2: the record says winner, the ballot
says loser) and the matching understatements (u1, u2). Tally sheets do not give cast-vote
records, so escrutinio uses this for planning and comparison with the table-level methods; the
arithmetic is exact enough to reproduce the reference tools.

With diluted margin mu = (winner votes - loser votes) / ballots and the error inflation
gamma = 1.03905 used by Stark's tools, Arlo and ColoradoRLA, the Kaplan–Markov P-value of n
ballots is

    P = (1 - mu/(2 gamma))**n * (1 - 1/(2 gamma))**-o1 * (1 - 1/gamma)**-o2
        * (1 + 1/(2 gamma))**-u1 * (1 + 1/gamma)**-u2

and the sample size for discrepancy *counts* is the smallest n with P <= alpha, Stark's nmin
(Stark 2010, "Super-simple simultaneous single-ballot risk-limiting audits"):

    nmin = max(o1 + o2 + u1 + u2,
               ceil(-2 gamma (ln alpha + o1 ln(1 - 1/(2 gamma)) + o2 ln(1 - 1/gamma)
                              + u1 ln(1 + 1/(2 gamma)) + u2 ln(1 + 1/gamma)) / mu))

Planning works from expected discrepancy *rates* r1, r2, s1, s2 per ballot (o1, o2, u1, u2), as
Stark's tools and Arlo do: first the real size at which the rates' expected discrepancies just
balance the evidence,

    n0 = -2 gamma ln alpha / (mu + 2 gamma (r1 ln(1 - 1/(2 gamma)) + r2 ln(1 - 1/gamma)
                                            + s1 ln(1 + 1/(2 gamma)) + s2 ln(1 + 1/gamma)))

then the expected counts at n0 (one-vote kinds rounded up, two-vote kinds to the nearest, the
defaults of Stark's tools) and nmin with those counts. Before any ballot is compared the rates are
:data:`DEFAULT_RATES` (0.001 one-vote, 0.0001 two-vote); once n ballots have been compared and
found o1, o2, u1, u2, the rates are the observed ones (o1 / n, ...) and the same two steps give the
total size the audit should reach (:func:`supersimple_sample_size_after`). When the rates' expected
overstatements eat the whole margin (the denominator of n0 is not positive) no sample can
confirm: a full hand count. On the proclaimed Peru runoff totals (margin 44,263 of 18,856,802
ballots, alpha 5 %) this plans 3,819 ballots (rates in n0: expected counts 5, 0, 5, 0); taking n0
as the clean size instead (2,653) gives 3,352. On 600 / 400 of 1,000 at 10 %, one one-vote
overstatement among 20 compared ballots gives 38 (observed rate 1/20; n0 = 36.3, o1 = 2), where
nmin with the single observed overstatement alone gives 31.

The types keep the two meanings apart: :class:`Discrepancies` holds whole counts (what was
found, or expected counts), :class:`DiscrepancyRates` holds rates per ballot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from escrutinio.audit.risk import RiskLimitLike, as_risk_limit, risk_from_log_statistic

GAMMA = 1.03905
"""Error inflation factor of Stark's tools, Arlo and ColoradoRLA."""


@dataclass(frozen=True)
class Discrepancies:
    """Whole counts of the four discrepancy kinds (found in a sample, or expected in one)."""

    o1: int = 0
    o2: int = 0
    u1: int = 0
    u2: int = 0

    def __post_init__(self) -> None:
        counts = (self.o1, self.o2, self.u1, self.u2)
        if any(isinstance(c, bool) or not isinstance(c, int) for c in counts):
            raise TypeError(f"discrepancies are whole counts, got {counts}; rates go in DiscrepancyRates")
        if min(counts) < 0:
            raise ValueError("discrepancy counts cannot be negative")

    @property
    def total(self) -> int:
        return self.o1 + self.o2 + self.u1 + self.u2


@dataclass(frozen=True)
class DiscrepancyRates:
    """Rates per compared ballot of the four discrepancy kinds (exact fractions in [0, 1])."""

    o1: Fraction = Fraction(0)
    o2: Fraction = Fraction(0)
    u1: Fraction = Fraction(0)
    u2: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        for name in ("o1", "o2", "u1", "u2"):
            value = Fraction(getattr(self, name))
            if not 0 <= value <= 1:
                raise ValueError(f"a discrepancy rate is between 0 and 1, got {name} = {value}")
            object.__setattr__(self, name, value)

    @classmethod
    def observed(cls, found: Discrepancies, compared: int) -> DiscrepancyRates:
        """The rates a sample of ``compared`` ballots showed (all 0 before any ballot)."""
        if compared < found.total:
            raise ValueError(f"{found.total} discrepancies cannot come from {compared} compared ballots")
        if compared == 0:
            return cls()
        return cls(*(Fraction(c, compared) for c in (found.o1, found.o2, found.u1, found.u2)))


DEFAULT_RATES = DiscrepancyRates(o1=Fraction(1, 1000), o2=Fraction(1, 10000), u1=Fraction(1, 1000), u2=Fraction(1, 10000))
"""Expected discrepancy rates per ballot used when nothing has been observed yet."""


def diluted_margin(winner_votes: int, loser_votes: int, ballots: int) -> Fraction:
    """(winner - loser) / ballots, exactly; must be positive."""
    if ballots <= 0 or winner_votes <= loser_votes or ballots < winner_votes + loser_votes:
        raise ValueError(f"need winner > loser and ballots >= their votes (got {winner_votes}, {loser_votes}, {ballots})")
    return Fraction(winner_votes - loser_votes, ballots)


def _log_factors(gamma: float) -> tuple[float, float, float, float]:
    """ln of what one o1, o2, u1, u2 does to P's denominator: ln(1 - 1/(2 gamma)), ..."""
    return (
        math.log(1 - 1 / (2 * gamma)),
        math.log(1 - 1 / gamma),
        math.log(1 + 1 / (2 * gamma)),
        math.log(1 + 1 / gamma),
    )


def _log_discrepancy_weight(found: Discrepancies | DiscrepancyRates, gamma: float) -> float:
    """ln of the factor the discrepancies (or rates) put on P (positive for overstatements)."""
    kinds = (found.o1, found.o2, found.u1, found.u2)
    return -math.fsum(float(count) * factor for count, factor in zip(kinds, _log_factors(gamma), strict=True))


def kaplan_markov_sample_size(
    margin: Fraction, risk_limit: RiskLimitLike, found: Discrepancies = Discrepancies(), gamma: float = GAMMA
) -> int:
    """Smallest n whose Kaplan–Markov P-value is <= alpha with ``found`` discrepancies (Stark's nmin)."""
    alpha = as_risk_limit(risk_limit)
    if margin <= 0:
        raise ValueError("the diluted margin must be positive")
    need = -2 * gamma * (math.log(alpha) - _log_discrepancy_weight(found, gamma)) / float(margin)
    return max(math.ceil(need), found.total)


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def expected_discrepancies(rates: DiscrepancyRates, sample_size: int | float | Fraction) -> Discrepancies:
    """Rates times a sample size: one-vote kinds rounded up, two-vote kinds to the nearest."""
    size = Fraction(sample_size)
    return Discrepancies(
        o1=math.ceil(rates.o1 * size),
        o2=_round_half_up(rates.o2 * size),
        u1=math.ceil(rates.u1 * size),
        u2=_round_half_up(rates.u2 * size),
    )


def rates_size(margin: Fraction, risk_limit: RiskLimitLike, rates: DiscrepancyRates, gamma: float = GAMMA) -> float | None:
    """n0: the real size at which the rates' expected discrepancies balance the evidence
    (see the module); ``None`` when they eat the whole margin (no size can confirm)."""
    alpha = as_risk_limit(risk_limit)
    denominator = float(margin) - 2 * gamma * _log_discrepancy_weight(rates, gamma)
    if denominator <= 0:
        return None
    return -2 * gamma * math.log(alpha) / denominator


def supersimple_size_from_rates(
    margin: Fraction, risk_limit: RiskLimitLike, rates: DiscrepancyRates, gamma: float = GAMMA
) -> int | None:
    """nmin with the counts the rates give at n0 (Stark's nminFromRates, as Arlo uses it);
    ``None`` when no sample can confirm at these rates."""
    if margin <= 0:
        raise ValueError("the diluted margin must be positive")
    start = rates_size(margin, risk_limit, rates, gamma)
    if start is None:
        return None
    return kaplan_markov_sample_size(margin, risk_limit, expected_discrepancies(rates, start), gamma)


def supersimple_sample_size(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    rates: DiscrepancyRates = DEFAULT_RATES,
    gamma: float = GAMMA,
) -> int:
    """Super-Simple initial sample size (ballots) for expected ``rates``, as Arlo computes it; the
    ballots themselves when the rates leave no sample able to confirm."""
    margin = diluted_margin(winner_votes, loser_votes, ballots)
    size = supersimple_size_from_rates(margin, risk_limit, rates, gamma)
    return ballots if size is None else min(size, ballots)


def supersimple_sample_size_after(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    compared: int,
    found: Discrepancies,
    gamma: float = GAMMA,
) -> int:
    """Total ballots the audit should have compared, after ``compared`` ballots showed ``found``:
    the observed rates through the same two steps as the initial size (Arlo's next-round size);
    never fewer than already compared, the ballots themselves when no sample can confirm."""
    margin = diluted_margin(winner_votes, loser_votes, ballots)
    size = supersimple_size_from_rates(margin, risk_limit, DiscrepancyRates.observed(found, compared), gamma)
    return ballots if size is None else min(max(size, compared), ballots)


def kaplan_markov_risk(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    sample_size: int,
    found: Discrepancies = Discrepancies(),
    gamma: float = GAMMA,
) -> float:
    """Measured risk of a comparison sample of ``sample_size`` ballots with ``found`` discrepancies."""
    if sample_size < 0:
        raise ValueError("sample size cannot be negative")
    if found.total > sample_size:
        raise ValueError("more discrepancies than sampled ballots")
    margin = diluted_margin(winner_votes, loser_votes, ballots)
    log_statistic = -sample_size * math.log(1 - float(margin) / (2 * gamma)) - _log_discrepancy_weight(found, gamma)
    return risk_from_log_statistic(log_statistic)
