"""Benchmark: what the API adds to a sheet entry, in CPU, over the application it calls.

Sheet entries are nearly every request of election night (two per sheet), so what the HTTP skin
costs on each is what limits how many sheets a second one server process takes in. This times,
in one run and on the same engine:

1. the baseline: ``--clients`` threads keying the first ``--tables`` sheets of the 2021 runoff
   twice (double entry) through the application (``session.intake.submit_entry``), one session
   per entry, as the API opens one per request;
2. the same entries on a fresh roll through the API's ASGI application (``create_app``, with
   real bearer tokens), called in process by ``--clients`` concurrent tasks on uvloop: the
   framework, the authentication, the body's validation, the receipts and the JSON, without the
   HTTP server and the sockets (``benchmarks/intake.py`` measures those, end to end).

Prints the process's CPU per entry in each, the API's own share (the difference) and the ratio.
SQLite by default; PostgreSQL with ``--pg`` (``ESCRUTINIO_TEST_PG_URL``, or a throwaway server).
Run: ``python benchmarks/api_entries.py [--tables 1000] [--clients 16] [--pg]``. Asserts nothing
about time (machines are noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_asgi import asgi_request, timed
from intake import ELECTION, RUNOFF, clerks, drop_made, entries_of, fresh_database, postgres, subset


def roll(store: Callable[[], str], path: Path, tokens: int) -> tuple[str, list[str]]:
    """A fresh store holding the roll only, and the tokens of ``tokens`` national clerks."""
    from escrutinio.app import Session

    db = store()
    with Session(db, "bench") as session:
        session.intake.register_roll(path, ELECTION)
    return db, clerks(db, tokens)


def through_the_application(db: str, sheets: list[dict[str, Any]], clients: int) -> tuple[float, int]:
    """CPU seconds and entries: each sheet keyed by two clerks, ``clients`` threads at once."""
    from escrutinio.app import Principal, Role, Session
    from escrutinio.app.serving import Shared

    shared = Shared(db)  # what the API's sessions share too (api/deps.py)

    def key(i: int) -> int:
        done = 0
        for sheet in sheets[i::clients]:
            for n in (1, 2):
                clerk = Principal(f"clerk{2 * i + n - 1:03d}", Role.CLERK)
                with Session(db, clerk, shared=shared) as session:
                    b = sheet["body"]
                    session.intake.submit_entry(
                        sheet["table"], b["votes"], blank=b["blank"], null=b["null"], challenged=b["challenged"],
                        cast=b["cast"], key=f"{sheet['table']}:{n}",
                    )  # fmt: skip
                done += 1
        return done

    used = time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        entries = sum(pool.map(key, range(clients)))
    return time.process_time() - used, entries


async def _through_the_api(app: Any, sheets: list[dict[str, Any]], tokens: list[str], clients: int) -> tuple[float, int]:
    import orjson

    statuses: dict[int, int] = {}

    async def clerk(i: int) -> None:
        for sheet in sheets[i::clients]:
            body = orjson.dumps(sheet["body"])
            for n in (1, 2):
                headers = [
                    (b"authorization", f"Bearer {tokens[2 * i + n - 1]}".encode()),
                    (b"idempotency-key", f"{sheet['table']}:{n}".encode()),
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                got = await asgi_request(app, "POST", f"/api/v1/tables/{sheet['table']}/entries", headers, body)
                statuses[got] = statuses.get(got, 0) + 1

    if await asgi_request(app, "GET", "/api/v1/health") != 200:
        sys.exit("the API does not answer its health check")
    return await timed([clerk(i) for i in range(clients)], statuses, 201)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--pg", action="store_true", help="on PostgreSQL (else SQLite files)")
    return parser.parse_args()


def main() -> None:
    import uvloop

    from escrutinio.api.app import create_app
    from escrutinio.app import Session

    args = options()
    folder = Path(tempfile.mkdtemp(prefix="escrutinio-bench-api-")) if RUNOFF.exists() else None
    if folder is None:
        sys.exit(f"{RUNOFF}: not found (../shared/data)")
    try:
        with contextlib.ExitStack() as cleanup:
            if args.pg:
                admin = cleanup.enter_context(postgres())
                cleanup.callback(drop_made, admin)
            made = iter(range(3))
            store = (lambda: fresh_database(admin)) if args.pg else (lambda: str(folder / f"s{next(made)}.db"))
            path = subset(args.tables, folder)
            base = str(folder / "base.db")
            with Session(base) as session:
                session.count.load(path, ELECTION)
            sheets = entries_of(base)
            app_db, _ = roll(store, path, 2 * args.clients)
            app_cpu, app_entries = through_the_application(app_db, sheets, args.clients)
            api_db, tokens = roll(store, path, 2 * args.clients)
            api_cpu, api_entries = uvloop.run(_through_the_api(create_app(api_db), sheets, tokens, args.clients))
            engine = "PostgreSQL" if args.pg else "SQLite"
            base_ms, api_ms = app_cpu / app_entries * 1000, api_cpu / api_entries * 1000
            print(f"application ({engine}): {app_entries:,} entries, {base_ms:.3f} ms of CPU an entry")
            print(f"API in process ({engine}): {api_entries:,} entries, {api_ms:.3f} ms of CPU an entry")
            print(f"the API's own: {api_ms - base_ms:.3f} ms an entry; ratio: {api_ms / base_ms:.2f}x the application's")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
