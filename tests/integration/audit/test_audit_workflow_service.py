"""The audit service on a real store (SQLite and PostgreSQL): events it writes, a second round when
hand counts find overstatements, refusals that write nothing, and two clerks on one store.

The service takes a ``StoreContext``; the application's ``Session`` is one."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from tests.onpe_sample import Row, write

from escrutinio.app import Session
from escrutinio.audit.entries import HandCountEntry, HandCountResolution
from escrutinio.audit.kinds import AuditMethod, Decision
from escrutinio.audit.risk import parse_risk
from escrutinio.audit.service import AuditService, NoAudit, audit_from_log, to_event, to_payload
from escrutinio.domain.errors import EscrutinioError, InputError, RuleError
from escrutinio.ledger.events import EventType
from escrutinio.parsing import InputError as TypedInputError
from escrutinio.parsing import parse_counts

SEED = "12345678901234567890"


def _rows(tables: int = 600) -> list[Row]:
    """Tables of 200 ballots, PL (VOTOS_P1) ahead of FP by about 20 votes in each."""
    rows = []
    for i in range(tables):
        pl, fp = 95 + (i * 7) % 15, 75 + (i * 5) % 13
        ubigeo = ("140137", "140101", "240106")[i % 3]
        rows.append(Row(f"{i + 1:06d}", ubigeo=ubigeo, cast=200, p1=pl, p2=fp, blank=2, null=198 - pl - fp))
    return rows


def load(db_url: str, tmp_path: Path) -> str:
    """The store at ``db_url`` with the 600 tables of :func:`_rows` counted."""
    loader = Session(db_url)
    loader.count.load(write(tmp_path / "sheets.csv", _rows()), "peru-2021-runoff")
    loader.close()
    return db_url


@pytest.fixture
def session(db_url: str, tmp_path: Path) -> Any:
    with Session(load(db_url, tmp_path), actor="auditor") as session:
        yield session


def _entries(service: AuditService, overstated: int = 0) -> list[HandCountEntry]:
    """Both entries of every unsettled table, equal to the sheet except that in the first
    ``overstated`` tables the hand count finds two of the winner's votes to be null."""
    state = service.state()
    batches = state.manifest.batches  # type: ignore[union-attr]
    entries = []
    for k, table in enumerate(state.unsettled_tables()):
        i = batches.index_of(table)
        won = int(batches.winner_votes[i]) - (2 if k < overstated else 0)
        lost, ballots = int(batches.loser_votes[i]), int(batches.ballots[i])
        counts = {"PL": won, "FP": lost, "other": ballots - won - lost}
        entries += [HandCountEntry(table, entry, counts, ballots, f"clerk {entry}") for entry in (1, 2)]
    return entries


def _audit_events(session: Session) -> list[Any]:
    return session.store.events_since(0, EventType.AUDIT_EVENTS)


def test_overstatements_found_by_hand_lead_to_a_second_round(session: Session) -> None:
    service = AuditService(session)
    planned = service.plan("0.05")
    assert (planned["winner"], planned["manifest_tables"], planned["first_round_draws"]) == ("PL", 600, 30)
    service.seed(SEED)
    first = service.draw()
    assert (first["round"], first["first_draw"], first["draws"]) == (1, 1, 30)
    service.record_many(_entries(service, overstated=2))
    measured = service.measure()
    assert measured["decision"] == Decision.NEXT_ROUND and measured["next_round_draws"] == 3
    assert parse_risk(measured["risk"]) > parse_risk("0.05")

    second = service.draw()
    assert (second["round"], second["first_draw"], second["draws"]) == (2, 31, 3)
    round_one = {t["table"] for c in first["centres"] for t in c["tables"]}
    assert not round_one & {t["table"] for c in second["centres"] for t in c["tables"]}  # not fetched twice
    assert service.retrieval(1) == {k: v for k, v in first.items() if k != "event"}
    service.record_many(_entries(service))
    final = service.measure()
    assert final["round"] == 2 and final["draws"] == 33 and final["decision"] == Decision.CONFIRMED
    report = service.report()["report"]
    assert report["rounds"] == 2 and report["tables_with_differences"] == 2 and report["net_overstatement_votes"] == 4

    events = _audit_events(session)
    kinds = [e.type for e in events]
    assert kinds[:3] == ["audit.planned", "audit.seeded", "audit.sampled"] and kinds[-1] == "audit.reported"
    assert kinds.count("audit.sampled") == 2 and kinds.count("audit.measured") == 2
    for event in events:
        assert "type" not in event.data
        assert to_event(to_payload(event.type, event.data)) == (event.type, event.data)
    with Session(session.url) as other:  # a fresh reader folds the same
        assert AuditService(other).status() == service.status()


