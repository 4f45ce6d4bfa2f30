"""``changes`` as CSV, over a real server on loopback and from the CLI: its header line even when
only events that list no row happened (an account added), and its tallies' ``level`` named as
every other answer names a level (``department``), not by depth."""

from __future__ import annotations

from tests.integration.api.cli import cli_text
from tests.integration.api.server import Server

from escrutinio.app import Role, Session

HEADER = "what,table,area,number,kind,status,name,level"


def test_changes_after_only_other_events_is_a_header(server: Server, small_db: str) -> None:
    with Session(small_db, actor="setup") as admin:
        since = admin.log.head()["events"]
        admin.users.add("reader", Role.AUDITOR)  # an event, but no sheet, case or tally
    with server.client() as client:
        got = client.get("/api/v1/changes", params={"since": since, "format": "csv", "at_least": since + 1})
        listed = client.get("/api/v1/changes", params={"since": since, "at_least": since + 1}).json()
    assert listed["events"] and not (listed["sheets"] or listed["cases"] or listed["tallies"])
    assert got.status_code == 200 and got.text == HEADER + "\n"
    assert cli_text(small_db, "changes", "--since", str(since), "--format", "csv") == HEADER + "\n"


def test_tallies_name_their_level(server: Server) -> None:
    with server.client() as client:
        rows = client.get("/api/v1/changes", params={"since": 0, "format": "csv"}).text.splitlines()
        tallies = client.get("/api/v1/changes", params={"since": 0}).json()["tallies"]
    level = rows[0].split(",").index("level")
    named = {row.split(",")[level] for row in rows[1:] if row.startswith("tally,")}
    assert named == {"national", "department", "province", "district"}
    assert {t["level"] for t in tallies} == named
