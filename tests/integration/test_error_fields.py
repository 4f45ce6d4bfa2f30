"""An application error names its field as a request does (``area``), and each skin shows it its
own way: the CLI as its option (``--area: ...``), the API as the error's ``field`` with the
message as the application wrote it (no dashes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.onpe_sample import write

from escrutinio.api.app import create_app
from escrutinio.app import EscrutinioError, Session


@pytest.fixture
def store(tmp_path: Path) -> str:
    db = str(tmp_path / "s.db")
    with Session(db) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    return db


def test_the_cli_prints_the_option_and_the_api_names_the_field(store: str) -> None:
    cli = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", store, "results", "--area", "99"], capture_output=True, text=True
    )
    assert cli.returncode == 1 and cli.stderr.startswith("error: --area: no area '99'") and cli.stderr.count("\n") == 1
    with TestClient(create_app(store)) as client:
        answer = client.get("/api/v1/results", params={"area": "99"})
    error = answer.json()["error"]
    assert answer.status_code == 404 and error["field"] == "area"
    assert error["message"].startswith("area: no area '99'") and "--" not in error["message"]


def test_an_error_of_the_application_carries_its_field(store: str) -> None:
    with Session(store) as session, pytest.raises(EscrutinioError) as refused:
        session.users.add("ana", "king")  # type: ignore[arg-type]
    assert refused.value.field == "role" and str(refused.value).startswith("role: expected one of")


def test_forensics_names_its_level_and_order_fields(store: str, tmp_path: Path) -> None:
    order = tmp_path / "order.csv"
    order.write_text("table\nX999999\n")
    for args, start in (
        (["--by", "galaxy"], "error: --by: 'galaxy' is not a level of this election; the levels that work here are "),
        (["--order", str(order)], f"error: --order: {order}:2:table: table 'X999999' is not in this election"),
    ):
        cli = subprocess.run(
            [sys.executable, "-m", "escrutinio.cli", "--db", store, "forensics", *args], capture_output=True, text=True
        )
        # A level the election does not have and an order file it cannot take are usage errors, as --tests bogus.
        assert cli.returncode == 2 and cli.stderr.startswith(start) and cli.stderr.count("\n") == 1, cli.stderr
    order.write_text("table,at\nX1,-1\nX2,1.5\n")  # two problems: one line, the first, with how many more
    cli = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", store, "forensics", "--order", str(order)],
        capture_output=True,
        text=True,
    )
    first = f"error: --order: {order}:2:table: table 'X1' is not in this election (and 3 more)\n"
    assert cli.returncode == 2 and cli.stderr == first, cli.stderr
    with Session(store) as session, pytest.raises(EscrutinioError) as refused:
        session.forensics.resolve_level("galaxy")
    assert refused.value.field == "by" and str(refused.value).startswith("by: ")


def test_a_ruling_with_a_bad_effect_names_the_field_to_the_api_and_the_option_to_the_cli(store: str) -> None:
    """One parser (``parse_effect``) behind both skins: the API's message and field name the body's
    field, with no command-line option in sight; the CLI's names the option."""
    from escrutinio.app import Role

    with Session(store, actor="setup") as admin:
        judge = admin.users.add("luis", Role.JUDGE, body="JEE").token
        # A case on the docket: a ruling's target is checked before its body (401, 403/404, then 422).
        admin.cases.file(tables=["000002"], filer="FP", grounds="b", fee_receipt="R-1")
    bearer = {"Authorization": f"Bearer {judge}"}
    with TestClient(create_app(store)) as client:
        for body, field, start in (
            ({"effect": "explode"}, "body.effect", "body.effect: expected one of "),
            ({"effect": "count_corrected", "figures": "PL=1"}, "body.figures", "body.figures: missing FP (give PL, FP, "),
            ({"effect": "count_corrected", "figures": "PL=x"}, "body.figures", "body.figures: expected NAME=NUMBER pairs"),
        ):
            ruling = {"resolution": "founded", "reasoning": "r", "body": "JEE", **body}
            answer = client.post("/api/v1/cases/NUL-000001/ruling", json=ruling, headers=bearer)
            error = answer.json()["error"]
            assert answer.status_code == 422 and error["field"] == field, error
            assert error["message"].startswith(start) and "--" not in error["message"], error
    ruling = ["cases", "rule", "NUL-000001", "--resolution", "0123-2021-JEE", "--effect", "explode", "--reasoning", "r"]
    cli = subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", store, *ruling], capture_output=True, text=True)
    assert cli.returncode == 2 and cli.stderr.startswith("error: --effect: expected one of "), cli.stderr


def test_an_audit_entry_of_the_other_kind_names_every_field_it_mentions() -> None:
    """A message naming several fields words each as the skin takes it: bare for a request,
    as options on the command line (``as_option`` reads the error's ``mentions``)."""
    from escrutinio.audit.kinds import AuditUnit
    from escrutinio.cli_common import as_option
    from escrutinio.parsing import AuditEntryText, InputError, parse_audit_entry

    text = AuditEntryText("000001", "ana", 1, counts="PL=1,FP=2", ballots=3)
    with pytest.raises(InputError) as refused:
        parse_audit_entry(AuditUnit.BALLOTS, text)
    said = str(refused.value)
    assert refused.value.field == "counts" and "--" not in said
    assert said == "counts: a ballot-polling audit reads one ballot: give position and vote, not counts"
    assert (
        as_option(refused.value) == "--counts: a ballot-polling audit reads one ballot: give --position and --vote, not --counts"
    )


def test_a_load_s_refusal_names_its_settings_as_options_on_the_command_line(tmp_path: Path) -> None:
    """The plan of a load names ``new_tables`` and ``invalid`` as settings; the CLI says them as
    its options, and leaves alone a file's path that holds the same word."""
    from tests.onpe_sample import Row, changed, sample_rows

    folder = tmp_path / "invalid"
    folder.mkdir()
    store = str(folder / "s.db")
    with Session(store) as session:
        session.count.load(write(folder / "a.csv"), "peru-2021-runoff")
    rows = [*changed(sample_rows(), "000004", p1=121, p2=109), Row("000011", cast=10, p1=5, p2=5, null=0)]
    later = write(folder / "invalid.csv", rows)
    cli = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", store, "load", str(later)], capture_output=True, text=True
    )
    assert cli.returncode == 1 and cli.stdout == "", cli.stderr
    assert cli.stderr.splitlines() == [
        f"error: {later}:5:MESA_DE_VOTACION: table 000004 already has a sheet (version 1) with other figures: "
        "a conflict (load with --invalid=observe to record it as an observed new version)",
        f"{later}:12:MESA_DE_VOTACION: table 000011 is not on the roll (pass --new-tables to register it)",
    ]


def test_a_first_load_without_an_election_names_the_election_field(tmp_path: Path) -> None:
    sheets, db = write(tmp_path / "a.csv"), str(tmp_path / "new.db")
    with Session(db) as session, pytest.raises(EscrutinioError) as refused:
        session.count.load(sheets)
    assert refused.value.field == "election" and str(refused.value).startswith("election: ") and "--" not in str(refused.value)
    command = [sys.executable, "-m", "escrutinio.cli", "--db", db, "load", str(sheets)]
    cli = subprocess.run(command, capture_output=True, text=True)
    assert cli.returncode == 1 and cli.stderr.startswith("error: --election: ") and cli.stderr.count("\n") == 1, cli.stderr
