"""Properties of the policy (domain/roles.py) over every role, action and target."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from escrutinio.domain.roles import BODY_ACTIONS, NATIONAL_ONLY, PARTY_ACTIONS, Action, Principal, Role, area_within, permits

codes = st.text(alphabet="0123456789", min_size=2, max_size=6).filter(lambda c: len(c) % 2 == 0)
names = st.sampled_from(["FP", "PL", "JEE", "JNE", "JEE-2"])
maybe_code = st.none() | codes


@st.composite
def principals(draw: st.DrawFn, national: bool | None = None) -> Principal:
    role = draw(st.sampled_from(list(Role)))
    area = None if national or role in NATIONAL_ONLY else draw(maybe_code if national is None else codes)
    party = draw(names) if role is Role.REPRESENTATIVE else None
    body = draw(names) if role in (Role.JUDGE, Role.APPEALS_JUDGE) else None
    return Principal("x", role, area=area, party=party, body=body)


targets = st.fixed_dictionaries({"area": maybe_code, "party": st.none() | names, "body": st.none() | names})


@given(principals(national=True), st.sampled_from(list(Action)), targets)
def test_a_national_account_is_never_refused_for_its_area(who: Principal, action: Action, target: dict) -> None:
    assert permits(who, action, **target) != "area"


@given(principals(), st.sampled_from([Action.RULE, Action.DECIDE_APPEAL, Action.OPEN_OWN_MOTION]), targets)
def test_only_judges_and_the_administrator_decide(who: Principal, action: Action, target: dict) -> None:
    if who.role in (Role.REPRESENTATIVE, Role.CLERK, Role.AUDITOR, Role.PUBLIC):
        assert permits(who, action, **target) == "role"


@given(principals(), st.sampled_from(list(Action)), targets)
def test_a_refusal_is_one_of_the_rules_and_the_administrator_never_has_one(who: Principal, action: Action, target: dict) -> None:
    rule = permits(who, action, **target)
    assert rule in (None, "role", "area", "party", "body")
    if who.role is Role.ADMINISTRATOR:
        assert rule is None
    if rule is None and action in PARTY_ACTIONS and who.role is not Role.ADMINISTRATOR:
        assert target["party"] == who.party  # a representative acts only for their party
    if rule is None and action in BODY_ACTIONS and who.role is not Role.ADMINISTRATOR:
        assert target["body"] == who.body


@given(principals(), st.sampled_from(list(Action)), codes, codes)
def test_what_is_allowed_in_an_area_is_allowed_in_the_areas_within_it(
    who: Principal, action: Action, outer: str, tail: str
) -> None:
    inner = outer + tail
    assert area_within(inner, outer)
    if permits(who, action, area=outer, party=who.party, body=who.body) is None:
        assert permits(who, action, area=inner, party=who.party, body=who.body) is None
