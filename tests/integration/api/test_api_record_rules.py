"""Rules of the record review10c found broken, through a real ``escrutinio serve`` on SQLite and
PostgreSQL with real tokens, and the same rules in ``verify``'s replay: a double entry's
mismatch is not "counted as is" (that counted the first clerk's figures and dropped the
second's), and only a party the decision goes against appeals it, once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.integration.api.conftest import audit_drawn, roll_served
from tests.integration.api.server import Server
from tests.records import read, reseal
from tests.records import write as write_record

from escrutinio.app import Role, Session
from escrutinio.ledger.events import Event
from escrutinio.ledger.semantic import Discrepancy

ACCOUNTS: dict[str, tuple[Role, dict[str, Any]]] = {
    "ana": (Role.CLERK, {"area": "14"}),
    "beto": (Role.CLERK, {"area": "14"}),
    "luis": (Role.JUDGE, {"area": "14", "body": "JEE"}),
    "maria": (Role.REPRESENTATIVE, {"party": "FP"}),
    "pedro": (Role.REPRESENTATIVE, {"party": "PL"}),
}


@dataclass
class Desk:
    server: Server
    db: str
    tokens: dict[str, str]
    folder: Path

    def post(self, who: str, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        with self.server.client() as client:
            return client.post("/api/v1" + path, json=body, headers=headers)

    def record(self, name: str) -> Path:
        path = self.folder / name
        with Session(self.db) as s:
            s.log.export(path)
        return path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    folder = tmp_path_factory.mktemp("rules")
    with roll_served(request.param, folder, ACCOUNTS) as (db, server, tokens):
        yield Desk(server, db, tokens, folder)


def refused(got: httpx.Response) -> tuple[int, str | None, str]:
    body = got.json()["error"]
    return got.status_code, body["field"], body["rule"]


def verify(path: Path) -> None:
    with Session(str(path.parent / "none.db")) as s:
        s.log.verify(path)  # raises at the first event the rules refuse


def sheet(pl: int) -> dict[str, Any]:
    return {"votes": {"PL": pl, "FP": 140}, "blank": 3, "null": 9, "cast": 152 + pl}


def test_a_mismatch_is_not_counted_as_is(desk: Desk) -> None:
    """review10c #3: entries PL 77 and PL 70, ruled count_as_is, counted 77 (the first clerk's)
    and dropped the second entry silently. The body must read the paper: count_corrected."""
    assert desk.post("ana", "/tables/000001/entries", sheet(77), key="e1").status_code in (200, 201)
    mismatch = desk.post("beto", "/tables/000001/entries", sheet(70), key="e2").json()
    assert mismatch["differs"] == ["votes.PL", "cast"], mismatch
    number = mismatch["case"]
    as_is = desk.post("luis", f"/cases/{number}/ruling", {"resolution": "R-1", "effect": "count_as_is"})
    assert refused(as_is) == (422, "body.effect", "effect"), as_is.text
    assert "count_corrected" in as_is.json()["error"]["message"]
    figures = "PL=70,FP=140,blank=3,null=9,challenged=0,cast=222"
    corrected = desk.post(
        "luis", f"/cases/{number}/ruling", {"resolution": "R-2", "effect": "count_corrected", "figures": figures}
    )
    assert corrected.status_code == 200, corrected.text
    path = desk.record("mismatch.jsonl")
    verify(path)

    # The replay holds the same rule: the ruling rewritten to count_as_is (and its sheet to the
    # first entry's figures, every hash recomputed) fails at the ruling.
    events = read(path)
    i, ruled = next((i, e) for i, e in enumerate(events) if e.type == "case.ruled" and e.data["number"] == number)
    data = orjson.loads(orjson.dumps(ruled.data))
    data["ruling"]["effect"] = {"kind": "count_as_is"}
    events[i] = Event(ruled.seq, ruled.type, ruled.at, ruled.actor, data, ruled.prev, ruled.hash)
    forged = write_record(desk.folder / "as-is.jsonl", reseal(events))
    with pytest.raises(Discrepancy, match=f"event {ruled.seq}: .*effect: case {number}: its two entries differ"):
        verify(forged)


def test_only_the_party_the_decision_goes_against_appeals_and_once(desk: Desk) -> None:
    """review10c #4: PL appealed the dismissal of FP's nullity request (200), then FP appealed the
    same case again (200, another event). PL has no standing; FP appeals once; a second appeal of
    a case under appeal is a 409 naming the case."""
    filed = desk.post("maria", "/cases", {"tables": ["000002"], "filer": "FP", "grounds": "b", "fee_receipt": "R-9"})
    assert filed.status_code == 201, filed.text
    case = filed.json()["cases"][0]
    assert case["status"] == "inadmissible"  # filed years after the deadline: refused, and appealable
    number = case["number"]
    pl = desk.post("pedro", f"/cases/{number}/appeal", {"filer": "PL", "key": "pl"})
    assert refused(pl)[0] == 422 and refused(pl)[2] == "no_standing", pl.text
    fp = desk.post("maria", f"/cases/{number}/appeal", {"filer": "FP", "key": "fp"})
    assert fp.status_code == 200 and fp.json()["cases"][0]["status"] == "appealed", fp.text
    done = desk.post("maria", f"/cases/{number}/appeal", {"filer": "FP", "key": "fp"})  # the same request again
    assert done.status_code == 200 and done.json()["already_done"], done.text
    again = desk.post("maria", f"/cases/{number}/appeal", {"filer": "FP", "key": "fp-2"})
    assert refused(again) == (409, "number", "already_appealed"), again.text
    assert number in again.json()["error"]["message"]
    path = desk.record("appeal.jsonl")
    verify(path)
    assert sum(1 for e in read(path) if e.type == "case.appealed") == 1

    # The replay: the appeal's filer rewritten to PL (a party without standing) fails there; an
    # appeal appended twice fails at the second.
    events = read(path)
    i, appealed = next((i, e) for i, e in enumerate(events) if e.type == "case.appealed")
    data = orjson.loads(orjson.dumps(appealed.data))
    data["filing"]["filer"] = "PL"
    events[i] = Event(appealed.seq, appealed.type, appealed.at, "representative:pedro/PL", data, appealed.prev, "")
    with pytest.raises(Discrepancy, match=f"event {appealed.seq}: .*no_standing"):
        verify(write_record(desk.folder / "pl.jsonl", reseal(events)))
    twice = [*events[: i + 1], *read(path)[i : i + 1], *events[i + 1 :]]
    twice[i] = appealed
    with pytest.raises(Discrepancy, match=f"event {appealed.seq + 1}: .*already_appealed: case {number}"):
        verify(write_record(desk.folder / "twice.jsonl", reseal(twice)))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def audited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The sample store, every sheet counted, two national auditors, and a MACRO audit drawn."""
    folder = tmp_path_factory.mktemp("audited")
    with audit_drawn(request.param, folder, ("carla", "dora")) as (db, server, tokens):
        yield Desk(server, db, tokens, folder)


