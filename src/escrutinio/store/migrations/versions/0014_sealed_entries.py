"""A first entry's figures kept store-side (``sheet_entries.sealed``): its event carries only a
commitment to them, so the public log cannot hand them to the second clerk.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.add_column("sheet_entries", sa.Column("sealed", sa.Text, nullable=True))  # both engines add a column in place


def downgrade() -> None:
    with op.batch_alter_table("sheet_entries") as batch:
        batch.drop_column("sealed")
