"""Chunks: the rows of a bulk event, stored column-wise as one Arrow IPC blob.

A load's events each carry thousands of tables or sheets; the projection keeps them the same
way, one ``chunks`` row per event, instead of one SQL row per table (per-row inserts were most
of a national load's time). Chunks never change once written, so a process decodes each one
once and keeps it, keyed by its event's hash: a key that no rolled-back write can reuse.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

import polars as pl

from escrutinio.store.engine import mark, parts, placeholders

ROLL = "roll"
SHEETS = "sheets"


def encode(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="lz4")
    return buffer.getvalue()


def decode(blob: bytes | memoryview) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(bytes(blob)))


def write(conn: Any, seq: int, digest: str, kind: str, frame: pl.DataFrame) -> None:
    """Store a chunk under its event (``seq``, whose hash is ``digest``)."""
    conn.exec_driver_sql(
        f"INSERT INTO chunks (seq, kind, hash, rows) VALUES ({placeholders(conn, 4)})", (seq, kind, digest, encode(frame))
    )


def only_tables(frame: pl.DataFrame, ids: Sequence[str]) -> pl.DataFrame:
    """The rows of a frame keyed by ``table`` that belong to these tables."""
    return frame.join(pl.DataFrame({"table": list(ids)}, schema={"table": pl.String}), on="table", how="semi")


class Chunk:
    """One decoded chunk, with an index from table id to row built the first time a few tables
    are asked for (a ruling reads one table out of 86,000: a lookup, not a join)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._index: dict[str, int] | None = None

    def rows_of(self, ids: Sequence[str] | None) -> pl.DataFrame:
        """The rows of these tables (all rows for ``None``), in the chunk's order for a join."""
        if ids is None:
            return self.frame
        if len(ids) > FEW:
            return only_tables(self.frame, ids)
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self.frame["table"].to_list())}
        index = self._index
        rows = sorted({index[t] for t in ids if t in index})
        # A national roll is a score of chunks, and a sheet entry asks each for its one table:
        # most hold none of it, so answer those (and a single row) without a polars gather.
        if not rows:
            return self.frame.clear()
        if len(rows) == 1:
            return self.frame.slice(rows[0], 1)
        return self.frame[rows]


FEW = 2_000
"""Up to this many tables a read looks them up by index; above, it joins."""


def read(conn: Any, kind: str, cache: dict[str, Any], listed: Sequence[tuple[int, str]] | None = None) -> list[Chunk]:
    """Every chunk of a kind, oldest first; only those this process has not seen are fetched.

    ``listed``: the chunks' (seq, hash), oldest first, when the caller read them already (in
    a query that asked for more). ``cache`` may be shared by many threads (``store.shared``):
    the first to miss a chunk fetches and decodes it while the others wait for it, rather than
    each decoding its own."""
    if listed is None:
        sql = f"SELECT seq, hash FROM chunks WHERE kind = {mark(conn)} ORDER BY seq"
        listed = conn.exec_driver_sql(sql, (kind,)).fetchall()
    seen: dict[str, Chunk] = cache.setdefault(f"chunks:{kind}", {})
    if any(digest not in seen for _, digest in listed):
        with cache.setdefault(f"chunks:{kind}:lock", threading.Lock()):
            missing = [seq for seq, digest in listed if digest not in seen]
            by_seq: dict[int, Any] = {}
            for part in parts(missing):
                sql = f"SELECT seq, rows FROM chunks WHERE seq IN ({placeholders(conn, len(part))})"
                by_seq.update(conn.exec_driver_sql(sql, tuple(part)).fetchall())
            for seq, digest in listed:
                if digest not in seen:
                    seen[digest] = Chunk(decode(by_seq[seq]))
    return [seen[digest] for _, digest in listed]
