"""Small but whole scans (JPEG, PNG, PDF) for tests that upload a sheet's image: the intake
checks a scan's structure, not only its first bytes (``escrutinio.intake.image_content``).
``mark`` makes each a different file (another SHA-256) of the same kind."""

from __future__ import annotations

import io
from functools import cache


@cache
def jpeg(mark: int = 0) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (64, 64), mark % 256).save(out, "JPEG")
    return out.getvalue()


@cache
def png(mark: int = 0) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (8, 8), mark % 256).save(out, "PNG")
    return out.getvalue()


@cache
def pdf(mark: int = 0) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(72 + mark, 72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
