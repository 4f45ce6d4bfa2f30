"""Chunks: the rows of a bulk event, stored column-wise as one Arrow IPC blob.

A load's events each carry thousands of tables or sheets; the projection keeps them the same
way, one ``chunks`` row per event, instead of one SQL row per table (per-row inserts were most
of a national load's time). Chunks never change once written, so a process decodes each one
once and keeps it, keyed by its event's hash: a key that no rolled-back write can reuse.
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl

from escrutinio.store.engine import mark, placeholders

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


def read(conn: Any, kind: str, cache: dict[str, Any]) -> list[pl.DataFrame]:
    """Every chunk of a kind, oldest first; only those this process has not seen are fetched."""
    listed = conn.exec_driver_sql(f"SELECT seq, hash FROM chunks WHERE kind = {mark(conn)} ORDER BY seq", (kind,)).fetchall()
    seen: dict[str, pl.DataFrame] = cache.setdefault(f"chunks:{kind}", {})
    missing = [seq for seq, digest in listed if digest not in seen]
    by_seq: dict[int, Any] = {}
    for i in range(0, len(missing), 500):
        part = missing[i : i + 500]
        sql = f"SELECT seq, rows FROM chunks WHERE seq IN ({placeholders(conn, len(part))})"
        by_seq.update(conn.exec_driver_sql(sql, tuple(part)).fetchall())
    for seq, digest in listed:
        if digest not in seen:
            seen[digest] = decode(by_seq[seq])
    return [seen[digest] for _, digest in listed]
