"""The authorization matrix over a real server on loopback: every role × every write endpoint ×
a target inside and outside the account's area, allowed or refused as the rules say; no token,
an unknown token and a revoked one are 401.

The expectations are written out here by hand (``ALLOWED``, ``WHOLE_ELECTION``), not computed
by the policy under test, so a change to ``domain/roles.py`` that this table does not expect
fails. An allowed request must get past authorization (never 401/403) and each write endpoint
must be carried out (2xx) for at least one allowed account; a refused one is 403 naming the
rule, and writes nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests import scans
from tests.conftest import fresh_pg_database
from tests.integration.api.server import Server, serving
from tests.onpe_sample import write

from escrutinio.api.auth import ACCOUNTS_FRESH
from escrutinio.app import Principal, Role, RuleError, Session

IN, OUT = "000001", "000004"
"""Targets: a table in area 14 (ubigeo 140137) and one in area 24 (240106)."""
TO_RESOLVE = {IN: "000002", OUT: "000005"}
"""Tables of the same areas, also in the audit's sample, whose entries are made to differ."""


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    area: str | None = None
    party: str | None = None
    body: str | None = None


ACCOUNTS = [
    Account("root", Role.ADMINISTRATOR),
    Account("clerk14", Role.CLERK, area="14"),
    Account("clerk", Role.CLERK),
    Account("rep14", Role.REPRESENTATIVE, area="14", party="FP"),
    Account("rep", Role.REPRESENTATIVE, party="FP"),
    Account("judge14", Role.JUDGE, area="14", body="JEE"),
    Account("judge", Role.JUDGE, body="JEE"),
    Account("appeals", Role.APPEALS_JUDGE, body="JNE"),
    Account("auditor14", Role.AUDITOR, area="14"),
    Account("auditor", Role.AUDITOR),
]

INTAKE_ENDPOINTS = ["sheet_entry", "sheet_image", "sheet_image_form"]
CASE_ENDPOINTS = [
    "file_claim",
    "own_motion",
    "own_motion_other_body",
    "observation",
    "ruling",
    "appeal",
    "appeal_decision",
    "finalise",
]
AUDIT_ENDPOINTS = [
    "audit_plan",
    "audit_seed",
    "audit_draw",
    "audit_entry",
    "audit_entries_csv",
    "audit_resolution",
    "audit_measure",
    "audit_report",
]
CERTIFY_ENDPOINTS = ["register_key", "certify"]
ENDPOINTS = INTAKE_ENDPOINTS + CASE_ENDPOINTS + AUDIT_ENDPOINTS + CERTIFY_ENDPOINTS

ALLOWED = {
    Role.ADMINISTRATOR: set(ENDPOINTS),
    # register_key: the administrator's alone; certify: the appeals body's (and the administrator's)
    Role.CLERK: {"sheet_entry", "sheet_image", "sheet_image_form", "observation"},
    Role.REPRESENTATIVE: {"file_claim", "appeal"},
    Role.JUDGE: {"own_motion", "ruling", "finalise"},
    Role.APPEALS_JUDGE: {"appeal_decision", "finalise", "certify"},
    Role.AUDITOR: set(AUDIT_ENDPOINTS),
}
"""What each role may do, anywhere in its area."""

WHOLE_ELECTION = {"certify", "finalise", "audit_plan", "audit_seed", "audit_draw", "audit_measure", "audit_report"}
"""Endpoints that act on the whole election: an account limited to an area is refused them."""

OTHER_BODY = {"own_motion_other_body": {Role.JUDGE}}
"""Endpoints a role may take for its own body only, here asked in the name of another (a JEE
judge opening an own-motion case as the JNE): refused by the ``body`` rule, in its area or not."""

FIELDS = {
    "role": "authorization",
    "body": "body.filer",
    **{e: "table" for e in INTAKE_ENDPOINTS},
    **{e: "body.tables" for e in ("file_claim", "own_motion", "observation")},
    **{e: "number" for e in ("ruling", "appeal", "appeal_decision")},
    **{e: "body.table" for e in ("audit_entry", "audit_resolution")},
    "audit_entries_csv": "table",
    **{e: "authorization" for e in WHOLE_ELECTION},
}
"""The request field each refusal names: the credential for a role (or an area-limited account
on the whole election), the filer for another body, else the target the area refuses."""


