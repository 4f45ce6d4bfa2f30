"""Benchmark: election-night intake over HTTP on PostgreSQL (issue 10, "Writes under load").

What it does, on loopback only, bounded in time (``--max-seconds``) and count, stopping by itself:

1. a PostgreSQL server: ``ESCRUTINIO_TEST_PG_URL`` when set, else a throwaway one started the
   way ``scripts/test`` does (initdb in a temp dir, a free port, stopped at the end);
2. the baseline, timed in the same run: the same sheets loaded as one file
   (``session.count.load``) into a fresh store;
3. a second store holding only the roll (``session.intake.register_roll``), two clerk accounts
   per client (each sheet is keyed by two different clerks), and ``escrutinio serve`` on it;
4. ``--clients`` (16) concurrent clients submit every sheet twice (double entry: 172,976 requests
   for the 86,488 sheets of the 2021 runoff), each with its Idempotency-Key, retrying a 409/503
   or a dropped connection with the same key, while ``--readers`` (200) concurrent readers poll
   the national and department results;
5. then the file itself is loaded into the intake store in ``reject`` mode: any sheet whose keyed
   figures differ from the file's would refuse it, so a clean load proves every figure arrived
   exact; it also brings the file's stated statuses (annulled, at the dispute body, not
   installed), after which the results must equal the baseline's (issue 2's figures) to the
   vote, and ``verify`` of the exported log must pass;
6. the databases it made are dropped, whatever the outcome (on a shared server they piled up).

Prints sheets/s, p50/p99 of writes and reads, errors, the server's CPU time per request (what
a request costs, however busy the machine; with ``--workers``, all its processes), the client's
own CPU time per request (a client that cannot keep up would measure itself), the load average,
the ratio of intake time to the baseline's, and the run by tenth of its sheets (sheets/s, write
latency, CPU a sheet of the server and of PostgreSQL: whether the store slows as it fills,
``benchmarks/tenths.py``). Run: ``python benchmarks/intake.py [--tables N]
[--clients 16] [--readers 200] [--workers N] [--client-processes P] [--max-seconds S] [--phases]
[--timeline] [--threads]`` (``--timeline``: each sheet entry's steps in the server, from its
arrival to its answer, ``escrutinio.store.timeline``; ``--threads``: the server's CPU by
thread, the event loop's, the session threads', the group commit's, the reads', and the garbage
collector's share: ``benchmarks/server_threads.py``)
(``--tables 2000`` for a quick run). Each read is asked once before the clock starts (the
server's first answer, cold, is not what election night polls). Asserts nothing about time
(machines are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from tenths import Sampler  # noqa: E402
from tenths import table as tenths  # noqa: E402
from timing import cpu_seconds  # noqa: E402

READS = ("/api/v1/results", "/api/v1/results?level=department")
"""What the readers poll, in turn."""
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
ELECTION = "peru-2021-runoff"
RETRIES = 20
TIMEOUT = 60
"""Seconds a request may wait for its answer before its connection is aborted (and a write retried)."""


# -- PostgreSQL ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """An admin URL of a PostgreSQL server: the test server when named, else a throwaway one."""
    named = os.environ.get("ESCRUTINIO_TEST_PG_URL")
    if named:
        yield named
        return
    bindir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
    if bindir is None:
        sys.exit("no PostgreSQL: set ESCRUTINIO_TEST_PG_URL or install postgresql (initdb)")
    folder = Path(tempfile.mkdtemp(prefix="escrutinio-bench-pg-"))
    as_pg = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.getuid() == 0 else None

    def run(*command: str) -> None:
        line = " ".join(f"'{c}'" for c in command)
        subprocess.run([*as_pg, line] if as_pg else list(command), check=True, stdout=subprocess.DEVNULL)

    if as_pg:
        shutil.chown(folder, "postgres")
    port = free_port()
    data = folder / "data"
    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o", options, "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(folder, ignore_errors=True)


MADE: list[str] = []
"""The databases this run made (:func:`drop_made` drops them when it ends)."""


def _admin(admin: str, sql: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def fresh_database(admin: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    _admin(admin, f"CREATE DATABASE {name}")
    MADE.append(name)
    return admin.rsplit("/", 1)[0] + f"/{name}"


def drop_made(admin: str) -> None:
    """Drop the databases this run made (a shared server would otherwise gather them), once
    this process's own connections to them are closed."""
    from escrutinio.store.engine import dispose_all

    dispose_all()
    while MADE:
        _admin(admin, f"DROP DATABASE IF EXISTS {MADE.pop()} WITH (FORCE)")


