"""Benchmark: many public readers of the results over HTTP (issues 10 and 11: p99 under 50 ms).

A real ``escrutinio serve`` (Uvicorn, its own process) on a store holding the 2021 runoff, on
loopback. What a reader is decides what the figures mean, so there are two models:

- **saturation** (closed loop, no think time): N readers ask one after another as fast as the
  server answers, each on its own connection. It measures what the server can give: requests/s
  and the server's CPU time per request (what an answer costs, whatever else the machine is
  doing). Its latencies are queueing by construction (Little's law: N / throughput), not what a
  reader waits; they are printed for comparison only. Two rounds: ``full`` (every answer whole,
  200) and ``conditional`` (each reader sends back its ETag and gets 304 while the log does not
  move).
- **paced** (open loop, the live page): each of N readers polls as an open results page does,
  once every ``--interval`` seconds (1 s), starting at a random moment and with each wait
  jittered by +-10%, alternating the national and the department results and sending back the
  ETag it last got (``If-None-Match``). Requests leave on that timetable whether or not the
  previous answer came back (a late answer does not hold the next one back: the page's timer
  does not wait), and each latency is counted from the moment the request was *due*, so a
  stalled server or client shows in the tail instead of hiding it (no coordinated omission).
  Printed: p50, p99 and max latency, errors, and how late the client itself sent (its own
  event loop shares the cores: a large figure there means the client, not the server, was
  slow). One round per ``--paced`` count (100 and 200).
- **paced during intake** (``--intake-seconds S``, PostgreSQL): the same paced readers while
  ``benchmarks/intake.py``'s 16 clerks submit sheets by double entry in another process (a
  fresh store holding the roll only, as on election night): the log moves under the readers,
  so their answers are recomputed at each new head.

Also printed, timed in the same run: the baseline, the same reads as calls to the application
in this process (a ``Session`` per call), one at a time, and the ratio of the saturation rounds
to it. The client and the server share this machine's two cores: every figure is a floor.

Run: ``python benchmarks/api.py [--readers 100] [--seconds 10] [--paced 100,200]
[--interval 1] [--intake-seconds 0] [--db URL | --postgres]`` (without ``--db``, the runoff is
loaded into a temporary SQLite store first; with ``--postgres``, into a new database on the
server ``ESCRUTINIO_TEST_PG_URL`` names, dropped at the end). Loopback only, bounded in time,
stops by itself. Asserts nothing: compare the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from timing import cpu_seconds  # noqa: E402

PATHS = ("/api/v1/results", "/api/v1/results?level=department")
JITTER = 0.1
"""A paced reader's wait varies by this fraction either way (pages opened at different times)."""


def summary(latencies: list[float], seconds: float) -> str:
    if not latencies:
        return "no requests"
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return (
        f"{len(latencies) / seconds:8,.0f} req/s; p50 {cuts[49] * 1000:6.1f} ms; p99 {cuts[98] * 1000:6.1f} ms; "
        f"{len(latencies):,} requests"
    )


def quantile_ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def reader_clients(url: str, readers: int, connections: int, timeout: float) -> list[Any]:
    """One ``httpx.AsyncClient`` per reader (each page has its own connections), with at most
    ``connections`` each, sharing one TLS context (unused on plain HTTP, but each client would
    build its own: 20 ms apiece)."""
    import httpx

    context = ssl.create_default_context()
    limits = httpx.Limits(max_connections=connections)
    return [httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout, verify=context) for _ in range(readers)]


