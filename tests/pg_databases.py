"""The PostgreSQL databases the tests make on the test server, and their dropping.

Why a module of its own: pytest loads ``tests/conftest.py`` as ``conftest`` while the tests
import it as ``tests.conftest``, two modules with two copies of whatever they hold; the list of
databases made must be one, so it lives here, imported under one name by both.
"""

from __future__ import annotations

import os
import queue
import threading
import uuid
from typing import Any

import pytest


def _pg_admin_url() -> str | None:
    url = os.environ.get("ESCRUTINIO_TEST_PG_URL")
    if not url:
        message = "no PostgreSQL server (ESCRUTINIO_TEST_PG_URL unset; scripts/test starts one)"
        if os.environ.get("ESCRUTINIO_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


def _admin_engine(admin: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(admin.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")


class _Dropper:
    """Drops the test databases handed to it, on a thread of its own.

    Why a thread: dropping a database takes the server about a second (it makes every backend
    let go of the database's files), five times the cost of creating it; done in line, it
    would add minutes to the suite. The tests go on while the databases are dropped behind
    them, and the session waits at its end for the last ones.
    """

    def __init__(self) -> None:
        self.made: list[tuple[str, str]] = []
        """(admin URL, name) of every database made and not yet handed over to be dropped."""
        self._queue: queue.Queue[tuple[str, str]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.failures: list[str] = []

    def drop(self, made: list[tuple[str, str]]) -> None:
        for found in made:
            self._queue.put(found)
        if made and self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="drop-test-databases")
            self._thread.start()

    def _run(self) -> None:
        engines: dict[str, Any] = {}
        while True:
            admin, name = self._queue.get()
            try:
                engine = engines.get(admin) or engines.setdefault(admin, _admin_engine(admin))
                with engine.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # a server gone away: nothing left to drop there
                self.failures.append(f"{name}: {str(exc).splitlines()[0]}")
            finally:
                self._queue.task_done()

    def wait(self) -> None:
        """Until every database handed over is dropped."""
        self._queue.join()


DROPPER = _Dropper()


def fresh_pg_database() -> str:
    """Create an empty database on the test server; returns its URL. It is dropped when the
    test that made it ends, or, when a fixture wider than one test made it, when the session
    does (``_drop_test_databases``)."""
    admin = _pg_admin_url()
    assert admin is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine(admin)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        engine.dispose()
    DROPPER.made.append((admin, name))
    return admin.rsplit("/", 1)[0] + f"/{name}"
