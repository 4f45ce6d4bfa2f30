"""What a results map shows: the parent's leader's share of valid votes and turnout over the
tables in the count, by area; no map without boundaries for the election's country."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import DATA, need_shared

from escrutinio.app.maps import area_maps, leader, values

ROWS = [
    {"area": "01", "name": "AMAZONAS", "votes": {"PL": 121_162, "FP": 60_451}, "valid": 181_613,
     "ballots_cast": 193_866, "electors_in_count": 306_186},
    {"area": "14", "name": "LIMA", "votes": {"PL": 1_900_000, "FP": 3_000_000}, "valid": 4_900_000,
     "ballots_cast": 5_300_000, "electors_in_count": 7_000_000},
    {"area": "16", "name": "MADRE DE DIOS", "votes": {}, "valid": 0, "ballots_cast": 0, "electors_in_count": 0},
]  # fmt: skip
CONTEST = {"country": "PE", "choices": [{"id": "PL", "name": "PERU LIBRE"}, {"id": "FP", "name": "FUERZA POPULAR"}]}


def test_the_leader_is_the_parents_summed_over_its_parts() -> None:
    assert leader(ROWS) == "FP"  # Lima's votes outweigh Amazonas's
    assert leader(ROWS[:1]) == "PL"
    assert leader([{"votes": {}}]) is None and leader([{"votes": {"A": 0, "B": 0}}]) is None


def test_values_are_shares_of_valid_votes_and_turnout_over_counted_tables() -> None:
    share = values("leader", ROWS, "PL")
    assert share["01"] == ("AMAZONAS", pytest.approx(66.714, abs=1e-3))
    assert share["16"] == ("MADRE DE DIOS", None)  # nothing counted: no colour, not zero
    turnout = values("turnout", ROWS, None)
    assert turnout["01"][1] == pytest.approx(100 * 193_866 / 306_186)
    assert turnout["16"][1] is None
    with pytest.raises(ValueError, match="map kind"):
        values("margin", ROWS, None)


def test_no_map_without_boundaries_for_the_country(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESCRUTINIO_GEO", raising=False)
    assert area_maps(ROWS, CONTEST, "department", None) == []
    assert area_maps(ROWS, {**CONTEST, "country": "BO"}, "department", None, directory=tmp_path) == []


@pytest.mark.shared
def test_the_national_maps_of_peru() -> None:
    maps = area_maps(ROWS, CONTEST, "department", "PE", directory=need_shared(DATA / "geo-peru"))
    assert [(m.kind, (m.choice or {}).get("id")) for m in maps] == [("leader", "FP"), ("turnout", None)]
    drawn = {a.code: a for a in maps[0].choropleth.areas}
    assert set(drawn) == {"01", "14", "16"} and drawn["16"].klass is None
    assert drawn["14"].colour == maps[0].choropleth.scale.colour(100 * 3_000_000 / 4_900_000)


@pytest.mark.shared
def test_no_map_of_areas_abroad_alone() -> None:
    abroad = [
        {"area": "9201", "name": "ARGENTINA", "votes": {"PL": 10}, "valid": 10, "ballots_cast": 10, "electors_in_count": 20}
    ]
    assert area_maps(abroad, CONTEST, "province", "92", directory=need_shared(DATA / "geo-peru")) == []
