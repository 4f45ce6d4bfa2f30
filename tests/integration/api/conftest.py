"""Fixtures of the API tests: a small store on each engine and a real server on it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import Server, serving
from tests.onpe_sample import write

from escrutinio.app import Role, Session


def small_store(db: str, folder: Path) -> str:
    """The ten-table ONPE sample loaded into ``db``."""
    with Session(db) as session:
        session.count.load(write(folder / "sample.csv"), "peru-2021-runoff")
    return db


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def small_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample store on each engine (one per module: loading it is the slow part)."""
    folder = tmp_path_factory.mktemp("api")
    db = str(folder / "api.db") if request.param == "sqlite" else fresh_pg_database()
    return small_store(db, folder)


@pytest.fixture(scope="module")
def server(small_db: str) -> Iterator[Server]:
    """``escrutinio serve`` on the sample store, on a loopback port."""
    with serving(small_db) as running:
        yield running


@contextmanager
def roll_served(
    engine: str, folder: Path, accounts: Mapping[str, tuple[Role, dict[str, Any]]]
) -> Iterator[tuple[str, Server, dict[str, str]]]:
    """A store on ``engine`` holding the sample's roll and no sheet, the ``accounts`` (name: role
    and scope) made on it, and a server on it: (db, server, each account's token)."""
    db = str(folder / "s.db") if engine == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(folder / "a.csv"), "peru-2021-runoff")
        tokens = {name: admin.users.add(name, role, **scope).token for name, (role, scope) in accounts.items()}
    with serving(db) as server:
        yield db, server, tokens


@contextmanager
def audit_drawn(engine: str, folder: Path, auditors: tuple[str, ...]) -> Iterator[tuple[str, Server, dict[str, str]]]:
    """The sample store on ``engine``, every sheet counted, national ``auditors``, and a MACRO
    audit planned, seeded and drawn by the first of them through a server on it: (db, server,
    each auditor's token)."""
    import httpx

    db = small_store(str(folder / "s.db") if engine == "sqlite" else fresh_pg_database(), folder)
    with Session(db, "admin") as admin:
        tokens = {name: admin.users.add(name, Role.AUDITOR).token for name in auditors}
    with serving(db) as server, server.client() as client:
        headers = {"Authorization": f"Bearer {tokens[auditors[0]]}"}
        steps = [("plan", {"risk_limit": 0.05, "method": "macro"}), ("seed", {"seed": "73029184650183746529"}), ("draw", {})]
        for step, body in steps:
            done: httpx.Response = client.post(f"/api/v1/audit/{step}", json=body, headers=headers)
            assert done.status_code == 200, done.text
        yield db, server, tokens
