"""Benchmark: what a polled public read costs the server, in CPU, against computing its answer.

On election night hundreds of pages poll the same national and department results; the API
keeps the latest answer to each request per log head (``api/hot.py``) and answers the polls
from it, so a poll should cost a small fraction of one computation of the answer. This times,
in one run, on a store holding the first ``--tables`` sheets of the 2021 runoff:

1. the baseline: the answer computed by the application as the route computes it (a session,
   ``session.count.results(...)`` in one snapshot, encoded as JSON), ``--computations`` times
   for each read, on a session sharing the process's state as the API's do;
2. ``--readers`` concurrent tasks polling the same reads (``benchmarks/intake.py``'s: national
   and department results) through the API's ASGI application (``create_app``), in process on
   uvloop, ``--polls`` reads each: the shortcut for kept answers, the head's watcher, the
   headers, without the HTTP server and the sockets (``benchmarks/intake.py`` measures those).

Prints the process's CPU per computation and per poll, and their ratio. SQLite by default;
PostgreSQL with ``--pg`` (``ESCRUTINIO_TEST_PG_URL``, or a throwaway server). Run:
``python benchmarks/api_reads.py [--tables 2000] [--readers 200] [--polls 50] [--pg]``.
Asserts nothing about time (machines are noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_asgi import asgi_request, timed
from intake import ELECTION, READS, RUNOFF, drop_made, fresh_database, postgres, subset

ACCEPT = [(b"accept", b"application/json")]


def computed(db: str, times: int) -> tuple[float, int]:
    """CPU seconds and answers: each read's answer computed ``times`` times, as the route does."""
    import orjson

    from escrutinio.app import Session
    from escrutinio.app.serving import Shared

    shared = Shared(db)
    levels = {read: ("department" if "level=" in read else None) for read in READS}
    used, answers = time.process_time(), 0
    for _ in range(times):
        for level in levels.values():
            with Session(db, shared=shared) as session, session.snapshot():
                orjson.dumps(session.count.results(level), option=orjson.OPT_NON_STR_KEYS)
            answers += 1
    return time.process_time() - used, answers


async def _polled(app: Any, readers: int, polls: int) -> tuple[float, int]:
    statuses: dict[int, int] = {}

    async def reader(i: int) -> None:
        for n in range(polls):
            got = await asgi_request(app, "GET", READS[(i + n) % len(READS)], ACCEPT)
            statuses[got] = statuses.get(got, 0) + 1

    for read in READS:  # the first answer of each, computed cold, is not what election night polls
        if await asgi_request(app, "GET", read, ACCEPT) != 200:
            sys.exit(f"{read}: the API does not answer it")
    return await timed([reader(i) for i in range(readers)], statuses, 200)


def report(engine: str, baseline: tuple[float, int], polled: tuple[float, int]) -> None:
    """Print the CPU of a computation and of a poll (each: seconds, count), and their ratio."""
    base_ms, api_ms = baseline[0] / baseline[1] * 1000, polled[0] / polled[1] * 1000
    print(f"computed by the application ({engine}): {baseline[1]:,} answers, {base_ms:.3f} ms of CPU an answer")
    print(f"polled through the API in process ({engine}): {polled[1]:,} reads, {api_ms:.4f} ms of CPU a read")
    print(f"ratio: a poll costs {api_ms / base_ms:.4f}x a computation ({base_ms / api_ms:,.0f} polls for one)")


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--polls", type=int, default=50, help="reads each reader sends")
    parser.add_argument("--computations", type=int, default=50, help="times the baseline computes each answer")
    parser.add_argument("--pg", action="store_true", help="on PostgreSQL (else an SQLite file)")
    return parser.parse_args()


def main() -> None:
    import uvloop

    from escrutinio.api.app import create_app
    from escrutinio.app import Session

    args = options()
    if not RUNOFF.exists():
        sys.exit(f"{RUNOFF}: not found (../shared/data)")
    folder = Path(tempfile.mkdtemp(prefix="escrutinio-bench-reads-"))
    try:
        with contextlib.ExitStack() as cleanup:
            if args.pg:
                admin = cleanup.enter_context(postgres())
                cleanup.callback(drop_made, admin)
            db = fresh_database(admin) if args.pg else str(folder / "s.db")
            with Session(db) as session:
                session.count.load(subset(args.tables, folder), ELECTION)
            baseline = computed(db, args.computations)
            report("PostgreSQL" if args.pg else "SQLite", baseline, uvloop.run(_polled(create_app(db), args.readers, args.polls)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
