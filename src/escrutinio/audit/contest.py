"""Contests with any number of candidates and winners: the winner–loser pairs an audit confirms,
and every method's numbers as the maximum over them.

A reported outcome is right when every reported winner beat every reported loser. The audit
therefore tests each pair (w, l), all on the same sample, and the outcome is confirmed when
every pair is: the risk is the *maximum* of the pairs' risks, and a sample size is the
*maximum* of the pairs' sizes (the pair with the smallest margin almost always decides it). In a
first round without a majority the "winners" are the two who go to the runoff (Peru 2021:
Castillo and Fujimori over 16 others, 32 pairs), so the audit checks who goes to the runoff.

Batch comparison (MACRO, Stark 2008) takes the maximum inside each batch instead: table p can
overstate pair (w, l)'s margin V_wl by at most u_p,wl = (v_wp - v_lp + b_p) / V_wl of it, and
MACRO's bound for the table is u_p = max over pairs of u_p,wl; a hand count's error for the table
is e_p = max over pairs of ((v_wp - v_lp) - (a_wp - a_lp)) / V_wl, and its taint e_p / u_p. Since
the sum of per-table maxima is at least each pair's sum, "sum of e_p < 1" implies every pair's
outcome, and the Kaplan–Markov P-value of :mod:`escrutinio.audit.macro` applies unchanged.

PPEB draws need integer weights: the bounds are written in units of 1/V_min (V_min the smallest
pair margin) and rounded *up* to whole units. A rounded-up bound is still a bound (it only makes
the audit a little more cautious), and for a single pair it is exactly the integer
v_wp - v_lp + b_p that :class:`~escrutinio.audit.macro.BatchManifest` uses, so a runoff is
planned and drawn the same way through either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np

from escrutinio.audit.macro import BatchManifest, TableIndex


@dataclass(frozen=True)
class Contest:
    """Reported votes per choice, ballots cast, and the reported winners (the rest are losers)."""

    votes: Mapping[str, int]
    ballots: int
    winners: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.winners or any(w not in self.votes for w in self.winners):
            raise ValueError(f"winners {list(self.winners)} must be choices of the contest ({list(self.votes)})")
        if len(self.winners) >= len(self.votes):
            raise ValueError("a contest to audit needs at least one reported loser")
        if min(self.votes.values()) < 0 or sum(self.votes.values()) > self.ballots:
            raise ValueError(f"votes must be non-negative and fit in the {self.ballots} ballots")

    @classmethod
    def leaders(cls, votes: Mapping[str, int], ballots: int, seats: int = 1) -> Contest:
        """The ``seats`` choices with most votes as winners (2 for who goes to a runoff)."""
        ranked = sorted(votes, key=lambda choice: -votes[choice])
        return cls(dict(votes), ballots, tuple(ranked[:seats]))

    @property
    def losers(self) -> tuple[str, ...]:
        return tuple(choice for choice in self.votes if choice not in self.winners)

    def pairs(self) -> list[tuple[str, str]]:
        """Every (winner, loser) pair, winners in their order, losers in the contest's."""
        return [(w, loser) for w in self.winners for loser in self.losers]

    def margin(self, pair: tuple[str, str]) -> int:
        return self.votes[pair[0]] - self.votes[pair[1]]

    def closest_pair(self) -> tuple[str, str]:
        """The pair with the smallest margin (the first in :meth:`pairs` order on equal margins)."""
        return min(self.pairs(), key=self.margin)

    @property
    def tied(self) -> bool:
        """Some reported winner does not lead some reported loser: no sample can confirm."""
        return self.margin(self.closest_pair()) <= 0


def worst_pair(contest: Contest, measure: Callable[[str, str], float]) -> tuple[float, tuple[str, str]]:
    """The maximum of ``measure(winner, loser)`` over the pairs, and the pair that gives it
    (risks and sample sizes of a contest are both this maximum)."""
    best: tuple[float, tuple[str, str]] | None = None
    for pair in contest.pairs():
        value = measure(*pair)
        if best is None or value > best[0]:
            best = (value, pair)
    assert best is not None  # a contest has at least one pair
    return best


def pair_label(pair: tuple[str, str]) -> str:
    """A pair as text: "FP>RP" (winner over loser)."""
    return f"{pair[0]}>{pair[1]}"


