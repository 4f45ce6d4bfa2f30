"""The working screens in headless Chromium, each person signed in with their own token: a party
representative files a claim through the form and finds it on the public docket; a claim after
the 2021 deadline is shown refused, on the real runoff store; two clerks' entries of one sheet
differ and the page names the field; an auditor pastes the hand counts of a whole sample, and
settles a table whose two entries differ; a judge rules a case of the 2021 runoff from their
docket and the open public page's figures change (a blank resolution number, and a judge of
another area, refused on the screen)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.api.server import Server
from tests.integration.web.work_stores import Accounts, audited_store, roll_store

from escrutinio.app import Session
from escrutinio.domain.roles import Role

try:
    from tests.browser.conftest import serious_violations
    from tests.browser.test_browser_public import api, shown_votes
except ImportError:  # the browser fixtures arrive with the public pages' browser tests (webcore)
    pytest.skip("tests/browser/conftest.py (the browser fixtures) is not in this checkout", allow_module_level=True)

pytestmark = [pytest.mark.browser]


def sign_in(page: Any, server: Server, token: str, screen: str) -> None:
    """Sign in through the form and land on ``screen`` (``/work/claims``)."""
    page.goto(f"{server.url}/work/login?next={screen}")
    page.locator("#token").fill(token)
    page.locator('form[action="/work/login"] button[type="submit"]').click()  # in either language
    page.wait_for_url(f"**{screen}")


@pytest.fixture
def small(tmp_path: Path) -> tuple[str, Accounts]:
    """The ten-table sample's roll under a current election (claims timely), and its accounts."""
    db = str(tmp_path / "work.db")
    return db, roll_store(db, tmp_path)


def test_a_representative_files_a_claim_and_finds_it_on_the_public_docket(
    small: tuple[str, Accounts], serve: Any, new_page: Any, screenshot: Any
) -> None:
    db, accounts = small
    with serve(db) as server:
        page = new_page("en")
        sign_in(page, server, accounts.maria, "/work/claims")
        assert page.locator("#rule-fee").inner_text().startswith("1100 PEN per table")
        page.get_by_label("Tables").fill("000001")
        page.get_by_label("Grounds").select_option("b")
        page.get_by_role("button", name="Check").click()
        problem = page.locator('[data-field="fee_receipt"]')
        assert "no_fee" in problem.inner_text()  # checked before filing: the fee is missing
        assert httpx.get(f"{server.url}/api/v1/cases").json() == []
        page.get_by_label("Fee receipt").fill("R-0042")
        page.get_by_role("button", name="Check").click()
        assert page.locator("#check-ok").is_visible()
        assert serious_violations(page) == []
        screenshot(page, "work-claim-form")
        page.get_by_role("button", name="File").click()
        filed = page.locator("#filed")
        assert "admitted" in filed.inner_text()
        page.get_by_role("link", name="See it on the public docket").click()
        page.wait_for_url("**/cases/NUL-*")
        number = page.url.rsplit("/", 1)[1]
        assert "000001" in page.locator("main").inner_text()
        page.goto(f"{server.url}/cases?lang=en")
        row = page.locator("main").get_by_role("row").filter(has_text=number)
        assert "FP" in row.inner_text() and "000001" in row.inner_text()
    with Session(db) as s:
        (case,) = s.cases.listing()
        assert (case["number"], case["filer"], case["status"]) == (number, "FP", "admitted")


@pytest.mark.shared
def test_a_claim_past_the_2021_deadline_is_refused_clearly_on_the_runoff(
    runoff_copy: str, serve: Any, new_page: Any, screenshot: Any
) -> None:
    with Session(runoff_copy, "admin") as admin:
        token = admin.users.add("keiko-personero", Role.REPRESENTATIVE, party="FP").token
        clerk = admin.users.add("clerk-lima", Role.CLERK, area="14").token
        before = admin.store.head()[0]
    with serve(runoff_copy) as server:
        page = new_page("en")
        sign_in(page, server, token, "/work/claims")
        assert "2021-06-09T20:00:00-05:00" in page.locator("#rule-deadline").inner_text()
        page.get_by_label("Tables").fill("052235")
        page.get_by_label("Grounds").select_option("b")
        page.get_by_label("Fee receipt").fill("R-2021-1")
        page.get_by_role("button", name="File").click()
        late = page.locator('[data-field="deadline"]')
        assert late.is_visible() and "after the claim deadline 2021-06-09T20:00:00-05:00" in late.inner_text()
        assert page.locator("#check-problems").get_attribute("role") == "alert"
        screenshot(page, "work-claim-late")
        other = new_page("es")
        sign_in(other, server, clerk, "/work/claims")  # refused on opening: no form to fill
        refusal = other.locator("#refusal")
        assert refusal.get_attribute("role") == "alert" and refusal.locator(".rule").inner_text() == "role"
        assert "may not" in refusal.inner_text()  # the application's words: a clerk may not file a claim
        assert other.locator("#claim-form").count() == 0
    with Session(runoff_copy) as s:
        assert s.store.head()[0] == before


