"""The runoff as a Frictionless data package: valid under frictionless, the same figures as results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escrutinio.app import Session
from escrutinio.cli import app
from escrutinio.count.options import Level

pytestmark = pytest.mark.shared
frictionless = pytest.importorskip("frictionless", reason="frictionless is a test extra")


def test_runoff_package_is_valid_and_equals_results(tmp_path: Path) -> None:
    from tests.conftest import RUNOFF, need_shared

    db = str(tmp_path / "runoff.db")
    with Session(db) as session:
        session.count.load(need_shared(RUNOFF), "peru-2021-runoff")
    out = tmp_path / "open-data"
    result = CliRunner().invoke(app, ["--db", db, "export", "--format", "csv", "--validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "valid under frictionless validate" in result.output
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid
    package = json.loads((out / "datapackage.json").read_text())
    names = [r["name"] for r in package["resources"]]
    assert names == [
        "results-national",
        "results-department",
        "results-province",
        "results-district",
        "tables",
        "docket",
        "docket-tables",
    ]
    with Session(db) as session:
        for name, level in zip(names[:4], ("national", "department", "province", "district"), strict=True):
            with open(out / f"{name}.csv", encoding="utf-8") as f:
                rows = {r["area"]: r for r in csv.DictReader(f)}
            expected = session.count.results(Level(level))
            assert len(rows) == len(expected)
            for r in expected:
                row = rows[r["area"]]
                assert int(row["votes.PL"]) == r["votes"]["PL"] and int(row["votes.FP"]) == r["votes"]["FP"]
                assert (int(row["ballots_cast"]), int(row["null"]), int(row["tables.total"])) == (
                    r["ballots_cast"],
                    r["null"],
                    r["tables"]["total"],
                )
        with open(out / "tables.csv", encoding="utf-8") as f:
            tables = list(csv.DictReader(f))
        assert len(tables) == 86_488
        assert sum(int(t["v_PL"]) for t in tables if t["state"] in ("counted", "resolved")) == 8_834_440
        with open(out / "docket.csv", encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == len(session.store.case_rows()) == 20


def test_level_is_refused_for_a_package(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "x.db"), "export", "--format", "csv", "--level", "district", str(tmp_path)]
    )
    assert result.exit_code == 1 and "level: a data package holds every level" in str(result.exception)
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "datapackage.json").exists()
