"""Small stores for the working screens' tests, and signing in to them over HTTP.

The stores are the ten-table ONPE sample (``tests/onpe_sample.py``) under the runoff's rules,
with election day yesterday and the claim deadline a month away, so a filing made now is timely
(the 2021 store, judged on today's clock, refuses every claim as late: that is its own test).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.roles import Role

EN = {"Accept-Language": "en"}
"""The tests read the screens in English (Spanish is the default: see the language test)."""


def current_election(path: Path) -> Path:
    """The runoff's definition held yesterday, its claim deadline a month away."""
    from tests.integration.test_concurrency_storm import _election

    return _election(path)


@dataclass(frozen=True)
class Accounts:
    """The tokens of the accounts a test signs in with."""

    ana: str  # clerk of Lima (14)
    beto: str  # clerk, national
    carla: str  # clerk of Callao (24)
    maria: str  # representative of FP
    pedro: str  # representative of PL
    luis: str  # judge of JEE, Lima (14)
    olga: str  # auditor, national


def roll_store(db: str, folder: Path) -> Accounts:
    """The sample's roll (no sheets yet: clerks key them) under a current election, and accounts."""
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(folder / "roll.csv"), str(current_election(folder / "work.toml")))
        return Accounts(
            ana=admin.users.add("ana", Role.CLERK, area="14").token,
            beto=admin.users.add("beto", Role.CLERK).token,
            carla=admin.users.add("carla", Role.CLERK, area="24").token,
            maria=admin.users.add("maria", Role.REPRESENTATIVE, party="FP").token,
            pedro=admin.users.add("pedro", Role.REPRESENTATIVE, party="PL").token,
            luis=admin.users.add("luis", Role.JUDGE, body="JEE", area="14").token,
            olga=admin.users.add("olga", Role.AUDITOR).token,
        )


def hidden(html: str, name: str) -> str:
    """The value of the hidden field ``name`` of the (first) form in ``html``."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, f"no hidden field {name!r} in the page"
    return found.group(1)


def sign_in(client: httpx.Client, token: str) -> httpx.Response:
    """Sign in through the form, as a browser does: GET the form (its pre-session cookie and CSRF
    token), POST the token; returns the answer to the POST (303 to the home screen on success)."""
    form = client.get("/work/login")
    assert form.status_code == 200, form.text
    return client.post("/work/login", data={"token": token, "csrf": hidden(form.text, "csrf")})


@dataclass(frozen=True)
class Audited:
    """A store with an audit drawn: the auditor's token, the drawn tables, the hand-count CSV of
    the sample (both entries of every drawn table, equal to its sheet), a second auditor's token."""

    token: str
    drawn: list[str]
    csv: list[str]
    second: str = ""
    """Another auditor's token: a table's second count is another person's (``same_auditor``)."""


def audited_store(db: str, folder: Path) -> Audited:
    """600 counted tables (``_rows`` of the audit workflow tests), a MACRO audit at 5 % drawn."""
    from tests.integration.audit.test_audit_workflow_service import SEED, _rows

    from escrutinio.parsing import parse_audit_method, parse_risk_limit

    rows = {r.table: r for r in _rows()}
    with Session(db, "admin") as admin:
        admin.count.load(write(folder / "sheets.csv", list(rows.values())), "peru-2021-runoff")
        admin.audit.plan(parse_risk_limit("0.05"), method=parse_audit_method("macro"))
        admin.audit.seed(SEED)
        drawn = [t["table"] for c in admin.audit.draw()["centres"] for t in c["tables"]]
        token = admin.users.add("olga", Role.AUDITOR).token
        second = admin.users.add("pia", Role.AUDITOR).token
    lines = ["table,entry,counts,ballots,by"]
    for t in drawn:
        pl, fp = int(rows[t].p1), int(rows[t].p2)
        lines += [f'{t},{entry},"PL={pl},FP={fp},other={200 - pl - fp}",200,clerk {entry}' for entry in (1, 2)]
    return Audited(token, drawn, lines, second)
