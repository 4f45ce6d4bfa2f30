"""The store's tables (SQLAlchemy Core): the event log and the projections built from it.

The ``events`` table is the truth; every other table is a projection that ``replay`` can
rebuild. Column names avoid SQL keywords (``ballots_cast``, ``null_votes``, ``table_id``) so
the same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_REVISION = "0015"
"""The Alembic revision this code expects (see store/migrations/versions)."""

ROWID = {"sqlite_with_rowid": False}
"""Tables keyed by text are clustered on their key in SQLite (one B-tree instead of a rowid
table plus a key index): a national load writes about a third as many pages."""

metadata = sa.MetaData()

AT_DISPUTE_BODY = "current = 1 AND state = 'observed'"
"""The rows of the partial index on the sheets at the dispute body."""

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    **ROWID,
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("prev", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
)

areas = sa.Table(
    "areas",
    metadata,
    sa.Column("code", sa.String(128), primary_key=True),
    sa.Column("level", sa.Integer, nullable=False, index=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("parent", sa.String(128), nullable=True),
    **ROWID,
)

chunks = sa.Table(
    "chunks",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("rows", sa.LargeBinary, nullable=False),
)
"""The rows a bulk event adds (a chunk of the roll, or of the sheets a file brings), as one
Arrow IPC blob keyed by the event that carries them (``kind``: ``roll`` or ``sheets``; ``hash``:
that event's hash, which names the chunk's content in a process's cache).

A national load is some forty such events; storing their rows column-wise costs one insert
per event instead of one per table, which is most of what a load used to spend in the store.
The rows of a chunk never change; a later change to a table is a newer row or chunk.
"""

sheets = sa.Table(
    "sheets",
    metadata,
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
    # The table's place on the roll, so the sheets at the dispute body list without a join.
    sa.Column("area", sa.String(128), nullable=True),
    sa.Column("electors", sa.Integer, nullable=True),
    # Only the sheets at the dispute body: the results list them on every call, and a partial
    # index costs a national load nothing (few sheets are observed).
    # (PostgreSQL's copy of the condition is set by ``for_postgresql``: naming it here would
    # import that dialect into every SQLite command, 30 ms.)
    sa.Index("ix_sheets_at_dispute_body", "table_id", sqlite_where=sa.text(AT_DISPUTE_BODY)),
    **ROWID,
)
"""Sheets kept as rows: those recorded a few at a time (rulings, single sheets) and, from bulk
chunks, those at the dispute body (the results list them on every call). A table's current
sheet is its newest (version, event) among these rows (``current = 1``) and the chunks."""


area_tally = sa.Table(
    "area_tally",
    metadata,
    sa.Column("area", sa.String(128), primary_key=True),
    sa.Column("counts", sa.Text, nullable=False),
    **ROWID,
)
"""Each area's figures as one JSON object of exact integers (see store/packed_tally.py)."""

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("filer", sa.String(64), nullable=False),
    sa.Column("tables", sa.Text, nullable=False),
    sa.Column("filed_at", sa.String(40), nullable=False),
    sa.Column("grounds", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(32), nullable=True),
    sa.Column("resolution", sa.String(64), nullable=True),
    sa.Column("effect", sa.String(32), nullable=True),
    sa.Column("appeal_until", sa.String(40), nullable=True),
    sa.Column("updated_seq", sa.Integer, nullable=False),
    sa.Index("ix_cases_status", "status"),
    **ROWID,
)
"""One row per case: its summary as it stands (the case itself is rebuilt from its events)."""

case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    **ROWID,
)
"""Which events make each case (to rebuild one case without reading the whole log)."""

case_tables = sa.Table(
    "case_tables",
    metadata,
    sa.Column("table_id", sa.String(64), primary_key=True),
    sa.Column("number", sa.String(64), primary_key=True),
    **ROWID,
)
"""Which cases concern each table (a ruling recomputes its tables from all of their cases)."""

