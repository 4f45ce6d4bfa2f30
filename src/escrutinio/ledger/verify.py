"""Check an exported log line by line: canonical form, hashes and links.

A log passes only if every line is exactly the canonical encoding of its event, every hash
matches, sequence numbers run 1, 2, 3, ... and each ``prev`` is the hash before it. The first
failure is named by line and sequence number; nothing after it is trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from escrutinio.domain.errors import EscrutinioError
from escrutinio.ledger.canonical import canonical, parse
from escrutinio.ledger.events import GENESIS, Event, digest

FIELDS = ("seq", "type", "at", "actor", "data", "prev", "hash")


class ChainError(EscrutinioError):
    """The log is broken at a named place."""

    def __init__(self, line: int, seq: int | None, reason: str) -> None:
        self.line = line
        self.seq = seq
        where = f"line {line}" + (f" (event {seq})" if seq is not None else "")
        super().__init__(f"log broken at {where}: {reason}")


@dataclass(frozen=True)
class ChainSummary:
    events: int
    head: str


def read_events(lines: Iterable[bytes]) -> Iterator[Event]:
    """Yield verified events in order; raise :class:`ChainError` at the first bad one."""
    prev = GENESIS
    expected_seq = 1
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip(b"\n")
        try:
            obj = parse(line)
        except ValueError as exc:
            raise ChainError(number, expected_seq, f"not valid JSON ({exc})") from None
        seq = obj.get("seq") if isinstance(obj, dict) else None
        if not isinstance(obj, dict) or tuple(sorted(obj)) != tuple(sorted(FIELDS)):
            raise ChainError(number, seq, f"expected an object with exactly {', '.join(FIELDS)}")
        if canonical(obj) != line:
            raise ChainError(number, seq, "not in canonical form (keys sorted, no spaces): the line was altered")
        if seq != expected_seq:
            raise ChainError(number, seq, f"expected sequence number {expected_seq}")
        if obj["prev"] != prev:
            raise ChainError(number, seq, "its prev does not match the previous event's hash")
        event = Event(seq, obj["type"], obj["at"], obj["actor"], obj["data"], obj["prev"], obj["hash"])
        if digest(event.body()) != event.hash:
            raise ChainError(number, seq, "its hash does not match its content")
        prev = event.hash
        expected_seq += 1
        yield event
