"""Error bodies that say the same thing the same way, over a real server on loopback: a missing
case names the path's ``number``; a role refusal names the credential (``authorization``); a
path that is not UTF-8 text is a 422 naming the table; an empty body is refused as empty; a
risk limit is taken as a JSON number too; ``already_done`` is a boolean in every write's answer."""

from __future__ import annotations

from tests.integration.api.server import Server
from tests.integration.api.test_api_refusals import bearer, error_of, tokens

__all__ = ["tokens"]  # the accounts fixture, shared with the refusals' tests


def test_refusals_name_the_request_field(server: Server, tokens: dict[str, str]) -> None:
    with server.client() as client:
        ruling = client.post(
            "/api/v1/cases/OBS-999999/ruling", json={"resolution": "R-1", "effect": "count_as_is"}, headers=bearer(tokens["root"])
        )
        draft = client.get("/api/v1/certificate/draft", headers=bearer(tokens["rep"]))
        bytes_ = client.get("/api/v1/tables/%ff")
        empty = client.post("/api/v1/tables/000003/entries", headers={**bearer(tokens["root"]), "Idempotency-Key": "e"})
    assert (error_of(ruling, 404)["field"], ruling.json()["error"]["rule"]) == ("number", "not_found")
    assert {k: error_of(draft, 403)[k] for k in ("field", "rule")} == {"field": "authorization", "rule": "role"}
    refused = error_of(bytes_, 422)
    assert (refused["field"], refused["rule"]) == ("table", "invalid") and "\ufffd" not in refused["message"]
    assert error_of(empty, 422) == {
        "field": "body",
        "rule": "missing",
        "message": "body: empty; expected a JSON object (it takes votes, blank, null, challenged, cast)",
    }


def test_a_risk_limit_is_a_number_or_a_string(server: Server, tokens: dict[str, str]) -> None:
    with server.client() as client:
        planned = client.post("/api/v1/audit/plan", json={"risk_limit": 0.05, "method": "bravo"}, headers=bearer(tokens["root"]))
        flag = client.post("/api/v1/audit/plan", json={"risk_limit": True, "method": "bravo"}, headers=bearer(tokens["root"]))
    assert planned.status_code == 200, planned.text
    assert planned.json()["risk_limit"] == "0.05"
    assert error_of(flag, 422)["field"] == "body.risk_limit"


def test_already_done_is_a_boolean_in_case_answers(server: Server, tokens: dict[str, str]) -> None:
    body = {"tables": ["000003"], "filer": "ONPE", "kind": "observation", "grounds": "illegible", "key": "obs-1"}
    with server.client() as client:
        first = client.post("/api/v1/cases", json=body, headers=bearer(tokens["root"]))
        again = client.post("/api/v1/cases", json=body, headers=bearer(tokens["root"]))
    assert (first.status_code, again.status_code) == (201, 200), (first.text, again.text)  # created, then already done
    assert first.json()["already_done"] is False and "event" not in first.json()
    assert again.json()["already_done"] is True and isinstance(again.json()["event"], int)
    assert [r["event"] for r in again.json()["receipts"]] == [again.json()["event"]]
