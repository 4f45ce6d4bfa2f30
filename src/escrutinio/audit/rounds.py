"""Next-round sizes for every method, answered as a :class:`SampleSize`: draws, or a full hand count.

The method modules hold the math and raise on inputs they cannot size (a tie, a risk limit of 0);
an audit has an answer for those too: count every ballot. These functions are what the audit
record calls to size a round. Each takes the contest, the risk limit and *what the audit has
seen so far*, and gives the further draws of the next round in the method's unit (ballots for
polling and ballot comparison, tables for batch comparison), with:

- a full hand count when the reported winner does not lead (a tie cannot be confirmed by a
  sample), when the risk limit is 0 (only every ballot gives certainty), when the sample so far
  cannot confirm at any size (a table overstated by its whole bound, draws that lose evidence),
  or when the draws so far plus the round reach the population (ballots, or tables) — counting
  everything is then no more work;
- draws capped at the population otherwise (never 16 draws of 15 ballots, or 278 of 4 tables).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from escrutinio.audit.contest import Contest
from escrutinio.audit.risk import RiskLimitLike, as_risk_limit

TIE = "the reported winner does not lead the loser: a tie or a reversed pair cannot be confirmed by a sample"
NO_RISK = "a risk limit of 0 is met only by counting every ballot"
POPULATION = "the draws would reach the population: counting everything is no more work"
NO_EVIDENCE = "the sample so far cannot confirm the result at any size"
DEFAULT_PROBABILITY = Fraction(9, 10)
"""Chance of finishing in the next round that round sizes aim for, unless told otherwise."""


@dataclass(frozen=True)
class SampleSize:
    """Further draws for the next round, or a full hand count (with the reason)."""

    draws: int
    full_hand_count: bool = False
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"draws": self.draws, "full_hand_count": "yes" if self.full_hand_count else "no", "reason": self.reason}


def full_hand_count(population: int, drawn: int, reason: str) -> SampleSize:
    """Count everything: the draws left to the population (never negative)."""
    return SampleSize(max(0, population - drawn), True, reason)


def sized(more: int | None, population: int, drawn: int = 0) -> SampleSize:
    """``more`` further draws capped at the population; ``None`` (no size confirms) a hand count."""
    if more is None:
        return full_hand_count(population, drawn, NO_EVIDENCE)
    if drawn + more >= population:
        return full_hand_count(population, drawn, POPULATION)
    return SampleSize(max(0, more))


def risk_limit_or_none(risk_limit: RiskLimitLike) -> Fraction | None:
    """The risk limit, or ``None`` for a limit of 0 (the caller answers a full hand count);
    anything else outside (0, 1) is refused as :func:`~escrutinio.audit.risk.as_risk_limit` does."""
    try:
        return as_risk_limit(risk_limit)
    except ValueError:
        if _is_zero(risk_limit):
            return None
        raise


def _is_zero(risk_limit: RiskLimitLike) -> bool:
    try:
        return Fraction(risk_limit.strip() if isinstance(risk_limit, str) else risk_limit) == 0
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _pair_refusal(winner_votes: int, loser_votes: int, risk_limit: RiskLimitLike) -> str:
    """Why a pair cannot be sized ("" when it can)."""
    if winner_votes <= loser_votes:
        return TIE
    if risk_limit_or_none(risk_limit) is None:
        return NO_RISK
    return ""


# --- ballot polling ----------------------------------------------------------------------------


def bravo_next_round(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    *,
    sample_winner: int = 0,
    sample_loser: int = 0,
    drawn: int = 0,
    probability: Fraction | str = DEFAULT_PROBABILITY,
) -> SampleSize:
    """BRAVO: further ballots whose round confirms with probability q from where the sample stands
    (``drawn`` ballots so far, ``sample_winner`` and ``sample_loser`` of them for the pair)."""
    from escrutinio.audit.bravo import bravo_more_draws

    if reason := _pair_refusal(winner_votes, loser_votes, risk_limit):
        return full_hand_count(ballots, drawn, reason)
    more = bravo_more_draws(winner_votes, loser_votes, ballots, risk_limit, probability, sample_winner, sample_loser)
    return sized(more, ballots, drawn)


def minerva_next_round(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    *,
    rounds: Sequence[tuple[int, int]] = (),
    drawn: int = 0,
    probability: Fraction | str = DEFAULT_PROBABILITY,
) -> SampleSize:
    """Minerva: further ballots for the next round, given the rounds so far (cumulative pair
    ballots and winner ballots per round, as :func:`~escrutinio.audit.minerva.minerva_rounds` takes
    them) and ``drawn`` ballots drawn in all (pair ballots and others)."""
    from escrutinio.audit.minerva import minerva_next_round_size

    if reason := _pair_refusal(winner_votes, loser_votes, risk_limit):
        return full_hand_count(ballots, drawn, reason)
    total = minerva_next_round_size(winner_votes, loser_votes, ballots, list(rounds), risk_limit, probability)
    return sized(max(1, total - drawn), ballots, drawn)


def alpha_polling_next_round(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    *,
    values: np.ndarray | Sequence[float] = (),
) -> SampleSize:
    """ALPHA polling: further draws expected to reach the limit after ``values`` (as
    :func:`~escrutinio.audit.alpha.polling_values` codes the ballots drawn so far)."""
    from escrutinio.audit.alpha import alpha_polling_more_draws

    drawn = len(values)
    if reason := _pair_refusal(winner_votes, loser_votes, risk_limit):
        return full_hand_count(ballots, drawn, reason)
    more = alpha_polling_more_draws(winner_votes, loser_votes, ballots, risk_limit, np.asarray(values, dtype=np.float64))
    if more is None and not drawn:  # the expected path does not reach the limit within 10 x the ballots
        return full_hand_count(ballots, drawn, POPULATION)
    return sized(more, ballots, drawn)


# --- ballot comparison --------------------------------------------------------------------------


def supersimple_next_round(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    *,
    compared: int = 0,
    found: Any = None,
) -> SampleSize:
    """Super-Simple: further ballots to compare, Arlo's way (default rates before any ballot,
    observed rates after); ``found`` is a :class:`~escrutinio.audit.comparison.Discrepancies`."""
    from escrutinio.audit.comparison import Discrepancies, supersimple_sample_size, supersimple_sample_size_after

    if reason := _pair_refusal(winner_votes, loser_votes, risk_limit):
        return full_hand_count(ballots, compared, reason)
    if compared == 0 and (found is None or found == Discrepancies()):
        total = supersimple_sample_size(winner_votes, loser_votes, ballots, risk_limit)
    else:
        total = supersimple_sample_size_after(winner_votes, loser_votes, ballots, risk_limit, compared, found or Discrepancies())
    return sized(total - compared, ballots, compared)


# --- batch comparison ---------------------------------------------------------------------------


def _batch_answer(total_error_bound: Fraction, risk_limit: RiskLimitLike, tables: int, drawn: int) -> SampleSize | None:
    """The answer when no sizing is needed: a hand count for a limit of 0, no draws when even
    every table overstating by its whole bound could not change the result (U <= 1)."""
    if risk_limit_or_none(risk_limit) is None:
        return full_hand_count(tables, drawn, NO_RISK)
    if total_error_bound <= 1:
        return SampleSize(0)
    return None


def macro_next_round(
    total_error_bound: Fraction, risk_limit: RiskLimitLike, *, taints: Sequence[Fraction] = (), tables: int
) -> SampleSize:
    """MACRO: further draws expected to reach the limit given the taints of the draws so far (the
    initial size when none); a hand count when the taints make no size enough or the draws would
    reach the ``tables`` in the manifest."""
    from escrutinio.audit.macro import macro_more_draws

    drawn = len(taints)
    if (answer := _batch_answer(total_error_bound, risk_limit, tables, drawn)) is not None:
        return answer
    return sized(macro_more_draws(total_error_bound, risk_limit, list(taints)), tables, drawn)


def alpha_batch_next_round(
    total_error_bound: Fraction, risk_limit: RiskLimitLike, *, taints: Sequence[Fraction] = (), tables: int
) -> SampleSize:
    """ALPHA batch comparison: as :func:`macro_next_round`, with ALPHA's bet."""
    from escrutinio.audit.alpha import alpha_batch_more_draws

    drawn = len(taints)
    if (answer := _batch_answer(total_error_bound, risk_limit, tables, drawn)) is not None:
        return answer
    return sized(alpha_batch_more_draws(total_error_bound, risk_limit, list(taints)), tables, drawn)


# --- contests with several pairs ---------------------------------------------------------------


def contest_next_round(contest: Contest, size_of_pair: Callable[[str, str], SampleSize]) -> tuple[SampleSize, tuple[str, str]]:
    """The next round of a contest with several winner–loser pairs (one sample for all): the
    largest of the pairs' rounds, a full hand count as soon as one pair needs it; with the pair
    that sets it. ``size_of_pair(winner, loser)`` sizes one pair, e.g. with :func:`bravo_next_round`."""
    sizes = {pair: size_of_pair(*pair) for pair in contest.pairs()}
    return max(((size, pair) for pair, size in sizes.items()), key=lambda item: (item[0].full_hand_count, item[0].draws))
