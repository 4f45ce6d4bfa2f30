"""Public reads from a PostgreSQL streaming replica (``session.replica``), writes to the primary.

A session opened as ``Session(db, read_db=REPLICA_URL)`` keeps writing through ``db`` (the
primary); :meth:`ReplicaService.reads` hands out a read-only session on the replica for the
public's reads, and :meth:`ReplicaService.lag` says how far the replica is behind.

Freshness, the rule: a result names the head of the log it was computed at (``log.events`` in
the national results, ``events`` in the status), and every figure in it is at least that new
(``count.results`` and ``count.status`` read the head before the figures; a replica only moves
forward). A client that has seen head N (its own write, a ``changes`` poll, a published tree)
asks for ``at_least=N``: if the replica has not replayed event N yet, the read **waits** for it
up to ``wait`` seconds (replay on a healthy loopback replica takes milliseconds), and if the
replica is still behind then, the read **goes to the primary**, which has every event. So a
client is never served figures older than a head it has already seen, and a lagging replica
slows a read down by at most ``wait`` instead of failing it. :class:`ReadSession` says which
server answered, and the replica's head and lag, so an API can put them in its headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from escrutinio.domain.errors import StoreError

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.store.replication import WalPosition

Opener = Callable[[str], Any]
"""Opens a session (``Session(url, actor)``) on a store URL: how this module makes sessions
without importing the session module that builds it."""

WAIT = 2.0
"""Seconds a read waits for the replica to replay the head asked for, before the primary answers."""
POLL = 0.02


@dataclass(frozen=True)
class Lag:
    """Where the replica stands: heads (event numbers and hashes) on each server, WAL bytes not yet
    replayed, events not yet replayed, seconds since the replica replayed a transaction, and
    ``lag_seconds``: how long the replica has been behind, the age of the oldest event it has
    not replayed (0 when it has replayed all it received and holds every event, however long
    ago the primary last wrote)."""

    primary_events: int
    primary_head: str
    replica_events: int
    replica_head: str
    lag_events: int
    lag_bytes: int | None
    replayed_ago_seconds: float | None
    lag_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReadSession:
    """A session to read from, and which server it reads: ``replica`` or ``primary``, with the
    head that server held when it was chosen (at least the one asked for)."""

    session: Any
    """A ``Session``: read with ``.count.results()`` and the rest; close it when done."""
    server: str
    events: int


class ReplicaService:
    """``session.replica``: the read replica of a session opened with ``read_db``."""

    def __init__(self, session: SessionContext, read_url: str | None, open_session: Opener) -> None:
        self.session = session
        self.read_url = read_url
        self.open_session = open_session

    def _replica(self) -> Any:
        return self.open_session(self._replica_url())

    def _replica_url(self) -> str:
        if self.read_url is None:
            raise StoreError("read_db: this session has no read replica (open it with read_db=URL)", field="read_db")
        from escrutinio.store.location import sqlite_path

        if sqlite_path(self.read_url) is not None:
            raise StoreError("read_db: a read replica is a PostgreSQL server: give a postgresql:// URL", field="read_db")
        return self.read_url

    def lag(self) -> Lag:
        """The replica's lag behind the primary, in events, WAL bytes and seconds. Refused (a
        :class:`StoreError` naming ``read_db`` and why) when the read store is not a streaming
        replica of the primary's store: not replaying, a replica of another server, or holding
        a log that is not the primary's (another database): its reads would be another record's."""
        from escrutinio.store.location import sqlite_path
        from escrutinio.store.replication import ReplicaProbe

        if sqlite_path(self.session.url) is not None:
            raise StoreError("read_db: a streaming replica needs a PostgreSQL primary, and db is an SQLite file", field="read_db")
        from escrutinio.store.reader import Reader

        # A bare reader, not a session: a session checks the store's schema first, and whether
        # the replica holds a store (yet) is one of the things asked here.
        replica_reader = Reader(self._replica_url())
        try:
            primary_reader = self.session.reader
            probe = ReplicaProbe(primary_reader, replica_reader)
            replica = probe.replica_position()  # the replica first: its lag is never under-reported
            found = _replica_head(replica_reader)
            primary = probe.primary_position()
            primary_seq, primary_head = primary_reader.head()
            # the replica's last event is the primary's of that number (None past the primary's head)
            same_log = found is None or found[0] == 0 or primary_reader.event_hash(found[0]) == found[1]
            unreplayed = primary_reader.event_at(found[0] + 1) if found is not None and found[0] < primary_seq else None
        finally:
            replica_reader.close()
        lag_bytes = None
        if primary.position is not None and replica.position is not None:
            lag_bytes = max(0, primary.position - replica.position)
        replica_seq, replica_head = self._check(replica, primary, found, same_log, lag_bytes)
        caught_up = primary_seq == replica_seq and (
            lag_bytes == 0
            or (replica.received is not None and replica.position is not None and replica.position >= replica.received)
        )
        return Lag(
            primary_seq,
            primary_head,
            replica_seq,
            replica_head,
            max(0, primary_seq - replica_seq),
            lag_bytes,
            replica.replayed_ago,
            0.0 if caught_up else _behind_since(unreplayed, replica.replayed_ago),
        )

    def _check(
        self, replica: WalPosition, primary: WalPosition, found: tuple[int, str] | None, same_log: bool, lag_bytes: int | None
    ) -> tuple[int, str]:
        """The replica's head, once it is known to be a streaming replica of the primary's store
        (see :meth:`lag`); a store not replayed yet by a replica still catching up is
        :class:`StoreUnavailable` (retry), not a refusal."""
        from escrutinio.domain.errors import StoreUnavailable

        url = _shown(self.read_url)
        if not replica.replica or primary.replica:
            which = url if not replica.replica else _shown(self.session.url)
            raise _not_a_replica(f"{which} is not a replica of the primary (pg_is_in_recovery() says otherwise)")
        if None not in (replica.system, primary.system) and replica.system != primary.system:
            raise _not_a_replica(f"{url} replicates another server than the primary (system identifiers differ)")
        if found is None and lag_bytes:
            raise StoreUnavailable(f"read_db: {url} has not replayed the primary's store yet; retry", field="read_db")
        if found is None:
            raise _not_a_replica(f"{url} holds no escrutinio store")
        if not same_log:
            raise _not_a_replica(
                f"{url} holds another log than the primary's store (event {found[0]} differs): "
                "the same database on the primary's replica is expected"
            )
        return found

    def reads(self, at_least: int | None = None, *, wait: float = WAIT) -> ReadSession:
        """A read-only session on the replica holding event ``at_least`` (any head when None),
        waiting up to ``wait`` seconds for it to replay that far; past that, one on the primary.

        The returned session reads only: a write through it is refused by the replica.
        """
        replica = self._replica()
        deadline = time.monotonic() + wait
        while True:
            events = replica.reader.head()[0]
            if at_least is None or events >= at_least:
                return ReadSession(replica, "replica", events)
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL)
        replica.close()
        primary = self.open_session(self.session.url)
        events = primary.reader.head()[0]
        if events < at_least:
            primary.close()
            raise StoreError(f"at_least: the log has {events} events; event {at_least} is not recorded yet")
        return ReadSession(primary, "primary", events)


def _behind_since(unreplayed: str | None, replayed_ago: float | None) -> float | None:
    """Seconds the replica has been behind: the age of the oldest event it has not replayed.

    Why not the seconds since it last replayed a transaction (PostgreSQL's own measure): after
    a quiet spell, a replica that stops replaying a write made one second ago would be said to
    be as far behind as the quiet spell was long. Without an event to date (the replica holds
    every event, and only other writes are unreplayed), that measure is all there is."""
    if unreplayed is None:
        return replayed_ago
    from datetime import UTC, datetime

    at = datetime.fromisoformat(unreplayed)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - at).total_seconds())


def _not_a_replica(why: str) -> StoreError:
    return StoreError(f"read_db: {why}; its reads are not served", field="read_db")


def _replica_head(reader: Any) -> tuple[int, str] | None:
    """The replica's head; None when its database holds no store (not one, or not replayed yet)."""
    from escrutinio.domain.errors import StoreUnavailable

    try:
        return reader.head()  # type: ignore[no-any-return]
    except StoreUnavailable:
        raise
    except StoreError:
        return None


def _shown(url: str | None) -> str:
    from escrutinio.store.failures import shown

    return shown(url or "")
