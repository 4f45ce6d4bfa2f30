"""The concurrency proof (issue 9): 8 clerks × 50 writes at once on the same tables and cases,
on SQLite and on PostgreSQL, through the real ``escrutinio`` commands.

Each clerk (tests/integration/concurrency_worker.py, a process of its own) files cases on ten
shared tables, rules on the cases it filed, and records audit hand counts of the sampled
tables: every (table, entry) pair is given to one clerk, and some pairs to a second clerk as
well, as when two people enter the same sheet at the same moment. A refusal must be one line;
a clerk retries when it says "retry". Afterwards: every acknowledged write is in the log exactly
once, nothing is there twice, the docket and the tallies replayed from the exported log equal
the store's, and every audit command still works.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ROOT, fresh_pg_database
from tests.integration.concurrency_worker import _cases
from tests.onpe_sample import Row, write

from escrutinio.store.engine import resolve_url
from escrutinio.store.store import Store

pytestmark = pytest.mark.slow

WORKERS = 8
FILINGS = 20  # per clerk, 15 of them ruled on
ENTRIES = 15  # per clerk: 20 + 15 + 15 = 50 writes
SHARED_TABLES = [f"{i:06d}" for i in range(1, 11)]
WORKER = Path(__file__).with_name("concurrency_worker.py")
PRESET = ROOT / "src" / "escrutinio" / "presets" / "peru-2021-runoff.toml"


def _rows() -> list[Row]:
    return [
        Row(
            f"{i:06d}",
            ubigeo=("140137", "140101", "240106")[i % 3],
            cast=200 + i % 7,
            p1=100 + i % 5,
            p2=90,
            blank=2,
            null=8 + i % 7 - i % 5,
        )
        for i in range(1, 121)
    ]


def _election(path: Path) -> Path:
    """The runoff's definition, held yesterday, with its filing deadline a month away: filings
    are judged on the store's clock, so the storm's filings are timely."""
    today = dt.datetime.now(dt.UTC).date()
    text = PRESET.read_text(encoding="utf-8").replace('id = "peru-2021-runoff"', 'id = "storm-runoff"')
    text = re.sub(r'(?m)^date = "[^"]*"', f'date = "{today - dt.timedelta(days=1)}"', text)
    text = re.sub(r'(?m)^deadline = "[^"]*"', f'deadline = "{today + dt.timedelta(days=30)}T20:00"', text)
    path.write_text(text, encoding="utf-8")
    return path


def _cli(db: str, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return json.loads(done.stdout) if "--format" in args else done.stdout


def _plans(db: str, sampled: list[str], rows: dict[str, Row]) -> list[dict[str, Any]]:
    pairs = [(t, e) for t in sampled for e in (1, 2)]
    own: list[list[tuple[str, int]]] = [pairs[w::WORKERS] for w in range(WORKERS)]
    plans = []
    for w in range(WORKERS):
        mine = own[w][:ENTRIES]
        doubled = own[(w + 1) % WORKERS][: ENTRIES - len(mine)]
        entries = [{**_entry(rows, t, e), "doubled": (t, e) in doubled} for t, e in mine + doubled]
        filings = [
            {
                "table": SHARED_TABLES[(w + i) % len(SHARED_TABLES)],
                "filer": ("FP", "PL")[i % 2],
                "receipt": f"R-{w}-{i}",
                "rule": i % 4 != 0,
            }
            for i in range(FILINGS)
        ]
        plans.append({"db": db, "worker": w, "filings": filings, "entries": entries})
    return plans


def _audited_store(home: Path, engine: str) -> tuple[str, dict[str, Row], list[str]]:
    """A store of 120 tables with a macro audit planned, seeded and drawn: (db, rows, sampled tables)."""
    db = str(home / "storm.db") if engine == "sqlite" else fresh_pg_database()
    rows = {r.table: r for r in _rows()}
    _cli(db, "load", str(write(home / "sheets.csv", list(rows.values()))), "--election", str(_election(home / "storm.toml")))
    _cli(db, "audit", "plan", "--method", "macro", "--risk-limit", "0.1", "--record", "--format", "json")
    _cli(db, "audit", "seed", "73029184650183746529", "--format", "json")
    drawn = _cli(db, "audit", "draw", "--format", "json")
    return db, rows, sorted({t["table"] for centre in drawn["centres"] for t in centre["tables"]})


def _run_clerks(home: Path, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start every clerk at once; their logs of writes, together."""
    workers = []
    for plan in plans:
        plan_path = home / f"plan-{plan['worker']}.json"
        plan_path.write_text(json.dumps(plan))
        result = home / f"result-{plan['worker']}.json"
        process = subprocess.Popen([sys.executable, str(WORKER), str(plan_path), str(result)], stderr=subprocess.PIPE, text=True)
        workers.append((process, result))
    log: list[dict[str, Any]] = []
    for process, result in workers:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        log += json.loads(result.read_text())
    return log


def _entry(rows: dict[str, Row], table: str, entry: int) -> dict[str, Any]:
    """One hand-count entry of a table, agreeing with its sheet."""
    r = rows[table]
    return {"table": table, "entry": entry, "counts": f"PL={r.p1},FP={r.p2},blank={r.blank},null={r.null}", "ballots": r.cast}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_storm(engine: str, tmp_path: Path) -> None:
    """One storm per engine, then every check below (one test, so that pytest-xdist never
    runs the storm twice on two of its workers)."""
    storm = _storm(engine, tmp_path)
    _every_refusal_is_one_line_and_concurrency_says_retry(storm)
    _every_filing_and_ruling_lands_exactly_once(storm)
    _the_log_replays_to_the_store(storm)
    _every_audit_entry_lands_once(storm)
    _the_audit_still_works_after_the_storm(storm)


