"""The generic reader's abroad column: rows of another country than the home one are voting abroad,
their areas of the election's abroad kinds (what the forensics read apart); a malformed spec or one
without abroad levels is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from escrutinio.domain.election import election_from_toml
from escrutinio.domain.errors import DefinitionError
from escrutinio.formats.generic import read_generic

TOML = """
[election]
id = "abroad-test"
name = "Abroad test"
date = "2024-05-05"
timezone = "UTC"
country = "BO"

[geography]
levels = ["department", "municipality"]
ABROAD_LEVELS

[contest]
id = "president"
name = "President"
choices = [{ id = "A", column = "a" }, { id = "B", column = "b" }]

[source]
format = "csv"

[source.columns]
table = "mesa"
levels = ["dep", "mun"]
ABROAD
"""


def read(tmp_path: Path, abroad: str, levels: str = 'abroad_levels = ["city abroad", "place abroad"]'):
    path = tmp_path / "mesas.csv"
    path.write_text("pais,dep,mun,mesa,a,b\nBolivia,La Paz,El Alto,1,10,5\nArgentina,Salta,Oran,2,3,4\n", encoding="utf-8")
    election = election_from_toml("t", TOML.replace("ABROAD_LEVELS", levels).replace("ABROAD", abroad))
    return read_generic(path, election)


def test_rows_of_another_country_are_areas_abroad(tmp_path: Path) -> None:
    areas = read(tmp_path, 'abroad = { column = "pais", home = "Bolivia" }').areas
    assert areas.select("code", "kind").rows() == [
        ("La Paz", "department"),
        ("Salta", "city abroad"),
        ("La Paz/El Alto", "municipality"),
        ("Salta/Oran", "place abroad"),
    ]


def test_without_the_abroad_column_every_area_is_domestic(tmp_path: Path) -> None:
    assert set(read(tmp_path, "").areas["kind"]) == {"department", "municipality"}


@pytest.mark.parametrize(
    ("abroad", "levels", "says"),
    [
        ('abroad = "pais"', 'abroad_levels = ["city abroad"]', "expected { column"),
        ('abroad = { column = "pais" }', 'abroad_levels = ["city abroad"]', "expected { column"),
        ('abroad = { column = "pais", home = "Bolivia" }', "", "needs geography.abroad_levels"),
    ],
)
def test_a_malformed_abroad_spec_is_one_clear_error(tmp_path: Path, abroad: str, levels: str, says: str) -> None:
    with pytest.raises(DefinitionError, match=r"source\.columns\.abroad") as err:
        read(tmp_path, abroad, levels)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_the_rows_abroad_can_be_named_by_their_own_value(tmp_path: Path) -> None:
    # Russia's files hold the voting abroad as one more region ("99 Территория за пределами РФ").
    areas = read(tmp_path, 'abroad = { column = "dep", abroad = "Salta" }').areas
    assert dict(areas.select("code", "kind").rows()) == {
        "La Paz": "department",
        "Salta": "city abroad",
        "La Paz/El Alto": "municipality",
        "Salta/Oran": "place abroad",
    }


@pytest.mark.parametrize(
    ("preset", "region"),
    [
        ("russia-2011-duma", "Зарубежная территория"),
        ("russia-2012-presidential", "99 Территория за пределами РФ"),
        ("russia-2018-presidential", "99 Территория за пределами РФ"),
    ],
)
def test_the_russia_presets_read_the_territory_abroad_apart(preset: str, region: str) -> None:
    from escrutinio.formats.definition import load_definition

    election, _ = load_definition(preset)
    assert election.abroad_levels == ("territory abroad", "territorial commission abroad")
    assert election.source.columns["abroad"] == {"column": "region", "abroad": region}
