"""Double entry is blind, through a real ``escrutinio serve`` on SQLite and PostgreSQL: while a
table awaits its second entry, no read (the table's entries, the table, the changes, as JSON or
CSV) nor the public record (the exported log, the published tree) shows the first entry's
figures, only who keyed it and when and a commitment to them, so the second clerk cannot copy
them; once both are in, both entries are shown whole and the record verifies."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.cli import cli_text
from tests.integration.api.server import serving
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.roles import Role

# Figures no other part of these answers holds (event numbers, ids and times are small or dashed).
FIRST = {"votes": {"PL": 4321, "FP": 8765}, "blank": 97, "null": 83, "challenged": 0, "cast": 13266}
READS = ["/api/v1/tables/000001/entries", "/api/v1/tables/000001", "/api/v1/changes?since=0"]


def _figures_in(text: str, sheet: dict) -> list[int]:  # type: ignore[type-arg]
    """The sheet's figures that ``text`` holds as numbers of their own (not inside a hash or a time)."""
    numbers = [*sheet["votes"].values(), sheet["blank"], sheet["null"], sheet["cast"]]
    return [n for n in numbers if re.search(rf"(?<![0-9A-Za-z.]){n}(?![0-9A-Za-z])", text)]


def _entries(client: httpx.Client, at_least: int | None = None) -> list[dict]:  # type: ignore[type-arg]
    # A read right after a write names the write's event (``at_least``): reads are kept per head,
    # and the server's view of the head may lag a write by a moment.
    got = client.get(READS[0], params={} if at_least is None else {"at_least": at_least})
    assert got.status_code == 200, got.text
    return [e for e in got.json() if e["type"] == "sheet.entered"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_first_entry_is_sealed_until_the_second(engine: str, tmp_path: Path) -> None:
    db = str(tmp_path / "s.db") if engine == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
        ana = admin.users.add("ana", Role.CLERK).token
        beto = admin.users.add("beto", Role.CLERK).token

    def post(client: httpx.Client, token: str) -> httpx.Response:
        headers = {"Idempotency-Key": "k", "Authorization": f"Bearer {token}"}
        return client.post("/api/v1/tables/000001/entries", json=FIRST, headers=headers)

    with serving(db) as server, server.client() as client:
        assert post(client, ana).json()["state"] == "awaiting_second_entry"
        # No token, and the second clerk's token: the first entry by who and when only.
        for headers in ({}, {"Authorization": f"Bearer {beto}"}):
            for path in READS:
                for params in ({}, {"format": "csv"}):
                    got = client.get(path, params=params, headers=headers)
                    if got.status_code == 422 and params:
                        continue  # a read without a CSV form
                    assert got.status_code == 200, got.text
                    assert _figures_in(got.text, FIRST) == [], f"{path} {params} shows the first entry's figures"
        # Nor the public record: the log as exported and as published holds a commitment only.
        cli_text(db, "log", "export", str(tmp_path / "early.jsonl"))
        cli_text(db, "publish", str(tmp_path / "site"))
        for path in [tmp_path / "early.jsonl", *(p for p in (tmp_path / "site").rglob("*") if p.is_file())]:
            assert _figures_in(path.read_text(errors="replace"), FIRST) == [], f"{path.name} shows the first entry's figures"
        (first,) = _entries(client)
        assert (first["entry"], first["clerk"], first["outcome"]) == (1, "clerk:ana", "awaiting_second_entry")
        assert first["at"] and "sheet" not in first
        assert "sheet" not in client.get(READS[1]).json()["intake"][0]

        second = post(client, beto).json()
        assert second["state"] == "processed"
        both = _entries(client, at_least=second["event"])
        assert [(e["entry"], e["clerk"], e["sheet"]) for e in both] == [(1, "clerk:ana", FIRST), (2, "clerk:beto", FIRST)]
        assert all(e["at"] for e in both)
    # The second entry revealed the first's figures and salt; the replay checks they open its commitment.
    record = tmp_path / "log.jsonl"
    cli_text(db, "log", "export", str(record))
    cli_text(db, "verify", str(record))
