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
