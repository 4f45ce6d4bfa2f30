"""The bulk-filing CSV: one nullity request per row (``escrutinio cases import``).

Layout: ``table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested``. ``evidence_sha256``
holds digests separated by ';' (files already in the store's blob store); ``fee_receipt`` may be
empty; ``requested`` is annul (the default) or count_as_is.

``filed_at`` says when a row was filed, and only an administrator reconstructing history may say
it: an ordinary import is filed when the store receives it, so its rows leave ``filed_at`` empty
(or drop the column) and take the receipt time; a historical import (``declared``) gives every
row its time, ISO 8601 with its UTC offset (or local time when a zone is given).

Each row gets an idempotency key from its content (:func:`row_key`): importing the same file
again, or a file that repeats some rows of another, records each request once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from escrutinio.domain.claims import CaseKind, EffectKind, Filing
from escrutinio.domain.roles import Role
from escrutinio.formats.fields import ProblemList
from escrutinio.formats.text import CsvRows, read_text

REQUEST_COLUMNS = ("table", "filer", "filed_at", "grounds", "fee_receipt", "evidence_sha256", "requested")
OPTIONAL = ("filed_at",)
REQUESTABLE = (EffectKind.ANNUL, EffectKind.COUNT_AS_IS)
KEY_PREFIX = "cases-import:"


@dataclass(frozen=True)
class RequestRow:
    """One row read: its line in the file, its idempotency key and the filing it makes."""

    line: int
    key: str
    filing: Filing


def row_key(cells: Iterable[str], occurrence: int) -> str:
    """The key of a row: the SHA-256 of its cells (in layout order), and which repetition of
    those same cells in the file it is (two identical rows in one file are two requests; the
    same row in two files is one)."""
    digest = hashlib.sha256("\x1f".join(cells).encode()).hexdigest()
    return f"{KEY_PREFIX}{digest}:{occurrence}"


def write_requests_csv(filings: Iterable[Filing]) -> str:
    """The nullity requests in the bulk-filing layout (one row per table of each filing)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REQUEST_COLUMNS)
    for f in filings:
        if f.kind is not CaseKind.NULLITY_REQUEST:
            continue
        for table in f.tables:
            requested = (f.requested or EffectKind.ANNUL).value
            writer.writerow(
                [table, f.filer, f.filed_at.isoformat(), f.grounds, f.fee_receipt or "", ";".join(f.evidence), requested]
            )
    return out.getvalue()


def _parse_time(text: str, zone: tzinfo | None) -> tuple[datetime | None, str | None]:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None, f"expected an ISO 8601 time such as 2021-06-09T19:30:00-05:00, got {text!r}"
    if at.tzinfo is None:
        if zone is None:
            return None, f"{text!r} has no UTC offset: write it as e.g. {text}-05:00"
        at = at.replace(tzinfo=zone)
    return at, None


def read_requests(
    source: str | Path,
    text: str | None = None,
    *,
    received: datetime | None = None,
    zone: tzinfo | None = None,
) -> list[RequestRow]:
    """The rows of a bulk-filing file, or :class:`InputError` naming every bad
    ``file:line:column`` (up to a cap).

    With ``received`` (an ordinary import) every row is filed at that time and a row that
    states its own ``filed_at`` is refused; without it (history reconstructed by an
    administrator) every row must state it. ``zone`` reads times without an offset as local
    time. Admissibility (deadline, fee, standing) is not judged here.
    """
    name = str(source)
    if text is None:
        text = read_text(Path(source))
    problems = ProblemList(name)
    reader = CsvRows(text, name)
    header = next(reader, None)
    if header is None:
        problems.add(1, None, f"empty file: expected the header {','.join(REQUEST_COLUMNS)}")
        problems.raise_if_any()
    header = [h.strip() for h in header or []]
    for col in REQUEST_COLUMNS:
        if col not in header and not (col in OPTIONAL and received is not None):
            problems.add(1, col, f"missing column (the layout is {','.join(REQUEST_COLUMNS)})")
    for col in header:
        if col not in REQUEST_COLUMNS:
            problems.add(1, col, f"unexpected column (the layout is {','.join(REQUEST_COLUMNS)})")
    problems.raise_if_any()
    at = {c: header.index(c) for c in REQUEST_COLUMNS if c in header}
    rows: list[RequestRow] = []
    seen: dict[tuple[str, ...], int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.add(line, None, f"expected {len(header)} fields, found {len(row)}")
            continue
        cell = {c: row[at[c]].strip() if c in at else "" for c in REQUEST_COLUMNS}
        bad = False
        for col in ("table", "filer", "grounds"):
            if not cell[col]:
                problems.add(line, col, "required: must not be empty")
                bad = True
        filed: datetime | None = received
        if received is not None and cell["filed_at"]:
            problems.add(
                line,
                "filed_at",
                "a request is filed when the store receives it: leave filed_at empty "
                "(only an administrator reconstructing history states it, with --declared)",
            )
            bad = True
        elif received is None:
            filed, why = _parse_time(cell["filed_at"], zone)
            if why:
                problems.add(line, "filed_at", why)
                bad = True
        evidence = tuple(e.strip() for e in cell["evidence_sha256"].split(";") if e.strip())
        for e in evidence:
            if len(e) != 64 or any(ch not in "0123456789abcdef" for ch in e):
                problems.add(line, "evidence_sha256", f"expected sha256 digests (64 lowercase hex) separated by ';', got {e!r}")
                bad = True
                break
        requested = cell["requested"] or EffectKind.ANNUL.value
        if requested not in {k.value for k in REQUESTABLE}:
            allowed = " or ".join(k.value for k in REQUESTABLE)
            problems.add(line, "requested", f"expected {allowed}, got {requested!r}")
            bad = True
        if bad:
            continue
        assert filed is not None
        cells = tuple(cell[c] for c in REQUEST_COLUMNS)
        seen[cells] = seen.get(cells, -1) + 1
        filing = Filing(
            kind=CaseKind.NULLITY_REQUEST,
            tables=(cell["table"],),
            filer=cell["filer"],
            filer_role=Role.REPRESENTATIVE,
            filed_at=filed,
            grounds=cell["grounds"],
            fee_receipt=cell["fee_receipt"] or None,
            evidence=evidence,
            requested=EffectKind(requested),
        )
        rows.append(RequestRow(line, row_key(cells, seen[cells]), filing))
    problems.raise_if_any()
    return rows


def read_requests_csv(source: str | Path, text: str | None = None, *, zone: tzinfo | None = None) -> list[Filing]:
    """The filings of a file whose every row states its time (see :func:`read_requests`)."""
    return [r.filing for r in read_requests(source, text, zone=zone)]
