"""A public read asked again at the same head is answered by ``api.hot`` with the route's own
bytes and headers (200, or 304 for the ETag), and never once the log has moved past it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.event_loops import run_alone

from escrutinio.api.app import create_app
from escrutinio.app import Role, Session

pytestmark = pytest.mark.postgres


def _app(db: str) -> Any:
    app = create_app(db)
    calls: list[str] = []
    inner = app.state.hot_answers.keep

    def counting_keep(scope: dict[str, Any], head: dict[str, Any], response: Any) -> None:
        calls.append(scope["path"])  # the route answered (only the route keeps)
        inner(scope, head, response)

    app.state.hot_answers.keep = counting_keep
    app.state.routed = calls
    return app


def _asks(app: Any, requests: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.get(path, headers=headers) for path, headers in requests]

    return run_alone(go())


def test_the_same_read_again_is_the_routes_answer_without_the_route(small_db: str) -> None:
    app = _app(small_db)
    path = "/api/v1/results?level=department"
    first, again, csv = _asks(app, [(path, {}), (path, {}), (path, {"Accept": "text/csv"})])
    assert app.state.routed == [path.split("?")[0]] * 2  # the first JSON and the first CSV only
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert list(again.headers.multi_items()) == list(first.headers.multi_items())
    assert csv.headers["content-type"].startswith("text/csv") and csv.headers["etag"] != first.headers["etag"]

    tag = first.headers["etag"]
    # A 304 from the route (the same parameters in a query string not kept: a trailing &) and
    # one from the hot path: the same headers.
    routed, hot = _asks(app, [(path + "&", {"If-None-Match": tag}), (path, {"If-None-Match": f'"x", W/{tag}'})])
    assert app.state.routed == [path.split("?")[0]] * 2  # a 304 keeps nothing
    assert routed.status_code == hot.status_code == 304 and hot.content == b""
    assert list(hot.headers.multi_items()) == list(routed.headers.multi_items())


def test_a_kept_answer_is_not_given_once_the_log_has_moved(small_db: str) -> None:
    app = _app(small_db)
    watch = app.state.head_watch
    watch.fresh, watch.stale = 0.0, 0.0  # the head is read again at every ask
    path = "/api/v1/results"
    first, again = _asks(app, [(path, {}), (path, {})])
    assert first.content == again.content and len(app.state.routed) == 1
    with Session(small_db) as session:
        session.users.add(f"hot-reads-{len(first.content)}-{first.headers['etag'][1:8]}", Role.AUDITOR)
        events = session.log.head()["events"]
    after, unchanged = _asks(app, [(path, {"If-None-Match": first.headers["etag"]}), (path, {})])
    assert after.status_code == 200  # the old tag does not name the new head: not a 304
    assert after.headers["etag"].startswith(f'"{events}-') and after.json()[0]["log"]["events"] == events
    assert len(app.state.routed) == 2  # computed again by the route, then kept for the new head
    assert unchanged.content == after.content


def test_bad_requests_and_requests_with_a_body_go_to_the_route(small_db: str) -> None:
    app = _app(small_db)
    bad = "/api/v1/results?level=nowhere"
    first, second = _asks(app, [(bad, {}), (bad, {})])
    assert first.status_code == second.status_code == 422 and app.state.routed == []

    async def with_body() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/api/v1/status")
            got = await client.request("GET", "/api/v1/status", content=b"x" * 10)
            return got.status_code

    assert run_alone(with_body()) == 200
    assert app.state.routed == ["/api/v1/status"] * 2  # the one with a body was not answered ahead
