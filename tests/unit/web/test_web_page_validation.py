"""A request FastAPI itself refuses (a parameter of the wrong type) becomes the same refusal
page as the application's refusals, naming the parameter and the value it cannot use."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from escrutinio.web.page import PageRoute


def test_a_malformed_parameter_is_a_page_naming_it() -> None:
    router = APIRouter(route_class=PageRoute)

    @router.get("/n")
    async def numbered(n: int) -> dict[str, int]:
        return {"n": n}

    app = FastAPI()
    app.include_router(router)
    got = TestClient(app).get("/n?n=seven", headers={"Accept-Language": "en"})
    assert got.status_code == 400
    assert got.headers["content-type"].startswith("text/html")
    assert "This page cannot use the value n=seven in its address." in got.text
