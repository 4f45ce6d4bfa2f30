"""What the application's own sub-services need from the session: a :class:`StoreContext` plus
the store's location, its read-only reader, and the first load's hand-over of a new store.

The sub-services take this protocol rather than the :class:`~escrutinio.app.session.Session`
itself, so that the session (which builds them) and they do not import each other.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from escrutinio.store.context import StoreContext

if TYPE_CHECKING:
    from collections.abc import Iterable

    from escrutinio.domain.roles import Action, Principal
    from escrutinio.store.reader import Reader
    from escrutinio.store.shared import Shared
    from escrutinio.store.store import Store


class SessionContext(StoreContext, Protocol):
    """One store seen by one actor, as the count and log services use it."""

    url: str
    principal: Principal
    shared: Shared | None

    @property
    def reader(self) -> Reader: ...

    def exists(self) -> bool: ...

    def created(self, store: Store) -> None: ...

    def require(self, action: Action, **target: str | None) -> None: ...

    def require_areas(self, action: Action, areas: Iterable[str | None], **target: str | None) -> None: ...

    def require_tables(self, action: Action, tables: Iterable[str], **target: str | None) -> None: ...

    def snapshot(self) -> AbstractContextManager[tuple[int, str]]: ...
