"""Wider case grounds: an observation case's grounds are its sheet's first reason
(``votes_exceed_electors`` is 21 characters), which the 16-character column could not hold
(PostgreSQL refused it; SQLite stored it regardless).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("grounds", type_=sa.String(64), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("grounds", type_=sa.String(16), existing_type=sa.String(64), existing_nullable=False)
