"""Shared fixtures: where ../shared is, and a fresh store on each engine (SQLite, PostgreSQL).

Tests that read ../shared skip with a reason on a fresh clone that lacks it, and fail instead
when ESCRUTINIO_REQUIRE_SHARED=1 (CI). PostgreSQL tests need ESCRUTINIO_TEST_PG_URL (the test
command, scripts/test, starts a server and sets it); with ESCRUTINIO_REQUIRE_PG=1 they fail
instead of skipping.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The machines that run the suite are shared and noisy (two cores, other work beside it): a
# strategy that is slow to draw on a loaded machine is not a failing property. Deadlines and the
# "too slow" check measure the machine, not the code, so neither is used.
settings.register_profile("escrutinio", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("escrutinio")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
RUNOFF = DATA / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
FIRST_ROUND = DATA / "peru-2021-first-round" / "Resultados_1ra_vuelta_Version_PCM.csv.gz"


def need_shared(path: Path) -> Path:
    """Return ``path`` in ../shared, or skip (fail in CI) when it is not there."""
    if not path.exists():
        message = f"{path} is not present: ../shared/data holds the real election files"
        if os.environ.get("ESCRUTINIO_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def runoff_file() -> Path:
    return need_shared(RUNOFF)


@pytest.fixture
def first_round_file() -> Path:
    return need_shared(FIRST_ROUND)


def _pg_admin_url() -> str | None:
    url = os.environ.get("ESCRUTINIO_TEST_PG_URL")
    if not url:
        message = "no PostgreSQL server (ESCRUTINIO_TEST_PG_URL unset; scripts/test starts one)"
        if os.environ.get("ESCRUTINIO_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


def fresh_pg_database() -> str:
    """Create an empty database on the test server; returns its URL."""
    import sqlalchemy as sa

    admin = _pg_admin_url()
    assert admin is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return admin.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(autouse=True)
def _close_server_connections() -> Iterator[None]:
    """Close the PostgreSQL connections a test's stores pooled once it ends.

    The store keeps one engine per server URL per process (a server process talks to one
    store), but each test makes its own database: without this, an xdist worker would hold
    idle connections to hundreds of databases and the server would refuse new clients.
    """
    yield
    engine = sys.modules.get("escrutinio.store.engine")
    if engine is not None:
        engine.dispose_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location on each engine: the suite's store tests run on both."""
    if request.param == "sqlite":
        return str(tmp_path / "escrutinio.db")
    return fresh_pg_database()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return str(tmp_path / "escrutinio.db")
