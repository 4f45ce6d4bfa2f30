"""The contest rules as data: each alternative at its boundary, the void rule, ties, the
presets' rules and their legal sources, and one-line errors naming the key."""

from __future__ import annotations

from fractions import Fraction

import pytest

from escrutinio.domain.contest_rules import Bound, Comparison, Threshold, TieRule
from escrutinio.domain.election import CountingRules, parse_election
from escrutinio.domain.errors import DefinitionError
from escrutinio.domain.ids import ChoiceId
from escrutinio.domain.rules import Outcome, OutcomeKind, decide
from escrutinio.formats.definition import load_definition, preset_names

BASE = {
    "election": {"id": "x", "name": "X", "date": "2024-01-01", "timezone": "UTC"},
    "geography": {"levels": ["region"]},
    "contest": {"id": "c", "choices": [{"id": k, "column": k} for k in "ABC"]},
}
BOLIVIA = {"thresholds": [{"share": "> 50%"}, {"share": ">= 40%", "lead": ">= 10%"}], "void": "none"}
# Constitución de la Nación Argentina, arts. 97 and 98: more than 45 %, or at least 40 % with a
# lead of more than ten points.
ARGENTINA = {"thresholds": [{"share": "> 45%"}, {"share": ">= 40%", "lead": "> 10%"}], "void": "none"}


def rules(raw: dict) -> CountingRules:
    return parse_election({**BASE, "rules": raw}).rules


def outcome(raw: dict, a: int, b: int, c: int, blank: int = 0, null: int = 0) -> Outcome:
    votes = {ChoiceId("A"): a, ChoiceId("B"): b, ChoiceId("C"): c}
    return decide(votes, blank, null, a + b + c + blank + null, rules(raw))


def test_exactly_half_is_not_more_than_half_and_one_vote_more_is() -> None:
    assert outcome({}, 50, 30, 20).kind is OutcomeKind.RUNOFF
    won = outcome({}, 501, 300, 199)
    assert won.kind is OutcomeKind.WINNER and won.winner == "A" and won.met == Threshold(Bound(Comparison.MORE, Fraction(1, 2)))


def test_bolivia_exactly_forty_with_exactly_ten_points_wins_and_one_vote_less_does_not() -> None:
    won = outcome(BOLIVIA, 40, 30, 30)
    assert won.kind is OutcomeKind.WINNER and won.met is not None and won.met.lead is not None
    assert "lead >= 10 points" in won.describe({"A": "A"})
    # 400 of 1000 with a lead of 99 (9.9 points): runoff; 399 with a lead of 100: runoff too.
    assert outcome(BOLIVIA, 400, 301, 299).kind is OutcomeKind.RUNOFF
    assert outcome(BOLIVIA, 399, 299, 302).kind is OutcomeKind.RUNOFF


def test_argentina_needs_more_than_45_or_40_and_more_than_ten_points() -> None:
    assert outcome(ARGENTINA, 450, 400, 150).kind is OutcomeKind.RUNOFF  # exactly 45 %, lead 5
    assert outcome(ARGENTINA, 451, 400, 149).kind is OutcomeKind.WINNER
    assert outcome(ARGENTINA, 400, 300, 300).kind is OutcomeKind.TIE  # exactly 10 points is not more; 2nd and 3rd tie
    assert outcome(ARGENTINA, 401, 300, 299).kind is OutcomeKind.WINNER  # 40.1 %, lead 10.1 points
    assert outcome(ARGENTINA, 400, 301, 299).kind is OutcomeKind.RUNOFF  # lead 9.9 points


def test_the_void_rule_comes_first_and_its_boundary_is_exact() -> None:
    peru = {"void": {"share": "> 2/3", "source": "Const. art. 184"}}
    assert outcome(peru, 30, 2, 1, blank=33, null=33).kind is OutcomeKind.WINNER  # 66/99 = 2/3 exactly: not void
    assert outcome(peru, 30, 2, 0, blank=33, null=34).kind is OutcomeKind.VOID
    assert outcome({"void": "none"}, 30, 2, 0, blank=33, null=34).kind is OutcomeKind.WINNER


def test_a_deciding_tie_says_what_the_tie_rule_says() -> None:
    tie = outcome({"tie": "lot"}, 40, 30, 30)
    assert tie.kind is OutcomeKind.TIE and tie.tie is TieRule.LOT and "by lot" in tie.describe({})
    assert outcome({}, 40, 40, 20).kind is OutcomeKind.RUNOFF


