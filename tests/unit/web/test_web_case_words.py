"""The docket, a case and a table name a body's decision, a refusal's rule and a sheet's
reasons in the reader's language, not as the record's codes (``annul``, ``no_standing``)."""

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


def test_why_a_sheet_was_observed_in_words() -> None:
    def said(lang: str, codes: list[str]) -> str:
        template = environment(lang).from_string(
            '{% from "partials/words.html" import reasons_of with context %}{{ reasons_of(codes) }}'
        )
        return template.render(codes=codes)

    assert said("es", ["arithmetic_error", "missing_signatures"]) == "sumas que no cuadran, sin firmas"
    assert said("en", ["votes_exceed_electors", "entries_differ"]) == "more votes than electors, the two entries differ"
    assert said("es", ["new_reason"]) == "new_reason"  # a reason the pages have no word for yet: its code
