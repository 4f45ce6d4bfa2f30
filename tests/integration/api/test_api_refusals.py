"""How a write is refused, over a real server on loopback (SQLite and PostgreSQL): who is asking
first (401, then 403 by role), then the body (422 naming the field and the rule: not UTF-8, not
JSON, a field the request does not take), then the recorded state (409 naming the rule); a body
sent without Content-Length over the limit is 413. Nothing refused is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.integration.api.server import Server, serving

from escrutinio.app import Role, Session


@pytest.fixture(scope="module")
def tokens(small_db: str) -> dict[str, str]:
    with Session(small_db, actor="setup") as admin:
        return {
            "root": admin.users.add("root", Role.ADMINISTRATOR).token,
            "rep": admin.users.add("rep", Role.REPRESENTATIVE, party="FP").token,
            "clerk": admin.users.add("clerk", Role.CLERK).token,
            "auditor": admin.users.add("auditor", Role.AUDITOR).token,
        }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(got: httpx.Response, status: int) -> dict[str, Any]:
    assert got.status_code == status, got.text
    assert got.headers["content-type"].startswith("application/json"), got.text
    error = got.json()["error"]
    assert set(error) >= {"field", "rule", "message"} and "\n" not in error["message"], error
    return dict(error)


def head(db: str) -> int:
    with Session(db) as s:
        return int(s.store.head()[0])


def test_a_chunked_body_over_the_limit_is_413(small_db: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 500

    with serving(small_db, "--max-body", "1000") as server, server.client() as client:
        got = client.post("/api/v1/cases/finalise", content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in got.request.headers and got.request.headers["transfer-encoding"] == "chunked"
        assert error_of(got, 413) == {
            "field": "body",
            "rule": "too_large",
            "message": "body: the body exceeds 1000 bytes; at most 1000 bytes are accepted",
        }
        small = client.post("/api/v1/cases/finalise", content=iter([b"{", b"}"]), headers={"content-type": "application/json"})
        assert error_of(small, 401)["rule"] == "token"  # within the limit, the body reaches the route


def test_a_body_that_is_not_utf8_names_the_body_and_the_rule(server: Server, tokens: dict[str, str], small_db: str) -> None:
    before = head(small_db)
    with server.client() as client:
        got = client.post("/api/v1/cases/finalise", content=b'{"key": "caf\xe9"}', headers=bearer(tokens["root"]))
        not_json = client.post("/api/v1/cases/finalise", content=b'{"key": ', headers=bearer(tokens["root"]))
    assert error_of(got, 422) == {
        "field": "body",
        "rule": "encoding",
        "message": "body: not UTF-8 text (byte 0xe9 at offset 12); send it encoded in UTF-8",
    }
    assert error_of(not_json, 422)["field"] == "body" and error_of(not_json, 422)["rule"] == "json_invalid"
    assert head(small_db) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/cases/finalise", {"kye": "k1"}, "body.kye"),
        ("/cases", {"tables": ["000001"], "filer": "FP", "grounds": "b", "fee_reciept": "R-1"}, "body.fee_reciept"),
        ("/audit/plan", {"risk_limit": "0.05", "method": "macro", "max_round": 3}, "body.max_round"),
        ("/audit/draw", {"round": 2}, "body.round"),  # a step that takes no field: none is ignored
    ],
)
def test_a_field_the_request_does_not_take_is_refused_not_dropped(
    server: Server, tokens: dict[str, str], small_db: str, path: str, body: dict[str, Any], field: str
) -> None:
    before = head(small_db)
    with server.client() as client:
        got = client.post(f"/api/v1{path}", json=body, headers=bearer(tokens["root"]))
    error = error_of(got, 422)
    assert (error["field"], error["rule"]) == (field, "unknown_field")
    assert error["message"].startswith(f"{field}: not a field of this body (it takes ")
    assert head(small_db) == before


def test_the_caller_is_checked_before_the_body(server: Server, tokens: dict[str, str]) -> None:
    """No token: 401 whatever the body; a role that may never take the action: 403 naming the
    role, before its body's fields (or its encoding) are judged."""
    bad_bodies: list[dict[str, Any]] = [
        {"content": b"\xff\xfe not json"},
        {"json": {"risk_limit": 7, "nonsense": True}},
        {"json": []},
    ]
    with server.client() as client:
        for body in bad_bodies:
            anonymous = client.post("/api/v1/audit/plan", **body)  # type: ignore[arg-type]
            assert error_of(anonymous, 401)["rule"] == "token"
            wrong_role = client.post("/api/v1/audit/plan", headers=bearer(tokens["rep"]), **body)  # type: ignore[arg-type]
            error = error_of(wrong_role, 403)
            assert error["rule"] == "role"
            assert error["message"] == "role: a party representative may not plan audit (allowed: administrator, auditor)"
            entry = client.post("/api/v1/tables/000001/entries", headers=bearer(tokens["auditor"]), **body)  # type: ignore[arg-type]
            assert error_of(entry, 403)["rule"] == "role"
            filing = client.post("/api/v1/cases", headers=bearer(tokens["auditor"]), **body)  # type: ignore[arg-type]
            assert error_of(filing, 403)["message"] == (
                "role: an auditor may not file a case (allowed: administrator, clerk, judge, representative)"
            )
        # An allowed role with the same bodies is told what is wrong with them.
        right_role = client.post(
            "/api/v1/audit/plan", json={"risk_limit": 7, "nonsense": True}, headers=bearer(tokens["auditor"])
        )
        assert error_of(right_role, 422)["field"] in {"body.risk_limit", "body.nonsense"}


