"""First schema: event log, areas, roll of tables, sheet versions, area tallies.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "areas",
        sa.Column("code", sa.String(128), primary_key=True),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("parent", sa.String(128), nullable=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_areas_level", "areas", ["level"])
    op.create_table(
        "tables",
        sa.Column("table_id", sa.String(64), primary_key=True),
        sa.Column("area", sa.String(128), nullable=False),
        sa.Column("polling_place", sa.String(256), nullable=True),
        sa.Column("electors", sa.Integer, nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_tables_area", "tables", ["area"])
    op.create_table(
        "sheets",
        sa.Column("table_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reasons", sa.String(256), nullable=False),
        sa.Column("basis", sa.String(128), nullable=False),
        sa.Column("line", sa.Integer, nullable=True),
        sa.Column("ballots_cast", sa.Integer, nullable=False),
        sa.Column("blank", sa.Integer, nullable=False),
        sa.Column("null_votes", sa.Integer, nullable=False),
        sa.Column("challenged", sa.Integer, nullable=False),
        sa.Column("votes", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("current", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "area_tally",
        sa.Column("area", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for name in ("area_tally", "sheets", "tables", "areas", "events", "meta"):
        op.drop_table(name)
