"""What a long-lived process (``escrutinio serve``) holds across its sessions, offered to the
skins here so that the API reaches nothing below the application: the per-store state its
sessions share (the schema check, the definition, decoded chunks), the sizing of the
database pools to its worker threads, whether a store may be served by several processes, and
how a store's URL may be shown (``shown``: without its password, for the operator's log;
``without_addresses``: without any database URL, for an anonymous client's error body)."""

from escrutinio.domain.roles import Action, Principal, refusal
from escrutinio.store import timeline
from escrutinio.store.engine import size_pools
from escrutinio.store.failures import shown, without_addresses
from escrutinio.store.location import sqlite_path
from escrutinio.store.lookup import held_roll_index
from escrutinio.store.shared import Shared

__all__ = ["Shared", "held_within", "one_process_only", "shown", "size_pools", "timeline", "without_addresses"]


def one_process_only(url: str) -> bool:
    """Whether the store at ``url`` is an SQLite file: one writer at a time, whose group commit
    and folded write-ahead log live in one process (``serve --workers`` needs PostgreSQL)."""
    return sqlite_path(url) is not None


def held_within(principal: Principal, action: Action, table: str, shared: Shared | None) -> bool:
    """Whether ``principal`` may ``action`` on ``table`` by its area, known with no store read:
    from the roll this process already holds (``store.lookup.held_roll_index``, built by the
    entries' own reads). A table keeps the area of its first registration, so a table found
    there lies in that area for good. False when it is outside, or not held (none read yet, or
    not on the roll): the caller then asks the application, which reads the store. Why: the
    sheet entry's fast path (``api/hot_writes.py``) must judge the area before the body, as
    the route does (401, 403, then 422), at the cost of a dictionary lookup."""
    if principal.area is None:
        return True
    index = held_roll_index(shared.cache) if shared is not None else None
    found = index.get(table) if index is not None else None
    return found is not None and refusal(principal, action, area=found[0]) is None
