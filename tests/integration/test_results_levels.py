"""``results --level`` takes the election's own names for its levels (Chile's region and district,
Peru's department, province and district), in the application, the CLI, the API and the pages:
a name the election does not give is refused in one line listing those it does, and each
area's row is named by its level's name, not by its position in Peru's geography."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import DATA, need_shared
from tests.unit.formats.test_formats_generic import DEFINITION, csv_file

from escrutinio.api.app import create_app
from escrutinio.app import EscrutinioError, Session

REFUSED = "level: expected one of this election's levels"
SJL = "area: 140101 (SAN JUAN DE LURIGANCHO, a district)"


@pytest.fixture
def two_levels(db_url: str, tmp_path: Path) -> str:
    """A store of an election whose levels are ``region`` and ``town`` (on each engine)."""
    definition = tmp_path / "two-levels.toml"
    definition.write_text(DEFINITION, encoding="utf-8")
    with Session(db_url) as session:
        session.count.load(csv_file(tmp_path), str(definition))
    return db_url


def cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True)


def test_the_application_takes_the_election_s_level_names(two_levels: str) -> None:
    with Session(two_levels) as session:
        regions = session.count.results("region")
        towns = session.count.results("town")
        in_norte = session.count.results("town", "Norte")
        tables = session.count.results("table", "Norte")
        lineage = session.count.lineage("Norte/Bajo")
        with pytest.raises(EscrutinioError) as refused:
            session.count.results("province")
    assert [(r["area"], r["level"]) for r in regions] == [("Norte", "region"), ("Sur", "region")]
    assert [(r["area"], r["level"]) for r in towns] == [("Norte/Alto", "town"), ("Norte/Bajo", "town"), ("Sur/Llano", "town")]
    assert [r["area"] for r in in_norte] == ["Norte/Alto", "Norte/Bajo"]
    assert [r["votes"] for r in regions] == [{"A": 70, "B": 60}, {"A": 60, "B": 30}]  # Bajo/1 annulled
    assert sorted(t["table"] for t in tables) == ["Alto/1", "Alto/2", "Bajo/1"]
    assert [step["level"] for step in lineage] == ["national", "region", "town"]
    assert refused.value.field == "level" and getattr(refused.value, "rule", None) == "invalid"
    assert str(refused.value) == f"{REFUSED} (national, region, town, table), got 'province'"


def test_the_cli_lists_the_election_s_levels_when_refusing_a_name(two_levels: str) -> None:
    listing = cli(two_levels, "results", "--level", "town")
    assert listing.returncode == 0, listing.stderr
    assert "results by town" in listing.stdout and "Norte/Bajo" in listing.stdout
    refused = cli(two_levels, "results", "--level", "district")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == f"error: --{REFUSED} (national, region, town, table), got 'district'\n"


def test_the_api_and_the_pages_take_the_election_s_level_names(two_levels: str) -> None:
    with TestClient(create_app(two_levels)) as client:
        towns = client.get("/api/v1/results", params={"level": "town", "area": "Norte"})
        refused = client.get("/api/v1/results", params={"level": "department"})
        nation = client.get("/?lang=en")  # lists the areas of the first level: the regions
        region = client.get("/areas/Norte?lang=en")
    assert towns.status_code == 200 and [r["area"] for r in towns.json()] == ["Norte/Alto", "Norte/Bajo"]
    error = refused.json()["error"]
    assert refused.status_code == 422 and error["field"] == "level" and "--" not in error["message"]
    assert "(national, region, town, table)" in error["message"]
    assert nation.status_code == 200 and 'href="/areas/Sur"' in nation.text and "level=region" in nation.text
    assert region.status_code == 200 and 'href="/areas/Norte/Bajo"' in region.text


def test_an_export_stops_at_a_level_named_as_the_election_names_it(two_levels: str) -> None:
    with Session(two_levels) as session:
        regions = session.export.nist_report("region")
        towns = session.export.nist_report("town")
        with pytest.raises(EscrutinioError) as refused:
            session.export.nist_report("district")
    assert [u["@id"] for u in regions["GpUnit"]] == ["area-TR", "area-Norte", "area-Sur"]
    assert [u["@id"] for u in towns["GpUnit"]][3:] == ["area-Norte/Alto", "area-Norte/Bajo", "area-Sur/Llano"]
    assert refused.value.field == "level" and "(national, region, town, table)" in str(refused.value)
    done = cli(two_levels, "--errors", "json", "export", "x.json", "--level", "province")
    assert done.returncode == 2 and json.loads(done.stderr)["error"]["option"] == "--level"


@pytest.mark.shared
def test_chile_s_regions_and_districts_by_their_names(tmp_path: Path) -> None:
    from tests.integration.generic_presets import PRESETS

    preset, path, sums = PRESETS["chile"]
    db = str(tmp_path / "chile.db")
    with Session(db) as session:
        session.count.load(need_shared(path), preset)
        nation = session.count.results()[0]
        regions = session.count.results("region")
        districts = session.count.results("district")
    assert {c: nation["votes"][c] for c in sums} == sums
    assert len(regions) == 16 and {r["level"] for r in regions} == {"region"}
    assert len(districts) == 679 and {r["level"] for r in districts} == {"district"}
    for rows in (regions, districts):
        assert {c: sum(r["votes"][c] for r in rows) for c in sums} == sums
    refused = cli(db, "results", "--level", "province")
    assert refused.returncode == 2
    assert refused.stderr == f"error: --{REFUSED} (national, region, district, table), got 'province'\n"


@pytest.mark.shared
def test_peru_s_level_names_list_the_areas_they_name(tmp_path: Path) -> None:
    """Peru's levels abroad lie as deep as its own (a continent as a department, a country as a
    province): each name lists its own areas, named by it, and the names of one depth together
    list every area there once, adding up to the nation. ``country`` listed the provinces too."""
    runoff = need_shared(DATA / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz")
    db = str(tmp_path / "runoff.db")
    names = ("department", "continent", "province", "country", "district", "city")
    with Session(db) as session:
        session.count.load(runoff, "peru-2021-runoff")
        nation = session.count.results()[0]
        counts = {lv: session.count.results(lv) for lv in names}
        inside_africa = session.count.results("country", "91")
        below = {where: session.count.below(where)[0] for where in (None, "91", "14", "140101")}
    for level, rows in counts.items():
        assert {(r["level"], r["kind"]) for r in rows} == {(level, level)}
    for domestic, abroad in zip(names[::2], names[1::2], strict=True):
        both = counts[domestic] + counts[abroad]
        assert len({r["area"] for r in both}) == len(both)
        assert sum(r["votes"]["PL"] for r in both) == nation["votes"]["PL"] == 8_834_440
    assert [len(counts[lv]) for lv in names] == [25, 5, 196, 77, 1_874, 208]
    assert [r["name"] for r in inside_africa] == ["ARGELIA", "REPUBLICA ARABE DE EGIPTO", "MARRUECOS", "SUDAFRICA"]
    assert below == {None: ["department", "continent"], "91": ["country"], "14": ["province"], "140101": ["table"]}
    with TestClient(create_app(db)) as client:
        countries = client.get("/api/v1/results", params={"level": "country"})
        page = client.get("/?lang=en")
        africa = client.get("/areas/91?lang=en")
    assert countries.status_code == 200 and countries.json() == counts["country"]
    assert "level=department" in page.text and "level=continent" in page.text and 'href="/areas/91"' in page.text
    assert "level=country&amp;area=91" in africa.text and 'href="/areas/9101"' in africa.text  # it linked level=province


def test_a_level_not_within_the_area_asked_for_is_refused_naming_the_field(db_url: str, tmp_path: Path) -> None:
    """Departments within a district, or provinces within one, are none: a 422 naming ``area``
    and what would answer (no area), on SQLite and on PostgreSQL alike, in the application, the
    CLI and the API; an empty listing read as "nothing counted there yet". An area at the level
    itself lists that area (the district within itself), as the API documents."""
    from tests.onpe_sample import sample_rows, write

    with Session(db_url) as session:
        session.count.load(write(tmp_path / "sample.csv", sample_rows()), "peru-2021-runoff")
        for level in ("national", "department", "province"):
            with pytest.raises(EscrutinioError) as refused:
                session.count.results(level, "140101")
            assert refused.value.field == "area" and getattr(refused.value, "rule", None) == "invalid"
        assert str(refused.value) == (
            f"{SJL} is not above the province level; expected an area of a level above it (department) or no area"
        )
        assert [r["area"] for r in session.count.results("district", "1401")]  # the level below still lists
        assert [r["area"] for r in session.count.results("district", "140101")] == ["140101"]
    shown = cli(db_url, "--errors", "json", "results", "--level", "department", "--area", "140101", "--format", "json")
    assert shown.returncode == 2 and json.loads(shown.stderr)["error"]["option"] == "--area", shown.stderr
    with TestClient(create_app(db_url)) as client:
        for level in ("department", "province"):
            got = client.get("/api/v1/results", params={"level": level, "area": "140101"})
            error = got.json()["error"]
            assert got.status_code == 422 and error["field"] == "area" and error["rule"] == "invalid", got.text
            assert error["message"].startswith(f"{SJL} is not above the") and "--" not in error["message"]


@pytest.mark.shared
def test_a_level_that_is_not_under_the_area_is_refused_naming_the_levels_there(tmp_path: Path) -> None:
    """Provinces within a continent are none (a continent holds countries): 422 naming ``level``
    and the levels that are under that area."""
    runoff = need_shared(DATA / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz")
    db = str(tmp_path / "runoff.db")
    with Session(db) as session:
        session.count.load(runoff, "peru-2021-runoff")
    with TestClient(create_app(db)) as client:
        got = client.get("/api/v1/results", params={"level": "province", "area": "91"})
        city = client.get("/api/v1/results", params={"level": "country", "area": "14"})
    assert got.status_code == 422 and got.json()["error"] == {
        "field": "level",
        "rule": "invalid",
        "message": "level: no province lies within area 91 (AFRICA, a continent); expected one of country, city, table",
    }
    assert city.status_code == 422 and city.json()["error"]["message"].endswith("expected one of province, district, table")


def test_a_level_is_taken_in_its_words_as_forensics_by_takes_it(db_url: str, tmp_path: Path) -> None:
    """``results --level`` takes a level's name or its words in any case (``Polling town`` for
    ``polling_town``), as ``forensics --by`` does, and titles the listing in words (review11 #16:
    Russia's ``territorial commission`` worked for forensics and was refused by results)."""
    definition = tmp_path / "words.toml"
    text = DEFINITION.replace('[geography]\nlevels = ["region", "town"]', '[geography]\nlevels = ["region", "polling_town"]')
    assert text != DEFINITION
    definition.write_text(text, encoding="utf-8")
    with Session(db_url) as session:
        session.count.load(csv_file(tmp_path), str(definition))
        by_key = session.count.results("polling_town")
        assert session.count.results("Polling town") == by_key == session.count.results("  POLLING   TOWN ")
        assert session.count.level_name("Polling town") == "polling_town"
    assert [r["level"] for r in by_key] == ["polling_town"] * 3
    listing = cli(db_url, "results", "--level", "polling town")
    assert listing.returncode == 0, listing.stderr
    assert "results by polling town" in listing.stdout and "Norte/Bajo" in listing.stdout
    refused = cli(db_url, "results", "--level", "polling")
    assert refused.returncode == 2 and "got 'polling'" in refused.stderr
