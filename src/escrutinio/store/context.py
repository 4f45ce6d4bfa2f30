"""What a capability's workflow needs from the application: the store, the election, the actor
and the table frame.

Capability services (the docket, the audit record) take any object with these members (the
application's ``Session`` is one; a test may build a smaller one over a real store), so that
they never import the application layer that sits above them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from escrutinio.domain.election import Election
    from escrutinio.store.store import Store


class StoreContext(Protocol):
    """One store seen by one actor."""

    actor: str

    @property
    def store(self) -> Store: ...

    def election(self) -> Election: ...

    def table_frame(self) -> Any:
        """The table-results frame (polars) that audit, forensics and stakes read."""
        ...
