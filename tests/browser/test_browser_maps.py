"""The maps, the audit page and the forensics page in headless Chromium on the 2021 runoff: the
national page's two maps draw and link every department, a click on an area opens its page, the
keyboard reaches the areas; axe-core finds no serious or critical violation on these pages; the
national page with its maps and the audit page (a confirmed MACRO audit) are saved as
screenshots."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from tests.browser.conftest import GEO, serious_violations
from tests.conftest import need_shared
from tests.integration.api.server import Server
from tests.integration.audit.test_audit_workflow_peru import SEED, double_entries

from escrutinio.app import Session
from escrutinio.parsing import parse_audit_method

pytestmark = pytest.mark.shared


@pytest.fixture(autouse=True)
def _boundaries() -> None:
    need_shared(GEO)  # the maps need Peru's boundaries: without them the pages show tables alone


def test_the_national_maps_draw_and_link_every_department(web_server: Server, new_page: Any, screenshot: Any) -> None:
    page = new_page("en")
    page.goto(web_server.url + "/")
    maps = page.locator("svg.choropleth")
    assert maps.count() == 2
    for i in range(2):
        links = maps.nth(i).locator("a")
        assert links.count() == 25
        hrefs = {links.nth(k).get_attribute("href") for k in range(25)}
        assert "/areas/14" in hrefs and "/areas/24" in hrefs  # Lima and Callao, whatever INEI numbers them
    box = maps.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200  # drawn, not collapsed
    assert page.locator("ul.legend").first.locator("li").count() == 9  # eight classes and "nothing counted yet"
    screenshot(page, "national-map")
    subject = page.locator("figure.map figcaption").first.inner_text().split("·")[0].strip()  # then the level
    assert "Pedro Castillo" in subject  # who leads the nation
    maps.first.locator('a[href="/areas/14"]').click()
    page.wait_for_url("**/areas/14")
    assert page.locator("h1").inner_text() == "LIMA"
    assert page.locator("svg.choropleth").count() == 2  # Lima's provinces, mapped in turn
    assert page.locator("tr.leader th").inner_text() == "Keiko Fujimori"  # who leads Lima ...
    assert page.locator("figure.map figcaption").first.inner_text().startswith(subject)  # ... the colour means the same
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    assert crumbs.locator('[aria-current="page"]').inner_text() == "Department LIMA"


def test_the_keyboard_reaches_an_area_of_the_map(web_server: Server, page: Any) -> None:
    page.goto(web_server.url + "/areas/1401")  # Lima's districts
    first = page.locator("svg.choropleth a").first
    first.focus()
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == first.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url("**/areas/1401*")


@pytest.mark.parametrize("path", ["/?lang=en", "/areas/14", "/areas/1401", "/areas/0709", "/forensics", "/audit"])
def test_map_audit_and_forensics_pages_have_no_serious_violations(web_server: Server, page: Any, path: str) -> None:
    page.goto(web_server.url + path, timeout=600_000)  # the forensic suite runs on the national count once
    assert serious_violations(page) == []


def test_the_audit_page_of_a_confirmed_audit(runoff_copy: str, serve: Any, new_page: Any, screenshot: Any) -> None:
    with Session(runoff_copy, actor="auditor") as session:
        session.audit.plan(Fraction(1, 20), method=parse_audit_method("macro"))
        session.audit.seed(SEED, "20 ten-sided dice at the public ceremony")
        session.audit.draw()
        session.audit.record_file(double_entries(session, Path(runoff_copy + ".counts.csv")))
        measured = session.audit.measure()
    with serve(runoff_copy) as server:
        page = new_page("es")
        page.goto(server.url + "/audit")
        chart = page.locator("svg.risk")
        assert chart.count() == 1 and chart.locator("circle.risk").count() == 1
        assert page.locator("svg.risk line.limit").count() == 1
        assert "el ganador informado queda confirmado" in page.locator("main").inner_text()
        assert measured["risk"] in page.locator("table.figures").first.inner_text()
        assert serious_violations(page) == []
        screenshot(page, "audit")
