"""Double entry through a real ``escrutinio serve`` with real tokens, on SQLite and PostgreSQL:
two clerks' bearer tokens process a sheet; no token is 401, a clerk of another area 403, and
nothing refused is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import serving
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.roles import Role

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_clerks_tokens_over_a_real_server(engine: str, tmp_path: Path) -> None:
    db = str(tmp_path / "s.db") if engine == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
        ana = admin.users.add("ana", Role.CLERK, area="14").token
        beto = admin.users.add("beto", Role.CLERK).token
        callao = admin.users.add("carla", Role.CLERK, area="24").token
        head = admin.store.head()[0]

    def post(client, token: str | None, key: str = "k"):  # type: ignore[no-untyped-def]
        headers = {"Idempotency-Key": key} | ({"Authorization": f"Bearer {token}"} if token else {})
        return client.post("/api/v1/tables/000001/entries", json=ENTRY, headers=headers)

    with serving(db) as server, server.client() as client:
        assert post(client, None).status_code == 401
        refused = post(client, callao)
        assert refused.status_code == 403, refused.text
        assert post(client, ana).json()["state"] == "awaiting_second_entry"
        second = post(client, beto)
        assert second.status_code == 201 and second.json()["state"] == "processed"
        assert second.json()["clerk"] == "clerk:beto"
    with Session(db) as s:
        assert s.store.head()[0] == head + 3  # two entries and the sheet: nothing of the refusals
        assert s.count.results()[0]["votes"] == {"PL": 115, "FP": 87}
