"""The policy of who may do what (domain/roles.py): the whole matrix, read without a store."""

from __future__ import annotations

import re

import pytest

from escrutinio.domain.errors import EscrutinioError
from escrutinio.domain.roles import (
    MAY,
    AccessDenied,
    Action,
    Principal,
    Role,
    area_within,
    check,
    permits,
    refusal,
)

ADMIN = Principal("root", Role.ADMINISTRATOR)
CLERK = Principal("ana", Role.CLERK, area="150101")
CLERK_LIMA = Principal("eva", Role.CLERK, area="15")
REP = Principal("maria", Role.REPRESENTATIVE, party="FP")
REP_CUSCO = Principal("rosa", Role.REPRESENTATIVE, area="08", party="PL")
JUDGE = Principal("luis", Role.JUDGE, area="15", body="JEE")
APPEALS = Principal("jne", Role.APPEALS_JUDGE, body="JNE")
AUDITOR = Principal("olga", Role.AUDITOR)
AUDITOR_PUNO = Principal("juan", Role.AUDITOR, area="21")


@pytest.mark.parametrize(
    ("target", "scope", "inside"),
    [
        ("150101", "15", True),
        ("150101", "1501", True),
        ("150101", "150101", True),
        ("150101", "14", False),
        ("1501", "150101", False),
        ("140101", "1", True),  # a digit prefix is a prefix (codes grow by whole levels)
        ("La Paz/Murillo", "La Paz", True),
        ("La Paz Sur/Murillo", "La Paz", False),
        ("La Paz", "La Paz/Murillo", False),
        ("La PazX", "La Paz", False),
    ],
)
def test_area_within_nests_by_prefix(target: str, scope: str, inside: bool) -> None:
    assert area_within(target, scope) is inside


def test_the_administrator_may_take_every_action_anywhere() -> None:
    for action in Action:
        assert permits(ADMIN, action, area="150101", party="PL", body="JEE") is None
        assert permits(ADMIN, action) is None


def test_every_action_has_its_roles() -> None:
    assert set(MAY) == set(Action)


# (principal, action, target, expected rule or None)
CASES = [
    (CLERK, Action.LOAD_SHEETS, {"area": "150101"}, None),
    (CLERK, Action.LOAD_SHEETS, {"area": "150102"}, "area"),
    (CLERK, Action.SUBMIT_SHEET, {"area": "150101"}, None),
    (CLERK, Action.ATTACH_IMAGE, {"area": "080101"}, "area"),
    (CLERK_LIMA, Action.SUBMIT_SHEET, {"area": "150102"}, None),
    (CLERK, Action.OPEN_OBSERVATION, {"area": "150101"}, None),
    (CLERK, Action.RULE, {"area": "150101", "body": "JEE"}, "role"),
    (CLERK, Action.FILE_CLAIM, {"area": "150101", "party": "FP"}, "role"),
    (CLERK, Action.CREATE_STORE, {}, "role"),
    (CLERK, Action.LOAD_SHEETS, {}, "area"),  # a whole-election file needs a national clerk
    (REP, Action.FILE_CLAIM, {"area": "150101", "party": "FP"}, None),
    (REP, Action.FILE_CLAIM, {"area": "150101", "party": "PL"}, "party"),
    (REP, Action.APPEAL, {"area": "150101", "party": "FP"}, None),
    (REP, Action.APPEAL, {"area": "150101", "party": "PL"}, "party"),
    (REP, Action.RULE, {"area": "150101", "body": "JEE"}, "role"),
    (REP, Action.OPEN_OWN_MOTION, {"area": "150101", "body": "JEE"}, "role"),
    (REP, Action.DECIDE_APPEAL, {"body": "JNE"}, "role"),
    (REP, Action.DECLARE_TIME, {}, "role"),
    (REP_CUSCO, Action.FILE_CLAIM, {"area": "080101", "party": "PL"}, None),
    (REP_CUSCO, Action.FILE_CLAIM, {"area": "150101", "party": "PL"}, "area"),
    (REP_CUSCO, Action.FILE_CLAIM, {"area": "150101", "party": "FP"}, "party"),  # party is checked first
    (JUDGE, Action.RULE, {"area": "150101", "body": "JEE"}, None),
    (JUDGE, Action.RULE, {"area": "080101", "body": "JEE"}, "area"),
    (JUDGE, Action.RULE, {"area": "150101", "body": "JEE-2"}, "body"),
    (JUDGE, Action.OPEN_OWN_MOTION, {"area": "150101", "body": "JEE"}, None),
    (JUDGE, Action.OPEN_OWN_MOTION, {"area": "240101", "body": "JEE"}, "area"),
    (JUDGE, Action.DECIDE_APPEAL, {"body": "JEE"}, "role"),
    (JUDGE, Action.FILE_CLAIM, {"area": "150101", "party": "FP"}, "role"),
    (JUDGE, Action.FINALISE, {}, "area"),  # finalising every due case is the whole election
    (APPEALS, Action.DECIDE_APPEAL, {"area": "150101", "body": "JNE"}, None),
    (APPEALS, Action.DECIDE_APPEAL, {"area": "150101", "body": "JEE"}, "body"),
    (APPEALS, Action.FINALISE, {}, None),
    (APPEALS, Action.CERTIFY, {}, None),
    (APPEALS, Action.RULE, {"area": "150101", "body": "JNE"}, "role"),
    (AUDITOR, Action.PLAN_AUDIT, {}, None),
    (AUDITOR, Action.RECORD_AUDIT_ENTRY, {"area": "210101"}, None),
    (AUDITOR, Action.MANAGE_USERS, {}, "role"),
    (AUDITOR, Action.RULE, {"area": "210101", "body": "JEE"}, "role"),
    (AUDITOR_PUNO, Action.RECORD_AUDIT_ENTRY, {"area": "210101"}, None),
    (AUDITOR_PUNO, Action.RECORD_AUDIT_ENTRY, {"area": "150101"}, "area"),
    (AUDITOR_PUNO, Action.RESOLVE_AUDIT_ENTRY, {"area": "150101"}, "area"),
    (AUDITOR_PUNO, Action.PLAN_AUDIT, {}, "area"),
    (AUDITOR_PUNO, Action.DRAW_AUDIT, {}, "area"),
]


