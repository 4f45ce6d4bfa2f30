"""Without ``--order`` the count order is the times the log recorded each table's sheet (issue 13,
must-have 5: "or the arrival times that intake recorded"); a store whose sheets came in one load is
one moment, and then no count-order story is told, saying why."""

from __future__ import annotations

import random
from pathlib import Path

from tests.onpe_sample import Row, write

from escrutinio.app import Session
from escrutinio.app.forensics import ForensicsOptions


def _rows() -> list[Row]:
    rng = random.Random(1)
    rows = []
    for i in range(120):
        p1, p2 = rng.randint(60, 140), rng.randint(60, 140)
        ubigeo = ("140137", "140101", "240106")[i % 3]
        rows.append(Row(f"{i + 1:06d}", ubigeo=ubigeo, cast=p1 + p2 + 10, p1=p1, p2=p2, blank=5, null=5))
    return rows


def _count_order(session: Session):
    (result,) = session.forensics.run(ForensicsOptions(tests=("count_order",))).results
    return result


def test_forensics_count_order_from_the_times_the_log_recorded(tmp_path: Path) -> None:
    rows = _rows()
    with Session(str(tmp_path / "s.db")) as session:
        session.count.load(write(tmp_path / "first.csv", rows[:80]), "peru-2021-runoff")
        once = _count_order(session)
        assert once.flagged() is None and "recorded at one moment" in once.reading
        session.count.load(write(tmp_path / "later.csv", rows[80:]), new_tables=True)
        r = _count_order(session)
    e = r.estimates
    assert e["order"] == "the times the log recorded each sheet"
    assert [c["tables_counted"] for c in e["cuts"]] == [80, 120]  # one cut per moment, none inside a load
    assert e["tables_counted_at_cut"] == 80 and e["low"] <= e["projected_margin_points"] <= e["high"]
    assert "at the last moment of the times the log recorded each sheet before the end, with 80 of" in r.reading


def test_forensics_count_order_on_a_live_count_projects_to_the_whole_roll(tmp_path: Path) -> None:
    """Election night: the roll holds 120 tables and only 80 have a sheet, in two moments. The
    projection runs from the counted tables to every table still to come (their electors are on the
    roll), and no final count is claimed while 40 tables have no sheet (it read "the final count
    gave" the counted tables' own margin, "100.0 %" of them in)."""
    rows = _rows()
    with Session(str(tmp_path / "s.db")) as session:
        session.intake.register_roll(write(tmp_path / "roll.csv", rows), "peru-2021-runoff")
        session.count.load(write(tmp_path / "first.csv", rows[:40]))
        session.count.load(write(tmp_path / "later.csv", rows[40:80]))
        r = _count_order(session)
    e = r.estimates
    assert [c["tables_counted"] for c in e["cuts"]] == [40, 80]  # the last moment is judged: nothing follows it yet
    assert e["tables_counted_at_cut"] == 80 and e["tables_counted_in_all"] == 80 and e["tables_without_sheet"] == 40
    assert e["cuts"][-1]["fraction_counted"] == 80 / 120
    assert e["realised_margin_points"] is None and e["realised_inside_interval"] is None
    assert e["low"] <= e["projected_margin_points"] <= e["high"]
    assert r.flagged() is None and "40 on the roll have no sheet yet" in r.reading
    assert "the final count gave" not in r.reading and "no final margin" in r.reading


def test_forensics_order_says_how_many_listed_tables_have_no_sheet_in_the_count(tmp_path: Path) -> None:
    """Listed tables with no sheet in the count were dropped from the order silently (review13d #10)."""
    rows = _rows()
    rows[5] = Row("000006", status="ANULADA", cast=30, p1=0, p2=0, blank=0, null=30)
    rows[7] = Row("000008", status="SIN INSTALAR", cast="", electors=300, p1="", p2="", blank="", null="")
    order = tmp_path / "order.csv"
    order.write_text("TABLE,AT\n" + "".join(f"{r.table},{1 + i // 40}\n" for i, r in enumerate(rows[:100])))
    with Session(str(tmp_path / "s.db")) as session:
        session.count.load(write(tmp_path / "all.csv", rows), "peru-2021-runoff")
        result = session.forensics.run(ForensicsOptions(tests=("count_order",), order=order))
    note = next(n for n in result.notes if "have no sheet in the count" in n)
    assert note.startswith("2 of the 100 tables listed in order.csv have no sheet in the count"), result.notes
    assert note.endswith("the count order leaves them out (000006, 000008)."), note  # named, to be looked up
