"""``escrutinio forensics --places FILE``: polling-place coordinates for the count order, through the real CLI.

Before the option, nothing fed the frame's ``latitude``/``longitude``: the projection from the nearest
counted place was reachable only by joining them by hand (test_forensics_real_data.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_forensics_cli import _cli, store  # noqa: F401 (store is the fixture: a Peru sample loaded)
from tests.conftest import DATA, ROOT, need_shared

pytestmark = pytest.mark.shared  # the store fixture is a sample of the Peru runoff file in ../shared

TREP_HALT = "trep_acta.2019.10.20.19.40.57.csv"


@pytest.mark.parametrize(
    ("content", "place"),
    [
        ("table,x\n000001,1\n", ":1: expected a column latitude or lat and longitude or lon; the file has table, x"),
        ("table,lat\n000001,1\n", ":1: expected a column longitude or lon; the file has table, lat"),
        ("Mesa,LAT,LON\n000001,north,1\n", ":2:LAT: expected a number of degrees (a dot for decimals), got 'north'"),
        ("table,latitude,longitude\n000001,-12,nan\n", ":2:longitude: expected a number of degrees"),
        ('table,lat,lon\n000001,"-12,5",-77\n', ":2:lat: expected a number of degrees (a dot for decimals), got '-12,5'"),
        ("table,lat,lon\n000001,90.5,-77\n", ":2:lat: expected degrees from -90 to 90, got '90.5'"),
        ("table,lat,lon\n000001,-12,-180.01\n", ":2:lon: expected degrees from -180 to 180, got '-180.01'"),
        ("table,lat,lon\n000001,,-77\n", ":2:lat: expected a lat beside the lon, or both empty"),
        (
            "table,lat,lon\n000001,-12,-77\n000002,-13,-76\n000001,-12.5,-77\n",
            ":4:lat: table '000001' is given two places' coordinates: -12.0, -77.0 on line 2 and -12.5, -77.0 here",
        ),
        (
            "table,lat,lon\n1,-12,-77\n000001,-12.5,-77\n",
            ":3:lat: table '000001' is given two places' coordinates: -12.0, -77.0 on line 2",
        ),
        ("table,lat,lon,extra\n000001,-12,-77\n", ":2:extra: expected 4 fields as the header has"),
        ("table,lat,lon\n", ":1:table: no table is listed under the header"),
    ],
)
def test_places_files_that_cannot_be_taken_are_one_line_naming_the_place(
    store: Path,  # noqa: F811
    tmp_path: Path,
    content: str,
    place: str,
) -> None:
    path = tmp_path / "places.csv"
    path.write_text(content)
    out = _cli(store, "forensics", "--tests", "count_order", "--places", str(path))
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(f"error: --places: {path}{place}") and out.stderr.count("\n") == 1, out.stderr


def test_places_empty_cells_repeats_and_tables_of_other_elections_are_taken(store: Path, tmp_path: Path) -> None:  # noqa: F811
    """An empty pair is an unknown place, a table given the same place twice is one place, and a table
    not in the election is counted in a note (a file of places can cover more than one contest)."""
    path = tmp_path / "places.csv"
    path.write_text("TABLE,Lat,Lon\n000001,,\n000002,-12.05,-77.04\n000002,-12.05,-77.04\n999998,1,1\n999999,,\n")
    out = _cli(store, "forensics", "--tests", "count_order", "--places", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    notes = json.loads(out.stdout)["notes"]
    assert "2 of the 4 tables in places.csv are not in this election: their coordinates are not used." in notes


def test_places_is_read_even_when_count_order_does_not_run(store: Path, tmp_path: Path) -> None:  # noqa: F811
    """As --order: a file given is checked whatever tests run (the other tests never read it)."""
    path = tmp_path / "places.csv"
    path.write_text("table,lat,lon\n000001,100,1\n")
    out = _cli(store, "forensics", "--tests", "digits", "--places", str(path))
    assert out.returncode == 2 and f"--places: {path}:2:lat: expected degrees" in out.stderr, out.stderr


@pytest.mark.shared
@pytest.mark.slow
def test_forensics_cli_bolivia_halt_with_the_computo_as_places(tmp_path: Path) -> None:
    """Bolivia 2019 with --order the TREP halt and --places the final cómputo as it is (``Número Mesa``,
    ``lat``, ``lon``): each recinto with nothing counted in a municipality with counted recintos is
    projected from its nearest counted recinto, +10.475 (10.299 to 10.662) against the final +10.565,
    explained (without --places: +10.372, 10.196 to 10.559, flagged by 0.006). The result names the
    file and how many late actas stood on a neighbour (1,076 of 5,580)."""
    folder = DATA / "bolivia-2019-first-round"
    db = tmp_path / "b.db"
    computo = need_shared(folder / "final_computo.csv.gz")
    loaded = _cli(db, "load", str(computo), "--election", "bolivia-2019-first-round")
    assert loaded.returncode == 0, loaded.stderr
    trep = need_shared(folder / TREP_HALT)
    out = _cli(db, "forensics", "--tests", "count_order", "--order", str(trep), "--places", str(computo), "--format", "json")
    assert out.returncode == 0, out.stderr
    (r,) = [x for x in json.loads(out.stdout)["results"] if x["name"] == "count_order.projection"]
    e = r["estimates"]
    assert e["projected_margin_points"] == pytest.approx(10.475, abs=0.001)
    assert (e["low"], e["high"]) == pytest.approx((10.299, 10.662), abs=0.001), e
    assert e["places"] == {
        "source": "final_computo.csv.gz",
        "tables_located": 34_555,
        "tables_without_coordinates": 0,
        "late_tables_from_nearest_place": 1_076,
    }
    assert r["flagged"] is False and "explained by where the late tables are" in r["wording"]
    assert (
        "1,076 of the 5,580 tables still to count were projected from the nearest counted polling place, by the "
        "coordinates in final_computo.csv.gz, the file given: taken as that file gives them; where they come from "
        "is for it to say; every one of the election's 34,555 tables has coordinates."
    ) in r["wording"]


def test_the_docs_places_command_and_the_readme_name_options_the_cli_has(store: Path) -> None:  # noqa: F811
    """docs/forensics.md's count-order command with --places, and the README's forensics lines, use
    options ``escrutinio forensics`` has (the CLI had no --places)."""
    docs = (ROOT / "docs" / "forensics.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"`(escrutinio --db bo\.db forensics [^`]*--places [^`]*)`", docs.replace("\n", " "))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`--places CSV`" in readme
    helped = _cli(store, "forensics", "--help")
    assert helped.returncode == 0, helped.stderr
    for option in re.findall(r"--[a-z]+", command.split(" forensics ", 1)[1]):
        assert option in helped.stdout, option
