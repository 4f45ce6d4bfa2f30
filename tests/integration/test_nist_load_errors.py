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


@pytest.mark.parametrize("election", [None, "peru-2021-runoff", "chile-2021-first-round"])
@pytest.mark.parametrize("text", ['{"results": [1, 2]}', "[]", '\ufeff{"@type": "ElectionResults.Election"}'])
def test_other_json_is_refused_in_one_line(tmp_path: Path, text: str, election: str | None) -> None:
    other = tmp_path / "other.json"
    other.write_text(text, encoding="utf-8")
    db = tmp_path / "s.db"
    args = ["--db", str(db), "load", str(other), *(["--election", election] if election else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert str(result.exception) == f"{other}: {NOT_A_REPORT}"
    assert not db.exists()


def test_a_report_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    marked = tmp_path / "bom.json"
    marked.write_bytes(b"\xef\xbb\xbf" + json.dumps(report()).encode())
    db = str(tmp_path / "s.db")
    result = CliRunner().invoke(app, ["--db", db, "load", str(marked), "--invalid", "observe"])
    assert result.exit_code == 0, result.output
    with Session(db) as session:
        assert session.count.results()[0]["votes"] == {"A": 6, "B": 4, "C": 0}
