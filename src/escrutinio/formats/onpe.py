"""ONPE's per-table results files (Resultados por mesa), both rounds of Peru 2021.

Quirks handled (see shared/data/peru-2021-*/PROVENANCE.md): latin-1 text where Ñ was damaged
upstream into the bytes 0xBF 0xBF; ``;`` separator; CRLF; a trailing ``;`` on every data row
(one more field than the header); text fields quoted, numbers quoted in one round and not in
the other; an empty count means 0; UBIGEO and MESA_DE_VOTACION keep their leading zeros;
UBIGEO follows RENIEC's department order (14 = Lima, 24 = Callao), and codes starting with 9
are abroad (continent / country / city); annulled sheets carry all their ballots in VOTOS_VN.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election, FileFormat
from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.domain.sheet import Reason, SheetState
from escrutinio.formats.fields import count_columns, duplicate_tables, require_pattern
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

STATUS = {
    "CONTABILIZADA": (SheetState.COUNTED, None),
    "COMPUTADA RESUELTA": (SheetState.RESOLVED, None),
    "ANULADA": (SheetState.ANNULLED, Reason.ANNULLED_BY_RULING),
    "ANULADA POR EXTRAVIADA": (SheetState.ANNULLED, Reason.LOST),
    "ANULADA POR SINIESTRO": (SheetState.ANNULLED, Reason.DESTROYED),
    "EN PROCESO": (SheetState.OBSERVED, Reason.AT_DISPUTE_BODY),
    "SIN INSTALAR": (SheetState.NOT_INSTALLED, None),
}
"""ONPE's DESCRIP_ESTADO_ACTA values and the sheet state each one states."""

PLACE_COLUMNS = ["UBIGEO", "DEPARTAMENTO", "PROVINCIA", "DISTRITO"]
FIXED = [*PLACE_COLUMNS, "TIPO_ELECCION", "MESA_DE_VOTACION", "DESCRIP_ESTADO_ACTA", "TIPO_OBSERVACION", "N_CVAS", "N_ELEC_HABIL"]
TAIL = ["VOTOS_VB", "VOTOS_VN", "VOTOS_VI"]
DAMAGED_N = "\u00bf\u00bf"  # what 0xBF 0xBF reads as in latin-1
TRAILING = "_trailing"  # the empty field after each row's trailing ';'


def expected_header(election: Election) -> list[str]:
    choice_columns = [c.column for c in election.contest.choices]
    return [*FIXED, *(c if isinstance(c, str) else c[0] for c in choice_columns), *TAIL]


def _header(text: str, source: str, expected: list[str]) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if ";" not in first:
        sep = next((s for s in (",", "\t", "|") if s in first), None)
        hint = f" (found {sep!r}: is this another format?)" if sep else ""
        raise InputError([Problem(Place(source, 1), f"expected ONPE's ';'-separated header{hint}")])
    names = [n.strip().strip('"') for n in first.split(";")]
    if names and names[-1] == "":
        names = names[:-1]
    problems = ProblemList(source)
    for name in expected:
        if name not in names:
            problems.add(1, name, "missing column (ONPE's dictionary has it for this election)")
    for name in names:
        if name not in expected:
            problems.add(1, name, f"unexpected column: expected only {', '.join(expected)}")
    problems.raise_if_any()
    return names


def _utf8(raw: bytes, source: str) -> bytes:
    """The file as UTF-8 bytes with the damaged Ñ repaired, transcoding only when needed.

    ONPE's files are ASCII but for Ñ damaged into 0xBF 0xBF; repairing those bytes in place
    leaves valid UTF-8, which polars reads directly (no decode to str and encode back).
    """
    fixed = raw.replace(b"\xbf\xbf", "Ñ".encode())
    try:
        fixed.decode("utf-8")
    except UnicodeDecodeError:
        fixed = decode(raw, source, "latin-1").replace(DAMAGED_N, "Ñ").encode("utf-8")
    return fixed


