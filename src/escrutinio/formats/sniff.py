"""What a file looks like, from its first bytes: so that a file given to the wrong reader is
told apart by name ("this looks like a Parquet file") rather than by the reader's first
stumble ("byte 0xbf is not utf-8").

Only the file's start is read, and only a few marks are trusted: a format's magic number, a
JSON or XML document's first element, and ONPE's header. Anything else is "text" or "binary".
"""

from __future__ import annotations

import re
from enum import StrEnum

from escrutinio.domain.election import FileFormat

QUOTED = re.compile(rb'"[^"]*"')
ONPE_HEADER = re.compile(rb'^\s*"?UBIGEO"?;.*MESA_DE_VOTACION', re.I)


class Kind(StrEnum):
    """A kind of file, named as a person would name it in an error message."""

    ONPE = "an ONPE per-table results file (';'-separated, with UBIGEO and MESA_DE_VOTACION)"
    CSV = "a comma-separated text file"
    TSV = "a tab-separated text file"
    SEMICOLON = "a ';'-separated text file"
    PARQUET = "a Parquet file"
    GZIP = "a gzip file"
    COMPRESSED = "a compressed file (bzip2, xz, Zstandard or 7-Zip)"
    ZIP = "a ZIP archive (an .xlsx workbook is one)"
    EXCEL = "an old Excel .xls workbook"
    PDF = "a PDF document"
    SQLITE = "an SQLite database (an escrutinio store is one: pass it with --db)"
    NIST_JSON = "an NIST SP 1500-100 election report (JSON)"
    NIST_XML = "an NIST SP 1500-100 election report (XML)"
    JSON = "a JSON document"
    XML = "an XML document"
    HTML = "an HTML page"
    UTF16 = "UTF-16 text"
    BINARY = "binary data"
    TEXT = "text"


MAGIC = re.compile(
    rb"(?P<PARQUET>PAR1)|(?P<GZIP>\x1f\x8b)|(?P<ZIP>PK\x03\x04)|(?P<PDF>%PDF)|(?P<SQLITE>SQLite format 3\x00)"
    rb"|(?P<COMPRESSED>BZh|\xfd7zXZ\x00|\x28\xb5\x2f\xfd|7z\xbc\xaf\x27\x1c)|(?P<EXCEL>\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1)"
    rb"|(?P<UTF16>\xff\xfe|\xfe\xff)"
)
"""The bytes each binary kind of file starts with (its magic number), a group named by kind."""


HEAD = 4096
"""Bytes looked at: enough for any header line we know."""


def kind_of(raw: bytes) -> Kind:
    """The kind of file ``raw`` (its bytes, or just its first few kilobytes) looks like."""
    head = raw[:HEAD]
    magic = MAGIC.match(head)
    if magic and magic.lastgroup:
        return Kind[magic.lastgroup]
    if b"\x00" in head:
        return Kind.BINARY
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text[:1] in (b"{", b"["):
        return Kind.NIST_JSON if b"ElectionReport" in head else Kind.JSON
    if text[:1] == b"<":
        lowered = text[:512].lower()
        if lowered.startswith((b"<!doctype html", b"<html")):
            return Kind.HTML
        return Kind.NIST_XML if b"ElectionReport" in head else Kind.XML
    if ONPE_HEADER.match(text):
        return Kind.ONPE
    first = QUOTED.sub(b"", text.split(b"\n", 1)[0])  # a quoted column name may hold a comma
    counts = {Kind.CSV: first.count(b","), Kind.TSV: first.count(b"\t"), Kind.SEMICOLON: first.count(b";")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else Kind.TEXT


SEPARATED = {",": Kind.CSV, "\t": Kind.TSV, ";": Kind.SEMICOLON}
TEXT_KINDS = frozenset({*SEPARATED.values(), Kind.TEXT, Kind.ONPE})


def looks_like(raw: bytes, fmt: FileFormat, separator: str = ",") -> str | None:
    """A one-line reason when ``raw`` is plainly another kind of file than the definition's
    ``fmt`` (and, for CSV, its ``separator``) reads; None when it may be the right one (the
    reader then names what is wrong inside it)."""
    kind = kind_of(raw)
    if fmt is FileFormat.PARQUET:
        wrong = kind is not Kind.PARQUET
        expected = "a Parquet file"
    elif fmt is FileFormat.ONPE:
        wrong = kind not in (Kind.ONPE, Kind.SEMICOLON, Kind.TEXT)
        expected = "an ONPE per-table results file"
    else:
        other_separator = kind in SEPARATED.values() and kind is not SEPARATED.get(separator)
        wrong = kind not in TEXT_KINDS or other_separator or (kind is Kind.ONPE and separator != ";")
        expected = f"the {_separated(separator)} file this definition describes"
    if not wrong:
        return None
    hint = ": check the definition's [source] separator" if fmt is FileFormat.CSV and kind in SEPARATED.values() else _hint(kind)
    return f"this looks like {kind}, not {expected}{hint}"


def _separated(separator: str) -> str:
    kind = SEPARATED.get(separator)
    return kind.value.removeprefix("a ").removesuffix(" text file") if kind else f"{separator!r}-separated"


def _hint(kind: Kind) -> str:
    if kind is Kind.ONPE:
        return ": load it with an ONPE definition, e.g. --election peru-2021-runoff"
    if kind is Kind.PARQUET:
        return ': its definition needs [source] format = "parquet"'
    if kind in SEPARATED.values():
        return ': a generic file needs a definition with [source] format = "csv", its separator and a column map'
    if kind in (Kind.ZIP, Kind.EXCEL):
        return ": export the sheet as CSV first"
    if kind is Kind.COMPRESSED:
        return ": decompress it first (gzip is read as it is)"
    if kind in (Kind.NIST_JSON, Kind.NIST_XML):
        return ": `escrutinio load` reads a JSON one whatever the definition says (it carries its own)"
    return ""