def test_two_clerks_entries_differ_and_the_page_names_the_field(
    small: tuple[str, Accounts], serve: Any, new_page: Any, screenshot: Any
) -> None:
    db, accounts = small
    with serve(db) as server:
        for token, cast in ((accounts.ana, "220"), (accounts.beto, "221")):
            page = new_page("en")
            sign_in(page, server, token, "/work/intake")
            page.get_by_label("Table", exact=True).fill("000001")
            page.get_by_role("button", name="Open").click()
            page.wait_for_url("**/work/intake?table=000001")
            expected = "1" if token == accounts.ana else "2"
            assert page.locator("#entry-number").get_attribute("data-entry") == expected
            for field, value in (("f-PL", "115"), ("f-FP", "87"), ("f-blank", "0"), ("f-null", "18"), ("f-cast", cast)):
                page.locator(f"#{field}").fill(value)
            page.get_by_role("button", name="Record this entry").click()
        receipt = page.locator("#receipt")
        assert receipt.get_attribute("data-state") == "mismatch"
        assert page.locator("ul.differs li").all_inner_texts() == ["cast"]
        assert "OBS-" in receipt.inner_text()
        screenshot(page, "work-intake-mismatch")
        assert serious_violations(page) == []


def test_an_auditor_pastes_the_hand_counts_of_the_sample(tmp_path: Path, serve: Any, new_page: Any, screenshot: Any) -> None:
    db = str(tmp_path / "audit.db")
    audited = audited_store(db, tmp_path)
    with serve(db) as server:
        page = new_page("en")
        sign_in(page, server, audited.token, "/work/audit")
        assert page.locator("#retrieval tbody tr").count() == len(audited.drawn)
        for token, entry in ((audited.token, "1"), (audited.second, "2")):  # the second counts are another auditor's
            page = new_page("en")
            sign_in(page, server, token, "/work/audit")
            rows = [audited.csv[0], *(line for line in audited.csv[1:] if line.split(",")[1] == entry)]
            page.get_by_label("Paste the CSV").fill("\n".join(rows) + "\n")
            page.get_by_role("button", name="Record every row").click()
            done = page.locator("#bulk-recorded")
            assert f"{len(audited.drawn)} entries recorded, 0 already recorded" in done.inner_text()
        screenshot(page, "work-audit-bulk")
    with Session(db) as s:
        assert s.audit.status()["phase"] == "measurable"


def test_an_auditor_settles_two_differing_entries_on_the_screen(
    tmp_path: Path, serve: Any, new_page: Any, screenshot: Any
) -> None:
    db = str(tmp_path / "audit.db")
    audited = audited_store(db, tmp_path)
    table, _entry, figures, ballots, _by = next(csv.reader(audited.csv[1:2]))
    pl = int(figures.split(",")[0].removeprefix("PL="))
    with serve(db) as server:
        page = new_page("en")
        sign_in(page, server, audited.token, "/work/audit")
        for number, counts, by in (("1", figures, "A. Quispe"), ("2", figures.replace(f"PL={pl}", f"PL={pl - 1}"), "B. Mamani")):
            if number == "2":  # the second count is another auditor's
                page = new_page("en")
                sign_in(page, server, audited.second, "/work/audit")
            entry = page.locator("#entry-form")
            entry.locator("#f-table").fill(table)
            entry.locator("#f-entry").select_option(number)
            entry.locator("#f-counts").fill(counts)
            entry.locator("#f-ballots").fill(ballots)
            entry.locator("#f-by").fill(by)
            entry.get_by_role("button", name="Record the entry").click()
        assert page.locator("#recorded").get_attribute("data-status") == "discrepancy"
        assert page.locator("#differs li").all_inner_texts() == [f"PL: {pl} (entry 1) vs {pl - 1} (entry 2)"]
        page.get_by_role("link", name="Record the resolution below.").click()
        form = page.locator("#resolve-form")
        assert form.locator("#r-table").input_value() == table  # the table that differs, filled in
        form.locator("#r-counts").fill(figures)
        form.locator("#r-ballots").fill(ballots)
        form.locator("#r-by").fill("audit board")
        form.locator("#r-reason").fill("   ")  # passes the browser's "required", not the application
        form.get_by_role("button", name="Record the resolution").click()
        refusal = page.locator("#refusal")
        assert refusal.get_attribute("role") == "alert" and "reason: expected why" in refusal.inner_text()
        assert page.locator("#r-counts").input_value() == figures  # nothing typed is lost
        page.locator("#r-reason").fill("recounted twice: entry 2 missed one PL ballot")
        page.get_by_role("button", name="Record the resolution").click()
        assert f"Resolution recorded for table {table}" in page.locator("#resolved").inner_text()
        assert page.locator(f'#retrieval tr[data-table="{table}"]').get_attribute("data-status") == "resolved"
        assert serious_violations(page) == []
        screenshot(page, "work-audit-resolved")
    with Session(db) as s:
        assert next(r for r in s.audit.status()["tables"] if r["table"] == table)["status"] == "resolved"


