"""review10d's API-surface findings, through a real server on loopback on SQLite and PostgreSQL:
who is asking is judged before the body (401, 403, then 422), a 405 names every method the path
takes, and a created case is a 201 whose times are written as every event's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.api.conftest import roll_served
from tests.integration.api.server import Server

from escrutinio.app import Role


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    accounts = {"rep": (Role.REPRESENTATIVE, {"party": "FP"}), "root": (Role.ADMINISTRATOR, {})}
    with roll_served(request.param, tmp_path_factory.mktemp("surface"), accounts) as (_db, server, tokens):
        yield server, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_own_motion_case_from_a_representative_is_refused_for_the_role_first(desk: tuple[Server, dict[str, str]]) -> None:
    """A representative may file nullity requests, never an own-motion case: told 403 ``role``
    whatever the body says, not how the grounds must be spelled (it was 422 ``grounds``)."""
    server, tokens = desk
    body = {"kind": "own_motion", "tables": ["000001"], "filer": "FP"}
    with server.client() as client:
        nobody = client.post("/api/v1/cases", json=body)
        without_grounds = client.post("/api/v1/cases", json=body, headers=bearer(tokens["rep"]))
        with_grounds = client.post("/api/v1/cases", json={**body, "grounds": "a"}, headers=bearer(tokens["rep"]))
    assert nobody.status_code == 401
    for got in (without_grounds, with_grounds):
        assert got.status_code == 403, got.text
        assert got.json()["error"]["rule"] == "role" and got.json()["error"]["field"] == "authorization"
