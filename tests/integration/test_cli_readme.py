"""Every command in the README's code blocks runs, on the real data, as a reader would paste it.

The ``bash``/``sh`` blocks are read in order and each line run (comments dropped) in one
temporary folder with one store, ``../shared`` pointing at the real data. The quick start's
install and test-suite lines are not run here: they reinstall the package, and the whole suite
is what runs them. The files a reader brings are made here: a scanned sheet and a CSV of
requests at the start, and the audits' hand counts and ballot readings when the walk-through
reaches them, from the retrieval lists the walk-through printed (each equal to the sheets, the
entries the README types by hand left out). Every line must exit 0, but those in
:data:`REFUSALS`, which show a refusal on purpose; none may print a traceback.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
from tests import scans
from tests.cli_runs import run_and_collect
from tests.conftest import ROOT, SHARED, need_shared

from escrutinio.app import Role, Session

NOT_RUN = ("pip install", "bash scripts/test")
"""The quick start's install and test lines (see the module's docstring)."""

RUN_ELSEWHERE: dict[str, str] = {
    "initdb ": "starts a PostgreSQL primary: tests/pg_servers.py starts one (and a replica) on a free port",
    "createdb ": "needs the README's primary on port 5432: tests/integration/test_read_replica.py makes its own",
    "pg_basebackup ": "makes a replica of the README's primary: tests/pg_servers.py start_replica does the same",
    "pg_ctl ": "starts the README's replica on port 5433: tests/pg_servers.py starts its own",
    "escrutinio --db postgresql://": "registers the roll and a clerk on the README's primary: the desk's lines run on SQLite",
    "escrutinio serve ": "runs until stopped: the API's tests run the server",
    "escrutinio publish /srv/www/results --every": "runs until stopped: test_publish.py runs --every and stops it",
}
"""README lines (by how they start) that set up or run servers; each is run where its reason says."""

REFUSALS: dict[str, str] = {
    # The audit walk-through shows that a step out of order is refused: the risk is measured
    # only once every sampled table is settled, and two have been.
    "escrutinio audit measure": "every sampled table is settled",
}
"""README line (as written; `` #N`` for its Nth occurrence) -> words its one-line refusal must
hold: only lines that are there to show a refusal."""

TYPED = re.compile(r"audit (?:record|resolve) (\d+)(?: --position (\d+))?")
"""A hand count or reading the README types by hand: (table, position)."""


def readme_commands(text: str) -> list[str]:
    """Each command line of the README's bash/sh blocks, in order, without its comment."""
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def test_the_readme_lists_the_commands_it_promises() -> None:
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any(c.startswith("escrutinio load ") for c in commands)
    assert "escrutinio results" in commands and "escrutinio status" in commands
    assert any(c.startswith("escrutinio table ") for c in commands) and any(c.startswith("escrutinio changes") for c in commands)
    assert any(c.startswith(NOT_RUN) for c in commands)  # the quick start is still there
    assert "escrutinio publish public" in commands  # the results centre's static files, run here
    for start in RUN_ELSEWHERE:  # each line skipped for a reason is still in the README
        assert any(c.startswith(start) for c in commands), start
    # An account of every role users add takes, each with its scope (the walk-through ran the
    # others): an appeals judge made without --body, as a reader would copy a clerk's line, is refused.
    made = {m.group(1): c for c in commands if (m := re.search(r"users add \S+ --role (\w+)", c))}
    assert set(made) == {r.value for r in Role} - {"public"}
    assert "--body" in made["appeals_judge"] and "--area" not in made["appeals_judge"]
    assert "--body" in made["judge"] and "--party" in made["representative"]


def typed_by_hand(commands: list[str]) -> set[str]:
    """``table`` or ``table:position`` of every entry the README's lines record themselves."""
    return {f"{t}:{p}" if p else t for c in commands for t, p in TYPED.findall(c)}


def hand_counts(folder: Path, db: str, skip: set[str]) -> None:
    """What the counting centres send back for ``retrieval.csv``: each table's hand count equal
    to its sheet, entered twice."""
    drawn = [r["table"] for r in csv.DictReader((folder / "retrieval.csv").open(encoding="utf-8"))]
    with Session(db) as session:
        sheets = {r["table"]: r for r in session.count.tables() if r["table"] in set(drawn)}
    with (folder / "hand-counts.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["table", "entry", "ballots", "by", "counts"])
        for table in (t for t in drawn if t not in skip):
            r = sheets[table]
            counts = f"PL={r['v_PL']},FP={r['v_FP']},blank={r['blank']},null={r['null']}"
            out.writerows([[table, 1, r["cast"], "A. Quispe", counts], [table, 2, r["cast"], "B. Mamani", counts]])


def readings(folder: Path, db: str, skip: set[str]) -> None:
    """What the readers of ``ballots.csv`` send back: ballot ``n`` of a table shows what the
    sheet's n-th ballot would (its choices' votes in order, then blank, then null), read twice."""
    drawn = [(r["table"], int(r["position"])) for r in csv.DictReader((folder / "ballots.csv").open(encoding="utf-8"))]
    with Session(db) as session:
        nat = session.count.results()[0]
        choices = [c["id"] for c in session.count.contest()["choices"]]
        sheets = {r["table"]: r for r in session.count.tables() if r["table"] in {t for t, _p in drawn}}
    pair = (nat["leader"], nat["runner_up"])

    def shows(table: str, position: int) -> str:
        r = sheets[table]
        for name, n in [*((c, r[f"v_{c}"]) for c in choices), ("blank", r["blank"]), ("null", r["null"])]:
            if position <= n:
                return name if name in (*pair, "blank", "null") else "other"
            position -= n
        return "other"

    with (folder / "readings.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["table", "position", "entry", "vote", "by"])
        for table, position in (b for b in drawn if f"{b[0]}:{b[1]}" not in skip):
            vote = shows(table, position)
            out.writerows([[table, position, 1, vote, "A. Quispe"], [table, position, 2, vote, "B. Mamani"]])


@pytest.mark.shared
@pytest.mark.slow
def test_every_readme_command_runs(tmp_path: Path) -> None:
    need_shared(SHARED / "data" / "peru-2021-runoff")
    (tmp_path / "acta-000123.jpg").write_bytes(scans.jpeg())
    (tmp_path / "fp-requests.csv").write_text(
        "table,filer,grounds,fee_receipt,evidence_sha256,requested\n000123,FP,b,R-0001,,annul\n",  # filed at receipt
        encoding="utf-8",
    )
    (tmp_path / "out").mkdir()
    env = {**os.environ, "ESCRUTINIO_DB": str(tmp_path / "escrutinio.db"), "COLUMNS": "100"}
    env.pop("ESCRUTINIO_ACTOR", None)
    lines = [
        c
        for c in readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
        if not c.startswith(NOT_RUN) and not c.startswith(tuple(RUN_ELSEWHERE))
    ]
    skip = typed_by_hand(lines)
    brought = {
        "hand-counts.csv": lambda: hand_counts(tmp_path, env["ESCRUTINIO_DB"], skip),
        "readings.csv": lambda: readings(tmp_path, str(tmp_path / "san-martin.db"), skip),
    }

    def bring(line: str) -> None:
        for name, make in brought.items():
            if name in line and not (tmp_path / name).exists():
                make()

    seen: dict[str, int] = {}
    commands = []
    for line in lines:
        seen[line] = seen.get(line, 0) + 1
        shared = line.replace("../shared/", f"{SHARED}/")  # the real data, wherever the checkout is
        commands.append(("", line if seen[line] == 1 else f"{line} #{seen[line]}", shared))
    failures = run_and_collect(commands, cwd=tmp_path, env=env, refusals=REFUSALS, before=bring)
    assert not failures, "\n".join(failures)