def _storm(engine: str, home: Path) -> dict[str, Any]:
    if engine == "postgresql":
        fresh_pg_database()  # skips without a server
    db, rows, sampled = _audited_store(home, engine)
    log = _run_clerks(home, _plans(db, sampled, rows))
    exported = home / "log.jsonl"
    _cli(db, "log", "export", str(exported))
    return {"db": db, "log": log, "exported": exported, "sampled": sampled}


def _wrote(write_: dict[str, Any]) -> bool:
    """An acknowledged entry that wrote (a second submission of the same figures is
    acknowledged as already recorded, writing nothing)."""
    output = write_.get("output")
    return write_["ok"] and not (isinstance(output, dict) and output.get("already_recorded"))


def _events(db: str, type_: str) -> list[dict[str, Any]]:
    store = Store.open(resolve_url(db))
    try:
        return [e.data for e in store.events_of_type(type_)]
    finally:
        store.close()


def _every_refusal_is_one_line_and_concurrency_says_retry(storm: dict[str, Any]) -> None:
    assert len(storm["log"]) == WORKERS * (FILINGS + ENTRIES + FILINGS * 3 // 4)
    doubled = {(w["table"], w["entry"]) for w in storm["log"] if w["kind"] == "entry" and w["doubled"]}
    for write_ in storm["log"]:
        for line in write_["refusals"]:
            assert line.startswith("error: ") and "\n" not in line.strip(), line
            # Two clerks entering the same sheet: the second is told it is done, not to retry.
            already = write_["kind"] == "entry" and (write_["table"], write_["entry"]) in doubled
            assert "retry" in line or (already and "is already recorded" in line), line


def _every_filing_and_ruling_lands_exactly_once(storm: dict[str, Any]) -> None:
    filings = [w for w in storm["log"] if w["kind"] == "filing"]
    rulings = [w for w in storm["log"] if w["kind"] == "ruling"]
    assert all(w["ok"] for w in filings + rulings), [w for w in filings + rulings if not w["ok"]][:3]
    acknowledged = Counter(_cases(w["output"])[0]["number"] for w in filings)
    opened = Counter(d["number"] for d in _events(storm["db"], "case.opened") if d["number"].startswith("NUL-"))
    assert acknowledged == opened and set(acknowledged.values()) == {1}
    receipts = Counter(d["filing"]["fee_receipt"] for d in _events(storm["db"], "case.opened") if d["number"].startswith("NUL-"))
    assert set(receipts.values()) == {1} and len(receipts) == WORKERS * FILINGS
    ruled = Counter(d["number"] for d in _events(storm["db"], "case.ruled"))
    assert ruled == Counter(w["number"] for w in rulings)


def _the_log_replays_to_the_store(storm: dict[str, Any]) -> None:
    """Tallies, roll, current sheets and docket rebuilt from the exported log alone equal the store's."""
    report = _cli(storm["db"], "verify", str(storm["exported"]), "--format", "json")
    report = report[0] if isinstance(report, list) else report
    assert report["differences"] == [] and report["compared_with_store"] is True


def _every_audit_entry_lands_once(storm: dict[str, Any]) -> None:
    entries = [w for w in storm["log"] if w["kind"] == "entry"]
    recorded = Counter((d["table"], d["entry"]) for d in _events(storm["db"], "audit.hand_count"))
    acknowledged = Counter((w["table"], w["entry"]) for w in entries if _wrote(w))
    assert recorded == acknowledged
    assert set(recorded.values()) == {1}
    owned = {(w["table"], w["entry"]) for w in entries if not w["doubled"]}
    assert owned <= set(recorded)


def _the_audit_still_works_after_the_storm(storm: dict[str, Any]) -> None:
    db = storm["db"]
    status = _cli(db, "audit", "status", "--format", "json")
    status = status[0] if isinstance(status, list) else status
    from_log = _cli(db, "audit", "report", "--log", str(storm["exported"]), "--format", "json")
    from_log = from_log[0] if isinstance(from_log, list) else from_log
    assert status["settled_tables"] == from_log["settled_tables"]
    _cli(db, "audit", "measure", "--format", "json")
    _cli(db, "audit", "status", "--format", "json")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_clerks_entering_the_same_sheet_at_once_record_it_once(engine: str, tmp_path: Path) -> None:
    """Issue 9's broken audit: each entry submitted by two clerks who wait for each other first."""
    if engine == "postgresql":
        fresh_pg_database()  # skips without a server
    db, rows, sampled = _audited_store(tmp_path, engine)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    pairs = iter([(t, e) for t in sampled for e in (1, 2)])
    together: list[list[dict[str, Any]]] = [[] for _ in range(WORKERS)]
    for position in range(4):  # at each position every clerk has one partner, all at once
        for a in range(position % 2, WORKERS + position % 2, 2):
            b = (a + 1) % WORKERS
            table, entry = next(pairs)
            together[a % WORKERS].append({**_entry(rows, table, entry), "partner": b})
            together[b].append({**_entry(rows, table, entry), "partner": a % WORKERS})
    log = _run_clerks(
        tmp_path, [{"db": db, "worker": w, "barrier": str(barrier), "together": together[w]} for w in range(WORKERS)]
    )
    for write_ in log:
        for line in write_["refusals"]:
            assert line.startswith("error: ") and "\n" not in line.strip(), line
            # The second of two clerks hears the entry is done (from the audit, or the store's key).
            assert "retry" in line or "already recorded" in line, line
    recorded = Counter((d["table"], d["entry"]) for d in _events(db, "audit.hand_count"))
    assert recorded == Counter((w["table"], w["entry"]) for w in log if _wrote(w))
    assert set(recorded.values()) == {1} and len(recorded) == 16
    _cli(db, "audit", "status", "--format", "json")