ROUTES = {
    "sheet_entry": "POST /tables/{table}/entries",
    "sheet_image": "PUT /tables/{table}/image",
    "sheet_image_form": "POST /tables/{table}/image",
    "file_claim": "POST /cases",
    "own_motion": "POST /cases",
    "own_motion_other_body": "POST /cases",
    "observation": "POST /cases",
    "ruling": "POST /cases/{number}/ruling",
    "appeal": "POST /cases/{number}/appeal",
    "appeal_decision": "POST /cases/{number}/appeal-decision",
    "finalise": "POST /cases/finalise",
    "audit_plan": "POST /audit/plan",
    "audit_seed": "POST /audit/seed",
    "audit_draw": "POST /audit/draw",
    "audit_entry": "POST /audit/entries",
    "audit_entries_csv": "POST /audit/entries.csv",
    "audit_resolution": "POST /audit/resolutions",
    "audit_measure": "POST /audit/measure",
    "audit_report": "POST /audit/report",
    "register_key": "POST /keys",
    "certify": "POST /certificate",
}
"""The route each endpoint of the matrix goes through (the matrix must cover every write route)."""


def expected(account: Account, endpoint: str, target: str) -> str | None:
    """The rule that refuses ``account`` on ``endpoint`` for a table ``target`` (None: allowed)."""
    if account.role in OTHER_BODY.get(endpoint, ()):
        return "body"
    if endpoint not in ALLOWED[account.role]:
        return "role"
    if account.area is not None and (endpoint in WHOLE_ELECTION or target == OUT):
        return "area"
    return None


@dataclass
class Matrix:
    server: Server
    db: str
    tokens: dict[str, str]

    def admin(self) -> Session:
        return Session(self.db, actor="matrix-setup")


@contextlib.contextmanager
def _serving_matrix(db: str) -> Iterator[Matrix]:
    tokens = {}
    with Session(db, actor="matrix-setup") as admin:
        for a in ACCOUNTS:
            tokens[a.name] = admin.users.add(a.name, a.role, area=a.area, party=a.party, body=a.body).token
    with serving(db) as server:
        yield Matrix(server, db, tokens)


