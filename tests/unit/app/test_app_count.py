"""``session.count`` and ``session.log`` on a real store built from the ONPE sample: typed
inputs, plain data out, the one vocabulary of sheet states, one table's story, and what changed
since an event."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.onpe_sample import Row, changed, sample_rows, write

from escrutinio.app import Session, StoreError
from escrutinio.app.count import LoadSummary, NotAnArea
from escrutinio.count.options import InvalidSheets, Level
from escrutinio.count.states import ACCOUNTED, IN_COUNT, MEANINGS


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> Session:
    session = Session(db_url)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    return session


def test_load_returns_a_typed_summary(sqlite_db: str, tmp_path: Path) -> None:
    summary = Session(sqlite_db).count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    assert isinstance(summary, LoadSummary)
    assert summary.rows == 10 and summary.new_tables == 10 and summary.recorded == 10
    assert summary.to_dict()["recorded_by_state"]["observed"] == 1 and len(summary.head) == 64


def test_results_by_level_and_area_and_the_errors_that_name_the_option(loaded: Session) -> None:
    nat = loaded.count.results()[0]
    t = nat["tables"]
    assert t["in_count"] == sum(t[s] for s in IN_COUNT) == 7 and t["accounted"] == sum(t[s] for s in ACCOUNTED) == 8
    assert [r["area"] for r in loaded.count.results(Level.DISTRICT, "14")] == ["140101", "140137"]
    assert loaded.count.results(area="140137")[0]["votes"] == {"PL": 115 + 100, "FP": 87 + 90}
    assert {r["table"] for r in loaded.count.results(Level.TABLE, "24")} == {"000004", "000005"}
    with pytest.raises(NotAnArea, match="escrutinio table 000004"):
        loaded.count.results(Level.TABLE, "000004")
    with pytest.raises(NotAnArea):
        loaded.count.results(area="000004")
    with pytest.raises(StoreError, match="area: no area '99'"):
        loaded.count.results(Level.DISTRICT, "99")


def test_status_speaks_the_one_vocabulary(loaded: Session) -> None:
    status = loaded.count.status()
    assert list(status["by_state"]) == list(MEANINGS)
    assert (status["received"], status["in_count"], status["accounted"]) == (10, 7, 8)
    assert status["final_at_source_despite"] == []
    assert loaded.count.states() == MEANINGS


def test_a_sheet_final_at_source_despite_a_rule_is_counted_and_listed(sqlite_db: str, tmp_path: Path) -> None:
    rows = [Row("000001", cast=220, p1=116), Row("000002", cast=200, p1=100, p2=90, blank=2, null=8)]
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "a.csv", rows), "peru-2021-runoff", invalid=InvalidSheets.OBSERVE)
    assert session.count.results()[0]["votes"]["PL"] == 116 + 100  # taken as the source says
    flagged = session.count.status()["final_at_source_despite"]
    assert flagged == [{"table": "000001", "state": "counted", "basis": "source:CONTABILIZADA", "despite": ["arithmetic_error"]}]
    assert session.count.table("000001")["despite"] == ["arithmetic_error"]
    assert session.count.table("000002")["despite"] == []


def test_one_table_its_versions_events_times_and_cases(db_url: str, tmp_path: Path) -> None:
    session = Session(db_url)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 6, 22))
    rows = changed(sample_rows(), "000001", p1=116, null=17)
    session.count.load(write(tmp_path / "b.csv", rows), invalid=InvalidSheets.OBSERVE)
    one = session.count.table("000001")
    assert one["state"] == "observed" and one["area"] == "140137" and one["electors"] == 300
    assert [(v["version"], v["state"], v["current"]) for v in one["versions"]] == [(1, "counted", False), (2, "observed", True)]
    assert one["versions"][1]["votes"] == {"PL": 116, "FP": 87} and one["versions"][1]["reasons"] == ["version_conflict"]
    assert all(v["event"] > 0 and v["at"].endswith("Z") for v in one["versions"])
    assert [c["kind"] for c in one["cases"]] == ["observation"]
    seven = session.count.table("000007")  # at the dispute body since the first load, declared that night
    assert seven["cases"][0]["filed_at"].startswith("2021-06-06T22:00")
    assert session.count.table("000008")["state"] == "not_installed"
    with pytest.raises(StoreError, match="no polling table '999999'"):
        session.count.table("999999")


def test_changes_since_an_event(db_url: str, tmp_path: Path) -> None:
    session = Session(db_url)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    before = session.store.head()[0]
    assert session.count.changes(before).to_dict() == {
        "since": before,
        "head": before,
        "next_since": before,
        "more": False,
        "events": [],
        "sheets": [],
        "cases": [],
        "tallies": [],
    }
    rows = changed(sample_rows(), "000007", status="COMPUTADA RESUELTA")  # 000007 enters the count
    rows = changed(rows, "000001", p1=116, null=17)  # 000001 leaves it, observed as a conflict
    session.count.load(write(tmp_path / "b.csv", rows), invalid=InvalidSheets.OBSERVE)
    news = session.count.changes(before)
    assert news.head > before and all(e["event"] > before for e in news.events)
    assert {s["table"]: (s["before"]["state"], s["after"]["state"]) for s in news.sheets} == {
        "000001": ("counted", "observed"),
        "000007": ("observed", "resolved"),
    }
    nation = next(t for t in news.tallies if t["area"] == "PE")
    assert nation["change"]["votes.PL"] == 100 - 115 and nation["change"]["votes.FP"] == 100 - 87
    assert nation["change"]["tables.counted"] == -1 and nation["change"]["tables.resolved"] == 1
    assert "tables.observed" not in nation["change"]  # one in, one out
    district = next(t for t in news.tallies if t["area"] == "140137")
    assert district["change"]["votes.PL"] == 100 - 115
    assert [c["tables"] for c in news.cases] == ["000001"]  # the conflict opened an observation case
    assert news.tallies == session.count.changes(before).tallies  # reading changes nothing
    with pytest.raises(StoreError, match="since: the log has"):
        session.count.changes(news.head + 1)


def test_audit_draws_show_on_the_table(sqlite_db: str, tmp_path: Path) -> None:
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    session.close()
    cli = [sys.executable, "-m", "escrutinio.cli", "--db", sqlite_db, "audit"]
    for step in (["plan", "--risk-limit", "0.2", "--method", "macro", "--record"], ["seed", "73029184650183746529"], ["draw"]):
        done = subprocess.run([*cli, *step], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    session = Session(sqlite_db)
    drawn = {t["table"] for t in session.count.tables() if session.count.table(t["table"])["audit"]}
    assert drawn, "the audit drew no table"
    first = sorted(drawn)[0]
    mention = session.count.table(first)["audit"][0]
    assert mention["type"].startswith("audit.") and mention["round"] == 1 and mention["draws"]
    # A hand count recorded for it shows too (its event's ``ballots`` is a number, not drawn
    # ballots): the first sealed (a commitment, no figure), the second with its figures.
    sheet = session.count.table(first)["current"]
    counts = ",".join(f"{c}={v}" for c, v in sheet["votes"].items()) + f",blank={sheet['blank']},null={sheet['null']}"
    for n, by in ((1, "A. Quispe"), (2, "B. Mamani")):
        entry = ["record", first, "--entry", str(n), "--counts", counts, "--ballots", str(sheet["ballots_cast"]), "--by", by]
        done = subprocess.run([*cli, *entry], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        mentions = Session(sqlite_db).count.table(first)["audit"]
        assert [m["entry"] for m in mentions if "entry" in m] == list(range(1, n + 1))
        assert mentions[-1].get("ballots") == (None if n == 1 else sheet["ballots_cast"]), mentions[-1]


def test_log_export_and_verify(loaded: Session, tmp_path: Path) -> None:
    done = loaded.log.export(tmp_path / "log.jsonl")
    assert done.events == loaded.store.head()[0] and done.head == loaded.store.head()[1]
    report = loaded.log.verify(tmp_path / "log.jsonl")
    assert report.ok and report.compared_with_store and report.national["votes"] == loaded.count.results()[0]["votes"]
    alone = Session(str(tmp_path / "none.db")).log.verify(tmp_path / "log.jsonl")
    assert alone.ok and not alone.compared_with_store
    with pytest.raises(StoreError, match="cannot write the log"):
        loaded.log.export(tmp_path / "no-such-folder" / "log.jsonl")


def test_elections_list_and_show() -> None:
    session = Session()
    names = [e["preset"] for e in session.elections.list()]
    assert "peru-2021-runoff" in names and "bolivia-2019-first-round" in names
    bolivia = session.elections.show("bolivia-2019-first-round")
    assert len(bolivia["choices"]) == 9 and bolivia["rules"]["thresholds"][1] == {"share": ">= 40%", "lead": ">= 10%"}


def test_the_declared_time_without_a_zone_is_the_election_s(sqlite_db: str, tmp_path: Path) -> None:
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 6, 22))
    filed = session.count.table("000007")["cases"][0]["filed_at"]
    assert datetime.fromisoformat(filed.replace("Z", "+00:00")).astimezone(UTC) == datetime(2021, 6, 7, 3, tzinfo=UTC)


def test_sessions_sharing_a_process_read_the_areas_once_while_their_number_holds(
    loaded: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escrutinio.app.count import AREA_ROWS, KnownAreas
    from escrutinio.app.serving import Shared
    from escrutinio.store.reader import Reader

    shared, expected = Shared(loaded.url), loaded.count.results(Level.DISTRICT)
    reads: list[int] = []
    areas = Reader.areas
    monkeypatch.setattr(Reader, "areas", lambda self: reads.append(1) or areas(self))
    for _ in range(3):  # a session a request, as a server opens them
        with Session(loaded.url, shared=shared) as session:
            assert session.count.results(Level.DISTRICT) == expected
    assert len(reads) == 1
    known = shared.cache[AREA_ROWS]
    shared.cache[AREA_ROWS] = KnownAreas.of(known.count - 1, known.rows[:-1])  # kept when there were fewer: read again
    with Session(loaded.url, shared=shared) as session:
        assert session.count.results(Level.DISTRICT) == expected
    assert len(reads) == 2 and shared.cache[AREA_ROWS] == known
