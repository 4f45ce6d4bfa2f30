"""Export options: a data package names the licence its publisher chose (an SPDX id from a known
list); an export into a folder that does not exist is refused, creating nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.formats.test_nist_cdf import report
from typer.testing import CliRunner

from escrutinio.app import Session
from escrutinio.cli import app
from escrutinio.cli_common import exit_status


@pytest.fixture
def tiny_store(tmp_path: Path) -> str:
    source = tmp_path / "tiny.json"
    source.write_text(json.dumps(report()))
    db = str(tmp_path / "tiny.db")
    with Session(db) as session:
        session.count.load(source, invalid="observe")  # one sheet of it breaks a rule
    return db


def test_the_licence_named_is_in_the_descriptor(tiny_store: str, tmp_path: Path) -> None:
    out = tmp_path / "package"
    result = CliRunner().invoke(app, ["--db", tiny_store, "export", "--format", "csv", "--licence", "CC-BY-4.0", str(out)])
    assert result.exit_code == 0, result.output
    licences = json.loads((out / "datapackage.json").read_text())["licenses"]
    assert licences == [
        {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "Creative Commons Attribution 4.0"}
    ]


def test_the_default_is_the_public_domain_dedication(tiny_store: str, tmp_path: Path) -> None:
    with Session(tiny_store) as session:
        descriptor, _files = session.export.datapackage()
    assert [lic["name"] for lic in descriptor["licenses"]] == ["ODC-PDDL-1.0"]


@pytest.mark.parametrize(
    ("fmt", "licence", "message"),
    [
        (
            "csv",
            "MIT-ish",
            'licence: expected one of ODC-PDDL-1.0, CC0-1.0, ODC-BY-1.0, CC-BY-4.0, ODbL-1.0, got "MIT-ish"',
        ),
        ("nist-cdf", "CC0-1.0", "licence: an ElectionReport carries no licence"),
    ],
)
def test_a_licence_refused_writes_nothing(tiny_store: str, tmp_path: Path, fmt: str, licence: str, message: str) -> None:
    out = tmp_path / ("out.json" if fmt == "nist-cdf" else "package")
    result = CliRunner().invoke(app, ["--db", tiny_store, "export", "--format", fmt, "--licence", licence, str(out)])
    assert result.exit_code != 0
    assert exit_status(result.exception) == 2  # a value the option does not take: a usage error, as a bad --format is
    assert message in str(result.exception) + result.output
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["nist-cdf", "csv"])
def test_an_export_into_a_missing_folder_creates_nothing(tiny_store: str, tmp_path: Path, fmt: str) -> None:
    missing = tmp_path / "no-such-folder"
    out = missing / ("x.json" if fmt == "nist-cdf" else "package")
    result = CliRunner().invoke(app, ["--db", tiny_store, "export", "--format", fmt, str(out)])
    assert result.exit_code == 1
    assert f"the folder {missing} does not exist; create it first" in str(result.exception) + result.output
    assert not missing.exists()


def test_format_csv_writes_the_data_package_and_datapackage_is_its_alias(tiny_store: str, tmp_path: Path) -> None:
    """The issue's `export --format csv` (the CSV of every command that prints data is
    `--format csv`); `--format datapackage`, its first name, writes the same package."""
    written = {}
    for fmt in ("csv", "datapackage"):
        out = tmp_path / fmt
        result = CliRunner().invoke(app, ["--db", tiny_store, "export", "--format", fmt, str(out)])
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"{out}: csv, ")
        descriptor = json.loads((out / "datapackage.json").read_text())
        descriptor.pop("created")
        written[fmt] = (descriptor, {f.name: f.read_bytes() for f in sorted(out.glob("*.csv"))})
    assert written["csv"] == written["datapackage"]
    assert "results-national.csv" in written["csv"][1]
    help_text = CliRunner().invoke(app, ["export", "--help"]).output
    assert "csv (a data package; datapackage is another name" in " ".join(help_text.split())
    result = CliRunner().invoke(app, ["--db", tiny_store, "export", "--format", "tsv", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert (
        'format: expected one of nist-cdf, csv, record-jsonl, record-parquet (datapackage is csv), got "tsv"'
        in str(result.exception) + result.output
    )