@pytest.fixture(scope="module")
def matrix(small_db: str) -> Iterator[Matrix]:
    """The accounts on the sample store (every sheet counted): the cases' and the audit's writes."""
    with _serving_matrix(small_db) as made:
        yield made


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def intake_matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """The accounts on a store holding the sample's roll and no sheet yet: the intake's writes."""
    folder = tmp_path_factory.mktemp("intake-matrix")
    db = str(folder / "roll.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db, actor="matrix-setup") as admin:
        admin.intake.register_roll(write(folder / "sample.csv"), "peru-2021-runoff")
    with _serving_matrix(db) as made:
        yield made


# -- each endpoint: what to set up as the administrator, then the request ------------------


def _open_case(m: Matrix, table: str, *, ruled: bool = False, appealed: bool = False) -> str:
    """A fresh own-motion case on ``table`` (ruled, appealed), made in-process as the administrator."""
    from escrutinio.app.cases import Decision
    from escrutinio.parsing import parse_case_kind, parse_effect

    with m.admin() as s:
        (case,) = s.cases.file(tables=[table], filer="JEE", kind=parse_case_kind("own_motion"), grounds="b").cases
        number = str(case["number"])
        if ruled or appealed:
            s.cases.rule(number, Decision(f"R-{number}", parse_effect("dismiss", ("PL", "FP"))))
        if appealed:
            s.cases.appeal(number, filer="FP")
    return number


def _sampled(m: Matrix, table: str) -> dict[str, Any]:
    with m.admin() as s:
        return next(t for t in s.audit.status()["tables"] if t["table"] == table)


def _as_counted(row: dict[str, Any], entry: int, *, off: int = 0) -> dict[str, Any]:
    other = row["sheet_ballots"] - row["sheet_winner"] - row["sheet_loser"]
    counts = f"FP={row['sheet_winner'] + off},PL={row['sheet_loser'] - off},other={other}"
    return {"table": row["table"], "by": f"counter {entry}", "entry": entry, "counts": counts, "ballots": row["sheet_ballots"]}


def _differing(m: Matrix, table: str) -> dict[str, Any]:
    """Two differing entries for ``table`` (recorded as the administrator); the resolution's body."""
    from escrutinio.parsing import AuditEntryText, parse_audit_entry

    row = _sampled(m, table)
    with m.admin() as s:
        for entry, off in ((1, 0), (2, 1)):
            e = _as_counted(row, entry, off=off)
            text = AuditEntryText(e["table"], e["by"], e["entry"], e["counts"], e["ballots"])
            s.audit.record(parse_audit_entry(s.audit.unit(), text))
    body = _as_counted(row, 1)
    del body["entry"]
    return {**body, "reason": "recounted in public"}


def _completed(m: Matrix) -> None:
    """Every sampled table entered twice as its sheet says (so the risk can be measured)."""
    from escrutinio.parsing import AuditEntryText, parse_audit_entry

    with m.admin() as s:
        for row in s.audit.status()["tables"]:
            for entry in (1, 2):
                e = _as_counted(row, entry)
                text = AuditEntryText(e["table"], e["by"], e["entry"], e["counts"], e["ballots"])
                # A table whose entries were made to differ (and resolved) stands as it is.
                with contextlib.suppress(RuleError):
                    s.audit.record(parse_audit_entry(s.audit.unit(), text))


@dataclass(frozen=True)
class Form:
    """A multipart form's files: {field: (file name, bytes, media type)}."""

    files: dict[str, tuple[str, bytes, str]]


Body = dict[str, Any] | bytes | Form | None
Request = tuple[str, str, Body] | tuple[str, str, Body, dict[str, str]]
"""(method, path, body[, headers]): a ``bytes`` body is sent as it is (a CSV, an image)."""
Setup = Callable[[Matrix, str], Request]

PNG = scans.png(4)
_KEYS = iter(range(1_000_000))


def _keyed() -> dict[str, str]:
    """A fresh Idempotency-Key: every request of the matrix is a new action."""
    return {"Idempotency-Key": f"matrix-{next(_KEYS)}"}


SETUPS: dict[str, Setup] = {
    "sheet_entry": lambda m, t: (
        "POST",
        f"/tables/{t}/entries",
        {"votes": {"PL": 100, "FP": 90}, "blank": 1, "null": 2, "challenged": 0, "cast": 193},
        _keyed(),
    ),
    "sheet_image": lambda m, t: ("PUT", f"/tables/{t}/image", PNG, {**_keyed(), "content-type": "image/png"}),
    "sheet_image_form": lambda m, t: ("POST", f"/tables/{t}/image", Form({"image": ("scan.png", PNG, "image/png")}), _keyed()),
    "file_claim": lambda m, t: ("POST", "/cases", {"tables": [t], "filer": "FP", "grounds": "b"}),
    "own_motion": lambda m, t: ("POST", "/cases", {"tables": [t], "filer": "JEE", "kind": "own_motion", "grounds": "b"}),
    "own_motion_other_body": lambda m, t: (
        "POST",
        "/cases",
        {"tables": [t], "filer": "JNE", "kind": "own_motion", "grounds": "b"},
    ),
    "observation": lambda m, t: ("POST", "/cases", {"tables": [t], "filer": "ONPE", "kind": "observation"}),
    "ruling": lambda m, t: ("POST", f"/cases/{_open_case(m, t)}/ruling", {"resolution": "R1", "effect": "dismiss"}),
    "appeal": lambda m, t: ("POST", f"/cases/{_open_case(m, t, ruled=True)}/appeal", {"filer": "FP"}),
    "appeal_decision": lambda m, t: (
        "POST",
        f"/cases/{_open_case(m, t, appealed=True)}/appeal-decision",
        {"resolution": "A1", "effect": "confirm"},
    ),
    "finalise": lambda m, t: ("POST", "/cases/finalise", {}),
    "audit_plan": lambda m, t: ("POST", "/audit/plan", {"risk_limit": "0.1", "method": "macro"}),
    "audit_seed": lambda m, t: ("POST", "/audit/seed", {"seed": "73029184650183746529", "ceremony": "dice"}),
    "audit_draw": lambda m, t: ("POST", "/audit/draw", None),
    "audit_entry": lambda m, t: ("POST", "/audit/entries", _as_counted(_sampled(m, t), 1)),
    "audit_entries_csv": lambda m, t: ("POST", "/audit/entries.csv", _csv(_as_counted(_sampled(m, t), 2))),
    "audit_resolution": lambda m, t: ("POST", "/audit/resolutions", _differing(m, TO_RESOLVE[t])),
    "audit_measure": lambda m, t: (_completed(m), ("POST", "/audit/measure", None))[1],
    "audit_report": lambda m, t: ("POST", "/audit/report", None),
    "register_key": lambda m, t: ("POST", "/keys", {"public_key": _new_key(), "holder": "an observer", "role": "observer"}),
    # A signature that does not check: the role is judged before it (403), an allowed one is refused for it (4xx).
    "certify": lambda m, t: ("POST", "/certificate", {"certificate": {}, "key_id": "0" * 64, "signature": "00"}),
}


def _new_key() -> str:
    """A fresh public key's 64 hex digits (each registration a new key)."""
    from escrutinio.ledger.signing import generate_key

    return str(generate_key().public.hex)


def _csv(e: dict[str, Any]) -> bytes:
    return f'table,entry,counts,ballots,by\n{e["table"]},{e["entry"]},"{e["counts"]}",{e["ballots"]},{e["by"]}\n'.encode()


def _send(client: httpx.Client, request: Request, token: str | None) -> httpx.Response:
    method, path, body = request[:3]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(request[3] if len(request) > 3 else {})  # type: ignore[misc]
    if isinstance(body, Form):
        return client.request(method, "/api/v1" + path, files=body.files, headers=headers)
    if isinstance(body, bytes):
        return client.request(method, "/api/v1" + path, content=body, headers={"content-type": "text/csv", **headers})
    return client.request(method, "/api/v1" + path, json=body if body is not None else None, headers=headers)


def _head(m: Matrix) -> int:
    with Session(m.db) as s:
        return int(s.store.head()[0])


def test_every_role_on_every_write_endpoint_in_and_out_of_its_area(matrix: Matrix) -> None:
    """In lifecycle order (the audit is planned before it is drawn, entered before measured)."""
    _run(matrix, CASE_ENDPOINTS + AUDIT_ENDPOINTS)


def test_every_role_on_every_intake_endpoint_in_and_out_of_its_area(intake_matrix: Matrix) -> None:
    """Sheets keyed and scans attached, on a roll no sheet was loaded on yet."""
    _run(intake_matrix, INTAKE_ENDPOINTS)


def test_every_role_on_the_keys_and_the_certificate(matrix: Matrix) -> None:
    """The proclamation needs a whole election final and a signed draft: here the matrix checks
    who may try it (a refused role is 403 before the signature is looked at)."""
    _run(matrix, CERTIFY_ENDPOINTS, carried_out_by_someone=["register_key"])


def _run(matrix: Matrix, endpoints: list[str], carried_out_by_someone: list[str] | None = None) -> None:
    """Every account on each of ``endpoints``, in and out of its area; each endpoint (of
    ``carried_out_by_someone``, by default all) carried out by at least one allowed account."""
    carried_out: dict[str, int] = {}
    with matrix.server.client() as client:
        for endpoint in endpoints:
            for account in ACCOUNTS:
                for target in (IN, OUT):
                    rule = expected(account, endpoint, target)
                    setup = SETUPS[endpoint]
                    request = setup(matrix, target)
                    before = _head(matrix)
                    got = _send(client, request, matrix.tokens[account.name])
                    where = f"{account.name} {endpoint} {target}: {got.status_code} {got.text[:300]}"
                    if rule is None:
                        assert got.status_code not in (401, 403), where
                        if got.is_success:
                            carried_out[endpoint] = carried_out.get(endpoint, 0) + 1
                    else:
                        assert got.status_code == 403, where
                        error = got.json()["error"]
                        assert error["rule"] == rule and error["message"].startswith(f"{rule}: "), where
                        assert error["field"] == FIELDS[rule if rule != "area" else endpoint], where
                        assert _head(matrix) == before, where  # refused: nothing was written
                # Without a token, a write is 401 whatever the endpoint.
            anonymous = _send(client, SETUPS[endpoint](matrix, IN), None)
            assert anonymous.status_code == 401 and anonymous.json()["error"]["rule"] == "token", anonymous.text
            assert anonymous.headers["www-authenticate"] == "Bearer"
    wanted = set(endpoints if carried_out_by_someone is None else carried_out_by_someone)
    assert set(carried_out) == wanted, sorted(wanted ^ set(carried_out))


def test_the_matrix_covers_every_write_route(matrix: Matrix) -> None:
    """A write route added to the API without a row here fails: its roles were never checked."""
    with matrix.server.client() as client:
        document = client.get("/openapi.json").json()
    writes = {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    assert set(ROUTES) == set(ENDPOINTS)
    assert writes == set(ROUTES.values()), sorted(writes ^ set(ROUTES.values()))


def test_a_representative_acts_for_their_party_only(matrix: Matrix) -> None:
    with matrix.server.client() as client:
        other = _send(client, ("POST", "/cases", {"tables": [IN], "filer": "PL", "grounds": "b"}), matrix.tokens["rep"])
        number = _open_case(matrix, IN, ruled=True)
        appeal = _send(client, ("POST", f"/cases/{number}/appeal", {"filer": "PL"}), matrix.tokens["rep"])
    for got in (other, appeal):
        assert got.status_code == 403
        assert got.json()["error"] == {
            "field": "body.filer",
            "rule": "party",
            "message": "party: representative:rep/FP acts for FP, not for PL",
        }


def test_a_judge_of_another_body_is_refused(matrix: Matrix) -> None:
    number = _open_case(matrix, IN)
    with matrix.server.client() as client:
        got = _send(
            client,
            ("POST", f"/cases/{number}/ruling", {"resolution": "R", "effect": "dismiss", "body": "JEE-LIMA"}),
            matrix.tokens["judge"],
        )
    assert got.status_code == 403 and got.json()["error"]["rule"] == "body"


def test_events_name_the_authenticated_account(matrix: Matrix) -> None:
    with matrix.server.client() as client:
        got = _send(client, ("POST", "/cases", {"tables": [IN], "filer": "FP", "grounds": "b"}), matrix.tokens["rep14"])
    assert got.status_code == 201, got.text  # a case created
    number = got.json()["cases"][0]["number"]
    with Session(matrix.db) as s:
        actors = {h["actor"] for h in s.cases.show(number)["history"]}
    assert actors == {"representative:rep14/FP@14"}


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        ("Bearer not-a-token", "token"),
        ("Basic cm9vdDpyb290", "token"),
        ("Bearer", "token"),
    ],
)
def test_a_bad_token_is_401_naming_the_rule(matrix: Matrix, header: str, rule: str) -> None:
    with matrix.server.client() as client:
        got = client.post("/api/v1/cases/finalise", json={}, headers={"Authorization": header})
    assert got.status_code == 401, got.text
    assert got.json()["error"]["rule"] == rule and got.json()["error"]["field"] == "authorization"
    assert "not-a-token" not in got.text


