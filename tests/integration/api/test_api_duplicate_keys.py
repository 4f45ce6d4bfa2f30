"""A JSON body naming one key twice in an object is refused 422 naming the key and the rule
``duplicate_key`` (it was taken with its last value: ``"PL": 3, ..., "PL": 77`` keyed 77 votes),
over a real server on SQLite and PostgreSQL, for a sheet entry and a docket write; nothing
refused is written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import Server, serving
from tests.integration.api.test_api_refusals import bearer, error_of, head
from tests.onpe_sample import write

from escrutinio.app import Role, Session

Served = tuple[str, Server, dict[str, str]]
"""A store's URL, a server on it and tokens by name."""

REPEATED_VOTE = b'{"votes": {"PL": 3, "FP": 139, "PL": 77}, "blank": 3, "null": 10, "cast": 229}'
REPEATED_LINE = b'{"votes": {"PL": 3, "FP": 139}, "blank": 3, "null": 10, "cast": 155, "blank": 0}'
REPEATED_FILING = b'{"tables": ["000001"], "filer": "FP", "grounds": "LOE 363: a", "grounds": "b", "key": "f1"}'


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def roll(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A store holding the sample's roll and no sheet (an entry of it is taken), its tokens, a server."""
    folder = tmp_path_factory.mktemp("keys")
    db = str(folder / "k.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(folder / "a.csv"), "peru-2021-runoff")
        tokens = {"clerk": admin.users.add("ana", Role.CLERK).token, "root": admin.users.add("root", Role.ADMINISTRATOR).token}
    with serving(db) as server:
        yield db, server, tokens


@pytest.mark.parametrize(
    ("path", "token", "body", "field"),
    [
        ("/tables/000001/entries", "clerk", REPEATED_VOTE, "body.votes.PL"),
        ("/tables/000001/entries", "clerk", REPEATED_LINE, "body.blank"),
        ("/cases", "root", REPEATED_FILING, "body.grounds"),
    ],
)
def test_a_repeated_key_is_refused_naming_it(roll: Served, path: str, token: str, body: bytes, field: str) -> None:
    db, server, tokens = roll
    before = head(db)
    headers = {**bearer(tokens[token]), "Idempotency-Key": "k", "Content-Type": "application/json"}
    with server.client() as client:
        for _ in range(2):  # the first entry of a token goes through the framework, the next through the hot path
            error = error_of(client.post(f"/api/v1{path}", content=body, headers=headers), 422)
            assert (error["field"], error["rule"]) == (field, "duplicate_key"), error
            assert error["message"].startswith(f"{field}: the key")
    assert head(db) == before
