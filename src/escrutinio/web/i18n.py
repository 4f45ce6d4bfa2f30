"""Which language a page is in, and its translations: gettext catalogs compiled by Babel.

Why the catalogs are compiled here rather than committed as ``.mo`` files: the ``.po`` files are
the source (reviewable text in git); reading one and compiling it in memory costs a few
milliseconds once per process, and a fresh clone works with nothing built. The English catalog
is the source language (its messages translate to themselves); Spanish is complete.

The language of a request: ``?lang=`` when given (the switch in the header links to it, and
the page remembers it in a cookie), else the ``lang`` cookie, else the best match of the
browser's ``Accept-Language``, else Spanish (the reference election's language).
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("es", "en")
"""The languages pages are offered in; the first is the default."""
DEFAULT = LOCALES[0]
COOKIE = "lang"
"""The cookie that remembers a reader's choice of language."""
CATALOGS = Path(__file__).parent / "locale"
DOMAIN = "messages"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of ``locale`` (one of :data:`LOCALES`), built once per process."""
    po = CATALOGS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def N_(message: str) -> str:
    """``message`` itself, marked for extraction: a message kept in a table (translated where it
    is shown, with ``gettext``), as gettext's ``N_`` convention."""
    return message


def supported(text: str | None) -> str | None:
    """``text`` as one of :data:`LOCALES` (``es-PE`` -> ``es``), or None."""
    if not text:
        return None
    base = text.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


def from_accept_language(header: str | None) -> str | None:
    """The browser's most preferred language that pages are offered in (RFC 9110 weights)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        found = supported(tag)
        if found and weight > 0:
            ranked.append((-weight, position, found))
    return min(ranked)[2] if ranked else None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language of a page: the switch, the remembered choice, the browser's, the default."""
    return supported(query) or supported(cookie) or from_accept_language(accept_language) or DEFAULT


@cache
def babel_locale(lang: str, country: str | None = None) -> Locale:
    """Babel's locale for numbers and dates: the language as the election's country writes it
    (Spanish in Peru: ``8,836,380``; in Bolivia: ``8.836.380``), or the language alone."""
    if country:
        try:
            return Locale.parse(f"{lang}_{country.upper()}")
        except (ValueError, UnknownLocaleError):
            pass
    return Locale.parse(lang)
