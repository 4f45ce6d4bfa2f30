"""The public reads over real HTTP, on SQLite and PostgreSQL: each answer is the CLI's (the same
application call), JSON or CSV; ETags and 304; every bad parameter a 4xx naming the field."""

from __future__ import annotations

import pytest
from tests.integration.api.cli import cli_json, cli_text
from tests.integration.api.server import Server
from tests.integration.api.test_api_core import error_of

from escrutinio.app import Session
from escrutinio.parsing import parse_level

READS = [
    ("/api/v1/results", ("results",)),
    ("/api/v1/results?level=department", ("results", "--level", "department")),
    ("/api/v1/results?level=district&area=14", ("results", "--level", "district", "--area", "14")),
    ("/api/v1/results?area=140137", ("results", "--area", "140137")),
    ("/api/v1/results?level=table&area=24", ("results", "--level", "table", "--area", "24")),
    ("/api/v1/status", ("status",)),
    ("/api/v1/tables/000005", ("table", "000005")),
    ("/api/v1/changes?since=3", ("changes", "--since", "3")),
    ("/api/v1/cases", ("cases", "list")),
    ("/api/v1/stakes", ("stakes",)),
]


@pytest.mark.parametrize(("path", "command"), READS, ids=[p for p, _ in READS])
def test_json_is_the_cli_json(server: Server, small_db: str, path: str, command: tuple[str, ...]) -> None:
    with server.client() as client:
        got = client.get(path)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/json"
    assert got.json() == cli_json(small_db, *command)


@pytest.mark.parametrize(
    ("path", "command"),
    [
        ("/api/v1/results?level=department", ("results", "--level", "department")),
        ("/api/v1/tables/000005", ("table", "000005")),
        ("/api/v1/changes?since=0", ("changes", "--since", "0")),
    ],
)
def test_csv_is_the_cli_csv(server: Server, small_db: str, path: str, command: tuple[str, ...]) -> None:
    expected = cli_text(small_db, *command, "--format", "csv")
    with server.client() as client:
        by_query = client.get(path + ("&" if "?" in path else "?") + "format=csv")
        by_accept = client.get(path, headers={"Accept": "text/csv"})
    for got in (by_query, by_accept):
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("text/csv")
        assert got.text == expected


def test_results_are_the_app_results(server: Server, small_db: str) -> None:
    """Every level, straight from the application (no CLI process between)."""
    with Session(small_db) as session:
        expected = {lv: session.count.results(parse_level(lv)) for lv in ("national", "department", "province", "district")}
        contest = session.count.contest()
    with server.client() as client:
        for lv, rows in expected.items():
            assert client.get("/api/v1/results", params={"level": lv}).json() == rows
        assert client.get("/api/v1/contest").json() == contest