# -- the sheets ------------------------------------------------------------------------------


def subset(tables: int | None, folder: Path) -> Path:
    """The runoff file, or its first ``tables`` rows (same header and encoding)."""
    if tables is None:
        return RUNOFF
    out = folder / f"runoff-{tables}.csv"
    with gzip.open(RUNOFF, "rb") as src, out.open("wb") as dst:
        for i, line in enumerate(src):
            if i > tables:
                break
            dst.write(line)
    return out


def entries_of(db: str) -> list[dict[str, Any]]:
    """Every sheet with figures in the baseline store, as a clerk keys it (JSON body)."""
    from escrutinio.app import Session

    with Session(db) as session:
        choices = session.count.contest()["choices"]
        ids = [c["id"] for c in choices]
        rows = session.count.tables()
    out = []
    for r in rows:
        if r.get("cast") is None or r["state"] in ("pending", "not_installed"):
            continue
        votes = {c: r[f"v_{c}"] for c in ids}
        out.append(
            {
                "table": r["table"],
                "body": {
                    "votes": votes,
                    "blank": r["blank"],
                    "null": r["null"],
                    "challenged": r["challenged"],
                    "cast": r["cast"],
                },
            }
        )
    return out


def clerks(db: str, n: int) -> list[str]:
    """Tokens of ``n`` clerk accounts (national)."""
    from escrutinio.app import Session

    try:
        from escrutinio.domain.roles import Role
    except ImportError:
        sys.exit("this build has no accounts (escrutinio users): the intake routes need clerks' tokens")
    with Session(db, "bench") as session:
        return [session.users.add(f"clerk{i:03d}", Role.CLERK).token for i in range(n)]


# -- the load --------------------------------------------------------------------------------
# The client is benchmarks/http_client.py on uvloop (HTTP/1.1 parsed by llhttp, one keep-alive
# connection per clerk and per reader): httpx cost the client 3 to 5 ms of CPU a request on
# this machine, aiohttp about 0.17 ms, this a fraction of that, which the server and PostgreSQL,
# on the same two cores, get instead. With --client-processes P the clerks and readers are
# shared among P processes, each with its own event loop.


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    """When each of ``latencies`` ended (``time.monotonic()``)."""
    errors: dict[str, int] = field(default_factory=dict)
    retries: int = 0

    def took(self, start: float) -> None:
        """A request sent at ``start`` (``time.monotonic()``) was answered now."""
        now = time.monotonic()
        self.latencies.append(now - start)
        self.answered.append(now)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.answered += other.answered
        self.retries += other.retries
        for what, n in other.errors.items():
            self.errors[what] = self.errors.get(what, 0) + n


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def spread(t: Tally) -> str:
    """p50 and p99 in milliseconds, and the errors."""
    p50, p99 = percentile(t.latencies, 50) * 1000, percentile(t.latencies, 99) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; errors {t.errors or 'none'}"


def _rule(body: bytes) -> str | None:
    import orjson

    try:
        return orjson.loads(body).get("error", {}).get("rule")
    except (orjson.JSONDecodeError, AttributeError):
        return None


