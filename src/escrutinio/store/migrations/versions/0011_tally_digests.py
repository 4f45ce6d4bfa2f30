"""Tally digests: a store written before them gets the digest of each area row and the head
they were projected at (``store.tally_digest``), so ``results`` can check what it reads.

No table changes: the digests live in ``meta``.

Revision ID: 0011
Revises: 0010
"""

import orjson
import sqlalchemy as sa
from alembic import op

from escrutinio.store import tally_digest

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    conn = op.get_bind()
    head = conn.exec_driver_sql("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    if head is None:
        return
    rows = conn.exec_driver_sql("SELECT area, counts FROM area_tally").fetchall()
    digests = orjson.dumps(tally_digest.digests_of(rows), option=orjson.OPT_SORT_KEYS).decode()
    conn.exec_driver_sql(f"DELETE FROM meta WHERE key IN ('{tally_digest.DIGESTS}', '{tally_digest.HEAD}')")
    insert = sa.text("INSERT INTO meta (key, value) VALUES (:key, :value)")
    conn.execute(
        insert, [{"key": tally_digest.DIGESTS, "value": digests}, {"key": tally_digest.HEAD, "value": f"{head[0]} {head[1]}"}]
    )


def downgrade() -> None:
    op.get_bind().exec_driver_sql(f"DELETE FROM meta WHERE key IN ('{tally_digest.DIGESTS}', '{tally_digest.HEAD}')")
