"""``session.audit``: the risk-limiting audit's actions, from plan to report.

Each action takes typed values (a :class:`~fractions.Fraction` risk limit, an
:class:`~escrutinio.audit.kinds.AuditMethod`, a parsed entry; see the audit section of
:mod:`escrutinio.parsing`) and returns plain data (dicts of ints, strings, lists) that a skin
formats. Every write is one event (or one batch) in the store's log, appended on the head it was
decided on with an idempotency key, so two clerks entering the same count at once, or a bulk file
entered twice, never record anything twice.

Example::

    from fractions import Fraction
    from pathlib import Path

    from escrutinio.app import Session
    from escrutinio.audit.kinds import AuditMethod
    from escrutinio.parsing import AuditEntryText, parse_audit_entry

    with Session("escrutinio.db", actor="auditor") as session:
        audit = session.audit
        audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
        audit.seed("73029184650183746529", ceremony="20 ten-sided dice")
        lists = audit.draw()
        entry = parse_audit_entry(audit.unit(), AuditEntryText("000123", "A. Quispe", 1, "PL=115,FP=87", 220))
        audit.record(entry)
        audit.record_file(Path("counts.csv"))
        audit.measure()
        audit.report()
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.app.access import naming
from escrutinio.audit.kinds import DEFAULT_MAX_ROUNDS
from escrutinio.domain.roles import Action

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.audit.entries import Entry, Resolution
    from escrutinio.audit.kinds import AuditMethod, AuditUnit
    from escrutinio.audit.service import AuditService


NEXT_STEP = {
    "next_round": ("next: escrutinio audit draw (the next round)", Action.DRAW_AUDIT),
    "reported": ("the audit is reported; a new one starts with escrutinio audit plan --record", Action.PLAN_AUDIT),
}
"""After a measured round, what comes next by phase, as the CLI says it, and its action (else: the report)."""


class AuditActions:
    """The audit of the session's store, acted on by the session's actor."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    @cached_property
    def _service(self) -> AuditService:
        from escrutinio.audit.service import AuditService

        return AuditService(self.session)

    # -- reading ---------------------------------------------------------------------------

    def preview(self, risk_limit: Fraction) -> dict[str, Any]:
        """Every method's sample size for the loaded count, side by side; records nothing. While
        tables have no sheet yet, ``count_open`` says how far the count is (a plan is refused)."""
        from escrutinio.audit.service import count_open

        still_open = count_open(self.session.table_frame())
        return {**self._service.preview(risk_limit).to_dict(), **({"count_open": still_open} if still_open else {})}

    def unit(self) -> AuditUnit:
        """What the open audit samples (tables or ballots): which kind of entry it takes."""
        from escrutinio.audit.service import NoAudit

        state = self._service.state()
        if state.manifest is None:
            raise NoAudit()
        return state.unit

    def retrieval(self, round_number: int | None = None, *, area: str | None = None) -> dict[str, Any]:
        """The tables (and ballot numbers) to fetch for a round, by counting centre; ``area``:
        only the tables on the roll within it (an auditor's own area: what they may enter),
        the round's totals counted over those."""
        lists = self._service.retrieval(round_number)
        if area is None:
            return lists
        from escrutinio.domain.roles import area_within

        tables = [t["table"] for c in lists["centres"] for t in c["tables"]]
        located = self.session.store.table_areas(tables)
        centres = []
        for centre in lists["centres"]:
            kept = [t for t in centre["tables"] if area_within(located.get(t["table"], ""), area)]
            if kept:
                ballots = sum(len(t["positions"]) if "positions" in t else t["ballots"] for t in kept)
                centres.append({**centre, "tables": kept, "ballots": ballots})
        counted = {"tables": sum(len(c["tables"]) for c in centres), "ballots": sum(c["ballots"] for c in centres)}
        return {**lists, **counted, "area": area, "centres": centres}

    def status(self) -> dict[str, Any]:
        """Where the audit stands, with each sampled table (ballot) under ``tables``."""
        return self._service.status()

    @staticmethod
    def report_from_log(path: Path) -> dict[str, Any]:
        """The last audit of an exported log, recomputed from the log alone (no store)."""
        from escrutinio.audit.service import audit_from_log, summary

        return summary(audit_from_log(path))

    # -- writing ---------------------------------------------------------------------------

    def plan(self, risk_limit: Fraction, *, method: AuditMethod, max_rounds: int = DEFAULT_MAX_ROUNDS) -> dict[str, Any]:
        """Start an audit: the method, the risk limit and the frozen manifest, which names the
        reported winners and losers (a runoff's pair; in a contest of more choices every choice's
        votes, each winner audited over every loser on one sample)."""
        with naming():
            self.session.require(Action.PLAN_AUDIT)
        return self._service.plan(risk_limit, method=method, max_rounds=max_rounds)

    def seed(self, seed: str, ceremony: str = "") -> dict[str, Any]:
        """Record the seed read out at the public ceremony (20 digits or more), once."""
        with naming():
            self.session.require(Action.SEED_AUDIT)
        return self._service.seed(seed, ceremony)

    def draw(self) -> dict[str, Any]:
        """Draw the next round and return its retrieval lists."""
        with naming():
            self.session.require(Action.DRAW_AUDIT)
        return self._service.draw()

    def record(self, entry: Entry) -> dict[str, Any]:
        """Record one entry of a hand count (or a ballot reading); the same entry again with the
        same figures writes nothing (``already_recorded``), with other figures it is refused."""
        with naming(area="table"):
            self.session.require_tables(Action.RECORD_AUDIT_ENTRY, [entry.table])
        recorded = self._service.record(entry)
        if recorded["status"] == "discrepancy" and "position" not in recorded:
            recorded["differs"] = self._differs(entry.table)
        return recorded

    def _differs(self, table: str) -> list[dict[str, Any]]:
        """Where a table's two hand-count entries disagree: each field (a choice, ``ballots``)
        with the first entry's figure and the second's, so the person sees what to recount."""
        entries = self._service.state().entries.get(table, {})
        if len(entries) < 2:
            return []
        first, second = entries[1], entries[2]
        figures = [{**e.counts, "ballots": e.ballots} for e in (first, second)]
        return [{"field": n, "first": figures[0].get(n, 0), "second": figures[1].get(n, 0)} for n in first.differing(second)]

    def record_file(self, path: Path) -> dict[str, Any]:
        """Record every row of a hand-count CSV in one transaction (see
        :mod:`escrutinio.formats.hand_counts` and :meth:`record_csv`)."""
        from escrutinio.domain.errors import InputError, Place, Problem

        with naming():
            self.session.require(Action.RECORD_AUDIT_ENTRY, area=self.session.principal.area)  # the role, before reading
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputError([Problem(Place(str(path)), f"cannot read the file ({error.strerror})")]) from None
        return {"file": str(path), **self.record_csv(data, str(path))}

    def record_csv(self, data: bytes, source: str) -> dict[str, Any]:
        """Record every row of a hand-count CSV's bytes (a file, or an upload named ``source``)
        in one transaction.

        Idempotent: each row's key is the content's SHA-256 and its line, and entries already in
        the record with the same figures are skipped, so a rerun (after a kill, or by mistake)
        adds nothing. Every bad row is named ``source:line:column``; then nothing is written.
        Every row's table must lie in the principal's area.
        """
        from escrutinio.audit.entries import BallotEntry, HandCountEntry
        from escrutinio.audit.kinds import AuditUnit
        from escrutinio.audit.service import EXTRA_COUNT_KEYS
        from escrutinio.domain.errors import Place
        from escrutinio.formats.hand_counts import CountRow, ReadingRow, read_hand_count_rows

        with naming():
            self.session.require(Action.RECORD_AUDIT_ENTRY, area=self.session.principal.area)
        unit = self.unit()
        choices = (*self.session.election().contest.choice_ids, *EXTRA_COUNT_KEYS)
        read = read_hand_count_rows(data, source, readings=unit == AuditUnit.BALLOTS, choices=choices)
        rows = read.rows
        digest = hashlib.sha256(data).hexdigest()
        entries: list[Entry] = []
        for row in rows:
            place = Place(source, row.line)
            if isinstance(row, ReadingRow):
                entries.append(BallotEntry(row.table, row.position, row.entry, row.vote, row.by, place))
            elif isinstance(row, CountRow):
                entries.append(HandCountEntry(row.table, row.entry, row.counts, row.ballots, row.by, place))
        with naming(area="table"):
            self.session.require_tables(Action.RECORD_AUDIT_ENTRY, [e.table for e in entries])
        keys = [f"audit-file:{digest}:{row.line}" for row in rows]
        recorded = self._service.record_many(
            entries, source=source, keys=keys, problems=read.problems, total_problems=read.total_problems
        )
        return {"sha256": digest, **recorded}

    def resolve(self, resolution: Resolution) -> dict[str, Any]:
        """Settle a table's (ballot's) two differing entries, naming who and why."""
        with naming(area="table"):
            self.session.require_tables(Action.RESOLVE_AUDIT_ENTRY, [resolution.table])
        return self._service.resolve(resolution)

    def measure(self) -> dict[str, Any]:
        """Measure the risk over every draw so far and decide what comes next.

        A round measured already (a second run, or another auditor first) is refused with what
        was decided and the step that follows it: the record's refusal speaks of hand counts
        still to settle, which is the reason only before the round is measured."""
        from escrutinio.domain.errors import RuleError, stepped

        with naming():
            self.session.require(Action.MEASURE_AUDIT)
        try:
            return self._service.measure()
        except RuleError:
            state = self._service.state()
            if state.manifest is None or not state.measurements or state.round_open:
                raise
            last = state.measurements[-1]
            follows, step = NEXT_STEP.get(state.phase, ("next: escrutinio audit report", Action.REPORT_AUDIT))
            what = (
                f"round {last.round} is already measured (risk {last.risk}, decision {last.decision}, "
                f"phase {state.phase}): nothing was written"
            )
            raise stepped(RuleError(f"{what}; {follows}"), what, step) from None

    def report(self) -> dict[str, Any]:
        """Issue the final report (or show it again)."""
        with naming():
            self.session.require(Action.REPORT_AUDIT)
        return self._service.report()
