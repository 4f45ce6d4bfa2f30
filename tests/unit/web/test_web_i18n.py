"""The pages' language: chosen from the switch, the cookie, the browser; catalogs complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from escrutinio.web import i18n

WEB = Path(i18n.__file__).parent


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


def _messages() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = extract_from_dir(
        str(WEB), method_map, keywords={"_": None, "gettext": None}, options_map={"**/templates/**.html": {"trimmed": "true"}}
    )
    return {message if isinstance(message, str) else message[0] for _file, _line, message, _comments, _context in found}


def test_every_message_of_the_pages_has_a_spanish_translation() -> None:
    """A message added to a template or page without its Spanish would show in English on a
    Spanish page: extract them all and look each one up in the Spanish catalog."""
    with (WEB / "locale" / "es" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        spanish = read_po(f, locale="es")
    messages = _messages()
    assert len(messages) > 50
    missing = sorted(m for m in messages if not (spanish.get(m) and spanish.get(m).string))
    assert missing == [], "add these to locale/es/LC_MESSAGES/messages.po (see locale/README.md)"


def test_catalogs_compile_at_import_and_translate() -> None:
    assert i18n.translations("es").gettext("Polling tables") == "Mesas de votación"
    assert i18n.translations("en").gettext("Polling tables") == "Polling tables"
