"""``escrutinio serve``: the results centre's HTTP API on Uvicorn.

FastAPI and Uvicorn are imported inside the command, so ``escrutinio --help`` stays instant.

``--workers N`` (PostgreSQL): N server processes accept on one listening socket, each with its
own event loop, caches and group commit; the store's write lock keeps the log one chain. Why
processes: one Python process runs its Python on one core at a time, and on election night the
server's CPU, not the database, is what limits how many sheets a second it takes in. The
processes are forked from this one once it has checked the store and loaded the log's key, so
each starts at once with what it needs; this one waits for them and stops them all on SIGTERM or
SIGINT. A server process that dies (the kernel's out-of-memory killer, a crash in a native
library, a ``kill -9``) is replaced by a new one on the same socket, and the others go on serving
(one dead process used to take the whole port down); one that dies again and again as soon as
it starts is not restarted forever: after :data:`RESTARTS` deaths within :data:`WINDOW` seconds
all are stopped and ``serve`` exits non-zero, naming the last, for the service manager. With
``--log-key`` the head signer runs as a process of its own beside them, so that this one runs no
thread and can fork a replacement safely (a fork copies the locks other threads hold, never
those threads).
"""

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio.api import DEFAULT_MAX_BODY
from escrutinio.cli_common import STATE, DbOption, PassphraseFileOption, signing_key

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
KEEP_ALIVE = 30
"""Seconds an idle connection is kept open: a live page polls every few seconds on the same
connection (Uvicorn's default, 5 s, closed it between polls, and a poll sent as it closed
failed)."""


