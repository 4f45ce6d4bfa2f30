"""Where a PostgreSQL streaming replica stands against its primary: the write-ahead-log
positions each one reports, and the head of the log each one holds.

Two measures of lag, because each answers a different question: bytes of WAL not yet replayed
(``pg_current_wal_lsn`` on the primary against ``pg_last_wal_replay_lsn`` on the replica) say how
far behind the replica's storage is; events (the primary's head against the replica's) say which
published figures the replica cannot serve yet. The time since the replica replayed its last
transaction is reported too, but it grows on an idle primary, so it is never used to decide,
and a replica that has replayed all it received from its primary is 0 seconds behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from escrutinio.domain.errors import StoreError
from escrutinio.store.location import sqlite_path
from escrutinio.store.reader import Reader


def lsn(text: str | None) -> int | None:
    """A WAL position (``16/B374D848``) as a number of bytes."""
    if not text:
        return None
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass(frozen=True)
class WalPosition:
    """What one server reports: whether it is replaying (a replica), its WAL position (written
    on a primary, replayed on a replica), the seconds since its last replayed transaction, the
    WAL it has received (a replica), and which cluster it is (``system_identifier``: a
    replica made by ``pg_basebackup`` has its primary's)."""

    replica: bool
    position: int | None
    replayed_ago: float | None
    received: int | None = None
    system: int | None = None


class ReplicaProbe:
    """Reads the WAL position of a primary and of its replica (two PostgreSQL URLs; the readers
    already turn driver failures into one-line errors naming their server)."""

    def __init__(self, primary: Reader, replica: Reader) -> None:
        for reader, field in ((primary, "db"), (replica, "read_db")):
            if sqlite_path(reader.url) is not None:
                raise StoreError(
                    f"{field}: a read replica and its primary are PostgreSQL servers: expected a postgresql:// URL, "
                    "not an SQLite file",
                    field=field,
                )
        self.primary = primary
        self.replica = replica

    def primary_position(self) -> WalPosition:
        (recovering, written, system), *_ = self.primary.rows(
            "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
            " (SELECT system_identifier FROM pg_control_system())"
        )
        return WalPosition(bool(recovering), lsn(written), None, system=system)

    def replica_position(self) -> WalPosition:
        (recovering, replayed, ago, received, system), *_ = self.replica.rows(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
            " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, pg_last_wal_receive_lsn()::text,"
            " (SELECT system_identifier FROM pg_control_system())"
        )
        return WalPosition(bool(recovering), lsn(replayed), None if ago is None else float(ago), lsn(received), system)
