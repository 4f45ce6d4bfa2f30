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

and the sample size for expected discrepancy counts is the smallest n with P <= alpha
(Stark 2010, "Super-simple simultaneous single-ballot risk-limiting audits"). Expected counts
come from rates: the size with no discrepancy, n0, is computed first; then o1 and u1 are the
rates times n0 rounded *up* and o2, u2 the rates times n0 rounded to the nearest integer (the
defaults of Stark's audit tools), and the size is computed once more with those counts. Arlo
rounds once like this; rlacalc iterates to a fixed point and can differ by a few ballots.
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
    """Counts (or, for :data:`DEFAULT_RATES`, rates per ballot) of the four discrepancy kinds."""

    o1: Fraction | int = 0
    o2: Fraction | int = 0
    u1: Fraction | int = 0
    u2: Fraction | int = 0

    def __post_init__(self) -> None:
        if min(self.o1, self.o2, self.u1, self.u2) < 0:
            raise ValueError("discrepancy counts and rates cannot be negative")


DEFAULT_RATES = Discrepancies(o1=Fraction(1, 1000), o2=Fraction(1, 10000), u1=Fraction(1, 1000), u2=Fraction(1, 10000))
"""Expected discrepancy rates per ballot used when nothing has been observed yet."""


def diluted_margin(winner_votes: int, loser_votes: int, ballots: int) -> Fraction:
    """(winner - loser) / ballots, exactly; must be positive."""
    if ballots <= 0 or winner_votes <= loser_votes or ballots < winner_votes + loser_votes:
        raise ValueError(f"need winner > loser and ballots >= their votes (got {winner_votes}, {loser_votes}, {ballots})")
    return Fraction(winner_votes - loser_votes, ballots)


def _log_discrepancy_weight(found: Discrepancies, gamma: float) -> float:
    """ln of the factor the discrepancies put on P (positive for overstatements)."""
    return -(
        float(found.o1) * math.log(1 - 1 / (2 * gamma))
        + float(found.o2) * math.log(1 - 1 / gamma)
        + float(found.u1) * math.log(1 + 1 / (2 * gamma))
        + float(found.u2) * math.log(1 + 1 / gamma)
    )


def kaplan_markov_sample_size(
    margin: Fraction, risk_limit: RiskLimitLike, found: Discrepancies = Discrepancies(), gamma: float = GAMMA
) -> int:
    """Smallest n whose Kaplan–Markov P-value is <= alpha with ``found`` discrepancies (Stark's nmin)."""
    alpha = as_risk_limit(risk_limit)
    if margin <= 0:
        raise ValueError("the diluted margin must be positive")
    need = -2 * gamma * (math.log(alpha) - _log_discrepancy_weight(found, gamma)) / float(margin)
    return max(math.ceil(need), math.ceil(found.o1 + found.o2 + found.u1 + found.u2))


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def expected_discrepancies(rates: Discrepancies, sample_size: int) -> Discrepancies:
    """Rates times a sample size: one-vote kinds rounded up, two-vote kinds to the nearest."""
    return Discrepancies(
        o1=math.ceil(Fraction(rates.o1) * sample_size),
        o2=_round_half_up(Fraction(rates.o2) * sample_size),
        u1=math.ceil(Fraction(rates.u1) * sample_size),
        u2=_round_half_up(Fraction(rates.u2) * sample_size),
    )


def supersimple_sample_size(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    rates: Discrepancies = DEFAULT_RATES,
    gamma: float = GAMMA,
) -> int:
    """Super-Simple initial sample size (ballots), with expected discrepancies rounded once."""
    margin = diluted_margin(winner_votes, loser_votes, ballots)
    clean = kaplan_markov_sample_size(margin, risk_limit, Discrepancies(), gamma)
    return kaplan_markov_sample_size(margin, risk_limit, expected_discrepancies(rates, clean), gamma)


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
    if any(not isinstance(count, int) for count in (found.o1, found.o2, found.u1, found.u2)):
        raise TypeError("observed discrepancies are whole counts")
    if found.o1 + found.o2 + found.u1 + found.u2 > sample_size:
        raise ValueError("more discrepancies than sampled ballots")
    margin = diluted_margin(winner_votes, loser_votes, ballots)
    log_statistic = -sample_size * math.log(1 - float(margin) / (2 * gamma)) - _log_discrepancy_weight(found, gamma)
    return risk_from_log_statistic(log_statistic)
