"""Signing in to the working screens over a real ``escrutinio serve`` (HTTP, no browser): the
session cookie, CSRF refusals, a revoked token, an expired or forged session; every refusal
leaves the store as it was."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.integration.api.server import Server, serving
from tests.integration.web.work_stores import EN, Accounts, hidden, roll_store, sign_in

from escrutinio.app import Session
from escrutinio.web.login import SESSION_COOKIE, SESSION_SECONDS, seal

KEY = "test session key: known to the test, so it can forge an old cookie"
ENTRY = {"votes.PL": "115", "votes.FP": "87", "blank": "0", "null": "18", "challenged": "0", "cast": "220"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Accounts]:
    folder = tmp_path_factory.mktemp("work-login")
    db = str(folder / "work.db")
    return db, roll_store(db, folder)


@pytest.fixture(scope="module")
def server(store: tuple[str, Accounts]) -> Iterator[Server]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ESCRUTINIO_SESSION_KEY", KEY)
        with serving(store[0]) as running:
            yield running


def head(db: str) -> int:
    with Session(db) as s:
        return s.store.head()[0]


def test_signing_in_sets_a_strict_httponly_cookie_and_opens_the_screens(server: Server, store: tuple[str, Accounts]) -> None:
    with server.client(headers=EN) as client:
        answer = sign_in(client, store[1].ana)
        assert answer.status_code == 303 and answer.headers["location"] == "/work/"
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite", "path", "max-age"} <= flags
        assert "samesite=strict" in cookie.lower() and "path=/work" in cookie.lower()
        assert store[1].ana not in cookie  # the token is sealed, never readable in the cookie
        home = client.get("/work/")
        assert home.status_code == 200 and "clerk:ana@14" in home.text
        assert client.get("/api/v1/health").status_code == 200  # the API never sees the cookie's path


def test_a_screen_without_a_session_sends_to_the_sign_in_form(server: Server) -> None:
    with server.client(headers=EN) as client:
        answer = client.get("/work/intake", params={"table": "000001"})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/work/login?next=/work/intake")


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(server: Server, store: tuple[str, Accounts]) -> None:
    db, accounts = store
    before = head(db)
    with server.client(headers=EN) as client, server.client(headers=EN) as other:
        assert sign_in(client, accounts.ana).status_code == 303
        assert sign_in(other, accounts.beto).status_code == 303
        page = client.get("/work/intake", params={"table": "000002"}).text
        theirs = other.get("/work/intake", params={"table": "000002"}).text
        missing = client.post("/work/intake", data={"table": "000002", "key": "k1", **ENTRY})
        assert missing.status_code == 403
        assert "csrf" in missing.text and "nothing was done" in missing.text
        forged = client.post("/work/intake", data={"table": "000002", "key": "k2", "csrf": hidden(theirs, "csrf"), **ENTRY})
        assert forged.status_code == 403 and "csrf" in forged.text
        assert head(db) == before
        accepted = client.post("/work/intake", data={"table": "000002", "key": "k3", "csrf": hidden(page, "csrf"), **ENTRY})
        assert accepted.status_code == 201, accepted.text
        assert head(db) == before + 1
        logout = client.post("/work/logout", data={})
        assert logout.status_code == 403  # signing out is a form too


def test_the_sign_in_form_needs_its_own_csrf_token(server: Server, store: tuple[str, Accounts]) -> None:
    with server.client(headers=EN) as client:
        client.get("/work/login")
        answer = client.post("/work/login", data={"token": store[1].ana, "csrf": "0" * 64})
        assert answer.status_code == 403 and "csrf" in answer.text
        assert SESSION_COOKIE not in answer.cookies


def test_a_revoked_token_cannot_sign_in_and_ends_a_session_already_open(server: Server, tmp_path: Path) -> None:
    from escrutinio.domain.roles import Role

    db = str(tmp_path / "revoked.db")
    accounts = roll_store(db, tmp_path)
    with Session(db, "admin") as admin:
        gone = admin.users.add("gone", Role.CLERK).token
    with serving(db) as own, own.client(headers=EN) as client, own.client(headers=EN) as early:
        assert sign_in(early, gone).status_code == 303
        with Session(db, "admin") as admin:
            admin.users.revoke("gone")
        refused = sign_in(client, gone)
        assert refused.status_code == 401
        assert "revoked" in refused.text and "gone" in refused.text
        assert SESSION_COOKIE not in refused.cookies
        ended = early.get("/work/")
        assert ended.status_code == 401 and "revoked" in ended.text
        unknown = sign_in(client, "not-a-token-of-this-store")
        assert unknown.status_code == 401 and "unknown token" in unknown.text
        assert sign_in(client, accounts.ana).status_code == 303


def test_an_expired_or_forged_session_signs_in_again(server: Server, store: tuple[str, Accounts]) -> None:
    db, accounts = store
    before = head(db)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ESCRUTINIO_SESSION_KEY", KEY)
        old = seal(accounts.ana, at=int(time.time()) - SESSION_SECONDS - 60)
        fresh = seal(accounts.ana)
    with server.client(headers=EN) as client:
        client.cookies.set(SESSION_COOKIE, old, domain="127.0.0.1", path="/work")
        expired = client.get("/work/")
        assert expired.status_code == 401
        assert "expired" in expired.text and "the session ended at" in expired.text
        assert SESSION_COOKIE not in client.cookies  # the expired cookie was dropped
        client.cookies.set(SESSION_COOKIE, old, domain="127.0.0.1", path="/work")
        posted = client.post("/work/intake", data={"table": "000003", "key": "x", **ENTRY})
        assert posted.status_code == 401 and head(db) == before
    with server.client(headers=EN) as client:
        client.cookies.set(SESSION_COOKIE, fresh, domain="127.0.0.1", path="/work")
        assert client.get("/work/").status_code == 200  # the same key, in time: signed in
    with server.client(headers=EN) as client:
        client.cookies.set(SESSION_COOKIE, fresh[:-4] + "AAAA", domain="127.0.0.1", path="/work")
        forged = client.get("/work/")
        assert forged.status_code == 401 and "invalid" in forged.text


def test_sign_in_returns_only_to_a_working_screen(server: Server, store: tuple[str, Accounts]) -> None:
    with server.client(headers=EN) as client:
        form = client.get("/work/login", params={"next": "//evil.example/x"})
        answer = client.post(
            "/work/login", data={"token": store[1].ana, "csrf": hidden(form.text, "csrf"), "next": "https://evil.example/"}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/work/"


def test_wrong_role_is_refused_with_its_rule(server: Server, store: tuple[str, Accounts]) -> None:
    """A clerk on the claim form: the application refuses by the role rule; nothing is filed."""
    db, accounts = store
    before = head(db)
    with server.client(headers=EN) as client:
        sign_in(client, accounts.ana)
        page = client.get("/work/claims").text
        data = {"csrf": hidden(page, "csrf"), "key": "c1", "tables": "000001", "filer": "FP", "grounds": "b"}
        data |= {"fee_receipt": "R-1", "step": "file", "anyway": "yes"}
        refused = client.post("/work/claims", data=data)
        assert refused.status_code == 403, refused.text
        assert "role" in refused.text and "a clerk may not" in refused.text
    assert head(db) == before
    assert httpx.get(f"{server.url}/api/v1/cases").json() == []


def test_the_screens_speak_the_reader_s_language(server: Server, store: tuple[str, Accounts]) -> None:
    with server.client() as client:
        assert "Iniciar sesión" in client.get("/work/login").text  # Spanish by default
        sign_in(client, store[1].ana)
        assert "Pantallas de trabajo" in client.get("/work/", headers={"Accept-Language": "es-PE"}).text
        refused = client.post("/work/intake", data={"table": "000001"}, headers={"Accept-Language": "es"})
        assert refused.status_code == 403 and "no se hizo nada" in refused.text
        assert "Working screens" in client.get("/work/", params={"lang": "en"}).text  # the switch (remembered)
        assert "Working screens" in client.get("/work/", headers={"Accept-Language": "es"}).text
