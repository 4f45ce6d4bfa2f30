"""Tallies count the sheets final at source despite each counting rule (``despite_<rule>``).

A sheet the source states final that breaks a counting rule is counted as the source says;
results now say how many such sheets each area holds, from its tally. Stores written before
kept no such key: this adds it, from the current sheets, to every area above each such sheet.
No table changes (an area's tally is one JSON object of integers; a key that is zero is absent).

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    import polars as pl

    from escrutinio.aggregation import tally
    from escrutinio.aggregation.keys import SOURCE_BASIS
    from escrutinio.domain import table_frame as tf
    from escrutinio.domain.election import election_from_toml
    from escrutinio.store.current import read_areas, read_current_sheets, read_tables
    from escrutinio.store.projection import add_tally

    conn = op.get_bind()
    definition = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'definition'").scalar()
    if definition is None:
        return
    election = election_from_toml("store definition", definition)
    sheets = read_current_sheets(conn, election, {})
    stated = pl.col("basis").fill_null("").str.starts_with(SOURCE_BASIS)
    suspects = sheets.filter(stated & (pl.col("reasons").fill_null("") != ""))
    if not suspects.height:
        return
    roll = read_tables(conn, {}, suspects["table"].to_list()).select("table", "area", tf.ELECTORS)
    added = tally.sheet_contribution(suspects.join(roll, on="table", how="inner"), election).select("area", *tally.despite_keys())
    add_tally(conn, tally.roll_up(added, tally.lineage(read_areas(conn), election.country)))


def downgrade() -> None:
    import orjson

    from escrutinio.aggregation import tally
    from escrutinio.store.engine import mark
    from escrutinio.store.packed_tally import add

    conn = op.get_bind()
    m = mark(conn)
    for area, counts in conn.exec_driver_sql("SELECT area, counts FROM area_tally").fetchall():
        held = {k: v for k, v in orjson.loads(counts).items() if k in tally.despite_keys()}
        if held:
            kept = add(counts, list(held), [-v for v in held.values()])
            conn.exec_driver_sql(f"UPDATE area_tally SET counts = {m} WHERE area = {m}", (kept, area))
