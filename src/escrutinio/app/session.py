"""A session: one store, one actor, and the sub-services of every capability.

Why one object: a skin opens one session per command (CLI) or per request (API); the
session owns the store connection, the election definition and the caches that survive
between calls (the table frame), so each capability sees the same state and no capability
holds a store of its own.

Each sub-service lives in its own module (``app/count.py``, ``app/cases.py``, ...) and is
imported only when first used.

Identity: a session acts for one :class:`~escrutinio.domain.roles.Principal` (an account the API
authenticated, or the store's administrator for the local CLI and Python programs: whoever can
write the store's file). Every write asks :meth:`Session.require` first, so the rules of
``domain/roles.py`` hold the same for every skin, and every event names ``principal.actor``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.domain.roles import Action, Principal, check

if TYPE_CHECKING:
    from escrutinio.app.audit import AuditActions
    from escrutinio.app.cases import CasesService
    from escrutinio.app.certify import CertifyService
    from escrutinio.app.count import CountService
    from escrutinio.app.elections import ElectionsService
    from escrutinio.app.export import ExportService
    from escrutinio.app.forensics import ForensicsService
    from escrutinio.app.intake import IntakeService
    from escrutinio.app.keys import KeysService
    from escrutinio.app.log import LogService
    from escrutinio.app.publish import PublishService
    from escrutinio.app.replica import ReplicaService
    from escrutinio.app.signing import Passphrase
    from escrutinio.app.stakes import StakesService
    from escrutinio.app.transparency import TransparencyService
    from escrutinio.app.users import UsersService
    from escrutinio.count.frame_cache import TableFrameCache
    from escrutinio.domain.election import Election
    from escrutinio.store.reader import Reader
    from escrutinio.store.shared import Shared
    from escrutinio.store.store import Store

DEFAULT_ACTOR = "cli"
ADMINISTRATOR_PREFIXES = ("administrator:", "admin:")


def local_administrator(name: str) -> Principal:
    """The principal of a local program (the CLI, a script): the store's administrator, named
    ``name`` (``--actor``/``ESCRUTINIO_ACTOR``, which names the person and grants nothing; an
    ``admin:`` or ``administrator:`` before it is dropped, as the role is said anyway)."""
    for prefix in ADMINISTRATOR_PREFIXES:
        name = name.removeprefix(prefix)
    return Principal.administrator(name.strip() or DEFAULT_ACTOR)


class Session:
    """The application on one store (``db``: SQLite path or PostgreSQL URL) for one principal.

    ``actor``: a :class:`Principal` (an authenticated account), or a name, which stands for the
    store's administrator so named (see :func:`local_administrator`). It is a
    :class:`escrutinio.store.context.StoreContext`: capability services take it as such.
    """

    def __init__(
        self,
        db: str | None = None,
        actor: Principal | str = DEFAULT_ACTOR,
        *,
        read_db: str | None = None,
        shared: Shared | None = None,
    ) -> None:
        from escrutinio.store.location import resolve_url

        self.url = resolve_url(db)
        self.read_url = resolve_url(read_db) if read_db else None
        """A PostgreSQL streaming replica for the public's reads (``session.replica``); this
        session itself reads and writes the primary, ``db``."""
        self.principal = actor if isinstance(actor, Principal) else local_administrator(actor)
        self.actor = self.principal.actor
        self._store: Store | None = None
        self._reader: Reader | None = None
        self._election: Election | None = None
        self._frames: TableFrameCache | None = None
        self._signing_key: Path | None = None
        self.shared = shared
        """What this session shares with the other sessions of a long-lived process on the same
        store (``store.shared``: the schema check, the definition, decoded chunks); None for a
        command, which is one session."""
        self._passphrase: Passphrase = None

    # -- who acts ---------------------------------------------------------------------------

    def require(self, action: Action, **target: str | None) -> None:
        """Refuse (:class:`~escrutinio.domain.roles.AccessDenied`, naming the rule) unless the
        principal may take ``action`` on ``target`` (see :func:`escrutinio.domain.roles.refusal`)."""
        check(self.principal, action, **target)

    def require_areas(self, action: Action, areas: Iterable[str | None], **target: str | None) -> None:
        """:meth:`require` for an action on things in these areas (every one must be allowed).
        A national principal is checked once: an area cannot refuse them."""
        if self.principal.area is None:
            self.require(action, area=None, **target)
            return
        wanted = sorted({a for a in areas if a is not None})
        # Nothing with a known area (tables not on the roll, refused later as unknown): the
        # principal's own area stands in, so the role, party and body are still checked.
        for area in wanted or [self.principal.area]:
            self.require(action, area=area, **target)

    def require_tables(self, action: Action, tables: Iterable[str], **target: str | None) -> None:
        """:meth:`require_areas` for an action on these polling tables (their areas on the roll)."""
        if self.principal.area is None:
            self.require(action, area=None, **target)
            return
        self.require_areas(action, self.store.table_areas(list(dict.fromkeys(tables))).values(), **target)

    # -- the store underneath: opened on first use, shared by every sub-service -------------

    @property
    def store(self) -> Store:
        """The store (read and write); opening it migrates an older one."""
        from escrutinio.store.store import Store

        if self._store is None:
            self._store = Store.open(self.url, self.shared)
        if self._signing_key is not None:
            from escrutinio.app.signing import SigningStore

            return SigningStore(self._store, self._signing_key, self._passphrase)  # type: ignore[return-value]
        return self._store

    def sign_with(self, key_file: Path | None, passphrase: Passphrase = None) -> Session:
        """Sign the acts this session records (rulings, audit results) with the official's key
        in ``key_file``; it must be registered to a role that makes them (``escrutinio keys``).
        ``passphrase`` opens an encrypted key (or is called for it when the key is first used)."""
        self._signing_key = key_file
        self._passphrase = passphrase
        return self

    @property
    def reader(self) -> Reader:
        """Read-only queries that need no SQLAlchemy on SQLite (results, status): a published
        figure costs a query, not an import."""
        from escrutinio.store.reader import Reader
        from escrutinio.store.sqlite_ddl import SCHEMA_REVISION

        if self._reader is None:
            reader = Reader(self.url)
            if not (self.shared and self.shared.ready):
                if reader.revision() != SCHEMA_REVISION:  # an older store: opening it migrates it
                    reader.close()
                    self.store  # noqa: B018
                    reader = Reader(self.url)
                if self.shared is not None:
                    self.shared.ready = True
            self._reader = reader
        return self._reader

    def exists(self) -> bool:
        """Whether a store is there (a first load creates it)."""
        from escrutinio.store.location import sqlite_path
        from escrutinio.store.store import Store

        path = sqlite_path(self.url)
        if path is not None and not path.exists():
            return False
        return Store.exists(self.url)

    def created(self, store: Store) -> None:
        """Adopt a store the first load has just created (the session had none)."""
        self._store = store

    def election(self) -> Election:
        """The election the store holds (read once per session)."""
        if self._election is None and self.shared is not None and self.shared.definition is not None:
            self._election = self.shared.definition[0]
        if self._election is None:
            from escrutinio.domain.election import election_from_toml

            text = self._store.definition_text() if self._store is not None else self.reader.definition_text()
            self._election = election_from_toml("store definition", text)
            if self.shared is not None:
                self.shared.definition = (self._election, text)
        return self._election

    def table_frame(self) -> Any:
        """The table-results frame (polars) that audit, forensics and stakes read: kept between
        calls and brought up to date from the events appended since (``count.frame_cache``)."""
        if self._frames is None:
            from escrutinio.count.frame_cache import TableFrameCache

            self._frames = TableFrameCache()
        return self._frames.frame(self.store, self.election())

    @contextmanager
    def snapshot(self, attempts: int = 5) -> Iterator[tuple[int, str]]:
        """Every read of this session inside the ``with`` sees one state of the store: the head
        it yields, (events, hash). A page of results or a published tree is made of many reads;
        without this, a write landing between two of them mixes two heads.

        The store and its reader each hold a read transaction; they are begun one after the
        other, so a write may land between the two: then both are begun again.
        """
        from escrutinio.domain.errors import StoreError

        for _ in range(attempts):
            with self.store.snapshot() as held, self.reader.snapshot() as seen:
                if held == seen:
                    yield held
                    return
        raise StoreError(f"{self.url}: the store changed under each of {attempts} attempts to read one state of it; retry")

    def close(self) -> None:
        """Close the store; a SQLite store's write-ahead log is folded into the ``.db`` file."""
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

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
    def intake(self) -> IntakeService:
        from escrutinio.app.intake import IntakeService

        return IntakeService(self)

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

    @cached_property
    def users(self) -> UsersService:
        from escrutinio.app.users import UsersService

        return UsersService(self)

    @cached_property
    def transparency(self) -> TransparencyService:
        from escrutinio.app.transparency import TransparencyService

        return TransparencyService(self)

    @cached_property
    def publish(self) -> PublishService:
        from escrutinio.app.publish import PublishService

        return PublishService(self)

    @cached_property
    def replica(self) -> ReplicaService:
        from escrutinio.app.replica import ReplicaService

        return ReplicaService(self, self.read_url, lambda url: Session(url, actor=self.principal))

    @cached_property
    def keys(self) -> KeysService:
        from escrutinio.app.keys import KeysService

        return KeysService(self)

    @cached_property
    def certify(self) -> CertifyService:
        from escrutinio.app.certify import CertifyService

        return CertifyService(self)
