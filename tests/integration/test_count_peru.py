"""The real ONPE files: the figures the issue and PROVENANCE.md give, to the vote, on both engines."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import DATA

from escrutinio.app import Session
from escrutinio.count.options import InvalidSheets, Level

pytestmark = pytest.mark.shared


def test_runoff_counted_figures(db_url: str, runoff_file: Path, tmp_path: Path) -> None:
    session = Session(db_url)
    session.count.load(runoff_file, "peru-2021-runoff")
    nat = session.count.results()[0]
    assert nat["votes"] == {"PL": 8_834_440, "FP": 8_790_091}
    assert (nat["blank"], nat["null"], nat["ballots_cast"]) == (121_462, 1_106_523, 18_852_516)
    assert nat["margin_votes"] == 44_349 and nat["leader"] == "PL"
    assert nat["tables"]["observed"] == 20 and len(nat["at_dispute_body"]) == 20
    assert nat["provisional"]["votes"] == {"PL": 1_530, "FP": 1_639}
    assert nat["tables"] == {
        "total": 86_488,
        "counted": 84_863,
        "resolved": 1_386,
        "observed": 20,
        "annulled": 213,
        "not_installed": 6,
        "pending": 0,
        "in_count": 84_863 + 1_386,
        "accounted": 84_863 + 1_386 + 213,
    }
    # The file is a snapshot: the gap to the proclaimed result is shown, not hidden.
    assert nat["proclaimed"]["matches"] is False
    assert nat["proclaimed"]["counted_minus_proclaimed"]["votes"] == {"PL": 8_834_440 - 8_836_380, "FP": 8_790_091 - 8_792_117}
    assert nat["all_sheets"]["votes"] == {"PL": 8_835_970, "FP": 8_791_730}
    assert nat["outcome"]["kind"] == "winner" and nat["outcome"]["winner"] == "PL"
    # Every level sums to the nation.
    for level in ("department", "province", "district"):
        rows = session.count.results(Level(level))
        assert sum(r["votes"]["PL"] for r in rows) == 8_834_440, level
        assert sum(r["tables"]["total"] for r in rows) == 86_488, level
    lima = session.count.results(area="14")[0]
    assert lima["name"] == "LIMA" and lima["kind"] == "department"
    # Export, verify from the log alone, and compare with the store.
    log = tmp_path / "log.jsonl"
    session.log.export(log)
    report = session.log.verify(log)
    assert report.ok and report.national["votes"] == nat["votes"]


def _provenance_party_sums() -> dict[str, int]:
    text = (DATA / "peru-2021-first-round" / "PROVENANCE.md").read_text(encoding="utf-8")
    return {m[0]: int(m[1].replace(",", "")) for m in re.findall(r"^\| (VOTOS_P\d+) \| [^|]+ \| ([\d,]+) \|", text, re.M)}


def test_first_round_party_sums_and_runoff_call(first_round_file: Path, sqlite_db: str) -> None:
    session = Session(sqlite_db)
    session.count.load(first_round_file, "peru-2021-first-round")
    nat = session.count.results()[0]
    election = session.election()
    expected = _provenance_party_sums()
    assert len(expected) == 18
    # PROVENANCE sums every row; 32 sheets still at the dispute body are held apart by the rules,
    # so counted + provisional must equal those sums to the vote.
    for choice in election.contest.choices:
        assert nat["all_sheets"]["votes"][choice.id] == expected[choice.column], choice.id
    assert sum(nat["provisional"]["votes"].values()) == 1_461
    assert nat["tables"]["observed"] == 32 and nat["tables"]["annulled"] == 949 + 3
    assert nat["leader"] == "PL" and nat["runner_up"] == "FP"
    assert nat["outcome"]["kind"] == "runoff" and nat["outcome"]["runoff"] == ["PL", "FP"]
    assert nat["shares"]["PL"] < 50


@pytest.mark.slow
@pytest.mark.parametrize("at", [0.35, 0.6, 0.85])
def test_a_killed_load_can_be_rerun_without_double_counting(runoff_file: Path, tmp_path: Path, at: float) -> None:
    """Killed at a share of a full load's own time on this machine (reading, planning, or
    writing), then run again twice: the figures are exact and nothing is counted twice."""
    db = tmp_path / "k.db"
    cmd = [sys.executable, "-m", "escrutinio.cli", "--db", str(db), "load", str(runoff_file), "--election", "peru-2021-runoff"]
    start = time.perf_counter()
    subprocess.run([*cmd[:4], str(tmp_path / "timing.db"), *cmd[5:]], check=True, capture_output=True)
    whole = time.perf_counter() - start
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(whole * at)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(2):  # the second run finds nothing left to do
        rerun = subprocess.run(cmd, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr
    nat = Session(str(db)).count.results()[0]
    assert nat["votes"] == {"PL": 8_834_440, "FP": 8_790_091}
    assert nat["tables"]["total"] == 86_488
    assert "unchanged 86,488" in rerun.stdout


def test_cli_json_output_is_scriptable(runoff_file: Path, tmp_path: Path) -> None:
    import json

    db = tmp_path / "c.db"
    base = [sys.executable, "-m", "escrutinio.cli", "--db", str(db)]
    subprocess.run([*base, "load", str(runoff_file), "--election", "peru-2021-runoff"], check=True, capture_output=True)
    out = subprocess.run([*base, "results", "--format", "json"], check=True, capture_output=True, text=True).stdout
    nat = json.loads(out)[0]
    assert nat["votes"]["PL"] == 8_834_440 and nat["margin_votes"] == 44_349
    csv_out = subprocess.run(
        [*base, "results", "--level", "department", "--format", "csv"], check=True, capture_output=True, text=True
    )
    header, *rows = csv_out.stdout.strip().splitlines()
    # The 25 departments the level names (the 5 continents abroad lie as deep, and are a level of their own).
    assert "votes.PL" in header.split(",") and len(rows) == 25
    bad = subprocess.run([*base, "results", "--level", "galaxy"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --level") and "Traceback" not in bad.stderr
    status = json.loads(subprocess.run([*base, "status", "--format", "json"], check=True, capture_output=True, text=True).stdout)
    assert status["by_state"]["observed"] == 20 and status["by_reason"]["at_dispute_body"] == 20


@pytest.mark.parametrize("name", ["bolivia", "chile", "russia-2012"])
def test_generic_reader_on_other_countries(name: str, sqlite_db: str) -> None:
    from tests.integration.generic_presets import PRESETS

    preset, path, checks = PRESETS[name]
    from tests.conftest import need_shared

    need_shared(path)
    session = Session(sqlite_db)
    session.count.load(path, str(preset), invalid=InvalidSheets.OBSERVE)
    nat = session.count.results()[0]
    for choice, votes in checks.items():
        assert nat["votes"][choice] + nat["provisional"]["votes"][choice] == votes, choice
    # Chile's roll gives no electors: the progress line says so in words, not "None%".
    status = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", sqlite_db, "status"], check=True, capture_output=True, text=True
    ).stdout
    assert "None" not in status and "tables; sheets received" in status, status
