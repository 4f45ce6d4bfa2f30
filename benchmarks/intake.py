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
   vote, and ``verify`` of the exported log must pass.

Prints sheets/s, p50/p99 of writes and reads, errors, the server's CPU time per write request
(what an entry costs, however busy the machine), and the ratio of intake time to the
baseline's. Run: ``python benchmarks/intake.py [--tables N] [--clients 16] [--readers 200]``
(``--tables 2000`` for a quick run). Asserts nothing about time (machines are noisy).
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
from timing import cpu_seconds  # noqa: E402

RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
ELECTION = "peru-2021-runoff"
RETRIES = 20


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


def fresh_database(admin: str) -> str:
    import sqlalchemy as sa

    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return admin.rsplit("/", 1)[0] + f"/{name}"


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


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    retries: int = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def spread(t: Tally) -> str:
    """p50 and p99 in milliseconds, and the errors."""
    p50, p99 = percentile(t.latencies, 50) * 1000, percentile(t.latencies, 99) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; errors {t.errors or 'none'}"


async def drive(
    url: str, sheets: list[dict[str, Any]], tokens: list[str], clients: int, readers: int, interval: float, deadline: float
) -> tuple[Tally, Tally, int]:
    import httpx

    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for s in sheets:
        queue.put_nowait(s)
    writes, reads = Tally(), Tally()
    done = asyncio.Event()
    processed = 0
    limits = httpx.Limits(max_connections=clients + readers, max_keepalive_connections=clients + readers)

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def submit(sheet: dict[str, Any], token: str, key: str) -> dict[str, Any] | None:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
            for _ in range(RETRIES):
                start = time.perf_counter()
                try:
                    got = await http.post(f"/api/v1/tables/{sheet['table']}/entries", json=sheet["body"], headers=headers)
                except httpx.TransportError:
                    writes.retries += 1
                    continue
                writes.latencies.append(time.perf_counter() - start)
                if got.status_code in (200, 201):
                    return got.json()
                if got.status_code in (409, 503):
                    writes.retries += 1
                    continue
                writes.error(f"{got.status_code} {got.json().get('error', {}).get('rule')}")
                return None
            writes.error("gave up after retries")
            return None

        async def writer(i: int) -> None:
            nonlocal processed
            first, second = tokens[2 * i], tokens[2 * i + 1]
            while time.monotonic() < deadline:
                try:
                    sheet = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await submit(sheet, first, f"{sheet['table']}:1")
                got = await submit(sheet, second, f"{sheet['table']}:2")
                if got is not None and got.get("state") in ("processed", "mismatch"):
                    processed += 1

        async def reader(i: int) -> None:
            paths = ["/api/v1/results", "/api/v1/results?level=department"]
            n = i
            while not done.is_set():
                start = time.perf_counter()
                try:
                    got = await http.get(paths[n % 2])
                    reads.latencies.append(time.perf_counter() - start)
                    if got.status_code not in (200, 304):
                        reads.error(str(got.status_code))
                except httpx.TransportError as exc:
                    reads.error(type(exc).__name__)
                n += 1
                await asyncio.sleep(interval)

        polling = [asyncio.create_task(reader(i)) for i in range(readers)]
        await asyncio.gather(*(writer(i) for i in range(clients)))
        done.set()
        await asyncio.gather(*polling)
    return writes, reads, processed


@contextlib.contextmanager
def serving(db: str) -> Iterator[tuple[str, int]]:
    """``escrutinio serve`` on ``db``: its URL and process id."""
    port = free_port()
    command = [sys.executable, "-m", "escrutinio.cli", "--db", db, "serve", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
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
    args = parser.parse_args()
    if not RUNOFF.exists():
        sys.exit(f"{RUNOFF}: not found (../shared/data)")
    from escrutinio.app import Session

    folder = Path(tempfile.mkdtemp(prefix="escrutinio-bench-"))
    try:
        with postgres() as admin:
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
            with serving(db) as (url, pid):
                start, used = time.perf_counter(), cpu_seconds(pid)
                deadline = time.monotonic() + args.max_seconds
                writes, reads, processed = asyncio.run(
                    drive(url, sheets, tokens, args.clients, args.readers, args.read_interval, deadline)
                )
                took, used = time.perf_counter() - start, cpu_seconds(pid) - used
            requests = len(writes.latencies)
            print(
                f"intake: {processed:,} of {len(sheets):,} sheets processed by double entry ({requests:,} write requests, "
                f"{writes.retries:,} retried) in {took:.1f} s: {processed / took:,.0f} sheets/s"
            )
            print(f"writes: {spread(writes)}")
            per = used / max(requests + len(reads.latencies), 1) * 1000
            print(f"server: {used:.1f} s of CPU in {took:.1f} s ({per:.1f} ms a request, reads and writes)")
            print(f"reads:  {len(reads.latencies):,} by {args.readers} readers, {spread(reads)}")
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