async def saturate(url: str, readers: int, seconds: float, conditional: bool) -> tuple[list[float], int, dict[int, int], float]:
    """``readers`` clients polling PATHS back to back until ``seconds`` have passed."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    # A client (one connection) per reader, as each page is: one pool shared by 150 connections
    # costs the client more than the server spends answering.
    clients = reader_clients(url, readers, connections=1, timeout=60)
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


@dataclass
class Paced:
    """What a paced round saw: latency from when each request was due, how late the client
    sent it, statuses and errors."""

    latencies: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def line(self, seconds: float) -> str:
        codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(self.statuses.items()))
        return (
            f"p50 {quantile_ms(self.latencies, 0.5):6.1f} ms; p99 {quantile_ms(self.latencies, 0.99):6.1f} ms; "
            f"max {quantile_ms(self.latencies, 1.0):6.1f} ms; {len(self.latencies) / seconds:5,.0f} req/s; "
            f"errors {sum(self.errors.values())} {self.errors or ''}; ({codes}); "
            f"client late p99 {quantile_ms(self.late, 0.99):.1f} ms"
        )


async def paced(url: str, readers: int, seconds: float, interval: float, seed: int = 1) -> Paced:
    """``readers`` live pages, each polling every ``interval`` s (jittered) for ``seconds``,
    open loop: a request leaves when due, latency counts from then (module docstring)."""
    import httpx

    seen = Paced()
    rng = random.Random(seed)
    # A page's requests go over its own connections: a request due while the previous one is
    # still out goes on a second one, not behind it (two: a browser opens up to six, but on an
    # overloaded machine each new connection adds to the load it is measuring).
    clients = reader_clients(url, readers, connections=2, timeout=30)
    start = time.perf_counter()
    stop = start + seconds
    pending: set[asyncio.Task[None]] = set()

    async def ask(client: httpx.AsyncClient, path: str, due: float, tags: dict[str, str]) -> None:
        seen.late.append(max(0.0, time.perf_counter() - due))
        headers = {"If-None-Match": tags[path]} if path in tags else {}
        try:
            got = await client.get(path, headers=headers)
        except httpx.HTTPError as exc:
            seen.error(type(exc).__name__)
            return
        seen.latencies.append(time.perf_counter() - due)
        seen.statuses[got.status_code] = seen.statuses.get(got.status_code, 0) + 1
        if got.status_code >= 400:
            seen.error(str(got.status_code))
        elif "etag" in got.headers:
            tags[path] = got.headers["etag"]

    async def reader(i: int, client: httpx.AsyncClient, first: float, waits: list[float]) -> None:
        tags: dict[str, str] = {}
        due = start + first
        n = i
        while due < stop:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(ask(client, PATHS[n % len(PATHS)], due, tags))
            pending.add(task)
            task.add_done_callback(pending.discard)
            due += waits[n % len(waits)]
            n += 1

    plans = [
        (rng.uniform(0, interval), [interval * rng.uniform(1 - JITTER, 1 + JITTER) for _ in range(64)]) for _ in range(readers)
    ]
    await asyncio.gather(*(reader(i, c, first, waits) for i, (c, (first, waits)) in enumerate(zip(clients, plans, strict=True))))
    if pending:
        await asyncio.gather(*pending)
    for client in clients:
        await client.aclose()
    return seen


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


@contextlib.contextmanager
def databases(admin: str | None) -> Iterator[Callable[[], str]]:
    """Makes fresh databases on the server ``admin`` names; drops each on the way out."""
    from benchmarks.intake import fresh_database

    made: list[str] = []

    def make() -> str:
        assert admin is not None
        made.append(fresh_database(admin))
        return made[-1]

    try:
        yield make
    finally:
        if made and admin is not None:
            import sqlalchemy as sa

            from escrutinio.store.engine import dispose_all

            dispose_all()
            engine = sa.create_engine(admin.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for url in made:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            engine.dispose()


def _intake(url: str, sheets: list[dict[str, Any]], tokens: list[str], clients: int, seconds: float, out: Any) -> None:
    """In a process of its own: ``clients`` clerks submit ``sheets`` by double entry for ``seconds``."""
    from benchmarks.intake import run_drive

    writes, _reads, processed, _cpu = run_drive(url, sheets, tokens, clients, 0, 1.0, time.monotonic() + seconds)
    out.put((processed, len(writes.latencies), quantile_ms(writes.latencies, 0.99), writes.errors))


def during_intake(args: argparse.Namespace, make_db: Callable[[], str]) -> None:
    """Paced readers while 16 clerks key sheets into a roll-only store (module docstring)."""
    from benchmarks.intake import ELECTION, clerks, entries_of
    from tests.integration.api.server import serving

    from escrutinio.app import Session

    base, db = make_db(), make_db()
    with Session(base) as session:
        session.count.load(RUNOFF, ELECTION)
    sheets = entries_of(base)
    with Session(db, "bench") as session:
        session.intake.register_roll(RUNOFF, ELECTION)
    tokens = clerks(db, 2 * args.clients)
    for readers in args.paced:
        with serving(db) as server:
            out: Any = multiprocessing.get_context("spawn").Queue()
            writer = multiprocessing.get_context("spawn").Process(
                target=_intake, args=(server.url, sheets, tokens, args.clients, args.intake_seconds, out)
            )
            writer.start()
            time.sleep(1.0)  # the clerks under way
            used = cpu_seconds(server.process.pid)
            seen = asyncio.run(paced(server.url, readers, args.intake_seconds - 2.0, args.interval))
            used = cpu_seconds(server.process.pid) - used
            writer.join()
            processed, requests, write_p99, write_errors = out.get(timeout=60)
            sheets = sheets[processed:]  # the next round keys the sheets not yet in
            print(f"  paced {readers:3} during intake  {seen.line(args.intake_seconds - 2.0)}")
            print(
                f"{'':26}writes: {processed:,} sheets by double entry ({requests:,} requests, p99 {write_p99:.1f} ms, "
                f"errors {write_errors or 0}); server CPU {used:.1f} s"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100, help="saturation rounds: concurrent readers (default 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds each round polls (default 10)")
    parser.add_argument("--paced", default="100,200", help="paced rounds: numbers of readers (default 100,200)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a paced reader's polls (default 1)")
    parser.add_argument("--intake-seconds", type=float, default=0.0, help="paced rounds during intake, this long (PostgreSQL)")
    parser.add_argument("--clients", type=int, default=16, help="clerks keying sheets during intake (default 16)")
    parser.add_argument("--db", help="a store holding the runoff (default: load it into a temporary SQLite store)")
    parser.add_argument("--postgres", action="store_true", help="load the runoff into a new database on ESCRUTINIO_TEST_PG_URL")
    args = parser.parse_args()
    args.paced = [int(n) for n in args.paced.split(",") if n.strip()]
    admin = os.environ.get("ESCRUTINIO_TEST_PG_URL")
    if (args.postgres or args.intake_seconds) and not admin:
        print("--postgres, --intake-seconds: set ESCRUTINIO_TEST_PG_URL to a PostgreSQL server's URL")
        return 1
    if not RUNOFF.exists():
        print(f"{RUNOFF} is not present: ../shared/data holds the real election files")
        return 1

    import orjson
    from tests.integration.api.server import serving

    from escrutinio.app import Session

    with tempfile.TemporaryDirectory() as folder, databases(admin) as make_db:
        load = args.db is None
        db = args.db or (make_db() if args.postgres else str(Path(folder) / "runoff.db"))
        if load:
            start = time.perf_counter()
            with Session(db) as session:
                session.count.load(RUNOFF, "peru-2021-runoff")
            print(f"loaded the runoff into {db} in {time.perf_counter() - start:.1f} s")
        with Session(db) as session:
            expected = session.count.results()
        print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        with serving(db) as server:
            import httpx

            assert httpx.get(f"{server.url}/api/v1/results").json() == orjson.loads(orjson.dumps(expected))
            print(f"saturation: {args.readers} readers polling {' and '.join(PATHS)} back to back for {args.seconds:g} s")
            rounds: dict[str, float] = {}
            for name, conditional in (("full", False), ("conditional", True)):
                used = cpu_seconds(server.process.pid)
                latencies, errors, statuses, elapsed = asyncio.run(saturate(server.url, args.readers, args.seconds, conditional))
                used = cpu_seconds(server.process.pid) - used
                rounds[name] = len(latencies) / elapsed
                codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(statuses.items()))
                print(f"  API, {name:11} {summary(latencies, elapsed)}; errors {errors}; ({codes})")
                print(f"{'':19}server CPU {used / max(len(latencies), 1) * 1000:.2f} ms a request (latency here is queueing)")
            print(f"paced: each reader polls once every {args.interval:g} s (+-{JITTER:.0%}), open loop, for {args.seconds:g} s")
            for readers in args.paced:
                seen = asyncio.run(paced(server.url, readers, args.seconds, args.interval))
                print(f"  paced {readers:3} readers       {seen.line(args.seconds)}")
        if args.intake_seconds:
            during_intake(args, make_db)
        used = time.process_time()
        latencies, elapsed = direct(db, args.seconds)
        used = time.process_time() - used
        baseline = len(latencies) / elapsed
        print(f"  app directly     {summary(latencies, elapsed)} (a Session per call, one at a time)")
        print(f"{'':19}CPU {used / max(len(latencies), 1) * 1000:.2f} ms a call")
        for name, rate in rounds.items():
            print(f"ratio API {name} / app directly: {rate / baseline:.2f}")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