def test_a_revoked_token_is_401_and_reads_stay_public(matrix: Matrix) -> None:
    with Session(matrix.db, actor="matrix-setup") as admin:
        token = admin.users.add("temp", Role.JUDGE, body="JEE").token
        principal = admin.users.authenticate(token)
    assert principal == Principal("temp", Role.JUDGE, body="JEE")
    with matrix.server.client() as client:
        assert _send(client, ("POST", "/cases/finalise", {}), token).status_code == 200
        with Session(matrix.db, actor="matrix-setup") as admin:
            admin.users.revoke("temp")
        time.sleep(ACCOUNTS_FRESH)  # how long the server may honour it still (api/auth.py)
        got = _send(client, ("POST", "/cases/finalise", {}), token)
        assert got.status_code == 401 and got.json()["error"]["rule"] == "revoked"
        assert client.get("/api/v1/health").status_code == 200  # no token: the public reads


def test_a_token_is_never_in_the_log_the_listing_or_the_server_output(small_db: str, tmp_path: Any) -> None:
    import os
    import subprocess
    import sys
    import time

    from tests.integration.api.server import free_port

    with Session(small_db, actor="matrix-setup") as admin:
        token = admin.users.add("leaky", Role.REPRESENTATIVE, party="FP").token
    port = free_port()
    out = tmp_path / "server.log"
    with out.open("wb") as sink:
        command = [sys.executable, "-m", "escrutinio.cli", "--db", small_db, "serve", "--port", str(port)]
        command += ["--log-level", "debug", "--access-log"]  # the access log is off unless asked for
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=dict(os.environ))
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            with httpx.Client(base_url=url, timeout=30) as client:
                headers = {"Authorization": f"Bearer {token}"}
                assert client.post(
                    "/api/v1/cases", json={"tables": [IN], "filer": "FP", "grounds": "b"}, headers=headers
                ).is_success
                assert (
                    client.post(
                        "/api/v1/cases", json={"tables": [IN], "filer": "PL", "grounds": "b"}, headers=headers
                    ).status_code
                    == 403
                )
                assert client.post("/api/v1/audit/nope", headers=headers).status_code == 404
        finally:
            process.terminate()
            process.wait(10)
    logged = out.read_text()
    assert "POST /api/v1/cases" in logged  # the access log was written, without the token
    with Session(small_db) as s:
        events = b"".join(s.store.event_lines()).decode()
        listing = str(s.users.listing())
    for text in (logged, events, listing):
        assert token not in text


