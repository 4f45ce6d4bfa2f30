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
import sqlalchemy as sa

ROLL = "roll"
SHEETS = "sheets"


def encode(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="lz4")
    return buffer.getvalue()


def decode(blob: bytes | memoryview) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(bytes(blob)))


def write(conn: sa.Connection, seq: int, digest: str, kind: str, frame: pl.DataFrame) -> None:
    """Store a chunk under its event (``seq``, whose hash is ``digest``)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO chunks (seq, kind, hash, rows) VALUES ({mark}, {mark}, {mark}, {mark})", (seq, kind, digest, encode(frame))
    )


def read(conn: sa.Connection, kind: str, cache: dict[str, Any]) -> list[pl.DataFrame]:
    """Every chunk of a kind, oldest first; only those this process has not seen are fetched."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    listed = conn.exec_driver_sql(
        f"SELECT seq, hash FROM chunks WHERE kind = {mark} ORDER BY seq", (kind,)
    ).fetchall()
    seen: dict[str, pl.DataFrame] = cache.setdefault(f"chunks:{kind}", {})
    missing = [seq for seq, digest in listed if digest not in seen]
    by_seq: dict[int, Any] = {}
    for i in range(0, len(missing), 500):
        part = missing[i : i + 500]
        marks = ", ".join([mark] * len(part))
        by_seq.update(conn.exec_driver_sql(f"SELECT seq, rows FROM chunks WHERE seq IN ({marks})", tuple(part)).fetchall())
    for seq, digest in listed:
        if digest not in seen:
            seen[digest] = decode(by_seq[seq])
    return [seen[digest] for _, digest in listed]
