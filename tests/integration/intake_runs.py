"""What the intake fault tests share: the first tables of the 2021 runoff as a file, the
expected figures from loading it, clerks' entries as JSON bodies, and the check that after the
faults every sheet was counted exactly once."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import RUNOFF, need_shared

from escrutinio.app import Session
from escrutinio.count.options import Level
from escrutinio.domain.roles import Role

COMPARED = ("votes", "blank", "null", "ballots_cast", "tables")


@dataclass(frozen=True)
class IntakeRun:
    """A roll-only store ``db`` with clerks' ``tokens``, the ``sheets`` to key into it, and the
    figures ``expected`` once they are all in (from ``path`` loaded into another store)."""

    path: Path
    db: str
    sheets: list[dict[str, Any]]
    tokens: list[str]
    expected: tuple[dict[str, Any], list[dict[str, Any]]]


def runoff_subset(folder: Path, tables: int) -> Path:
    """The runoff file's first ``tables`` rows (same header and encoding)."""
    out = folder / "runoff.csv"
    with gzip.open(need_shared(RUNOFF), "rb") as src, out.open("wb") as dst:
        for i, line in enumerate(src):
            if i > tables:
                break
            dst.write(line)
    return out


def prepare(folder: Path, tables: int, base: str, db: str, clerks: int) -> IntakeRun:
    """Load the subset into ``base`` (the expected figures), register its roll in ``db``, and
    add ``clerks`` clerk accounts there."""
    path = runoff_subset(folder, tables)
    with Session(base) as s:
        s.count.load(path, "peru-2021-runoff")
        sheets = [r for r in s.count.tables() if r["state"] not in ("pending", "not_installed") and r["cast"] is not None]
        expected = s.count.results()[0], s.count.results(Level.DEPARTMENT)
    with Session(db, "admin") as s:
        s.intake.register_roll(path, "peru-2021-runoff")
        tokens = [s.users.add(f"c{i}", Role.CLERK).token for i in range(clerks)]
    return IntakeRun(path, db, sheets, tokens, expected)


def entry_body(sheet: dict[str, Any]) -> dict[str, Any]:
    """A table's figures as a clerk keys them (``POST /tables/{table}/entries``)."""
    return {"votes": {"PL": sheet["v_PL"], "FP": sheet["v_FP"]}, **{k: sheet[k] for k in ("blank", "null", "challenged", "cast")}}


def assert_counted_once(run: IntakeRun, answers: list[dict[str, Any]]) -> None:
    """Every table answered as processed, exactly two entries each, and the file loads onto
    the keyed sheets in reject mode (any figure that differed would refuse it), giving the
    expected figures, national and by department."""
    assert len({a["table"] for a in answers if a["entry"] == 2}) == len(run.sheets)
    with Session(run.db, "admin") as s:
        with s.store.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT entry, COUNT(*) FROM sheet_entries GROUP BY entry ORDER BY entry").fetchall()
        assert [tuple(r) for r in rows] == [(1, len(run.sheets)), (2, len(run.sheets))]
        s.count.load(run.path)
        got = s.count.results()[0], s.count.results(Level.DEPARTMENT)
    national, departments = run.expected
    assert {k: got[0][k] for k in COMPARED} == {k: national[k] for k in COMPARED}
    assert [{k: r[k] for k in COMPARED} for r in got[1]] == [{k: r[k] for k in COMPARED} for r in departments]
