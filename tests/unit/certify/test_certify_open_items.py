"""What stands between the count and its proclamation: one line per open item."""

from __future__ import annotations

from fractions import Fraction

from escrutinio.certify.open_items import audit_problem, open_items

CASES = [
    {"number": "OBS-000001", "kind": "observation", "status": "admitted", "tables": "900001"},
    {"number": "NUL-000002", "kind": "nullity_request", "status": "appealed", "tables": "000007,000008"},
]


def test_each_open_case_and_each_unsettled_table_no_case_names_is_one_line() -> None:
    lines = open_items([("900001", "observed"), ("000100", "pending")], CASES, None, None)
    assert lines == [
        "case OBS-000001 (observation, admitted) on table 900001 is open",
        "case NUL-000002 (nullity request, appealed) on tables 000007, 000008 is open",
        "table 000100: no sheet received, neither counted, annulled nor not installed",
    ]
    assert open_items([], [], None, None) == []


def test_the_audit_counts_only_where_the_definition_requires_one() -> None:
    assert open_items([], [], {"phase": "sampling"}, None) == []
    five = Fraction(5, 100)
    assert "none is planned" in (audit_problem(None, five) or "")
    assert "not reported" in (audit_problem({"phase": "sampling", "risk_limit": "1/20"}, five) or "")
    done = {"phase": "reported", "risk_limit": "1/20", "report": {"outcome": "confirmed"}}
    assert audit_problem(done, five) is None
    assert "above the 1% the definition requires" in (audit_problem(done, Fraction(1, 100)) or "")
    escalated = {**done, "report": {"outcome": "full_hand_count"}}
    assert "full hand count" in (audit_problem(escalated, five) or "")
