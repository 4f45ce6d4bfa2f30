"""Reading the projection: the roll, and each table's current sheet, from rows and chunks.

A bulk event's tables and sheets live in chunks (see :mod:`escrutinio.store.chunks`); sheets
recorded a few at a time, and the sheets at the dispute body, live as rows of ``sheets``. A
table's current sheet is its newest entry by (version, event) across both: a ruling's row
outranks the chunk it corrects, and a later file's chunk outranks a row it supersedes (the
write retires that row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.ledger.sheets_payload import SHEET_COLUMNS, current_schema
from escrutinio.ledger.state import AREA_SCHEMA, TABLE_SCHEMA
from escrutinio.store import chunks
from escrutinio.store.columns import SHEET_ROW
from escrutinio.store.engine import parts, placeholders

SHEET_SELECTED = SHEET_ROW[: SHEET_ROW.index("seq") + 1]
SHEET_SELECT = ", ".join(SHEET_SELECTED)
"""The ``sheets`` columns a current-sheets frame is built from (``sheet_frame``'s order)."""
ROW_FIELDS = {
    "table": "table_id",
    tf.CAST: "ballots_cast",
    tf.BLANK: "blank",
    tf.NULL: "null_votes",
    tf.CHALLENGED: "challenged",
}
"""Current-sheet frame columns whose ``sheets`` row column has another name."""


def read_areas(conn: Any) -> pl.DataFrame:
    rows = conn.exec_driver_sql("SELECT code, level, kind, name, parent FROM areas").fetchall()
    return pl.DataFrame([tuple(r) for r in rows], schema=AREA_SCHEMA, orient="row")


def read_tables(conn: Any, cache: dict[str, Any], ids: Sequence[str] | None = None) -> pl.DataFrame:
    """The roll (one row per registered table), or the rows of some tables."""
    parts = [c.rows_of(ids) for c in chunks.read(conn, chunks.ROLL, cache)]
    found = [p for p in parts if p.height]  # a few tables lie in one or two of a roll's chunks
    return pl.concat(found) if found else parts[0] if parts else pl.DataFrame(schema=TABLE_SCHEMA)


def sheet_frame(rows: Sequence[Sequence[Any]], election: Election) -> pl.DataFrame:
    """Rows of the sheets table (votes as a JSON list) as a current-sheets frame."""
    choices = election.contest.choice_ids
    schema = current_schema(election)
    if not rows:
        return pl.DataFrame(schema=schema)
    cols = list(zip(*rows, strict=True))
    votes = [orjson.loads(v) for v in cols[10]]
    data: dict[str, Any] = {
        "table": cols[0],
        "version": cols[1],
        "state": cols[2],
        "reasons": cols[3],
        "basis": cols[4],
        "line": cols[5],
        tf.CAST: cols[6],
        tf.BLANK: cols[7],
        tf.NULL: cols[8],
        tf.CHALLENGED: cols[9],
        "seq": cols[11],
    }
    for i, c in enumerate(choices):
        data[tf.choice_column(c)] = [v[i] for v in votes]
    return pl.DataFrame(data, schema=schema).select(list(schema))


def sheet_dicts(rows: Sequence[Sequence[Any]], election: Election) -> dict[str, dict[str, Any]]:
    """Rows of the sheets table (``SHEET_SELECTED``) as current-sheet rows by table, the
    newest (version, event) of each: :func:`sheet_frame` then :func:`newest`, without a frame
    (a write of a few sheets reads a few rows)."""
    choices = [tf.choice_column(c) for c in election.contest.choice_ids]
    out: dict[str, dict[str, Any]] = {}
    for table, version, state, reasons, basis, line, cast, blank, null, challenged, votes, seq in rows:
        held = out.get(table)
        if held is not None and (held["version"], held["seq"]) > (version, seq):
            continue
        sheet = {"table": table, "version": version, "state": state, "reasons": reasons, "basis": basis, "line": line}
        sheet |= {tf.CAST: cast, tf.BLANK: blank, tf.NULL: null, tf.CHALLENGED: challenged}
        sheet |= dict(zip(choices, orjson.loads(votes), strict=True))
        out[table] = sheet | {"seq": seq}
    return out


def payload_sheets(sheets: dict[str, Any], election: Election, seq: int) -> list[dict[str, Any]]:
    """One small sheet event's sheets (its columnar payload) as current-sheet rows, in order:
    :func:`escrutinio.ledger.sheets_payload.from_payload` without a frame."""
    columns = [sheets[c] for c in SHEET_COLUMNS]
    choices = election.contest.choice_ids
    votes = [sheets["votes"][c] for c in choices]
    names = [*SHEET_COLUMNS, *(tf.choice_column(c) for c in choices)]
    return [dict(zip(names, values, strict=True)) | {"seq": seq} for values in zip(*columns, *votes, strict=True)]


def current_row_values(conn: Any, ids: Sequence[str]) -> list[Sequence[Any]]:
    """The ``sheets`` rows (``SHEET_SELECTED``) of these tables' current sheets kept as rows."""
    rows: list[Sequence[Any]] = []
    for part in parts(ids):
        rows += conn.exec_driver_sql(current_rows_sql(conn, len(part)), tuple(part)).fetchall()
    return rows


def current_rows_sql(conn: Any, n: int) -> str:
    """The query of :func:`current_row_values` for ``n`` tables."""
    return f"SELECT {SHEET_SELECT} FROM sheets WHERE current = 1 AND table_id IN ({placeholders(conn, n)})"


def _sheet_rows(conn: Any, election: Election, ids: Sequence[str] | None, current_only: bool) -> pl.DataFrame:
    where = " WHERE current = 1" if current_only else ""
    if ids is None:
        rows = conn.exec_driver_sql(f"SELECT {SHEET_SELECT} FROM sheets{where}").fetchall()
    else:
        rows = []
        joiner = " AND" if where else " WHERE"
        for part in parts(ids):
            sql = f"SELECT {SHEET_SELECT} FROM sheets{where}{joiner} table_id IN ({placeholders(conn, len(part))})"
            rows += conn.exec_driver_sql(sql, tuple(part)).fetchall()
    return sheet_frame(rows, election)


def _entries(conn: Any, election: Election, cache: dict[str, Any], ids: Sequence[str] | None, current_only: bool) -> pl.DataFrame:
    """Chunk entries and rows together (rows last, so they win a tie with their own chunk)."""
    parts = [c.rows_of(ids) for c in chunks.read(conn, chunks.SHEETS, cache)]
    return pl.concat([*(p for p in parts if p.height), _sheet_rows(conn, election, ids, current_only)])


def current_rows(conn: Any, election: Election, ids: Sequence[str]) -> pl.DataFrame:
    """The current sheets of these tables kept as rows (all of a table's current sheet when no
    chunk holds one of its sheets: :mod:`escrutinio.store.lookup` tells)."""
    return _sheet_rows(conn, election, ids, current_only=True)


def newest(entries: pl.DataFrame, by: Sequence[str] = ("table",)) -> pl.DataFrame:
    """The newest entry by (version, event) for each key, in key order."""
    return entries.sort([*by, "version", "seq"], maintain_order=True).unique(subset=list(by), keep="last", maintain_order=True)


def read_current_sheets(conn: Any, election: Election, cache: dict[str, Any], ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Each table's current sheet (tables with no sheet yet have no row)."""
    return newest(_entries(conn, election, cache, ids, current_only=True))


def read_current_sheets_and_rows(
    conn: Any, election: Election, cache: dict[str, Any], ids: Sequence[str]
) -> tuple[pl.DataFrame, set[str]]:
    """:func:`read_current_sheets` of these tables, and which of them have a current sheet kept
    as a row (what a write retires when a newer sheet arrives), from the same reads."""
    found = [c.rows_of(ids) for c in chunks.read(conn, chunks.SHEETS, cache)]
    rows = _sheet_rows(conn, election, ids, current_only=True)
    return newest(pl.concat([*(p for p in found if p.height), rows])), set(rows["table"].to_list())


def sheet_history(conn: Any, election: Election, cache: dict[str, Any], tables: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every version of each table's sheet, oldest first, as ``sheets`` rows (``current`` marks
    the one that counts); a version whose state changed is shown as it last stood.

    Asked for the few tables of a ruling, so it works on Python rows, not frames.
    """
    tables = list(tables)
    latest: dict[tuple[str, int], dict[str, Any]] = {}

    def consider(row: dict[str, Any]) -> None:  # the newest event of each version wins
        key = (row["table_id"], row["version"])
        if key not in latest or row["seq"] >= latest[key]["seq"]:
            latest[key] = row

    for chunk in chunks.read(conn, chunks.SHEETS, cache):
        part = chunk.rows_of(tables)
        for row in as_rows(part, election) if part.height else []:
            consider(row)
    for part in parts(tables):  # rows after chunks: a row wins a tie with its own chunk
        sql = f"SELECT {SHEET_SELECT} FROM sheets WHERE table_id IN ({placeholders(conn, len(part))})"
        for values in conn.exec_driver_sql(sql, tuple(part)).fetchall():
            consider(dict(zip(SHEET_SELECTED, values, strict=True)))
    roll = {r["table"]: r for r in read_tables(conn, cache, tables).iter_rows(named=True)}
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in tables}
    for (table, _version), row in sorted(latest.items()):
        entry = roll.get(table, {})
        out[table].append({**row, "area": entry.get("area"), "electors": entry.get(tf.ELECTORS)})
    for versions in out.values():
        top = max(versions, key=lambda v: (v["version"], v["seq"]), default=None)
        for v in versions:
            v["current"] = int(v is top)
    return out


def as_rows(frame: pl.DataFrame, election: Election) -> list[dict[str, Any]]:
    """Current-sheet frame rows as ``sheets`` table rows (votes as the JSON list of the choices)."""
    votes = [tf.choice_column(c) for c in election.contest.choice_ids]
    out = []
    for row in frame.iter_rows(named=True):
        item = {ROW_FIELDS.get(k, k): v for k, v in row.items() if k not in votes and not k.startswith("_")}
        item["votes"] = orjson.dumps([row[c] for c in votes]).decode()
        out.append(item)
    return out
