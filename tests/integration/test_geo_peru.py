"""Peru's boundaries against the 2021 runoff: every department, province and district of ONPE's
file has a shape after the RENIEC -> INEI mapping (its own, or, for the 51 created after the 2007
boundaries or lost upstream, an ancestor's outline, listed here); abroad is listed apart; the
shipped correspondence is what its derivation gives today; a national map stays small."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import DATA, need_shared

from escrutinio.geo.atlas import Atlas
from escrutinio.geo.choropleth import choropleth
from escrutinio.geo.correspondence import derive, load, onpe_places

pytestmark = pytest.mark.shared

GEO = DATA / "geo-peru"

# Areas with no shape of their own in the 2007 boundaries: created since (Putumayo 2014, Mi Perú
# 2014, Megantoni 2016, …), or whose outline the upstream simplification lost (El Parco, Trita,
# Acopampa, Santa Anita, Goyllarisquizga, Bellavista, Amantaní, La Punta).
WITHOUT_OWN_SHAPE = {
    "1509", "010204", "010422", "020402", "030320", "030709", "030710", "030711", "050116", "050310", "050311",
    "050312", "050313", "050409", "050410", "050411", "070911", "070912", "070913", "070915", "080528", "080529",
    "080530", "080531", "080532", "080711", "090112", "090113", "090506", "090507", "090607", "090608", "090609",
    "090610", "110709", "140143", "150901", "150902", "150903", "150904", "180203", "180308", "190115", "190602",
    "200115", "200905", "220114", "240103", "240107", "250204", "250205",
}  # fmt: skip


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas(need_shared(GEO))


@pytest.fixture(scope="module")
def places() -> list[tuple[str, str, str, str]]:
    return onpe_places(need_shared(DATA / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"))


def _areas(places: list[tuple[str, str, str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"department": set(), "province": set(), "district": set()}
    for code, *_ in places:
        out["department"].add(code[:2])
        out["province"].add(code[:4])
        out["district"].add(code)
    return out


def test_the_shipped_table_is_its_derivation_from_both_sources(atlas: Atlas, places: list) -> None:
    fresh = {e.reniec: e for e in derive(places, atlas.names)}
    assert fresh == dict(load().entries)


def test_every_runoff_area_in_peru_has_a_shape(atlas: Atlas, places: list) -> None:
    table = load()
    domestic = _areas([p for p in places if not p[0].startswith("9")])
    assert {k: len(v) for k, v in domestic.items()} == {"department": 25, "province": 196, "district": 1874}
    without_own = set()
    for level, codes in domestic.items():
        for code in codes:
            entry = table.entry(code)
            assert entry is not None, f"{level} {code} is not in the correspondence"
            shape_level = {2: "department", 4: "province", 6: "district"}[len(entry.inei)]
            assert entry.inei in atlas.shapes(shape_level), f"{level} {code}: INEI {entry.inei} has no shape"
            if entry.own_shape:
                assert shape_level == level
            else:
                without_own.add(code)
                assert len(entry.inei) < len(code), f"{code} falls back to an ancestor's outline"
    assert without_own == WITHOUT_OWN_SHAPE


def test_abroad_is_listed_apart(atlas: Atlas, places: list) -> None:
    abroad = _areas([p for p in places if p[0].startswith("9")])
    assert {k: len(v) for k, v in abroad.items()} == {"department": 5, "province": 77, "district": 208}
    table = load()
    assert not any(table.entry(code) for codes in abroad.values() for code in codes)


def test_the_department_map_draws_25_and_lists_5_continents(atlas: Atlas, places: list) -> None:
    values = {code: (code, 50.0) for code in _areas(places)["department"]}
    m = choropleth(atlas, load(), "leader", "department", None, values)
    assert len(m.areas) == 25 and len(m.abroad) == 5 and not m.within and not m.unknown
    assert all(a.path.startswith("M") for a in m.areas)
    assert sum(len(a.path) for a in m.areas) < 40_000  # a small part of the national page's 200 KB
    assert m.width <= 560 and m.height <= 640


def test_a_province_map_shows_what_has_no_shape_within_its_parent(atlas: Atlas, places: list) -> None:
    codes = {p[0] for p in places if p[0].startswith("0709")}  # La Convención (Cusco)
    m = choropleth(atlas, load(), "turnout", "district", "0709", {c: (c, 70.0) for c in codes})
    assert {a.code for a in m.within} == {"070911", "070912", "070913", "070915"}
    assert m.backdrop.startswith("M")
    assert Counter(a.colour for a in m.areas).most_common(1)[0][0] == m.scale.colour(70.0)


def test_a_missing_folder_is_one_clear_line(tmp_path: Path) -> None:
    from escrutinio.geo.atlas import GeoError

    with pytest.raises(GeoError, match="is not a folder"):
        Atlas(tmp_path / "nope")
    (tmp_path / "peru_departamental_simple.geojson").write_text('{"features": [{"properties": {"FIRST_IDDP": "1"}}]}')
    with pytest.raises(GeoError, match=r"feature 0: FIRST_IDDP: expected a 2-digit INEI code, got '1'"):
        Atlas(tmp_path).shapes("department")
    with pytest.raises(GeoError, match=r"peru_provincial_simple\.geojson: not found"):
        Atlas(tmp_path).shapes("province")
