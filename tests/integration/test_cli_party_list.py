"""A party-list election (Russia's State Duma 2011) names no winner rule: its seats are not allocated here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from escrutinio.app import Session


def test_elections_show_says_seats_are_not_allocated_for_a_party_list() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "elections", "show", "russia-2011-duma"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    rules = " ".join(out.stdout.split()).partition("Rules:")[2]
    assert "seats are not allocated here, so no winner rule" in rules
    assert "wins outright" not in rules and "runoff" not in rules


def test_stakes_on_a_party_list_election_weighs_no_claim_against_a_winner(tmp_path: Path) -> None:
    """No winner rule, so "No combination of the open claims can change the winner" would claim what
    the count never decides: stakes says the seats are not allocated here instead, as results does."""
    from tests.onpe_sample import write

    import escrutinio

    toml = (Path(escrutinio.__file__).parent / "presets" / "peru-2021-runoff.toml").read_text()
    rules = toml.index("thresholds = [")
    toml = toml[:rules] + 'seats = "130 seats by list: not allocated here"\n' + toml[toml.index("]\n", rules) + 2 :]
    (tmp_path / "list.toml").write_text(toml)
    db = str(tmp_path / "s.db")
    with Session(db) as session:
        session.count.load(write(tmp_path / "a.csv"), str(tmp_path / "list.toml"))
        assert session.stakes.report()["seats"] == "130 seats by list: not allocated here"
    out = subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, "stakes"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Seats are not allocated here" in out.stdout and "change the winner" not in out.stdout
    from fastapi.testclient import TestClient

    from escrutinio.api.app import create_app

    with TestClient(create_app(db)) as client:
        page = client.get("/stakes", headers={"Accept-Language": "es"})
    assert page.status_code == 200 and "Los escaños no se asignan aquí" in page.text and "ganador:" not in page.text
