"""MACRO batch-comparison audits (Stark 2008), with polling tables as the batches.

A batch audit hand counts whole tables and compares each count with the table's tally sheet.
For the pair (winner w, loser l) with reported contest margin V = V_w - V_l, table p with
reported votes v_wp, v_lp and b_p ballots can overstate the margin by at most

    u_p = (v_wp - v_lp + b_p) / V        (its maximum relative overstatement, "error bound")

(its sheet gave the winner everything it reports and the loser nothing, and in truth every one
of its ballots was for the loser). The reported winner is right as long as the true total
relative overstatement sum_p e_p is below 1. Tables are drawn with replacement with probability
proportional to u_p (PPEB; see :mod:`escrutinio.audit.sampler`), and a hand-counted table's
*taint* is

    t_p = e_p / u_p = ((v_wp - v_lp) - (a_wp - a_lp)) / (v_wp - v_lp + b_p)

where a_wp, a_lp are the hand counts. V cancels, so taints are exact fractions of sheet and
hand-count integers. With U = sum_p u_p, the Kaplan–Markov P-value of n draws is

    P = prod_i (1 - 1/U) / (1 - t_i)

and the measured risk is min(1, P). With no error found, P <= alpha once
n >= ln(alpha) / ln(1 - 1/U): the initial sample size. A table whose taint reaches 1 (it
overstated the margin by its whole error bound, or the hand count found more ballots than the
sheet's bound allowed) sends the risk to 1: the audit cannot end without a full hand count.

Every table whose ballots are in the count is a batch, annulled tables included: their sheet
gives the pair no votes (the ballots count as null), so their bound is their ballots.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np

from escrutinio.audit.risk import RiskLimitLike, as_risk_limit


class TableIndex:
    """Finds a table's position in ``tables`` (manifest order); shared by the batch manifests."""

    tables: tuple[str, ...]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {table: index for index, table in enumerate(self.tables)}

    def index_of(self, table: str) -> int:
        """Position of a table in the manifest."""
        try:
            return self._positions[table]
        except KeyError:
            raise KeyError(f"table {table!r} is not in the audit's manifest") from None


@dataclass(frozen=True)
class BatchManifest(TableIndex):
    """Reported figures of every batch (table) for one winner-loser pair, in manifest order.

    ``margin`` is the contest's reported margin V; it defaults to the batches' own sum, which is
    what it is when the batches are all the tables of the count.
    """

    tables: tuple[str, ...]
    winner_votes: np.ndarray
    loser_votes: np.ndarray
    ballots: np.ndarray
    margin: int

    @classmethod
    def build(
        cls,
        tables: Iterable[str],
        winner_votes: Iterable[int],
        loser_votes: Iterable[int],
        ballots: Iterable[int],
        margin: int | None = None,
    ) -> BatchManifest:
        """Check and freeze the reported figures (ints, non-negative, votes within ballots)."""
        table_ids = tuple(str(t) for t in tables)
        winner, loser, cast = (
            np.array(values if isinstance(values, np.ndarray) else list(values), dtype=np.int64)
            for values in (winner_votes, loser_votes, ballots)
        )
        if not len(table_ids) == len(winner) == len(loser) == len(cast):
            raise ValueError("every batch needs an id, winner votes, loser votes and ballots")
        if len(set(table_ids)) != len(table_ids):
            raise ValueError("batch ids must be distinct")
        if len(cast) and (min(winner.min(), loser.min()) < 0 or (winner + loser > cast).any()):
            bad = int(np.flatnonzero((winner < 0) | (loser < 0) | (winner + loser > cast))[0])
            raise ValueError(
                f"batch {table_ids[bad]}: votes must be non-negative and fit in its ballots "
                f"(winner {winner[bad]}, loser {loser[bad]}, ballots {cast[bad]})"
            )
        total_margin = int(winner.sum() - loser.sum()) if margin is None else int(margin)
        if total_margin <= 0:
            raise ValueError(f"the reported margin must be positive to be audited, got {total_margin}")
        for array in (winner, loser, cast):
            array.setflags(write=False)
        return cls(table_ids, winner, loser, cast, total_margin)

    @property
    def bound_numerators(self) -> np.ndarray:
        """v_wp - v_lp + b_p for every batch: u_p times V, the PPEB weights (integers)."""
        return self.winner_votes - self.loser_votes + self.ballots

    @property
    def total_error_bound(self) -> Fraction:
        """U = sum of the batches' maximum relative overstatements (exact)."""
        return Fraction(int(self.bound_numerators.sum()), self.margin)


