"""Tally digests one ``meta`` row an area (``tally_digest:<area>``) instead of one JSON document
of them all, which every append read and rewrote whole (``store.tally_digest``).

No table changes: the digests stay in ``meta``.

Revision ID: 0013
Revises: 0012
"""

import orjson
import sqlalchemy as sa
from alembic import op

from escrutinio.store import tally_digest

revision = "0013"
down_revision = "0012"

INSERT = sa.text("INSERT INTO meta (key, value) VALUES (:key, :value)")


def upgrade() -> None:
    conn = op.get_bind()
    found = conn.exec_driver_sql(f"SELECT value FROM meta WHERE key = '{tally_digest.DIGESTS}'").scalar()
    if found is None:
        return
    digests = orjson.loads(found)
    conn.exec_driver_sql(f"DELETE FROM meta WHERE key = '{tally_digest.DIGESTS}'")
    if digests:
        conn.execute(INSERT, [{"key": tally_digest.key_of(area), "value": d} for area, d in sorted(digests.items())])


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.exec_driver_sql("SELECT area FROM area_tally").fetchall()
    keys = {tally_digest.key_of(area): area for (area,) in rows}
    found = conn.exec_driver_sql(
        f"SELECT key, value FROM meta WHERE substr(key, 1, {len(tally_digest.PREFIX)}) = '{tally_digest.PREFIX}'"
    ).fetchall()
    if not found:
        return
    digests = {keys.get(key, key[len(tally_digest.PREFIX) :]): value for key, value in found}
    conn.exec_driver_sql(f"DELETE FROM meta WHERE substr(key, 1, {len(tally_digest.PREFIX)}) = '{tally_digest.PREFIX}'")
    conn.execute(INSERT, [{"key": tally_digest.DIGESTS, "value": orjson.dumps(digests, option=orjson.OPT_SORT_KEYS).decode()}])
