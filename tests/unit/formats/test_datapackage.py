"""Frictionless data package: files, Table Schemas and keys, checked by frictionless itself."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from tests.unit.formats.test_nist_cdf import AREAS, ELECTION, TABLES

from escrutinio.formats.datapackage import descriptor, resources

frictionless = pytest.importorskip("frictionless", reason="frictionless is a test extra")

CASES = [
    {"number": "NUL-000001", "kind": "nullity_request", "status": "filed", "filer": "A", "tables": "000001,000002"},
    {"number": "OBS-000001", "kind": "observation", "status": "admitted", "filer": "ONPE", "tables": "000003"},
]


def levels(areas: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    names = ("national", *ELECTION.levels)
    return {name: [a for a in areas if a["area"] == code] for name, code in zip(names, ("PE", "01", "0101"), strict=True)}


def write(folder: Path, files: list[Any], cases: list[dict[str, Any]] = CASES) -> Path:
    for f in files:
        with open(folder / f.path, "w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(f.header)
            w.writerows(f.rows)
    path = folder / "datapackage.json"
    sources = [{"title": "escrutinio event log"}]
    path.write_text(json.dumps(descriptor(ELECTION, files, created="2021-06-18T12:00:00Z", sources=sources)))
    return path


def test_package_is_valid_with_keys_down_the_tree(tmp_path: Path) -> None:
    files = resources(ELECTION, levels(AREAS), TABLES, CASES)
    assert [f.name for f in files] == [
        "results-national",
        "results-department",
        "results-city",
        "tables",
        "docket",
        "docket-tables",
    ]
    keys = {f.name: f.descriptor()["schema"].get("foreignKeys") for f in files}
    assert keys["tables"] == [{"fields": "area", "reference": {"resource": "results-city", "fields": "area"}}]
    assert keys["results-city"][0]["reference"]["resource"] == "results-department"
    assert keys["docket-tables"][1]["reference"] == {"resource": "tables", "fields": "table"}
    report = frictionless.validate(str(write(tmp_path, files)))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert package["name"] == "tiny" and package["licenses"][0]["name"] == "ODC-PDDL-1.0"
    assert next(f for f in files if f.name == "docket-tables").rows == [
        ("NUL-000001", "000001"),
        ("NUL-000001", "000002"),
        ("OBS-000001", "000003"),
    ]


def test_a_table_in_no_known_area_fails_its_foreign_key(tmp_path: Path) -> None:
    tables = {**TABLES, "area": ["0101", "0101", "0101", "9999"]}
    report = frictionless.validate(str(write(tmp_path, resources(ELECTION, levels(AREAS), tables, CASES))))
    assert not report.valid
    assert any(e.type == "foreign-key" for task in report.tasks for e in task.errors)


def test_a_negative_count_fails_its_field(tmp_path: Path) -> None:
    tables = {**TABLES, "cast": [8, 10, 9, -6]}
    report = frictionless.validate(str(write(tmp_path, resources(ELECTION, levels(AREAS), tables, CASES))))
    assert not report.valid
    assert any(e.type == "constraint-error" for task in report.tasks for e in task.errors)
