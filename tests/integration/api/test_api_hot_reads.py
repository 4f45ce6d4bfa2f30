"""A public read asked again at the same head is answered by ``api.hot`` with the route's own
bytes and headers (200, or 304 for the ETag), and never once the log has moved past it; the
reads asking at a new head share one computation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tests.event_loops import run_alone

from escrutinio.api.app import create_app
from escrutinio.app import Role, Session

pytestmark = pytest.mark.postgres


def _app(db: str) -> Any:
    """The app, counting the reads that reach the route (``app.state.routed``) and the answers
    it computes (``app.state.computed``: only a computed answer is kept)."""
    app = create_app(db)
    hot = app.state.hot_answers
    app.state.routed, app.state.computed = [], []
    latest, keep = hot.latest, hot.keep

    async def counting_latest(scope: dict[str, Any], *args: Any) -> Any:
        app.state.routed.append(scope["path"])
        return await latest(scope, *args)

    def counting_keep(scope: dict[str, Any], head: dict[str, Any], response: Any) -> None:
        app.state.computed.append(scope["path"])
        keep(scope, head, response)

    hot.latest, hot.keep = counting_latest, counting_keep
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


def test_reads_at_a_new_head_share_one_computation(small_db: str) -> None:
    app = _app(small_db)
    watch = app.state.head_watch
    watch.fresh, watch.stale = 0.0, 0.0  # the head is read again at every ask
    path = "/api/v1/results?level=department"

    async def go() -> tuple[httpx.Response, list[httpx.Response], int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = await client.get(path)
            with Session(small_db) as session:
                session.users.add(f"shared-{first.headers['etag'][1:8]}", Role.AUDITOR)
                events = session.log.head()["events"]
            return first, await asyncio.gather(*(client.get(path) for _ in range(8))), events

    first, together, events = run_alone(go())
    assert len(app.state.routed) == 9  # the log moved: none was answered ahead of the route
    assert app.state.computed == [path.split("?")[0]] * 2  # the first read, then one for the eight
    assert {r.status_code for r in together} == {200} and len({r.content for r in together}) == 1
    assert {r.headers["etag"] for r in together} != {first.headers["etag"]}
    assert together[0].headers["etag"].startswith(f'"{events}-')
