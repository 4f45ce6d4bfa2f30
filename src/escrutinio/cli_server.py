"""``escrutinio serve``: the results centre's HTTP API on Uvicorn.

FastAPI and Uvicorn are imported inside the command, so ``escrutinio --help`` stays instant.
"""

import threading
from pathlib import Path
from typing import Annotated

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
) -> None:
    """Serve the API (JSON and CSV, OpenAPI at /openapi.json) on a store: SQLite for one desk,
    PostgreSQL for a results centre. With --log-key, the log's head is signed at start and then
    every --sign-every seconds, for witnesses to cosign and receipts to lead to.

    Example: escrutinio serve --db postgresql://localhost/escrutinio --port 8000 --log-key log.key
    """
    import uvicorn

    from escrutinio.api.app import create_app
    from escrutinio.app import EscrutinioError, Session
    from escrutinio.parsing import parse_seconds

    levels = ("critical", "error", "warning", "info", "debug", "trace")
    if log_level not in levels:
        raise EscrutinioError(f"--log-level: expected one of {', '.join(levels)}, got {log_level!r}")
    session = Session(db or STATE["db"])
    if not session.exists():
        raise EscrutinioError(f"{session.url}: no escrutinio store here (create one with: escrutinio load FILE --election NAME)")
    period = parse_seconds(sign_every, "--sign-every")
    key = signing_key(log_key, passphrase_file) if log_key is not None else None
    if key is not None:
        session.transparency.sign_head(key)  # refused here, in one line, when the key may not sign heads
    if geo is not None:
        from escrutinio.app.maps import use_geo_directory

        use_geo_directory(geo)
    app = create_app(session.url, read_db=read_db, max_body=max_body)
    stop = threading.Event()
    if key is not None:
        app.state.log_key = key

        def failed(exc: Exception) -> None:
            typer.echo(f"escrutinio: signing the log's head failed: {exc}; retrying in {period} s", err=True)

        signer = Session(session.url).transparency
        threading.Thread(target=signer.keep_signing, args=(key, period, stop, failed), daemon=True, name="heads").start()
    typer.echo(f"escrutinio: serving {session.url} on http://{host}:{port}/api/v1 (OpenAPI: /openapi.json)", err=True)
    _freeze_the_heap()
    try:
        # Uvicorn takes uvloop and httptools when installed (dependencies): a read costs the
        # server a third of what it did on asyncio's loop and h11. A line logged per request
        # cost more than answering it from memory: the access log is asked for, not given.
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=log_level,
            access_log=access_log,
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE,
        )
    finally:
        stop.set()


def _freeze_the_heap() -> None:
    """Take what the server has built so far (modules, the app, its routes and templates) out of
    the garbage collector's reach: it lives as long as the process. Why: a full collection
    walks every object the process holds (70,000 to 115,000 once the app is built and has
    answered), and each stopped every request in flight for 0.2 s to 0.7 s of CPU on the
    loaded two-core machine, a few times a minute: the slowest reads were those. Objects made
    later are collected as before; garbage in cycles among the frozen ones (there is none to
    speak of: it is collected just before) would stay."""
    import gc

    gc.collect()
    gc.freeze()
