"""A first entry's commitment opens with its figures and salt only, and a replay holds the
second entry to revealing what opens it (an older log's entries, which commit nothing, pass)."""

from __future__ import annotations

from escrutinio.ledger.entry_seal import commitment, opens, reveal_problem, seal

SHEET = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}


def test_a_commitment_opens_with_its_figures_and_salt_only() -> None:
    committed, salt = seal(SHEET)
    assert len(bytes.fromhex(salt)) == 32 and committed == commitment(SHEET, salt)
    assert opens(committed, SHEET, salt)
    assert not opens(committed, {**SHEET, "blank": 1}, salt)
    assert not opens(committed, SHEET, seal(SHEET)[1])
    assert not opens(committed, SHEET, "not hex")
    assert seal(SHEET)[0] != committed  # salted: the same figures never give the same commitment


def test_a_replay_holds_the_second_entry_to_its_reveal() -> None:
    committed, salt = seal(SHEET)
    seen: dict[int, str] = {}
    assert reveal_problem({"entry": 1, "commitment": committed}, seen, 5) is None and seen == {5: committed}
    second = {"entry": 2, "first": 5, "sheet": SHEET}
    assert "must reveal" in str(reveal_problem(second, seen, 7))
    assert "does not open" in str(reveal_problem({**second, "first_sheet": {**SHEET, "cast": 221}, "first_salt": salt}, seen, 7))
    assert reveal_problem({**second, "first_sheet": SHEET, "first_salt": salt}, seen, 7) is None
    # An older log: the first entry carried its figures, the second reveals nothing.
    assert reveal_problem({"entry": 1, "sheet": SHEET}, seen, 8) is None
    assert reveal_problem({"entry": 2, "first": 8, "sheet": SHEET}, seen, 9) is None
    assert "reveals no committed" in str(reveal_problem({"entry": 2, "first": 8, "first_salt": salt}, seen, 9))