def test_every_write_the_matrix_allowed_verifies(matrix: Matrix, intake_matrix: Matrix, tmp_path: Any) -> None:
    """The replay applies the application's rules (``ledger/actors.py`` reads ``domain/roles.py``):
    every write the matrix's accounts were allowed, in and out of their areas, makes a record
    ``verify`` accepts, actors, accounts and all. (Run after the matrices above: the module's
    stores hold their writes.)"""
    for m in (matrix, intake_matrix):
        path = tmp_path / f"{id(m)}.jsonl"
        with m.admin() as s:
            s.log.export(path)
        with Session(str(tmp_path / "none.db")) as s:
            report = s.log.verify(path)
        assert report.ok and report.checked["acts_by_actors_without_role"] == 0


BAD_BODY: dict[str, Any] = {"no_such_field": 1}
"""A body every JSON write route refuses (422, its models are strict), and no image either."""
AREA_BEFORE_BODY = {
    "POST /tables/{table}/entries",
    "PUT /tables/{table}/image",
    "POST /tables/{table}/image",
    "POST /cases/{number}/ruling",
    "POST /cases/{number}/appeal",
    "POST /cases/{number}/appeal-decision",
}
"""Routes on one table or case, named in the path, whose area is judged before the body, besides
the whole election's (the other routes read their target with the body)."""


