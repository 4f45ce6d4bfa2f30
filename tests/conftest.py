"""Shared fixtures: where ../shared is, and a fresh store on each engine (SQLite, PostgreSQL).

Tests that read ../shared skip with a reason on a fresh clone that lacks it, and fail instead
when ESCRUTINIO_REQUIRE_SHARED=1 (CI). PostgreSQL tests need ESCRUTINIO_TEST_PG_URL (the test
command, scripts/test, starts a server and sets it); with ESCRUTINIO_REQUIRE_PG=1 they fail
instead of skipping. Every database a test makes there is dropped when the test (or the
fixture that made it) is done, passed or failed: a shared development server would otherwise
gather thousands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from tests.pg_databases import DROPPER, _pg_admin_url, fresh_pg_database

__all__ = ["_pg_admin_url", "fresh_pg_database"]  # the tests import them from here

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


def _dispose_engines() -> None:
    engine = sys.modules.get("escrutinio.store.engine")
    if engine is not None:
        engine.dispose_all()


@pytest.fixture(autouse=True)
def _close_server_connections() -> Iterator[None]:
    """Close the PostgreSQL connections a test's stores pooled once it ends, and drop the
    databases the test made (its body or its function-scoped fixtures), passed or failed.

    The store keeps one engine per server URL per process (a server process talks to one
    store), but each test makes its own database: without this, an xdist worker would hold
    idle connections to hundreds of databases and the server would refuse new clients.
    Databases made before this fixture started (by module- or session-scoped fixtures, which
    pytest sets up first) outlive the test: the session drops them.
    """
    before = len(DROPPER.made)
    yield
    _dispose_engines()
    mine = DROPPER.made[before:]
    del DROPPER.made[before:]
    DROPPER.drop(mine)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """At the session's end, drop the databases wider fixtures made, and wait for every drop."""
    yield
    _dispose_engines()
    DROPPER.drop(DROPPER.made)
    DROPPER.made.clear()
    DROPPER.wait()
    if DROPPER.failures:
        print(f"\n{len(DROPPER.failures)} test databases could not be dropped: {DROPPER.failures[:3]}", file=sys.stderr)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location on each engine: the suite's store tests run on both."""
    if request.param == "sqlite":
        return str(tmp_path / "escrutinio.db")
    return fresh_pg_database()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return str(tmp_path / "escrutinio.db")
