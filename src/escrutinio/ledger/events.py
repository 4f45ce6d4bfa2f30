"""Events and the hash chain that links them.

Every change of state is an event ``{seq, type, at, actor, data, prev}``; its ``hash`` is the
SHA-256 of the canonical JSON of those six fields, and ``prev`` is the previous event's hash
(64 zeros for the first), so changing any byte of any event breaks every later link.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from escrutinio.ledger.canonical import canonical

GENESIS = "0" * 64


class EventType:
    """The event types escrutinio writes (strings in the log; this is their one spelling)."""

    ELECTION_DEFINED = "election.defined"
    AREAS_REGISTERED = "areas.registered"
    TABLES_REGISTERED = "tables.registered"
    SHEETS_RECORDED = "sheets.recorded"
    SHEET_ENTERED = "sheet.entered"
    """One clerk's keying of one table's sheet (double entry: two clerks key it independently)."""
    SHEET_IMAGE_ATTACHED = "sheet.image_attached"
    """A scan of a table's sheet, kept in the blob store under the SHA-256 the event names."""
    INTAKE_EVENTS = (SHEET_ENTERED, SHEET_IMAGE_ATTACHED)
    CASE_OPENED = "case.opened"
    CASE_ADMITTED = "case.admitted"
    CASE_REFUSED = "case.refused"
    CASE_RULED = "case.ruled"
    CASE_APPEALED = "case.appealed"
    CASE_APPEAL_DECIDED = "case.appeal_decided"
    CASE_FINALISED = "case.finalised"
    CASE_EVENTS = (
        CASE_OPENED,
        CASE_ADMITTED,
        CASE_REFUSED,
        CASE_RULED,
        CASE_APPEALED,
        CASE_APPEAL_DECIDED,
        CASE_FINALISED,
    )
    KEY_REGISTERED = "key.registered"  # an official's public key, its holder and role
    CERTIFICATE_ISSUED = "certificate.issued"  # the proclamation's signed certificate
    AUDIT_PLANNED = "audit.planned"
    AUDIT_SEEDED = "audit.seeded"
    AUDIT_SAMPLED = "audit.sampled"
    AUDIT_HAND_COUNT = "audit.hand_count"
    AUDIT_RESOLVED = "audit.resolved"
    AUDIT_BALLOT = "audit.ballot"
    AUDIT_BALLOT_RESOLVED = "audit.ballot_resolved"
    AUDIT_MEASURED = "audit.measured"
    AUDIT_REPORTED = "audit.reported"
    AUDIT_EVENTS = (
        AUDIT_PLANNED,
        AUDIT_SEEDED,
        AUDIT_SAMPLED,
        AUDIT_HAND_COUNT,
        AUDIT_RESOLVED,
        AUDIT_BALLOT,
        AUDIT_BALLOT_RESOLVED,
        AUDIT_MEASURED,
        AUDIT_REPORTED,
    )
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_REVOKED = "account.revoked"


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: str
    at: str
    actor: str
    data: dict[str, Any]
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        """The six hashed fields."""
        return {"seq": self.seq, "type": self.type, "at": self.at, "actor": self.actor, "data": self.data, "prev": self.prev}

    def line(self) -> bytes:
        """The event as one canonical JSON line (with its hash), as exported."""
        return canonical({**self.body(), "hash": self.hash})


def timestamp(moment: datetime | None = None) -> str:
    """UTC ISO-8601 with microseconds and a Z: sortable, unambiguous, canonical."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def seal(seq: int, type_: str, actor: str, data: dict[str, Any], prev: str, at: str | None = None) -> Event:
    """Make the next event of the chain."""
    at = at or timestamp()
    body = {"seq": seq, "type": type_, "at": at, "actor": actor, "data": data, "prev": prev}
    return Event(seq, type_, at, actor, data, prev, digest(body))


def seal_encoded(seq: int, type_: str, actor: str, data: bytes, prev: str, at: str | None = None) -> tuple[str, str]:
    """(at, hash) of an event whose data is already canonical JSON bytes.

    A bulk event's data is encoded once and spliced into the body (the same bytes canonical()
    would produce for the whole body, since the data's own keys are already sorted), instead of
    being encoded twice, once to hash and once to store.
    """
    at = at or timestamp()
    body = {"seq": seq, "type": type_, "at": at, "actor": actor, "data": orjson.Fragment(data), "prev": prev}
    return at, hashlib.sha256(canonical(body)).hexdigest()
