"""Exported records built and rewritten in tests: a small election with a docket, and the
rewrites a forger would make (events changed, added or dropped, every hash recomputed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from escrutinio.ledger.canonical import parse
from escrutinio.ledger.events import GENESIS, Event, seal

SIGNERS = {"judge": "JEE Lima Centro", "auditor": "Ana Quispe", "administrator": "ONPE results centre", "representative": "FP"}
"""The officials whose keys sign a ``signed`` record, by role (each key at ``folder/<role>.pem``)."""


def small_record(folder: Path, db: str | None = None, *, audit: bool = False, signed: bool = False) -> tuple[Path, str]:
    """A ten-table election with cases (an observation ruled, a nullity request dismissed) and,
    with ``audit``, a batch-comparison audit measured on hand counts equal to the sheets, as an
    exported record; returns (path, head).

    With ``signed``, the officials of :data:`SIGNERS` register keys first; the rulings are signed
    by the judge's, the audit's results by the auditor's, and the log's heads (one after the
    rulings, one at the end, each cosigned by the party's key) by the administrator's, written
    as ``heads.json`` beside the record (as a published tree carries them)."""
    from tests.integration.disputes_store import loaded

    from escrutinio.app import Session
    from escrutinio.app.cases import Decision
    from escrutinio.domain.claims import CaseKind, Effect, EffectKind

    store = loaded(db or f"sqlite:///{folder / 'small.db'}", folder)
    session = Session(store)
    if signed:
        _register(session, folder)
        session.sign_with(folder / "judge.pem")
    (observation,) = session.cases.listing(kind=CaseKind.OBSERVATION)
    session.cases.rule(observation["number"], Decision("R-OBS-1", Effect(EffectKind.COUNT_AS_IS)))
    filed = session.cases.file(tables=["000002"], filer="FP", grounds="b", fee_receipt="R-1").cases[0]  # type: ignore[arg-type]
    session.cases.rule(filed["number"], Decision("R-NUL-1", Effect(EffectKind.DISMISS)))
    if signed:
        _head(session, folder)
        session.sign_with(folder / "auditor.pem")
    if audit:
        _audit(session)
    if signed:
        _head(session, folder)
        heads = [h.to_dict() for h in session.transparency.heads()]
        (folder / "heads.json").write_bytes(orjson.dumps(heads))
    path = folder / "record.jsonl"
    head = session.log.export(path).head
    session.close()
    return path, head


def _register(session: Any, folder: Path) -> None:
    from escrutinio.ledger.signing import generate_key, save_private_key

    for role, holder in SIGNERS.items():
        save_private_key(generate_key(), folder / f"{role}.pem")
        session.keys.register(folder / f"{role}.pem", holder, role)


def _head(session: Any, folder: Path) -> None:
    """The administrator signs the log's head; the party's witness cosigns it."""
    session.transparency.sign_head(folder / "administrator.pem")
    session.transparency.cosign(folder / "representative.pem", state=folder / "witness")


def read(path: Path) -> list[Event]:
    return [Event(**parse(line)) for line in path.read_bytes().splitlines()]


def reseal(events: list[Event]) -> list[Event]:
    """The events renumbered and rechained as a forger would: every hash recomputed."""
    out: list[Event] = []
    prev = GENESIS
    for seq, e in enumerate(events, start=1):
        sealed = seal(seq, e.type, e.actor, e.data, prev, e.at)
        out.append(sealed)
        prev = sealed.hash
    return out


def write(path: Path, events: list[Event]) -> Path:
    path.write_bytes(b"".join(e.line() + b"\n" for e in events))
    return path


def forged(template: Event, type_: str | None = None, **data: Any) -> Event:
    """An event shaped like ``template`` (its actor and time), with another type or data."""
    return Event(0, type_ or template.type, template.at, template.actor, data or template.data, GENESIS, "")


def sheet_event(template: Event, table: str, version: int, counts: dict[str, int], **fields: Any) -> Event:
    """A ``sheets.recorded`` event recording one sheet (figures by name: cast, blank, null,
    challenged, and each choice id)."""
    choices = sorted(template.data["sheets"]["votes"])
    sheets = {
        "table": [table],
        "version": [version],
        "state": [fields.get("state", "counted")],
        "reasons": [fields.get("reasons", "")],
        "basis": [fields.get("basis", "source:CONTABILIZADA")],
        "line": [None],
        **{k: [counts.get(k, 0)] for k in ("cast", "blank", "null", "challenged")},
        "votes": {c: [counts.get(c, 0)] for c in choices},
    }
    return forged(template, sheets=sheets, source={"file": "forged.csv", "sha256": "0" * 64})


def _audit(session: Any) -> None:
    """Plan, seed and draw a MACRO audit, enter both hand counts of each table as its sheet, measure."""
    from fractions import Fraction

    from escrutinio.audit.entries import HandCountEntry
    from escrutinio.audit.kinds import AuditMethod
    from escrutinio.audit.service import AuditService

    session.audit.plan(Fraction(1, 10), method=AuditMethod.MACRO)
    session.audit.seed("12345678901234567890")
    session.audit.draw()
    service = AuditService(session)
    state = service.state()
    batches = state.manifest.batches
    for table in state.unsettled_tables():
        i = batches.index_of(table)
        won, lost, ballots = int(batches.winner_votes[i]), int(batches.loser_votes[i]), int(batches.ballots[i])
        counts = {state.winner: won, state.loser: lost, "other": ballots - won - lost}
        for entry in (1, 2):
            service.record(HandCountEntry(table, entry, counts, ballots, f"clerk {entry}"))
    session.audit.measure()
