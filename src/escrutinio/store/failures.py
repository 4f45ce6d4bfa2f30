"""Driver failures turned into one clear line at the store's boundary.

``sqlite3`` and psycopg (through SQLAlchemy) report a missing directory, a read-only file, a
server that is not listening or one that went away in the middle of a write as exceptions a
person cannot act on (and the CLI would show as a traceback). :func:`guarded` wraps every public
method of the store's classes so that these leave as :class:`StoreError` subclasses naming the
store and what to do; the driver's exception stays chained for ``--debug``.

A failure in a write says whether anything was written: before the commit nothing was (the
transaction is gone with the connection); during the commit the outcome is unknown, so the
message says a rerun is safe only for an action with a key (which is never recorded twice).
"""

from __future__ import annotations

import functools
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import FunctionType
from typing import Any, TypeVar

from escrutinio.domain.errors import BadStoreUrl, StoreError, StoreUnavailable
from escrutinio.store.location import sqlite_path

NOTHING = "nothing was written"
GONE_SQLSTATES = ("57P01", "57P02", "57P03", "08000", "08003", "08006")
"""admin/crash shutdown, cannot connect now, connection exception/does not exist/failure"""

T = TypeVar("T")
CO_GENERATOR = 0x20
"""A code object's flag for a generator function (inspect.CO_GENERATOR; inspect itself costs an import)."""


def shown(url: str) -> str:
    """A store URL as it may be printed: as a person writes it, without its password."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url.replace("postgresql+psycopg://", "postgresql://", 1))


SERVER_URL = re.compile(r"postgres(?:ql)?(?:\+\w+)?://[^\s,;()]*[^\s,;():]")
"""A server's URL in a message, never the colon after it (``postgresql://h/db: the server went
away`` is said "the database: the server went away", not "the database the server ...")."""


def without_addresses(message: str) -> str:
    """A message as an anonymous client may read it: every database server's URL (its user,
    host, port and database name, even without the password) said as "the database". The
    operator's own tools (the CLI, the server's log) show the URL, masked by :func:`shown`."""
    return SERVER_URL.sub("the database", message) if "://" in message else message


def is_driver_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return isinstance(exc, sqlite3.Error) or module.startswith(("sqlalchemy", "psycopg"))


def translate(exc: BaseException, url: str, *, writing: bool = False, committing: bool = False) -> StoreError:
    """The one-line error a driver's exception means for the store at ``url``."""
    path = sqlite_path(url)
    if path is not None:
        return _sqlite(exc, path, writing)
    return _server(exc, url, writing, committing)


def check_sqlite_file(path: Path) -> None:
    """Refuse, before SQLite is asked, a path that cannot be a store: a directory.

    (A file that is not SQLite is named by SQLite's own refusal, translated below. The file is
    never opened here: closing any descriptor of a database file releases every POSIX lock the
    process holds on it, which corrupts a store that another connection of the process uses.)
    """
    if path.is_dir():
        raise StoreUnavailable(f"db: {path} is a directory; expected a store file (such as {path / 'escrutinio.db'})", field="db")


def _sqlite(exc: BaseException, path: Path, writing: bool) -> StoreError:
    text = str(exc)
    done = f": {NOTHING}" if writing else ""
    if "locked" in text or "busy" in text:
        return StoreUnavailable(f"{path}: the store is busy (another command held its write lock too long){done}; retry")
    if "not a database" in text:
        return StoreUnavailable(f"{path}: not an SQLite file, so not an escrutinio store")
    if "full" in text:
        return StoreUnavailable(f"{path}: the disk is full{done}")
    if "readonly" in text or "unable to open" in text or "disk I/O" in text or "read-only" in text:
        return StoreUnavailable(f"{path}: {_why_not_writable(path)}{done}")
    return StoreError(f"{path}: SQLite failed ({text}){done}")


def _why_not_writable(path: Path) -> str:
    """Whether the file or its directory stops SQLite (it writes -wal and -shm files beside the store)."""
    parent = path.parent
    if not parent.exists():
        return f"the directory {parent} does not exist"
    if path.exists() and not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return "the store file is read-only"
    if not parent.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return f"the directory {parent} is read-only, and SQLite keeps its -wal and -shm files beside the store"
    return "the store file cannot be opened for writing here (check its permissions and its directory's)"


