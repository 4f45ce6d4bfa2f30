"""The working screens' session cookie and CSRF token, as pure functions of the server's key:
a cookie opens only under its key and within its lifetime; a CSRF token belongs to one session;
sign-in returns only to a working screen."""

from __future__ import annotations

import time

import pytest

from escrutinio.parsing import InputError, parse_table_list, parse_tally_figure
from escrutinio.web import login
from escrutinio.web.login import SESSION_SECONDS, CookieRefused, csrf_matches, csrf_token, seal, unseal


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(login.KEY_VARIABLE, "unit test key")


def test_a_sealed_cookie_opens_within_its_lifetime_and_hides_the_token() -> None:
    now = int(time.time())
    cookie = seal("the-token", at=now)
    assert "the-token" not in cookie
    opened = unseal(cookie, now=now + SESSION_SECONDS - 1)
    assert (opened.token, opened.issued) == ("the-token", now)
    assert unseal(seal("the-token", at=now)).sid != opened.sid  # every sign-in is a new session


def test_an_old_cookie_is_expired_and_another_key_s_is_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    now = int(time.time())
    cookie = seal("t", at=now)
    with pytest.raises(CookieRefused) as expired:
        unseal(cookie, now=now + SESSION_SECONDS + 1)
    assert expired.value.rule == "expired" and expired.value.ended
    for forged in (cookie[:-6] + "AAAAAA", "not a cookie", "ñ"):
        with pytest.raises(CookieRefused) as invalid:
            unseal(forged, now=now)
        assert invalid.value.rule == "invalid"
    monkeypatch.setenv(login.KEY_VARIABLE, "another server's key")
    with pytest.raises(CookieRefused) as other:
        unseal(cookie, now=now)
    assert other.value.rule == "invalid"


def test_a_csrf_token_belongs_to_one_session_and_one_key(monkeypatch: pytest.MonkeyPatch) -> None:
    token = csrf_token("session-a")
    assert csrf_matches("session-a", token)
    assert not csrf_matches("session-b", token)
    assert not csrf_matches("session-a", None) and not csrf_matches(None, token) and not csrf_matches("session-a", "")
    monkeypatch.setenv(login.KEY_VARIABLE, "another server's key")
    assert not csrf_matches("session-a", token)


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/work/intake", "/work/intake"),
        ("/work/login", "/work/"),
        ("//evil.example/work/", "/work/"),
        ("https://evil.example/work/x", "/work/"),
        ("/work//evil.example", "/work/"),
        ("/api/v1/health", "/work/"),
        (None, "/work/"),
    ],
)
def test_sign_in_returns_only_to_a_working_screen(asked: str | None, goes: str) -> None:
    assert login._next(asked) == goes


def test_a_tally_figure_is_a_whole_number_and_an_empty_box_is_refused() -> None:
    assert parse_tally_figure(" 115 ", "votes.PL") == 115
    for bad, said in (("", "got nothing"), ("-1", "got '-1'"), ("1.5", "got '1.5'"), ("٣", "got '٣'")):
        with pytest.raises(InputError, match=f"votes.PL: expected a whole number, zero or more, {said}"):
            parse_tally_figure(bad, "votes.PL")


def test_a_table_list_takes_commas_spaces_and_lines_each_table_once() -> None:
    assert parse_table_list("000001, 000002\n000001 000003") == ["000001", "000002", "000003"]
    with pytest.raises(InputError, match="tables: expected one or more table ids"):
        parse_table_list(" , ")
