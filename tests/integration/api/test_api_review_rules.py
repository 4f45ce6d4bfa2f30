"""Rules a review found the results centre broke, held over HTTP on SQLite and PostgreSQL with
real tokens: a ruling that decides a sheet needs the sheet (else the record fails ``verify``),
one limit for every figure, an idempotency key names one request, a double-entry mismatch's
case names the fields, a judge opens cases only for their own body, and every refusal names
the request's field."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests import scans
from tests.onpe_sample import write

from escrutinio.api.app import create_app
from escrutinio.app import Role, Session

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "cast": 220}
PNG = scans.png(0)
IN, OTHER, OUT = "000001", "000002", "000004"
"""Tables of area 14 (the accounts') and one of area 24 (300 electors each)."""


@dataclass
class Desk:
    """A roll with no sheet, served in process, and the accounts' tokens."""

    db: str
    client: TestClient
    tokens: dict[str, str]

    def send(self, who: str, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kwargs.pop("headers", {})}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)

    def enter(self, who: str, table: str, key: str, body: dict[str, Any] = ENTRY) -> httpx.Response:
        return self.send(who, "POST", f"/tables/{table}/entries", key=key, json=body)

    def observe(self, table: str) -> str:
        got = self.send(
            "ana", "POST", "/cases", json={"tables": [table], "filer": "ONPE", "kind": "observation", "grounds": "illegible"}
        )
        assert got.status_code == 201, got.text
        return str(got.json()["cases"][0]["number"])

    def rule(self, number: str, figures: str, effect: str = "count_corrected") -> httpx.Response:
        body = {"resolution": "R1", "effect": effect, **({"figures": figures} if figures else {})}
        return self.send("luis", "POST", f"/cases/{number}/ruling", json=body)

    def head(self) -> int:
        with Session(self.db) as s:
            return int(s.store.head()[0])


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    with Session(db_url, "admin") as s:
        s.intake.register_roll(write(tmp_path / "roll.csv"), "peru-2021-runoff")
        accounts = [("ana", Role.CLERK, None), ("beto", Role.CLERK, None), ("luis", Role.JUDGE, "JEE")]
        tokens = {name: s.users.add(name, role, area="14", body=body).token for name, role, body in accounts}
    with TestClient(create_app(db_url), raise_server_exceptions=False) as client:
        yield Desk(db_url, client, tokens)


def error(got: httpx.Response) -> tuple[int, str | None, str]:
    body = got.json()["error"]
    return got.status_code, body["field"], body["rule"]


def verified(db: str, folder: Path) -> None:
    """The store's record, exported, passes ``verify`` (the rules replayed on every event)."""
    with Session(db) as s:
        s.log.export(folder / "record.jsonl")
        s.log.verify(folder / "record.jsonl")  # raises at the first event the rules refuse


# -- 1. a ruling that decides a sheet needs the sheet -----------------------------------------


FIGURES = "PL=80,FP=146,blank=0,null=14,challenged=0,cast=240"


def test_a_correction_before_the_table_has_a_sheet_is_refused_and_the_record_verifies(desk: Desk, tmp_path: Path) -> None:
    number = desk.observe(IN)
    before = desk.head()
    assert error(desk.rule(number, FIGURES)) == (422, "body.effect", "no_sheet")
    assert desk.head() == before  # nothing recorded
    keyed = {"votes": {"PL": 81, "FP": 146}, "blank": 0, "null": 14, "cast": 241}
    assert desk.enter("ana", IN, "a1", keyed).status_code == 201
    assert desk.enter("beto", IN, "b1", keyed).json()["sheet_state"] == "counted"
    # with its sheet in, the body corrects it: a second version, and the record still verifies
    assert desk.rule(number, FIGURES).status_code == 200
    with Session(desk.db) as s:
        versions = s.store.sheet_versions(IN)
    assert [(v["state"], v["ballots_cast"]) for v in versions] == [("counted", 241), ("resolved", 240)]
    verified(desk.db, tmp_path)


@pytest.mark.parametrize("effect", ["count_as_is", "annul"])
def test_every_decision_on_a_sheet_waits_for_the_sheet(desk: Desk, effect: str) -> None:
    number = desk.observe(IN)
    assert error(desk.rule(number, "", effect)) == (422, "body.effect", "no_sheet")


