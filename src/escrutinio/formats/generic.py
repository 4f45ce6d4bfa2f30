"""Generic per-table files (CSV or Parquet) read through a column map in the election definition.

``[source.columns]`` names, for each standard field, a source column or a list of columns to
add up (e.g. Russia's ballots cast = ballots in mobile boxes + ballots in stationary boxes)::

    table = ["region", "uik"]           # one column, or several joined with "/"
    levels = ["region", "tik"]          # area names, top level first
    polling_place = "Recinto"           # optional
    electors = "Inscritos"              # optional: without it, no electors check
    cast = ["col9", "col10"]            # optional: without it, the sum of the other lines
    blank = "Blancos"                   # optional (0)
    null = "Nulos"                      # optional (0)
    challenged = "..."                  # optional (0)
    status = "estado"                   # optional, with [source.status_map] value -> state

Area codes are the names path joined with "/" (e.g. ``"La Paz/Murillo"``), so they are unique
without inventing numbers.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election, FileFormat
from escrutinio.domain.errors import DefinitionError, InputError, Place, Problem
from escrutinio.domain.sheet import SheetState
from escrutinio.formats.fields import count_columns, duplicate_tables
from escrutinio.formats.problems import ProblemList
from escrutinio.formats.sheets import (
    LINE,
    REPORTED_REASON,
    REPORTED_STATE,
    REPORTED_STATUS,
    SheetFile,
    file_digest,
    sheet_columns,
)
from escrutinio.formats.text import decode, read_bytes, refuse_other_format

OPTIONAL_COUNTS = (tf.BLANK, tf.NULL, tf.CHALLENGED)


def _names(spec: Any, key: str) -> list[str]:
    if spec is None:
        return []
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, list) and all(isinstance(s, str) for s in spec):
        return spec
    raise DefinitionError(f"source.columns.{key}: expected a column name or a list of names")


def _frame(path: Path, election: Election, raw: bytes | None = None) -> tuple[pl.DataFrame, bytes]:
    source = str(path)
    raw = read_bytes(path) if raw is None else raw
    refuse_other_format(path, raw, election.source.format, election.source.separator)
    if election.source.format is FileFormat.PARQUET:
        try:
            frame = pl.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # polars raises several kinds for a bad file
            raise InputError([Problem(Place(source), f"not a readable Parquet file ({exc})")]) from None
        frame = frame.with_columns(pl.all().cast(pl.String))
    else:
        utf8 = election.source.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        if utf8 and b"\x00" not in raw[:4096]:
            # Hand polars the bytes (it checks UTF-8 itself): no second copy of the file as str.
            body: io.BytesIO | io.StringIO = io.BytesIO(raw[3:] if raw[:3] == b"\xef\xbb\xbf" else raw)
        else:
            body = io.StringIO(decode(raw, source, election.source.encoding))
        try:
            frame = pl.read_csv(body, separator=election.source.separator, infer_schema=False)
        except pl.exceptions.ComputeError:
            decode(raw, source, election.source.encoding)  # names the line of a bad byte, if that is the cause
            problem = Problem(Place(source), "cannot split the file into columns: check the separator and quoting")
            raise InputError([problem]) from None
        except pl.exceptions.PolarsError as exc:
            raise InputError([Problem(Place(source), f"cannot split the file into columns ({exc})")]) from None
        frame = _csv_header(frame, raw, election)
    if frame.height == 0:
        raise InputError([Problem(Place(source, 2), "no data rows after the header")])
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)), raw


def _csv_header(frame: pl.DataFrame, raw: bytes, election: Election) -> pl.DataFrame:
    """The header as any CSV reader reads it: polars keeps a quoted name's doubled quotes (Russia
    2011's party columns keep ``""`` where the name has one quote), so a definition naming the
    column as any CSV reader prints it would not find it. The first record is read again with the
    standard library's reader."""
    head = raw[3:] if raw[:3] == b"\xef\xbb\xbf" else raw
    text = head[: 1 << 16].decode(election.source.encoding, errors="replace")
    try:
        names = next(csv.reader(io.StringIO(text), delimiter=election.source.separator))
    except (csv.Error, StopIteration):
        return frame
    if len(names) != frame.width or len(set(names)) != len(names) or names == frame.columns:
        return frame
    return frame.rename(dict(zip(frame.columns, names, strict=True)))


