"""What the sessions of one long-lived process on one store share: a server's many requests.

Why: the API opens a session per request, and a session that starts from nothing checks the
store exists and is at this build's schema, reads the election's definition, and decodes the
roll's chunks (86,000 tables on a national store) before it can judge one sheet: most of a
sheet entry's time went there. What is kept here stays true whatever other writers (another
server, the CLI) append meanwhile, so no request ever has to ask whether it is stale:

- the schema revision: checked once; a store is only ever migrated forward, to this build's;
- the definition: written by the store's first event and never changed;
- decoded chunks, by their event's hash: a chunk never changes once written, and a new one
  has a new hash (``store.chunks``);
- the areas' lineage, by the number of areas: areas are only ever added (and what a write
  that was rolled back computed is dropped: :meth:`forget_uncommitted`).

A command (one session) needs none of this; a :class:`Shared` is made by whoever knows the
process is long-lived and that the store stays the same store (``escrutinio serve``).

The group commit's two lanes (``store.group_commit``) are two writers sharing this state,
one writing while the other waits for the lock, as two server processes would with a state
each. What a write caches from rows it then rolls back is only the lineage (keyed by the
number of areas, :data:`UNCOMMITTED`), and only under the lock; the other lane reads the
count under the lock after that rollback, so the stale entry never matches it, and a lane
that registers areas computes their lineage afresh. Everything else is keyed by what it was
made from (a chunk's hash, the list of chunks' hashes), so a writer can never read another's
entry as its own state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escrutinio.domain.election import Election

UNCOMMITTED = ("lineage", "ancestors")
"""Cache entries a write transaction may fill from rows it then rolls back."""


@dataclass
class Shared:
    """One store's process-wide state, used by any number of threads at once."""

    url: str
    cache: dict[str, Any] = field(default_factory=dict)
    """The projection cache the store's reads and writes use (chunks, lineage)."""
    definition: tuple[Election, str] | None = None
    """The election and its TOML, once read."""
    ready: bool = False
    """Whether the store was found at this build's schema revision."""


def forget_uncommitted(cache: dict[str, Any]) -> None:
    """Drop what a rolled-back write may have cached (never the chunks: keyed by hash, a chunk
    of a rolled-back event is never asked for again, and if it were it would be the same)."""
    for key in UNCOMMITTED:
        cache.pop(key, None)
