"""Contest rules: who wins, whether a runoff is due, whether the election is void.

Pure functions over exact integers; shares are compared as fractions so that a tie at
exactly one half is never decided by rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from escrutinio.domain.election import CountingRules
from escrutinio.domain.ids import ChoiceId


class OutcomeKind(StrEnum):
    """What the rules say about a set of totals (the values are the public names)."""

    WINNER = "winner"  # a choice has the majority
    RUNOFF = "runoff"  # the top choices go to a second round
    TIE = "tie"  # the top places cannot be separated
    VOID = "void"  # null + blank over the threshold
    NO_VOTES = "no_votes"


@dataclass(frozen=True)
class Outcome:
    """What the rules say about a set of totals (``kind``), and who leads by how much."""

    kind: OutcomeKind
    winner: ChoiceId | None
    runoff: tuple[ChoiceId, ...]
    leader: ChoiceId | None
    runner_up: ChoiceId | None
    margin: int

    def describe(self, names: Mapping[ChoiceId, str]) -> str:
        if self.kind is OutcomeKind.WINNER:
            return f"{names[self.winner]} wins with an absolute majority of valid votes"  # type: ignore[index]
        if self.kind is OutcomeKind.RUNOFF:
            return "no absolute majority: runoff between " + " and ".join(names[c] for c in self.runoff)
        if self.kind is OutcomeKind.TIE:
            return "the leading choices are tied"
        if self.kind is OutcomeKind.VOID:
            return "the election is void: null and blank votes exceed the threshold of ballots cast"
        return "no votes counted yet"


def ranking(votes: Mapping[ChoiceId, int]) -> list[tuple[ChoiceId, int]]:
    """Choices by votes, most first; ties keep ballot order (the caller sees the tie in the margin)."""
    return sorted(votes.items(), key=lambda kv: -kv[1])


def decide(votes: Mapping[ChoiceId, int], blank: int, null: int, cast: int, rules: CountingRules) -> Outcome:
    """Apply the winner rule and the void rule to national totals."""
    ranked = ranking(votes)
    valid = sum(votes.values())
    leader, top = ranked[0] if ranked else (None, 0)
    runner_up, second = ranked[1] if len(ranked) > 1 else (None, 0)
    margin = top - second
    if valid == 0:
        return Outcome(OutcomeKind.NO_VOTES, None, (), None, None, 0)
    if rules.void_threshold is not None and cast > 0 and Fraction(blank + null, cast) > rules.void_threshold:
        return Outcome(OutcomeKind.VOID, None, (), leader, runner_up, margin)
    if Fraction(top, valid) > rules.majority and margin > 0:
        return Outcome(OutcomeKind.WINNER, leader, (), leader, runner_up, margin)
    size = rules.runoff_size
    if len(ranked) > size and ranked[size - 1][1] == ranked[size][1]:
        return Outcome(OutcomeKind.TIE, None, (), leader, runner_up, margin)
    if len(ranked) <= size:
        if margin == 0:
            return Outcome(OutcomeKind.TIE, None, (), leader, runner_up, margin)
        # A two-way contest (a runoff itself): the one with more valid votes wins.
        return Outcome(OutcomeKind.WINNER, leader, (), leader, runner_up, margin)
    return Outcome(OutcomeKind.RUNOFF, None, tuple(c for c, _ in ranked[:size]), leader, runner_up, margin)
