"""The docket through the application (``session.cases``, ``session.stakes``), on both engines:
filings are timed by the store, history is declared only by an administrator and shown beside
the receipt, a receipt pays for one case, every write can be repeated, evidence lives in the
store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.integration.disputes_store import LIMA, loaded, requests_csv

from escrutinio.app import Principal, Role, Session
from escrutinio.app.cases import Decision
from escrutinio.domain.claims import CaseKind, Effect, EffectKind
from escrutinio.domain.errors import EscrutinioError, RuleError, StaleState


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    return loaded(db_url, tmp_path)


def _file(session: Session, table: str, receipt: str | None = None, **more: object):  # type: ignore[no-untyped-def]
    return session.cases.file(tables=[table], filer="FP", grounds="b", fee_receipt=receipt or f"R-{table}", **more)  # type: ignore[arg-type]


def test_a_filing_is_timed_by_the_store_and_judged_on_that_time(store: str, tmp_path: Path) -> None:
    session = Session(store)
    before = datetime.now(UTC)
    (row,) = _file(session, "000001").cases
    filed = datetime.fromisoformat(row["filed_at"])
    assert row["status"] == "admitted" and before - timedelta(seconds=5) <= filed <= datetime.now(UTC) + timedelta(seconds=5)
    shown = session.cases.show(row["number"])
    assert [h["declared"] for h in shown["history"]] == [False, False]
    assert shown["history"][0]["at"] == shown["history"][0]["received_at"]


def test_after_the_deadline_every_ordinary_filing_is_late(db_url: str, tmp_path: Path) -> None:
    session = Session(loaded(db_url, tmp_path, days_ago=4, deadline_in=timedelta(hours=-1)))
    (row,) = _file(session, "000001").cases
    assert (row["status"], row["rule"]) == ("inadmissible", "late")


def test_declared_times_are_an_administrators_and_are_checked(store: str) -> None:
    clerk = Session(store, actor=Principal("maria", Role.REPRESENTATIVE, party="FP"))
    yesterday = datetime.now(UTC) - timedelta(hours=20)
    with pytest.raises(RuleError, match="administrator"):
        _file(clerk, "000001", declared_at=yesterday)
    admin = Session(store, actor="admin:registry")
    with pytest.raises(EscrutinioError, match="is before the election"):
        _file(admin, "000001", declared_at=datetime(1999, 1, 1, tzinfo=LIMA))
    with pytest.raises(EscrutinioError, match="is in the future"):
        _file(admin, "000001", declared_at=datetime.now(UTC) + timedelta(days=1))
    head = admin.store.head()
    (row,) = _file(admin, "000002", declared_at=yesterday).cases
    assert head[0] < admin.store.head()[0]
    shown = admin.cases.show(row["number"])
    first = shown["history"][0]
    assert first["declared"] and datetime.fromisoformat(first["at"]) == yesterday
    assert datetime.fromisoformat(first["received_at"]) > yesterday + timedelta(hours=19)
    assert first["actor"] == "administrator:registry"


def test_a_receipt_pays_for_one_case(store: str) -> None:
    session = Session(store)
    (first,) = _file(session, "000001", "BN-1").cases
    (second,) = _file(session, "000002", "BN-1").cases
    assert first["status"] == "admitted"
    assert (second["status"], second["rule"]) == ("inadmissible", "no_fee")
    refusal = session.cases.show(second["number"])["refusal"]["message"]
    assert f"already paid for case {first['number']}" in refusal
    # The receipt as typed, with spaces around it, is the same receipt.
    rows = session.cases.file(tables=["000003"], filer="FP", grounds="b", fee_receipt=" BN-1 ").cases
    assert rows[0]["rule"] == "no_fee"


def test_a_keyed_action_sent_twice_is_recorded_once(store: str) -> None:
    session = Session(store)
    done = _file(session, "000001", key="k-1")
    head = session.store.head()
    again = _file(session, "000001", key="k-1")
    assert again.already_done is not None and again.cases == [] and session.store.head() == head
    number = done.cases[0]["number"]
    ruled = session.cases.rule(number, Decision("R-1", Effect(EffectKind.DISMISS)), key="r-1")
    assert ruled.cases[0]["status"] == "ruled"
    assert session.cases.rule(number, Decision("R-1", Effect(EffectKind.DISMISS)), key="r-1").already_done
    assert len(session.cases.listing(kind=CaseKind.NULLITY_REQUEST)) == 1


def test_the_bodies_come_from_the_case_not_the_caller(store: str) -> None:
    session = Session(store)
    (row,) = _file(session, "000001").cases
    session.cases.rule(row["number"], Decision("R-1", Effect(EffectKind.ANNUL)))
    session.cases.appeal(row["number"], filer="PL")
    decided = session.cases.decide(row["number"], Decision("J-1", Effect(EffectKind.CONFIRM)))
    assert decided.cases[0]["status"] == "final"
    bodies = [r["body"] for r in session.cases.show(row["number"])["rulings"]]
    assert bodies == ["JEE", "JNE"]


def test_a_decision_on_a_stale_state_is_refused_whole(store: str) -> None:
    first, second = Session(store), Session(store)
    (row,) = _file(first, "000001").cases
    disputes = second.cases.disputes
    stale = disputes.step_changes([("rule", row["number"], disputes.clock(), _ruling(second, "S-1", EffectKind.DISMISS))])
    first.cases.rule(row["number"], Decision("F-1", Effect(EffectKind.ANNUL)))
    head = first.store.head()
    with pytest.raises(StaleState, match=r"the store changed .*retry$"):
        disputes.commit(stale)
    assert first.store.head() == head


def _ruling(session: Session, resolution: str, kind: EffectKind):  # type: ignore[no-untyped-def]
    from escrutinio.domain.claims import Ruling

    return Ruling(resolution, "JEE", session.cases.disputes.clock(), "", Effect(kind))


def test_evidence_is_kept_in_the_store_and_named_by_its_hash(store: str, tmp_path: Path) -> None:
    import hashlib

    photo = tmp_path / "acta.jpg"
    photo.write_bytes(b"\xff\xd8 a photo of the tally sheet")
    session = Session(store)
    (row,) = _file(session, "000001", evidence=[photo]).cases
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert session.cases.show(row["number"])["filing"]["evidence"] == [digest]
    assert session.cases.evidence(digest) == photo.read_bytes()
    assert not (Path(store).parent / "evidence").exists()
    with pytest.raises(EscrutinioError, match="cannot read"):
        _file(session, "000002", evidence=[tmp_path / "missing.jpg"])


def test_an_import_rerun_or_overlapping_adds_only_new_rows(store: str, tmp_path: Path) -> None:
    session = Session(store)
    tables = [f"{i:06d}" for i in range(1, 10)]
    first = session.cases.import_csv(requests_csv(tmp_path / "a.csv", tables[:6]))
    assert len(first.cases) == 6 and first.skipped == 0
    again = session.cases.import_csv(tmp_path / "a.csv")
    assert again.cases == [] and again.skipped == 6
    overlap = session.cases.import_csv(requests_csv(tmp_path / "b.csv", tables[4:]))
    assert len(overlap.cases) == 3 and overlap.skipped == 2
    numbers = [r["tables"] for r in session.cases.listing(kind=CaseKind.NULLITY_REQUEST)]
    assert sorted(t for ts in numbers for t in ts) == tables


def test_an_import_may_not_state_times_unless_declared(store: str, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    at = (datetime.now(UTC) - timedelta(hours=2)).astimezone(LIMA).isoformat()
    path.write_text(f"table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested\n000001,FP,{at},b,R1,,annul\n")
    with pytest.raises(EscrutinioError, match=r"h\.csv:2:filed_at"):
        Session(store).cases.import_csv(path)
    with pytest.raises(RuleError, match="administrator"):
        Session(store, actor=Principal("maria", Role.REPRESENTATIVE, party="FP")).cases.import_csv(path, declared=True)
    written = Session(store, actor="admin:registry").cases.import_csv(path, declared=True)
    assert datetime.fromisoformat(written.cases[0]["filed_at"]) == datetime.fromisoformat(at)


def test_stakes_weigh_docket_and_listed_tables_once(store: str, tmp_path: Path) -> None:
    session = Session(store)
    _file(session, "000003")
    listed = tmp_path / "list.csv"
    listed.write_text("MESA_DE_VOTACION\n000004\n000004\n000009\n")
    report = session.stakes.report(listed=listed)
    alone = session.stakes.report()
    # The list is weighed apart (report["listed"]), not as docket claims too: no table twice.
    assert (report["claims"], report["tables_under_claim"]) == (alone["claims"], alone["tables_under_claim"])
    assert report["listed"]["tables"] == 2  # 000004 listed twice is weighed once, and said so
    assert report["listed"]["repeated"] == [{"table": "000004", "lines": [2, 3]}]


def test_a_load_opens_observation_cases_at_its_declared_time(store: str) -> None:
    """What the loader asks of the docket: one case per observed sheet without an open one, at
    the time the load declares (a past election replayed), the receipt recorded beside it."""
    import polars as pl

    from escrutinio.disputes.service import Disputes

    session = Session(store)
    observed = pl.DataFrame({"table": ["000007", "000001"], "reasons": ["at_dispute_body", "illegible,no_signatures"]})
    with pytest.raises(RuleError, match="before the election"):
        Disputes(session).observation_events(observed, datetime(1999, 1, 1, tzinfo=LIMA))
    night = datetime.now(UTC) - timedelta(hours=3)
    events = Disputes(session).observation_events(observed, night)
    opened = [e.data for e in events if e.type == "case.opened"]
    assert [d["filing"]["tables"] for d in opened] == [["000001"]]  # 000007 already has its open case
    assert opened[0]["filing"]["grounds"] == "illegible" and datetime.fromisoformat(opened[0]["at"]) == night
    assert datetime.fromisoformat(opened[0]["received_at"]) > night