def serve_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface)")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="Port to listen on", min=0, max=65535)] = DEFAULT_PORT,
    read_db: Annotated[
        str | None,
        typer.Option("--read-db", help="PostgreSQL URL of a streaming replica: public reads are served from it"),
    ] = None,
    max_body: Annotated[
        int, typer.Option("--max-body", help="Largest request body accepted, in bytes", min=1)
    ] = DEFAULT_MAX_BODY,
    log_level: Annotated[str, typer.Option("--log-level", help="Uvicorn's: critical, error, warning, info, debug")] = "info",
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request (the web server in front usually does)")
    ] = False,
    log_key: Annotated[
        Path | None,
        typer.Option(
            "--log-key",
            help="The log's key (registered to the administrator): sign the head periodically, and each write's receipts",
        ),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    sign_every: Annotated[
        str, typer.Option("--sign-every", help="With --log-key: seconds between signed heads (an idle log adds none)")
    ] = "60",
    geo: Annotated[
        str | None, typer.Option("--geo", help="Folder of GeoJSON boundaries for the pages' maps [env ESCRUTINIO_GEO]")
    ] = None,
    workers: Annotated[
        int,
        typer.Option("--workers", help="Server processes on the port (PostgreSQL only; about one per core)", min=1, max=64),
    ] = 1,
) -> None:
    """Serve the API (JSON and CSV, OpenAPI at /openapi.json) on a store: SQLite for one desk,
    PostgreSQL for a results centre. With --log-key, the log's head is signed at start and then
    every --sign-every seconds, for witnesses to cosign and receipts to lead to.

    Example: escrutinio serve --db postgresql://localhost/escrutinio --port 8000 --log-key log.key
    """
    import uvicorn

    from escrutinio.api.access_log import log_config
    from escrutinio.api.app import create_app
    from escrutinio.app import EscrutinioError, Session
    from escrutinio.app.serving import one_process_only, shown
    from escrutinio.parsing import parse_seconds

    levels = ("critical", "error", "warning", "info", "debug", "trace")
    if log_level not in levels:
        raise EscrutinioError(f"--log-level: expected one of {', '.join(levels)}, got {log_level!r}")
    session = Session(db or STATE["db"])
    if workers > 1 and one_process_only(session.url):
        raise EscrutinioError(
            "--workers: an SQLite store has one writer at a time; serve it with one process (or use PostgreSQL)"
        )
    if not session.exists():
        raise EscrutinioError(f"{session.url}: no escrutinio store here (create one with: escrutinio load FILE --election NAME)")
    if read_db is not None:
        _check_replica(session.url, read_db)
    period = parse_seconds(sign_every, "--sign-every")
    key = signing_key(log_key, passphrase_file) if log_key is not None else None
    if key is not None:
        session.transparency.sign_head(key)  # refused here, in one line, when the key may not sign heads
    if geo is not None:
        from escrutinio.app.maps import use_geo_directory

        use_geo_directory(geo)

    def build() -> Any:
        app = create_app(session.url, read_db=read_db, max_body=max_body)
        if key is not None:
            app.state.log_key = key
        return app

    # Uvicorn takes uvloop and httptools when installed (dependencies): a read costs the server
    # a third of what it did on asyncio's loop and h11. A line logged per request cost more than
    # answering it from memory: the access log is asked for, not given; and the client's address
    # behind a proxy (X-Forwarded-For) is read only for it.
    config: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": access_log,
        "log_config": log_config(),  # the access log without query values: a token sent in one (api/access_log.py)
        "proxy_headers": access_log,
        "server_header": False,
        "timeout_keep_alive": KEEP_ALIVE,
    }
    stop = threading.Event()

    def failed_round(exc: Exception) -> None:
        typer.echo(f"escrutinio: signing the log's head failed: {exc}; retrying in {period} s", err=True)

    def start_signing() -> None:
        if key is None:
            return
        signer = Session(session.url).transparency
        threading.Thread(target=signer.keep_signing, args=(key, period, stop, failed_round), daemon=True, name="heads").start()

    listening = _listen(host, port)  # before the banner: a port taken is said in one line, naming it
    processes = f" ({workers} processes)" if workers > 1 else ""
    where = shown(session.url)  # never the password in a log
    typer.echo(f"escrutinio: serving {where} on http://{host}:{port}/api/v1{processes} (OpenAPI: /openapi.json)", err=True)

    def serving(sock: Any) -> None:  # a process of --workers: the app is built (and frozen) in each
        app = build()
        _freeze_the_heap()
        uvicorn.Server(uvicorn.Config(app, **config)).run([sock])

    def signing(until: threading.Event) -> None:  # the head signer's process, beside --workers
        Session(session.url).transparency.keep_signing(key, period, until, failed_round)

    try:
        if workers == 1:
            app = build()
            _freeze_the_heap()
            start_signing()
            uvicorn.Server(uvicorn.Config(app, **config)).run([listening])
        else:
            _freeze_the_heap()  # before forking too: the processes share the frozen pages unwritten
            _run_processes(workers, listening, serving, signing if key is not None else None)
    finally:
        stop.set()
        listening.close()


def _check_replica(db: str, read_db: str) -> None:
    """Refuse to start (one line naming --read-db and why) when --read-db is not a streaming
    replica of --db: its reads would be another record's. One that cannot be reached now is
    said and served (its reads go to the primary until it is back; /health says so)."""
    from escrutinio.app import Session, StoreUnavailable

    with Session(db, read_db=read_db) as session:
        try:
            session.replica.lag()
        except StoreUnavailable as exc:
            typer.echo(f"escrutinio: --read-db cannot be checked now: {exc}", err=True)


RESTARTS = 5
"""Deaths of the server's processes within :data:`WINDOW` seconds after which ``serve`` stops
replacing them and exits (a process that cannot start would otherwise be forked forever)."""
WINDOW = 60.0


def _listen(host: str, port: int) -> Any:
    """The listening socket on ``host:port``; refused in one line naming ``--host`` or ``--port``.

    Why made here and not by Uvicorn: Uvicorn said a port taken after the banner, in several
    lines of its own log, and exited with its own status (3), whatever ``--errors`` asked for."""
    import errno
    import socket

    from escrutinio.app import EscrutinioError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:  # ``create_server`` words every failure, resolving the host included, as an OSError
        why = str(exc.strerror or exc).split(" (while attempting")[0]
        if isinstance(exc, socket.gaierror) or (exc.errno or 0) < 0:  # getaddrinfo's codes are negative
            expected = "expected an address such as 127.0.0.1 or 0.0.0.0"
            raise EscrutinioError(f"--host: {host!r} is not an address to listen on ({why}); {expected}", field="host") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise EscrutinioError(f"--host: {host} is not an address of this machine ({why})", field="host") from None
        taken = "; another server listens there: stop it or choose another --port" if exc.errno == errno.EADDRINUSE else ""
        raise EscrutinioError(f"--port: cannot listen on {host}:{port} ({why}){taken}", field="port") from None


