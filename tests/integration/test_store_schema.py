"""The schema a new store gets (create_all + stamp) is exactly what the migrations build."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from escrutinio.store.engine import create_schema, make_engine, migrate, resolve_url, writing
from escrutinio.store.schema import SCHEMA_REVISION, metadata


def test_migrations_and_metadata_agree(db_url: str) -> None:
    engine = make_engine(resolve_url(db_url))
    with writing(engine) as conn, conn.begin():
        migrate(conn)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if conn.dialect.name == "sqlite":
            rowid = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name='sheets'").scalar()
            assert "WITHOUT ROWID" in rowid
    engine.dispose()
    assert diffs == [] and revision == SCHEMA_REVISION


def test_create_schema_stamps_the_head_revision(sqlite_db: str) -> None:
    engine = make_engine(resolve_url(sqlite_db))
    with writing(engine) as conn, conn.begin():
        create_schema(conn)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == SCHEMA_REVISION
        assert set(sa.inspect(conn).get_table_names()) == {*metadata.tables, "alembic_version"}
    engine.dispose()


def _a_0002_store(db_url: str) -> str:
    """A store as revision 0002 left it: a roll, one observed sheet, a long tally."""
    from escrutinio.formats.definition import load_definition

    url = resolve_url(db_url)
    engine = make_engine(url)
    _, definition = load_definition("peru-2021-runoff")
    with writing(engine) as conn, conn.begin():
        migrate(conn, "0002")
        conn.execute(
            sa.text("INSERT INTO meta (key, value) VALUES ('definition', :text), ('election', 'peru-2021-runoff')"),
            {"text": definition},
        )
        conn.exec_driver_sql(
            "INSERT INTO events (seq, type, at, actor, data, prev, hash) "
            "VALUES (2, 'tables.registered', 't', 'a', '{}', 'p', 'h2')"
        )
        conn.exec_driver_sql(
            "INSERT INTO tables (table_id, area, polling_place, electors, seq) VALUES "
            "('000001', '140101', NULL, 300, 2), ('000002', '140102', 'IE 1', 250, 2)"
        )
        conn.exec_driver_sql(
            "INSERT INTO area_tally (area, key, value) VALUES ('PE', 'v_PL', 110), ('PE', 'tables', 2), ('PE', 'v_FP', 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO sheets (table_id, version, state, reasons, basis, line, ballots_cast, blank, null_votes, challenged, "
            "votes, seq, current) VALUES ('000001', 1, 'observed', 'illegible', 'b', 2, 200, 1, 9, 0, '[110,80]', 3, 1)"
        )
    engine.dispose()
    return url


def test_a_0002_store_keeps_its_roll_and_sheets_through_the_chunk_migration(db_url: str) -> None:
    """0003 moves the roll into a chunk, gives sheet rows their area and electors, and packs
    each area's tally into one row: what a store reads after the upgrade is what it held."""
    from escrutinio.domain.table_frame import choice_column
    from escrutinio.store.current import read_current_sheets, read_tables
    from escrutinio.store.store import Store

    url = _a_0002_store(db_url)
    store = Store.open(url)
    election = store.election()
    with store.engine.connect() as conn:
        roll = read_tables(conn, {})
        sheets = read_current_sheets(conn, election, {})
        area, electors = conn.exec_driver_sql("SELECT area, electors FROM sheets WHERE table_id = '000001'").one()
    tally = store.tally()
    store.close()
    assert tally.sort("key").rows() == [("PE", "tables", 2), ("PE", "v_PL", 110)]
    assert roll.sort("table").rows() == [("000001", "140101", None, 300, 2), ("000002", "140102", "IE 1", 250, 2)]
    assert sheets["table"].to_list() == ["000001"] and sheets[choice_column("PL")].to_list() == [110]
    assert (area, electors) == ("140101", 300)


def test_the_index_on_sheets_at_the_dispute_body_is_partial_on_both_engines(db_url: str) -> None:
    engine = make_engine(resolve_url(db_url))
    with writing(engine) as conn, conn.begin():
        create_schema(conn)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_sheets_at_dispute_body'"
        else:
            sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_sheets_at_dispute_body'"
        definition = conn.exec_driver_sql(sql).scalar()
    engine.dispose()
    assert "WHERE" in definition.upper() and "observed" in definition


def test_the_sqlite_ddl_module_is_what_the_metadata_compiles_to() -> None:
    """A new SQLite store is made from sqlite_ddl.py without SQLAlchemy: it must be what
    SQLAlchemy would emit (regenerate with ``python -m escrutinio.store.schema``)."""
    from escrutinio.store import sqlite_ddl
    from escrutinio.store.schema import sqlite_ddl as compiled
    from escrutinio.store.schema import sqlite_ddl_module

    assert list(sqlite_ddl.STATEMENTS) == compiled() and sqlite_ddl.SCHEMA_REVISION == SCHEMA_REVISION
    assert Path(sqlite_ddl.__file__).read_text(encoding="utf-8") == sqlite_ddl_module()


def test_a_store_created_through_the_standard_library_matches_the_metadata(sqlite_db: str) -> None:
    from escrutinio.formats.definition import load_definition
    from escrutinio.store.lite import LiteEngine
    from escrutinio.store.store import Store

    url = resolve_url(sqlite_db)
    store = Store.create(url, load_definition("peru-2021-runoff")[1], "test")
    assert isinstance(store.engine, LiteEngine)
    store.close()
    engine = make_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diffs == []


def test_results_on_an_older_store_migrate_it_first(db_url: str) -> None:
    """The read-only path (results, status) never migrates by itself: it opens the store,
    which does, instead of failing on a column the old schema lacks."""
    from escrutinio.app import Session

    nat = Session(_a_0002_store(db_url)).count.results()[0]
    assert nat["votes"]["PL"] == 110 and [s["table"] for s in nat["at_dispute_body"]] == ["000001"]


def test_the_sheet_column_list_is_the_table_s() -> None:
    from escrutinio.store.columns import SHEET_ROW
    from escrutinio.store.schema import sheets

    assert tuple(c.name for c in sheets.columns) == SHEET_ROW
