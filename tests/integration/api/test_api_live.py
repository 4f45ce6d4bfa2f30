"""Live reads over real HTTP while the store grows, on SQLite and PostgreSQL: a new event changes
the ETag and the figures, ``/changes`` lists it, and the event stream announces its number."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from tests.integration.api.server import Server
from tests.onpe_sample import Row, write

from escrutinio.app import Session


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live")


def advance(db: str, folder: Path, step: int) -> int:
    """Load the sheet of one more table in Lima (115 PL, 87 FP): the log grows; returns its new
    last event."""
    rows = [Row(f"0001{step:02d}")]
    with Session(db) as session:
        session.count.load(write(folder / f"step{step}.csv", rows), "peru-2021-runoff", new_tables=True)
        return session.log.head()["events"]


def not_modified_until_it_moves(client: httpx.Client, path: str, tag: str) -> httpx.Response:
    """Poll with ``If-None-Match: tag``: 304 while the server's view of the head (at most a
    tenth of a second old, written by another process) has not moved; then the new answer."""
    deadline = time.monotonic() + 10
    while True:
        got = client.get(path, headers={"If-None-Match": tag})
        if got.status_code != 304 or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_a_new_event_changes_the_etag_and_the_figures(server: Server, small_db: str, folder: Path) -> None:
    with server.client() as client:
        before = client.get("/api/v1/results?area=14")
        events = advance(small_db, folder, 1)
        after = not_modified_until_it_moves(client, "/api/v1/results?area=14", before.headers["etag"])
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert after.headers["etag"].startswith(f'"{events}-')
    assert after.json() != before.json()
    with Session(small_db) as session:
        assert after.json() == session.count.results(None, "14")


def test_changes_since_lists_the_new_sheet(server: Server, small_db: str, folder: Path) -> None:
    with Session(small_db) as session:
        since = session.log.head()["events"]
    events = advance(small_db, folder, 2)
    with server.client() as client:
        got = client.get("/api/v1/changes", params={"since": since}).json()
    assert got["since"] == since and got["head"] == events
    assert [s["table"] for s in got["sheets"]] == ["000102"]
    assert {e["event"] for e in got["events"]} == set(range(since + 1, events + 1))
    lima = next(t for t in got["tallies"] if t["area"] == "14")
    assert lima["change"]["votes.PL"] == 115 and lima["change"]["votes.FP"] == 87


def test_changes_come_a_page_at_a_time(server: Server, small_db: str, folder: Path) -> None:
    """review10d #2: ``/changes?since=N`` answered every event after N at once (27,000 events,
    2 MB, seconds of a reader). It answers at most ``limit`` events (default and maximum 1,000),
    names the next page's ``since`` and whether there is one; following the pages lists every
    event once and moves the tallies as one answer over all of them does."""
    first, second = advance(small_db, folder, 5), advance(small_db, folder, 6)
    since = first - 1  # the two loads' events, and whatever each added
    with server.client() as client:
        whole = client.get("/api/v1/changes", params={"since": since}).json()
        assert whole["more"] is False and whole["next_since"] == second == whole["head"]
        pages, at = [], since
        while True:
            page = client.get("/api/v1/changes", params={"since": at, "limit": 1}).json()
            pages.append(page)
            assert len(page["events"]) == 1 and page["next_since"] == page["events"][0]["event"]
            at = page["next_since"]
            if not page["more"]:
                break
        too_many = client.get("/api/v1/changes", params={"since": since, "limit": 1001})
        none = client.get("/api/v1/changes", params={"since": since, "limit": 0})
    assert [e for p in pages for e in p["events"]] == whole["events"] and at == second
    assert [s["table"] for p in pages for s in p["sheets"]] == ["000105", "000106"]
    for answer in (too_many, none):
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "limit", answer.text


def read_event(lines: object) -> tuple[str, int | None]:
    """The next event's name and id (``heartbeat`` for a comment line)."""
    name, ident = "", None
    for line in lines:  # type: ignore[attr-defined]
        if line.startswith(": heartbeat"):
            return "heartbeat", None
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("id: "):
            ident = int(line.removeprefix("id: "))
        elif line == "" and name:
            return name, ident
    raise AssertionError("the stream ended")


def test_the_event_stream_announces_new_events(server: Server, small_db: str, folder: Path) -> None:
    with Session(small_db) as session:
        now = session.log.head()["events"]
    with (
        httpx.Client(base_url=server.url, timeout=httpx.Timeout(30)) as client,
        client.stream("GET", "/api/v1/events", params={"heartbeat": 0.2}) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        # The first head may be the one the server's watcher read up to a second before (api/head.py,
        # FRESH + STALE): this test wrote the store from outside the server just before. It is never
        # ahead of the store, and the stream then announces the store's head as soon as it sees it.
        first = read_event(lines)
        assert first[0] == "head" and first[1] is not None and first[1] <= now
        seen = first
        while seen != ("head", now):
            seen = read_event(lines)
            assert seen[0] in ("head", "heartbeat") and (seen[1] or 0) <= now
        assert read_event(lines) == ("heartbeat", None)  # nothing new: the stream stays alive
        events = advance(small_db, folder, 3)
        seen = read_event(lines)
        while seen[0] == "heartbeat":
            seen = read_event(lines)
        assert seen == ("head", events)
    with server.client() as client:  # the server outlives the client that went away
        assert client.get("/api/v1/health").json()["events"] == events
