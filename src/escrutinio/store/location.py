"""Where a store is: ``--db`` / ESCRUTINIO_DB / ./escrutinio.db as an SQLAlchemy URL.

Kept free of heavy imports: every command resolves the store first.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "escrutinio.db"


SCHEMES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "postgresql+psycopg": "postgresql+psycopg"}
"""The server URLs a store may have, as libpq takes them (``postgres://`` is its alias of
``postgresql://``), mapped to SQLAlchemy's name for the psycopg 3 driver."""


def resolve_url(db: str | None) -> str:
    """``--db`` value (or ESCRUTINIO_DB, or ./escrutinio.db) as an SQLAlchemy URL.

    A path is an SQLite file; a ``postgresql://`` or ``postgres://`` URL a PostgreSQL database.
    Any other scheme (``mysql://``) is refused by name rather than failing later in a driver.
    """
    db = db or os.environ.get("ESCRUTINIO_DB") or DEFAULT_DB
    if "://" in db:
        scheme, rest = db.split("://", 1)
        if scheme.lower() in SCHEMES:
            return f"{SCHEMES[scheme.lower()]}://{rest}"
        if scheme.lower() == "sqlite" and rest.startswith("/") and len(rest) > 1:
            return db
        from escrutinio.domain.errors import StoreError

        raise StoreError(f"db: {scheme}:// stores are not supported; give an SQLite file path or a postgresql:// URL", field="db")
    return f"sqlite:///{Path(db).resolve()}"


def sqlite_path(url: str) -> Path | None:
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None
