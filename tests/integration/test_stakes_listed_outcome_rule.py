"""A published list weighed against the election's outcome rule, not only against the winner
(review13d #1): on Bolivia 2019, annulling the 5,580 actas missing from the TREP snapshot of
20 Oct 19:40 leaves MAS ahead (45.74 %) but with a 7.88-point lead, which under art. 166 (40 %
and a 10-point lead) is a runoff; the old report said "the listed tables cannot change the winner"
and nothing else."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import DATA, need_shared
from tests.integration.generic_presets import PRESETS

from escrutinio.app import Session

pytestmark = [pytest.mark.shared, pytest.mark.slow]

SNAPSHOT = DATA / "bolivia-2019-first-round" / "trep_acta.2019.10.20.19.40.57.csv"


@pytest.fixture(scope="module")
def bolivia(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Bolivia's final count, and the list of its actas not in the 19:40 snapshot."""
    preset, path, _ = PRESETS["bolivia"]
    where = tmp_path_factory.mktemp("bolivia")
    db = str(where / "bo.db")
    loaded = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", db, "load", str(need_shared(path)), "--election", preset],
        capture_output=True, text=True,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    with need_shared(SNAPSHOT).open(encoding="utf-8-sig", newline="") as fh:
        seen = {row["Número Mesa"] for row in csv.DictReader(fh)}
    with Session(db) as session:
        tables = session.stakes.context.table_frame()["table"].to_list()
    late = where / "late.csv"
    late.write_text("table\n" + "".join(f"{t}\n" for t in tables if t not in seen), encoding="utf-8")
    return db, late


def test_annulling_the_late_actas_could_force_a_runoff_in_bolivia(bolivia: tuple[str, Path]) -> None:
    db, late = bolivia
    with Session(db) as session:
        out = session.stakes.report(listed=late)["listed"]
    assert out["tables"] == 5_580
    assert out["lowest_margin"] > 0 and not out["can_change_winner"]  # MAS stays ahead of CC...
    assert out["outcome_now"].startswith("Movimiento al Socialismo wins outright")
    assert out["can_change_outcome"]  # ...but 45.74 % with a 7.88-point lead is a runoff under art. 166
    assert any(o.startswith("no choice meets a threshold to win outright: runoff between") for o in out["reachable_outcomes"])
    text = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", db, "stakes", "--claims", str(late)], capture_output=True, text=True
    ).stdout
    assert "The listed tables COULD change it" in text and "cannot change the winner" not in text


def test_a_short_list_cannot_change_bolivias_outcome(bolivia: tuple[str, Path]) -> None:
    db, late = bolivia
    short = late.parent / "short.csv"
    short.write_text("\n".join(late.read_text(encoding="utf-8").splitlines()[:11]) + "\n", encoding="utf-8")
    with Session(db) as session:
        out = session.stakes.report(listed=short)["listed"]
    assert out["tables"] == 10 and out["can_change_outcome"] is False and out["reachable_outcomes"] == []
