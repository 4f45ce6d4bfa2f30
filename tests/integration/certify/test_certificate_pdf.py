"""The printed certificate as a reader sees it: the PDF is rasterised (PDFium, the renderer of
Chromium's viewer) and its text extracted, so a page that renders blank, spills onto a second
page or loses a figure fails, not only a file that does not start with ``%PDF``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.app.cases import Decision
from escrutinio.domain.claims import Effect, EffectKind


@pytest.fixture(scope="module")
def certified(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A certificate issued on the sample's count, in both languages."""
    folder = tmp_path_factory.mktemp("pdf")
    session = Session(str(folder / "a.db"), actor="admin:test")
    lima = ZoneInfo("America/Lima")
    session.count.load(write(folder / "a.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 7, 9, tzinfo=lima))
    number = session.cases.listing()[0]["number"]
    session.cases.rule(number, Decision("JEE-1", Effect(EffectKind.COUNT_AS_IS)), declared_at=datetime(2021, 6, 20, tzinfo=lima))
    session.cases.finalise()
    session.keys.generate(folder / "jne.key")
    session.keys.register(folder / "jne.key.pub", "JNE plenary", "appeals_judge")
    done = session.certify.certify(folder / "jne.key", folder / "es.json", lang="es")
    session.certify.render(folder / "es.json", "en", pdf=folder / "en.pdf")
    session.close()
    return folder, done["certificate"]


@pytest.mark.parametrize(
    ("pdf", "words"),
    [("es.pdf", ("Votos válidos", "Acta de proclamación")), ("en.pdf", ("Valid votes", "Certificate of the election result"))],
)
def test_the_pdf_renders_one_page_with_the_certified_totals_as_text(
    certified: tuple[Path, dict], pdf: str, words: tuple[str, ...]
) -> None:
    folder, certificate = certified
    document = pdfium.PdfDocument(folder / pdf)
    assert len(document) == 1  # the whole certificate on one printed page
    page = document[0]
    width, height = page.get_size()
    assert (round(width), round(height)) in ((595, 842), (612, 792))  # A4 or Letter, portrait
    text = " ".join(page.get_textpage().get_text_range().split())
    totals = certificate["totals"]
    for figure in (*totals["votes"].values(), totals["valid"], totals["blank"], totals["null"], totals["ballots_cast"]):
        assert f"{figure:,}" in text, f"{figure:,} is not on the page"
    for choice in totals["votes"]:
        assert f"({choice})" in text
    assert certificate["head"]["hash"][:16] in text.replace(" ", "") and "JNE plenary" in text
    for word in words:
        assert word in text, word
    # Rasterised at 50 dpi: the page is drawn (ink on it), and the ink is in the upper part of a
    # portrait page with a margin on every side, as printed.
    image = page.render(scale=50 / 72).to_pil().convert("L")
    ink = image.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert ink is not None, "the page rendered blank"
    left, top, right, bottom = ink
    assert left > 5 and top > 5 and right < image.width - 5 and bottom < image.height - 5
