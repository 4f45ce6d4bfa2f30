"""``session.count.changes(N)`` says exactly how the published figures moved after event N:
for any sequence of files, each area's change equals its results now minus its results then."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.onpe_sample import Row, write

from escrutinio.app import Session
from escrutinio.count.options import InvalidSheets, Level

STATUSES = ["CONTABILIZADA", "COMPUTADA RESUELTA", "ANULADA", "EN PROCESO", "SIN INSTALAR"]
AREAS = ("140137", "140101", "240106", "940101")


def _row(i: int, version: int, status: str) -> Row:
    if status == "SIN INSTALAR":
        return Row(f"{i:06d}", ubigeo=AREAS[i % 4], status=status, cast="", p1="", p2="", blank="", null="")
    p1, p2, null = 50 + (i * 7 + version) % 40, 60 + (i * 3 + version * 5) % 30, 5 + version % 3
    return Row(f"{i:06d}", ubigeo=AREAS[i % 4], status=status, cast=p1 + p2 + null, p1=p1, p2=p2, blank="", null=null)


def _figures(session: Session) -> dict[str, dict[str, int]]:
    """Every area's (and the nation's) figures, as the results publish them, flat."""
    rows = [session.count.results()[0]]
    for level in (Level.DEPARTMENT, Level.PROVINCE, Level.DISTRICT):
        rows += session.count.results(level)
    out = {}
    for r in rows:
        prov = r["provisional"]
        out[r["area"]] = {
            **{f"tables.{s}": r["tables"][s] for s in ("counted", "resolved", "observed", "annulled", "not_installed")},
            **{k: r[k] for k in ("electors_in_count", "ballots_cast", "valid", "blank", "null", "challenged")},
            **{f"votes.{c}": v for c, v in r["votes"].items()},
            **{f"provisional.{k}": prov[k] for k in ("cast", "blank", "null", "challenged", "valid")},
            **{f"provisional.votes.{c}": v for c, v in prov["votes"].items()},
        }
    return out


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2), st.sampled_from(STATUSES)), min_size=1, max_size=8),
        min_size=1,
        max_size=3,
    ),
    st.integers(0, 3),
)
def test_changes_since_n_is_results_now_minus_results_then(loads: list[list[tuple[int, int, str]]], at: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        session = Session(str(tmp / "c.db"))
        session.count.load(write(tmp / "roll.csv", [_row(i, 0, "CONTABILIZADA") for i in range(8)]), "peru-2021-runoff")
        marks = [(session.store.head()[0], _figures(session))]
        for n, load in enumerate(loads):
            rows = {i: _row(i, version, status) for i, version, status in load}
            session.count.load(write(tmp / f"l{n}.csv", list(rows.values())), invalid=InvalidSheets.OBSERVE)
            marks.append((session.store.head()[0], _figures(session)))
        since, then = marks[min(at, len(marks) - 1)]
        now = _figures(session)
        moved = {t["area"]: t["change"] for t in session.count.changes(since).tallies}
        for area in now:
            expected = {k: now[area][k] - then.get(area, {}).get(k, 0) for k in now[area]}
            assert moved.get(area, {}) == {k: v for k, v in expected.items() if v}, area
        session.close()
