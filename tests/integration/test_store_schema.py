"""The schema a new store gets (create_all + stamp) is exactly what the migrations build."""

from __future__ import annotations

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