def test_etag_and_not_modified(server: Server, small_db: str) -> None:
    with Session(small_db) as session:
        events = session.log.head()["events"]
    with server.client() as client:
        first = client.get("/api/v1/results?level=department")
        tag = first.headers["etag"]
        assert tag.startswith(f'"{events}-')
        assert "max-age" in first.headers["cache-control"]
        again = client.get("/api/v1/results?level=department", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == tag
        also = client.get("/api/v1/results?level=department", headers={"If-None-Match": f'"other", W/{tag}'})
        assert also.status_code == 304
        stale = client.get("/api/v1/results?level=department", headers={"If-None-Match": '"0-0"'})
        assert stale.status_code == 200 and stale.content == first.content
        # another query, another format: another answer, another tag
        tags = {tag}
        for params in ({"level": "province"}, {"level": "department", "format": "csv"}):
            tags.add(client.get("/api/v1/results", params=params).headers["etag"])
        assert len(tags) == 3


def test_the_docket_filters_by_area_as_the_application_does(server: Server, small_db: str) -> None:
    """``?area=`` keeps the cases on a table within the area (the public docket page's filter,
    which its JSON and CSV links pass on): the sample's one case is on table 000007 of Lima."""
    with Session(small_db) as session:
        expected = {area: session.cases.listing(area=area) for area in ("14", "140137", "24", "PE")}
    assert [[r["number"] for r in rows] for rows in expected.values()] == [["OBS-000001"], ["OBS-000001"], [], ["OBS-000001"]]
    with server.client() as client:
        for area, rows in expected.items():
            assert client.get("/api/v1/cases", params={"area": area}).json() == rows
        lima = client.get("/api/v1/cases", params={"area": "14", "format": "csv"}).text.splitlines()
        callao = client.get("/api/v1/cases", params={"area": "24", "format": "csv"}).text.splitlines()
        documented = client.get("/openapi.json").json()["paths"]["/api/v1/cases"]["get"]["parameters"]
    assert "area" in {p["name"] for p in documented if p["in"] == "query"}
    assert len(lima) == 2 and lima[1].startswith("OBS-000001,") and len(callao) <= 1


@pytest.mark.parametrize(
    ("path", "status", "field", "rule"),
    [
        ("/api/v1/results?level=bogus", 422, "level", "invalid"),
        ("/api/v1/results?area=%00", 422, "area", "invalid"),
        ("/api/v1/results?area=99", 404, "area", "not_found"),
        ("/api/v1/results?format=xml", 422, "format", "invalid"),
        ("/api/v1/changes?since=-1", 422, "since", "invalid"),
        ("/api/v1/changes?since=999999", 409, "since", "store_state"),
        ("/api/v1/changes?since=99999999999999999999999", 422, "since", "invalid"),  # past any SQL integer
        ("/api/v1/changes?since=%C2%B2", 422, "since", "invalid"),  # a digit to str.isdigit, not to int()
        ("/api/v1/results?at_least=99999999999999999999999", 422, "at_least", "invalid"),
        ("/api/v1/receipts/99999999999999999999999", 422, "seq", "less_than_equal"),
        ("/api/v1/heads/99999999999999999999999", 422, "size", "less_than_equal"),
        ("/api/v1/results?=1", 422, "query", "unknown_parameter"),
        ("/api/v1/results?level=department&level=district", 422, "level", "repeated"),
        ("/api/v1/cases?status=filed&kind=observation&status=ruled", 422, "status", "repeated"),
        ("/api/v1/changes?since=0&since=0", 422, "since", "repeated"),  # the same value twice too
        ("/api/v1/tables/999999", 404, "table", "not_found"),
        ("/api/v1/tables/%01", 422, "table", "invalid"),
        ("/api/v1/cases?status=lost", 422, "status", "invalid"),
        ("/api/v1/cases?area=99", 422, "area", "invalid"),  # a filter naming no area: bad input, not a missing case
        ("/api/v1/cases?area=%00", 422, "area", "invalid"),
        ("/api/v1/cases/NUL-999999", 404, "number", "not_found"),
        ("/api/v1/audit", 404, "audit", "not_found"),
        ("/api/v1/results?level=department&area=1401", 422, "area", "invalid"),  # departments within a province
        ("/api/v1/results?level=national&area=14", 422, "area", "invalid"),
        ("/api/v1/results?level=table&area=000004", 422, "area", "invalid"),  # a table's id: input, not the store's state
        ("/api/v1/events?heartbeat=x", 422, "heartbeat", "float_parsing"),
    ],
)
def test_bad_parameters_name_the_field(server: Server, path: str, status: int, field: str | None, rule: str) -> None:
    with server.client() as client:
        got = client.get(path)
    assert got.status_code == status, got.text
    error = error_of(got)
    assert (error["field"], error["rule"]) == (field, rule), error
    assert error["message"]


def test_no_audit_is_said_in_the_api_s_words(server: Server) -> None:
    """The 404 of ``/audit`` says what is missing and which request starts an audit, not which
    command to run: an API client has no command line (it named ``escrutinio audit plan``)."""
    with server.client() as client:
        got = client.get("/api/v1/audit")
    message = error_of(got)["message"]
    assert got.status_code == 404 and "escrutinio" not in message, message
    assert message == "audit: no audit in this store; an auditor or the administrator starts one with POST /api/v1/audit/plan"


def test_a_table_given_as_an_area_points_to_its_read(server: Server) -> None:
    """A table's id where an area's is expected names the API's read of that table, not the CLI's
    command (it said ``show it with `escrutinio table 000004```, 409 ``store_state``)."""
    with server.client() as client:
        got = client.get("/api/v1/results", params={"area": "000004"})
    assert got.status_code == 422 and error_of(got) == {
        "field": "area",
        "rule": "invalid",
        "message": "area: 000004 is a polling table, not an area: read it at GET /api/v1/tables/000004",
    }
