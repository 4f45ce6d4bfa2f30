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
