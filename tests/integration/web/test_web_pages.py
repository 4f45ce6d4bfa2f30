"""The public pages over a real ``escrutinio serve`` on the ten-table sample: HTML for people,
in Spanish and English, with the application's figures; refusals as pages, the API untouched."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from tests import scans
from tests.integration.api.server import Server, serving
from tests.onpe_sample import write

from escrutinio.app import Session


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("web")
    db = str(folder / "web.db")
    with Session(db) as session:
        session.count.load(write(folder / "sample.csv"), "peru-2021-runoff")
    return db


@pytest.fixture(scope="module")
def server(sample: str) -> Iterator[Server]:
    with serving(sample) as running:
        yield running


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces collapsed (what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_national_page_in_spanish_by_default_and_english_by_the_browser(server: Server, sample: str) -> None:
    with Session(sample) as session:
        nation = session.count.results()[0]
    with server.client() as client:
        es = client.get("/")
        en = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert es.status_code == en.status_code == 200
    assert es.headers["content-language"] == "es" and '<html lang="es">' in es.text
    assert en.headers["content-language"] == "en" and '<html lang="en">' in en.text
    assert "Votos válidos" in text_of(es.text) and "Valid votes" in text_of(en.text)
    for choice, votes in nation["votes"].items():
        assert f'data-figure="votes.{choice}">{votes:,}<' in es.text
    assert f'data-figure="valid">{nation["valid"]:,}<' in en.text


def test_the_switch_sets_the_language_and_remembers_it(server: Server) -> None:
    with server.client() as client:
        switched = client.get("/?lang=en", headers={"Accept-Language": "es"})
        assert switched.headers["content-language"] == "en"
        assert "lang=en" in switched.headers["set-cookie"]
        again = client.get("/", headers={"Accept-Language": "es"})  # the cookie, kept by the client
        assert again.headers["content-language"] == "en"
        assert 'href="/?lang=es"' in again.text


def test_area_page_has_breadcrumbs_down_to_it(server: Server) -> None:
    with server.client() as client:
        page = client.get("/areas/140137", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', page.text, re.S)
    assert crumbs is not None
    assert re.findall(r'href="([^"]+)"', crumbs.group(0)) == ["/", "/areas/14", "/areas/1401"]
    assert '<span aria-current="page">District SAN JUAN DE LURIGANCHO</span>' in crumbs.group(0)  # each level named
    assert 'href="/tables/' in page.text


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/areas/99", 404, "There is no area 99 in this election."),
    ],
)
def test_refusals_are_pages_naming_the_problem(server: Server, path: str, status: int, says: str) -> None:
    with server.client() as client:
        got = client.get(path, headers={"Accept-Language": "en"})
    assert got.status_code == status
    assert got.headers["content-type"].startswith("text/html")
    assert says in text_of(got.text).replace("&#39;", "'")


def test_the_national_page_says_the_file_differs_from_the_proclaimed_result(server: Server, sample: str) -> None:
    """The ten-table sample is far from the JNE's proclamation: the page says so, with the
    proclaimed figures and the difference, as the API's ``proclaimed`` and the CLI do."""
    with Session(sample) as session:
        proclaimed = session.count.results()[0]["proclaimed"]
    with server.client() as client:
        en = text_of(client.get("/?lang=en").text)
        es = text_of(client.get("/?lang=es").text)
        area = text_of(client.get("/areas/14?lang=en").text)
    assert not proclaimed["matches"]
    assert f"The loaded file is a snapshot: its figures differ from the proclaimed result ({proclaimed['source']})" in en
    assert "El archivo cargado es una instantánea" in es
    pl, diff = proclaimed["votes"]["PL"], proclaimed["counted_minus_proclaimed"]["votes"]["PL"]
    assert f"{pl:,} {diff:,}" in en and f"{pl:,}" in es
    assert "proclaimed result" not in area


def test_the_site_has_an_icon_and_says_whose_clock_its_times_are_on(server: Server) -> None:
    with server.client() as client:
        icon = client.get("/favicon.ico")
        home = client.get("/?lang=en")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert '<link rel="icon" href="/static/favicon.svg"' in home.text
    freshness = re.search(r'<p id="freshness".*?</p>', home.text, re.S)
    assert freshness is not None and re.search(r"<time [^>]+>[^<]+ GMT-05:00</time>", freshness.group(0))


def test_pages_ignore_the_parameters_social_media_add_to_shared_links(server: Server) -> None:
    """``?fbclid=`` and ``?utm_source=`` on a shared link: the page, in the language asked; the
    JSON API still refuses a parameter it does not take."""
    with server.client() as client:
        home = client.get("/?fbclid=IwAR0abc&lang=en")
        area = client.get("/areas/14?utm_source=twitter&utm_medium=social")
        api = client.get("/api/v1/results?fbclid=IwAR0abc")
    assert home.status_code == area.status_code == 200
    assert '<html lang="en">' in home.text and "fbclid" not in home.text
    assert api.status_code >= 400 and api.json()["error"]["rule"] == "unknown_parameter"


