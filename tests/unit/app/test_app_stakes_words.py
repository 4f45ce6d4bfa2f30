"""The listed-tables report words the areas an annulled table is counted at as the election calls
them: Russia's are territorial commissions, and the report said "districts" of every election."""

from __future__ import annotations

from escrutinio.app.stakes import listed_lines


def _listed(area_level: str) -> dict[str, object]:
    return {
        "tables": 3,
        "by_state": {"annulled": {"tables": 2, "ballots": 900}, "counted": {"tables": 1}},
        "margin_if_claimed_at_area_rates": 1_000,
        "runner_up": "ZYUGANOV",
        "leader": "PUTIN",
        "sheets_at_dispute_body": 0,
        "can_change_winner": False,
        "lowest_margin": 500,
        "highest_margin": 1_500,
        "margin": 1_200,
        "area_level": area_level,
    }


def test_annulled_tables_are_counted_at_the_rates_of_the_election_s_own_areas() -> None:
    text = "\n".join(listed_lines(_listed("territorial_commission")))
    assert "counted each at its territorial commission's rates the margin would be 1,000" in text
    assert "district" not in text


def test_peru_s_areas_are_its_districts() -> None:
    assert "counted each at its district's rates" in "\n".join(listed_lines(_listed("district")))


def test_one_table_is_said_in_the_singular_and_no_others_when_there_are_none() -> None:
    """ "The 1 listed tables: 1 annulled", "(the others annulled)" with no others, "1 of them are sheets…"."""
    one = {**_listed("district"), "tables": 1, "by_state": {"annulled": {"tables": 1, "ballots": 1}}}
    text = "\n".join(listed_lines(one))
    assert "The 1 listed table: 1 annulled." in text
    assert "The annulled one holds 1 ballot: counted at its district's rates the margin would be 1,000; every" in text
    assert "others" not in text and "other one" not in text
    two = {
        **_listed("district"),
        "tables": 4,
        "sheets_at_dispute_body": 1,
        "by_state": {**_listed("district")["by_state"], "observed": {"tables": 1}},
    }
    text = "\n".join(listed_lines(two))
    assert "1 of them is a sheet still at the dispute body." in text
    assert "(the other one annulled)" in text  # the one counted table: the observed sheet stays as it is
    assert "The 2 annulled ones hold 900 ballots: counted each at" in "\n".join(listed_lines(_listed("district")))
