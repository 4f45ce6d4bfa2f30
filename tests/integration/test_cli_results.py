"""The counting commands read well in an 80- or 100-column terminal: no figure is ever cut,
a single area is one row per choice, listings show the leading choices and "others", a table id
given as an area points to the table view, and every command that prints data speaks JSON and
CSV too."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import need_shared
from tests.integration.generic_presets import PRESETS
from tests.onpe_sample import write

from escrutinio.app import Session

CUT_FIGURE = re.compile(r"\d…|…\d|^\s*…")


def run(db: Path | str, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", str(db), *args], capture_output=True, text=True, env=env
    )


def readable(out: subprocess.CompletedProcess[str], columns: int) -> str:
    assert out.returncode == 0, out.stderr
    for line in out.stdout.splitlines():
        assert len(line) <= columns, f"line wider than {columns}: {line!r}"
        assert not CUT_FIGURE.search(line), f"a figure is cut: {line!r}"
    return out.stdout


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    db = folder / "s.db"
    session = Session(str(db))
    session.count.load(write(folder / "s.csv"), "peru-2021-runoff")
    session.close()
    return db


@pytest.mark.parametrize("columns", [80, 100])
def test_results_fit_the_terminal(sample_db: Path, columns: int) -> None:
    nation = readable(run(sample_db, "results", columns=columns), columns)
    assert re.search(r"^PL\s.*\s455\s", nation, re.M) and re.search(r"^FP\s.*\s487\s", nation, re.M)  # one row a choice
    assert "ballots cast" in nation and "in the count 7" in nation
    listing = readable(run(sample_db, "results", "--level", "department", columns=columns), columns)
    assert re.search(r"^14\s+LIMA\s", listing, re.M)
    readable(run(sample_db, "results", "--level", "table", "--area", "14", columns=columns), columns)
    readable(run(sample_db, "status", columns=columns), columns)
    readable(run(sample_db, "table", "000007", columns=columns), columns)
    readable(run(sample_db, "changes", "--since", "1", columns=columns), columns)


def test_a_table_id_as_an_area_points_to_the_table_view(sample_db: Path) -> None:
    out = run(sample_db, "results", "--level", "table", "--area", "000004")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip() == "error: --area: 000004 is a polling table, not an area: show it with `escrutinio table 000004`"
    unknown = run(sample_db, "results", "--level", "table", "--area", "99")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: --area: no area '99'")
    bad = run(sample_db, "results", "--level", "galaxy")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --level: expected one of this election's levels (national, ")
    since = run(sample_db, "changes", "--since", "-3")
    assert since.returncode == 2 and since.stderr.startswith("error: --since: expected an event number")


@pytest.mark.parametrize(
    "args",
    [
        ("results",),
        ("results", "--level", "district"),
        ("results", "--level", "table", "--area", "24"),
        ("status",),
        ("table", "000001"),
        ("changes", "--since", "0"),
        ("elections",),
        ("elections", "show", "peru-2021-runoff"),
    ],
)
def test_every_data_command_speaks_json_and_csv(sample_db: Path, args: tuple[str, ...]) -> None:
    as_json = run(sample_db, *args, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)
    as_csv = run(sample_db, *args, "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows and all(len(r) == len(rows[0]) for r in rows)


def test_log_export_speaks_json(sample_db: Path, tmp_path: Path) -> None:
    out = run(sample_db, "log", "export", str(tmp_path / "l.jsonl"), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["events"] == len((tmp_path / "l.jsonl").read_text(encoding="utf-8").splitlines())
    verified = json.loads(run(sample_db, "verify", str(tmp_path / "l.jsonl"), "--format", "json").stdout)
    assert verified["ok"] and verified["compared_with_store"]


@pytest.mark.shared
def test_bolivia_s_nine_choices_read_at_80_columns(tmp_path: Path) -> None:
    preset, path, _checks = PRESETS["bolivia"]
    db = tmp_path / "b.db"
    load = run(db, "load", str(need_shared(path)), "--election", preset, "--invalid", "observe")
    assert load.returncode == 0, load.stderr
    nation = readable(run(db, "results"), 80)
    for choice in ("MAS", "CC", "PDC", "21F", "MTS", "MNR", "PANBOL", "UCS", "FPV"):
        assert re.search(rf"^{choice}\s", nation, re.M), choice
    assert "2,889,359" in nation and "2,240,920" in nation
    listing = readable(run(db, "results", "--level", "department"), 80)
    header = listing.splitlines()[1].split()
    assert header[:4] == ["area", "name", "MAS", "CC"] and "others" in header
    wide = readable(run(db, "results", "--level", "department", columns=100), 100)
    assert len(wide.splitlines()[1].split()) > len(header)  # more room, more choices


@pytest.mark.shared
def test_peru_national_figures_are_whole_at_80_columns(runoff_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert run(db, "load", str(runoff_file), "--election", "peru-2021-runoff").returncode == 0
    nation = readable(run(db, "results"), 80)
    assert "8,834,440" in nation and "8,790,091" in nation and "18,852,516" in nation
    listing = readable(run(db, "results", "--level", "department"), 80)
    assert "2,194,521" in listing and "4,012,814" in listing  # Lima


@pytest.mark.shared
def test_chile_s_regions_show_their_id_and_their_name_apart(tmp_path: Path) -> None:
    """Chile's file codes its regions by their names: the listing showed the name alone under
    ``area``; every level of every election shows the id under ``area`` and the name in its own column."""
    preset, path, _checks = PRESETS["chile"]
    db = tmp_path / "c.db"
    assert run(db, "load", str(need_shared(path)), "--election", preset).returncode == 0
    for level in ("region", "district"):
        listing = readable(run(db, "results", "--level", level, columns=160), 160)
        assert listing.splitlines()[1].split()[:2] == ["area", "name"], listing
    rows = json.loads(run(db, "results", "--level", "region", "--format", "json").stdout)
    region = next(r for r in rows if r["level"] == "region" and r["name"] == "DE ANTOFAGASTA")
    assert region["area"] == "DE ANTOFAGASTA"  # the file's own code for the region (its name path)