def test_figures_above_the_roll_are_refused_with_or_without_a_sheet(desk: Desk) -> None:
    number = desk.observe(IN)
    over = "PL=2147483648,FP=0,blank=0,null=0,challenged=0,cast=2147483648"
    assert error(desk.rule(number, over)) == (422, "body.figures", "invalid")
    above = "PL=301,FP=0,blank=0,null=0,challenged=0,cast=301"  # the table has 300 electors
    got = desk.rule(number, above)
    assert error(got) == (422, "body.figures", "figures") and "300 registered electors" in got.text


def test_the_application_refuses_it_too(desk: Desk) -> None:
    """The CLI's path: the application, not the API, holds the rule."""
    from escrutinio.app import RuleError
    from escrutinio.app.cases import Decision
    from escrutinio.parsing import parse_effect

    number = desk.observe(IN)
    with Session(desk.db, "admin") as s, pytest.raises(RuleError, match="no_sheet: case OBS-000001: table 000001 has no sheet"):
        s.cases.rule(number, Decision("R1", parse_effect("count_corrected", ("PL", "FP"), figures=FIGURES)))


# -- 4. one limit for every figure ------------------------------------------------------------


def test_a_figure_beyond_any_table_is_a_4xx_naming_its_field(desk: Desk) -> None:
    number = desk.observe(IN)
    huge = "100000000000000000000000"
    got = desk.rule(number, f"PL={huge},FP=0,blank=0,null=0,challenged=0,cast={huge}")
    assert error(got) == (422, "body.figures", "invalid") and "at most 10,000,000" in got.text
    endless = "9" * 5000  # more digits than Python converts
    assert error(desk.rule(number, f"PL={endless},FP=0,blank=0,null=0,challenged=0,cast=0"))[:2] == (422, "body.figures")
    assert error(desk.enter("ana", IN, "k", {**ENTRY, "blank": 10_000_001}))[:2] == (422, "body.blank")


def test_one_limit_for_entries_rulings_audits_and_files() -> None:
    from escrutinio.domain.claims import Figures
    from escrutinio.domain.sheet import MAX_COUNT
    from escrutinio.formats.fields import MAX_COUNT as FILES
    from escrutinio.parsing import InputError, parse_counts, parse_tally_figure

    assert FILES == MAX_COUNT
    assert parse_counts(f"PL={MAX_COUNT}") == {"PL": MAX_COUNT}
    for parse in (lambda: parse_counts(f"PL={MAX_COUNT + 1}"), lambda: parse_tally_figure(str(MAX_COUNT + 1), "votes.PL")):
        with pytest.raises(InputError, match="too large for one table"):
            parse()
    assert (
        Figures((MAX_COUNT + 1,), 0, 0, 0, MAX_COUNT + 1).problem(None)
        == "a figure is too large for one table (at most 10,000,000)"
    )


def test_the_record_refuses_an_integer_beyond_64_bits_as_bad_input() -> None:
    from escrutinio.app import RuleError
    from escrutinio.ledger.canonical import canonical

    with pytest.raises(RuleError, match=r"^ruling.figures.votes\[0\]: a number beyond 64 bits") as found:
        canonical({"ruling": {"figures": {"votes": [10**23]}}})
    assert found.value.field == "ruling.figures.votes[0]"


# -- 2. an idempotency key names one request --------------------------------------------------