async def drive(
    url: str, sheets: list[dict[str, Any]], tokens: list[str], clients: int, readers: int, interval: float, deadline: float
) -> tuple[Tally, Tally, list[float]]:
    """``clients`` clerks (two tokens each) key ``sheets`` twice while ``readers`` poll the
    national and department results; (writes, reads, when each sheet was processed)."""
    from urllib.parse import urlsplit

    import orjson
    from http_client import Connection, watch

    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for s in sheets:
        queue.put_nowait(s)
    writes, reads = Tally(), Tally()
    done = asyncio.Event()
    processed: list[float] = []
    where = urlsplit(url)
    host, port = where.hostname or "127.0.0.1", where.port or 80
    opened: list[Connection] = []

    def connection() -> Connection:
        opened.append(Connection(host, port))
        return opened[-1]

    async def submit(http: Connection, table: str, body: bytes, token: str, key: str) -> bytes | None:
        headers = f"Authorization: Bearer {token}\r\nIdempotency-Key: {key}\r\nContent-Type: application/json\r\n".encode()
        target = f"/api/v1/tables/{table}/entries"
        for _ in range(RETRIES):
            start = time.monotonic()
            try:
                status, answer = await http.request(b"POST", target, headers, body)
            except OSError:  # a dropped connection (or no answer in TIMEOUT s): resent with the same key
                writes.retries += 1
                continue
            writes.took(start)
            if status in (200, 201):
                return answer
            if status in (409, 503):
                writes.retries += 1
                continue
            writes.error(f"{status} {_rule(answer)}")
            return None
        writes.error("gave up after retries")
        return None

    async def writer(i: int) -> None:
        first, second = tokens[2 * i], tokens[2 * i + 1]
        http = connection()
        while time.monotonic() < deadline:
            try:
                sheet = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            table, body = sheet["table"], orjson.dumps(sheet["body"])
            await submit(http, table, body, first, f"{table}:1")
            got = await submit(http, table, body, second, f"{table}:2")
            if got is not None and orjson.loads(got).get("state") in ("processed", "mismatch"):
                processed.append(time.monotonic())

    async def reader(i: int) -> None:
        paths = READS
        n = i
        http = connection()
        while not done.is_set():
            start = time.monotonic()
            try:
                status, _ = await http.request(b"GET", paths[n % 2])
                reads.took(start)
                if status not in (200, 304):
                    reads.error(str(status))
            except OSError as exc:
                reads.error(type(exc).__name__)
            n += 1
            # Woken by the writers' end, not after a whole interval: the intake's time stops
            # when its last sheet is answered (it ran up to one interval long, in whole seconds).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), interval)

    watching = asyncio.create_task(watch(opened, TIMEOUT))
    polling = [asyncio.create_task(reader(i)) for i in range(readers)]
    await asyncio.gather(*(writer(i) for i in range(clients)))
    done.set()
    await asyncio.gather(*polling)
    watching.cancel()
    for http in opened:
        http.close()
    return writes, reads, processed


def run_drive(*args: Any) -> tuple[Tally, Tally, list[float], float]:
    """:func:`drive` on uvloop in this process; its figures and the CPU time it took."""
    import uvloop

    used = time.process_time()
    writes, reads, processed = uvloop.run(drive(*args))
    return writes, reads, processed, time.process_time() - used


def drive_in_processes(
    processes: int, url: str, sheets: list[dict[str, Any]], tokens: list[str], clients: int, readers: int, *rest: Any
) -> tuple[Tally, Tally, list[float], float]:
    """:func:`run_drive` in ``processes`` processes at once, the sheets, clerks and readers
    shared among them: the summed figures and the CPU time they took together."""
    if processes == 1:
        return run_drive(url, sheets, tokens, clients, readers, *rest)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shares = []
    for p in range(processes):
        mine = range(p, clients, processes)
        mine_tokens = [t for i in mine for t in tokens[2 * i : 2 * i + 2]]
        shares.append((url, sheets[p::processes], mine_tokens, len(mine), len(range(p, readers, processes)), *rest))
    writes, reads, processed, used = Tally(), Tally(), [], 0.0
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        for w, r, n, cpu in pool.map(run_drive, *zip(*shares, strict=True)):
            writes.add(w)
            reads.add(r)
            processed += n
            used += cpu
    return writes, reads, processed, used