def test_one_account_is_not_both_counters(audited: Desk) -> None:
    """review10c #2: carla sent entry 1 ``by`` "A. Quispe" and entry 2 ``by`` "B. Mamani" with her
    own token; both were taken and the table agreed. The account is who counted: her second entry
    is refused (``same_auditor``, as ``same_clerk`` for sheets), another auditor's is taken, and
    ``verify`` refuses the record with carla's second entry put back."""
    with Session(audited.db) as s:
        row = s.audit.status()["tables"][0]
    other = row["sheet_ballots"] - row["sheet_winner"] - row["sheet_loser"]
    counts = f"FP={row['sheet_winner']},PL={row['sheet_loser']},other={other}"
    entry = {"table": row["table"], "counts": counts, "ballots": row["sheet_ballots"]}
    first = audited.post("carla", "/audit/entries", {**entry, "entry": 1, "by": "A. Quispe"})
    assert first.status_code == 200, first.text
    same = audited.post("carla", "/audit/entries", {**entry, "entry": 2, "by": "B. Mamani"})
    assert refused(same) == (422, "authorization", "same_auditor"), same.text
    assert f"auditor:carla made its first entry (event {first.json()['event']})" in same.json()["error"]["message"]
    csv = f'table,entry,counts,ballots,by\n{row["table"]},2,"{counts}",{row["sheet_ballots"]},B. Mamani\n'
    with audited.server.client() as client:
        bulk = client.post(
            "/api/v1/audit/entries.csv",
            content=csv.encode(),
            headers={"Authorization": f"Bearer {audited.tokens['carla']}", "content-type": "text/csv"},
        )
    assert bulk.status_code == 422 and "another auditor's" in bulk.text, bulk.text
    second = audited.post("dora", "/audit/entries", {**entry, "entry": 2, "by": "B. Mamani"})
    assert second.status_code == 200 and second.json()["status"] == "agreed", second.text
    path = audited.record("audit.jsonl")
    verify(path)

    events = read(path)
    i, by_dora = next((i, e) for i, e in enumerate(events) if e.type == "audit.hand_count" and e.data["entry"] == 2)
    events[i] = Event(by_dora.seq, by_dora.type, by_dora.at, "auditor:carla", by_dora.data, by_dora.prev, by_dora.hash)
    with pytest.raises(Discrepancy, match=f"event {by_dora.seq}: audit.hand_count by auditor:carla: they made the first entry"):
        verify(write_record(audited.folder / "carla.jsonl", reseal(events)))