def _run_processes(
    count: int, listening: Any, serve: Callable[[Any], None], sign: Callable[[threading.Event], None] | None
) -> None:
    """Fork ``count`` processes that each ``serve`` the ``listening`` socket, and one that runs
    ``sign`` (when given) until it is stopped; replace any that dies; wait for them (see the
    module docstring). This process starts no thread: it may fork at any time."""
    import os
    import signal
    import time

    from escrutinio.app import EscrutinioError

    parent = os.getpid()
    running: dict[int, str] = {}

    def start(role: str) -> None:
        pid = os.fork()
        if pid == 0:  # a process of the server: it ends here, whatever happens
            code = 1
            try:
                _end_with(parent)
                if role == "server":
                    serve(listening)
                else:
                    assert sign is not None
                    sign(_stopped_by_signal())
                code = 0
            finally:
                os._exit(code)
        running[pid] = role

    for _ in range(count):
        start("server")
    if sign is not None:
        start("signer")
    stopping = False

    def stop_all(signum: int = signal.SIGTERM, _frame: Any = None) -> None:
        nonlocal stopping
        stopping = True
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    deaths: list[float] = []
    gave_up = None
    while running:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        role = running.pop(pid, None)
        if role is None or stopping:
            continue
        code = os.waitstatus_to_exitcode(status)
        now = time.monotonic()
        deaths = [at for at in deaths if now - at < WINDOW] + [now]
        if len(deaths) > RESTARTS:
            gave_up = (role, pid, code)
            stop_all()
            continue
        typer.echo(f"escrutinio: {role} process {pid} exited with {code}; starting another", err=True)
        start(role)
    if gave_up is not None:
        role, pid, code = gave_up
        raise EscrutinioError(
            f"{role} process {pid} exited with {code}, the {len(deaths)}th death within {WINDOW:.0f} s; the others were stopped"
        )


def _stopped_by_signal() -> threading.Event:
    """An event set when this process is asked to stop (SIGTERM, SIGINT): the signer's ``until``."""
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def _end_with(parent: int) -> None:
    """Have the kernel send this process SIGTERM when ``parent`` ends (Linux), so that a server
    killed outright leaves no process holding its port."""
    import ctypes
    import os
    import signal

    with contextlib.suppress(AttributeError, OSError):  # not Linux: a process outliving a killed parent is stopped by hand
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(0)  # it ended before the request was made


YOUNG = 20_000
"""Allocations (less deallocations) of container objects between two collections of the
youngest generation (Python's default: 700); see :func:`_freeze_the_heap`."""


def _freeze_the_heap() -> None:
    """Take what the server has built so far (modules, the app, its routes and templates) out of
    the garbage collector's reach: it lives as long as the process; and collect the young
    objects less often.

    Why the freeze: a full collection walks every object the process holds (70,000 to 115,000
    once the app is built and has answered), and each stopped every request in flight for 0.2 s
    to 0.7 s of CPU on the loaded two-core machine, a few times a minute: the slowest reads
    were those. It is called once the app is built (before, the app's 100,000-odd objects
    stayed in reach: six full collections of 30 ms each in a 6,000-sheet intake). Objects made
    later are collected as before; garbage in cycles among the frozen ones (there is none to
    speak of: it is collected just before) would stay.

    Why :data:`YOUNG`: at Python's default a collection of the young came every few requests
    and walked the objects of every request in flight, each surviving into an older generation
    to be walked again: during intake the collector took 45 us of CPU a write request (a
    twentieth of the server's), 4 us at 20,000, for a few megabytes more at most between two
    collections (request objects die with their request; the cycles the collector is for are
    rare)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