def test_a_refused_caller_learns_nothing_of_the_body(matrix: Matrix, intake_matrix: Matrix) -> None:
    """The order of the checks is 401 (who), 403 (may they, here), then 422 (what they sent): a
    caller without a token, of a role no request on the route may come from, or limited to an
    area on a route that acts on the whole election (or on a table of another area, named in
    the path) is refused before the body is read, so a refusal never teaches the body's rules
    to someone who may not write there."""
    wrong: list[str] = []
    by_route: dict[str, list[str]] = {}
    for endpoint, route in ROUTES.items():
        by_route.setdefault(route, []).append(endpoint)
    for route, endpoints in by_route.items():
        m = intake_matrix if endpoints[0] in INTAKE_ENDPOINTS else matrix
        method, path = route.split(" ")
        if "{number}" in path:
            path = path.replace("{number}", _open_case(m, OUT))
        path = path.replace("{table}", OUT)
        with m.server.client() as client:
            for account in [None, *ACCOUNTS]:
                if account is None:
                    rule: str | None = "token"
                elif all(account.role not in OTHER_BODY.get(e, ()) and e not in ALLOWED[account.role] for e in endpoints):
                    rule = "role"
                elif account.area is not None and (set(endpoints) <= WHOLE_ELECTION or route in AREA_BEFORE_BODY):
                    rule = "area"
                else:
                    continue  # the body says what is acted on: it is read first
                got = _send(client, (method, path, BAD_BODY, _keyed()), None if account is None else m.tokens[account.name])
                status = 401 if account is None else 403
                if got.status_code != status or got.json()["error"]["rule"] != rule:
                    who = account.name if account else "no token"
                    wrong.append(f"{who} {route} ({rule}): {got.status_code} {got.text[:160]}")
    assert wrong == [], "\n".join(wrong)


def test_a_clerk_of_another_area_learns_nothing_of_a_sheet_the_fast_path_takes(intake_matrix: Matrix) -> None:
    """A body the route's model takes but the contest refuses (a choice it lacks), from a clerk
    of area 14 for a table of area 24: 403 naming the area, never the 422 naming the choice,
    for the token's first request (the framework's route) and the next ones (the fast path of
    ``api/hot_writes.py``, which takes a known token's well-formed entry); the clerk of the
    table's area is told the 422."""
    body = {"votes": {"PL": 100, "XX": 90}, "blank": 1, "null": 2, "challenged": 0, "cast": 193}
    m = intake_matrix
    with m.server.client() as client:
        for clerk, answer in (("clerk14", (403, "area")), ("clerk14", (403, "area")), ("clerk", (422, "refused"))):
            got = _send(client, ("POST", f"/tables/{OUT}/entries", body, _keyed()), m.tokens[clerk])
            assert (got.status_code, got.json()["error"]["rule"]) == answer, f"{clerk}: {got.text}"
