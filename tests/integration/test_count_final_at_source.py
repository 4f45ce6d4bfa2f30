"""Sheets final at source despite a rule, on the real runoff file: counted as ONPE states them,
and counted per rule in ``results`` (every format) as in ``status``.

The file as published has none; a copy with five CONTABILIZADA rows made to break a rule (three
whose votes no longer add up, two with more ballots than electors) has exactly five, and results
must say so for the nation, for the areas that hold them and for no other area.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escrutinio.app import Session
from escrutinio.cli import app
from escrutinio.count.options import InvalidSheets, Level

pytestmark = pytest.mark.shared

NONE = {"arithmetic_error": 0, "votes_exceed_electors": 0, "challenged_ballots": 0}


def test_the_runoff_as_published_has_no_sheet_final_at_source_despite_a_rule(sqlite_db: str, runoff_file: Path) -> None:
    session = Session(sqlite_db)
    session.count.load(runoff_file, "peru-2021-runoff")
    assert session.count.results()[0]["final_at_source_despite"] == NONE
    assert all(r["final_at_source_despite"] == NONE for r in session.count.results(Level.DEPARTMENT))
    assert session.count.status()["final_at_source_despite"] == []


def broken_copy(source: Path, target: Path) -> dict[str, tuple[str, str]]:
    """The runoff file with 3 CONTABILIZADA rows of Lima one vote off (arithmetic) and 2 of
    Cusco with one ballot more than electors (their votes still add up); table -> (district, rule)."""
    lines = gzip.decompress(source.read_bytes()).decode("latin-1").split("\n")
    header = lines[0].split(";")
    col = {name: i for i, name in enumerate(header)}
    changed: dict[str, tuple[str, str]] = {}
    wanted = {"14": ("arithmetic_error", 3), "08": ("votes_exceed_electors", 2)}
    for n, line in enumerate(lines[1:], start=1):
        f = line.split(";")
        if len(f) < len(header) or f[col["DESCRIP_ESTADO_ACTA"]] != '"CONTABILIZADA"':
            continue
        district = f[col["UBIGEO"]].strip('"')
        rule, quota = wanted.get(district[:2], ("", 0))
        if sum(1 for _d, r in changed.values() if r == rule) >= quota:
            continue
        p1 = int(f[col["VOTOS_P1"]].strip('"'))
        if rule == "arithmetic_error":
            f[col["VOTOS_P1"]] = f'"{p1 + 1}"'
        else:
            cast, electors = int(f[col["N_CVAS"]].strip('"')), int(f[col["N_ELEC_HABIL"]])
            extra = electors + 1 - cast
            f[col["N_CVAS"]], f[col["VOTOS_P1"]] = f'"{electors + 1}"', f'"{p1 + extra}"'
        lines[n] = ";".join(f)
        changed[f[col["MESA_DE_VOTACION"]].strip('"')] = (district, rule)
    target.write_bytes(gzip.compress("\n".join(lines).encode("latin-1")))
    assert len(changed) == 5
    return changed


def test_results_count_sheets_final_at_source_despite_each_rule(db_url: str, runoff_file: Path, tmp_path: Path) -> None:
    broken = tmp_path / "runoff-broken.csv.gz"
    changed = broken_copy(runoff_file, broken)
    session = Session(db_url)
    session.count.load(broken, "peru-2021-runoff", invalid=InvalidSheets.OBSERVE)

    expected = {**NONE, "arithmetic_error": 3, "votes_exceed_electors": 2}
    nat = session.count.results()[0]
    assert nat["final_at_source_despite"] == expected
    assert nat["tables"]["counted"] == 84_863  # counted as the source states, not observed
    assert len(session.count.status()["final_at_source_despite"]) == 5
    lima, cusco = session.count.results(area="14")[0], session.count.results(area="08")[0]
    assert lima["final_at_source_despite"] == {**NONE, "arithmetic_error": 3}
    assert cusco["final_at_source_despite"] == {**NONE, "votes_exceed_electors": 2}
    districts = session.count.results(Level.DISTRICT)
    holding = {r["area"]: r["final_at_source_despite"] for r in districts if r["final_at_source_despite"] != NONE}
    assert set(holding) == {d for d, _r in changed.values()}
    assert sum(sum(v.values()) for v in holding.values()) == 5
    tables = {r["table"]: r["final_at_source_despite"] for r in session.count.tables("14") if r["final_at_source_despite"]}
    assert tables == {t: rule for t, (_d, rule) in changed.items() if rule == "arithmetic_error"}
    # The per-rule counts are kept in the tallies the log replays to: verify rebuilds them alike.
    log = tmp_path / "log.jsonl"
    session.log.export(log)
    assert session.log.verify(log).ok


def test_results_prints_them_in_every_format(sqlite_db: str, runoff_file: Path, tmp_path: Path) -> None:
    broken = tmp_path / "runoff-broken.csv.gz"
    broken_copy(runoff_file, broken)
    Session(sqlite_db).count.load(broken, "peru-2021-runoff", invalid=InvalidSheets.OBSERVE)
    runner = CliRunner()

    def run(*args: str) -> str:
        done = runner.invoke(app, ["--db", sqlite_db, "results", *args], env={"COLUMNS": "100"})
        assert done.exit_code == 0, done.output
        return done.output

    def said(*args: str) -> str:
        return " ".join(run(*args).split())  # as one line, however the terminal wraps it

    assert "final at source despite a rule" in said().lower()
    assert "arithmetic_error 3, votes_exceed_electors 2" in said()
    assert "in 08, 14: arithmetic_error 3, votes_exceed_electors 2" in said("--level", "department")
    assert json.loads(run("--format", "json"))[0]["final_at_source_despite"]["votes_exceed_electors"] == 2
    rows = list(csv.DictReader(io.StringIO(run("--level", "department", "--format", "csv"))))
    assert sum(int(r["final_at_source_despite.arithmetic_error"]) for r in rows) == 3
    assert {r["area"] for r in rows if r["final_at_source_despite.votes_exceed_electors"] != "0"} == {"08"}
    lima = run("--level", "table", "--area", "14", "--format", "csv")
    assert sum(1 for r in csv.DictReader(io.StringIO(lima)) if r["final_at_source_despite"] == "arithmetic_error") == 3
    assert "final at source despite a rule" not in said("--area", "15").lower()  # a department that holds none


def test_a_store_from_before_the_per_rule_tallies_gains_them_when_opened(db_url: str, runoff_file: Path, tmp_path: Path) -> None:
    """Migration 0010: a store from before it kept no ``despite_*`` keys (its downgrade takes them out);
    opening it adds them back from the current sheets, so its results are as a new store's."""
    from alembic import command
    from alembic.config import Config

    import escrutinio.store.engine as engine_module
    from escrutinio.store.engine import make_engine, resolve_url, writing

    broken = tmp_path / "runoff-broken.csv.gz"
    broken_copy(runoff_file, broken)
    Session(db_url).count.load(broken, "peru-2021-runoff", invalid=InvalidSheets.OBSERVE)
    url = resolve_url(db_url)
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(engine_module.__file__).parent / "migrations"))
    with writing(engine) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")  # to the revision before 0010
    with engine.connect() as conn:
        assert "despite_" not in " ".join(r[0] for r in conn.exec_driver_sql("SELECT counts FROM area_tally").fetchall())
    engine.dispose()
    nat = Session(db_url).count.results()[0]
    assert nat["final_at_source_despite"] == {**NONE, "arithmetic_error": 3, "votes_exceed_electors": 2}
    assert Session(db_url).count.results(area="14")[0]["final_at_source_despite"]["arithmetic_error"] == 3
