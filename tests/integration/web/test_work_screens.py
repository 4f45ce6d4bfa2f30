"""The working screens' forms over a real ``escrutinio serve`` (HTTP, no browser), on SQLite and
PostgreSQL: a representative's filing checked then filed, a late claim on the 2021 rules, a
judge's ruling from the docket, an auditor's single and bulk hand counts; every refusal shown
with its rule and nothing written."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests import scans
from tests.conftest import fresh_pg_database
from tests.integration.api.server import Server, serving
from tests.integration.web.work_stores import EN, Accounts, Audited, audited_store, hidden, roll_store, sign_in
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.roles import Role


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("work-screens")
    return str(folder / "work.db") if request.param == "sqlite" else fresh_pg_database()


@pytest.fixture(scope="module")
def store(engine_db: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Accounts]:
    return engine_db, roll_store(engine_db, tmp_path_factory.mktemp("roll"))


@pytest.fixture(scope="module")
def server(store: tuple[str, Accounts]) -> Iterator[Server]:
    with serving(store[0]) as running:
        yield running


def head(db: str) -> int:
    with Session(db) as s:
        return s.store.head()[0]


def claim(client: httpx.Client, step: str, **fields: str) -> httpx.Response:
    page = client.get("/work/claims").text
    data = {"csrf": hidden(page, "csrf"), "key": hidden(page, "key"), "step": step}
    return client.post("/work/claims", data=data | fields)


def maria_files(server: Server, accounts: Accounts, table: str, receipt: str) -> str:
    """FP's representative files a nullity request on ``table``: the case's number."""
    with server.client(headers=EN) as client:
        sign_in(client, accounts.maria)
        filed = claim(client, "file", tables=table, filer="FP", grounds="b", fee_receipt=receipt)
    return filed.text.split('href="/cases/')[1].split('"')[0]


def test_a_filing_is_checked_field_by_field_then_filed_and_public(server: Server, store: tuple[str, Accounts]) -> None:
    db, accounts = store
    with server.client(headers=EN) as client:
        sign_in(client, accounts.maria)
        before = head(db)
        unpaid = claim(client, "file", tables="000001", filer="FP", grounds="b", fee_receipt="")
        assert unpaid.status_code == 422
        assert 'data-field="fee_receipt"' in unpaid.text and "no_fee" in unpaid.text
        bad = claim(client, "check", tables="000001 999999", filer="FP", grounds="", fee_receipt="R-7")
        assert bad.status_code == 422
        assert 'data-field="tables"' in bad.text and "999999" in bad.text and 'data-field="grounds"' in bad.text
        assert head(db) == before  # checking, and a refused File, write nothing
        fine = claim(client, "check", tables="000001", filer="FP", grounds="b", fee_receipt="R-7")
        assert fine.status_code == 200 and 'id="check-ok"' in fine.text
        filed = claim(client, "file", tables="000001", filer="FP", grounds="b", fee_receipt="R-7")
        assert filed.status_code == 201, filed.text
        number = filed.text.split('href="/cases/')[1].split('"')[0]
    case = httpx.get(f"{server.url}/api/v1/cases/{number}").json()
    assert (case["filer"], case["status"], case["tables"]) == ("FP", "admitted", ["000001"])
    assert case["history"][0]["actor"] == "representative:maria/FP"


def test_a_representative_filing_for_another_party_is_refused_by_the_party_rule(
    server: Server, store: tuple[str, Accounts]
) -> None:
    db, accounts = store
    before = head(db)
    with server.client(headers=EN) as client:
        sign_in(client, accounts.pedro)
        refused = claim(client, "file", tables="000002", filer="FP", grounds="b", fee_receipt="R-8", anyway="yes")
        assert refused.status_code == 403
        assert "party" in refused.text and 'data-field="filer"' in refused.text
    assert head(db) == before


def test_the_judge_rules_from_the_docket_of_their_area(server: Server, store: tuple[str, Accounts]) -> None:
    db, accounts = store
    with server.client(headers=EN) as client:
        sign_in(client, accounts.maria)
        filed = claim(client, "file", tables="000003", filer="FP", grounds="b", fee_receipt="R-9")
        number = filed.text.split('href="/cases/')[1].split('"')[0]
    with Session(db, "admin") as admin:
        callao = admin.users.add(f"rosa{number[-3:]}", Role.JUDGE, body="JEE", area="24").token
    with server.client(headers=EN) as elsewhere:
        sign_in(elsewhere, callao)
        assert f"/work/docket/{number}" not in elsewhere.get("/work/docket").text  # not in their area
        page = elsewhere.get(f"/work/docket/{number}").text
        data = {"csrf": hidden(page, "csrf"), "key": "r0", "resolution": "1-JEE", "effect": "dismiss", "reasoning": "x"}
        refused = elsewhere.post(f"/work/docket/{number}", data=data)
        assert refused.status_code == 403 and "area" in refused.text
    with server.client(headers=EN) as client:
        sign_in(client, accounts.luis)
        docket = client.get("/work/docket")
        assert f'href="/work/docket/{number}"' in docket.text
        page = client.get(f"/work/docket/{number}").text
        data = {"csrf": hidden(page, "csrf"), "key": hidden(page, "key"), "resolution": "0123-2026-JEE"}
        ruled = client.post(f"/work/docket/{number}", data=data | {"effect": "dismiss", "reasoning": "no evidence"})
        assert ruled.status_code == 201, ruled.text
    case = httpx.get(f"{server.url}/api/v1/cases/{number}").json()
    assert (case["status"], case["resolution"], case["effect"]) == ("ruled", "0123-2026-JEE", "dismiss")
    assert case["history"][-1]["actor"] == "judge:luis/JEE@14"


def test_a_claim_after_the_2021_deadline_is_shown_late_before_filing(tmp_path: Path) -> None:
    db = str(tmp_path / "2021.db")
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "roll.csv"), "peru-2021-runoff")
        maria = admin.users.add("maria", Role.REPRESENTATIVE, party="FP").token
        before = admin.store.head()[0]
    with serving(db) as own, own.client(headers=EN) as client:
        sign_in(client, maria)
        form = client.get("/work/claims").text
        assert "2021-06-09T20:00:00-05:00" in form  # the deadline is shown before anything is typed
        late = claim(client, "file", tables="000001", filer="FP", grounds="b", fee_receipt="R-1")
        assert late.status_code == 422
        assert 'data-field="deadline"' in late.text and "after the claim deadline 2021-06-09T20:00:00-05:00" in late.text
    assert head(db) == before


@pytest.fixture(scope="module")
def audit_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Audited]:
    folder = tmp_path_factory.mktemp("audit")
    db = str(folder / "audit.db")
    return db, audited_store(db, folder)


def test_an_auditor_enters_hand_counts_one_and_in_bulk(audit_store: tuple[str, Audited]) -> None:
    db, audited = audit_store
    tables = audited.drawn
    with serving(db) as own, own.client(headers=EN) as client:
        sign_in(client, audited.token)
        screen = client.get("/work/audit")
        assert screen.status_code == 200 and all(f"<td>{t}</td>" in screen.text for t in tables)
        first, _entry, figures, ballots, _by = next(csv.reader(audited.csv[1:2]))
        single = {"csrf": hidden(screen.text, "csrf"), "table": first, "entry": "1", "counts": figures}
        one = client.post("/work/audit/entry", data=single | {"ballots": ballots, "by": "A. Quispe"})
        assert one.status_code == 201, one.text
        before = head(db)
        lines = [audited.csv[0], *audited.csv[2:]]  # the rest: the first table's entry 1 is in
        bad = "\n".join([*lines[:3], "999999,1,PL=1,10,ana"])
        refused = client.post("/work/audit/entries", data={"csrf": hidden(screen.text, "csrf"), "csv": bad})
        assert refused.status_code == 422
        assert "pasted CSV:4:table: table 999999 is not in the sample" in refused.text
        assert head(db) == before
        firsts = [lines[0], *(line for line in lines[1:] if line.split(",")[1] == "1")]
        seconds = [lines[0], *(line for line in lines[1:] if line.split(",")[1] == "2")]
        pasted = "\n".join(firsts) + "\n"
        bulk = client.post("/work/audit/entries", data={"csrf": hidden(screen.text, "csrf"), "csv": pasted})
        assert bulk.status_code == 201, bulk.text
        assert f"{len(firsts) - 1} entries recorded" in bulk.text
        # The second counts are another auditor's: olga's own are refused, whatever ``by`` says.
        own = client.post("/work/audit/entries", data={"csrf": hidden(screen.text, "csrf"), "csv": "\n".join(seconds)})
        assert own.status_code == 422 and "the second count must be another auditor" in own.text
    with serving(db) as own, own.client(headers=EN) as client:
        sign_in(client, audited.second)
        screen = client.get("/work/audit")
        pasted = "\n".join(seconds) + "\n"
        bulk = client.post("/work/audit/entries", data={"csrf": hidden(screen.text, "csrf"), "csv": pasted})
        assert bulk.status_code == 201 and f"{len(seconds) - 1} entries recorded" in bulk.text, bulk.text
        again = client.post(
            "/work/audit/entries",
            data={"csrf": hidden(screen.text, "csrf")},
            files={"file": ("counts.csv", pasted.encode(), "text/csv")},
        )
        assert again.status_code == 201 and f"0 entries recorded, {len(seconds) - 1} already recorded" in again.text
    with Session(db) as s:
        assert s.audit.status()["phase"] == "measurable" and s.store.head()[0] == before + len(lines) - 1


def test_a_clerk_attaches_a_scan_and_a_file_that_is_no_image_is_refused(server: Server, store: tuple[str, Accounts]) -> None:
    db, accounts = store
    png = scans.png(1)
    with server.client(headers=EN) as client:
        sign_in(client, accounts.ana)
        page = client.get("/work/intake", params={"table": "000004"}).text  # Callao: outside ana's area
        data = {"csrf": hidden(page, "csrf"), "key": "scan-1", "table": "000003"}
        kept = client.post("/work/intake/image", data=data, files={"image": ("acta.png", png, "image/png")})
        assert kept.status_code == 201, kept.text
        sha = hashlib.sha256(png).hexdigest()
        assert sha in kept.text and 'href="/api/v1/images/' + sha in kept.text
        assert httpx.get(f"{server.url}/api/v1/images/{sha}").content == png
        before = head(db)
        text = client.post(
            "/work/intake/image", data=data | {"key": "scan-2"}, files={"image": ("acta.png", b"hello", "image/png")}
        )
        assert text.status_code == 422 and "not a JPEG, PNG or PDF" in text.text
        elsewhere = client.post(
            "/work/intake/image", data=data | {"key": "scan-3", "table": "000004"}, files={"image": ("a.png", png, "image/png")}
        )
        assert elsewhere.status_code == 403 and "area" in elsewhere.text
        assert head(db) == before


def test_a_ruling_without_a_resolution_number_is_refused_on_the_screen_and_the_api(
    server: Server, store: tuple[str, Accounts]
) -> None:
    db, accounts = store
    number = maria_files(server, accounts, "000007", "R-10")
    before = head(db)
    with server.client(headers=EN) as client:
        sign_in(client, accounts.luis)
        page = client.get(f"/work/docket/{number}").text
        data = {"csrf": hidden(page, "csrf"), "key": hidden(page, "key"), "resolution": " ", "effect": "annul"}
        refused = client.post(f"/work/docket/{number}", data=data | {"reasoning": "x"})
        assert refused.status_code == 422, refused.text
        assert "resolution" in refused.text
    api = httpx.post(
        f"{server.url}/api/v1/cases/{number}/ruling",
        json={"resolution": "", "effect": "annul", "key": "blank-resolution"},
        headers={"Authorization": f"Bearer {accounts.luis}"},
    )
    assert api.status_code == 422, api.text
    assert api.json()["error"]["field"] == "body.resolution"  # a field of the body, named by its path there
    assert head(db) == before
    assert httpx.get(f"{server.url}/api/v1/cases/{number}").json()["status"] == "admitted"


@pytest.mark.parametrize("tables", ["", "1" * 80, "052235\x00"])
def test_a_claim_whose_tables_do_not_parse_is_shown_beside_the_field(
    server: Server, store: tuple[str, Accounts], tables: str
) -> None:
    db, accounts = store
    before = head(db)
    with server.client(headers=EN) as client:
        sign_in(client, accounts.maria)
        for step in ("check", "file"):
            refused = claim(client, step, tables=tables, filer="FP", grounds="b", fee_receipt="R-11")
            assert refused.status_code == 422, refused.text
            assert 'data-field="tables"' in refused.text
    assert head(db) == before


@pytest.mark.parametrize("screen", ["/work/docket", "/work/intake", "/work/audit"])
def test_a_screen_outside_the_role_is_refused_on_opening(server: Server, store: tuple[str, Accounts], screen: str) -> None:
    with server.client(headers=EN) as client:
        sign_in(client, store[1].maria)
        opened = client.get(screen)
    assert opened.status_code == 403, opened.text
    assert "representative may not" in opened.text and "allowed:" in opened.text


def test_the_claim_form_offers_only_the_representatives_own_party(server: Server, store: tuple[str, Accounts]) -> None:
    with server.client(headers=EN) as client:
        sign_in(client, store[1].maria)
        form = client.get("/work/claims").text
    assert '<option value="FP"' in form and '<option value="PL"' not in form


def test_the_intake_screen_says_up_front_why_a_table_takes_no_entry(
    server: Server, store: tuple[str, Accounts], audit_store: tuple[str, Audited]
) -> None:
    db, accounts = store
    with server.client(headers=EN) as client:
        sign_in(client, accounts.ana)
        for table, status, rule in (("000004", 403, "area"), ("999999", 404, "not on the roll")):
            opened = client.get("/work/intake", params={"table": table})
            assert opened.status_code == status, opened.text
            assert rule in opened.text and 'id="f-cast"' not in opened.text
    counted_db, audited = audit_store
    with Session(counted_db, "admin") as admin:
        clerk = admin.users.add(f"tito-{hashlib.sha256(db.encode()).hexdigest()[:8]}", Role.CLERK).token  # one per engine
    with serving(counted_db) as own, own.client(headers=EN) as client:
        sign_in(client, clerk)
        opened = client.get("/work/intake", params={"table": audited.drawn[0]})
    assert opened.status_code == 422 and "has_sheet" in opened.text and 'id="f-cast"' not in opened.text


def test_an_audit_entry_reads_as_a_result_and_every_bad_field_is_named(tmp_path: Path) -> None:
    db = str(tmp_path / "audit.db")
    audited = audited_store(db, tmp_path)
    first, _entry, figures, ballots, _by = next(csv.reader(audited.csv[1:2]))
    pl = int(figures.split(",")[0].removeprefix("PL="))
    with serving(db) as own, own.client(headers=EN) as client:
        sign_in(client, audited.token)
        csrf = hidden(client.get("/work/audit").text, "csrf")
        before = head(db)
        bad = client.post(
            "/work/audit/entry",
            data={"csrf": csrf, "table": first, "entry": "1", "counts": "PL=abc", "ballots": "-5", "by": ""},
        )
        assert bad.status_code == 422
        assert all(f"<li>{name}: " in bad.text for name in ("ballots", "counts", "by")), bad.text
        assert head(db) == before
        single = {"csrf": csrf, "table": first, "ballots": ballots}
        one = client.post("/work/audit/entry", data=single | {"entry": "1", "counts": figures, "by": "A"})
        assert one.status_code == 201 and "Awaiting the second entry" in one.text
        assert "already_recorded" not in one.text and "False" not in one.text
        other = figures.replace(f"PL={pl}", f"PL={pl - 1}")
        same = client.post("/work/audit/entry", data=single | {"entry": "2", "counts": other, "by": "B"})
        assert same.status_code == 422 and "another auditor" in same.text  # one account is not both counters
    with serving(db) as own, own.client(headers=EN) as client:
        sign_in(client, audited.second)
        single["csrf"] = hidden(client.get("/work/audit").text, "csrf")
        two = client.post("/work/audit/entry", data=single | {"entry": "2", "counts": other, "by": "B"})
        assert two.status_code == 201 and "The two entries differ" in two.text
        assert f"<code>PL</code>: {pl} (entry 1) vs {pl - 1} (entry 2)" in two.text
        assert "<dt>Phase</dt>" in two.text and "None" not in two.text


def test_a_spanish_judge_reads_states_and_decisions_in_spanish_and_no_cli_options(
    server: Server, store: tuple[str, Accounts]
) -> None:
    accounts = store[1]
    number = maria_files(server, accounts, "000010", "R-12")
    with server.client(headers={"Accept-Language": "es"}) as client:
        sign_in(client, accounts.luis)
        page = client.get(f"/work/docket/{number}").text
        assert ">anular la mesa</option>" in page and ">annul</option>" not in page
        data = {"csrf": hidden(page, "csrf"), "key": hidden(page, "key"), "resolution": "0200-2026-JEE", "reasoning": "x"}
        wrong = client.post(f"/work/docket/{number}", data=data | {"effect": "bogus"})
        assert wrong.status_code == 422 and "effect: " in wrong.text and "--effect" not in wrong.text
        ruled = client.post(f"/work/docket/{number}", data=data | {"effect": "dismiss"})
        assert ruled.status_code == 201, ruled.text
        assert "está ahora resuelto (declarar infundado" in ruled.text and " ruled" not in ruled.text


def test_the_retrieval_list_shows_an_area_auditor_only_their_tables(audit_store: tuple[str, Audited]) -> None:
    db, audited = audit_store
    with Session(db, "admin") as admin:
        callao = admin.users.add("rita-callao", Role.AUDITOR, area="24").token
        areas = admin.store.table_areas(audited.drawn)
    in_callao = sorted(t for t in audited.drawn if areas[t].startswith("24"))
    assert 0 < len(in_callao) < len(audited.drawn)
    with serving(db) as own:
        for token, expected in ((callao, in_callao), (audited.token, sorted(audited.drawn))):
            with own.client(headers=EN) as client:
                sign_in(client, token)
                page = client.get("/work/audit").text
            assert sorted(re.findall(r'<tr data-table="(\d+)"', page)) == expected
            assert f": {len(expected)} tables," in page
            assert ("Only the tables of your area, 24" in page) == (token == callao)


def test_an_auditor_settles_two_differing_entries_on_the_screen(tmp_path: Path) -> None:
    db = str(tmp_path / "audit.db")
    audited = audited_store(db, tmp_path)
    with Session(db, "admin") as admin:
        areas = admin.store.table_areas(audited.drawn)
        callao = admin.users.add("rita", Role.AUDITOR, area="24").token
        clerk = admin.users.add("tito", Role.CLERK).token
    row = next(r for r in csv.reader(audited.csv[1:]) if areas[r[0]].startswith("14"))
    table, _entry, figures, ballots, _by = row
    untouched = next(t for t in audited.drawn if t != table)
    pl = int(figures.split(",")[0].removeprefix("PL="))
    with serving(db) as own:
        with own.client(headers=EN) as client:
            sign_in(client, audited.token)
            csrf = hidden(client.get("/work/audit").text, "csrf")
            single = {"csrf": csrf, "table": table, "ballots": ballots}
            client.post("/work/audit/entry", data=single | {"entry": "1", "counts": figures, "by": "A"})
            other = figures.replace(f"PL={pl}", f"PL={pl - 1}")
        with own.client(headers=EN) as client:
            sign_in(client, audited.second)  # the second count is another auditor's
            csrf = hidden(client.get("/work/audit").text, "csrf")
            single["csrf"] = csrf
            differ = client.post("/work/audit/entry", data=single | {"entry": "2", "counts": other, "by": "B"})
            assert differ.status_code == 201 and f'id="r-table" name="table" value="{table}"' in differ.text
            assert f"Tables whose two entries differ: {table}." in differ.text
            before = head(db)
            resolution = {"csrf": csrf, "table": table, "counts": figures, "ballots": ballots, "by": "board"}
            blank = client.post("/work/audit/resolution", data=resolution | {"reason": " "})
            assert blank.status_code == 422 and "reason: expected why" in blank.text and "--reason" not in blank.text
            assert f'id="r-counts" name="counts" value="{figures}"' in blank.text  # what was typed stays
            forged = client.post("/work/audit/resolution", data=resolution | {"csrf": "forged", "reason": "recount"})
            assert forged.status_code == 403 and "csrf" in forged.text
            agreed = client.post("/work/audit/resolution", data=resolution | {"table": untouched, "reason": "recount"})
            assert agreed.status_code == 422 and f"table {untouched} has no discrepancy" in agreed.text
        for token, status, rule in ((callao, 403, "area"), (clerk, 403, "role")):
            with own.client(headers=EN) as outsider:
                sign_in(outsider, token)
                theirs = hidden(outsider.get("/work/").text, "csrf")
                refused = outsider.post("/work/audit/resolution", data=resolution | {"csrf": theirs, "reason": "recount"})
                assert refused.status_code == status and f'<code class="rule">{rule}</code>' in refused.text
        assert head(db) == before
        with own.client(headers=EN) as client:
            sign_in(client, audited.token)
            resolution["csrf"] = hidden(client.get("/work/audit").text, "csrf")  # a new session, a new token
            settled = client.post("/work/audit/resolution", data=resolution | {"reason": "recounted: entry 2 missed a PL vote"})
            assert settled.status_code == 201, settled.text
            assert f"Resolution recorded for table {table} (event {before + 1})" in settled.text
            assert f'<tr data-table="{table}" data-status="resolved">' in settled.text
            again = client.post("/work/audit/resolution", data=resolution | {"reason": "again"})
            assert again.status_code == 422 and head(db) == before + 1
        status = httpx.get(f"{own.url}/api/v1/audit").json()
    assert next(r for r in status["tables"] if r["table"] == table)["status"] == "resolved"
