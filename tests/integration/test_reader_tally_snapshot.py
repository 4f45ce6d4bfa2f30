"""A tally read is checked against the digests and the log head it was projected with; the three
are read in ONE snapshot, so a write committed between those reads cannot make an honest read
look tampered with (PostgreSQL reads run outside a transaction otherwise: CI saw a replica
reader refuse with "projected at event 18, but the log ends at event 20")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.disputes_store import loaded

from escrutinio.app import Session
from escrutinio.store.reader import Reader


def test_a_write_between_the_checks_reads_is_not_taken_for_tampering(db_url: str, tmp_path: Path) -> None:
    db = loaded(db_url, tmp_path)
    with Session(db) as session:
        reader = Reader(session.url)
    read = reader.rows
    wrote: list[int] = []

    def rows(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        found = read(sql, params)
        if "FROM meta WHERE key IN" in sql and not wrote:  # the digests are read; the head is next
            with Session(db) as writer:
                writer.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-1")
                wrote.append(writer.store.head()[0])
        return found

    reader.rows = rows  # type: ignore[method-assign]
    before = reader.head()[0]
    tally = reader.tally()
    reader.close()
    assert wrote and wrote[0] > before  # the write did land between the reads
    assert tally  # and the read, of the state before it, was served
