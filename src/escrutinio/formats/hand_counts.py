"""Hand counts typed in from an audit's count sheets: a CSV, one entry of a double entry per row.

A batch-comparison audit's file has one row per entry of a table's hand count::

    table,entry,PL,FP,blank,null,ballots,by          (one column per choice: ids, blank, null, other)
    000123,1,115,87,2,16,220,A. Quispe

or the counts in one column, as typed on the command line::

    table,entry,counts,ballots,by
    000123,1,"PL=115,FP=87,blank=2,null=16",220,A. Quispe

A ballot-polling audit's file has one row per reading of a sampled ballot::

    table,position,entry,vote,by
    000123,57,1,PL,A. Quispe

Pure: bytes in, rows out, or an :class:`InputError` naming every bad row as
``file:line:column: expected ...`` (the first 100, then how many more). Whether a row fits the
audit (the table is sampled, the entry not yet made) is the audit record's question, not this
reader's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.domain.sheet import MAX_COUNT, over_count
from escrutinio.formats.problems import ProblemList

COUNT_COLUMNS = ("table", "entry", "ballots", "by")
READING_COLUMNS = ("table", "position", "entry", "vote", "by")
COUNTS = "counts"


@dataclass(frozen=True)
class CountRow:
    """One entry of a table's hand count, with the file line it came from."""

    line: int
    table: str
    entry: int
    counts: dict[str, int]
    ballots: int
    by: str


@dataclass(frozen=True)
class ReadingRow:
    """One reading of a sampled ballot, with the file line it came from."""

    line: int
    table: str
    position: int
    entry: int
    vote: str
    by: str


def _whole(problems: ProblemList, line: int, column: str, text: str, *, least: int = 0) -> int | None:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or int(value) < least:
        what = "1 or 2" if column == "entry" else f"a whole number, {least} or more"
        problems.add(line, column, f"expected {what}, got {text!r}")
        return None
    if over_count(value):
        problems.add(line, column, f"{value[:30]} is too large for one table (at most {MAX_COUNT:,})")
        return None
    number = int(value)
    if column == "entry" and number not in (1, 2):
        problems.add(line, column, f"expected 1 or 2 (the double entry's first or second), got {text!r}")
        return None
    return number


def _text(problems: ProblemList, line: int, column: str, text: str, what: str) -> str:
    value = text.strip()
    if not value:
        problems.add(line, column, f"expected {what}, got nothing")
    return value


def _pairs(problems: ProblemList, line: int, text: str, choices: Sequence[str]) -> dict[str, int]:
    """``PL=115,FP=87`` in the ``counts`` column."""
    counts: dict[str, int] = {}
    for part in text.split(","):
        key, sep, value = (p.strip() for p in part.partition("="))
        if not sep or not key or not value.isascii() or not value.isdigit():
            problems.add(line, COUNTS, f"expected CHOICE=N[,CHOICE=N...] with whole numbers, got {part.strip()!r}")
        elif key not in choices:
            problems.add(line, COUNTS, f"expected a choice among {', '.join(choices)}, got {key!r}")
        elif key in counts:
            problems.add(line, COUNTS, f"expected each choice once, got {key!r} twice")
        elif over_count(value):
            problems.add(line, COUNTS, f"{key} = {value[:30]} is too large for one table (at most {MAX_COUNT:,})")
        else:
            counts[key] = int(value)
    return counts


def _header(problems: ProblemList, header: list[str], readings: bool, choices: Sequence[str]) -> list[str]:
    """The columns, checked: the fixed ones present, count columns known choices."""
    names = [h.strip() for h in header]
    required = READING_COLUMNS if readings else COUNT_COLUMNS
    for column in required:
        if column not in names:
            counts = "" if readings else ", and counts or one per choice"
            problems.add(1, column, f"expected a column {column!r} (columns: {', '.join(required)}{counts})")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.add(1, name, "expected each column once")
        seen.add(name)
        if name in required or readings:
            continue
        if name != COUNTS and name not in choices:
            problems.add(1, name, f"expected a choice column among {', '.join(choices)} (or counts), got {name!r}")
    if not readings and COUNTS not in names and not any(n in choices for n in names):
        problems.add(1, None, f"expected a counts column or one column per choice ({', '.join(choices)})")
    return names