def test_the_api_keeps_its_json_and_its_document(server: Server) -> None:
    with server.client() as client:
        unknown = client.get("/api/v1/no-such-thing")
        document = client.get("/openapi.json").json()
    assert unknown.status_code == 404 and unknown.json()["error"]["rule"] == "not_found"
    assert all(path.startswith("/api/") for path in document["paths"])


def test_assets_are_served_by_the_app(server: Server) -> None:
    with server.client() as client:
        page = client.get("/").text
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
            assert client.get(asset).status_code == 200, asset
    assert "http://" not in page.split("<body")[0] and "https://" not in page.split("<body")[0]


def test_downloads_point_at_the_api(server: Server) -> None:
    with server.client() as client:
        page = client.get("/").text
        links = re.findall(r'<a href="(/api/v1/[^"]+)" download>', page)
        assert links
        for link in links:
            assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_table_page_shows_the_sheet_and_its_cases(server: Server, sample: str) -> None:
    with Session(sample) as session:
        observed = session.count.table("000007")
        counted = session.count.table("000001")
    with server.client() as client:
        page = client.get("/tables/000007", headers={"Accept-Language": "en"}).text
        other = client.get("/tables/000001", headers={"Accept-Language": "en"}).text
    for choice, votes in counted["current"]["votes"].items():
        assert f'data-figure="votes.{choice}">{votes:,}<' in other
    assert observed["state"] == "observed" and 'data-figure="state">observed<' in page
    assert 'href="/cases/OBS-000001"' in page
    assert re.findall(r'<nav class="crumbs".*?</nav>', page, re.S)[0].count("href=") == 4  # nation, 14, 1401, 140137


def test_docket_filters_by_kind_state_filer_and_area(server: Server) -> None:
    def cases(query: str) -> list[str]:
        with server.client() as client:
            got = client.get("/cases" + query, headers={"Accept-Language": "en"})
        assert got.status_code == 200, got.text
        return re.findall(r'<tr data-case="([^"]+)"', got.text)

    assert cases("") == ["OBS-000001"]
    assert cases("?kind=observation&status=&filer=&area=&table=") == ["OBS-000001"]
    assert cases("?kind=nullity_request") == []
    assert cases("?area=14") == cases("?area=140137") == ["OBS-000001"]
    assert cases("?area=24") == []
    assert cases("?filer=ONPE&table=000007") == ["OBS-000001"]


def test_the_docket_downloads_keep_the_pages_area_filter(server: Server) -> None:
    with server.client() as client:
        page = client.get("/cases?kind=observation&area=24", headers={"Accept-Language": "en"}).text
        links = sorted(set(re.findall(r'href="(/api/v1/cases[^"]*)"', page)))
        query = "kind=observation&amp;area=24"
        assert links == [f"/api/v1/cases?{query}", f"/api/v1/cases?{query}&amp;format=csv"]
        assert client.get(unescape(links[0])).json() == []  # the page's filter, not the whole docket
        assert client.get("/api/v1/cases?kind=observation").json() != []


def test_case_and_stakes_pages(server: Server) -> None:
    with server.client() as client:
        case = client.get("/cases/OBS-000001", headers={"Accept-Language": "es"})
        stakes = client.get("/stakes", headers={"Accept-Language": "es"})
        stakes_api = client.get("/api/v1/stakes").json()
    assert case.status_code == 200 and 'href="/tables/000007"' in case.text
    assert "Historia" in text_of(case.text)
    assert stakes.status_code == 200
    assert f'data-figure="margin">{stakes_api["margin"]:,}<' in stakes.text


def test_pages_go_gzipped_to_a_browser_that_takes_it(server: Server) -> None:
    import gzip

    with server.client() as client:
        plain = client.get("/", headers={"Accept-Encoding": "identity", "Accept-Language": "en"})
        with client.stream("GET", "/", headers={"Accept-Encoding": "gzip", "Accept-Language": "en"}) as packed:
            raw = b"".join(packed.iter_raw())
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
    assert len(raw) < len(plain.content) / 2
    assert gzip.decompress(raw) == plain.content


def test_table_page_links_its_scanned_image(server: Server, sample: str) -> None:
    png = scans.png(2)
    with Session(sample) as session:
        sha = session.intake.attach_image("000002", png, "web-test-scan").to_dict()["sha256"]
    with server.client() as client:
        page = client.get("/tables/000002", headers={"Accept-Language": "en"}).text
        assert f'href="/api/v1/images/{sha}"' in page
        assert client.get(f"/api/v1/images/{sha}").content == png


def test_an_area_url_naming_a_table_leads_to_the_table(server: Server) -> None:
    with server.client() as client:
        got = client.get("/areas/000001", follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == "/tables/000001"
