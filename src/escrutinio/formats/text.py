"""Bytes to text for tally-sheet files: gzip, encodings, and the problems worth naming."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from escrutinio.domain.errors import InputError, Place, Problem


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
        raise InputError([Problem(Place(str(path), 1), "the file is empty: expected a header line and rows")])
    return raw


def decode(raw: bytes, source: str, encoding: str) -> str:
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
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            [Problem(Place(source, line), f"byte 0x{raw[exc.start]:02x} is not {encoding}: expected {encoding} text")]
        ) from None
    except LookupError:
        raise InputError([Problem(Place(source), f"unknown encoding {encoding!r}")]) from None
