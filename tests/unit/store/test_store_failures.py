"""How a store failure is said to an anonymous client (``store.failures.without_addresses``)."""

from __future__ import annotations

from escrutinio.store.failures import without_addresses


def test_a_servers_url_is_said_as_the_database_keeping_the_colon_after_it() -> None:
    """review10d #6: the 503 said "the database the server went away during the write": the URL's
    pattern took the colon after it."""
    said = without_addresses("postgresql://postgres@127.0.0.1:55432/x: the server went away during the write; retry")
    assert said == "the database: the server went away during the write; retry"
    assert without_addresses("cannot reach postgresql+psycopg://u:***@h:5/db, retry") == "cannot reach the database, retry"
