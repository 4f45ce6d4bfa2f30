"""The RENIEC -> INEI correspondence: names folded as both sources agree, matched within parents,
renamed areas by the table, and areas without a shape of their own drawn with an ancestor's."""

from __future__ import annotations

from escrutinio.geo.correspondence import ShapeName, derive, fold, load


def test_fold_mends_onpes_damaged_enye_and_drops_accents() -> None:
    assert fold("DATEM DEL MARA¿¿ON") == "DATEM DEL MARAÑON"
    assert fold("Huallay-Grande") == "HUALLAY GRANDE"
    assert fold("  Apurímac ") == "APURIMAC"
    assert fold("Ñuñoa") == "ÑUÑOA"


SHAPES = [
    ShapeName(code, name, code[:-2])
    for code, name in {"15": "LIMA", "07": "CALLAO", "1501": "LIMA", "150101": "LIMA", "150121": "MAGDALENA VIEJA"}.items()
] + [ShapeName("0701", "CALLAO", "07"), ShapeName("070101", "CALLAO", "0701")]


def test_derive_matches_names_within_parents_whatever_the_codes() -> None:
    places = [
        ("140101", "LIMA", "LIMA", "LIMA"),
        ("140117", "LIMA", "LIMA", "PUEBLO LIBRE"),  # RENAMED: Magdalena Vieja in the shapes
        ("240101", "CALLAO", "CALLAO", "CALLAO"),
        ("240107", "CALLAO", "CALLAO", "MI PERU"),  # created 2014: no shape of its own
        ("920101", "AMERICA", "ARGENTINA", "BUENOS AIRES"),  # abroad: never in the table
    ]
    table = {e.reniec: e for e in derive(places, SHAPES)}
    assert {k: (e.inei, e.match) for k, e in table.items()} == {
        "14": ("15", "name"),
        "1401": ("1501", "name"),
        "140101": ("150101", "name"),
        "140117": ("150121", "renamed"),
        "24": ("07", "name"),
        "2401": ("0701", "name"),
        "240101": ("070101", "name"),
        "240107": ("0701", "outline"),
    }
    assert table["240107"].own_shape is False and table["140117"].own_shape is True


def test_children_of_an_area_without_shape_take_its_ancestors_outline() -> None:
    places = [("150901", "LORETO", "PUTUMAYO", "PUTUMAYO")]
    table = {e.reniec: e for e in derive(places, [ShapeName("16", "LORETO", ""), ShapeName("1601", "MAYNAS", "16")])}
    assert (table["1509"].inei, table["1509"].match) == ("16", "outline")
    assert (table["150901"].inei, table["150901"].match) == ("16", "outline")


def test_the_shipped_table_joins_reniec_departments_to_inei_ones() -> None:
    """PROVENANCE of the runoff file: 01-06 agree; 07 Cusco is INEI 08 ... 14 Lima is 15, 24 Callao 07."""
    table = load()
    departments = {e.reniec: e.inei for e in table.entries.values() if e.level == "department"}
    assert len(departments) == 25
    assert all(departments[f"{i:02d}"] == f"{i:02d}" for i in range(1, 7))
    assert all(departments[f"{i:02d}"] == f"{i + 1:02d}" for i in range(7, 24))
    assert departments["24"] == "07" and departments["25"] == "25"
    assert table.inei("920101") is None and table.abroad("920101")
