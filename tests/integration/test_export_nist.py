"""NIST SP 1500-100 export and import on the real runoff: valid under the official schema,
the same figures as ``results`` at every level, and the same results after a round trip."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.integration.generic_presets import PRESETS
from typer.testing import CliRunner

from escrutinio.app import Session
from escrutinio.cli import app
from escrutinio.count.options import Level
from escrutinio.formats.nist_schema import schema_problems

pytestmark = pytest.mark.shared
LEVELS = ("national", "department", "province", "district")


@pytest.fixture(scope="module")
def runoff_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.conftest import RUNOFF, need_shared

    db = str(tmp_path_factory.mktemp("runoff") / "runoff.db")
    with Session(db) as session:
        session.count.load(need_shared(RUNOFF), "peru-2021-runoff")
    return db


@pytest.fixture(scope="module")
def runoff_report(runoff_store: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "runoff.json"
    result = CliRunner().invoke(app, ["--db", runoff_store, "export", "--format", "nist-cdf", "--validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "valid under the official NIST schema" in result.output and "88,874 units down to table" in result.output
    return out


def unit_figures(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per unit id: votes (total), cast, valid, blank, null, observed votes."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"votes": {}, "observed": {}})
    election = report["Election"][0]
    contest = election["Contest"][0]
    for selection in contest["ContestSelection"]:
        choice = selection["@id"].removeprefix("choice-")
        for v in selection["VoteCounts"]:
            block = "votes" if v["Type"] == "total" else v["OtherType"]
            out[v["GpUnitId"]].setdefault(block, {})[choice] = v["Count"]
    for b in election["BallotCounts"]:
        out[b["GpUnitId"]][b["Type"] if b["Type"] == "total" else b["OtherType"]] = b["BallotsCast"]
    for o in contest["OtherCounts"]:
        out[o["GpUnitId"]]["blank"], out[o["GpUnitId"]]["null"] = o["Undervotes"], o["Overvotes"]
    return out


def test_export_is_valid_and_equals_results_at_every_level(runoff_store: str, runoff_report: Path) -> None:
    report = orjson.loads(runoff_report.read_bytes())
    assert schema_problems(report) == ([], 0)
    figures = unit_figures(report)
    units = {u["@id"]: u for u in report["GpUnit"]}
    with Session(runoff_store) as session:
        compared = 0
        for level in LEVELS:
            for r in session.count.results(Level(level)):
                gp = f"area-{r['area']}"
                f = figures[gp]
                assert f["votes"] == r["votes"], gp
                assert (f["total"], f["valid"], f["blank"], f["null"]) == (
                    r["ballots_cast"],
                    r["valid"],
                    r["blank"],
                    r["null"],
                ), gp
                assert f["observed"] == (r["provisional"]["votes"] if r["provisional"]["tables"] else {}), gp
                assert units[gp]["VotersRegistered"] == r["electors"]
                assert units[gp]["TotalSubUnits"] == r["tables"]["total"]
                assert units[gp]["SubUnitsReported"] == r["tables"]["total"] - r["tables"]["observed"] - r["tables"]["pending"]
                compared += 1
        assert compared == 1 + 2385  # the nation and every area
        nation = figures["area-PE"]
        assert nation["votes"] == {"PL": 8_834_440, "FP": 8_790_091}
        assert nation["observed"] == {"PL": 1_530, "FP": 1_639}
        # The tables' totals add up to the nation's.
        tables = [gp for gp, u in units.items() if u["Type"] == "precinct"]
        assert len(tables) == 86_488
        assert sum(figures[t]["votes"].get("PL", 0) for t in tables) == 8_834_440
        assert sum(figures[t]["null"] for t in tables) == 1_106_523
        assert sum(figures[t]["total"] for t in tables) == 18_852_516
        # Stable ids: a second export has the same units and counts.
        again = session.export.nist_report("table", generated=None)
    again["GeneratedDate"] = report["GeneratedDate"]
    assert again == report


def test_level_limits_the_units(runoff_store: str) -> None:
    with Session(runoff_store) as session:
        report = session.export.nist_report("province")
    assert report["Format"] == "summary-contest" and schema_problems(report) == ([], 0)
    # The nation and the countries abroad are the schema's "country"; the rest are named by OtherType.
    kinds = {u.get("OtherType", u["Type"]) for u in report["GpUnit"]}
    assert kinds == {"country", "department", "province", "continent"}
    assert len(report["GpUnit"]) == 304  # the nation and every area of the first two levels


PROVENANCE = frozenset({"basis", "event", "registered_event", "line", "log"})
"""Fields that say where a figure came from in a store's own log, not what it is: the copy's
log is its own (event numbers, head), its sheets come from the report (basis
``source:nist:<state>``, line = the unit's position in GpUnit). docs/open-data.md lists them."""


def _differences(a: Any, b: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path at which two results differ, field by field (provenance left out)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [(*path, "keys")]
        return [d for k in a if k not in PROVENANCE for d in _differences(a[k], b[k], (*path, k))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, (*path, i))]
    return [] if a == b else [path]


def assert_round_trip(original_db: str, report: Path, tmp_path: Path, copy: str | None = None) -> None:
    """A new store loaded from the report (no --election: the report carries its definition)
    holds the very same definition and gives the original's results at every level, every
    field of every row compared (the proclaimed result, the outcome and its law included):
    only the provenance of its own log differs (:data:`PROVENANCE`)."""
    copy = copy or str(tmp_path / "copy.db")
    with Session(copy) as session:
        summary = session.count.load(report)
        assert summary.rows == summary.new_tables > 0
        assert (summary.observed, summary.observations) == (0, [])  # every area's totals are its tables'
    with Session(original_db) as original, Session(copy) as imported:
        assert imported.reader.definition_text() == original.reader.definition_text()
        assert imported.election() == original.election()
        assert imported.count.contest() == original.count.contest()
        for level in (*LEVELS[: len(original.election().levels) + 1], "table"):
            a, b = original.count.results(Level(level)), imported.count.results(Level(level))
            assert len(a) == len(b) > 0, level
            assert _differences(a, b) == [], level
        tables = imported.count.results(Level("table"))
        assert {t["basis"] for t in tables} == {f"source:nist:{t['state']}" for t in tables}


def test_runoff_round_trip_gives_identical_results_at_every_level(runoff_store: str, runoff_report: Path, tmp_path: Path) -> None:
    assert_round_trip(runoff_store, runoff_report, tmp_path)
    with Session(runoff_store) as original, Session(str(tmp_path / "copy.db")) as imported:
        assert imported.count.results()[0]["outcome"] == original.count.results()[0]["outcome"]


OTHERS = {
    "peru-first-round": ("peru-2021-first-round", "FIRST_ROUND"),
    "bolivia": (PRESETS["bolivia"][0], PRESETS["bolivia"][1]),
    "chile": (PRESETS["chile"][0], PRESETS["chile"][1]),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(OTHERS))
def test_other_elections_export_valid_and_round_trip(name: str, tmp_path: Path) -> None:
    import tests.conftest as conftest

    preset, file = OTHERS[name]
    path = conftest.need_shared(getattr(conftest, file) if isinstance(file, str) else file)
    db = str(tmp_path / "original.db")
    with Session(db) as session:
        session.count.load(path, preset)
        report = session.export.nist_report("table")
        assert schema_problems(report) == ([], 0)
        out = tmp_path / "report.json"
        out.write_bytes(orjson.dumps(report))
    assert_round_trip(db, out, tmp_path)


def test_load_checks_the_report_against_the_election_named(runoff_report: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "named.db")
    result = runner.invoke(app, ["--db", db, "load", str(runoff_report), "--election", "peru-2021-first-round"])
    assert result.exit_code == 1
    assert '$.Election[0].ExternalIdentifier: the report\'s election is "peru-2021-runoff"' in str(result.exception)
    assert not Path(db).exists()
    result = runner.invoke(app, ["--db", db, "load", str(runoff_report), "--election", "peru-2021-runoff"])
    assert result.exit_code == 0, result.output
    with Session(db) as session:
        nation = session.count.results()[0]
        assert nation["votes"] == {"PL": 8_834_440, "FP": 8_790_091}
        assert nation["proclaimed"]["source"].startswith("JNE resolution 0750-2021-JNE")  # the preset's, kept
    again = runner.invoke(app, ["--db", db, "load", str(runoff_report)])  # the same file twice changes nothing
    assert again.exit_code == 0 and "; 0 events;" in again.output, again.output


def test_a_report_failing_the_schema_is_refused_and_nothing_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(
        orjson.dumps(
            {"@type": "ElectionResults.ElectionReport", "Format": "precinct-level", "Status": "final", "GpUnit": [{"@id": 1}]}
        )
    )
    db = tmp_path / "bad.db"
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(bad)])
    assert result.exit_code == 1
    lines = str(result.exception).splitlines()
    assert f'{bad}:$: expected the property "GeneratedDate" (required here), found none' in lines
    assert any(line.startswith(f'{bad}:$.Status: expected one of "certified", "correction", ') for line in lines)
    assert any(line.startswith(f"{bad}:$.GpUnit[0]") for line in lines)
    assert not db.exists()


@pytest.mark.postgres
def test_export_and_import_on_postgresql(tmp_path: Path) -> None:
    """The same on PostgreSQL stores (Bolivia 2019: 34,000 tables, nine choices)."""
    from tests.conftest import fresh_pg_database, need_shared

    preset, file, _sums = PRESETS["bolivia"]
    original = fresh_pg_database()
    with Session(original) as session:
        session.count.load(need_shared(file), preset)
        out = tmp_path / "bolivia.json"
        summary = session.export.write("nist-cdf", out, validate=True)
        assert summary.validated
    assert_round_trip(original, out, tmp_path, copy=fresh_pg_database())
