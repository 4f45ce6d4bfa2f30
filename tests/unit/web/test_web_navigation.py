"""Where a reader is and what a map shows: the breadcrumbs name each area's level in the
reader's language, and the leader map colours the same candidate on every level, saying so."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import DATA, need_shared

from escrutinio.web.i18n import babel_locale
from escrutinio.web.maps_slot import render_map
from escrutinio.web.page import Crumb
from escrutinio.web.pages_public import crumbs_of
from escrutinio.web.templating import render

LINEAGE = [
    {"area": "PE", "name": "Elecciones 2021", "level": "national", "kind": "national"},
    {"area": "01", "name": "AMAZONAS", "level": "department", "kind": "department"},
    {"area": "0101", "name": "CHACHAPOYAS", "level": "province", "kind": "province"},
    {"area": "010101", "name": "CHACHAPOYAS", "level": "district", "kind": "district"},
]


class _Page:
    """What ``crumbs_of`` asks of a page: its translations."""

    def __init__(self, lang: str) -> None:
        from escrutinio.web.i18n import translations

        self.gettext = translations(lang).gettext


def crumbs_html(lang: str, crumbs: list[Crumb]) -> str:
    """The breadcrumbs as the layout writes them (the error page is the smallest one)."""
    context: dict[str, Any] = {
        "lang": lang, "locale": babel_locale(lang, "PE"), "head": {"events": None}, "title": "t", "crumbs": crumbs,
        "downloads": [], "switch": [], "path": "/x", "events_url": "/api/v1/events", "message": "m",
    }  # fmt: skip
    html = str(render(lang, "error.html", context))
    found = re.search(r'<nav class="crumbs".*?</nav>', html, re.S)
    assert found is not None
    return found.group(0)


def shown(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", html, re.S)]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("es", ["Nacional", "Departamento AMAZONAS", "Provincia CHACHAPOYAS", "Distrito CHACHAPOYAS"]),
        ("en", ["National", "Department AMAZONAS", "Province CHACHAPOYAS", "District CHACHAPOYAS"]),
    ],
)
def test_each_crumb_names_its_level_in_the_readers_language(lang: str, expected: list[str]) -> None:
    html = crumbs_html(lang, crumbs_of(_Page(lang), LINEAGE))  # type: ignore[arg-type]
    assert shown(html) == expected
    assert re.findall(r'href="([^"]+)"', html) == ["/", "/areas/01", "/areas/0101"]
    assert '<span aria-current="page">' + expected[-1] + "</span>" in html


def test_abroad_and_other_elections_levels_are_named_too() -> None:
    abroad = [LINEAGE[0], {"area": "91", "name": "AMERICA", "level": "department", "kind": "continent"}]
    assert shown(crumbs_html("es", crumbs_of(_Page("es"), abroad)))[1] == "Continente AMERICA"  # type: ignore[arg-type]
    bolivia = [Crumb("Nacional", "/"), Crumb("SUCRE", None, "municipality"), Crumb("X", None, "barrio")]
    assert shown(crumbs_html("es", bolivia))[1:] == ["Municipio SUCRE", "Barrio X"]  # an unknown level: its own name


ROWS = [
    {"area": "1501", "name": "LIMA", "votes": {"PL": 1_000, "FP": 3_000}, "valid": 4_000,
     "ballots_cast": 4_300, "electors_in_count": 5_000},
    {"area": "1502", "name": "BARRANCA", "votes": {"PL": 900, "FP": 1_000}, "valid": 1_900,
     "ballots_cast": 2_000, "electors_in_count": 2_500},
]  # fmt: skip
CONTEST = {"country": "PE", "choices": [{"id": "PL", "candidate": "Pedro Castillo"}, {"id": "FP", "candidate": "Keiko Fujimori"}]}


@pytest.mark.shared
def test_the_leader_map_shows_the_national_leader_where_another_leads(monkeypatch: pytest.MonkeyPatch) -> None:
    """In Lima, where Fujimori leads, the map still colours Castillo's share (he leads the
    nation), and its caption says whose share the colour is."""
    monkeypatch.setenv("ESCRUTINIO_GEO", str(need_shared(DATA / "geo-peru")))
    captions = {
        "en": "Colour: the share of valid votes for Pedro Castillo, who leads in the whole country",
        "es": "Color: el porcentaje de votos válidos de Pedro Castillo, quien lidera en todo el país",
    }
    for lang, says in captions.items():
        html = str(render_map(lang=lang, area="15", level="province", rows=ROWS, contest=CONTEST, choice="PL"))
        caption = re.sub(r"\s+", " ", re.search(r"<figcaption.*?</figcaption>", html, re.S).group(0))  # type: ignore[union-attr]
        assert says in caption and "Keiko" not in caption
        assert "<title>LIMA: 25.0%</title>" in html  # Castillo's 1,000 of 4,000 valid votes
    local = str(render_map(lang="en", area="15", level="province", rows=ROWS, contest=CONTEST, choice=None))
    assert "Keiko Fujimori" in local  # without the nation's leader, the area's own leader (the old subject)