@dataclass(frozen=True)
class ContestBatches(TableIndex):
    """Every table in the count, with the reported votes of every choice, for MACRO over all pairs.

    Offers the names :class:`~escrutinio.audit.macro.BatchManifest` offers the audit record
    (``tables``, ``ballots``, ``bound_numerators``, ``total_error_bound``, ``index_of``), plus
    :meth:`taint` from a hand count of every choice.
    """

    contest: Contest
    tables: tuple[str, ...]
    votes: np.ndarray
    """votes[p, c]: reported votes of choice c (in ``contest.votes`` order) in table p."""
    ballots: np.ndarray

    @cached_property
    def _columns(self) -> dict[str, int]:
        return {choice: index for index, choice in enumerate(self.contest.votes)}

    def contest_column(self, choice: str) -> int:
        """The column of ``votes`` that holds a choice."""
        return self._columns[choice]

    @cached_property
    def _pair_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Winner columns, loser columns and margins V_wl of every pair."""
        pairs = self.contest.pairs()
        winners = np.array([self._columns[w] for w, _ in pairs])
        losers = np.array([self._columns[loser] for _, loser in pairs])
        margins = np.array([self.contest.margin(pair) for pair in pairs], dtype=np.int64)
        if (margins <= 0).any():
            raise ValueError("every reported winner must lead every reported loser for a batch audit")
        return winners, losers, margins

    @property
    def scale(self) -> int:
        """V_min: bounds are written in units of 1/V_min."""
        return int(self._pair_columns[2].min())

    @cached_property
    def bound_numerators(self) -> np.ndarray:
        """ceil(V_min max over pairs (v_wp - v_lp + b_p) / V_wl) per table: the PPEB weights."""
        winners, losers, margins = self._pair_columns
        by_choice = np.ascontiguousarray(self.votes.T)  # one row per choice: each pair reads two rows
        bounds = np.zeros(len(self.ballots), dtype=np.int64)
        for w, loser, margin in zip(winners, losers, margins, strict=True):
            # Pair by pair with a running maximum: a (tables x pairs) matrix gathered at once costs
            # ten times more (32 pairs of Peru's first round: 0.2 s against 0.02 s).
            reach = (by_choice[w] - by_choice[loser] + self.ballots) * self.scale
            np.maximum(bounds, -(-reach // int(margin)), out=bounds)
        bounds.setflags(write=False)
        return bounds

    @property
    def total_error_bound(self) -> Fraction:
        """U = sum of the tables' bounds (exact, in the rounded-up units)."""
        return Fraction(int(self.bound_numerators.sum()), self.scale)

    @classmethod
    def build(
        cls, votes: Mapping[str, Iterable[int]], ballots: Iterable[int], tables: Iterable[str], winners: Iterable[str]
    ) -> ContestBatches:
        """Check and freeze every table's reported votes per choice (``votes[choice]``, in table
        order) and ballots: whole numbers, none negative, a table's votes within its ballots."""
        table_ids = tuple(str(t) for t in tables)
        choices = list(votes)
        matrix = np.column_stack([np.asarray(list(votes[c]), dtype=np.int64) for c in choices]).reshape(len(table_ids), -1)
        cast = np.asarray(list(ballots), dtype=np.int64)
        if not (len(table_ids) == matrix.shape[0] == len(cast)):
            raise ValueError("every table needs an id, its votes for every choice and its ballots")
        if len(set(table_ids)) != len(table_ids):
            raise ValueError("table ids must be distinct")
        bad = np.flatnonzero((matrix < 0).any(axis=1) | (matrix.sum(axis=1) > cast))
        if len(bad):
            raise ValueError(f"table {table_ids[bad[0]]}: votes must be non-negative and fit in its {cast[bad[0]]} ballots")
        for array in (matrix, cast):
            array.setflags(write=False)
        totals = {choice: int(total) for choice, total in zip(choices, matrix.sum(axis=0), strict=True)}
        return cls(Contest(totals, int(cast.sum()), tuple(winners)), table_ids, matrix, cast)

    def pair_taints(self, table: str, hand_counts: Mapping[str, int]) -> dict[tuple[str, str], Fraction]:
        """e_p,wl / u_p for every pair (w, l): the overstatement of the pair's margin V_wl that the
        hand count shows, relative to V_wl, as a share of the table's bound u_p (the maximum over
        pairs). Each is a valid taint for its pair's own Kaplan–Markov test on the same draws,
        since u_p bounds every pair's error (choices missing from ``hand_counts`` count 0)."""
        index = self.index_of(table)
        bound = int(self.bound_numerators[index])
        if bound <= 0:
            raise ValueError(f"table {table} has no error bound: it is never drawn")
        hand = np.array([int(hand_counts.get(choice, 0)) for choice in self.contest.votes], dtype=np.int64)
        winners, losers, margins = self._pair_columns
        reported = self.votes[index, winners] - self.votes[index, losers]
        found = hand[winners] - hand[losers]
        return {
            pair: Fraction(int(r - f) * self.scale, int(v) * bound)
            for pair, r, f, v in zip(self.contest.pairs(), reported, found, margins, strict=True)
        }

    def taint(self, table: str, hand_counts: Mapping[str, int]) -> Fraction:
        """e_p / u_p: the largest overstatement of any pair's margin the hand count shows, as a
        share of the table's bound (MACRO's per-batch maximum over pairs)."""
        return max(self.pair_taints(table, hand_counts).values())


def pair_batches(batches: BatchManifest, winner: str, loser: str) -> ContestBatches:
    """A one-pair manifest (a runoff's) as a two-choice contest: the same PPEB weights
    (v_wp - v_lp + b_p), the same U and the same taints, so one code path audits both."""
    if int(batches.winner_votes.sum() - batches.loser_votes.sum()) != batches.margin:
        raise ValueError(f"the manifest's margin {batches.margin} is not its tables' margin")
    votes = np.column_stack([batches.winner_votes, batches.loser_votes])
    votes.setflags(write=False)
    totals = {winner: int(batches.winner_votes.sum()), loser: int(batches.loser_votes.sum())}
    return ContestBatches(Contest(totals, int(batches.ballots.sum()), (winner,)), batches.tables, votes, batches.ballots)
