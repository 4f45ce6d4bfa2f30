"""A public read asked again at the same head is answered by ``api.hot`` with the route's own
bytes and headers (200, or 304 for the ETag); once the log has moved past it, for at most
``lag`` seconds while it is computed again, then not at all; the reads asking at a new head
share one computation."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from tests.event_loops import run_alone

from escrutinio.api import representation
from escrutinio.api.app import create_app
from escrutinio.app import Role, Session

pytestmark = pytest.mark.postgres


def _app(db: str, monkeypatch: pytest.MonkeyPatch, lag: float = 0.0) -> Any:
    """The app, counting the reads that reach the route (``app.state.routed``) and the answers
    computed (``app.state.computed``, by the route or behind the kept answer; held back while
    ``app.state.hold``, an event, is not set); a kept answer is given for ``lag`` seconds once
    the log has moved past it (none: it is computed first)."""
    app = create_app(db)
    hot = app.state.hot_answers
    hot.lag = lag
    app.state.routed, app.state.computed, app.state.hold = [], [], None
    latest, computed = hot.latest, representation._computed

    async def counting_latest(scope: dict[str, Any], *args: Any) -> Any:
        app.state.routed.append(scope["path"])
        return await latest(scope, *args)

    def counting_computed(session: Any, cache: Any, request: Any, *args: Any) -> Any:
        app.state.computed.append(request.url.path)
        if app.state.hold is not None:  # a test holds the computations back until it sets this
            app.state.hold.wait(10)
        return computed(session, cache, request, *args)

    hot.latest = counting_latest
    monkeypatch.setattr(representation, "_computed", counting_computed)
    return app


def _move_the_log(db: str, name: str, first: httpx.Response) -> int:
    """One more event (an account named after ``name`` and the answer ``first``): the new head."""
    with Session(db) as session:
        session.users.add(f"{name}-{len(first.content)}-{first.headers['etag'][1:8]}", Role.AUDITOR)
        return int(session.log.head()["events"])


def _watching_every_ask(app: Any) -> None:
    """The app's head watcher reads the head again at every ask."""
    watch = app.state.head_watch
    watch.fresh, watch.stale = 0.0, 0.0


def _asks(app: Any, requests: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.get(path, headers=headers) for path, headers in requests]

    return run_alone(go())


def test_the_same_read_again_is_the_routes_answer_without_the_route(small_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(small_db, monkeypatch)
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


def test_a_kept_answer_is_not_given_once_the_log_has_moved(small_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(small_db, monkeypatch)
    _watching_every_ask(app)
    path = "/api/v1/results"
    first, again = _asks(app, [(path, {}), (path, {})])
    assert first.content == again.content and len(app.state.routed) == 1
    events = _move_the_log(small_db, "hot-reads", first)
    after, unchanged = _asks(app, [(path, {"If-None-Match": first.headers["etag"]}), (path, {})])
    assert after.status_code == 200  # the old tag does not name the new head: not a 304
    assert after.headers["etag"].startswith(f'"{events}-') and after.json()[0]["log"]["events"] == events
    assert app.state.computed == [path] * 2  # computed again (the read waited for it), then kept for the new head
    assert unchanged.content == after.content


def test_bad_requests_and_requests_with_a_body_go_to_the_route(small_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(small_db, monkeypatch)
    bad = "/api/v1/results?area=a%20b"  # not of an area code's form (a level's name is the election's to check)
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


def test_reads_at_a_new_head_share_one_computation(small_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(small_db, monkeypatch)
    _watching_every_ask(app)
    path = "/api/v1/results?level=department"

    async def go() -> tuple[httpx.Response, list[httpx.Response], int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = await client.get(path)
            events = _move_the_log(small_db, "shared", first)
            return first, await asyncio.gather(*(client.get(path) for _ in range(8))), events

    first, together, events = run_alone(go())
    assert app.state.computed == [path.split("?")[0]] * 2  # the first read, then one for the eight
    assert {r.status_code for r in together} == {200} and len({r.content for r in together}) == 1
    assert {r.headers["etag"] for r in together} != {first.headers["etag"]}
    assert together[0].headers["etag"].startswith(f'"{events}-')


def test_once_the_log_moves_the_kept_answer_is_given_while_computed_again(small_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(small_db, monkeypatch, lag=60.0)
    _watching_every_ask(app)
    path = "/api/v1/results"

    async def go() -> tuple[httpx.Response, list[httpx.Response], httpx.Response, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = await client.get(path)
            events = _move_the_log(small_db, "behind", first)
            app.state.hold = threading.Event()  # the computation behind the kept answer waits
            meanwhile = list(await asyncio.gather(*(client.get(path) for _ in range(8))))
            app.state.hold.set()
            for _ in range(500):  # until the computation behind them ends (bounded: 10 s)
                after = await client.get(path)
                if after.headers["etag"] != first.headers["etag"]:
                    break
                await asyncio.sleep(0.02)
            return first, meanwhile, after, events

    first, meanwhile, after, events = run_alone(go())
    assert app.state.routed == [path]  # only the first read reached the route
    assert app.state.computed == [path] * 2  # and one computation behind the kept answer
    for got in meanwhile:  # the kept answer, of the head it names, though the log has moved
        assert got.content == first.content and got.headers["etag"] == first.headers["etag"]
        assert got.json()[0]["log"]["events"] == events - 1
    assert after.headers["etag"].startswith(f'"{events}-') and after.json()[0]["log"]["events"] == events


def test_an_answer_asked_for_is_computed_again_as_the_log_moves_without_a_request(
    small_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(small_db, monkeypatch, lag=60.0)
    _watching_every_ask(app)
    path = "/api/v1/results?level=department"

    async def go() -> tuple[httpx.Response, int, int, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = await client.get(path)
            await client.get(path)  # answered ahead of the route: the keeper looks after it from now on
            events = _move_the_log(small_db, "kept", first)
            for _ in range(500):  # no request meanwhile (bounded: 10 s)
                if len(app.state.computed) > 1:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # and once computed, it is not computed again while the log stays
            computed = len(app.state.computed)
            return first, events, computed, await client.get(path)

    first, events, computed, after = run_alone(go())
    assert computed == 2 and len(app.state.computed) == 2 and app.state.routed == [path.split("?")[0]]
    assert after.headers["etag"].startswith(f'"{events}-') and after.headers["etag"] != first.headers["etag"]
