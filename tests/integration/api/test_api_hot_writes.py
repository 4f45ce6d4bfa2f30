"""Sheet entries taken before the framework (``api/hot_writes.py``), on SQLite and PostgreSQL:
an entry in order is answered exactly as the route answers it (status, headers, body); every
entry not in order is the route's to answer, its refusal named as before, though the shortcut
read its body first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.conftest import fresh_pg_database
from tests.event_loops import run_alone
from tests.onpe_sample import write

import escrutinio.api.hot_writes as hot_writes
from escrutinio.api.app import create_app
from escrutinio.app import Role, Session

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}
Sent = tuple[str, bytes, dict[str, str]]


@pytest.fixture(params=["sqlite", "postgresql"])
def roll(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, str]:
    """A store holding the sample's roll; the tokens of a national clerk and of a clerk of 14."""
    db = str(tmp_path / "s.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
        ana = admin.users.add("ana", Role.CLERK).token
        lima = admin.users.add("lima", Role.CLERK, area="14").token
    return db, ana, lima


def entry(table: str, token: str, key: str, body: Any = ENTRY, path: str = "") -> Sent:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "application/json"}
    return path or f"/api/v1/tables/{table}/entries", raw, headers


def send(db: str, requests: list[Sent], monkeypatch: pytest.MonkeyPatch) -> tuple[list[httpx.Response], list[str]]:
    """The answers to ``requests``, sent in turn to one app, and the paths the shortcut took."""
    taken: list[str] = []
    inner = hot_writes.HotEntries._entered

    async def counting(*args: Any, **kwargs: Any) -> Any:
        taken.append("hot")
        return await inner(*args, **kwargs)

    monkeypatch.setattr(hot_writes.HotEntries, "_entered", counting)
    app = create_app(db)

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.post(path, content=raw, headers=headers) for path, raw, headers in requests]

    return run_alone(go()), taken


def test_an_entry_in_order_is_answered_as_the_route_answers_it(
    roll: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, ana, _ = roll
    first, second, again = entry("000001", ana, "1"), entry("000002", ana, "2"), entry("000002", ana, "2")
    (by_route, by_shortcut, repeated), taken = send(db, [first, second, again], monkeypatch)
    assert taken == ["hot", "hot"]  # the first request of a token goes through the framework, which keeps it
    assert by_route.status_code == by_shortcut.status_code == 201
    assert list(by_route.headers) == list(by_shortcut.headers)
    assert by_route.headers["content-type"] == by_shortcut.headers["content-type"] == "application/json"
    route, shortcut = by_route.json(), by_shortcut.json()
    assert list(route) == list(shortcut)
    assert (shortcut["table"], shortcut["state"], shortcut["clerk"]) == ("000002", "awaiting_second_entry", "clerk:ana")
    assert [r["event"] for r in shortcut["receipts"]] == [shortcut["event"]]
    assert repeated.status_code == 200 and repeated.json()["already_done"] and repeated.json()["event"] == shortcut["event"]


@pytest.mark.parametrize(
    ("body", "key", "path", "status", "field", "rule"),
    [
        ({**ENTRY, "blnk": 0}, "k", "", 422, "body.blnk", "unknown_field"),
        ({**ENTRY, "blank": True}, "k", "", 422, "body.blank", "int_type"),
        ({**ENTRY, "cast": 2.0}, "k", "", 422, "body.cast", "int_type"),
        (b'{"votes": {"PL": NaN}}', "k", "", 422, "body", "json_invalid"),
        (b"\xff\xfe", "k", "", 422, "body", "encoding"),
        ({**ENTRY, "votes": {"PL": 1, "XX": 2}}, "k", "", 422, "body.votes.XX", "refused"),
        (ENTRY, "k" * 121, "", 422, "Idempotency-Key", "string_too_long"),
        (ENTRY, "k", "/api/v1/tables/000003/entries?dry=1", 422, "dry", "unknown_parameter"),
        (ENTRY, "k", "/api/v1/tables/NOT-ON-ROLL/entries", 404, "table", "not_found"),
    ],
)
def test_an_entry_not_in_order_is_refused_by_the_route_naming_the_field(
    roll: tuple[str, str, str],
    monkeypatch: pytest.MonkeyPatch,
    body: Any,
    key: str,
    path: str,
    status: int,
    field: str,
    rule: str,
) -> None:
    db, ana, _ = roll
    known = entry("000001", ana, "known")  # the token is known after it: the next is the shortcut's to judge
    (accepted, refused), _taken = send(db, [known, entry("000003", ana, key, body, path)], monkeypatch)
    assert accepted.status_code == 201
    error = refused.json()["error"]
    assert (refused.status_code, error["field"], error["rule"]) == (status, field, rule), refused.text
    with Session(db) as session:
        assert session.store.head()[0] == accepted.json()["event"]  # nothing of the refusal was written


def test_a_clerk_outside_the_table_s_area_is_403_naming_the_rule(
    roll: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused by the route, which judges the area before the body: the shortcut takes only an
    entry of a table its process knows to lie in the clerk's area (the next one, in 14)."""
    db, _, lima = roll
    inside = entry("000001", lima, "in")  # 000001 is in area 14
    outside = entry("000004", lima, "out")  # 000004 is not (24)
    (accepted, refused, next_inside), taken = send(db, [inside, outside, entry("000002", lima, "in2")], monkeypatch)
    assert accepted.status_code == next_inside.status_code == 201 and taken == ["hot"]
    assert refused.status_code == 403 and refused.json()["error"]["rule"] == "area", refused.text


def test_on_a_server_store_an_entry_is_decided_with_no_session_thread(
    roll: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the shortcut hands an entry to the group commit from the event loop
    (``submit_entry_soon``); what needs a read of its own (a key used before) still runs on a
    thread, as on SQLite every entry does."""
    from escrutinio.app.intake import IntakeService

    db, ana, _ = roll
    threaded: list[str] = []
    inner = IntakeService.submit_entry

    def counting(self: IntakeService, table: str, *args: Any, **kwargs: Any) -> Any:
        threaded.append(table)
        return inner(self, table, *args, **kwargs)

    monkeypatch.setattr(IntakeService, "submit_entry", counting)
    known, second, again = entry("000001", ana, "1"), entry("000002", ana, "2"), entry("000002", ana, "2")
    (_first, entered, repeated), taken = send(db, [known, second, again], monkeypatch)
    assert taken == ["hot", "hot"] and entered.status_code == 201 and repeated.status_code == 200
    assert repeated.json()["event"] == entered.json()["event"]
    server = not db.endswith(".db")
    # The first went through the framework; the repeated key reads the first result on a thread.
    assert threaded == (["000001", "000002"] if server else ["000001", "000002", "000002"])
