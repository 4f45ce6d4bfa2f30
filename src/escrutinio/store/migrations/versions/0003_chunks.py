"""Chunks: bulk events keep their roll and sheet rows column-wise, one blob per event.

The roll moves from the ``tables`` table into one ``roll`` chunk; sheets already stored stay
rows (rows and chunks are read together) and gain their table's area and electors. Area
tallies become one row per area (its figures as one JSON object).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    import polars as pl

    from escrutinio.ledger.state import TABLE_SCHEMA
    from escrutinio.store.chunks import ROLL, encode

    op.create_table(
        "chunks",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("rows", sa.LargeBinary, nullable=False),
    )
    op.add_column("sheets", sa.Column("area", sa.String(128), nullable=True))
    op.add_column("sheets", sa.Column("electors", sa.Integer, nullable=True))
    conn = op.get_bind()
    conn.exec_driver_sql(
        "UPDATE sheets SET area = (SELECT t.area FROM tables t WHERE t.table_id = sheets.table_id), "
        "electors = (SELECT t.electors FROM tables t WHERE t.table_id = sheets.table_id)"
    )
    rows = conn.exec_driver_sql("SELECT table_id, area, polling_place, electors, seq FROM tables ORDER BY table_id").fetchall()
    if rows:
        frame = pl.DataFrame([tuple(r) for r in rows], schema=TABLE_SCHEMA, orient="row")
        seq = int(frame["seq"].max())
        digest = conn.exec_driver_sql(f"SELECT hash FROM events WHERE seq = {seq}").scalar()
        chunks = sa.table("chunks", sa.column("seq"), sa.column("kind"), sa.column("hash"), sa.column("rows"))
        conn.execute(chunks.insert().values(seq=seq, kind=ROLL, hash=digest, rows=encode(frame)))
    op.drop_index("ix_tables_area", table_name="tables")
    op.drop_table("tables")
    _pack_tallies(conn)


def _pack_tallies(conn: sa.Connection) -> None:
    from itertools import groupby

    from escrutinio.store.packed_tally import add

    long = conn.exec_driver_sql("SELECT area, key, value FROM area_tally ORDER BY area, key").fetchall()
    op.drop_table("area_tally")
    op.create_table(
        "area_tally",
        sa.Column("area", sa.String(128), primary_key=True),
        sa.Column("counts", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    packed = []
    for area, group in groupby(long, key=lambda r: r[0]):
        rows = list(group)
        packed.append({"area": area, "counts": add(None, [r[1] for r in rows], [int(r[2]) for r in rows])})
    if packed:
        conn.execute(sa.table("area_tally", sa.column("area"), sa.column("counts")).insert(), packed)


def downgrade() -> None:
    raise NotImplementedError("0003 moves the roll into chunks; restore a store from its exported log instead")