def test_refused_actions_write_nothing(session: Session) -> None:
    service = AuditService(session)
    for action in (lambda: service.seed(SEED), service.draw, service.measure, service.report, service.status):
        with pytest.raises(NoAudit, match="no audit in this store"):
            action()
    with pytest.raises(RuleError, match="or ballot polling"):
        service.plan("0.05", method="super_simple")  # type: ignore[arg-type]
    with pytest.raises(RuleError, match="at least one round"):
        service.plan("0.05", max_rounds=0)
    service.plan("0.05")
    with pytest.raises(RuleError, match="not in phase planned"):
        service.draw()
    with pytest.raises(RuleError, match=r"at least 20 digits .* could be chosen"):
        service.seed("0123")
    service.seed(SEED)
    service.draw()
    table = service.status()["tables"][0]["table"]
    head = session.store.head()
    refusals = [
        (InputError, "^counts: unknown choice 'XX'", dict(counts={"XX": 1, "PL": 1, "FP": 1})),
        (RuleError, "exceed the ballots", dict(counts={"PL": 150, "FP": 150})),
        (RuleError, "must include", dict(counts={"PL": 1})),
        (RuleError, "numbered 1 and 2", dict(entry=3)),
        (RuleError, "not in the sample", dict(table="999999")),
    ]
    for error, message, change in refusals:
        args: dict[str, Any] = dict(table=table, entry=1, counts={"PL": 1, "FP": 1}, ballots=200, by="ana") | change
        with pytest.raises(error, match=message) as refused:
            service.record(HandCountEntry(**args))
        if "counts" in change and error is InputError:  # named as a request names the field (the CLI says --counts)
            assert refused.value.field == "counts"
    with pytest.raises(RuleError, match="no discrepancy"):
        service.resolve(HandCountResolution(table, {"PL": 1, "FP": 1}, 200, "board", "recount"))
    entries = _entries(service)
    with pytest.raises(InputError, match=r"entries:by: the two entries .* different people"):
        service.record_many([entries[0], HandCountEntry(entries[0].table, 2, entries[0].counts, entries[0].ballots, "clerk 1")])
    assert session.store.head() == head  # a refused batch writes none of its entries
    with pytest.raises(TypedInputError, match=r"^counts: expected NAME=NUMBER"):
        parse_counts("PL=1;FP=2")
    with pytest.raises(TypedInputError, match="given twice"):
        parse_counts("PL=1,PL=2")
    assert parse_counts(" PL=1, FP=2 ,null=0") == {"PL": 1, "FP": 2, "null": 0}


def test_a_log_without_an_audit_or_without_a_file_is_refused(session: Session, tmp_path: Path) -> None:
    log = tmp_path / "count.jsonl"
    log.write_bytes(b"".join(line + b"\n" for line in session.store.event_lines()))
    with pytest.raises(NoAudit, match=r"no audit\.planned"):
        audit_from_log(log)
    with pytest.raises(EscrutinioError, match="no such log"):
        audit_from_log(tmp_path / "missing.jsonl")


def test_two_clerks_on_one_store_see_each_other_s_entries(session: Session) -> None:
    first = AuditService(session)
    first.plan("0.05")
    first.seed(SEED)
    first.draw()
    with Session(session.url, actor="bob") as other:  # another terminal, its own connection and cache
        second = AuditService(other)
        one, two = _entries(first)[:2]
        first.record(HandCountEntry(one.table, 1, one.counts, one.ballots, "ana"))
        assert second.record(HandCountEntry(two.table, 2, two.counts, two.ballots, "bob"))["status"] == "agreed"
        head = session.store.head()
        again = first.record(HandCountEntry(two.table, 2, two.counts, two.ballots, "carla"))
        assert again["already_recorded"] and again["event"] is None and session.store.head() == head
        with pytest.raises(RuleError, match="already recorded with other figures: nothing was written"):
            first.record(HandCountEntry(two.table, 2, {**two.counts, "other": 0}, two.ballots, "carla"))
        assert first.status() == second.status()
        with pytest.raises(RuleError, match="already open"):
            second.plan("0.05")


def test_a_file_of_entries_names_every_bad_row_and_a_rerun_adds_nothing(session: Session, tmp_path: Path) -> None:
    session.audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
    session.audit.seed(SEED)
    session.audit.draw()
    entries = _entries(AuditService(session))
    good = ["table,entry,counts,ballots,by"]
    good += [f'{e.table},{e.entry},"{",".join(f"{k}={v}" for k, v in e.counts.items())}",{e.ballots},{e.by}' for e in entries]
    first = entries[0]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join([*good[:3], "999999,1,PL=1,10,ana", f"{first.table},3,PL=1,10,ana", f'{entries[2].table},1,"PL=5,FP=5",1,ana'])
    )
    head = session.store.head()
    with pytest.raises(InputError) as refused:
        session.audit.record_file(bad)
    assert str(refused.value).splitlines() == [
        f"{bad}:4:table: table 999999 is not in the sample",
        f"{bad}:5:entry: expected 1 or 2 (the double entry's first or second), got '3'",
        f"{bad}:6:ballots: the votes (10) exceed the ballots found (1)",
    ]
    assert session.store.head() == head  # the good rows are not written either
    counts = tmp_path / "counts.csv"
    counts.write_text("\n".join(good) + "\n")
    done = session.audit.record_file(counts)
    assert (done["events"], done["already_recorded"], done["phase"]) == (len(entries), 0, "measurable")
    again = session.audit.record_file(counts)
    assert (again["events"], again["already_recorded"]) == (0, len(entries)) and session.store.head()[0] == done["last_event"]
    edited = tmp_path / "edited.csv"  # another file holding the same entries: nothing twice either
    edited.write_text("\n".join([good[0], *reversed(good[1:])]) + "\n")
    assert session.audit.record_file(edited)["events"] == 0
