"""Contest audit records for tests: a manifest of every choice's votes and a record folded
step by step through the audit's payloads, as the service would write them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from escrutinio.audit.contest import ContestBatches
from escrutinio.audit.manifest import AuditManifest
from escrutinio.audit.workflow import (
    AuditState,
    apply,
    ballot_event,
    hand_count_event,
    measure_event,
    planned_event,
    sample_event,
    seed_event,
    split_ballot_id,
)

SEED = "16180339887498948482"


def contest_manifest(votes: Mapping[str, Sequence[int]], ballots: Sequence[int], winners: Sequence[str]) -> AuditManifest:
    """A contest manifest of tables t000, t001, ... in two districts."""
    tables = [f"t{i:03d}" for i in range(len(ballots))]
    batches = ContestBatches.build(votes, ballots, tables, winners)
    districts = tuple(f"D{i % 2}" for i in range(len(tables)))
    return AuditManifest(batches, districts, tuple(None for _ in tables), 0, 0)


class ContestRecord:
    """The payloads of one audit and the state they fold into."""

    def __init__(
        self, manifest: AuditManifest, method: str, risk_limit: str = "0.1", pair: tuple[str, str] = ("A", "B"), **plan: Any
    ) -> None:
        """``pair`` names a pair manifest's winner and loser; a contest manifest's closest pair is taken."""
        winner, loser = manifest.contest_batches(*pair).contest.closest_pair()
        self.payloads: list[dict[str, Any]] = []
        self.state = AuditState()
        self.add(planned_event(manifest, winner, loser, risk_limit, method=method, **plan))
        self.add(seed_event(SEED))

    def add(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.state = apply(self.state, payload)
        self.payloads.append(payload)
        return payload

    def draw(self) -> dict[str, Any]:
        return self.add(sample_event(self.state))

    def count_tables(self, hand: Callable[[str, dict[str, int]], dict[str, int]] = lambda table, sheet: sheet) -> None:
        """Both entries of every unsettled table: ``hand(table, sheet votes)`` (the sheet by default)."""
        batches = self.state.contest_batches()
        for table in self.state.unsettled_tables():
            index = batches.index_of(table)
            sheet = {c: int(batches.votes[index, batches.contest_column(c)]) for c in self.state.choices}
            counts = hand(table, dict(sheet))
            ballots = max(int(batches.ballots[index]), sum(counts.values()))
            for entry in (1, 2):
                self.add(hand_count_event(table, entry, counts, ballots, f"clerk {entry}"))

    def read_ballots(self, reading: Callable[[int], str]) -> None:
        """Both readings of every unsettled ballot: ``reading(i)`` for the i-th of them."""
        for i, ballot in enumerate(self.state.unsettled_ballots()):
            table, position = split_ballot_id(ballot)
            vote = reading(i)
            for entry in (1, 2):
                self.add(ballot_event(table, position, entry, vote, f"reader {entry}"))

    def measure(self) -> dict[str, Any]:
        return self.add(measure_event(self.state))


def split_votes(totals: Mapping[str, int], tables: int, extra: int = 5) -> tuple[dict[str, list[int]], list[int]]:
    """Each choice's votes spread evenly over ``tables`` (the remainder in the first), and each
    table's ballots: its votes plus ``extra`` blank or null."""
    votes = {c: [v // tables + (v % tables if i == 0 else 0) for i in range(tables)] for c, v in totals.items()}
    ballots = [int(sum(votes[c][i] for c in votes)) + extra for i in range(tables)]
    return votes, ballots
