"""The audit record's state: what the log says so far, and what that implies.

:class:`AuditState` is what folding the audit events gives (see :mod:`escrutinio.audit.replay`):
the plan and its frozen manifest, the seed, each round's draws, the two entries of every
sampled table's hand count (or every sampled ballot's reading) and their resolutions, the
measurements and the report. Its methods answer what the record implies (the phase, which
tables are settled, each draw's taint) without changing anything: a state is never mutated,
each event gives a new one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, TypeVar

from escrutinio.audit.bravo import PairShares
from escrutinio.audit.contest import ContestBatches, pair_label
from escrutinio.audit.kinds import DEFAULT_MAX_ROUNDS, AuditMethod, AuditUnit, Decision, RoundSizing
from escrutinio.audit.manifest import AuditManifest
from escrutinio.audit.risk import fraction_text

NO_PLAN = "the audit has no plan yet: plan one first"


class AuditRefused(ValueError):
    """An event the audit record cannot take; the message names the rule that refused it.

    ``field`` names the payload field at fault when there is one (``table``, ``entry``, ``by``,
    ``ballots``, ``vote``, ``position`` or a choice id), so that a bulk entry can point at the
    file's column.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class OutOfPhase(AuditRefused):
    """A step the audit's phase does not take yet (or any more): a draw before the seed, a report
    before a decision. The request is well formed and would be taken in another phase, so a skin
    tells it apart from a malformed one (the API answers 409, rule ``audit_phase``, not 422)."""


class DuplicateEntry(AuditRefused):
    """An entry (1 or 2) of a table's count or a ballot's reading that is already recorded."""


@dataclass(frozen=True)
class HandCount:
    """A hand count of one table: votes per choice (at least the pair), ballots found, who.

    ``commitment``: the count is sealed (``ledger.entry_seal``): the record holds only a
    commitment to its figures until the other entry reveals them, so the second counter
    cannot copy the first; its ``counts`` and ``ballots`` are then unknown (empty, 0)."""

    counts: Mapping[str, int]
    ballots: int
    by: str = ""
    commitment: str | None = None

    def same_count(self, other: HandCount) -> bool:
        return dict(self.counts) == dict(other.counts) and self.ballots == other.ballots

    @classmethod
    def sealed_as(cls, by: str, commitment: str) -> HandCount:
        """A count the record holds as a commitment only."""
        return cls({}, 0, by, commitment)

    def figures(self) -> dict[str, Any]:
        """What an entry's seal commits to: the counts and the ballots."""
        return {"counts": dict(self.counts), "ballots": self.ballots}

    @classmethod
    def from_figures(cls, figures: Mapping[str, Any], by: str = "") -> HandCount:
        """The count :meth:`figures` gave (a sealed entry's, as the store kept it)."""
        return cls(dict(figures["counts"]), int(figures["ballots"]), by)

    def differing(self, other: HandCount) -> list[str]:
        """The fields two counts of one table disagree on: each choice (a choice one count
        leaves out counts 0), then ``ballots``."""
        names = list(dict.fromkeys([*self.counts, *other.counts]))
        differ = [n for n in names if self.counts.get(n, 0) != other.counts.get(n, 0)]
        return [*differ, "ballots"] if self.ballots != other.ballots else differ


@dataclass(frozen=True)
class BallotReading:
    """One reading of a sampled ballot: what it shows (a choice id, blank, null or other), who;
    ``commitment`` as for :class:`HandCount` (a sealed reading's ``vote`` is empty)."""

    vote: str
    by: str = ""
    commitment: str | None = None

    def same_count(self, other: BallotReading) -> bool:
        """Two readings agree when they say the ballot shows the same thing (whoever read it)."""
        return self.vote == other.vote

    @classmethod
    def sealed_as(cls, by: str, commitment: str) -> BallotReading:
        """A reading the record holds as a commitment only."""
        return cls("", by, commitment)

    def figures(self) -> dict[str, Any]:
        """What a reading's seal commits to: the vote."""
        return {"vote": self.vote}

    @classmethod
    def from_figures(cls, figures: Mapping[str, Any], by: str = "") -> BallotReading:
        """The reading :meth:`figures` gave."""
        return cls(str(figures["vote"]), by)

    def differing(self, other: BallotReading) -> list[str]:
        """``["vote"]`` when two readings disagree."""
        return [] if self.same_count(other) else ["vote"]


