"""Benchmark: many public readers polling the results over HTTP (issue 10, item 4).

A real ``escrutinio serve`` (Uvicorn, its own process) on a store holding the 2021 runoff, on
loopback; N concurrent readers (httpx, asyncio; 100 by default) poll the national results and
the results by department, half each, for a bounded time. Two rounds:

- **full**: every request gets the whole answer (200 with the JSON);
- **conditional**: every reader sends back the ETag it got (``If-None-Match``), as a live page
  does, and gets ``304 Not Modified`` while the log does not move.

Printed: requests/s, p50 and p99 latency, errors, the server's CPU time per request (what the
answer costs, whatever else the machine is doing); and the baseline timed in the same run: the
same reads as calls to the application in this process (a ``Session`` per call, as the API opens
one per request), one at a time, with their calls/s, p50 and p99; and the ratio of the two.
The client and the server share this machine's cores: the figures are a floor, not a ceiling.

Run: ``python benchmarks/api.py [--readers 100] [--seconds 10] [--db URL | --postgres]`` (without
``--db``, the runoff is loaded into a temporary SQLite store first; with ``--postgres``, into a
new database on the server ``ESCRUTINIO_TEST_PG_URL`` names). Asserts nothing: compare the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from timing import cpu_seconds  # noqa: E402

PATHS = ("/api/v1/results", "/api/v1/results?level=department")


def summary(latencies: list[float], seconds: float) -> str:
    if not latencies:
        return "no requests"
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return (
        f"{len(latencies) / seconds:8,.0f} req/s; p50 {cuts[49] * 1000:6.1f} ms; p99 {cuts[98] * 1000:6.1f} ms; "
        f"{len(latencies):,} requests"
    )


async def poll(url: str, readers: int, seconds: float, conditional: bool) -> tuple[list[float], int, dict[int, int], float]:
    """``readers`` clients polling PATHS until ``seconds`` have passed: latencies, errors, statuses."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    # A client (one connection) per reader, as each page is: one pool shared by 150 connections
    # costs the client more than the server spends answering. One TLS context for all (unused on
    # plain HTTP, but each client would build its own: 20 ms apiece).
    tls = ssl.create_default_context()
    clients = [
        httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=1), timeout=60, verify=tls) for _ in range(readers)
    ]
    start = time.perf_counter()
    deadline = start + seconds

    async def reader(i: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        tags: dict[str, str] = {}
        n = i
        async with client:
            while time.perf_counter() < deadline:
                path = PATHS[n % len(PATHS)]
                n += 1
                headers = {"If-None-Match": tags[path]} if conditional and path in tags else {}
                t0 = time.perf_counter()
                try:
                    got = await client.get(path, headers=headers)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                statuses[got.status_code] = statuses.get(got.status_code, 0) + 1
                if got.status_code >= 400:
                    errors += 1
                elif "etag" in got.headers:
                    tags[path] = got.headers["etag"]

    await asyncio.gather(*(reader(i, c) for i, c in enumerate(clients)))
    elapsed = time.perf_counter() - start
    return latencies, errors, statuses, elapsed


def direct(db: str, seconds: float) -> tuple[list[float], float]:
    """The baseline: the same reads as application calls, a Session each, one at a time."""
    from escrutinio.app import Session
    from escrutinio.parsing import parse_level

    reads: list[Callable[[Session], Any]] = [
        lambda s: s.count.results(),
        lambda s: s.count.results(parse_level("department")),
    ]
    latencies: list[float] = []
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        with Session(db) as session:
            reads[n % 2](session)
        latencies.append(time.perf_counter() - t0)
        n += 1
    return latencies, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100, help="concurrent readers (default 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds each round polls (default 10)")
    parser.add_argument("--db", help="a store holding the runoff (default: load it into a temporary SQLite store)")
    parser.add_argument("--postgres", action="store_true", help="load the runoff into a new database on ESCRUTINIO_TEST_PG_URL")
    args = parser.parse_args()
    if args.postgres and args.db is None:
        if not os.environ.get("ESCRUTINIO_TEST_PG_URL"):
            print("--postgres: set ESCRUTINIO_TEST_PG_URL to a PostgreSQL server's URL")
            return 1
        from benchmarks.intake import fresh_database

        args.db = fresh_database(os.environ["ESCRUTINIO_TEST_PG_URL"])
        args.load = True
    else:
        args.load = args.db is None

    import orjson
    from tests.integration.api.server import serving

    from escrutinio.app import Session

    with tempfile.TemporaryDirectory() as folder:
        db = args.db or str(Path(folder) / "runoff.db")
        if args.load:
            if not RUNOFF.exists():
                print(f"{RUNOFF} is not present: ../shared/data holds the real election files")
                return 1
            start = time.perf_counter()
            with Session(db) as session:
                session.count.load(RUNOFF, "peru-2021-runoff")
            print(f"loaded the runoff into {db} in {time.perf_counter() - start:.1f} s")
        with Session(db) as session:
            expected = session.count.results()
        with serving(db) as server:
            import httpx

            assert httpx.get(f"{server.url}/api/v1/results").json() == orjson.loads(orjson.dumps(expected))
            print(f"{args.readers} readers polling {' and '.join(PATHS)} for {args.seconds:g} s each round, on {server.url}")
            rounds: dict[str, float] = {}
            for name, conditional in (("full", False), ("conditional", True)):
                used = cpu_seconds(server.process.pid)
                latencies, errors, statuses, elapsed = asyncio.run(poll(server.url, args.readers, args.seconds, conditional))
                used = cpu_seconds(server.process.pid) - used
                rounds[name] = len(latencies) / elapsed
                codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(statuses.items()))
                print(f"  API, {name:11} {summary(latencies, elapsed)}; errors {errors}; ({codes})")
                print(f"{'':19}server CPU {used / max(len(latencies), 1) * 1000:.2f} ms a request")
        used = time.process_time()
        latencies, elapsed = direct(db, args.seconds)
        used = time.process_time() - used
        baseline = len(latencies) / elapsed
        print(f"  app directly     {summary(latencies, elapsed)} (a Session per call, one at a time)")
        print(f"{'':19}CPU {used / max(len(latencies), 1) * 1000:.2f} ms a call")
        for name, rate in rounds.items():
            print(f"ratio API {name} / app directly: {rate / baseline:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
