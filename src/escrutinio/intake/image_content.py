"""Whether a scan's bytes are a whole JPEG, PNG or PDF, not just its first bytes.

Why the structure and not the signature alone: a signature is three to eight bytes anyone can
put before anything (``\\xff\\xd8\\xff<script>…`` was kept and served as a JPEG, ``%PDF-1.4
<html>`` as a PDF), and a scan is served back to the public. So a JPEG is decoded (at an
eighth of its size: every coded byte is still read, the pixels are not all made), a PNG's
chunks are read and their checksums checked to its end, and a PDF is parsed (its
cross-reference table and trailer, its pages) and must end with ``%%EOF``. Pillow and pypdf,
well-kept libraries, do the reading; they are imported only when a scan arrives.
"""

from __future__ import annotations

import io
import re

from escrutinio.domain.errors import RuleError

EOF_WINDOW = 1024
"""A PDF's ``%%EOF`` marker is within its last kilobyte (ISO 32000, 7.5.5; readers look there)."""


def check_structure(data: bytes, media_type: str) -> None:
    """Refuse (a :class:`RuleError` naming ``image``) a scan whose bytes are not a whole file of
    ``media_type`` (``image/jpeg``, ``image/png`` or ``application/pdf``)."""
    if media_type == "application/pdf":
        _check_pdf(data)
    else:
        _check_picture(data, "JPEG" if media_type == "image/jpeg" else "PNG")


def _check_picture(data: bytes, kind: str) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as picture:
            if kind == "JPEG":
                picture.draft(picture.mode, (max(1, picture.width // 8), max(1, picture.height // 8)))
                picture.load()
            else:
                picture.verify()  # every chunk's CRC, up to IEND
    except Exception as exc:  # Pillow says what it could not read in its own exception types
        raise _refused(kind, exc) from exc


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader

    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise RuleError("image: not a whole PDF (no %%EOF at its end); expected a JPEG, PNG or PDF scan", field="image")
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # pypdf's errors are of several types, each naming what it could not read
        raise _refused("PDF", exc) from exc
    if pages == 0:
        raise RuleError("image: a PDF without pages; expected a JPEG, PNG or PDF scan", field="image")


def _refused(kind: str, exc: Exception) -> RuleError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    why = re.sub(r"\s*<[^>]*>", "", first)[:120]  # not the library's object reprs (a buffer's address)
    return RuleError(f"image: not a whole {kind} ({why}); expected a JPEG, PNG or PDF scan", field="image")
