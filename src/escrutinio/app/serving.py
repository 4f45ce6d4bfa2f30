"""What a long-lived process (``escrutinio serve``) holds across its sessions, offered to the
skins here so that the API reaches nothing below the application: the per-store state its
sessions share (the schema check, the definition, decoded chunks), the sizing of the
database pools to its worker threads, whether a store may be served by several processes, and
how a store's URL may be shown (``shown``: without its password, for the operator's log;
``without_addresses``: without any database URL, for an anonymous client's error body)."""

from escrutinio.store import timeline
from escrutinio.store.engine import size_pools
from escrutinio.store.failures import shown, without_addresses
from escrutinio.store.location import sqlite_path
from escrutinio.store.shared import Shared

__all__ = ["Shared", "one_process_only", "shown", "size_pools", "timeline", "without_addresses"]


def one_process_only(url: str) -> bool:
    """Whether the store at ``url`` is an SQLite file: one writer at a time, whose group commit
    and folded write-ahead log live in one process (``serve --workers`` needs PostgreSQL)."""
    return sqlite_path(url) is not None
