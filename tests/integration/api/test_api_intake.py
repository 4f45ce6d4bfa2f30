"""Sheet intake over HTTP (in process, on SQLite and PostgreSQL): double entry with
Idempotency-Key, the answers that name the event and the double entry's state, scans kept by
content and read back by hash, and every refusal a 4xx naming the field and the rule.

The clerk is given to the routes by overriding their authentication dependency (the bearer
token's account); test_api_intake_tokens.py goes through real tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from tests import scans
from tests.onpe_sample import write

from escrutinio.api.app import create_app
from escrutinio.api.auth import acting
from escrutinio.api.deps import Sessions
from escrutinio.app import Session
from escrutinio.domain.roles import Principal, Role

PNG = scans.png(3)
ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with Session(db_url, "admin") as s:
        s.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
    app = create_app(db_url)

    def as_clerk(request: Request) -> Sessions:
        name = request.headers.get("x-clerk", "clerk:ana").removeprefix("clerk:")
        return Sessions(db_url, Principal(name, Role.CLERK))

    app.dependency_overrides[acting] = as_clerk
    with TestClient(app) as made:
        yield made


def post(client: TestClient, clerk: str, key: str, body: dict | None = None, table: str = "000001"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tables/{table}/entries", json=body or ENTRY, headers={"Idempotency-Key": key, "x-clerk": clerk})


def test_double_entry_over_http(client: TestClient) -> None:
    first = post(client, "clerk:ana", "a1")
    assert first.status_code == 201 and first.json()["state"] == "awaiting_second_entry"
    again = post(client, "clerk:ana", "a1")
    assert again.status_code == 200 and again.json()["already_done"] and again.json()["event"] == first.json()["event"]
    second = post(client, "clerk:beto", "b1")
    assert second.status_code == 201
    assert {k: second.json()[k] for k in ("entry", "state", "sheet_state", "differs")} == {
        "entry": 2,
        "state": "processed",
        "sheet_state": "counted",
        "differs": [],
    }
    history = client.get("/api/v1/tables/000001/entries").json()
    assert [(e["clerk"], e["outcome"]) for e in history] == [("clerk:ana", "awaiting_second_entry"), ("clerk:beto", "processed")]


def test_a_table_s_entries_read_as_csv_as_every_read(client: TestClient) -> None:
    """``?format=csv`` and ``Accept: text/csv`` give the entries one a row, nested figures as
    dotted columns (``sheet.votes.PL``), with the ETag and cache headers of every public read (it answered JSON only)."""
    post(client, "clerk:ana", "a1")
    post(client, "clerk:beto", "b1")
    as_json = client.get("/api/v1/tables/000001/entries")
    by_query = client.get("/api/v1/tables/000001/entries", params={"format": "csv"})
    by_header = client.get("/api/v1/tables/000001/entries", headers={"Accept": "text/csv"})
    tag = by_query.headers["etag"]
    again = client.get("/api/v1/tables/000001/entries", params={"format": "csv"}, headers={"If-None-Match": tag})
    bad = client.get("/api/v1/tables/000001/entries", params={"format": "xml"})
    assert by_query.status_code == 200 and by_query.headers["content-type"].startswith("text/csv")
    assert by_header.text == by_query.text and again.status_code == 304
    header, *rows = by_query.text.splitlines()
    columns = header.split(",")
    assert {"event", "clerk", "sheet.votes.PL", "sheet.votes.FP", "sheet.cast"} <= set(columns)
    assert len(rows) == len(as_json.json()) == 2
    assert [dict(zip(columns, r.split(","), strict=True))["clerk"] for r in rows] == ["clerk:ana", "clerk:beto"]
    assert as_json.headers["etag"] != by_query.headers["etag"] and "max-age" in as_json.headers["cache-control"]
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "format"


def test_the_figures_limit_is_the_project_s_one(client: TestClient) -> None:
    """The entry model's bound is ``MAX_COUNT`` itself (domain/sheet.py), not a copy of it that
    could drift from what files and rulings are held to."""
    from escrutinio.api.routes_intake import SheetEntry
    from escrutinio.domain.sheet import MAX_COUNT

    schema = SheetEntry.model_json_schema()["properties"]
    assert schema["cast"]["maximum"] == MAX_COUNT
    over = post(client, "clerk:ana", "big", {**ENTRY, "cast": MAX_COUNT + 1})
    assert over.status_code == 422 and over.json()["error"]["field"] == "body.cast"
    api = Path(__file__).parents[3] / "src" / "escrutinio" / "api"
    copies = [p.name for p in api.glob("*.py") if "10_000_000" in p.read_text() or "10000000" in p.read_text()]
    assert copies == []


def test_a_mismatch_names_the_fields_and_the_case(client: TestClient) -> None:
    post(client, "clerk:ana", "k", table="000002")
    got = post(client, "clerk:beto", "k", {**ENTRY, "blank": 1, "cast": 221}, table="000002").json()
    assert got["state"] == "mismatch" and got["differs"] == ["blank", "cast"] and got["case"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "field", "rule"),
    [
        (ENTRY, {}, 422, "Idempotency-Key", "missing"),
        ({**ENTRY, "blank": -1}, {"Idempotency-Key": "k"}, 422, "body.blank", "greater_than_equal"),
        # named as the body's own refusals are, though the application (shared with the CLI) found it
        ({**ENTRY, "votes": {"PL": 1, "XX": 2}}, {"Idempotency-Key": "k"}, 422, "body.votes.XX", "refused"),
        ({**ENTRY, "cast": "many"}, {"Idempotency-Key": "k"}, 422, "body.cast", "int_type"),
        # Votes are integers: a JSON true is not one vote, nor "1" one (pydantic's lax mode took both)
        (
            {"votes": {"PL": True, "FP": "1"}, "blank": False, "null": 0, "challenged": 0, "cast": "2"},
            {"Idempotency-Key": "k"},
            422,
            "body.votes.PL",
            "int_type",
        ),
        ({**ENTRY, "votes": {"PL": 115, "FP": "87"}}, {"Idempotency-Key": "k"}, 422, "body.votes.FP", "int_type"),
        ({**ENTRY, "null": 18.0}, {"Idempotency-Key": "k"}, 422, "body.null", "int_type"),
    ],
)
def test_malformed_entries_are_4xx_naming_the_field(
    client: TestClient, body: dict, headers: dict, status: int, field: str, rule: str
) -> None:
    got = client.post("/api/v1/tables/000001/entries", json=body, headers=headers)
    assert got.status_code == status, got.text
    error = got.json()["error"]
    assert (error["field"], error["rule"]) == (field, rule)


def test_refusals_of_the_double_entry_name_their_rule(client: TestClient) -> None:
    post(client, "clerk:ana", "k")
    same = post(client, "clerk:ana", "k2")
    assert same.status_code == 422 and same.json()["error"]["rule"] == "same_clerk"
    off = post(client, "clerk:ana", "k3", table="999999")
    assert off.status_code == 404 and off.json()["error"]["field"] == "table"


def test_a_scan_is_kept_and_read_back_by_its_hash(client: TestClient) -> None:
    put = client.put("/api/v1/tables/000001/image", content=PNG, headers={"Idempotency-Key": "i", "content-type": "image/png"})
    assert put.status_code == 201, put.text
    sha = put.json()["sha256"]
    assert sha == hashlib.sha256(PNG).hexdigest() and put.json()["media_type"] == "image/png"
    got = client.get(f"/api/v1/images/{sha}")
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert got.headers["etag"] == f'"{sha}"'
    bad = client.put("/api/v1/tables/000001/image", content=b"GIF89a....", headers={"Idempotency-Key": "j"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "image"
    missing = client.get(f"/api/v1/images/{'0' * 64}")
    assert missing.status_code == 404
    assert client.get("/api/v1/images/nothex").status_code == 422