@pytest.mark.parametrize(("who", "action", "target", "rule"), CASES, ids=lambda v: getattr(v, "actor", None) or str(v))
def test_the_policy(who: Principal, action: Action, target: dict[str, str], rule: str | None) -> None:
    assert permits(who, action, **target) == rule
    if rule is None:
        check(who, action, **target)
    else:
        with pytest.raises(AccessDenied) as caught:
            check(who, action, **target)
        assert caught.value.rule == rule
        assert str(caught.value).startswith(f"{rule}: ")
        assert who.actor in str(caught.value) or rule == "role"


def test_a_role_refusal_names_who_may() -> None:
    denied = refusal(REP, Action.RULE, area="150101", body="JEE")
    assert denied is not None
    assert str(denied) == "role: a party representative may not rule (allowed: administrator, judge)"


def test_the_actor_names_role_name_scope_and_area() -> None:
    assert CLERK.actor == "clerk:ana@150101"
    assert REP.actor == "representative:maria/FP"
    assert JUDGE.actor == "judge:luis/JEE@15"
    assert APPEALS.actor == "appeals_judge:jne/JNE"
    assert Principal.administrator("pat").actor == "administrator:pat"
    assert str(AUDITOR_PUNO) == "auditor:juan@21"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x", "role": "representative"}, "party: a party representative represents one party"),
        ({"name": "x", "role": "clerk", "party": "FP"}, "party: only a party representative has a party"),
        ({"name": "x", "role": "judge"}, "body: a dispute-body judge sits on one body"),
        ({"name": "x", "role": "auditor", "body": "JEE"}, "body: only a judge sits on a body"),
        ({"name": "x", "role": "administrator", "area": "15"}, "area: the administrator acts for the whole election"),
        ({"name": "x", "role": "appeals_judge", "body": "JNE", "area": "15"}, "area: an appeals judge"),
        ({"name": "a/b", "role": "clerk"}, "name: 'a/b' has '/'"),
        ({"name": "ana@x", "role": "clerk"}, "name: 'ana@x' has '@'"),
        ({"name": "ana\n", "role": "clerk"}, "name: 'ana\\n' has '\\n'"),
        ({"name": " ana", "role": "clerk"}, "name: ' ana' starts or ends with a space"),
        ({"name": "", "role": "clerk"}, "name: expected a non-empty name"),
        ({"name": "x" * 65, "role": "clerk"}, "at most 64"),
        ({"name": "x", "role": "clerk", "area": " 15"}, "area: expected an area code"),
    ],
)
def test_an_account_carries_exactly_its_roles_scope(fields: dict[str, str], message: str) -> None:
    """Each problem names the field as a request does (``party``, never the CLI's ``--party``)
    and carries it, so that every skin can name it its own way."""
    with pytest.raises(EscrutinioError, match=re.escape(message)) as refused:
        Principal(**fields)  # type: ignore[arg-type]
    assert "--" not in str(refused.value)
    assert refused.value.field == (message.split(": ")[0] if ": " in message else "name")


def test_the_public_may_take_no_action() -> None:
    anyone = Principal.public()
    assert anyone.actor == "public:anyone"
    for action in Action:
        assert permits(anyone, action) == "role"


def test_names_are_peoples() -> None:
    assert Principal("José María", Role.CLERK).actor == "clerk:José María"
    assert Principal("party:FP", Role.ADMINISTRATOR).actor == "administrator:party:FP"


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="'mayor' is not a valid Role"):
        Principal("x", "mayor")  # type: ignore[arg-type]