def _abroad(spec: Any, election: Election) -> tuple[str | None, str | None, bool]:
    """``source.columns.abroad = { column = "País", home = "Bolivia" }``: the column naming each row's
    country and the value of the home country; other rows vote abroad (their areas take the
    election's ``geography.abroad_levels``), so the forensics read them apart. ``{ column = "region",
    abroad = "99 Территория за пределами РФ" }`` names the value of the rows abroad instead (Russia's
    files hold the voting abroad as one more region). Returns (column, value, whether the value is
    the home one); (None, None, True) without it."""
    if spec is None:
        return None, None, True
    shapes = ({"column", "home"}, {"column", "abroad"})
    if not isinstance(spec, dict) or set(spec) not in shapes or not all(isinstance(v, str) for v in spec.values()):
        raise DefinitionError(
            'source.columns.abroad: expected { column = "COLUMN", home = "VALUE OF THE HOME COUNTRY" } '
            'or { column = "COLUMN", abroad = "VALUE OF THE ROWS ABROAD" }'
        )
    if not election.abroad_levels:
        raise DefinitionError("source.columns.abroad: needs geography.abroad_levels (the kinds of the areas abroad)")
    return spec["column"], spec.get("home", spec.get("abroad")), "home" in spec


def read_generic(path: Path, election: Election, raw: bytes | None = None) -> SheetFile:
    """Read a CSV/Parquet file through the election's column map."""
    source = str(path)
    cols = election.source.columns
    rows, raw = _frame(path, election, raw)
    table_cols = _names(cols.get("table"), "table")
    level_cols = _names(cols.get("levels"), "levels")
    if not table_cols or not level_cols:
        raise DefinitionError("source.columns: 'table' and 'levels' are required for a generic reader")
    spec: dict[str, list[str]] = {
        "polling_place": _names(cols.get("polling_place"), "polling_place"),
        tf.ELECTORS: _names(cols.get("electors"), "electors"),
        tf.CAST: _names(cols.get("cast"), "cast"),
        **{k: _names(cols.get(k), k) for k in OPTIONAL_COUNTS},
        "status": _names(cols.get("status"), "status"),
    }
    choice_cols = {c.id: _names(c.column, f"choice {c.id}") for c in election.contest.choices}
    abroad_col, marker, marks_home = _abroad(cols.get("abroad"), election)
    needed = [*table_cols, *level_cols, *(c for v in spec.values() for c in v), *(c for v in choice_cols.values() for c in v)]
    needed += [abroad_col] if abroad_col else []
    problems = ProblemList(source)
    has = [c for c in rows.columns if c != LINE]
    # Every column, each quoted: the one the definition meant may be anywhere in the file, and a
    # name can hold commas and quotes (Russia's party columns), so bare names joined by ", " are ambiguous.
    shown = ", ".join(json.dumps(c, ensure_ascii=False) for c in has)
    for name in dict.fromkeys(needed):
        if name not in rows.columns:
            problems.add(1, name, f"missing column (the election's column map needs it; the file has: {shown})")
    problems.raise_if_any()

    count_keys = (tf.ELECTORS, tf.CAST, *OPTIONAL_COUNTS)
    parsed = count_columns(
        rows, [*(c for k in count_keys for c in spec[k]), *(c for v in choice_cols.values() for c in v)], problems
    )

    def summed(names: list[str], label: str) -> pl.Series:
        parts = [parsed[n] for n in names]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out.alias(label)

    counts: dict[str, pl.Series] = {}
    for key in OPTIONAL_COUNTS:
        counts[key] = summed(spec[key], key) if spec[key] else pl.Series(key, [0] * rows.height, dtype=pl.Int64)
    for cid, names in choice_cols.items():
        counts[tf.choice_column(cid)] = summed(names, tf.choice_column(cid))
    if spec[tf.CAST]:
        counts[tf.CAST] = summed(spec[tf.CAST], tf.CAST)
    else:
        total = counts[tf.BLANK] + counts[tf.NULL] + counts[tf.CHALLENGED]
        for cid in choice_cols:
            total = total + counts[tf.choice_column(cid)]
        counts[tf.CAST] = total.alias(tf.CAST)
    electors = (
        summed(spec[tf.ELECTORS], tf.ELECTORS)
        if spec[tf.ELECTORS]
        else pl.Series(tf.ELECTORS, [None] * rows.height, dtype=pl.Int64)
    )
    for name in (*table_cols, *level_cols):
        empty = rows[name].fill_null("").str.strip_chars() == ""
        for line in rows[LINE].filter(empty).to_list():
            problems.add(line, name, "expected a value (table ids and area names cannot be empty)")
    status_map = dict(election.source.status_map)
    if spec["status"]:
        status = rows[spec["status"][0]].fill_null("").str.strip_chars()
        ok = status.is_in(list(status_map))
        for value, line in zip(status.filter(~ok).to_list(), rows[LINE].filter(~ok).to_list(), strict=True):
            problems.add(line, spec["status"][0], f"unknown status {value!r}: expected one of {', '.join(status_map)}")
        # An empty state means "no stated status": the domain rules decide (counted or observed).
        states = {k: (SheetState(v).value if v else None) for k, v in status_map.items()}
        reported_state = status.replace_strict(states, default=None, return_dtype=pl.String)
    else:
        status = pl.Series([None] * rows.height, dtype=pl.String)
        reported_state = status
    problems.raise_if_any()

    paths = [
        pl.concat_str([pl.col(c).str.strip_chars() for c in level_cols[: i + 1]], separator="/") for i in range(len(level_cols))
    ]
    table_id = pl.concat_str([pl.col(c).str.strip_chars() for c in table_cols], separator="/")
    place = (
        pl.concat_str([pl.col(c).str.strip_chars() for c in spec["polling_place"]], separator="/")
        if spec["polling_place"]
        else pl.lit(None, dtype=pl.String)
    )
    base = rows.select(table_id.alias(tf.TABLE), paths[-1].alias(tf.DISTRICT), place.alias(tf.POLLING_PLACE))
    sheets = pl.DataFrame(
        {
            **base.to_dict(),
            tf.ELECTORS: electors,
            **counts,
            REPORTED_STATE: reported_state,
            REPORTED_REASON: pl.Series([None] * rows.height, dtype=pl.String),
            REPORTED_STATUS: status,
            LINE: rows[LINE],
        }
    ).select(sheet_columns(election))
    compare = [c for c in sheet_columns(election) if c != LINE]
    sheets = duplicate_tables(sheets, tf.TABLE, "/".join(table_cols), compare, problems)
    problems.raise_if_any()
    area_frames = []
    for i, expr in enumerate(paths):
        parent = pl.lit(election.country) if i == 0 else paths[i - 1]
        kind = pl.lit(election.levels[min(i, len(election.levels) - 1)])
        if abroad_col:  # rows of another country than home vote abroad: their areas are of the abroad kinds
            abroad_kind = pl.lit(election.abroad_levels[min(i, len(election.abroad_levels) - 1)])
            value = pl.col(abroad_col).str.strip_chars()
            is_abroad = value != marker if marks_home else value == marker
            kind = pl.when(is_abroad).then(abroad_kind).otherwise(kind)
        area_frames.append(
            rows.select(
                expr.alias("code"),
                pl.lit(i + 1, dtype=pl.Int64).alias("level"),
                kind.alias("kind"),
                pl.col(level_cols[i]).str.strip_chars().alias("name"),
                parent.alias("parent"),
            ).unique(subset=["code"], keep="first")
        )
    labels = {
        tf.TABLE: "/".join(table_cols),
        tf.DISTRICT: "/".join(level_cols),
        **{k: "+".join(v) for k, v in spec.items() if v},
        **{tf.choice_column(cid): "+".join(v) for cid, v in choice_cols.items()},
    }
    labels.setdefault(tf.CAST, "sum of votes, blank, null and challenged")
    return SheetFile(source, file_digest(raw), sheets, pl.concat(area_frames).sort("level", "code"), labels)
