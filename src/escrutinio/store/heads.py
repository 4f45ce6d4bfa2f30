"""Signed tree heads and cosignatures in the store, and the event hashes the Merkle tree is built from.

Kept apart from :class:`escrutinio.store.store.Store` (which appends events) because heads are
not events: writing one never touches the log, so signing a head as the count goes on never
makes a clerk's write stale. Each write is one transaction under the store's write lock.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from escrutinio.ledger.events import Event
from escrutinio.ledger.heads import Cosignature, SignedHead, TreeHead
from escrutinio.ledger.signing import PublicKey
from escrutinio.store.engine import lock_for_write, mark, placeholders, writing
from escrutinio.store.failures import guarded
from escrutinio.store.store import EVENT_COLUMNS, Store, _event

HEAD_COLUMNS = "size, key_id, root, last_event, log, time, public_key, signature"
COSIGNATURE_COLUMNS = "size, key_id, root, time, public_key, signature"


@guarded
class TreeHeads:
    """The heads, cosignatures and event hashes of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.url = store.url

    # -- the leaves -------------------------------------------------------------------------

    def event_hashes(self, after: int = 0) -> list[str]:
        """The hashes of events ``after + 1``, ``after + 2``, ... in order (one column, one query)."""
        with self.store.engine.connect() as conn:
            sql = f"SELECT hash FROM events WHERE seq > {int(after)} ORDER BY seq"
            return [r[0] for r in conn.exec_driver_sql(sql).fetchall()]

    def event_hash(self, seq: int) -> str | None:
        with self.store.engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT hash FROM events WHERE seq = {int(seq)}").scalar()

    def event(self, seq: int) -> Event | None:
        with self.store.engine.connect() as conn:
            row = conn.exec_driver_sql(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq = {int(seq)}").first()
        return None if row is None else _event(row)

    # -- heads ------------------------------------------------------------------------------

    def add_head(self, signed: SignedHead) -> SignedHead:
        """Store a signed head; when this signer already signed this size, keep (and return) that
        one: signing again with nothing new adds nothing, so periodic signing can run blindly."""
        h = signed.head
        with writing(self.store.engine) as conn, conn.begin():
            lock_for_write(conn)
            found = self._heads(conn, size=h.size, key_id=signed.key_id)
            if found:
                return found[0]
            values = (h.size, signed.key_id, h.root, h.last_event, h.log, h.time, signed.key.hex, signed.signature)
            conn.exec_driver_sql(f"INSERT INTO tree_heads ({HEAD_COLUMNS}) VALUES ({placeholders(conn, 8)})", values)
        return signed

    def add_cosignature(self, head: TreeHead, cosignature: Cosignature) -> None:
        """Store (or replace: a witness that cosigns a size again re-dates it) a cosignature."""
        with writing(self.store.engine) as conn, conn.begin():
            lock_for_write(conn)
            m = mark(conn)
            conn.exec_driver_sql(f"DELETE FROM cosignatures WHERE size = {m} AND key_id = {m}", (head.size, cosignature.key_id))
            values = (head.size, cosignature.key_id, head.root, cosignature.time, cosignature.key.hex, cosignature.signature)
            conn.exec_driver_sql(f"INSERT INTO cosignatures ({COSIGNATURE_COLUMNS}) VALUES ({placeholders(conn, 6)})", values)

    def heads(self, size: int | None = None) -> list[SignedHead]:
        """Every stored head (of one size, if given), oldest first, with the cosignatures of its root."""
        with self.store.engine.connect() as conn:
            return self._heads(conn, size=size)

    def latest(self) -> SignedHead | None:
        """The head of the largest size (the latest signed of those)."""
        with self.store.engine.connect() as conn:
            top = conn.exec_driver_sql("SELECT MAX(size) FROM tree_heads").scalar()
            if top is None:
                return None
            return self._heads(conn, size=top)[-1]

    def _heads(self, conn: Any, size: int | None = None, key_id: str | None = None) -> list[SignedHead]:
        m = mark(conn)
        by_size = f" WHERE size = {m}" if size is not None else ""
        size_param = (size,) if size is not None else ()
        head_sql = f"SELECT {HEAD_COLUMNS} FROM tree_heads{by_size}"
        if key_id is not None:
            head_sql += f"{' AND' if by_size else ' WHERE'} key_id = {m}"
        rows = conn.exec_driver_sql(f"{head_sql} ORDER BY size, time", (*size_param, *((key_id,) if key_id else ()))).fetchall()
        cosigned: dict[tuple[int, str], list[Cosignature]] = defaultdict(list)
        co_sql = f"SELECT {COSIGNATURE_COLUMNS} FROM cosignatures{by_size} ORDER BY time"
        for csize, _key_id, root, time, public_key, signature in conn.exec_driver_sql(co_sql, size_param).fetchall():
            cosigned[(csize, root)].append(Cosignature(PublicKey.from_hex(public_key), time, signature))
        out = []
        for hsize, _key_id, root, last_event, log, time, public_key, signature in rows:
            head = TreeHead(log=log, size=hsize, root=root, last_event=last_event, time=time)
            out.append(SignedHead(head, PublicKey.from_hex(public_key), signature, tuple(cosigned[(hsize, root)])))
        return out