@pytest.mark.shared
def test_a_judge_rules_from_the_docket_and_the_public_figures_change(
    runoff_copy: str, serve: Any, new_page: Any, screenshot: Any
) -> None:
    with serve(runoff_copy) as server:
        choices = [c["id"] for c in api(server, "/contest")["choices"]]
        case = next(c for c in api(server, "/cases?kind=observation") if c["status"] in ("filed", "admitted"))
        number, table = case["number"], case["tables"][0]
        sheet = api(server, f"/tables/{table}")
        department = sheet["area"][:2]
        elsewhere = "15" if department != "15" else "14"
        with Session(runoff_copy, "admin") as admin:
            judge = admin.users.add("jee-judge", Role.JUDGE, body="JEE", area=department).token
            other = admin.users.add("jee-other", Role.JUDGE, body="JEE", area=elsewhere).token
        public = new_page("en")
        public.goto(server.url + "/")
        before = shown_votes(public, choices)

        outsider = new_page("en")
        sign_in(outsider, server, other, "/work/docket")
        assert outsider.locator("#worklist").get_by_role("cell", name=number, exact=True).count() == 0
        outsider.goto(f"{server.url}/work/docket/{number}")
        outsider.locator("#f-resolution").fill("0001-2021-JEE")
        outsider.get_by_role("button", name="Record the decision").click()
        refusal = outsider.locator("#refusal")
        assert refusal.get_attribute("role") == "alert" and refusal.locator(".rule").inner_text() == "area"

        page = new_page("en")
        sign_in(page, server, judge, "/work/docket")
        page.locator("#worklist tr").filter(has_text=number).get_by_role("link", name="Rule").click()
        page.wait_for_url(f"**/work/docket/{number}")
        page.get_by_label("Decision").select_option("count_as_is")
        page.get_by_label("Reasoning").fill("the observation does not hold: the sheet is legible")
        page.get_by_label("Resolution number").fill("  ")  # passes the browser's "required", not the application
        page.get_by_role("button", name="Record the decision").click()
        refusal = page.locator("#refusal")
        assert refusal.get_attribute("role") == "alert" and "resolution" in refusal.inner_text()
        assert api(server, f"/cases/{number}")["status"] == case["status"]  # nothing was recorded
        assert api(server, "/results")[0]["votes"] == before
        page.get_by_label("Resolution number").fill("0042-2021-JEE")
        page.get_by_role("button", name="Record the decision").click()
        assert "resolution 0042-2021-JEE" in page.locator("#ruled").inner_text()
        assert page.locator("#case-status").get_attribute("data-status") == "ruled"
        screenshot(page, "work-judge-ruled")
        assert serious_violations(page) == []

        # A public read that must see a write asks with ?at_least=N (N: the log's head after it); a
        # plain read may be served the answer kept before the ruling for up to a second
        # (api/hot.py), naming its own head.
        with Session(runoff_copy) as s:
            ruled_at = s.log.head()["events"]
        after = api(server, f"/results?at_least={ruled_at}")[0]["votes"]
        assert after == {c: before[c] + sheet["current"]["votes"][c] for c in choices} != before
        public.wait_for_function(
            "expected => document.querySelector('[data-figure=\"votes.PL\"]').textContent.trim() === expected",
            arg=f"{after['PL']:,}",
        )
        assert shown_votes(public, choices) == after
    with Session(runoff_copy) as s:
        ruled = s.cases.show(number)
    assert (ruled["resolution"], ruled["history"][-1]["actor"]) == ("0042-2021-JEE", f"judge:jee-judge/JEE@{department}")
