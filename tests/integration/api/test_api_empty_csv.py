"""Every CSV listing gives its header when it lists nothing, over a real server on loopback and
from the CLI: the docket filtered to nothing, a table with no entry, an audit with no draw, what
changed since the head. Each listing's columns are said where its rows are made
(``domain.rows.Rows``) and every CSV writer writes them (only ``changes`` did, from its route)."""

from __future__ import annotations

import pytest
from tests.integration.api.cli import cli_text
from tests.integration.api.server import Server

from escrutinio.app import Role, Session

DOCKET = "number,kind,status,filer,tables,filed_at,grounds,rule,resolution,effect,appeal_until,updated_seq"


@pytest.fixture(scope="module")
def root(small_db: str) -> dict[str, str]:
    with Session(small_db, actor="setup") as admin:
        return {"Authorization": f"Bearer {admin.users.add('root-csv', Role.ADMINISTRATOR).token}"}


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("/api/v1/cases?status=final", DOCKET),
        ("/api/v1/tables/000001/entries", "event,type,at,clerk"),
        ("/api/v1/audit", "table,times_drawn,status,sheet_winner,sheet_loser,sheet_ballots"),
    ],
)
def test_an_empty_listing_is_its_header(server: Server, root: dict[str, str], path: str, header: str) -> None:
    with server.client() as client:
        client.post("/api/v1/audit/plan", json={"risk_limit": "0.1", "method": "macro"}, headers=root)  # or already open
        listed = client.get(path).json()
        got = client.get(f"{path}{'&' if '?' in path else '?'}format=csv")
    assert (listed if isinstance(listed, list) else listed["tables"]) == []
    assert got.status_code == 200 and got.text == header + "\n"


def test_the_cli_gives_the_same_header(small_db: str) -> None:
    assert cli_text(small_db, "cases", "list", "--status", "final", "--format", "csv") == DOCKET + "\n"
