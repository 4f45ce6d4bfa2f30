"""Where a store is: ``--db`` / ESCRUTINIO_DB / ./escrutinio.db as an SQLAlchemy URL.

Kept free of heavy imports: every command resolves the store first.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "escrutinio.db"


def resolve_url(db: str | None) -> str:
    """``--db`` value (or ESCRUTINIO_DB, or ./escrutinio.db) as an SQLAlchemy URL."""
    db = db or os.environ.get("ESCRUTINIO_DB") or DEFAULT_DB
    if "://" in db:
        if db.startswith("postgresql://"):
            return "postgresql+psycopg://" + db[len("postgresql://") :]
        return db
    return f"sqlite:///{Path(db).resolve()}"


def sqlite_path(url: str) -> Path | None:
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None
