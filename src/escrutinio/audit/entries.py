"""What a clerk types in during an audit: one entry of a table's hand count or of a ballot's
reading, and the resolution of two entries that differ.

These are the typed inputs of the audit's write actions (the application parses text into
them, a bulk file gives one per row). Each knows its payload in the record and its idempotency
key: the same entry of the same audit is one action, however many times it is submitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from escrutinio.audit.kinds import AuditUnit
from escrutinio.audit.payloads import ballot_event, ballot_resolution_event, hand_count_event, resolution_event
from escrutinio.audit.state import AuditState, BallotReading, HandCount, ballot_id
from escrutinio.domain.errors import Place, RuleError
from escrutinio.ledger import entry_seal


class SameCounter(RuleError):
    """A second entry (hand count or ballot reading) by the account that made the first: the two
    must be independent, as a sheet's two keyings are (the sheets' ``same_clerk``, for auditors).
    ``field`` is the credential the request came with, as for ``same_clerk``."""

    rule = "same_auditor"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="authorization")


@dataclass(frozen=True)
class HandCountEntry:
    """One entry (1 or 2) of a sampled table's hand count (batch comparison)."""

    table: str
    entry: int
    counts: Mapping[str, int]
    ballots: int
    by: str
    place: Place | None = field(default=None, compare=False)
    """Where it was read from (a bulk file's line), for error messages."""

    unit = AuditUnit.TABLES

    @property
    def subject(self) -> str:
        return f"table {self.table}"

    def payload(self) -> dict[str, Any]:
        return hand_count_event(self.table, self.entry, self.counts, self.ballots, self.by)

    def key(self, audit: int) -> str:
        """The action's idempotency key within the audit planned at event ``audit``."""
        return f"audit:{audit}:table:{self.table}:entry:{self.entry}"

    def recorded(self, state: AuditState, entry: int | None = None) -> HandCount | None:
        """What the record already holds for this entry (or for entry ``entry``), if anything."""
        return state.entries.get(self.table, {}).get(entry or self.entry)

    def entered(self) -> HandCount:
        """The count this entry records."""
        return HandCount(dict(self.counts), self.ballots, self.by)

    def same_as(self, recorded: HandCount | BallotReading) -> bool:
        return isinstance(recorded, HandCount) and recorded.same_count(HandCount(dict(self.counts), self.ballots))

    def figures(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.counts.items()) + f" ballots={self.ballots}"


@dataclass(frozen=True)
class BallotEntry:
    """One reading (1 or 2) of a sampled ballot (ballot polling): a choice id, blank, null or other."""

    table: str
    position: int
    entry: int
    vote: str
    by: str
    place: Place | None = field(default=None, compare=False)

    unit = AuditUnit.BALLOTS

    @property
    def subject(self) -> str:
        return f"ballot {self.position} of table {self.table}"

    def payload(self) -> dict[str, Any]:
        return ballot_event(self.table, self.position, self.entry, self.vote, self.by)

    def key(self, audit: int) -> str:
        return f"audit:{audit}:ballot:{self.table}:{self.position}:entry:{self.entry}"

    def recorded(self, state: AuditState, entry: int | None = None) -> BallotReading | None:
        return state.ballot_entries.get(ballot_id(self.table, self.position), {}).get(entry or self.entry)

    def entered(self) -> BallotReading:
        """The reading this entry records."""
        return BallotReading(self.vote, self.by)

    def same_as(self, recorded: HandCount | BallotReading) -> bool:
        return isinstance(recorded, BallotReading) and recorded.vote == self.vote

    def figures(self) -> str:
        return f"vote={self.vote}"


Entry = HandCountEntry | BallotEntry
"""Either kind of entry; an audit takes only the kind its method samples (see ``unit``)."""


def sealed_payload(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payload of an entry recorded while the other is awaited, and what the store keeps.

    Why: the record is public (the log as exported and published, the changes feed); an entry
    whose event carried its figures could be handed to the second counter, whose "agreement"
    would then check nothing. Its event carries a commitment instead (``ledger.entry_seal``,
    as a sheet's first keying does); the figures and salt are kept store-side
    (``PendingEvent.private``) until the other entry reveals them (:func:`revealing_payload`)."""
    figures = entry.entered().figures()
    committed, kept = entry_seal.sealed(figures)
    payload = {k: v for k, v in entry.payload().items() if k not in figures}
    return {**payload, "commitment": committed}, kept


def revealing_payload(entry: Entry, other: HandCount | BallotReading, kept: object, where: str) -> dict[str, Any]:
    """The payload of an entry recorded after ``other``, a sealed one whose kept figures are
    ``kept``: its own figures, the other's revealed (checked to open its commitment) and the
    fields the two disagree on (``differs``, as a sheet's second keying names them)."""
    assert other.commitment is not None
    revealed = entry_seal.reveal(other.commitment, kept, where)
    opened = type(other).from_figures(revealed[entry_seal.FIRST_FIGURES])
    return {**entry.payload(), **revealed, "differs": opened.differing(entry.entered())}  # type: ignore[arg-type]


@dataclass(frozen=True)
class HandCountResolution:
    """The count that stands for a table whose two entries differ, who settled it and why."""

    table: str
    counts: Mapping[str, int]
    ballots: int
    by: str
    reason: str

    unit = AuditUnit.TABLES

    def payload(self) -> dict[str, Any]:
        return resolution_event(self.table, self.counts, self.ballots, self.by, self.reason)


@dataclass(frozen=True)
class BallotResolution:
    """What a ballot whose two readings differ shows, who settled it and why."""

    table: str
    position: int
    vote: str
    by: str
    reason: str

    unit = AuditUnit.BALLOTS

    def payload(self) -> dict[str, Any]:
        return ballot_resolution_event(self.table, self.position, self.vote, self.by, self.reason)


Resolution = HandCountResolution | BallotResolution
