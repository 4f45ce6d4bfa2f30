"""Shortcuts in front of the framework's layers (``api/front.py``): what they answer is given as
they send it; what they hand on is the framework's to answer, as without them; an exception
escaping one is answered as the framework's outermost layer answers one (the app's 500, in the
API's error shape) and raised on to the server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.event_loops import run_alone

from escrutinio.api import errors
from escrutinio.api.front import FrontedApp


def _app(shortcut: str) -> FrontedApp:
    app = FrontedApp()
    errors.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("no")

    def shortcuts(framework: Any) -> Any:
        async def front(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["path"] != "/short":
                await framework(scope, receive, send)
            elif shortcut == "raises":
                raise ValueError("no")
            else:
                await send({"type": "http.response.start", "status": 200, "headers": [(b"x-by", b"shortcut")]})
                await send({"type": "http.response.body", "body": b"short"})

        return front

    app.shortcuts = shortcuts
    return app


def _get(app: FrontedApp, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path)

    return run_alone(go())


def test_a_shortcut_answers_what_it_takes() -> None:
    answer = _get(_app("answers"), "/short")
    assert (answer.status_code, answer.headers["x-by"], answer.content) == (200, "shortcut", b"short")


@pytest.mark.parametrize("path", ["/boom", "/nowhere"])
def test_what_a_shortcut_hands_on_is_answered_as_without_shortcuts(path: str) -> None:
    plain = _app("answers")
    plain.shortcuts = None
    fronted, without = _get(_app("answers"), path), _get(plain, path)
    assert (fronted.status_code, fronted.headers, fronted.content) == (without.status_code, without.headers, without.content)
    assert fronted.status_code in (404, 500)


def test_an_exception_escaping_a_shortcut_is_the_apps_500() -> None:
    fronted, routed = _get(_app("raises"), "/short"), _get(_app("raises"), "/boom")
    assert fronted.status_code == routed.status_code == 500
    assert fronted.json() == routed.json()
    assert fronted.json()["error"]["rule"] == "internal"
    assert fronted.headers == routed.headers


def test_a_shortcut_is_bypassed_when_the_framework_must_see_every_request() -> None:
    app = _app("answers")
    app.max_body_size = 1_000  # a body limit of FastAPI's: the shortcuts do not apply it
    assert _get(app, "/short").status_code == 404
