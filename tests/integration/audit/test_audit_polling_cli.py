"""Ballot-polling audits (BRAVO, ALPHA polling, Minerva) through the real CLI on a small ONPE-format store:
plan --record, seed, draw (ballot numbers per table), record/resolve readings, measure, report, and
the same risk recomputed by report --log from the exported log alone."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from tests.integration.audit.test_audit_workflow_cli import _ok, _refused
from tests.onpe_sample import Row, write

from escrutinio.audit.alpha import alpha_polling_risk, polling_values
from escrutinio.audit.bravo import bravo_risk
from escrutinio.audit.minerva import minerva_rounds_risk
from escrutinio.audit.risk import parse_risk

pytestmark = pytest.mark.slow

SEED = "27182818284590452353"
TABLES = 8
FP, PL, CAST = 170, 20, 200
"""Each table: FP (VOTOS_P2) 170, PL (VOTOS_P1) 20, 2 blank, 8 null: a wide margin, so few draws."""


@pytest.fixture
def store(tmp_path: Path) -> Path:
    rows = [
        Row(f"{i + 1:06d}", ubigeo=("140137", "240106")[i % 2], cast=CAST, p1=PL, p2=FP, blank=2, null=8) for i in range(TABLES)
    ]
    db = tmp_path / "polling.db"
    _ok(db, "load", str(write(tmp_path / "polling.csv", rows)), "--election", "peru-2021-runoff")
    return db


def shows(position: int) -> str:
    """What ballot ``position`` of a table shows if the sheet is right and the box is sorted."""
    return "FP" if position <= FP else "PL" if position <= FP + PL else "blank" if position <= FP + PL + 2 else "null"


def _read(db: Path, ballots: list[tuple[str, int]]) -> None:
    """Both readings of these ballots, as the sheet says, from one file (``audit record --file``)."""
    lines = ["table,position,entry,vote,by"]
    lines += [f"{t},{p},{entry},{shows(p)},{clerk}" for t, p in ballots for entry, clerk in ((1, "ana"), (2, "bob"))]
    readings = db.parent / f"readings-{len(list(db.parent.glob('readings-*')))}.csv"
    readings.write_text("\n".join(lines) + "\n")
    recorded = _ok(db, "audit", "record", "--file", str(readings), "--format", "json")
    assert recorded["events"] == 2 * len(ballots) and recorded["already_recorded"] == 0


def _ballots(drawn: dict[str, Any]) -> list[tuple[str, int]]:
    return [(t["table"], p) for c in drawn["centres"] for t in c["tables"] for p in t["positions"]]


@pytest.mark.parametrize("method", ["bravo", "alpha_polling", "minerva"])
def test_a_polling_audit_confirms_and_the_exported_log_recomputes_its_risk(store: Path, tmp_path: Path, method: str) -> None:
    planned = _ok(store, "audit", "plan", "--risk-limit", "0.1", "--method", method, "--record", "--format", "json")
    assert (planned["phase"], planned["method"], planned["unit"], planned["winner"]) == ("planned", method, "ballots", "FP")
    assert planned["manifest_ballots"] == TABLES * CAST and planned["plan"]["unit"] == "ballots"
    _ok(store, "audit", "seed", SEED, "--ceremony", "20 ten-sided dice")
    drawn = _ok(store, "audit", "draw", "--format", "json")
    assert drawn["unit"] == "ballots" and drawn["draws"] == planned["first_round_draws"]
    ballots = _ballots(drawn)
    assert len(ballots) == len(set(ballots)) == drawn["ballots"] and all(1 <= p <= CAST for _, p in ballots)
    csv_lines = _ok(store, "audit", "draw", "--show", "--format", "csv").splitlines()
    assert csv_lines[0] == "district,district_name,polling_place,table,position" and len(csv_lines) == len(ballots) + 1
    text = _ok(store, "audit", "draw", "--show")
    assert "ballot numbers" in text and "pull and read" in text

    first, second, *rest = ballots
    table, position = first
    reading = ["--position", str(position)]
    _ok(store, "audit", "record", table, *reading, "--entry", "1", "--vote", shows(position), "--by", "ana")
    out = _ok(store, "audit", "record", table, *reading, "--entry", "2", "--vote", "other", "--by", "bob")
    assert "discrepancy" in out and f"--position {position}" in out
    for entry, clerk in ((1, "ana"), (2, "bob")):
        t, p = second
        result = _ok(
            store,
            "audit",
            "record",
            t,
            "--position",
            str(p),
            "--entry",
            str(entry),
            "--vote",
            shows(p),
            "--by",
            clerk,
            "--format",
            "json",
        )
        assert result["status"] == ("awaiting_second_entry" if entry == 1 else "agreed")
    _read(store, rest)  # the rest as a batch typed in from the reading sheets (CLI calls cost a second each)
    assert f"{table}:{position}" in _refused(store, "audit", "measure")
    resolved = _ok(
        store,
        "audit",
        "resolve",
        table,
        *reading,
        "--vote",
        shows(position),
        "--by",
        "board",
        "--reason",
        "one clear mark",
        "--format",
        "json",
    )
    assert resolved["status"] == "resolved" and resolved["phase"] == "measurable"

    status = _ok(store, "audit", "status", "--format", "json")
    assert status["sampled_ballots"] == len(ballots) and status["settled"] == len(ballots)
    assert {row["ballot"] for row in status["tables"]} == {f"{t}:{p}" for t, p in ballots}
    measured = _ok(store, "audit", "measure", "--format", "json")
    later: list[int] = []  # ballots pulled in each later round
    while measured["decision"] == "next_round":  # a sample with fewer FP ballots than reported: draw on
        more = _ok(store, "audit", "draw", "--format", "json")
        assert more["round"] == len(later) + 2 and more["draws"] == measured["next_round_draws"]
        assert not set(_ballots(more)) & set(ballots)  # ballots read before are not pulled again
        ballots += _ballots(more)
        _read(store, _ballots(more))
        measured = _ok(store, "audit", "measure", "--format", "json")
        later.append(len(_ballots(more)))
    assert measured["decision"] == "confirmed" and parse_risk(measured["risk"]) <= parse_risk("0.1")

    log = tmp_path / "polling.jsonl"
    _ok(store, "log", "export", str(log))
    events = [json.loads(line) for line in log.read_bytes().splitlines()]
    sampled = [b for e in events if e["type"] == "audit.sampled" for b in e["data"]["ballots"]]
    reads = [shows(p) for _, p in sampled]  # every draw, repeats included, in draw order
    total_fp, total_pl = TABLES * FP, TABLES * PL
    if method == "bravo":
        direct = bravo_risk(total_fp, total_pl, reads.count("FP"), reads.count("PL"))
    elif method == "minerva":  # the pair's cumulative counts at the end of each round
        ends = itertools.accumulate(e["data"]["count"] for e in events if e["type"] == "audit.sampled")
        rounds = [(sum(r in ("FP", "PL") for r in reads[:end]), reads[:end].count("FP")) for end in ends]
        direct = minerva_rounds_risk(total_fp, total_pl, rounds, "0.1")
    else:
        direct = alpha_polling_risk(total_fp, total_pl, TABLES * CAST, polling_values(reads, "FP", "PL"))
    assert float(parse_risk(measured["risk"])) == pytest.approx(direct, rel=1e-9)

    report = _ok(store, "audit", "report", "--format", "json")
    assert report["phase"] == "reported" and report["report"]["outcome"] == "confirmed"
    assert report["report"]["winner_draws"] == reads.count("FP") and report["report"]["entry_discrepancies_resolved"] == 1
    _ok(store, "log", "export", str(log))
    types = [json.loads(line)["type"] for line in log.read_bytes().splitlines()]
    first_round = len(ballots) - sum(later)
    expected = ["audit.planned", "audit.seeded", "audit.sampled", *["audit.ballot"] * (2 * first_round)]
    expected += ["audit.ballot_resolved", "audit.measured"]
    for pulled in later:
        expected += ["audit.sampled", *["audit.ballot"] * (2 * pulled), "audit.measured"]
    assert [t for t in types if t.startswith("audit.")] == [*expected, "audit.reported"]
    from_log = _ok(tmp_path / "none.db", "audit", "report", "--log", str(log), "--format", "json")
    assert not (tmp_path / "none.db").exists()
    assert from_log == report and from_log["risk"] == measured["risk"]
    assert "ballots_examined" in _ok(tmp_path / "none.db", "audit", "report", "--log", str(log))


def test_polling_refusals_are_one_line_and_record_nothing(store: Path, tmp_path: Path) -> None:
    _ok(store, "audit", "plan", "--risk-limit", "0.1", "--method", "bravo", "--record")
    _ok(store, "audit", "seed", SEED)
    drawn = _ok(store, "audit", "draw", "--format", "json")
    table, position = _ballots(drawn)[0]
    log = tmp_path / "before.jsonl"
    _ok(store, "log", "export", str(log))
    before = len(log.read_bytes().splitlines())

    def record(*args: str, status: int = 1) -> str:
        return _refused(store, "audit", "record", table, "--entry", "1", "--by", "ana", *args, status=status)

    wrong_kind = record("--counts", "FP=1,PL=0", "--ballots", "1", status=2)
    assert "--counts: a ballot-polling audit reads one ballot: give --position and --vote, not --counts" in wrong_kind
    assert "--vote: a ballot-polling audit reads one ballot: give --position and --vote" in record(
        "--position", str(position), status=2
    )
    assert "--position: a ballot-polling audit" in record(status=2)
    assert "not in the sample" in record("--position", str(CAST + 1), "--vote", "FP")
    assert "shows one of FP, PL, blank, null, other" in record("--position", str(position), "--vote", "XX")
    assert "no discrepancy" in _refused(
        store, "audit", "resolve", table, "--position", str(position), "--vote", "FP", "--by", "board", "--reason", "x"
    )
    _ok(store, "log", "export", str(log))
    assert len(log.read_bytes().splitlines()) == before
