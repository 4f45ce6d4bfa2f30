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


def _rendered(places: list[tuple[str, list[dict[str, object]]]]) -> str:
    from escrutinio.web.i18n import babel_locale
    from escrutinio.web.templating import environment

    template = environment("en").from_string(
        '{% import "partials/figures.html" as fig with context %}{{ fig.tables(places, contest) }}'
    )
    contest = {"choices": [{"id": "PL", "candidate": "A"}, {"id": "FP", "candidate": "B"}]}
    return template.render(places=places, contest=contest, locale=babel_locale("en"), timezone="UTC")


def test_the_polling_place_column_shows_only_when_the_source_names_places() -> None:
    row = {"table": "1", "state": "counted", "electors": 300, "cast": 200, "v_PL": 100, "v_FP": 90, "blank": 4, "null": 6}
    unnamed = _rendered(by_place([{**row, "polling_place": None}]))
    named = _rendered(by_place([{**row, "polling_place": "IE 2001"}, {**row, "table": "2", "polling_place": "IE 1001"}]))
    assert "Polling place" not in unnamed and '<tr data-table="1">' in unnamed
    assert named.count('scope="rowgroup"') == 2 and "Polling place: IE 1001" in named
