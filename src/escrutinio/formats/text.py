"""Bytes to text for tally-sheet files: gzip, encodings, and the problems worth naming."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from escrutinio.domain.election import FileFormat
from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.formats.problems import ProblemList
from escrutinio.formats.sniff import looks_like


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip; an unreadable file is one clear problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(Place(str(path)), f"cannot read the file ({exc.strerror})")]) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError([Problem(Place(str(path)), f"damaged gzip file ({exc})")]) from None
    if not raw.strip():
        if ".json" in (s.lower() for s in path.suffixes):  # meant as a report (formats.readers)
            raise InputError([Problem(Place(str(path)), f"an empty file, expected {JSON_REPORT}")])
        raise InputError([Problem(Place(str(path), 1), "the file is empty: expected a header line and rows")])
    return raw


JSON_REPORT = "a NIST SP 1500-100 ElectionReport (JSON)"
"""What a ``.json`` file given to a load is expected to be (the only JSON a load reads)."""


DEFINITION_HINT = 'say so with [source] encoding = "latin-1" in its definition'


def refuse_other_format(path: Path, raw: bytes, fmt: FileFormat, separator: str = ",") -> None:
    """Refuse, in one line, a file that is plainly of another kind than the definition reads
    (a Parquet file for a CSV definition, ONPE's file for a generic one, a spreadsheet...)."""
    why = looks_like(raw, fmt, separator)
    if why is not None:
        with path.open("rb") as file:
            gzipped = file.read(2) == b"\x1f\x8b"
        raise InputError([Problem(Place(str(path), 1), f"inside its gzip, {why}" if gzipped else why)])


def decode(raw: bytes, source: str, encoding: str, latin_hint: str = DEFINITION_HINT) -> str:
    """Decode text, refusing binary or UTF-16 input with a reason instead of mojibake.

    ``encoding="latin-1"`` (ONPE) still accepts a file re-saved as UTF-8: it is tried first,
    since no ONPE byte sequence is valid multi-byte UTF-8 by accident in practice.
    """
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:4096]:
        raise InputError([Problem(Place(source, 1), f"binary or UTF-16 content (NUL bytes): expected {encoding} text")])
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
        encoding = "utf-8"
    if encoding.lower().replace("_", "-") in {"latin-1", "latin1", "iso-8859-1", "cp1252"}:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise undecodable(raw, source, encoding, latin_hint) from None
    except LookupError:
        raise InputError([Problem(Place(source), f"unknown encoding {encoding!r}")]) from None


ESCAPED = re.compile("[\udc80-\udcff]")
"""A byte the codec refused, as ``surrogateescape`` leaves it in the text."""


def undecodable(raw: bytes, source: str, encoding: str, latin_hint: str = DEFINITION_HINT) -> InputError:
    """Every line holding a byte that is not ``encoding``, as ``file:line:column`` (the first
    such byte of the line); for UTF-8, ``latin_hint`` says what to do with a file in Latin-1."""
    text = raw.decode(encoding, errors="surrogateescape")
    problems = ProblemList(source)
    for number, line in enumerate(text.split("\n"), start=1):
        found = ESCAPED.search(line)
        if found:
            byte = ord(found.group()) - 0xDC00
            problems.add(number, str(found.start() + 1), f"byte 0x{byte:02x} is not {encoding}: expected {encoding} text")
    if problems.items and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        first = problems.items[0]
        problems.items[0] = Problem(first.place, f"{first.message} (a file in Latin-1 or Windows-1252? {latin_hint})")
    return problems.error()


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """A text file's content (gunzipped when it is gzip, a UTF-8 byte-order mark dropped); a
    file that cannot be read or decoded is an InputError naming its place."""
    return decode(read_bytes(path), str(path), encoding, "save it as UTF-8")


class CsvRows:
    """``csv.reader`` over text that turns the module's own errors (a field over its 128 KiB
    limit, a NUL byte, a quote left open) into one line naming the file and line, where
    ``csv.Error`` would otherwise surface as a traceback. ``line_num`` is the reader's."""

    def __init__(self, text: str, source: str) -> None:
        self._reader = csv.reader(io.StringIO(text))
        self.source = source

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            why = str(exc)
            if "field larger than field limit" in why:
                why = f"a field longer than {csv.field_size_limit() // 1024} KiB: is a quote left open?"
            raise InputError([Problem(Place(self.source, self._reader.line_num), f"cannot read this CSV row ({why})")]) from None
