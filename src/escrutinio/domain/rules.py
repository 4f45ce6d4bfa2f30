"""Contest rules applied: who wins, whether a runoff is due, whether the election is void.

Pure functions over exact integers; the definition's rules (:mod:`escrutinio.domain.contest_rules`)
compare shares as fractions, so a count at exactly a boundary is never decided by rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from escrutinio.domain.contest_rules import Threshold, TieRule
from escrutinio.domain.election import CountingRules
from escrutinio.domain.ids import ChoiceId


class OutcomeKind(StrEnum):
    """What the rules say about a set of totals (the values are the public names)."""

    WINNER = "winner"  # a choice has the majority
    RUNOFF = "runoff"  # the top choices go to a second round
    TIE = "tie"  # the top places cannot be separated
    VOID = "void"  # null + blank over the threshold
    SEATS = "seats"  # a party-list election: seats are shared out by a rule not applied here
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
    met: Threshold | None = None
    """The alternative the winner met; None for a winner of a contest no larger than the runoff
    (a runoff itself: more valid votes wins) and for every other kind."""
    tie: TieRule = TieRule.UNDECIDED

    def describe(self, names: Mapping[ChoiceId, str]) -> str:
        if self.kind is OutcomeKind.WINNER:
            winner = names[self.winner]  # type: ignore[index]
            if self.met is None:
                return f"{winner} wins with more valid votes than any other choice"
            return f"{winner} wins outright: {self.met}"
        if self.kind is OutcomeKind.RUNOFF:
            return "no choice meets a threshold to win outright: runoff between " + " and ".join(names[c] for c in self.runoff)
        if self.kind is OutcomeKind.TIE:
            if self.tie is TieRule.LOT:
                return "the deciding places are tied: the proclaiming body draws them by lot"
            return "the deciding places are tied: the count names nobody"
        if self.kind is OutcomeKind.VOID:
            return "the election is void: null and blank votes exceed the threshold of ballots cast"
        if self.kind is OutcomeKind.SEATS:
            return "a party-list election: seats are not allocated here (each list's votes and share are the result)"
        return "no votes counted yet"


def ranking(votes: Mapping[ChoiceId, int]) -> list[tuple[ChoiceId, int]]:
    """Choices by votes, most first; ties keep ballot order (the caller sees the tie in the margin)."""
    return sorted(votes.items(), key=lambda kv: -kv[1])


def decide(votes: Mapping[ChoiceId, int], blank: int, null: int, cast: int, rules: CountingRules) -> Outcome:
    """Apply the definition's void rule, then its thresholds (any one alternative wins), then
    the runoff: the order the law reads them in (a void election has no winner, and a party-list
    election's seats are shared out by a rule escrutinio does not apply)."""
    ranked = ranking(votes)
    valid = sum(votes.values())
    leader, top = ranked[0] if ranked else (None, 0)
    runner_up, second = ranked[1] if len(ranked) > 1 else (None, 0)
    margin = top - second

    def outcome(
        kind: OutcomeKind, winner: ChoiceId | None = None, runoff: tuple[ChoiceId, ...] = (), met: Threshold | None = None
    ) -> Outcome:
        return Outcome(kind, winner, runoff, leader, runner_up, margin, met, rules.tie)

    if valid == 0:
        return Outcome(OutcomeKind.NO_VOTES, None, (), None, None, 0, None, rules.tie)
    if rules.void is not None and rules.void.applies(blank, null, cast):
        return outcome(OutcomeKind.VOID)
    if rules.seats:
        return outcome(OutcomeKind.SEATS)
    whole = rules.share_base.whole(valid, cast)  # Russia: shares of all ballots of those who took part
    met = next((t for t in rules.thresholds if t.met(top, second, whole)), None)
    if met is not None and margin > 0:
        return outcome(OutcomeKind.WINNER, leader, met=met)
    size = rules.runoff_size
    if len(ranked) > size and ranked[size - 1][1] == ranked[size][1]:
        return outcome(OutcomeKind.TIE)
    if len(ranked) <= size:
        if margin == 0:
            return outcome(OutcomeKind.TIE)
        # A contest no larger than a runoff (a runoff itself): the one with more valid votes wins.
        return outcome(OutcomeKind.WINNER, leader)
    return outcome(OutcomeKind.RUNOFF, runoff=tuple(c for c, _ in ranked[:size]))
