"""An audit entry's figures kept store-side (``audit_seals``): the hand count (ballot reading)
recorded while the other is awaited carries only a commitment to them, so the public log cannot
hand them to the second counter.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    op.create_table(
        "audit_seals",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sealed", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_seals")
