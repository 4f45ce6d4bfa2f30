"""Loading on both engines: states, results, idempotence, conflicts observed, verify."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.onpe_sample import Row, changed, sample_rows, write

from escrutinio.app import Session
from escrutinio.app.cases import Decision
from escrutinio.count.options import InvalidSheets, Level
from escrutinio.domain.claims import Effect, EffectKind
from escrutinio.domain.errors import EscrutinioError
from escrutinio.ledger.verify import ChainError


def test_sample_results_and_states(db_url: str, tmp_path: Path) -> None:
    session = Session(db_url)
    summary = session.count.load(write(tmp_path / "s.csv"), "peru-2021-runoff")
    assert summary.recorded_by_state == {"counted": 6, "resolved": 1, "annulled": 1, "observed": 1, "not_installed": 1}
    nat = session.count.results()[0]
    # counted + resolved sheets; the annulled one adds its 180 ballots as null.
    assert nat["votes"] == {"PL": 115 + 100 + 50 + 120 + 40 + 30, "FP": 87 + 90 + 90 + 110 + 55 + 55}
    assert nat["null"] == 18 + 8 + 5 + 10 + 4 + 4 + 180
    assert nat["ballots_cast"] == 220 + 200 + 150 + 250 + 100 + 90 + 180
    assert nat["provisional"]["votes"] == {"PL": 100, "FP": 100}
    assert nat["tables"] == {
        "total": 10,
        "counted": 6,
        "resolved": 1,
        "observed": 1,
        "annulled": 1,
        "not_installed": 1,
        "pending": 0,
        "in_count": 7,
        "accounted": 8,
    }
    assert [s["table"] for s in nat["at_dispute_body"]] == ["000007"]
    deps = {r["area"]: r for r in session.count.results(Level.DEPARTMENT)}
    assert set(deps) == {"14", "24", "94"}
    assert deps["94"]["kind"] == "continent" and deps["94"]["votes"] == {"PL": 30, "FP": 55}
    assert deps["24"]["name"] == "CALLAO"
    districts = session.count.results(Level.DISTRICT, area="14")
    assert [d["area"] for d in districts] == ["140101", "140137"]
    assert sum(d["votes"]["PL"] for d in session.count.results(Level.DISTRICT)) == nat["votes"]["PL"]
    session.close()


def test_loading_twice_changes_nothing(db_url: str, tmp_path: Path) -> None:
    session = Session(db_url)
    f = write(tmp_path / "s.csv")
    session.count.load(f, "peru-2021-runoff")
    head = session.store.head()
    tally = session.store.tally().sort("area", "key")
    summary = session.count.load(f)
    assert summary.events == 0 and summary.actions == {"unchanged": 10}
    assert session.store.head() == head
    assert session.store.tally().sort("area", "key").equals(tally)


def test_later_file_moves_sheets_forward_and_conflicts_become_observations(db_url: str, tmp_path: Path) -> None:
    session = Session(db_url)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    rows = changed(sample_rows(), "000007", status="COMPUTADA RESUELTA")  # the dispute body resolved it
    rows = changed(rows, "000001", p1=116, null=17)  # another version of a counted sheet
    with pytest.raises(EscrutinioError, match="000001 already has a sheet"):
        session.count.load(write(tmp_path / "b.csv", rows))
    summary = session.count.load(write(tmp_path / "b.csv", rows), invalid=InvalidSheets.OBSERVE)
    assert summary.actions["state_change"] == 1 and summary.actions["conflict"] == 1
    nat = session.count.results()[0]
    assert nat["tables"]["resolved"] == 2 and nat["tables"]["observed"] == 1
    observed = session.count.sheets_in_state("observed")
    assert observed[0]["table"] == "000001" and observed[0]["reasons"] == ["version_conflict"]
    assert observed[0]["version"] == 2
    versions = session.store.sheet_versions("000001")
    assert [(v["version"], v["current"]) for v in versions] == [(1, 0), (2, 1)]
    # 000001's first version left the count, 000007 entered it.
    assert nat["votes"]["PL"] == 115 + 100 + 50 + 120 + 40 + 30 - 115 + 100


def _open_observation_tables(session: Session) -> list[str]:
    return sorted(
        t for c in session.cases.listing() if c["status"] != "closed" and c["kind"] == "observation" for t in c["tables"]
    )


def test_loading_a_conflicting_file_again_under_observe_changes_nothing(db_url: str, tmp_path: Path) -> None:
    """A conflict stays out of the count until a ruling: loading the conflicting file a second
    time repeats what is recorded (no event), it does not count the observed version."""
    session = Session(db_url)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    swapped = changed(changed(sample_rows(), "000001", p1=87, p2=115), "000004", p1=110, p2=120)
    mod = write(tmp_path / "mod.csv", swapped)
    first = session.count.load(mod, invalid=InvalidSheets.OBSERVE)
    assert first.actions["conflict"] == 2
    totals = session.count.results()[0]
    head = session.store.head()
    tally = session.store.tally().sort("area", "key")
    cases = session.cases.listing()
    assert _open_observation_tables(session) == ["000001", "000004", "000007"]
    again = session.count.load(mod, invalid=InvalidSheets.OBSERVE)
    assert again.events == 0 and again.actions == {"unchanged": 10}
    assert session.store.head() == head
    assert session.store.tally().sort("area", "key").equals(tally)
    assert session.count.results()[0] == totals
    assert session.cases.listing() == cases
    # Nor does it count the conflict when loaded without --invalid observe.
    assert session.count.load(mod).events == 0 and session.store.head() == head
    conflicted = {s["table"]: s for s in session.count.sheets_in_state("observed") if s["table"] != "000007"}
    assert sorted(conflicted) == ["000001", "000004"]
    assert all(s["version"] == 2 and s["reasons"] == ["version_conflict"] for s in conflicted.values())
    # A third version with yet other figures is another conflict, observed, not counted.
    third = write(tmp_path / "third.csv", changed(swapped, "000001", p1=100, p2=102))
    assert session.count.load(third, invalid=InvalidSheets.OBSERVE).actions["conflict"] == 1
    assert session.count.results()[0]["votes"] == totals["votes"]
    assert [(v["version"], v["state"]) for v in session.store.sheet_versions("000001")][-1] == (3, "observed")
    # A ruling still decides the conflict after the repeats; a later load keeps what it decided.
    (case,) = [c for c in session.cases.listing(table="000004") if c["status"] != "closed"]
    session.cases.rule(case["number"], Decision("R-1", Effect(EffectKind.COUNT_AS_IS)))
    ruled = session.count.results()[0]
    assert ruled["votes"]["PL"] == totals["votes"]["PL"] + 110
    after = session.count.load(third, invalid=InvalidSheets.OBSERVE)
    assert after.events == 0 and after.actions == {"unchanged": 9, "kept_ruling": 1}
    assert session.count.results()[0] == ruled
    session.close()


def test_loading_the_file_before_a_conflict_again_repeats_its_recorded_version(db_url: str, tmp_path: Path) -> None:
    """After a conflict (a second file with other figures, observed), the FIRST file loaded again
    gives versions already in the tables' histories: a repeat (no event, no new version, no case),
    said by the load as such, under either mode; a version never recorded is still a conflict."""
    session = Session(db_url)
    original = write(tmp_path / "a.csv")
    session.count.load(original, "peru-2021-runoff")
    swapped = changed(changed(sample_rows(), "000001", p1=87, p2=115), "000004", p1=110, p2=120)
    mod = write(tmp_path / "mod.csv", swapped)
    assert session.count.load(mod, invalid=InvalidSheets.OBSERVE).actions["conflict"] == 2
    head, totals, cases = session.store.head(), session.count.results()[0], session.cases.listing()
    for invalid in (InvalidSheets.OBSERVE, InvalidSheets.REJECT):
        again = session.count.load(original, invalid=invalid)
        assert again.events == 0 and again.actions == {"unchanged": 8, "earlier_version": 2}
        assert again.recorded_by_state == {}
    assert session.store.head() == head and session.count.results()[0] == totals and session.cases.listing() == cases
    assert [(v["version"], v["state"]) for v in session.store.sheet_versions("000001")] == [(1, "counted"), (2, "observed")]
    # A third version is a conflict; the second, loaded again, is then an earlier version too.
    third = write(tmp_path / "third.csv", changed(swapped, "000001", p1=100, p2=102))
    assert session.count.load(third, invalid=InvalidSheets.OBSERVE).actions["conflict"] == 1
    head = session.store.head()
    assert session.count.load(mod).actions == {"unchanged": 9, "earlier_version": 1}
    assert session.count.load(original).actions == {"unchanged": 8, "earlier_version": 2}
    assert session.store.head() == head
    assert [v["version"] for v in session.store.sheet_versions("000001")] == [1, 2, 3]
    session.close()
    said = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", db_url, "load", str(original)], capture_output=True, text=True
    )
    assert said.returncode == 0, said.stderr
    said_line = " ".join(said.stdout.split())  # as one line, whatever the terminal's width
    assert "unchanged 8; earlier versions again 2 (not recorded: their sheets stay in conflict); 0 events" in said_line


def test_a_stated_final_status_is_taken_and_the_broken_rule_noted(db_url: str, tmp_path: Path) -> None:
    rows = [Row("000001", cast=220, p1=116), Row("000002", cast=200, p1=100, p2=90, blank=2, null=8)]
    path = write(tmp_path / "a.csv", rows)
    session = Session(db_url)
    with pytest.raises(EscrutinioError, match=r"a\.csv:2:N_CVAS: votes 203 .* = 221, but ballots cast = 220"):
        session.count.load(path, "peru-2021-runoff")
    assert not session.exists()
    session.count.load(path, "peru-2021-runoff", invalid=InvalidSheets.OBSERVE)
    counted = session.count.sheets_in_state("counted")
    first = next(s for s in counted if s["table"] == "000001")
    assert first["reasons"] == ["arithmetic_error"] and first["basis"] == "source:CONTABILIZADA"


def test_verify_compares_every_table_s_roll_entry_and_sheet_with_the_log(db_url: str, tmp_path: Path) -> None:
    """A sheet at the dispute body counts in no tally: only the table-level comparison sees it
    altered behind the log's back; a lost roll chunk likewise."""
    session = Session(db_url)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    log = tmp_path / "log.jsonl"
    session.log.export(log)
    assert session.log.verify(log).ok
    with session.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sheets SET blank = blank + 1, ballots_cast = ballots_cast + 1 WHERE table_id = '000007'")
    report = session.log.verify(log)
    assert [(d["table"], d["what"], d["log"], d["store"]) for d in report.differences] == [
        ("000007", "sheet", {"cast": 210, "blank": 5}, {"cast": 211, "blank": 6})
    ]
    with session.store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM chunks WHERE kind = 'roll'")
    session = Session(db_url)  # a fresh process: nothing cached
    missing = [d for d in session.log.verify(log).differences if d["what"] == "roll"]
    assert len(missing) == 10 and all(d["store"]["area"] is None for d in missing)


def test_verify_passes_and_names_the_first_altered_event(db_url: str, tmp_path: Path) -> None:
    session = Session(db_url)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    log = tmp_path / "log.jsonl"
    done = session.log.export(log)
    n, head = done.events, done.head
    report = session.log.verify(log)
    assert report.ok and report.compared_with_store and report.events == n and report.head == head
    assert report.national["votes"] == session.count.results()[0]["votes"]
    data = log.read_bytes()
    lines = data.split(b"\n")
    starts = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
    for pos in range(0, len(data), max(1, len(data) // 150)):
        tampered = bytearray(data)
        tampered[pos] = (tampered[pos] + 1) % 256 if tampered[pos] != ord("\n") - 1 else ord("A")
        bad = tmp_path / "bad.jsonl"
        bad.write_bytes(bytes(tampered))
        line_no = max(i for i, s in enumerate(starts) if s <= pos) + 1
        with pytest.raises(ChainError) as err:
            session.log.verify(bad)
        assert err.value.line == line_no, (pos, str(err.value))
        assert "log broken at line" in str(err.value)
