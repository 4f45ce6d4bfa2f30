"""Receipts in write answers, through a real server on loopback (SQLite and PostgreSQL):
``serve --log-key FILE`` answers every write with the receipt of each event it recorded (the
event, its inclusion proof, a head signed with the log's key), which checks alone and against a
later head; without the key, each entry says where to fetch the receipt once a head is signed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import Server, serving
from tests.onpe_sample import write
from tests.signers import registered_key

from escrutinio.app import Role, Session
from escrutinio.ledger.receipts import Receipt, verify_receipt
from escrutinio.ledger.signing import save_private_key

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str], Path]:
    """A store with a roll and two clerks and a judge: (db, tokens, the log's key file)."""
    folder = tmp_path_factory.mktemp("receipts")
    db = str(folder / "s.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(folder / "a.csv"), "peru-2021-runoff")
        tokens = {name: admin.users.add(name, Role.CLERK).token for name in ("ana", "beto")}
        tokens["luis"] = admin.users.add("luis", Role.JUDGE, body="JEE").token
        key = folder / "log.pem"
        save_private_key(registered_key(admin, "administrator", "ONPE results centre"), key)
    return db, tokens, key


@pytest.fixture
def signing(desk: tuple[str, dict[str, str], Path]) -> Iterator[Server]:
    db, _tokens, key = desk
    with serving(db, "--log-key", str(key)) as server:  # stopped after its test: it also signs heads on a timer
        yield server


def entry(client: httpx.Client, token: str, key: str, table: str = "000001") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post(f"/api/v1/tables/{table}/entries", json=ENTRY, headers=headers)


def checked(receipts: list[dict[str, Any]], actor: str) -> list[int]:
    """Each receipt checks alone and is of an event by ``actor``; their event numbers."""
    seqs = []
    for item in receipts:
        parsed = Receipt.from_dict(item["receipt"])
        verify_receipt(parsed)
        assert parsed.event.seq == item["event"] and item["url"] == f"/api/v1/receipts/{item['event']}"
        assert parsed.event.actor == actor
        seqs.append(parsed.event.seq)
    return seqs


def test_every_write_answers_with_the_receipts_of_its_events(desk: tuple[str, dict[str, str], Path], signing: Server) -> None:
    db, tokens, _key = desk
    with signing.client() as client:
        first = entry(client, tokens["ana"], "a")
        assert first.status_code == 201, first.text
        assert checked(first.json()["receipts"], "clerk:ana") == [first.json()["event"]]
        second = entry(client, tokens["beto"], "b")  # the second entry agrees: the sheet is recorded too
        assert second.json()["state"] == "processed"
        seqs = checked(second.json()["receipts"], "clerk:beto")
        assert len(seqs) == 2 and seqs[0] == second.json()["event"]
        again = entry(client, tokens["ana"], "a")  # the same key: nothing new, the first event's receipt
        assert again.status_code == 200 and checked(again.json()["receipts"], "clerk:ana") == [first.json()["event"]]
        filed = client.post(
            "/api/v1/cases",
            json={"tables": ["000002"], "filer": "JEE", "kind": "own_motion", "grounds": "b"},
            headers={"Authorization": f"Bearer {tokens['luis']}"},
        )
        assert filed.status_code == 201, filed.text
        assert len(checked(filed.json()["receipts"], "judge:luis/JEE")) >= 1
    with Session(db) as s:  # each receipt also holds against the log's latest head
        for item in [*first.json()["receipts"], *second.json()["receipts"], *filed.json()["receipts"]]:
            assert s.transparency.verify_receipt(item["receipt"]).seq == item["event"]


def test_without_the_key_the_answer_says_where_to_fetch_the_receipt(
    desk: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    db, tokens, key = desk
    with serving(db) as server, server.client() as client:
        got = entry(client, tokens["ana"], "later", table="000003")
        assert got.status_code == 201, got.text
        (item,) = got.json()["receipts"]
        assert item["event"] == got.json()["event"] and item["receipt"] is None and "head sign" in item["note"]
        unsigned = client.get(item["url"])  # no head covers it yet
        assert unsigned.status_code == 409 and unsigned.json()["error"]["rule"] == "no_signed_head", unsigned.text
        assert unsigned.json()["error"]["field"] == "seq"
        with Session(db) as s:
            s.transparency.sign_head(key)
        fetched = client.get(item["url"])
        assert fetched.status_code == 200, fetched.text
        assert checked([{**item, "receipt": fetched.json()}], "clerk:ana") == [item["event"]]


def test_a_bad_log_key_stops_the_server_at_once(desk: tuple[str, dict[str, str], Path], tmp_path: Path) -> None:
    db, _tokens, _key = desk
    public = tmp_path / "not-a-key.pem"
    public.write_text("hello")
    with pytest.raises(RuntimeError, match="not a readable PEM private key"), serving(db, "--log-key", str(public)):
        pass