def server_cpu(pid: int) -> float:
    """CPU time of the server: its process and its worker processes (``serve --workers``)."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    children = [int(c) for c in listed.read_text().split()] if listed.exists() else []
    return cpu_seconds(pid) + sum(cpu_seconds(c) for c in children)


@contextlib.contextmanager
def serving(
    db: str, workers: int = 1, phases: Path | None = None, threads: Path | None = None, timeline: Path | None = None
) -> Iterator[tuple[str, int]]:
    """``escrutinio serve`` on ``db``: its URL and process id. With ``phases`` the server
    times its writes' phases into that file (``escrutinio.store.phases``), with ``timeline``
    each sheet entry's steps from arrival to answer (``escrutinio.store.timeline``); with
    ``threads`` it runs under ``benchmarks/server_threads.py``, which writes its CPU by thread there."""
    port = free_port()
    run = [str(ROOT / "benchmarks" / "server_threads.py"), str(threads)] if threads else ["-m", "escrutinio.cli"]
    command = [sys.executable, *run, "--db", db, "serve", "--port", str(port), "--log-level", "warning"]
    command += ["--workers", str(workers)] if workers > 1 else []
    env = {**os.environ, **({"ESCRUTINIO_WRITE_PHASES": str(phases)} if phases else {})}
    env |= {"ESCRUTINIO_REQUEST_TIMELINE": str(timeline)} if timeline else {}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    import httpx

    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            sys.exit("escrutinio serve did not start")
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def warm_up(url: str) -> None:
    """Ask each read once before the clock starts: the first answer of a fresh server process
    (imports, the election's definition, the roll) took half a second, and 200 readers starting
    together all waited for it; those 400 reads were the whole read p99."""
    import httpx

    for path in READS:
        httpx.get(f"{url}{path}", timeout=60).raise_for_status()


def figures(db: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from escrutinio.app import Session
    from escrutinio.count.options import Level

    with Session(db) as session:
        return session.count.results()[0], session.count.results(Level.DEPARTMENT)


def comparable(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row.get("area"), row["votes"], row.get("blank"), row.get("null"), row.get("ballots_cast"), row["tables"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=None, help="only the first N tables (a quick run)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--read-interval", type=float, default=1.0, help="seconds each reader waits between polls")
    parser.add_argument("--max-seconds", type=float, default=1800, help="stop submitting after this long")
    parser.add_argument("--client-processes", type=int, default=1, help="processes the clients and readers are shared among")
    parser.add_argument("--workers", type=int, default=1, help="escrutinio serve --workers")
    parser.add_argument("--phases", action="store_true", help="print the server's timings of its writes' phases")
    parser.add_argument("--timeline", action="store_true", help="print each sheet entry's steps in the server, mean and p99")
    parser.add_argument("--threads", action="store_true", help="print the server's CPU by thread (one server process)")
    args = parser.parse_args()
    if not RUNOFF.exists():
        sys.exit(f"{RUNOFF}: not found (../shared/data)")
    from escrutinio.app import Session

    folder = Path(tempfile.mkdtemp(prefix="escrutinio-bench-"))
    try:
        with postgres() as admin, contextlib.ExitStack() as cleanup:
            cleanup.callback(drop_made, admin)
            path = subset(args.tables, folder)
            base = fresh_database(admin)
            start = time.perf_counter()
            with Session(base) as session:
                session.count.load(path, ELECTION)
            baseline = time.perf_counter() - start
            sheets = entries_of(base)
            rate = len(sheets) / baseline
            print(f"baseline: {len(sheets):,} sheets loaded as one file in {baseline:.2f} s ({rate:,.0f} sheets/s)")

            db = fresh_database(admin)
            with Session(db, "bench") as session:
                session.intake.register_roll(path, ELECTION)
            tokens = clerks(db, 2 * args.clients)
            sampler: Sampler | None = None
            phases = folder / "phases.txt" if args.phases else None
            threads = folder / "threads.txt" if args.threads and args.workers == 1 else None
            timeline = folder / "timeline.txt" if args.timeline else None
            with serving(db, args.workers, phases, threads, timeline) as (url, pid):
                warm_up(url)
                if threads is not None:
                    os.kill(pid, signal.SIGUSR1)
                sampler = Sampler(lambda pid=pid: server_cpu(pid), db.rsplit("/", 1)[1])
                sampler.start()
                start, used = time.perf_counter(), server_cpu(pid)
                began = time.monotonic()
                deadline = began + args.max_seconds
                writes, reads, moments, client = drive_in_processes(
                    args.client_processes, url, sheets, tokens, args.clients, args.readers, args.read_interval, deadline
                )
                took, used = time.perf_counter() - start, server_cpu(pid) - used
                sampler.stop()
                processed = len(moments)
                if threads is not None:
                    os.kill(pid, signal.SIGUSR2)
                    for _ in range(50):
                        if threads.exists():
                            break
                        time.sleep(0.1)
            requests = len(writes.latencies)
            print(
                f"intake: {processed:,} of {len(sheets):,} sheets processed by double entry ({requests:,} write requests, "
                f"{writes.retries:,} retried) in {took:.1f} s: {processed / took:,.0f} sheets/s"
            )
            print(f"writes: {spread(writes)}")
            per = used / max(requests + len(reads.latencies), 1) * 1000
            print(f"server: {used:.1f} s of CPU in {took:.1f} s ({per:.2f} ms a request, reads and writes)")
            mine = client / max(requests + len(reads.latencies), 1) * 1000
            print(
                f"client: {client:.1f} s of CPU in {args.client_processes} process(es) ({mine:.2f} ms a request: "
                f"at most {1000 / max(mine, 1e-9):,.0f} requests/s a core)"
            )
            print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            if threads is not None and threads.exists():
                for line in threads.read_text().splitlines():
                    name, seconds = line.split("\t")
                    print(f"  server CPU, {name}: {float(seconds) / max(requests, 1) * 1e6:.0f} us a write request")
            if phases is not None and phases.exists():
                print(phases.read_text(), end="")
            if timeline is not None and timeline.exists():
                print(timeline.read_text(), end="")
            print(f"reads:  {len(reads.latencies):,} by {args.readers} readers, {spread(reads)}")
            if sampler is not None:
                print(tenths(began, moments, list(zip(writes.answered, writes.latencies, strict=True)), reads.answered, sampler))
            ratio = (processed / took) / rate if processed else 0.0
            print(f"ratio: intake over HTTP ran at {ratio:.3f}x the one-file load's sheets/s (same sheets, same run)")

            # Every figure arrived exact: the file loads onto them in reject mode (a figure that
            # differed would be a conflict, refusing the file), bringing its stated statuses.
            with Session(db, "bench") as session:
                session.count.load(path)
            ours, theirs = figures(db), figures(base)
            same = comparable(ours[0]) == comparable(theirs[0]) and [comparable(r) for r in ours[1]] == [
                comparable(r) for r in theirs[1]
            ]
            verdict = "EQUAL to" if same else "DIFFER from"
            print(f"results: national {ours[0]['votes']} {verdict} the baseline's (and every department's)")
            log = folder / "log.jsonl"
            with Session(db) as session:
                session.log.export(log)
                report = session.log.verify(log)
            print(f"verify: {'passes' if report.ok else 'FAILS'} ({report.events:,} events)")
            complete = processed == len(sheets)
            if not complete:
                print(f"INCOMPLETE: {len(sheets) - processed:,} sheets not processed within --max-seconds")
            if not complete or not same or not report.ok or writes.errors:
                sys.exit(1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
