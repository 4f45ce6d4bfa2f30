"""Scanned images of tally sheets: which files are accepted, judged by their bytes.

Why by content: a client's ``Content-Type`` or file name is a claim, not a fact; the first
bytes of a JPEG, PNG or PDF are fixed by their formats, so three signatures decide it (a
library of thousands of signatures would add a dependency for these three).
"""

from __future__ import annotations

from escrutinio.domain.errors import RuleError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""The largest scan accepted: a tally sheet scanned at 300 dpi is one to three megabytes."""

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),  # JPEG: SOI marker, then the first segment's marker
    (b"\x89PNG\r\n\x1a\n", "image/png"),  # PNG: the eight-byte signature (RFC 2083)
    (b"%PDF-", "application/pdf"),  # PDF: the header line (ISO 32000)
)
"""(leading bytes, media type) of the formats a scan may come in."""


def image_media_type(data: bytes) -> str:
    """The media type of a scan, from its first bytes, once its whole structure is checked
    (``intake.image_content``); refused when empty, too large, or not a whole JPEG, PNG or PDF
    (the message names the rule)."""
    if not data:
        raise RuleError("image: the file is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise RuleError(f"image: {len(data):,} bytes; a sheet's scan is at most {MAX_IMAGE_BYTES:,} bytes (10 MB)")
    for magic, media_type in SIGNATURES:
        if data.startswith(magic):
            from escrutinio.intake.image_content import check_structure

            check_structure(data, media_type)  # the whole file, not only its first bytes
            return media_type
    raise RuleError(f"image: not a JPEG, PNG or PDF (the file starts with {data[:8].hex(' ')})")


def served_scan_type(data: bytes, kept_type: str) -> str | None:
    """The type to serve kept bytes as when they are a scan: the type they were kept under, when
    it is a scan's and their first bytes agree; ``None`` for any other file (evidence, whatever
    its name said), which is served as bytes to download, never as a page.

    Why not the kept type alone: evidence is kept under the type its file name guessed
    (``ev.html`` as ``text/html``), and the images route is public. The structure was checked
    when the scan arrived (:func:`image_media_type`); the signature is checked again on the way
    out, cheaply, so a kept type alone never decides how a browser opens the bytes."""
    return next((t for magic, t in SIGNATURES if t == kept_type and data.startswith(magic)), None)
