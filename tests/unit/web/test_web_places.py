"""A district's tables under their polling places, in the source's order."""

from __future__ import annotations

from escrutinio.web.pages_public import by_place


def test_tables_group_under_their_polling_places_in_order() -> None:
    rows = [
        {"table": "1", "polling_place": "IE 2001"},
        {"table": "2", "polling_place": "IE 1001"},
        {"table": "3", "polling_place": "IE 2001"},
    ]
    assert [(place, [r["table"] for r in group]) for place, group in by_place(rows)] == [
        ("IE 2001", ["1", "3"]),
        ("IE 1001", ["2"]),
    ]


def test_a_source_without_polling_places_gives_one_unnamed_group() -> None:
    rows = [{"table": "1", "polling_place": None}, {"table": "2"}]
    assert by_place(rows) == [("", rows)]