@dataclass(frozen=True)
class Round:
    number: int
    first_draw: int
    indices: tuple[int, ...]
    """Manifest index of the table of each draw, in draw order."""
    positions: tuple[int, ...] = ()
    """Ballot polling: the 1-based position of each draw's ballot inside its table."""


@dataclass(frozen=True)
class Measurement:
    round: int
    draws: int
    risk: str
    decision: Decision
    next_round_draws: int
    pair_risks: Mapping[str, str] = field(default_factory=dict)
    """Each winner–loser pair's risk ("FP>RP" -> risk), in a contest audit's measurements."""


@dataclass(frozen=True)
class AuditState:
    """Everything the record says so far. Build it with :func:`replay`."""

    method: AuditMethod | None = None
    contest: str = ""
    winner: str = ""
    loser: str = ""
    risk_limit: Fraction = Fraction(0)
    max_rounds: int = DEFAULT_MAX_ROUNDS
    round_sizing: RoundSizing = RoundSizing.MEAN_GAIN
    manifest: AuditManifest | None = None
    batches: ContestBatches | None = None
    """The manifest as a contest (every choice, the reported winners): what risks and taints read."""
    seed: str | None = None
    ceremony: str = ""
    rounds: tuple[Round, ...] = ()
    sampled: frozenset[str] = frozenset()
    entries: Mapping[str, Mapping[int, HandCount]] = field(default_factory=dict)
    resolutions: Mapping[str, HandCount] = field(default_factory=dict)
    ballot_entries: Mapping[str, Mapping[int, BallotReading]] = field(default_factory=dict)
    ballot_resolutions: Mapping[str, BallotReading] = field(default_factory=dict)
    measurements: tuple[Measurement, ...] = ()
    report: Mapping[str, Any] | None = None

    # -- what the record implies --------------------------------------------------------------

    @property
    def phase(self) -> str:
        """planned, seeded, counting, measurable, next_round, confirmed, full_hand_count, reported."""
        if self.manifest is None:
            return "empty"
        if self.report is not None:
            return "reported"
        if self.seed is None:
            return "planned"
        if not self.rounds:
            return "seeded"
        if not self.round_open:
            return self.measurements[-1].decision
        return "measurable" if not self.unsettled() else "counting"

    @property
    def polling(self) -> bool:
        """A ballot-polling audit (the sample is of ballots, not tables)."""
        return self.method is not None and self.method.polling

    @property
    def unit(self) -> AuditUnit:
        """What a draw picks: tables (batch comparison) or ballots (polling)."""
        return AuditUnit.BALLOTS if self.polling else AuditUnit.TABLES

    @property
    def round_open(self) -> bool:
        """A round is drawn and its risk not yet measured: hand counts may be entered."""
        return bool(self.rounds) and (not self.measurements or self.measurements[-1].round < len(self.rounds))

    def planned_manifest(self) -> AuditManifest:
        """The manifest, or :class:`AuditRefused` when nothing is planned yet."""
        if self.manifest is None:
            raise AuditRefused(NO_PLAN)
        return self.manifest

    def contest_batches(self) -> ContestBatches:
        """The manifest as a contest, or :class:`AuditRefused` when nothing is planned yet."""
        if self.batches is None:
            raise AuditRefused(NO_PLAN)
        return self.batches

    @property
    def every_choice(self) -> bool:
        """A contest audit (its manifest holds every choice; every winner–loser pair is confirmed
        and its measurements name each pair's risk), not a one-pair (runoff) audit."""
        return self.manifest is not None and self.manifest.every_choice

    @property
    def choices(self) -> tuple[str, ...]:
        """The contest's choices a hand count must give (the pair's two in a one-pair audit)."""
        return tuple(self.contest_batches().contest.votes)

    @property
    def winners(self) -> tuple[str, ...]:
        return self.contest_batches().contest.winners

    @property
    def losers(self) -> tuple[str, ...]:
        return self.contest_batches().contest.losers

    def pairs(self) -> list[tuple[str, str]]:
        """Every (winner, loser) pair the audit confirms (one in a runoff)."""
        return self.contest_batches().contest.pairs()

    @property
    def draw_indices(self) -> tuple[int, ...]:
        return tuple(index for r in self.rounds for index in r.indices)

    def sampled_tables(self) -> list[str]:
        """Distinct sampled tables, in order of their first draw."""
        tables = self.planned_manifest().batches.tables
        return list(dict.fromkeys(tables[i] for i in self.draw_indices))

    def hand_count(self, table: str) -> HandCount | None:
        """The settled count of a table: its resolution, or its two matching entries."""
        return _settled(self.resolutions, self.entries, table)

    def table_status(self, table: str) -> str:
        """pending, awaiting_second_entry, discrepancy, agreed or resolved."""
        return _entry_status(self.resolutions, self.entries, table)

    def unsettled_tables(self) -> list[str]:
        return [t for t in self.sampled_tables() if self.hand_count(t) is None]

    def unsettled(self) -> list[str]:
        """Sampled units (tables, or ballots ``table:position``) without a settled reading."""
        return self.unsettled_ballots() if self.polling else self.unsettled_tables()

    # -- ballot polling -------------------------------------------------------------------------

    def draw_ballots(self) -> list[str]:
        """The ballot of every draw so far (``table:position``), in draw order, repeats included."""
        tables = self.planned_manifest().batches.tables
        return [ballot_id(tables[i], p) for r in self.rounds for i, p in zip(r.indices, r.positions, strict=True)]

    def sampled_ballots(self) -> list[str]:
        """Distinct sampled ballots, in order of their first draw."""
        return list(dict.fromkeys(self.draw_ballots()))

    def ballot_vote(self, ballot: str) -> str | None:
        """The settled reading of a ballot: its resolution, or its two matching entries."""
        reading = _settled(self.ballot_resolutions, self.ballot_entries, ballot)
        return reading.vote if reading is not None else None

    def ballot_status(self, ballot: str) -> str:
        """pending, awaiting_second_entry, discrepancy, agreed or resolved."""
        return _entry_status(self.ballot_resolutions, self.ballot_entries, ballot)

    def unsettled_ballots(self) -> list[str]:
        return [b for b in self.sampled_ballots() if self.ballot_vote(b) is None]

    def readings(self) -> list[str]:
        """The settled reading of every draw so far (a ballot drawn twice counts twice), in draw order."""
        result = []
        for ballot in self.draw_ballots():
            vote = self.ballot_vote(ballot)
            if vote is None:
                raise AuditRefused(f"ballot {ballot} has no settled reading yet")
            result.append(vote)
        return result

    BALLOT_COLUMNS = ("ballot", "table", "position", "times_drawn", "status")
    """The columns every row of :meth:`ballot_rows` has (a read ballot adds its vote)."""
    TABLE_COLUMNS = ("table", "times_drawn", "status", "sheet_winner", "sheet_loser", "sheet_ballots")
    """The columns every row of :meth:`comparisons` has (a counted table adds its hand count)."""

    def ballot_rows(self) -> list[dict[str, Any]]:
        """Each sampled ballot with what it shows (what a polling audit shows the public)."""
        times = Counter(self.draw_ballots())
        rows = []
        for ballot in times:
            table, position = split_ballot_id(ballot)
            vote = self.ballot_vote(ballot)
            row: dict[str, Any] = {
                "ballot": ballot,
                "table": table,
                "position": position,
                "times_drawn": times[ballot],
                "status": self.ballot_status(ballot),
            }
            if vote is not None:
                row |= {"vote": vote, "counts_for": self.counts_for(vote)}
            rows.append(row)
        return rows

    def counts_for(self, vote: str) -> str:
        """winner, loser or other: what a reading means for the audited pair."""
        return "winner" if vote == self.winner else "loser" if vote == self.loser else "other"

    def reported_pair(self, pair: tuple[str, str] | None = None) -> PairShares:
        """A pair's reported totals over the manifest (all ballots cast in it); the planned
        winner and loser by default."""
        contest = self.contest_batches().contest
        winner, loser = pair or (self.winner, self.loser)
        return PairShares(contest.votes[winner], contest.votes[loser], contest.ballots)

    def _settled_counts(self) -> list[tuple[str, HandCount]]:
        """The table and settled hand count of every draw so far, in draw order."""
        tables = self.contest_batches().tables
        result = []
        for index in self.draw_indices:
            count = self.hand_count(tables[index])
            if count is None:
                raise AuditRefused(f"table {tables[index]} has no settled hand count yet")
            result.append((tables[index], count))
        return result

    def taints(self) -> list[Fraction]:
        """Taint of every draw so far (a table drawn twice counts twice), in draw order: the
        largest over the winner–loser pairs (MACRO's per-batch maximum)."""
        batches = self.contest_batches()
        return [batches.taint(table, count.counts) for table, count in self._settled_counts()]

    def pair_taints(self) -> dict[tuple[str, str], list[Fraction]]:
        """Each pair's taint of every draw so far, relative to the table's bound (see
        :meth:`ContestBatches.pair_taints`)."""
        batches = self.contest_batches()
        per_draw = [batches.pair_taints(table, count.counts) for table, count in self._settled_counts()]
        return {pair: [taints[pair] for taints in per_draw] for pair in self.pairs()}

    def comparisons(self) -> list[dict[str, Any]]:
        """Each sampled table's sheet against its hand count (what the audit shows the public):
        the planned pair's figures, and in a contest audit the pair whose margin the count
        overstates most (``worst_pair``) beside the table's taint (the maximum over pairs)."""
        batches = self.contest_batches()
        w, lo = (batches.contest_column(self.winner), batches.contest_column(self.loser))
        times = times_drawn(self.draw_indices)
        rows = []
        for table in self.sampled_tables():
            index = batches.index_of(table)
            count = self.hand_count(table)
            row: dict[str, Any] = {
                "table": table,
                "times_drawn": times[index],
                "status": self.table_status(table),
                "sheet_winner": int(batches.votes[index, w]),
                "sheet_loser": int(batches.votes[index, lo]),
                "sheet_ballots": int(batches.ballots[index]),
            }
            if count is not None:
                sheet_margin = row["sheet_winner"] - row["sheet_loser"]
                hand_margin = count.counts[self.winner] - count.counts[self.loser]
                row |= {
                    "hand_winner": count.counts[self.winner],
                    "hand_loser": count.counts[self.loser],
                    "hand_ballots": count.ballots,
                    "overstatement_votes": sheet_margin - hand_margin,
                }
                if self.every_choice:
                    taints = batches.pair_taints(table, count.counts)
                    worst = max(taints, key=lambda pair: (taints[pair], -batches.contest.margin(pair)))
                    row |= {"taint": fraction_text(taints[worst]), "worst_pair": pair_label(worst)}
                else:
                    row["taint"] = fraction_text(Fraction(sheet_margin - hand_margin, sheet_margin + row["sheet_ballots"]))
            rows.append(row)
        return rows