def _rows(data: bytes, source: str, names: list[str]) -> pl.DataFrame:
    """Split the rows with polars, all fields as text; ragged rows are named by line.

    Field counts are checked first (ONPE never quotes a ';'), because polars pads a short row
    with nulls instead of refusing it. Three counts over the bytes settle the usual file (every
    row with its trailing ';', or none with one); polars then reads the trailing empty field
    as one more column, which is dropped. Any other file is checked line by line, which names
    the lines that are wrong.
    """
    want = len(names) - 1
    header_end = data.find(b"\n")
    body = data[header_end + 1 :] if header_end >= 0 else b""
    if not body.strip():
        raise InputError([Problem(Place(source, 2), "no data rows after the header")])
    lines = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
    newline = b";\r\n" if data[:header_end].endswith(b"\r") else b";\n"
    trailing = body.count(newline) + (1 if body and not body.endswith(b"\n") and body.rstrip(b"\r").endswith(b";") else 0)
    uniform = body.count(b";") == want * lines + trailing and trailing in (0, lines)
    columns = names
    if uniform and trailing:
        columns = [*names, TRAILING]
    elif not uniform:
        _check_fields(body, source, names)
        body = body.replace(b";\r\n", b"\r\n").replace(b";\n", b"\n")
        if body.endswith(b";"):
            body = body[:-1]
    try:
        frame = pl.read_csv(
            io.BytesIO(body),
            separator=";",
            has_header=False,
            new_columns=columns,
            infer_schema=False,
            quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        # A row short of a field and another with one too many pass the count above together:
        # name the ragged rows if that is what polars stumbled on.
        _check_fields(body, source, names)
        detail = str(exc).splitlines()[0][:200]
        raise InputError(
            [Problem(Place(source), f"cannot split the rows into ONPE's columns: check the quoting ({detail})")]
        ) from None
    if frame.height == 0:
        raise InputError([Problem(Place(source, 2), "no data rows after the header")])
    if TRAILING in frame.columns:
        frame = frame.drop(TRAILING)
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def _check_fields(body: bytes, source: str, names: list[str]) -> None:
    """Every non-blank line has the header's fields, and may end with one ';' more."""
    want = len(names) - 1
    problems = ProblemList(source)
    for number, line in enumerate(body.splitlines(), start=2):
        if not line.strip():
            continue
        found = line.count(b";") - (1 if line.rstrip(b"\r").endswith(b";") else 0)
        if found != want:
            problems.add(number, None, f"expected {len(names)} fields (and a trailing ';'), found {found + 1}")
    problems.raise_if_any()


def read_onpe(path: Path, election: Election, raw: bytes | None = None) -> SheetFile:
    """Read an ONPE per-table file into standard sheet columns, or raise with every problem.

    ``raw`` is the file's bytes (decompressed), when the caller has read them already."""
    source = str(path)
    raw = read_bytes(path) if raw is None else raw
    refuse_other_format(path, raw, FileFormat.ONPE)
    data = _utf8(raw, source)
    expected = expected_header(election)
    names = _header(data[: data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8"), source, expected)
    rows = _rows(data, source, names)
    problems = ProblemList(source)

    require_pattern(rows, "MESA_DE_VOTACION", r"^\d{6}$", "a 6-digit table number (MESA_DE_VOTACION)", problems)
    require_pattern(rows, "UBIGEO", r"^\d{6}$", "a 6-digit ubigeo code", problems)
    status = rows["DESCRIP_ESTADO_ACTA"].fill_null("").str.strip_chars()
    known = status.is_in(list(STATUS))
    if not known.all():
        for value, line in zip(status.filter(~known).to_list(), rows[LINE].filter(~known).to_list(), strict=True):
            problems.add(line, "DESCRIP_ESTADO_ACTA", f"unknown status {value!r}: expected one of {', '.join(STATUS)}")

    fixed = {tf.ELECTORS: "N_ELEC_HABIL", tf.CAST: "N_CVAS", tf.BLANK: "VOTOS_VB", tf.NULL: "VOTOS_VN", tf.CHALLENGED: "VOTOS_VI"}
    for choice in election.contest.choices:
        fixed[tf.choice_column(choice.id)] = choice.column if isinstance(choice.column, str) else choice.column[0]
    parsed = count_columns(rows, list(fixed.values()), problems)
    counts = {key: parsed[column] for key, column in fixed.items()}
    problems.raise_if_any()

    state_of = {k: v[0].value for k, v in STATUS.items()}
    reason_of = {k: (v[1].value if v[1] else None) for k, v in STATUS.items()}
    sheets = pl.DataFrame(
        {
            tf.TABLE: rows["MESA_DE_VOTACION"],
            tf.DISTRICT: rows["UBIGEO"],
            tf.POLLING_PLACE: pl.Series([None] * rows.height, dtype=pl.String),
            **counts,
            REPORTED_STATE: status.replace_strict(state_of, return_dtype=pl.String),
            REPORTED_REASON: status.replace_strict(reason_of, return_dtype=pl.String),
            REPORTED_STATUS: status,
            LINE: rows[LINE],
        }
    ).select(sheet_columns(election))
    compare = [c for c in sheet_columns(election) if c not in (LINE,)]
    sheets = duplicate_tables(sheets, tf.TABLE, "MESA_DE_VOTACION", compare, problems)
    problems.raise_if_any()
    labels = {
        tf.TABLE: "MESA_DE_VOTACION",
        tf.DISTRICT: "UBIGEO",
        tf.ELECTORS: "N_ELEC_HABIL",
        tf.CAST: "N_CVAS",
        tf.BLANK: "VOTOS_VB",
        tf.NULL: "VOTOS_VN",
        tf.CHALLENGED: "VOTOS_VI",
        **{tf.choice_column(c.id): str(c.column) for c in election.contest.choices},
    }
    return SheetFile(source, file_digest(raw), sheets, _areas(rows, election), labels)


def _areas(rows: pl.DataFrame, election: Election) -> pl.DataFrame:
    """Department, province and district (or continent, country, city) from the ubigeo."""
    domestic = list(election.levels)
    abroad = list(election.abroad_levels) or domestic
    places = rows.select(PLACE_COLUMNS).unique(subset=["UBIGEO"], keep="first")
    frames = []
    for level, (width, name_col) in enumerate(((2, "DEPARTAMENTO"), (4, "PROVINCIA"), (6, "DISTRITO")), start=1):
        code = pl.col("UBIGEO").str.slice(0, width)
        parent = pl.lit(election.country) if level == 1 else pl.col("UBIGEO").str.slice(0, width - 2)
        frames.append(
            places.select(
                code.alias("code"),
                pl.lit(level, dtype=pl.Int64).alias("level"),
                pl.when(pl.col("UBIGEO").str.starts_with("9"))
                .then(pl.lit(abroad[level - 1]))
                .otherwise(pl.lit(domestic[level - 1]))
                .alias("kind"),
                pl.col(name_col).fill_null("").alias("name"),
                parent.alias("parent"),
            ).unique(subset=["code"], keep="first")
        )
    return pl.concat(frames).sort("level", "code")
