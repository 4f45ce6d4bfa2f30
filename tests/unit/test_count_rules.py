"""Unit tests of the domain rules and the election definition parser."""

from __future__ import annotations

from fractions import Fraction

import pytest

from escrutinio.domain.election import CountingRules, parse_election
from escrutinio.domain.errors import DefinitionError
from escrutinio.domain.rules import decide
from escrutinio.domain.sheet import Reason, TallySheet
from escrutinio.domain.validation import observations
from escrutinio.formats.definition import load_definition, preset_names

RULES = CountingRules()


def test_absolute_majority_wins_and_exactly_half_does_not() -> None:
    assert decide({"A": 51, "B": 30, "C": 19}, 0, 0, 100, RULES).winner == "A"
    half = decide({"A": 50, "B": 30, "C": 20}, 0, 0, 100, RULES)
    assert half.kind == "runoff" and half.runoff == ("A", "B")


def test_void_when_null_and_blank_exceed_two_thirds() -> None:
    assert decide({"A": 30, "B": 3}, 33, 34, 100, RULES).kind == "void"  # 67/100 > 2/3
    assert decide({"A": 31, "B": 3}, 33, 33, 100, RULES).kind == "winner"  # 66/100 < 2/3


def test_two_way_tie_and_third_place_tie() -> None:
    assert decide({"A": 50, "B": 50}, 0, 0, 100, RULES).kind == "tie"
    assert decide({"A": 40, "B": 30, "C": 30}, 0, 0, 100, RULES).kind == "tie"
    assert decide({"A": 0, "B": 0}, 0, 0, 0, RULES).kind == "no_votes"


def test_validation_reasons() -> None:
    ok = TallySheet("1", (10, 5), 1, 2, 0, 18)
    assert observations(ok, 20) == []
    assert observations(TallySheet("1", (10, 5), 1, 2, 0, 19), 20) == [Reason.ARITHMETIC]
    assert observations(ok, 17) == [Reason.EXCEEDS_ELECTORS]
    assert observations(TallySheet("1", (10, 5), 1, 1, 1, 18), None) == [Reason.CHALLENGED]


def test_presets_parse_and_first_round_has_eighteen_choices() -> None:
    names = preset_names()
    assert {"peru-2021-runoff", "peru-2021-first-round"} <= set(names)
    for name in names:
        election, text = load_definition(name)
        assert election.id == name and text
    first, _ = load_definition("peru-2021-first-round")
    assert len(first.contest.choices) == 18 and first.contest.choice("PL").column == "VOTOS_P16"
    runoff, _ = load_definition("peru-2021-runoff")
    assert runoff.rules.void is not None and runoff.rules.void.share.value == Fraction(2, 3)
    assert runoff.claims.fee_per_table == 1100
    assert runoff.claims.deadline is not None and runoff.claims.deadline.isoformat() == "2021-06-09T20:00:00-05:00"


BASE = {
    "election": {"id": "x", "name": "X", "date": "2024-01-01", "timezone": "UTC"},
    "geography": {"levels": ["region"]},
    "contest": {"id": "c", "choices": [{"id": "A", "column": "a"}, {"id": "B", "column": "b"}]},
}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"extra": {}}, "extra: unknown key"),
        ({"election": {**BASE["election"], "date": "01/01/2024"}}, "election.date: expected YYYY-MM-DD"),
        ({"election": {**BASE["election"], "timezone": "Mars/Olympus"}}, "unknown time zone"),
        ({"contest": {"id": "c", "choices": [{"id": "A", "column": "a"}]}}, "at least two choices"),
        ({"contest": {"id": "c", "choices": [{"id": "A", "column": "a"}, {"id": "A", "column": "b"}]}}, "unique"),
        ({"rules": {"annulled_ballots": "ignored"}}, "rules.annulled_ballots"),
        ({"rules": {"void_threshold": "3/2"}}, "between 0 and 1"),
        ({"geography": {"levels": ["a", "b", "c", "d"]}}, "1 to 3 level names"),
    ],
)
def test_definition_errors_name_the_key(patch: dict, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_election({**BASE, **patch})
