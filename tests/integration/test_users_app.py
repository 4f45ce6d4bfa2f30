"""Accounts and tokens (``session.users``) and the policy as the application applies it, on a
real store on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.disputes_store import loaded

from escrutinio.app import AccessDenied, EscrutinioError, NotAuthenticated, Principal, Role, Session
from escrutinio.app.cases import Decision
from escrutinio.app.users import TokenCache, token_hash
from escrutinio.parsing import parse_effect


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    return loaded(db_url, tmp_path)


def _events_text(session: Session) -> str:
    return b"".join(session.store.event_lines()).decode()


def test_an_account_is_made_listed_authenticated_and_revoked(store: str) -> None:
    admin = Session(store, actor="registry")
    made = admin.users.add("ana", Role.CLERK, area="14")
    token = made.token
    assert len(token) >= 43 and token not in repr(made)
    assert admin.users.authenticate(token) == Principal("ana", Role.CLERK, area="14")
    (row,) = admin.users.listing()
    assert row["name"] == "ana" and row["role"] == "clerk" and row["area"] == "14" and row["revoked_at"] is None
    assert set(row) == {"name", "role", "area", "party", "body", "created_at", "revoked_at"}
    revoked = admin.users.revoke("ana")
    assert revoked["revoked_at"] and not revoked["already_revoked"]
    assert admin.users.revoke("ana")["already_revoked"]  # again: nothing more is written
    with pytest.raises(NotAuthenticated) as caught:
        admin.users.authenticate(token)
    assert caught.value.rule == "revoked" and token not in str(caught.value)
    # The log names the account's role and area, and who made it; never the token nor its hash.
    log = _events_text(admin)
    assert token not in log and token_hash(token) not in log
    created = admin.store.events_of_type("account.created")[0]
    assert created.actor == "administrator:registry"
    assert created.data == {"name": "ana", "role": "clerk", "area": "14", "party": None, "body": None}
    assert admin.store.events_of_type("account.revoked")[0].data == {"name": "ana", "role": "clerk", "area": "14"}
    admin.close()


def test_a_kept_authentication_holds_only_while_no_account_is_made_or_revoked(store: str) -> None:
    cache = TokenCache()
    with Session(store, actor="registry") as admin:
        token = admin.users.add("ana", Role.CLERK, area="14").token
        stamp = admin.users.stamp()
        assert stamp == admin.store.head()[0]  # the account's creation is the last account event
        assert cache.find(token, stamp) is None  # not authenticated yet
        principal = admin.users.authenticate(token, cache)
        assert cache.find(token, stamp) == principal == Principal("ana", Role.CLERK, area="14")
        admin.users.add("beto", Role.CLERK)
        made = admin.users.stamp()
        assert made > stamp and cache.find(token, made) is None  # an account event since: look it up again
        assert admin.users.authenticate(token, cache) == principal and cache.find(token, made) == principal
        admin.users.revoke("ana")
        revoked = admin.users.stamp()
        assert revoked > made and cache.find(token, revoked) is None
        with pytest.raises(NotAuthenticated) as caught:
            admin.users.authenticate(token, cache)
        assert caught.value.rule == "revoked"
        assert cache.find(token, revoked) is None  # a revoked account is never kept
        with pytest.raises(NotAuthenticated):
            cache.find("a" * 300, revoked)  # malformed: refused as by authenticate


@pytest.mark.parametrize("token", ["", "x", "é" * 10, "a" * 300, "Bearer abc"])
def test_a_token_that_is_no_token_is_refused_without_repeating_it(store: str, token: str) -> None:
    with Session(store) as admin, pytest.raises(NotAuthenticated) as caught:
        admin.users.authenticate(token)
    assert caught.value.rule == "token"
    assert token == "" or token not in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x", "role": Role.REPRESENTATIVE, "party": "APRA"}, "party: 'APRA' is not a choice of this contest (PL, FP)"),
        ({"name": "x", "role": Role.CLERK, "area": "99"}, "area: no area '99' in this election"),
        ({"name": "x", "role": Role.JUDGE}, "body: a dispute-body judge sits on one body: name it"),
        ({"name": "x", "role": "mayor"}, "role: expected one of administrator, clerk"),
        ({"name": "x@y", "role": Role.CLERK}, "name: 'x@y' has '@'"),
    ],
)
def test_an_account_that_cannot_be_is_refused_in_one_line(store: str, fields: dict, message: str) -> None:
    with Session(store) as admin:
        with pytest.raises(EscrutinioError) as caught:
            admin.users.add(**fields)
        assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
        assert admin.users.listing() == []


def test_names_are_not_reused_and_the_national_code_is_no_area(store: str) -> None:
    with Session(store) as admin:
        made = admin.users.add("olga", Role.AUDITOR, area=admin.election().country)
        assert made.account["area"] is None
        admin.users.revoke("olga")
        with pytest.raises(EscrutinioError, match=r"^name: an account 'olga' exists"):
            admin.users.add("olga", Role.AUDITOR)


def test_only_the_administrator_manages_accounts(store: str) -> None:
    auditor = Session(store, actor=Principal("olga", Role.AUDITOR))
    with pytest.raises(AccessDenied, match=r"^role: an auditor may not manage users"):
        auditor.users.add("eve", Role.ADMINISTRATOR)
    auditor.close()


def test_a_judge_rules_in_their_area_and_the_event_names_them(store: str) -> None:
    with Session(store) as admin:
        (observed,) = admin.cases.listing()  # the sample's sheet at the dispute body (table 000007, area 14)
    number = observed["number"]
    choices = ("PL", "FP")
    decision = Decision("0001-JEE", parse_effect("count_as_is", choices))
    elsewhere = Session(store, actor=Principal("rosa", Role.JUDGE, area="24", body="JEE"))
    head = elsewhere.store.head()
    with pytest.raises(AccessDenied) as caught:
        elsewhere.cases.rule(number, decision)
    assert caught.value.rule == "area" and "outside judge:rosa/JEE@24's area 24" in str(caught.value)
    other_body = Session(store, actor=Principal("rosa", Role.JUDGE, area="14", body="JEE-2"))
    with pytest.raises(AccessDenied, match=r"^body:"):
        other_body.cases.rule(number, decision)
    assert elsewhere.store.head() == head  # refused: nothing was written
    judge = Session(store, actor=Principal("luis", Role.JUDGE, area="14", body="JEE"))
    (ruled,) = judge.cases.rule(number, decision).cases
    assert ruled["status"] == "ruled" and judge.store.head()[0] > head[0]
    assert judge.cases.show(number)["history"][-1]["actor"] == "judge:luis/JEE@14"
    representative = Session(store, actor=Principal("maria", Role.REPRESENTATIVE, party="FP"))
    with pytest.raises(AccessDenied, match=r"^role: a party representative may not rule"):
        representative.cases.rule(number, decision)
    with pytest.raises(AccessDenied, match=r"^party:"):
        representative.cases.appeal(number, filer="PL")
    representative.cases.appeal(number, filer="FP")
    for s in (elsewhere, other_body, judge, representative):
        s.close()


def test_a_clerk_loads_only_their_areas_sheets(store: str, tmp_path: Path) -> None:
    from tests.onpe_sample import Row, write

    lima = write(tmp_path / "lima.csv", [Row("000101", ubigeo="140101")])
    both = write(tmp_path / "both.csv", [Row("000102", ubigeo="140101"), Row("000103", ubigeo="240106")])
    clerk = Session(store, actor=Principal("ana", Role.CLERK, area="14"))
    with pytest.raises(AccessDenied, match=r"^area: area 240106 is outside clerk:ana@14's area 14"):
        clerk.count.load(both, new_tables=True)
    assert clerk.count.load(lima, new_tables=True).recorded == 1
    assert clerk.store.events_of_type("sheets.recorded")[-1].actor == "clerk:ana@14"
    clerk.close()