def test_a_resent_entry_gets_its_first_receipt_and_nothing_more(desk: Desk) -> None:
    first = desk.enter("ana", IN, "a1")
    again = desk.enter("ana", IN, "a1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["already_done"] and again.json()["event"] == first.json()["event"]


@pytest.mark.parametrize(
    ("table", "body", "differs"),
    [(IN, {**ENTRY, "blank": 5, "cast": 225}, "figures"), (OTHER, ENTRY, "table")],
)
def test_a_key_reused_for_another_entry_is_refused(desk: Desk, table: str, body: dict[str, Any], differs: str) -> None:
    desk.enter("ana", IN, "a1")
    before = desk.head()
    got = desk.enter("ana", table, "a1", body)
    assert error(got) == (409, "Idempotency-Key", "key_reused"), got.text
    assert "was used for a different request" in got.text and f"differs in {differs}" in got.text
    assert desk.head() == before
    assert desk.send("ana", "GET", f"/tables/{OTHER}/entries").json() == []


def test_a_key_reused_for_another_scan_is_refused(desk: Desk) -> None:
    def put(data: bytes, table: str = IN) -> httpx.Response:
        return desk.send("ana", "PUT", f"/tables/{table}/image", key="f1x", content=data, headers={"content-type": "image/png"})

    first = put(PNG)
    assert first.status_code == 201 and first.json()["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert put(PNG).json()["already_done"]
    for other in (put(scans.png(1)), put(PNG, OTHER)):
        assert error(other) == (409, "Idempotency-Key", "key_reused"), other.text


def test_a_key_reused_for_another_ruling_or_by_another_account_is_refused(desk: Desk) -> None:
    keyed = {"votes": {"PL": 81, "FP": 146}, "blank": 0, "null": 14, "cast": 241}
    desk.enter("ana", IN, "a1", keyed)
    desk.enter("beto", IN, "b1", keyed)
    number = desk.observe(IN)
    ruling = {"resolution": "R1", "effect": "count_corrected", "figures": FIGURES, "key": "r1"}
    first = desk.send("luis", "POST", f"/cases/{number}/ruling", json=ruling)
    assert first.status_code == 200 and desk.send("luis", "POST", f"/cases/{number}/ruling", json=ruling).json()["already_done"]
    other = desk.send("luis", "POST", f"/cases/{number}/ruling", json={**ruling, "figures": FIGURES.replace("80", "79")})
    assert error(other) == (409, "body.key", "key_reused"), other.text
    filing = {"tables": [OTHER], "filer": "ONPE", "kind": "observation", "grounds": "illegible", "key": "f1"}
    assert desk.send("ana", "POST", "/cases", json=filing).status_code == 201
    got = desk.send("beto", "POST", "/cases", json=filing)
    assert error(got) == (409, "body.key", "key_reused") and "the account (clerk:ana@14)" in got.text


# -- 3. a mismatch's case names the fields that differ --------------------------------------


def test_the_observation_a_mismatch_opens_names_the_fields(desk: Desk) -> None:
    desk.enter("ana", IN, "a", {"votes": {"PL": 88, "FP": 120}, "blank": 0, "null": 3, "cast": 211})
    got = desk.enter("beto", IN, "b", {"votes": {"PL": 83, "FP": 120}, "blank": 1, "null": 3, "cast": 207}).json()
    assert got["differs"] == ["votes.PL", "blank", "cast"] and got["case"] == "OBS-000001"
    grounds = "entries_differ: votes.PL, blank, cast"
    assert desk.send("ana", "GET", "/cases/OBS-000001").json()["grounds"] == grounds
    assert [c["grounds"] for c in desk.send("ana", "GET", "/cases?kind=observation").json()] == [grounds]
    assert grounds in desk.send("ana", "GET", "/cases", params={"format": "csv"}).text
    with Session(desk.db) as s:  # the CLI's docket, filtered by the reason alone
        assert [c["grounds"] for c in s.cases.listing(grounds="entries_differ")] == [grounds]


def test_the_grounds_fit_the_docket() -> None:
    from escrutinio.intake.double_entry import mismatch_grounds

    many = [f"votes.P{i:02d}" for i in range(18)] + ["blank", "cast"]
    assert mismatch_grounds(["cast"]) == "entries_differ: cast"
    shown = mismatch_grounds(many)
    assert len(shown) <= 64 and shown.startswith("entries_differ: votes.P00, votes.P01") and shown.endswith(" more")


# -- 5 and 6. a judge files for their own body; every refusal names its field ---------------


def test_a_judge_opens_own_motion_cases_only_as_their_body(desk: Desk) -> None:
    own = {"tables": [IN], "filer": "JNE", "grounds": "a", "kind": "own_motion"}
    got = desk.send("luis", "POST", "/cases", json=own)
    assert error(got) == (403, "body.filer", "body") and got.json()["error"]["message"].startswith("body: ")
    assert desk.send("luis", "POST", "/cases", json={**own, "filer": "JEE"}).status_code == 201


def test_refusals_name_the_field_they_are_about(desk: Desk) -> None:
    assert error(desk.enter("ana", OUT, "k")) == (403, "table", "area")
    desk.enter("ana", IN, "k1")
    assert error(desk.enter("ana", IN, "k2")) == (422, "authorization", "same_clerk")
    desk.enter("beto", IN, "k3")
    assert error(desk.enter("beto", IN, "k5")) == (422, "table", "entries_complete")
    observation = {"tables": [OUT], "filer": "ONPE", "kind": "observation", "grounds": "illegible"}
    assert error(desk.send("ana", "POST", "/cases", json=observation)) == (403, "body.tables", "area")
    assert error(desk.send("luis", "POST", f"/tables/{IN}/entries", key="k6", json=ENTRY)) == (403, "authorization", "role")
