"""A server looks a token up once, then finds it in its cache while no account is made or
revoked; a token revoked by another process is refused by every request made
``ACCOUNTS_FRESH`` seconds after the revocation (at once with ``accounts_fresh=0``), on SQLite
and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import fresh_pg_database
from tests.event_loops import run_alone
from tests.integration.api.server import serving
from tests.onpe_sample import write

from escrutinio.api.app import create_app
from escrutinio.api.auth import ACCOUNTS_FRESH
from escrutinio.app import Role, Session
from escrutinio.app.users import UsersService

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}
LIMA = ["000001", "000002", "000007"]
"""Tables of area 14 in the sample roll."""


@pytest.fixture(params=["sqlite", "postgresql"])
def roll(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    db = str(tmp_path / "s.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
    return db


def _entry(table: str, token: str, key: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    headers = {"Idempotency-Key": key, "Authorization": f"Bearer {token}"}
    return f"/api/v1/tables/{table}/entries", ENTRY, headers


def test_a_token_is_looked_up_once_while_no_account_changes(roll: str, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    inner = UsersService.authenticate

    def counting(self: UsersService, token: str, cache: Any = None) -> Any:
        looked_up.append(token)
        return inner(self, token, cache)

    monkeypatch.setattr(UsersService, "authenticate", counting)
    with Session(roll, "admin") as admin:
        ana = admin.users.add("ana", Role.CLERK, area="14").token

    async def go(requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [(await client.post(path, json=body, headers=headers)).status_code for path, body, headers in requests]

    app = create_app(roll)
    assert run_alone(go([_entry(t, ana, f"{t}:1") for t in LIMA])) == [201] * 3
    assert len(looked_up) == 1  # three requests, one look-up
    with Session(roll, "admin") as admin:
        admin.users.add("beto", Role.CLERK)  # an account event: every kept token is looked up again
    time.sleep(ACCOUNTS_FRESH)  # once the accounts are read again (api/auth.py)
    assert run_alone(go([_entry(t, ana, f"{t}:1") for t in LIMA])) == [200] * 3  # the same keys: already done
    assert len(looked_up) == 2


def test_a_token_revoked_elsewhere_is_refused_once_the_accounts_are_read_again(roll: str) -> None:
    with Session(roll, "admin") as admin:
        ana = admin.users.add("ana", Role.CLERK, area="14").token
        beto = admin.users.add("beto", Role.CLERK).token
    with serving(roll) as server, server.client() as client:
        for table in LIMA[:2]:
            path, body, headers = _entry(table, ana, f"{table}:1")
            assert client.post(path, json=body, headers=headers).status_code == 201  # kept after the first
        with Session(roll, "admin") as admin:  # another process revokes it
            admin.users.revoke("ana")
            head = admin.store.head()[0]
        time.sleep(ACCOUNTS_FRESH)  # the bound the server keeps (api/auth.py): every request after it refuses
        path, body, headers = _entry(LIMA[2], ana, f"{LIMA[2]}:1")
        refused = client.post(path, json=body, headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["rule"] == "revoked", refused.text
        assert ana not in refused.text
        path, body, headers = _entry(LIMA[0], beto, f"{LIMA[0]}:2")
        assert client.post(path, json=body, headers=headers).json()["state"] == "processed"  # others still act
    with Session(roll) as session:
        assert session.store.head()[0] == head + 2  # beto's entry and the sheet it processed: nothing of the refusal


def test_with_no_window_the_very_next_request_refuses_a_revoked_token(roll: str) -> None:
    with Session(roll, "admin") as admin:
        ana = admin.users.add("ana", Role.CLERK, area="14").token
    app = create_app(roll, accounts_fresh=0)

    async def go() -> list[tuple[int, str]]:
        transport = httpx.ASGITransport(app=app)
        got = []
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for i, table in enumerate(LIMA[:2]):
                if i == 1:
                    with Session(roll, "admin") as admin:
                        admin.users.revoke("ana")
                path, body, headers = _entry(table, ana, f"{table}:1")
                answer = await client.post(path, json=body, headers=headers)
                got.append((answer.status_code, answer.json().get("error", {}).get("rule", "")))
        return got

    assert run_alone(go()) == [(201, ""), (401, "revoked")]
