"""Refusals are clear and change nothing; rulings move the count at once (both engines)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.onpe_sample import write

from escrutinio.app import AccessDenied, Principal, Role, Session
from escrutinio.disputes.service import Disputes
from escrutinio.domain.claims import CaseKind, Effect, EffectKind, Figures, Filing, Ruling
from escrutinio.domain.errors import RuleError

LIMA = timezone(timedelta(hours=-5))
T = datetime(2021, 6, 8, 10, 0, tzinfo=LIMA)


def _request(table: str, filer: str = "FP", at: datetime = T, receipt: str | None = "") -> Filing:
    """A request on ``table``, with a receipt of its own unless ``receipt`` says (None: unpaid)."""
    receipt = f"R-{table}" if receipt == "" else receipt
    return Filing(CaseKind.NULLITY_REQUEST, (table,), filer, Role.REPRESENTATIVE, at, "b", receipt, requested=EffectKind.ANNUL)


def _ruling(effect: Effect, body: str = "JEE", day: int = 12) -> Ruling:
    return Ruling(f"R-{day}-{effect.kind}", body, datetime(2021, 6, day, tzinfo=LIMA), "reasoning", effect)


@pytest.fixture
def docket(db_url: str, tmp_path: Path) -> tuple[Session, Disputes]:
    canvass = Session(db_url)
    canvass.count.load(write(tmp_path / "s.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 6, 22, tzinfo=LIMA))
    return canvass, Disputes(canvass)


def test_admissibility_rules(docket: tuple[Session, Disputes]) -> None:
    _, d = docket
    rows = d.file(
        [
            _request("000001"),
            _request("000002", at=datetime(2021, 6, 9, 20, 1, tzinfo=LIMA)),
            _request("000003", receipt=None),
            _request("000004", filer="XX"),
            _request("999999"),
        ]
    )
    assert [(r["status"], r["rule"]) for r in rows] == [
        ("admitted", None),
        ("inadmissible", "late"),
        ("inadmissible", "no_fee"),
        ("inadmissible", "no_standing"),
        ("inadmissible", "unknown_table"),
    ]


def test_refusals_change_nothing(docket: tuple[Session, Disputes]) -> None:
    canvass, d = docket
    d.file([_request("000001")])
    head = canvass.store.head()
    tally = canvass.store.tally().sort("area", "key")
    refusals = [
        (("rule", "NUL-000001", datetime(2021, 6, 12, tzinfo=LIMA), _ruling(Effect(EffectKind.ANNUL), body="JNE")), "wrong_body"),
        (
            (
                "rule",
                "OBS-000001",
                datetime(2021, 6, 12, tzinfo=LIMA),
                _ruling(Effect(EffectKind.COUNT_CORRECTED, figures=Figures((100, 100), 5, 5, 0, 209))),
            ),
            "figures",
        ),
        (
            (
                "rule",
                "OBS-000001",
                datetime(2021, 6, 12, tzinfo=LIMA),
                _ruling(Effect(EffectKind.COUNT_CORRECTED, figures=Figures((200, 100), 5, 5, 0, 310))),
            ),
            "figures",
        ),
        (("appeal", "NUL-000001", datetime(2021, 6, 12, tzinfo=LIMA), None), None),
    ]
    for step, rule in refusals[:3]:
        with pytest.raises(RuleError) as err:
            d.act([step])
        assert str(err.value).startswith(f"{rule}:"), str(err.value)
    d.act([("rule", "NUL-000001", datetime(2021, 6, 12, tzinfo=LIMA), _ruling(Effect(EffectKind.DISMISS)))])
    late = Filing(
        CaseKind.APPEAL, ("000001",), "FP", Role.REPRESENTATIVE, datetime(2021, 6, 16, tzinfo=LIMA), appeal_of="NUL-000001"
    )
    with pytest.raises(RuleError, match=r"^late:"):
        d.act([("appeal", "NUL-000001", late.filed_at, late)])
    d.act([("finalise", "NUL-000001", datetime(2021, 6, 16, tzinfo=LIMA), None)])
    with pytest.raises(RuleError, match=r"^closed:"):
        d.act([("rule", "NUL-000001", datetime(2021, 6, 17, tzinfo=LIMA), _ruling(Effect(EffectKind.ANNUL), day=17))])
    # The dismissal changed no vote, and none of the refusals wrote anything.
    assert canvass.store.tally().sort("area", "key").equals(tally)
    assert canvass.store.head()[0] == head[0] + 2


def test_rulings_move_the_count_and_appeals_reverse_them(docket: tuple[Session, Disputes], tmp_path: Path) -> None:
    canvass, d = docket
    before = canvass.count.results()[0]
    d.file([_request("000001")])
    d.act([("rule", "NUL-000001", datetime(2021, 6, 12, tzinfo=LIMA), _ruling(Effect(EffectKind.ANNUL)))])
    annulled = canvass.count.results()[0]
    assert annulled["votes"]["PL"] == before["votes"]["PL"] - 115 and annulled["tables"]["annulled"] == 2
    assert annulled["null"] == before["null"] - 18 + 220
    appeal = Filing(
        CaseKind.APPEAL, ("000001",), "PL", Role.REPRESENTATIVE, datetime(2021, 6, 13, tzinfo=LIMA), appeal_of="NUL-000001"
    )
    d.act([("appeal", "NUL-000001", appeal.filed_at, appeal)])
    d.act(
        [
            (
                "decide_appeal",
                "NUL-000001",
                datetime(2021, 6, 15, tzinfo=LIMA),
                Ruling("0750-JNE", "JNE", datetime(2021, 6, 15, tzinfo=LIMA), "reversed", Effect(EffectKind.REVERSE)),
            )
        ]
    )
    assert canvass.count.results()[0]["votes"] == before["votes"]
    # The observed sheet, corrected: counted with the corrected figures, the old version kept.
    d.act(
        [
            (
                "rule",
                "OBS-000001",
                datetime(2021, 6, 12, tzinfo=LIMA),
                _ruling(Effect(EffectKind.COUNT_CORRECTED, figures=Figures((101, 99), 5, 5, 0, 210))),
            )
        ]
    )
    nat = canvass.count.results()[0]
    assert nat["votes"]["PL"] == before["votes"]["PL"] + 101 and nat["tables"]["observed"] == 0
    assert [v["version"] for v in canvass.store.sheet_versions("000007")] == [1, 2]
    log = tmp_path / "log.jsonl"
    canvass.log.export(log)
    assert canvass.log.verify(log).ok


@pytest.mark.slow
def test_a_representative_files_only_for_their_party_and_the_cli_lists_it(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    base = [sys.executable, "-m", "escrutinio.cli", "--db", str(db)]
    subprocess.run(
        [*base, "load", str(write(tmp_path / "s.csv")), "--election", "peru-2021-runoff"], check=True, capture_output=True
    )
    # The CLI acts as the store's administrator; a representative acts through an account.
    representative = Session(str(db), actor=Principal("maria", Role.REPRESENTATIVE, party="FP"))
    with pytest.raises(AccessDenied, match=r"^party: representative:maria/FP acts for FP, not for PL"):
        representative.cases.file(tables=["000001"], filer="PL", grounds="b", fee_receipt="R")
    representative.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R")
    representative.close()
    ok = subprocess.run([*base, "cases", "list", "-f", "json"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    listed = json.loads(
        subprocess.run([*base, "cases", "list", "--filer", "FP", "--format", "json"], capture_output=True, text=True).stdout
    )
    assert [c["number"] for c in listed] == ["NUL-000001"]
    stakes = json.loads(subprocess.run([*base, "stakes", "--format", "json"], capture_output=True, text=True).stdout)
    assert stakes["claims"] >= 1 and isinstance(stakes["can_change_winner"], bool)


def test_a_decision_taken_on_a_stale_state_is_refused(docket: tuple[Session, Disputes], db_url: str) -> None:
    """Two clerks act at once: the second one's decision was prepared before the first was
    written, so it is refused whole instead of being recorded on a state it never saw."""
    canvass, first = docket
    first.file([_request("000001"), _request("000002")])
    second = Disputes(Session(db_url))
    day = datetime(2021, 6, 12, tzinfo=LIMA)
    stale = second.step_changes([("rule", "NUL-000002", day, _ruling(Effect(EffectKind.DISMISS)))])
    first.act([("rule", "NUL-000001", day, _ruling(Effect(EffectKind.ANNUL)))])
    head = canvass.store.head()
    with pytest.raises(Exception, match="the store changed while this action was prepared"):
        second.commit(stale)
    assert canvass.store.head() == head
    second.act([("rule", "NUL-000002", day, _ruling(Effect(EffectKind.DISMISS)))])  # looking again works
    assert {r["number"]: r["status"] for r in first.listing(kind="nullity_request")} == {
        "NUL-000001": "ruled",
        "NUL-000002": "ruled",
    }


def test_verify_rebuilds_the_docket_from_the_log(docket: tuple[Session, Disputes], tmp_path: Path) -> None:
    canvass, d = docket
    d.file([_request("000001")])
    d.act([("rule", "NUL-000001", datetime(2021, 6, 12, tzinfo=LIMA), _ruling(Effect(EffectKind.DISMISS)))])
    log = tmp_path / "log.jsonl"
    canvass.log.export(log)
    assert canvass.log.verify(log).ok
    with canvass.store.engine.begin() as conn:  # someone edits the docket behind the log's back
        conn.exec_driver_sql("UPDATE cases SET status = 'final' WHERE number = 'NUL-000001'")
    report = canvass.log.verify(log)
    assert not report.ok
    assert report.differences == [
        {
            "case": "NUL-000001",
            "log": ("nullity_request", "ruled", "FP", "000001", None, "R-12-dismiss", "dismiss"),
            "store": ("nullity_request", "final", "FP", "000001", None, "R-12-dismiss", "dismiss"),
        }
    ]