def test_every_preset_states_its_rule_with_a_legal_source() -> None:
    for name in preset_names():
        election, _ = load_definition(name)
        assert election.rules.source, name
        assert election.rules.thresholds, name
    bolivia, _ = load_definition("bolivia-2019-first-round")
    assert [str(t) for t in bolivia.rules.thresholds] == [
        "share of valid votes > 50%",
        "share of valid votes >= 40% with a lead >= 10 points",
    ]
    assert "art. 166" in bolivia.rules.source and bolivia.rules.void is None
    peru, _ = load_definition("peru-2021-runoff")
    assert peru.rules.void is not None and "art. 184" in peru.rules.void.source
    assert peru.rules.void.share == Bound(Comparison.MORE, Fraction(2, 3)) and "art. 111" in peru.rules.source


def test_a_party_list_election_names_no_winner_and_says_seats_are_not_allocated() -> None:
    duma = {"seats": "450 seats by list, 7 % barrier", "void": "none"}
    result = outcome(duma, 501, 300, 199)  # a majority of list votes still wins no election here
    assert result.kind is OutcomeKind.SEATS and result.winner is None and result.leader == "A"
    assert "seats are not allocated here" in result.describe({})
    assert rules(duma).to_dict()["seats"] == duma["seats"]
    assert "seats" not in rules({}).to_dict()  # other elections' recorded rules keep their shape
    # Only what applies to a party list: no winner threshold, runoff or deciding tie beside its seats.
    assert set(rules(duma).to_dict()) == {"source", "seats", "void", "annulled_ballots", "audit_risk_limit"}
    assert {"thresholds", "runoff_size", "tie"} <= set(rules({}).to_dict())
    russia, _ = load_definition("russia-2011-duma")
    assert russia.rules.seats and "art. 83" in russia.rules.seats


def test_an_audit_required_before_proclamation_is_a_risk_limit() -> None:
    assert rules({"audit_risk_limit": "5%"}).audit_risk_limit == Fraction(1, 20)
    assert rules({}).audit_risk_limit is None


def test_the_older_spellings_still_read_as_one_threshold_and_a_void_share() -> None:
    old = rules({"majority": "1/2", "void_threshold": "2/3"})
    assert old == rules({"thresholds": [{"share": "> 50%"}], "void": {"share": "> 2/3"}})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"thresholds": []}, "rules.thresholds: expected a list of alternatives"),
        ({"thresholds": [{"share": "50%"}]}, r'rules.thresholds\[0\].share: expected a bound such as "> 50%"'),
        ({"thresholds": [{"share": "> 150%"}]}, r"rules.thresholds\[0\].share: expected a share between 0 and 100 %"),
        ({"thresholds": [{"share": "> 40%", "margin": "> 1%"}]}, r"rules.thresholds\[0\].margin: unknown key"),
        ({"thresholds": [{"lead": "> 1%"}]}, r"rules.thresholds\[0\].share: required key is missing"),
        ({"thresholds": [{"share": "> 1/0"}]}, "a zero denominator"),
        ({"thresholds": [{"share": "> 50%"}], "majority": "1/2"}, "rules.majority: give rules.thresholds or"),
        ({"void": {"share": "2/3"}}, "rules.void.share: expected a bound"),
        ({"void": "sometimes"}, 'rules.void: expected a table such as "none" or'),
        ({"tie": "coin"}, "rules.tie: expected one of 'undecided', 'lot'"),
        ({"runoff_size": 1}, "rules.runoff_size: expected 2 or more"),
        ({"audit_risk_limit": "five"}, 'rules.audit_risk_limit: expected a share such as "5%"'),
    ],
)
def test_rule_errors_name_the_key(raw: dict, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        rules(raw)


def test_a_share_of_ballots_cast_counts_invalid_ballots_in_the_whole() -> None:
    """Russia's rule (19-FZ art. 76): more than half of every ballot of those who took part. 50 of 90
    valid votes is a majority of valid votes, but 50 of 102 ballots cast is not."""
    from escrutinio.domain.contest_rules import ShareBase
    from escrutinio.domain.election import CountingRules
    from escrutinio.domain.rules import OutcomeKind, decide

    votes = {"A": 50, "B": 30, "C": 10}
    assert decide(votes, 0, 12, 102, CountingRules()).kind is OutcomeKind.WINNER
    assert decide(votes, 0, 12, 102, CountingRules(share_base=ShareBase.BALLOTS)).kind is OutcomeKind.RUNOFF
    assert decide(votes, 0, 8, 98, CountingRules(share_base=ShareBase.BALLOTS)).kind is OutcomeKind.WINNER
