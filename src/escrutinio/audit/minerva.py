"""Minerva's one-round risk (Zagórski, McClearn, Morin, Ottoboni, Stark & Vora 2021).

Minerva is a ballot-polling test built for audits in rounds: after a first round whose sample
holds n ballots for the pair (winner, loser), of which k for the winner, it compares the tails
of the two binomial laws instead of BRAVO's point likelihoods:

    risk = P(K >= k | K ~ Binomial(n, 1/2)) / P(K >= k | K ~ Binomial(n, s_w))

(capped at 1), s_w being the winner's reported share of the pair's votes. Only the first
round's risk is implemented; athena's round-size search is not (its sizes are crossing points of
a saw-toothed stopping probability that this module does not try to reproduce).
"""

from __future__ import annotations

from scipy import stats

from escrutinio.audit.bravo import PairShares


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
