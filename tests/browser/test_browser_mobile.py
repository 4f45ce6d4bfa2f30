"""The public pages on a phone (390 px wide, an iPhone 12-14): nothing scrolls sideways. Wide
tables scroll inside their own box and the top navigation wraps between its links."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.api.server import Server

pytestmark = [pytest.mark.shared, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}

WIDER = """w => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > w && !e.closest('.table-wrap, .scroll'))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
"""The first elements that reach past the screen outside a scrolling box (the failure's message)."""


@pytest.mark.parametrize("path", ["/", "/stakes", "/forensics"])
def test_pages_fit_a_phone_without_sideways_scrolling(web_server: Server, page: Any, path: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(web_server.url + path + "?lang=en", timeout=600_000)  # the forensic suite runs on the national count
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (
        f"{path} is {width} px wide on a {PHONE['width']} px screen: {page.evaluate(WIDER, PHONE['width'])}"
    )
    nav = page.locator("header.site nav li")
    assert all(nav.nth(i).evaluate("e => e.getClientRects().length") == 1 for i in range(nav.count()))  # no link split
