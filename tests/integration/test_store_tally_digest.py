"""``results`` and ``status`` check the tallies they read against the digests projected with
the log head: an SQL update moving 30,000 votes in ``area_tally`` is refused in one line, on
SQLite and PostgreSQL; so is an event appended behind the projection's back."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.count.options import InvalidSheets, Level
from escrutinio.domain.errors import StoreError


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    with Session(db_url) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    return db_url


def _move_votes(db: str, area: str, votes: int) -> None:
    with Session(db) as session, session.store.engine.begin() as conn:
        counts = orjson.loads(conn.exec_driver_sql(f"SELECT counts FROM area_tally WHERE area = '{area}'").scalar())
        counts["v_PL"] -= votes
        counts["v_FP"] += votes
        packed = orjson.dumps(counts, option=orjson.OPT_SORT_KEYS).decode()
        conn.exec_driver_sql(f"UPDATE area_tally SET counts = '{packed}' WHERE area = '{area}'")


def test_results_and_status_refuse_a_tally_moved_by_sql(store: str) -> None:
    with Session(store) as session:
        before = session.count.results()[0]["votes"]
        assert session.count.status()["tables"] == 10
    _move_votes(store, "PE", 30_000)
    with Session(store) as session:
        for read in (session.count.results, session.count.status):
            with pytest.raises(StoreError, match=r"the tally of area PE is not the one projected from the log at its head"):
                read()
        # A level whose rows were not touched still reads, and still adds up as before.
        assert sum(r["votes"]["PL"] for r in session.count.results(Level("department"))) == before["PL"]


def test_a_district_s_tally_is_checked_when_a_level_lists_it(store: str) -> None:
    _move_votes(store, "140137", 30_000)
    with Session(store) as session:
        assert session.count.results()[0]["votes"]  # the nation's row is intact
        with pytest.raises(StoreError, match="the tally of area 140137"):
            session.count.results(Level("district"))


def test_a_deleted_row_or_an_event_written_behind_the_projection_is_refused(store: str) -> None:
    with Session(store) as session, session.store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM area_tally WHERE area = 'PE'")
    with Session(store) as session, pytest.raises(StoreError, match="the tally of area PE"):
        session.count.results()
    with Session(store) as session, session.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE meta SET value = 'x' WHERE key = 'projection_head'")
    with Session(store) as session, pytest.raises(StoreError, match="projected at event x, but the log ends at event"):
        session.count.results()


def test_appends_keep_the_digests_current(store: str, tmp_path: Path) -> None:
    """A later load (and the rulings it causes) moves tallies and head: results still read."""
    from tests.onpe_sample import changed, sample_rows

    with Session(store) as session:
        session.count.load(
            write(tmp_path / "b.csv", changed(sample_rows(), "000001", p1=116, cast=221)), invalid=InvalidSheets.OBSERVE
        )
        assert session.count.results()[0]["votes"] and session.count.status()


def test_a_store_with_the_digests_in_one_document_migrates_to_a_row_an_area(store: str) -> None:
    """Migration 0013: the digests of a store written before it (one JSON document) become a
    ``meta`` row an area, still checked, and a tally moved by SQL is still refused."""
    from alembic import command
    from alembic.config import Config

    from escrutinio.store import tally_digest
    from escrutinio.store.engine import make_engine, resolve_url, writing

    url = resolve_url(store)
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(tally_digest.__file__).parent / "migrations"))
    with writing(engine) as conn, conn.begin():
        rows = conn.exec_driver_sql("SELECT area FROM area_tally WHERE area <> 'PE'").fetchall()
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")  # as a store written before 0013 holds them
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM meta WHERE substr(key, 1, 13) = 'tally_digest:'").scalar() == 0
        assert orjson.loads(conn.exec_driver_sql(f"SELECT value FROM meta WHERE key = '{tally_digest.DIGESTS}'").scalar())
    engine.dispose()
    with Session(store) as session:
        assert session.count.results()[0]["votes"]  # opening the store migrated it
        with session.store.engine.connect() as conn:
            keys = {k for (k,) in conn.exec_driver_sql("SELECT key FROM meta").fetchall()}
    assert tally_digest.DIGESTS not in keys and {tally_digest.key_of(a) for (a,) in rows} <= keys
    _move_votes(store, "PE", 30_000)
    with Session(store) as session, pytest.raises(StoreError, match="the tally of area PE"):
        session.count.results()


def test_an_area_code_longer_than_a_key_has_its_digest_under_a_hash() -> None:
    from escrutinio.store import tally_digest

    long = "X" * 120
    assert len(tally_digest.key_of(long)) <= tally_digest.KEY_LENGTH and tally_digest.key_of(long).startswith("tally_digest:#")
    assert tally_digest.key_of(long) != tally_digest.key_of("X" * 121) and tally_digest.key_of("PE") == "tally_digest:PE"
    row = [(long, '{"v_PL":1}')]
    recorded = {tally_digest.key_of(long): tally_digest.area_digest(long, '{"v_PL":1}')}
    tally_digest.check(row, None, recorded, None, (0, ""))
    with pytest.raises(StoreError, match="the tally of area"):
        tally_digest.check([(long, '{"v_PL":2}')], None, recorded, None, (0, ""))