Entered = TypeVar("Entered", HandCount, BallotReading)
"""What double entry records: a table's hand count or a ballot's reading."""


def _settled(resolutions: Mapping[str, Entered], entries: Mapping[str, Mapping[int, Entered]], key: str) -> Entered | None:
    """What stands for a table or ballot: its resolution, or its two entries when they agree."""
    if key in resolutions:
        return resolutions[key]
    found = entries.get(key, {})
    if len(found) == 2 and found[1].same_count(found[2]):
        return found[1]
    return None


def _entry_status(resolutions: Mapping[str, Entered], entries: Mapping[str, Mapping[int, Entered]], key: str) -> str:
    """pending, awaiting_second_entry, discrepancy, agreed or resolved."""
    if key in resolutions:
        return "resolved"
    found = entries.get(key, {})
    if len(found) < 2:
        return "awaiting_second_entry" if found else "pending"
    return "agreed" if found[1].same_count(found[2]) else "discrepancy"


def ballot_id(table: str, position: int) -> str:
    """A sampled ballot's name in the record: its table and its 1-based position there."""
    return f"{table}:{position}"


def split_ballot_id(ballot: str) -> tuple[str, int]:
    """``table:position`` back into its parts (the position is after the last colon)."""
    table, sep, position = ballot.rpartition(":")
    if not sep or not position.isdigit():
        raise AuditRefused(f"{ballot!r} is not a sampled ballot (expected TABLE:POSITION)")
    return table, int(position)


def times_drawn(indices: Iterable[int]) -> dict[int, int]:
    """How many times each table (manifest index) was drawn, in order of first draw."""
    return dict(Counter(indices))
