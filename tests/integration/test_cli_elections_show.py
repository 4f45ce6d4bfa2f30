"""``escrutinio elections show`` prints a definition's forensics thresholds, saying which the
definition sets and which are defaults (they change what the anomaly checks list), in every format."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from escrutinio.formats.definition import read_definition_text


def _show(definition: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "elections", "show", definition, *args], capture_output=True, text=True
    )


@pytest.fixture
def definition(tmp_path: Path) -> str:
    path = tmp_path / "runoff.toml"
    text = read_definition_text("peru-2021-runoff")[1]
    path.write_text(text + "\n[forensics]\nturnout = 0.9\nunanimous_votes = 50\n", encoding="utf-8")
    return str(path)


def test_json_names_each_threshold_and_who_set_it(definition: str) -> None:
    out = _show(definition, "--format", "json")
    assert out.returncode == 0, out.stderr
    f = json.loads(out.stdout)["forensics"]
    assert {k: (v["value"], v["set_by"]) for k, v in f.items()} == {
        "turnout": (0.9, "definition"),
        "null_share": (0.25, "default"),
        "unanimous_votes": (50, "definition"),
    }
    assert f["turnout"]["default"] == 1.0 and f["unanimous_votes"]["default"] == 30


def test_table_prints_the_thresholds(definition: str) -> None:
    out = _show(definition)
    assert out.returncode == 0, out.stderr
    lines: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():  # the first line a word starts (a wrapped meaning may start with one too)
        if line.split():
            lines.setdefault(line.split()[0], line.split())
    assert lines["turnout"][1:4] == ["90", "%", "definition"]
    assert lines["null_share"][1:4] == ["25", "%", "default"]
    assert lines["unanimous_votes"][1:3] == ["50", "definition"]


def test_csv_carries_the_choices_then_the_thresholds(definition: str) -> None:
    out = _show(definition, "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["id"] for r in rows if r["section"] == "choice"] == ["PL", "FP"]
    thresholds = {r["id"]: (r["value"], r["set_by"]) for r in rows if r["section"] == "forensics"}
    assert thresholds == {
        "turnout": ("0.9", "definition"),
        "null_share": ("0.25", "default"),
        "unanimous_votes": ("50", "definition"),
    }


def test_a_preset_without_forensics_shows_every_default() -> None:
    out = _show("chile-2021-first-round", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert {v["set_by"] for v in json.loads(out.stdout)["forensics"].values()} == {"default"}


@pytest.mark.parametrize("preset", ["russia-2012-presidential", "russia-2018-presidential"])
def test_the_outcome_line_reads_the_rules_share_base(preset: str) -> None:
    """Russia's law counts shares of all ballots cast (share_base "ballots"), as results says: the
    outcome line said "> 50% of valid votes"."""
    out = _show(preset)
    assert out.returncode == 0, out.stderr
    assert "wins outright with > 50% of ballots cast" in out.stdout and "of valid votes" not in out.stdout, out.stdout
