"""Fixtures of the API tests: a small store on each engine and a real server on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import Server, serving
from tests.onpe_sample import write

from escrutinio.app import Session


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
