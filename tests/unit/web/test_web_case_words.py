"""The docket and a case's page name a body's decision and a refusal's rule in the reader's
language, not as the record's codes (``annul``, ``no_standing``)."""

from __future__ import annotations

from typing import Any

from escrutinio.web.i18n import babel_locale
from escrutinio.web.templating import environment

CASE = {
    "number": "NUL-000001", "kind": "nullity_request", "tables": ["000001"], "filer": "FP",
    "filed_at": "2021-06-08T20:00:00+00:00", "status": "ruled", "effect": "annul", "rule": None, "resolution": "R-1",
}  # fmt: skip


def docket(lang: str, rows: list[dict[str, Any]]) -> str:
    template = environment(lang).from_string('{% import "partials/figures.html" as fig with context %}{{ fig.cases(rows) }}')
    return template.render(rows=rows, lang=lang, locale=babel_locale(lang, "PE"), timezone="America/Lima")


def test_a_decision_and_a_refusal_in_words() -> None:
    refused = {**CASE, "number": "NUL-000002", "status": "inadmissible", "effect": None, "rule": "no_standing"}
    refused["resolution"] = None
    es = docket("es", [CASE, refused])
    assert "anular la mesa · R-1" in es and "rechazado: sin legitimidad para presentarlo" in es
    assert "annul" not in es and "no_standing" not in es
    en = docket("en", [CASE, refused])
    assert "annul the table · R-1" in en and "refused: no standing to file" in en
    unknown = docket("en", [{**CASE, "effect": "recount"}])
    assert "recount · R-1" in unknown  # a decision the pages have no word for yet: its code
