"""The 2021 runoff over HTTP: the API's figures are the CLI's, to the vote, on SQLite and on
PostgreSQL (a real server on loopback; the store loaded once per engine)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import RUNOFF, fresh_pg_database, need_shared
from tests.integration.api.cli import cli_json
from tests.integration.api.server import Server, serving

from escrutinio.app import Session

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def runoff_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = need_shared(RUNOFF)
    db = str(tmp_path_factory.mktemp("runoff") / "runoff.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db) as session:
        session.count.load(path, "peru-2021-runoff")
    return db


@pytest.fixture(scope="module")
def runoff_server(runoff_db: str) -> Iterator[Server]:
    with serving(runoff_db) as server:
        yield server


@pytest.mark.parametrize(
    ("query", "command"),
    [
        ("", ()),
        ("level=department", ("--level", "department")),
        ("level=district&area=14", ("--level", "district", "--area", "14")),
        ("area=140137", ("--area", "140137")),
    ],
)
def test_results_equal_the_cli(runoff_server: Server, runoff_db: str, query: str, command: tuple[str, ...]) -> None:
    with runoff_server.client() as client:
        got = client.get(f"/api/v1/results?{query}")
    assert got.status_code == 200
    assert got.json() == cli_json(runoff_db, "results", *command)


def test_the_national_figures_of_2021(runoff_server: Server) -> None:
    """Issue 2's figures, read over HTTP."""
    with runoff_server.client() as client:
        nation = client.get("/api/v1/results").json()[0]
        status = client.get("/api/v1/status").json()
    assert nation["votes"] == {"PL": 8_834_440, "FP": 8_790_091}
    assert nation["tables"]["total"] == status["tables"] == 86_488
    assert nation["margin_votes"] == 44_349
