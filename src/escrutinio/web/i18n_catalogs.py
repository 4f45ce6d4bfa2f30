"""Keeping the pages' catalogs in step with the code: extract, update, and check them.

``python -m escrutinio.web.i18n_catalogs`` does what ``pybabel extract`` and ``pybabel update``
do with the options written here (so nobody has to remember them), then gives every English
message its own text (English is the source language: an explicit entry, so a missing one is
visible) and names each message still without its Spanish. ``--check`` writes nothing and
exits 1 naming every problem (what ``tests/unit/web/test_web_i18n.py`` asserts).

Why in Python rather than a shell recipe: the test and the command must extract with the very
same method map, keywords and options, or the check would disagree with the file it checks.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from escrutinio.web.i18n import CATALOGS, DOMAIN, LOCALES

WEB = Path(__file__).parent
CONFIG = WEB / "babel.cfg"
TEMPLATE = CATALOGS / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "gettext": None, "N_": None}
"""The functions whose first argument is a message: ``_`` in templates, ``page.gettext`` in the
page modules, ``N_`` for a message kept in a table and translated where it is shown."""
SOURCE = "en"
"""The language messages are written in: its catalog translates each message to itself."""
WIDTH = 110
"""How long a line of a catalog may be: the width the Spanish catalog was written in (a narrower
one would rewrap every entry and bury the change)."""


def catalog_path(locale: str) -> Path:
    return CATALOGS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every message of the page modules and templates, as ``pybabel extract -F babel.cfg``."""
    with CONFIG.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    template = Catalog(project="escrutinio", copyright_holder="escrutinio contributors", fuzzy=False)
    for _file, _line, message, comments, context in extract_from_dir(str(WEB), method_map, options_map, keywords=KEYWORDS):
        template.add(message, None, auto_comments=comments, context=context)
    return template


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def problems(template: Catalog, extracted: Catalog, catalogs: dict[str, Catalog]) -> list[str]:
    """What is out of step: the template against the code, each catalog against the template,
    and each message without its translation (one line each)."""
    out = []
    ids, code = _ids(template), _ids(extracted)
    out += [f"messages.pot lacks {m!r} (the code has it)" for m in sorted(code - ids)]
    out += [f"messages.pot has {m!r} (no longer in the code)" for m in sorted(ids - code)]
    for locale, catalog in catalogs.items():
        have = _ids(catalog)
        out += [f"{locale}: lacks {m!r} (in messages.pot)" for m in sorted(ids - have)]
        out += [f"{locale}: has {m!r} (not in messages.pot)" for m in sorted(have - ids)]
        out += [f"{locale}: no translation of {m.id!r}" for m in catalog if m.id and not m.string]
        out += [f"{locale}: fuzzy translation of {m.id!r}" for m in catalog if m.id and m.fuzzy]
    return out


def _ids(catalog: Iterable[object]) -> set[str]:
    return {m.id for m in catalog if m.id}  # type: ignore[attr-defined]


def _write(path: Path, catalog: Catalog, *, sort: bool = False) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, no_location=True, sort_output=sort, ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def refresh() -> list[str]:
    """Extract the template, update every catalog from it (new messages empty, gone ones
    dropped), fill the English ones; return what still needs a translator."""
    template = extract()
    _write(TEMPLATE, template, sort=True)
    catalogs = {}
    for locale in LOCALES:
        catalog = read(catalog_path(locale), locale)
        # a template of its own each time: update() adds the template's new messages themselves,
        # so filling the English ones would fill them in every other catalog too
        catalog.update(read(TEMPLATE), no_fuzzy_matching=True, update_creation_date=False)
        catalog.obsolete.clear()
        if locale == SOURCE:
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        _write(catalog_path(locale), catalog)
        catalogs[locale] = catalog
    template = read(TEMPLATE)
    return problems(template, template, catalogs)


def check() -> list[str]:
    """The problems, nothing written."""
    return problems(read(TEMPLATE), extract(), {locale: read(catalog_path(locale), locale) for locale in LOCALES})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    found = check() if "--check" in args else refresh()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
