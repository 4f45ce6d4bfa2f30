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


def test_a_method_a_path_does_not_take_names_every_one_it_does(desk: tuple[Server, dict[str, str]]) -> None:
    """``/tables/{id}/entries`` is read (GET) and written (POST): a DELETE was told "it takes
    POST", the methods of the first route whose path matched."""
    server, _tokens = desk
    with server.client() as client:
        got = client.delete("/api/v1/tables/000001/entries")
    assert got.status_code == 405 and got.json()["error"]["field"] == "method"
    assert "(it takes GET, HEAD, POST)" in got.json()["error"]["message"], got.text
    assert got.headers["allow"] == "GET, HEAD, POST"


def test_a_new_case_is_created_201_and_a_resent_one_200(desk: tuple[Server, dict[str, str]]) -> None:
    """A created resource is 201, as a sheet's entry already was (a case answered 200); sent again
    under its key, 200 naming the first."""
    server, tokens = desk
    body = {"kind": "nullity_request", "tables": ["000002"], "filer": "FP", "grounds": "a", "key": "c-1"}
    with server.client() as client:
        first = client.post("/api/v1/cases", json=body, headers=bearer(tokens["rep"]))
        again = client.post("/api/v1/cases", json=body, headers=bearer(tokens["rep"]))
        documented = client.get("/openapi.json").json()["paths"]["/api/v1/cases"]["post"]["responses"]
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.json()["already_done"] is True
    assert "201" in documented
