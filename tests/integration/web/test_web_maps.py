"""The results pages' maps over a real ``escrutinio serve --geo`` on the whole 2021 runoff: the
nation's page carries both maps of the 25 departments, each area linked to its page and named
in a <title>, a legend, abroad listed apart, the figures as a table, and the page stays small;
a province's map shows which districts have no outline of their own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import DATA, need_shared
from tests.integration.api.server import Server, serving

from escrutinio.app import Session
from escrutinio.parsing import parse_level

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def runoff_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    runoff = need_shared(DATA / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz")
    db = str(tmp_path_factory.mktemp("maps") / "runoff.db")
    with Session(db) as session:
        session.count.load(runoff, "peru-2021-runoff")
    return db


@pytest.fixture(scope="module")
def server(runoff_db: str) -> Iterator[Server]:
    with serving(runoff_db, "--geo", str(need_shared(DATA / "geo-peru"))) as running:
        yield running


def svg_links(html: str) -> list[tuple[str, str]]:
    """(href, title) of every area linked inside the page's maps."""
    return re.findall(r'<a href="(/areas/\d+)"><title>([^<]+)</title><path d="M', html)


def test_the_national_page_maps_every_department_twice_and_stays_small(server: Server, runoff_db: str) -> None:
    with Session(runoff_db) as session:
        departments = {r["area"]: r for r in session.count.results(parse_level("department", "level"))}
    with server.client() as client:
        page = client.get("/?lang=en")
    assert page.status_code == 200
    assert len(page.content) < 200_000  # the whole national page, before any compression
    assert page.text.count('<svg class="choropleth"') == 2
    links = svg_links(page.text)
    domestic = sorted(code for code in departments if not code.startswith("9"))
    assert len(domestic) == 25 and sorted({href[7:] for href, _ in links}) == domestic
    assert len(links) == 50  # each department once per map
    lima = departments["14"]
    share = 100 * lima["votes"]["PL"] / lima["valid"]
    assert f'<a href="/areas/14"><title>LIMA: {share:.1f}' in page.text  # the locale writes the per cent sign
    assert "the share of valid votes for Pedro Castillo, who leads in the whole country" in page.text
    assert "Colour: turnout, ballots cast per 100 registered electors" in page.text
    assert page.text.count('<ul class="legend"') == 2
    for continent in ("AFRICA", "AMERICA", "ASIA", "EUROPA", "OCEANIA"):
        assert f">{continent}</a> (" in page.text  # abroad, listed with its value
    assert page.text.count("<details>") >= 2  # each map's figures as a table


def test_the_maps_speak_spanish(server: Server) -> None:
    with server.client() as client:
        page = client.get("/?lang=es")
    assert "el porcentaje de votos válidos de Pedro Castillo, quien lidera en todo el país" in page.text
    assert "Leyenda" in page.text


def test_a_province_map_names_its_districts_without_an_outline(server: Server) -> None:
    with server.client() as client:
        page = client.get("/areas/0709?lang=en")  # La Convención, Cusco
    assert page.status_code == 200
    note = re.search(r"Without an outline of their own[^<]*(.*?)</p>", page.text, re.S)
    assert note is not None
    assert re.findall(r'href="/areas/(\d+)"', note.group(1)) == ["070911", "070912", "070913", "070915"]
    assert 'class="backdrop"' in page.text
    assert {href for href, _ in svg_links(page.text)} >= {"/areas/070901", "/areas/070905"}


def test_no_maps_without_boundaries(runoff_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESCRUTINIO_GEO", raising=False)  # the tester's own setting must not draw maps here
    with serving(runoff_db) as plain, plain.client() as client:
        page = client.get("/?lang=en")
    assert page.status_code == 200 and '<svg class="choropleth"' not in page.text
