"""A session: one store, one actor, and the sub-services of every capability.

Why one object: a skin opens one session per command (CLI) or per request (API); the
session owns the store connection, the election definition and the caches that survive
between calls (the table frame), so each capability sees the same state and no capability
holds a store of its own.

Each sub-service lives in its own module (``app/count.py``, ``app/cases.py``, ...) and is
imported only when first used.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escrutinio.app.audit import AuditActions
    from escrutinio.app.cases import CasesService
    from escrutinio.app.count import CountService
    from escrutinio.app.elections import ElectionsService
    from escrutinio.app.export import ExportService
    from escrutinio.app.forensics import ForensicsService
    from escrutinio.app.log import LogService
    from escrutinio.app.stakes import StakesService
    from escrutinio.canvass import Canvass

DEFAULT_ACTOR = "cli"


class Session:
    """The application on one store (``db``: SQLite path or PostgreSQL URL) for one actor.

    It is a :class:`escrutinio.store.context.StoreContext`: capability services take it as such.
    """

    def __init__(self, db: str | None = None, actor: str = DEFAULT_ACTOR) -> None:
        from escrutinio.store.location import resolve_url

        self.url = resolve_url(db)
        self.actor = actor

    # -- the engine underneath (moving here from Canvass) ---------------------------------

    @cached_property
    def canvass(self) -> Canvass:
        from escrutinio.canvass import Canvass

        return Canvass(self.url, actor=self.actor)

    @property
    def store(self) -> Any:
        return self.canvass.store

    @property
    def reader(self) -> Any:
        """Read-only queries (no SQLAlchemy on SQLite)."""
        return self.canvass.reader

    def election(self) -> Any:
        return self.canvass.election()

    def table_frame(self) -> Any:
        """The table-results frame, kept between calls (see ``StoreContext``)."""
        return self.canvass.table_frame()

    def close(self) -> None:
        """Close the store; a SQLite store's write-ahead log is folded into the ``.db`` file."""
        if "canvass" in self.__dict__:
            self.canvass.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the capabilities -----------------------------------------------------------------

    @cached_property
    def count(self) -> CountService:
        from escrutinio.app.count import CountService

        return CountService(self)

    @cached_property
    def cases(self) -> CasesService:
        from escrutinio.app.cases import CasesService

        return CasesService(self)

    @cached_property
    def stakes(self) -> StakesService:
        from escrutinio.app.stakes import StakesService

        return StakesService(self)

    @cached_property
    def audit(self) -> AuditActions:
        from escrutinio.app.audit import AuditActions

        return AuditActions(self)

    @cached_property
    def forensics(self) -> ForensicsService:
        from escrutinio.app.forensics import ForensicsService

        return ForensicsService(self)

    @cached_property
    def log(self) -> LogService:
        from escrutinio.app.log import LogService

        return LogService(self)

    @cached_property
    def elections(self) -> ElectionsService:
        from escrutinio.app.elections import ElectionsService

        return ElectionsService(self)

    @cached_property
    def export(self) -> ExportService:
        from escrutinio.app.export import ExportService

        return ExportService(self)
