"""What a fresh-clone review found on the API's surface (review10c), over a real server on
loopback on a store of the sample's roll, on SQLite and PostgreSQL: a table with no sheet yet
has a CSV row as its JSON has a state; every read names the log head it was computed at
(``Escrutinio-Head``), kept answers and 304s too; a JSON write declared as another type is
refused (415) before anything is recorded, on the hot entry path too; the polling tables' JSON
rows are shaped as every results row (the CSV unchanged); the framework's refusals name their
field; the access log keeps no query value (a token sent as ``?token=``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.cli import cli_text
from tests.integration.api.server import Server, serving
from tests.onpe_sample import write

from escrutinio.app import Role, Session

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}
KEYED = "000002"
"""The table both clerks key (its sheet is then processed); every other has no sheet."""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def roll(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """A store of the sample's roll (no sheet) and the tokens of two clerks and an auditor."""
    folder = tmp_path_factory.mktemp("surface")
    db = str(folder / "s.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(folder / "a.csv"), "peru-2021-runoff")
        tokens = {name: admin.users.add(name, Role.CLERK).token for name in ("ana", "beto")}
        tokens["carla"] = admin.users.add("carla", Role.AUDITOR).token
    return db, tokens


@pytest.fixture(scope="module")
def server(roll: tuple[str, dict[str, str]]) -> Iterator[Server]:
    with serving(roll[0]) as running:
        yield running


def keyed(client: httpx.Client, table: str, token: str, key: str, kind: str | None = "application/json") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    if kind is not None:
        headers["Content-Type"] = kind
    return client.post(f"/api/v1/tables/{table}/entries", content=orjson.dumps(ENTRY), headers=headers)


def head(client: httpx.Client) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/api/v1/health").json()
    return found


@pytest.fixture(scope="module")
def entered(server: Server, roll: tuple[str, dict[str, str]]) -> dict[str, Any]:
    """Both clerks key table :data:`KEYED`; the log's head after."""
    with server.client() as client:
        for name in ("ana", "beto"):
            assert keyed(client, KEYED, roll[1][name], f"{name}-{KEYED}").is_success
        return head(client)


def error_of(got: httpx.Response, status: int) -> dict[str, Any]:
    assert got.status_code == status, got.text
    error: dict[str, Any] = got.json()["error"]
    return error


def test_a_table_with_no_sheet_yet_has_a_csv_row(server: Server, roll: tuple[str, dict[str, str]], entered: Any) -> None:
    with server.client() as client:
        shown = client.get("/api/v1/tables/000001").json()
        text = client.get("/api/v1/tables/000001", params={"format": "csv"}).text
        with_sheet = client.get(f"/api/v1/tables/{KEYED}", params={"format": "csv"}).text
    assert shown["versions"] == [] and shown["state"] == "pending"
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["table"], row["state"], row["electors"], row["version"]) == ("000001", "pending", str(shown["electors"]), "")
    assert text.splitlines()[0] == with_sheet.splitlines()[0]  # one header, sheet or none
    assert cli_text(roll[0], "table", "000001", "--format", "csv") == text


def test_the_tables_json_rows_are_shaped_as_every_results_row(
    server: Server, roll: tuple[str, dict[str, str]], entered: Any
) -> None:
    with server.client() as client:
        rows = {r["table"]: r for r in client.get("/api/v1/results", params={"level": "table"}).json()}
        flat = {r["table"]: r for r in csv.DictReader(io.StringIO(client.get("/api/v1/results?level=table&format=csv").text))}
    sheet, none = rows[KEYED], rows["000001"]
    assert sheet["votes"] == ENTRY["votes"] and sheet["ballots_cast"] == 220 and sheet["reasons"] == []
    assert sheet["final_at_source_despite"] == [] and not any(k.startswith("v_") for k in sheet)
    assert none["votes"] is None and none["state"] == "pending"
    assert (flat[KEYED]["votes.PL"], flat[KEYED]["ballots_cast"], flat[KEYED]["final_at_source_despite"]) == ("115", "220", "")
    assert orjson.loads(cli_text(roll[0], "results", "--level", "table", "--format", "json")) == list(rows.values())


def test_every_csv_names_a_tables_figures_as_its_json_flattened(
    server: Server, roll: tuple[str, dict[str, str]], entered: Any
) -> None:
    """review10d #3: the tables listing's CSV said ``cast``, ``v_PL`` while its JSON said
    ``ballots_cast``, ``votes`` and ``/tables/{id}?format=csv`` said ``ballots_cast``,
    ``votes.PL``. Every CSV now names a column as the JSON key flattened with dots (README)."""
    with server.client() as client:
        listed = client.get("/api/v1/results?level=table&format=csv").text
        one = client.get(f"/api/v1/tables/{KEYED}", params={"format": "csv"}).text
    header, version_header = listed.splitlines()[0].split(","), one.splitlines()[0].split(",")
    assert {"ballots_cast", "votes.PL", "votes.FP"} <= set(header) & set(version_header)
    assert not {"cast", "v_PL", "v_FP"} & set(header), header
    assert cli_text(roll[0], "results", "--level", "table", "--format", "csv") == listed


