"""The audit workflow through the real CLI on a small ONPE-format store: every step an event in
the log, refusals one line with exit 1, and the audit recomputed from an exported log alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.onpe_sample import write

pytestmark = pytest.mark.slow

SEED = "31415926535897932384"


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", str(db), *args], capture_output=True, text=True)


def _ok(db: Path, *args: str) -> Any:
    """Run a command that must succeed; its JSON output when asked for it."""
    out = _cli(db, *args)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return json.loads(out.stdout) if "json" in args else out.stdout


def _refused(db: Path, *args: str, status: int = 1) -> str:
    """Run a command that must be refused: exit 1 (2 for a usage error: a value not of the form
    its option takes), one line on stderr, no traceback."""
    out = _cli(db, *args)
    assert out.returncode == status, f"{args} should be refused with {status}: {out.stderr}"
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1, out.stderr
    assert "Traceback" not in out.stderr
    return out.stderr


def _events(db: Path, tmp_path: Path) -> int:
    log = tmp_path / "count.jsonl"
    _ok(db, "log", "export", str(log))
    return len(log.read_bytes().splitlines())


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "s.db"
    _ok(db, "load", str(write(tmp_path / "s.csv")), "--election", "peru-2021-runoff")
    return db


def _drawn(db: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    _ok(db, "audit", "plan", "--risk-limit", "0.05", "--method", "macro", "--record", "--format", "json")
    _ok(db, "audit", "seed", SEED, "--ceremony", "20 ten-sided dice, public ceremony")
    drawn = _ok(db, "audit", "draw", "--format", "json")
    status = _ok(db, "audit", "status", "--format", "json")
    return drawn, status["tables"]


def _count_args(row: dict[str, Any], winner: str, loser: str, shift: int = 0) -> list[str]:
    """A hand count equal to the sheet (the winner ``shift`` votes lower, those ballots null)."""
    w, lost, ballots = row["sheet_winner"] - shift, row["sheet_loser"], row["sheet_ballots"]
    return ["--counts", f"{winner}={w},{loser}={lost},other={ballots - w - lost}", "--ballots", str(ballots)]


def test_hand_counts_equal_to_the_sheets_confirm_and_the_log_recomputes_it(store: Path, tmp_path: Path) -> None:
    plan = _ok(store, "audit", "plan", "--risk-limit", "0.05", "--method", "macro", "--format", "json")
    assert {m["method"] for m in plan["methods"]} == {"bravo", "alpha_polling", "minerva", "macro", "alpha_batch"}
    before = _events(store, tmp_path)  # plan without --record records nothing
    drawn, rows = _drawn(store)
    assert _events(store, tmp_path) == before + 3
    assert drawn["round"] == 1 and drawn["first_draw"] == 1 and drawn["draws"] >= drawn["tables"] == len(rows)
    assert sum(len(c["tables"]) for c in drawn["centres"]) == drawn["tables"]
    assert {c["district_name"] for c in drawn["centres"]} <= {"SAN JUAN DE LURIGANCHO", "VENTANILLA", "MADRID"}
    csv_lines = _ok(store, "audit", "draw", "--show", "--format", "csv").splitlines()
    assert csv_lines[0].startswith("district,district_name,polling_place,table") and len(csv_lines) == len(rows) + 1
    for row in rows:
        for entry, clerk in ((1, "A. Quispe"), (2, "B. Mamani")):
            args = _count_args(row, "FP", "PL")
            result = _ok(store, "audit", "record", row["table"], "--entry", str(entry), *args, "--by", clerk, "--format", "json")
            assert result["status"] == ("awaiting_second_entry" if entry == 1 else "agreed")
    measured = _ok(store, "audit", "measure", "--format", "json")
    assert measured["decision"] == "confirmed" and float(measured["risk"]) <= 0.05
    report = _ok(store, "audit", "report", "--format", "json")
    assert report["phase"] == "reported" and report["report"]["outcome"] == "confirmed"
    assert report["report"]["tables_with_differences"] == 0 and report["report"]["seed"] == SEED
    assert "Audit report" in _ok(store, "audit", "report")  # shown again, not issued twice

    log = tmp_path / "audit.jsonl"
    _ok(store, "log", "export", str(log))
    types = [json.loads(line)["type"] for line in log.read_bytes().splitlines()]
    assert [t for t in types if t.startswith("audit.")] == [
        "audit.planned",
        "audit.seeded",
        "audit.sampled",
        *["audit.hand_count"] * (2 * len(rows)),
        "audit.measured",
        "audit.reported",
    ]
    verified = _ok(store, "verify", str(log), "--format", "json")
    assert verified["ok"] and verified["compared_with_store"]
    from_log = _ok(tmp_path / "no-store.db", "audit", "report", "--log", str(log), "--format", "json")
    assert not (tmp_path / "no-store.db").exists()
    assert from_log == report and from_log["risk"] == measured["risk"]
    # A new audit may start once the last one is reported.
    again = _ok(store, "audit", "plan", "--risk-limit", "0.1", "--method", "alpha_batch", "--record", "--format", "json")
    assert again["phase"] == "planned" and again["method"] == "alpha_batch"


def test_entries_that_disagree_are_a_discrepancy_until_resolved(store: Path, tmp_path: Path) -> None:
    _, rows = _drawn(store)
    first, *rest = rows
    _ok(store, "audit", "record", first["table"], "--entry", "1", *_count_args(first, "FP", "PL"), "--by", "ana")
    wrong = _count_args(first, "FP", "PL", shift=1)
    out = _ok(store, "audit", "record", first["table"], "--entry", "2", *wrong, "--by", "bob")
    assert "discrepancy" in out and "escrutinio audit resolve" in out
    for row in rest:
        for entry, clerk in ((1, "ana"), (2, "bob")):
            _ok(store, "audit", "record", row["table"], "--entry", str(entry), *_count_args(row, "FP", "PL"), "--by", clerk)
    assert first["table"] in _refused(store, "audit", "measure")
    status = _ok(store, "audit", "status", "--format", "json")
    assert status["discrepancies"] == [first["table"]] and status["phase"] == "counting"
    assert "--reason: expected why" in _refused(
        store, "audit", "resolve", first["table"], *wrong, "--by", "board", "--reason", "", status=2
    )
    right = _count_args(first, "FP", "PL")
    resolved = _ok(
        store, "audit", "resolve", first["table"], *right, "--by", "board", "--reason", "recounted", "--format", "json"
    )
    assert resolved["status"] == "resolved" and resolved["phase"] == "measurable"
    assert "no discrepancy" in _refused(store, "audit", "resolve", first["table"], *wrong, "--by", "board", "--reason", "again")
    assert _ok(store, "audit", "measure", "--format", "json")["decision"] == "confirmed"
    report = _ok(store, "audit", "report", "--format", "json")["report"]
    assert report["entry_discrepancies_resolved"] == 1 and report["tables_with_differences"] == 0


def test_steps_out_of_order_are_refused_and_record_nothing(store: Path, tmp_path: Path) -> None:
    before = _events(store, tmp_path)
    for step in (["seed", SEED], ["draw"], ["measure"], ["report"], ["status"]):
        assert "no audit in this store" in _refused(store, "audit", *step)
    assert "--method: expected one of macro" in _refused(store, "audit", "plan", "--method", "super-simple", "--record", status=2)
    assert _events(store, tmp_path) == before

    _ok(store, "audit", "plan", "--record")
    assert "not in phase planned" in _refused(store, "audit", "draw")
    assert "already open" in _refused(store, "audit", "plan", "--record")
    assert "digit" in _refused(store, "audit", "seed", "12ab")
    _ok(store, "audit", "seed", SEED)
    assert "once" in _refused(store, "audit", "seed", SEED)

    def record(table: str, counts: str = "FP=1,PL=1", status: int = 1) -> str:
        args = ("audit", "record", table, "--entry", "1", "--counts", counts, "--ballots", "2", "--by", "x")
        return _refused(store, *args, status=status)

    assert "round is open" in record("000001")
    assert "phase seeded" in _refused(store, "audit", "measure")
    assert "phase seeded" in _refused(store, "audit", "report")
    _ok(store, "audit", "draw")
    assert "next_round" in _refused(store, "audit", "draw")
    assert "not in the sample" in record("000007")
    assert "--counts: expected NAME=NUMBER pairs" in record("000001", "FP=1;PL=1", status=2)
    assert "--counts: unknown choice 'XX'" in record("000001", "FP=1,XX=1")
    assert _events(store, tmp_path) == before + 3
    assert "no such log" in _refused(tmp_path / "none.db", "audit", "report", "--log", str(tmp_path / "missing.jsonl"))


def test_a_tampered_audit_event_is_caught_by_report_from_the_log(store: Path, tmp_path: Path) -> None:
    _drawn(store)
    log = tmp_path / "audit.jsonl"
    _ok(store, "log", "export", str(log))
    lines = log.read_bytes().splitlines()
    sampled = next(i for i, line in enumerate(lines) if b'"audit.sampled"' in line)
    event = json.loads(lines[sampled])
    tables = event["data"]["tables"]
    other = next(i for i, table in enumerate(tables) if table != tables[0])
    tables[0], tables[other] = tables[other], tables[0]
    from escrutinio.ledger.canonical import canonical
    from escrutinio.ledger.events import digest

    body = {k: v for k, v in event.items() if k != "hash"}
    event["hash"] = digest(body)
    lines[sampled] = canonical(event)
    forged = tmp_path / "forged.jsonl"
    forged.write_bytes(b"\n".join(lines[: sampled + 1]) + b"\n")  # re-hashed, so only the recomputation can tell
    assert "not the one the seed gives" in _refused(tmp_path / "none.db", "audit", "report", "--log", str(forged))
