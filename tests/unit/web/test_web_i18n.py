"""The pages' language: chosen from the switch, the cookie, the browser; catalogs complete."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog

from escrutinio.web import i18n, i18n_catalogs


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "es"),
        (None, None, "en-GB,en;q=0.9", "en"),
        (None, None, "fr-FR, en;q=0.5, es;q=0.8", "es"),
        (None, None, "de, fr;q=0.7", "es"),
        (None, None, "en;q=0, es-PE", "es"),
        (None, "en", "es", "en"),
        ("es", "en", "en", "es"),
        ("fr", "en", "es", "en"),
        ("EN", None, None, "en"),
        (None, None, "en;q=garbage, es;q=0.1", "es"),
    ],
)
def test_language_comes_from_switch_then_cookie_then_browser(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert i18n.choose(query, cookie, accept) == expected


def test_numbers_follow_the_elections_country() -> None:
    from babel.numbers import format_decimal

    assert format_decimal(8836380, locale=i18n.babel_locale("es", "PE")) == "8,836,380"
    assert format_decimal(8836380, locale=i18n.babel_locale("es", "BO")) == "8.836.380"
    assert format_decimal(8836380, locale=i18n.babel_locale("en", "PE")) == "8,836,380"
    assert str(i18n.babel_locale("es", "XX")) == "es"


def test_the_catalogs_are_in_step_with_the_code_and_complete() -> None:
    """The template holds exactly the messages of the templates and page modules, each catalog
    exactly the template's, and each message has its Spanish and its English: a message added
    without them would show in English on a Spanish page (or vanish from the next extraction)."""
    assert len(i18n_catalogs.extract()) > 50
    assert i18n_catalogs.check() == [], "run: python -m escrutinio.web.i18n_catalogs (see locale/README.md)"


def test_the_check_names_each_kind_of_drift() -> None:
    template = Catalog()
    for message in ("Docket", "Results", "Gone"):
        template.add(message)
    code = Catalog()
    for message in ("Docket", "Results", "New"):
        code.add(message)
    es, en = Catalog(locale="es"), Catalog(locale="en")
    es.add("Docket", "Expedientes")
    es.add("Results", "")
    es.add("Gone", "Ido")
    es.add("Stale", "Viejo")
    for message in ("Docket", "Results", "Gone"):
        en.add(message, message)
    en["Gone"].flags.add("fuzzy")
    assert i18n_catalogs.problems(template, code, {"es": es, "en": en}) == [
        "messages.pot lacks 'New' (the code has it)",
        "messages.pot has 'Gone' (no longer in the code)",
        "es: has 'Stale' (not in messages.pot)",
        "es: no translation of 'Results'",
        "en: fuzzy translation of 'Gone'",
    ]


def test_catalogs_compile_at_import_and_translate() -> None:
    assert i18n.translations("es").gettext("Polling tables") == "Mesas de votación"
    assert i18n.translations("en").gettext("Polling tables") == "Polling tables"
