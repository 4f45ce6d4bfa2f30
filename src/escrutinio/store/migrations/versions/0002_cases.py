"""Cases: the docket of the dispute bodies (a projection of the case events).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("number", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("filer", sa.String(64), nullable=False),
        sa.Column("tables", sa.Text, nullable=False),
        sa.Column("filed_at", sa.String(40), nullable=False),
        sa.Column("grounds", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(32), nullable=True),
        sa.Column("resolution", sa.String(64), nullable=True),
        sa.Column("effect", sa.String(32), nullable=True),
        sa.Column("appeal_until", sa.String(40), nullable=True),
        sa.Column("updated_seq", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_table(
        "case_events",
        sa.Column("number", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "case_tables",
        sa.Column("table_id", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(64), primary_key=True),
        sqlite_with_rowid=False,
    )

    op.create_index(
        "ix_sheets_at_dispute_body",
        "sheets",
        ["table_id"],
        sqlite_where=sa.text("current = 1 AND state = 'observed'"),
        postgresql_where=sa.text("current = 1 AND state = 'observed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_sheets_at_dispute_body", "sheets")
    for name in ("case_tables", "case_events", "cases"):
        op.drop_table(name)