def taint(reported_winner: int, reported_loser: int, ballots: int, hand_winner: int, hand_loser: int) -> Fraction:
    """t_p: the hand count's overstatement of the margin as a share of the table's error bound."""
    bound = reported_winner - reported_loser + ballots
    if bound <= 0:
        raise ValueError(
            "a table whose error bound is zero (no ballots, or all of them for the loser on its sheet) is never drawn"
        )
    return Fraction((reported_winner - reported_loser) - (hand_winner - hand_loser), bound)


def macro_sample_size(total_error_bound: Fraction, risk_limit: RiskLimitLike) -> int:
    """Draws needed when no error is found: ceil(ln(alpha) / ln(1 - 1/U))."""
    alpha = as_risk_limit(risk_limit)
    if total_error_bound <= 1:
        raise ValueError("U must exceed 1 (U <= 1 means a single table could not change the result)")
    return math.ceil(math.log(alpha) / _log_one_minus(1 / total_error_bound))


ARLO_EXTRA_DRAWS = 1
"""Arlo's audit math reports one draw more than the smallest MACRO size (both are risk-limiting)."""


def macro_sample_size_arlo(total_error_bound: Fraction, risk_limit: RiskLimitLike) -> int:
    """The size Arlo reports: the smallest size plus one draw (303 where the smallest is 302 for
    U = 101 at 5 %; see ``shared/reference/audit.json``'s MACRO erratum). Stated beside the
    smallest size so that figures from Arlo can be matched; the audit draws the smallest."""
    return macro_sample_size(total_error_bound, risk_limit) + ARLO_EXTRA_DRAWS


def macro_sample_size_first_order(total_error_bound: Fraction, risk_limit: RiskLimitLike) -> int:
    """Draws needed when no error is found, by the first-order bound: ceil(U ln(1/alpha)).

    A sufficient bound, hence still risk-limiting: -ln(1 - 1/U) > 1/U, so
    (1 - 1/U)^n <= exp(-n/U) <= alpha once n >= U ln(1/alpha). For large U it asks for about
    ln(1/alpha) / 2 draws more than the exact formula (1.5 at alpha = 0.05). Not the default: the
    planner and the audit record use :func:`macro_sample_size`.
    """
    alpha = as_risk_limit(risk_limit)
    if total_error_bound <= 1:
        raise ValueError("U must exceed 1 (U <= 1 means a single table could not change the result)")
    return math.ceil(float(total_error_bound) * -math.log(alpha))


def macro_log_p_value(total_error_bound: Fraction, taints: Iterable[Fraction]) -> float:
    """ln P for the draws' taints (one per draw, repeats included); +inf once a taint reaches 1."""
    step = _log_one_minus(1 / total_error_bound)
    terms = []
    for t in taints:
        if t >= 1:
            return math.inf
        terms.append(step - _log_one_minus(t))
    return math.fsum(terms)


def _log_one_minus(t: Fraction) -> float:
    """ln(1 - t) for t < 1, exact up to the last float step even when t is within 1e-17 of 1."""
    return math.log1p(-float(t)) if abs(t) < Fraction(1, 2) else math.log(1 - t)


def macro_risk(total_error_bound: Fraction, taints: Iterable[Fraction]) -> float:
    """Measured risk min(1, P) of the draws so far."""
    log_p = macro_log_p_value(total_error_bound, taints)
    return 1.0 if log_p >= 0 else math.exp(log_p)


def macro_more_draws(total_error_bound: Fraction, risk_limit: RiskLimitLike, taints: list[Fraction]) -> int | None:
    """Further draws expected to bring the risk to the limit if later draws look like those so far.

    Each further draw is assumed to change ln P by ln(1 - 1/U) minus the mean ln(1 - t) of the
    taints seen (zero taints: the initial-size formula). ``None`` when the draws so far do not
    make ln P fall on average (or a taint reached 1): no sample size can confirm, count by hand.
    """
    alpha = as_risk_limit(risk_limit)
    log_p = macro_log_p_value(total_error_bound, taints)
    if log_p <= math.log(alpha):
        return 0
    if math.isinf(log_p):
        return None
    step = _log_one_minus(1 / total_error_bound)
    drift = step - (math.fsum(_log_one_minus(t) for t in taints) / len(taints) if taints else 0.0)
    if drift >= 0:
        return None
    return max(1, math.ceil((math.log(alpha) - log_p) / drift))


def expected_workload(weights: np.ndarray, ballots: np.ndarray, draws: int) -> tuple[float, float]:
    """Expected distinct tables and the ballots in them after ``draws`` weighted draws with replacement."""
    weights = np.asarray(weights, dtype=np.float64)
    chance = weights / weights.sum()
    drawn = -np.expm1(draws * np.log1p(-np.minimum(chance, 1 - 1e-16)))
    return float(drawn.sum()), float((drawn * np.asarray(ballots, dtype=np.float64)).sum())