@dataclass(frozen=True)
class HandCounts:
    """A hand-count file as read: its good rows, and every bad one (the first 100 kept).

    Bad rows do not stop the reading, so that whoever takes the good rows (the audit record)
    can add its own problems with them and the person entering the file sees every one at once.
    """

    rows: list[CountRow | ReadingRow]
    problems: list[Problem]
    total_problems: int


def read_hand_counts(data: bytes, source: str, *, readings: bool, choices: Sequence[str]) -> list[CountRow] | list[ReadingRow]:
    """Every row of a hand-count file (``readings``: a polling audit's ballot readings), or an
    :class:`InputError` listing every bad row. ``choices`` are the keys a count may have (the
    contest's choice ids and blank, null, other)."""
    read = read_hand_count_rows(data, source, readings=readings, choices=choices)
    if read.total_problems:
        raise InputError(read.problems, read.total_problems)
    return read.rows  # type: ignore[return-value]


def read_hand_count_rows(data: bytes, source: str, *, readings: bool, choices: Sequence[str]) -> HandCounts:
    """The good rows and the bad ones; an :class:`InputError` only when the file as a whole is
    not a hand-count file (not UTF-8, no header, a missing or unknown column, no rows)."""
    problems = ProblemList(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError([Problem(Place(source, line), f"expected UTF-8 text, found byte 0x{data[error.start]:02x}")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError([Problem(Place(source, 1), "expected a header row, found an empty file")])
        names = _header(problems, header, readings, choices)
        problems.raise_if_any()
        rows: list[CountRow | ReadingRow] = []
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                problems.add(line, None, f"expected {len(names)} fields ({', '.join(names)}), got {len(record)}")
                continue
            cells = dict(zip(names, record, strict=True))
            row = _reading(problems, line, cells) if readings else _count(problems, line, cells, names, choices)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        problems.add(reader.line_num, None, f"expected a CSV row ({error})")
    if not rows and not problems.total:
        raise InputError([Problem(Place(source, 2), "expected at least one row after the header")])
    return HandCounts(rows, problems.items, problems.total)


def _count(problems: ProblemList, line: int, cells: dict[str, str], names: list[str], choices: Sequence[str]) -> CountRow | None:
    before = problems.total
    table = _text(problems, line, "table", cells["table"], "a table id")
    entry = _whole(problems, line, "entry", cells["entry"], least=1)
    ballots = _whole(problems, line, "ballots", cells["ballots"])
    by = _text(problems, line, "by", cells["by"], "who entered it")
    counts: dict[str, int] = {}
    if cells.get(COUNTS, "").strip():
        counts = _pairs(problems, line, cells[COUNTS], choices)
    for name in names:
        if name in choices and cells[name].strip():
            if name in counts:
                problems.add(line, name, f"expected {name} once, got it here and in counts")
            value = _whole(problems, line, name, cells[name])
            if value is not None:
                counts[name] = value
    if not counts and problems.total == before:
        problems.add(line, COUNTS, "expected the hand-counted votes, got nothing")
    if problems.total > before or entry is None or ballots is None:
        return None
    return CountRow(line, table, entry, counts, ballots, by)


def _reading(problems: ProblemList, line: int, cells: dict[str, str]) -> ReadingRow | None:
    before = problems.total
    table = _text(problems, line, "table", cells["table"], "a table id")
    position = _whole(problems, line, "position", cells["position"], least=1)
    entry = _whole(problems, line, "entry", cells["entry"], least=1)
    vote = _text(problems, line, "vote", cells["vote"], "what the ballot shows (a choice id, blank, null or other)")
    by = _text(problems, line, "by", cells["by"], "who read it")
    if problems.total > before or position is None or entry is None:
        return None
    return ReadingRow(line, table, position, entry, vote, by)