action_keys = sa.Table(
    "action_keys",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    **ROWID,
)
"""The idempotency key of every keyed action and the first event it wrote, inserted in the
same transaction as those events: a key is never recorded without its events nor its events
without it, and the primary key makes recording one twice impossible, even for two writers
racing (see Store.append)."""

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("media_type", sa.String(128), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
"""Content-addressed files (evidence, sheet images), named by the SHA-256 of their bytes; the
event that uses one carries that hash, so the log vouches for the file without holding it.
(A rowid table: SQLite keeps large rows poorly in a WITHOUT ROWID one.)"""

sheet_entries = sa.Table(
    "sheet_entries",
    metadata,
    sa.Column("table_id", sa.String(64), primary_key=True),
    sa.Column("entry", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("clerk", sa.String(128), nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("sealed", sa.Text, nullable=True),
    **ROWID,
)
"""Each table's double entries (``sheet.entered`` events), by entry number: the second clerk's
entry is compared with the first without reading the log, and the primary key refuses two
writers recording the same entry of a table (the loser retries on the state the winner left).
``sealed``: a first entry's figures and salt (canonical JSON ``{"salt", "sheet"}``), which its
event only commits to (``ledger.entry_seal``) and the second entry's event reveals; written in
the same transaction as the event, read only to compare the second entry with it, never
published (as ``accounts.token_hash``, it is not rebuilt from the log)."""

audit_seals = sa.Table(
    "audit_seals",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sealed", sa.Text, nullable=False),
)
"""An audit entry's figures and salt (canonical JSON ``{"salt", "sheet"}``), by its event: the
entry recorded while the other is awaited (a table's hand count, a ballot's reading) carries
only a commitment to them (``ledger.entry_seal``), which the other entry's event reveals. As
``sheet_entries.sealed``: written in the event's transaction, read only to compare the other
entry with it, never published, not rebuilt from the log."""

sheet_images = sa.Table(
    "sheet_images",
    metadata,
    sa.Column("table_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    **ROWID,
)
"""The scans attached to each table's sheet (``sheet.image_attached`` events), newest last."""


accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("area", sa.String(128), nullable=True),
    sa.Column("party", sa.String(64), nullable=True),
    sa.Column("body", sa.String(64), nullable=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_seq", sa.Integer, nullable=False),
    sa.Column("revoked_at", sa.String(32), nullable=True),
    sa.Column("revoked_seq", sa.Integer, nullable=True),
    **ROWID,
)
"""The accounts that may act through the API: a projection of the ``account.created`` and
``account.revoked`` events, plus each account's token hash, which is the one thing here the log
does not hold (the log is published; a credential's verifier has no business there). Written in
the same transaction as the event that creates the account (see ``PendingEvent.private``)."""


def _signed(*extra: sa.Column) -> list[sa.Column]:
    """The columns of a signature over a log size: by whom (key id and public key), of which
    root, when, and the signature; keyed by (size, key id)."""
    return [
        sa.Column("size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("root", sa.String(64), nullable=False),
        *extra,
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    ]


tree_heads = sa.Table(
    "tree_heads",
    metadata,
    *_signed(sa.Column("last_event", sa.String(64), nullable=False), sa.Column("log", sa.String(64), nullable=False)),
    **ROWID,
)
"""Signed tree heads of the log (ledger/heads.py), one per size and signer. Not events: a head
is a statement *about* the log, and signing one as the count goes on must not move the head
that writers name (``expect_seq``) nor need a head of its own."""

cosignatures = sa.Table("cosignatures", metadata, *_signed(), **ROWID)
"""Witnesses' cosignatures of (size, root), one per size and witness key."""


def for_postgresql() -> None:
    """Give the partial index its PostgreSQL condition (once a PostgreSQL engine is made)."""
    index = next(i for i in sheets.indexes if i.name == "ix_sheets_at_dispute_body")
    index.dialect_options["postgresql"]["where"] = sa.text(AT_DISPUTE_BODY)


def sqlite_ddl() -> list[str]:
    """The DDL SQLAlchemy emits for this schema on SQLite, statement by statement."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = sqlite.dialect()
    out = []
    for table in metadata.sorted_tables:
        out.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        out += [str(CreateIndex(i).compile(dialect=dialect)).strip() for i in sorted(table.indexes, key=lambda i: i.name or "")]
    return out


def sqlite_ddl_module() -> str:
    """The text of store/sqlite_ddl.py: ``python -m escrutinio.store.schema > src/escrutinio/store/sqlite_ddl.py``."""
    lines = [
        '"""The SQLite schema as DDL text, compiled from store/schema.py (do not edit: regenerate with',
        "``python -m escrutinio.store.schema > src/escrutinio/store/sqlite_ddl.py``; a test holds the two equal).",
        "",
        "A new SQLite store is created from this text, so creating one needs no SQLAlchemy import.",
        '"""',
        "",
        f"SCHEMA_REVISION = {SCHEMA_REVISION!r}",
        "",
        "STATEMENTS = (",
    ]
    for statement in sqlite_ddl():
        lines += ["    (", *(f"        {piece!r}" for piece in statement.splitlines(keepends=True)), "    ),"]
    lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(sqlite_ddl_module(), end="")