def _server(exc: BaseException, url: str, writing: bool, committing: bool) -> StoreError:
    where = shown(url)
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    sqlstate = getattr(orig, "sqlstate", None)
    name = type(exc).__name__
    if name in ("NoSuchModuleError", "ArgumentError"):
        return StoreError(f"{where}: not a store URL this build can open ({first})")
    done_ = f": {NOTHING}" if writing else ""
    # PendingRollbackError: a statement after the connection was lost inside the transaction.
    gone = (
        getattr(exc, "connection_invalidated", False)
        or sqlstate in GONE_SQLSTATES
        or name == "PendingRollbackError"
        or _lost(first)
    )
    # A URL that names no reachable server is no server going away: say what is wrong with it, and
    # not "retry" (psycopg reports these at connect time, which SQLAlchemy marks as a disconnect).
    unresolved = re.search(r"failed to resolve host '([^']*)'", first)
    if name == "OperationalError" and unresolved:
        return StoreUnavailable(
            f"db: {where}: cannot resolve the host '{unresolved.group(1)}'; check the host in the URL", field="db"
        )
    bad_port = re.search(r'invalid port number: "?([^"]*)"?', first)
    if name == "OperationalError" and bad_port:
        return BadStoreUrl(f"db: {where}: port {bad_port.group(1)} is not a port number (1 to 65535)")
    if name == "OperationalError" and (sqlstate == "53300" or "too many clients" in first):
        return StoreUnavailable(f"{where}: the server takes no more connections now (too many clients){done_}; retry")
    if name == "OperationalError" and not gone and "does not exist" in first:
        return StoreUnavailable(f"{where}: the server has no such database ({_reason(first)}); create it first (createdb)")
    if name == "OperationalError" and not gone and _unreachable(first):
        return StoreUnavailable(f"{where}: cannot connect to the PostgreSQL server ({_reason(first)}); is it running there?")
    if gone or name == "OperationalError":
        if committing:
            return StoreUnavailable(
                f"{where}: the server went away while committing the write; it may or may not have landed: "
                "look, then retry (an action with a key is never recorded twice)"
            )
        if writing:
            return StoreUnavailable(f"{where}: the server went away during the write; {NOTHING}; retry")
        return StoreUnavailable(f"{where}: the server went away during the read; retry")
    done = f"; {NOTHING}" if writing else ""
    return StoreError(f"{where}: the database refused the request ({first}){done}")


def _lost(message: str) -> bool:
    lowered = message.lower()
    return any(
        s in lowered
        for s in ("server closed the connection", "terminating connection", "connection is lost", "consuming input failed", "eof")
    )


def _unreachable(message: str) -> bool:
    lowered = message.lower()
    return any(s in lowered for s in ("connection failed", "connection refused", "could not translate", "timeout expired"))


def _reason(message: str) -> str:
    """The useful end of psycopg's 'connection failed: connection to server at ... failed: X'."""
    return message.rsplit(": ", 1)[-1].strip() or message


WRITES = frozenset({"append", "append_grouped", "write_group", "create", "put_blob", "open"})
"""Methods that write (``open`` migrates an older store)."""


@contextmanager
def _probe() -> Iterator[None]:
    yield


CONTEXT_MANAGER = _probe.__code__
"""The code of every ``@contextmanager`` function (contextlib's one helper): how :func:`guarded`
tells one, whose failures come at ``__enter__``/``__exit__``, not when it is called."""


class _Translated(AbstractContextManager[Any]):
    """A store's context manager (``snapshot``) whose own failures, entering (connecting, beginning
    the transaction) and leaving (ending it), leave translated; an error of the ``with`` body
    passes through as it is (a body's driver error may be another store's)."""

    def __init__(self, inner: AbstractContextManager[Any], url: str, writing: bool) -> None:
        self.inner, self.url, self.writing = inner, url, writing

    def __enter__(self) -> Any:
        try:
            return self.inner.__enter__()
        except Exception as exc:
            if not is_driver_error(exc):
                raise
            raise translate(exc, self.url, writing=self.writing) from exc

    def __exit__(self, kind: Any, value: Any, trace: Any) -> bool | None:
        try:
            return self.inner.__exit__(kind, value, trace)
        except Exception as exc:
            if exc is value or not is_driver_error(exc):
                raise
            raise translate(exc, self.url, writing=self.writing) from exc


def guarded(cls: type[T]) -> type[T]:
    """Translate driver failures in every public method of ``cls`` (see the module's note)."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, classmethod):
            setattr(cls, name, classmethod(_wrap(member.__func__, name)))
        elif isinstance(member, FunctionType):
            setattr(cls, name, _wrap(member, name))
    return cls


def _url_of(args: tuple[Any, ...]) -> str:
    first = args[0] if args else None
    url = getattr(first, "url", None)
    if isinstance(url, str):
        return url
    return args[1] if len(args) > 1 and isinstance(args[1], str) else "store"


def _wrap(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    writing = name in WRITES
    if fn.__code__ is CONTEXT_MANAGER:

        @functools.wraps(fn)
        def managed(*args: Any, **kwargs: Any) -> Any:
            return _Translated(fn(*args, **kwargs), _url_of(args), writing)

        return managed
    if fn.__code__.co_flags & CO_GENERATOR:

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                if not is_driver_error(exc):
                    raise
                raise translate(exc, _url_of(args), writing=writing) from exc

        return generator

    @functools.wraps(fn)
    def method(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if not is_driver_error(exc):
                raise
            raise translate(exc, _url_of(args), writing=writing) from exc

    return method