READS = (
    "/api/v1/results",
    "/api/v1/results?level=department",
    "/api/v1/results?area=14",
    "/api/v1/results?area=140137",
    "/api/v1/results?level=table&format=csv",
    "/api/v1/status",
    f"/api/v1/tables/{KEYED}",
    "/api/v1/changes?since=0&format=csv",
    "/api/v1/cases",
)


def test_every_read_names_the_head_it_was_computed_at(server: Server, entered: dict[str, Any]) -> None:
    named = f"{entered['events']} {entered['head']}"
    with server.client() as client:
        for path in READS:
            first = client.get(path)
            again = client.get(path)  # a kept answer (api/hot.py) when the first was kept
            assert first.status_code == again.status_code == 200, (path, first.text)
            same = client.get(path, headers={"If-None-Match": again.headers["etag"]})
            assert first.headers.get("escrutinio-head") == again.headers.get("escrutinio-head") == named, path
            assert same.status_code == 304 and same.headers.get("escrutinio-head") == named, path
        documented = client.get("/openapi.json").json()["paths"]["/api/v1/status"]["get"]["responses"]["200"]
    assert "Escrutinio-Head" in documented["headers"]


@pytest.mark.parametrize(
    "kind", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", "multipart/form-data"]
)
def test_a_json_write_declared_as_another_type_is_refused_before_anything_is_recorded(
    server: Server, roll: tuple[str, dict[str, str]], entered: Any, kind: str
) -> None:
    with server.client() as client:
        assert keyed(client, "000004", roll[1]["ana"], "warm").is_success  # the token is now taken on the hot path
        before = head(client)
        refused = keyed(client, "000003", roll[1]["ana"], f"typed-{kind}", kind)
        plan = client.post(
            "/api/v1/audit/plan",
            content=b'{"risk_limit": 0.05}',
            headers={"Authorization": f"Bearer {roll[1]['carla']}", "Content-Type": kind},
        )
        after = head(client)
    for got in (refused, plan):
        error = error_of(got, 415)
        assert (error["field"], error["rule"]) == ("content-type", "media_type") and "application/json" in error["message"]
    assert after == before


def test_json_with_a_utf8_charset_or_no_type_is_taken(server: Server, roll: tuple[str, dict[str, str]], entered: Any) -> None:
    with server.client() as client:
        assert keyed(client, "000005", roll[1]["ana"], "charset", "application/json; charset=UTF-8").is_success
        assert keyed(client, "000006", roll[1]["ana"], "untyped", None).is_success


def test_the_frameworks_refusals_name_their_field(server: Server, roll: tuple[str, dict[str, str]], entered: Any) -> None:
    with server.client() as client:
        receipt = error_of(client.get("/api/v1/receipts/99999"), 404)
        unknown = error_of(client.get("/api/v1/tables/..%2f../entries"), 404)
        method = error_of(client.get("/api/v1/audit/entries.csv"), 405)
        two = {**ENTRY, "blank": "x", "null": "y"}
        headers = {"Authorization": f"Bearer {roll[1]['ana']}", "Idempotency-Key": "two", "Content-Type": "application/json"}
        both = error_of(client.post("/api/v1/tables/000007/entries", json=two, headers=headers), 422)
    assert receipt["field"] == "seq" and receipt["message"].startswith("seq: there is no event 99999")
    assert unknown["field"] == "path" and unknown["message"].startswith("path: ")
    assert method["field"] == "method" and "POST" in method["message"]
    assert both["message"].endswith("(and 1 more problem)"), both


def test_the_access_log_keeps_no_query_value(roll: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    secret = roll[1]["ana"]
    log = tmp_path / "access.log"
    args = ("--access-log", "--log-level", "info")
    with log.open("wb") as sink, serving(roll[0], *args, output=sink) as running, running.client() as client:
        refused = client.get("/api/v1/results", params={"token": secret, "level": "department"})
        assert client.get("/api/v1/results", params={"level": "department"}).status_code == 200
    assert error_of(refused, 422)["rule"] == "unknown_parameter"
    logged = log.read_text()
    assert secret not in logged and "department" not in logged
    assert re.search(r'"GET /api/v1/results\?token=…&level=… HTTP/1\.1" 422', logged), logged
    assert '"GET /api/v1/results?level=… HTTP/1.1" 200' in logged
