"""`escrutinio load` on JSON files: a report with a byte order mark is read, any other JSON
document is refused in one line that says what was expected (never a CSV reader's words)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.formats.test_nist_cdf import report
from typer.testing import CliRunner

from escrutinio.app import Session
from escrutinio.cli import app

NOT_A_REPORT = 'a JSON file, but not a NIST SP 1500-100 ElectionReport (no "@type": "ElectionResults.ElectionReport" at $)'


EMPTY = "an empty file, expected a NIST SP 1500-100 ElectionReport (JSON)"
"""Not a CSV reader's "expected a header line and rows": a .json file is meant as a report."""

OTHER_JSON = ['{"results": [1, 2]}', "[]", '\ufeff{"@type": "ElectionResults.Election"}', "42", '"x"']


@pytest.mark.parametrize("election", [None, "peru-2021-runoff", "chile-2021-first-round"])
@pytest.mark.parametrize(("text", "message"), [*((t, NOT_A_REPORT) for t in OTHER_JSON), ("", EMPTY), (" \n\t\n", EMPTY)])
def test_other_json_is_refused_in_one_line(tmp_path: Path, text: str, message: str, election: str | None) -> None:
    other = tmp_path / "other.json"
    other.write_text(text, encoding="utf-8")
    db = tmp_path / "s.db"
    args = ["--db", str(db), "load", str(other), *(["--election", election] if election else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert str(result.exception) == f"{other}: {message}"
    assert not db.exists()


def test_a_report_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    marked = tmp_path / "bom.json"
    marked.write_bytes(b"\xef\xbb\xbf" + json.dumps(report()).encode())
    db = str(tmp_path / "s.db")
    result = CliRunner().invoke(app, ["--db", db, "load", str(marked), "--invalid", "observe"])
    assert result.exit_code == 0, result.output
    with Session(db) as session:
        assert session.count.results()[0]["votes"] == {"A": 6, "B": 4, "C": 0}


def _load(tmp_path: Path, rep: dict, *args: str) -> tuple[int, str]:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(rep), encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "load", str(path), *args])
    return result.exit_code, str(result.exception) if result.exit_code else result.output


def test_counting_rule_errors_name_the_json_path_and_the_table(tmp_path: Path) -> None:
    """Not "file:7:BallotsCast" (the unit's position taken for a line): the value's JSON path,
    in the style of the schema's problems, and the table it belongs to."""
    rep = report()
    ballots = rep["Election"][0]["BallotCounts"]
    cast_at = {b["GpUnitId"]: i for i, b in enumerate(ballots) if b["Type"] == "total"}
    units = rep["GpUnit"]
    units[[u["@id"] for u in units].index("table-000001")]["VotersRegistered"] = 5  # 8 ballots cast
    code, message = _load(tmp_path, rep)
    assert code == 1
    where = f"{tmp_path / 'report.json'}:$.Election[0].BallotCounts"
    assert message.splitlines() == [
        f"{where}[{cast_at['table-000001']}].BallotsCast: table 000001: ballots cast 8 exceed the 5 registered electors",
        f"{where}[{cast_at['table-000004']}].BallotsCast: table 000004: "
        "votes 4 + blank 1 + null 0 + challenged 0 = 5, but ballots cast = 6 (arithmetic error)",
    ]
    assert not (tmp_path / "s.db").exists()


def test_a_unit_not_on_the_roll_is_named_by_its_path(tmp_path: Path) -> None:
    rep = report()
    assert _load(tmp_path, rep, "--invalid", "observe")[0] == 0
    rep["GpUnit"][-1]["@id"] = "table-000099"
    rep["GpUnit"][2]["ComposingGpUnitIds"][-1] = "table-000099"
    contest = rep["Election"][0]["Contest"][0]
    counts = [*rep["Election"][0]["BallotCounts"], *contest["OtherCounts"]]
    for b in [*counts, *(c for s in contest["ContestSelection"] for c in s["VoteCounts"])]:
        if b["GpUnitId"] == "table-000004":
            b["GpUnitId"] = "table-000099"
    code, message = _load(tmp_path, rep, "--invalid", "observe")
    assert code == 1
    last = len(rep["GpUnit"]) - 1
    assert message == (
        f"{tmp_path / 'report.json'}:$.GpUnit[{last}]: table 000099 is not on the roll (pass new_tables to register it)"
    )


def test_area_totals_against_their_tables_are_listed_by_the_load_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.formats.test_nist_reader import _tampered

    monkeypatch.delenv("COLUMNS", raising=False)  # whole lines, as a script reading the output gets them
    code, output = _load(tmp_path, _tampered(), "--invalid", "observe")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[1] == "2 observations on the file's totals (recorded in the log with its sheets):"
    assert lines[2].endswith(
        "report.json:$.GpUnit[0]: area PE (country): its counts differ from the sum of its 4 lowest units: "
        "VoteCounts of choice-A 7 but its units' 6; BallotCounts valid 10 but its VoteCounts add up to 11"
    )
    department = "$.GpUnit[1]: area 01 (department): its counts differ from the sum of its 4 lowest units: "
    department += "BallotsCast 25 but its units' 24"
    assert lines[3].endswith(f"report.json:{department}")
    with Session(str(tmp_path / "s.db")) as session:
        events = [json.loads(line) for line in session.store.event_lines()]
        assert session.count.results()[0]["votes"] == {"A": 6, "B": 4, "C": 0}  # the tables' figures
    recorded = [e["data"]["source"] for e in events if e["type"] == "sheets.recorded"]
    assert recorded[0]["observed"] == 2
    assert recorded[0]["observations"][1] == department
