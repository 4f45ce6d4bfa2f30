"""``changes`` as CSV, over a real server on loopback and from the CLI: one header line, the same
whatever changed (only events that list no row, an account added, or sheets, cases and
tallies), and its tallies' ``level`` named as every other answer names a level
(``department``), not by depth."""

from __future__ import annotations

from tests.integration.api.cli import cli_text
from tests.integration.api.server import Server

from escrutinio.app import Role, Session

HEADER = (
    "what,table,area,before.version,before.state,before.event,after.version,after.state,after.event,"
    "number,kind,status,filer,tables,rule,resolution,effect,name,level,change.ballots_cast,"
)
"""How the header starts (then a ``change.`` column for each figure of a tally, sorted)."""


def test_changes_after_only_other_events_is_a_header(server: Server, small_db: str) -> None:
    with Session(small_db, actor="setup") as admin:
        since = admin.log.head()["events"]
        admin.users.add("reader", Role.AUDITOR)  # an event, but no sheet, case or tally
    with server.client() as client:
        got = client.get("/api/v1/changes", params={"since": since, "format": "csv", "at_least": since + 1})
        listed = client.get("/api/v1/changes", params={"since": since, "at_least": since + 1}).json()
    assert listed["events"] and not (listed["sheets"] or listed["cases"] or listed["tallies"])
    with server.client() as client:
        everything = client.get("/api/v1/changes", params={"since": 0, "format": "csv"}).text.splitlines()
    assert len(everything) > 1 and everything[0].startswith(HEADER) and "change.votes.PL" in everything[0].split(",")
    assert got.status_code == 200 and got.text == everything[0] + "\n"
    assert cli_text(small_db, "changes", "--since", str(since), "--format", "csv") == everything[0] + "\n"
    assert cli_text(small_db, "changes", "--since", "0", "--format", "csv").splitlines()[0] == everything[0]


def test_tallies_name_their_level(server: Server) -> None:
    with server.client() as client:
        rows = client.get("/api/v1/changes", params={"since": 0, "format": "csv"}).text.splitlines()
        tallies = client.get("/api/v1/changes", params={"since": 0}).json()["tallies"]
    level = rows[0].split(",").index("level")
    named = {row.split(",")[level] for row in rows[1:] if row.startswith("tally,")}
    assert named == {"national", "department", "province", "district"}
    assert {t["level"] for t in tallies} == named
