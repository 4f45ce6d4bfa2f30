"""Rules a review found the results centre broke, held over HTTP on SQLite and PostgreSQL with
real tokens: a ruling that decides a sheet needs the sheet (else the record fails ``verify``),
one limit for every figure, an idempotency key names one request, a double-entry mismatch's
case names the fields, a judge opens cases only for their own body, and every refusal names
the request's field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.onpe_sample import write

from escrutinio.api.app import create_app
from escrutinio.app import Role, Session

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "cast": 220}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100
IN, OTHER, OUT = "000001", "000002", "000004"
"""Tables of area 14 (the accounts') and one of area 24 (300 electors each)."""


@dataclass
class Desk:
    """A roll with no sheet, served in process, and the accounts' tokens."""

    db: str
    client: TestClient
    tokens: dict[str, str]

    def send(self, who: str, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **({"Idempotency-Key": key} if key else {})}
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)

    def enter(self, who: str, table: str, key: str, body: dict[str, Any] = ENTRY) -> httpx.Response:
        return self.send(who, "POST", f"/tables/{table}/entries", key=key, json=body)

    def observe(self, table: str) -> str:
        got = self.send(
            "ana", "POST", "/cases", json={"tables": [table], "filer": "ONPE", "kind": "observation", "grounds": "illegible"}
        )
        assert got.status_code == 200, got.text
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
