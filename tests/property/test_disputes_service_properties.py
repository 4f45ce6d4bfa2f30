"""Property tests through the disputes service and the store: the order in which rulings arrive
does not change the results, no table is counted twice or dropped without an annulment, and
every change of a case is an event in the log."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.disputes.service import Disputes
from escrutinio.domain.claims import CaseKind, Effect, EffectKind, Filing, Ruling
from escrutinio.domain.roles import Role
from escrutinio.ledger.events import EventType
from escrutinio.ledger.verify import read_events

LIMA = timezone(timedelta(hours=-5))
TABLES = ("000001", "000002", "000003", "000004", "000009")


def _run(decisions: list[tuple[int, bool]], order: list[int], tmp: Path) -> tuple[dict, int, int]:
    canvass = Session(str(tmp / "store.db"))
    canvass.count.load(write(tmp / "s.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 6, 22, tzinfo=LIMA))
    disputes = Disputes(canvass)
    filings = [
        Filing(
            CaseKind.NULLITY_REQUEST,
            (TABLES[t],),
            "FP",
            Role.REPRESENTATIVE,
            datetime(2021, 6, 8, tzinfo=LIMA),
            "b",
            f"R-{i}",
            requested=EffectKind.ANNUL,
        )
        for i, (t, _) in enumerate(decisions)
    ]
    numbers = [r["number"] for r in disputes.file(filings)]
    day = datetime(2021, 6, 12, tzinfo=LIMA)
    transitions = len(filings) * 2  # opened + admitted
    for i in order:
        effect = Effect(EffectKind.ANNUL if decisions[i][1] else EffectKind.DISMISS)
        disputes.act([("rule", numbers[i], day, Ruling(f"R-{i}", "JEE", day, "", effect))])
        transitions += 1
    nat = canvass.count.results()[0]
    log = tmp / "log.jsonl"
    canvass.log.export(log)
    with open(log, "rb") as f:
        case_events = sum(1 for e in read_events(f) if e.type in EventType.CASE_EVENTS)
    observation_events = 2  # the sample's one observed sheet: opened + admitted
    canvass.close()
    return nat, case_events - observation_events, transitions


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(TABLES) - 1), st.booleans()), min_size=1, max_size=6), st.randoms())
def test_ruling_order_does_not_change_the_count(decisions: list[tuple[int, bool]], rnd) -> None:  # type: ignore[no-untyped-def]
    order = list(range(len(decisions)))
    shuffled = order[:]
    rnd.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "a").mkdir()
        (tmp / "b").mkdir()
        a, events_a, transitions_a = _run(decisions, order, tmp / "a")
        b, events_b, _ = _run(decisions, shuffled, tmp / "b")
    assert {k: a[k] for k in ("votes", "tables", "null", "ballots_cast")} == {
        k: b[k] for k in ("votes", "tables", "null", "ballots_cast")
    }
    # Every table is counted once: the states add up to the roll, and only annulments annul.
    tables = a["tables"]
    states = ("pending", "counted", "resolved", "observed", "annulled", "not_installed")
    assert sum(tables[k] for k in states) == tables["total"] == 10
    annulled_tables = {TABLES[t] for t, annul in decisions if annul}
    assert tables["annulled"] == 1 + len(annulled_tables)  # the sample's own annulled sheet, plus these
    # Every state change of a case is one event in the log.
    assert events_a == events_b == transitions_a
