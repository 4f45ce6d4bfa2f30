"""Signed tree heads and witness cosignatures of the transparency log (ledger/heads.py).

Revision ID: 0009
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"


def _signed(*extra: sa.Column) -> list[sa.Column]:
    return [
        sa.Column("size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("root", sa.String(64), nullable=False),
        *extra,
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    ]


def upgrade() -> None:
    head_columns = (sa.Column("last_event", sa.String(64), nullable=False), sa.Column("log", sa.String(64), nullable=False))
    op.create_table("tree_heads", *_signed(*head_columns), sqlite_with_rowid=False)
    op.create_table("cosignatures", *_signed(), sqlite_with_rowid=False)


def downgrade() -> None:
    op.drop_table("cosignatures")
    op.drop_table("tree_heads")