def test_a_second_audit_plan_is_409_naming_the_rule(server: Server, tokens: dict[str, str], small_db: str) -> None:
    plan = {"risk_limit": "0.1", "method": "macro"}
    with server.client() as client:
        first = client.post("/api/v1/audit/plan", json=plan, headers=bearer(tokens["auditor"]))
        assert first.status_code == 200, first.text
        before = head(small_db)
        again = client.post("/api/v1/audit/plan", json=plan, headers=bearer(tokens["auditor"]))
    error = error_of(again, 409)
    assert error["rule"] == "audit_open" and error["message"].startswith("an audit is already open in this store")
    assert head(small_db) == before


def test_an_audit_step_out_of_its_phase_is_409_and_a_bad_seed_names_its_field(
    server: Server, tokens: dict[str, str], small_db: str
) -> None:
    """A draw before the seed is well formed and would be taken later: 409 naming the state
    (``audit_phase``), not a 422 naming no field; a seed that is no ceremony's names ``body.seed``."""
    root = bearer(tokens["root"])
    with server.client() as client:
        client.post("/api/v1/audit/plan", json={"risk_limit": "0.1", "method": "macro"}, headers=root)  # or already open
        before = head(small_db)
        draw = client.post("/api/v1/audit/draw", headers=root)
        seed = client.post("/api/v1/audit/seed", json={"seed": "0" * 20 + "*"}, headers=root)
    error = error_of(draw, 409)
    assert error["rule"] == "audit_phase" and "not in phase planned" in error["message"], error
    assert error_of(seed, 422)["field"] == "body.seed"
    assert head(small_db) == before


def test_a_refusal_telling_a_next_step_names_the_api_s_request_not_a_command(server: Server, tokens: dict[str, str]) -> None:
    """The application's message tells a person at the command line what to run (``escrutinio
    audit report``, ``escrutinio head sign``); an API client has none, so the answer names the
    request instead (``api/errors.py``'s STEPS)."""
    root = bearer(tokens["root"])
    plan = {"risk_limit": "0.1", "method": "macro"}
    with server.client() as client:
        client.post("/api/v1/audit/plan", json=plan, headers=root)  # or already open
        answers = {
            "plan again": client.post("/api/v1/audit/plan", json=plan, headers=root),
            "no head": client.get("/api/v1/heads/latest"),
            "no head of a size": client.get("/api/v1/heads/3"),
            "no head for a receipt": client.get("/api/v1/receipts/1"),
        }
    said = {what: got.json()["error"]["message"] for what, got in answers.items()}
    assert not [m for m in said.values() if "escrutinio" in m or "--" in m], said
    assert said["plan again"].endswith("; finish it with POST /api/v1/audit/report"), said
    assert (
        said["no head"]
        == "no head has been signed yet; ask again once the administrator has signed a head (GET /api/v1/heads/latest)"
    )
    assert said["no head of a size"] == "size: no head of size 3 was signed; GET /api/v1/heads lists those that were"
    assert said["no head for a receipt"].startswith("seq: event 1 is not in a signed head yet; ask again once"), said


def test_a_header_that_names_who_or_which_action_is_refused_sent_twice(
    server: Server, tokens: dict[str, str], small_db: str
) -> None:
    """Two ``Authorization`` headers (which one acts?) or two ``Idempotency-Key`` (which action
    does a resend repeat?) are a 422 naming the header, as a repeated query parameter is; a token
    is never repeated back. A wrong scheme's 401 names no CLI command."""
    root = f"Bearer {tokens['root']}"
    with server.client() as client:
        two_tokens = client.get("/api/v1/certificate/draft", headers=[("Authorization", root), ("Authorization", "Bearer x")])
        two_keys = client.put(
            "/api/v1/tables/000001/image",
            content=b"%PDF-1.4\n",
            headers=[("Authorization", root), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
        )
        basic = client.get("/api/v1/certificate/draft", headers={"Authorization": "Basic Zm9vOmJhcg=="})
        clerk = f"Bearer {tokens['clerk']}"
        entry = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}
        # Every table of the sample has its sheet (a 422 ``has_sheet``): what counts is that the
        # clerk's token is now known to ``api/hot_writes.py``, which then takes the clerk's entries
        # before the framework does; it took the first of each header sent twice.
        warm = client.post("/api/v1/tables/000002/entries", json=entry, headers={"Authorization": clerk, "Idempotency-Key": "w"})
        assert error_of(warm, 422)["rule"] == "has_sheet"
        before = head(small_db)
        entry_two_keys = client.post(
            "/api/v1/tables/000001/entries",
            json=entry,
            headers=[("Authorization", clerk), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
        )
        entry_two_tokens = client.post(
            "/api/v1/tables/000001/entries",
            json=entry,
            headers=[("Authorization", clerk), ("Authorization", root), ("Idempotency-Key", "c")],
        )
    assert error_of(entry_two_keys, 422)["rule"] == error_of(entry_two_tokens, 422)["rule"] == "repeated"
    assert head(small_db) == before  # nothing recorded
    error = error_of(two_tokens, 422)
    assert (error["field"], error["rule"]) == ("authorization", "repeated") and tokens["root"] not in error["message"]
    assert error_of(two_keys, 422) == {
        "field": "Idempotency-Key",
        "rule": "repeated",
        "message": "Idempotency-Key: sent 2 times ('a', 'b'); send it once",
    }
    said = error_of(basic, 401)["message"]
    assert said.startswith("token: expected Authorization: Bearer <token>; ") and "escrutinio" not in said, said
