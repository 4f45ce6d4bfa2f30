"""The audit service: one method per user action of a risk-limiting audit, each step an event in
the store's hash-chained log.

:mod:`escrutinio.audit.workflow` is the audit record as a pure state machine over plain payloads;
this module gives it a home in the canvass log. Each payload becomes an event of type
``audit.<step>`` (see :data:`EVENT_TYPES`) whose data is the payload without its ``type`` (the
event type is the one spelling of it), and the audit's state is rebuilt by folding those events
back through :func:`workflow.replay`'s rules. The record *recomputes* everything that follows from
earlier steps (the sample from the seed and the manifest, the risk from the hand counts), so anyone
holding the exported log redraws the same sample and finds the same risk: :func:`audit_from_log`
does exactly that, with no store.

Every action is checked against the record *before* it is written: a step out of order, a second
entry by the same person, a sample that is not the seed's, all raise :class:`RuleError` with the
record's own message, and nothing is appended. One audit is open per store at a time; once it is
reported, a new plan may start another (the state is always that of the last ``audit.planned``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from escrutinio.audit import workflow as wf
from escrutinio.audit.plan import MACRO, AuditPlan, plan_from_manifest
from escrutinio.audit.risk import RiskLimitLike, fraction_text
from escrutinio.audit.workflow import AuditRefused, AuditState
from escrutinio.domain.errors import EscrutinioError, InputError, Place, Problem, RuleError

if TYPE_CHECKING:
    from escrutinio.audit.manifest import AuditManifest
    from escrutinio.canvass import Canvass
    from escrutinio.ledger.events import Event

T = TypeVar("T")

EVENT_TYPES: dict[str, str] = {
    wf.PLANNED: "audit.planned",
    wf.SEED_RECORDED: "audit.seeded",
    wf.SAMPLE_DRAWN: "audit.sampled",
    wf.HAND_COUNT_ENTERED: "audit.hand_count",
    wf.HAND_COUNT_RESOLVED: "audit.resolved",
    wf.RISK_MEASURED: "audit.measured",
    wf.REPORT_ISSUED: "audit.reported",
    wf.BALLOT_ENTERED: "audit.ballot",
    wf.BALLOT_RESOLVED: "audit.ballot_resolved",
}
"""Workflow payload type -> event type in the log."""
PAYLOAD_TYPES: dict[str, str] = {event: payload for payload, event in EVENT_TYPES.items()}
"""Event type in the log -> workflow payload type."""

EXTRA_COUNT_KEYS = ("blank", "null", "other")
"""Keys a hand count may carry besides the contest's choices (``other``: ballots for neither of
the audited pair, when the count does not break them down)."""


class NoAudit(RuleError):
    """The store holds no audit to act on."""


@dataclass(frozen=True)
class HandCountEntry:
    """One entry of a double entry, as a clerk types it (for :meth:`AuditService.record_many`)."""

    table: str
    entry: int
    counts: Mapping[str, int]
    ballots: int
    by: str


def _refused(error: AuditRefused, where: str = "") -> RuleError:
    return RuleError(f"{where}{error}" if where else str(error))


def _step(build: Callable[..., T], *args: Any) -> T:
    """Build the next payload from the record, turning its refusal into a :class:`RuleError`."""
    try:
        return build(*args)
    except AuditRefused as error:
        raise _refused(error) from None


def to_event(payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A workflow payload as (event type, event data): the type leaves the data for the event's type."""
    data = {k: v for k, v in payload.items() if k != "type"}
    return EVENT_TYPES[payload["type"]], data


def to_payload(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """An audit event back as the workflow payload it was made from."""
    return {"type": PAYLOAD_TYPES[event_type], **data}


def fold(state: AuditState, events: Iterable[tuple[int, str, Mapping[str, Any]]]) -> AuditState:
    """Apply audit events (seq, type, data) to ``state``; an ``audit.planned`` starts a new audit.

    A refusal names the event, so a tampered or inconsistent log says where it went wrong.
    """
    for seq, event_type, data in events:
        if event_type == EVENT_TYPES[wf.PLANNED]:
            state = AuditState()
        try:
            state = wf.apply(state, to_payload(event_type, data))
        except AuditRefused as error:
            raise _refused(error, f"event {seq} ({event_type}): ") from None
    return state


def audit_from_log(path: Path) -> AuditState:
    """The last audit in an exported log, recomputed from the log alone (no store).

    Every hash and link is checked on the way (:func:`ledger.verify.read_events`), then the audit
    events are replayed: the sample is redrawn from the seed and the risk recomputed from the hand
    counts, and each must agree with what the log says.
    """
    from escrutinio.ledger.verify import read_events

    def audit_events(lines: Iterable[bytes]) -> Iterator[tuple[int, str, Mapping[str, Any]]]:
        for event in read_events(lines):
            if event.type in PAYLOAD_TYPES:
                yield event.seq, event.type, event.data

    try:
        with open(path, "rb") as lines:
            state = fold(AuditState(), audit_events(lines))
    except FileNotFoundError:
        raise EscrutinioError(f"{path}: no such log file") from None
    if state.manifest is None:
        raise NoAudit(f"{path}: the log holds no audit (no audit.planned event)")
    return state


def parse_counts(text: str, option: str = "--counts") -> dict[str, int]:
    """``PL=115,FP=87,null=18`` as a dict; refuses anything else naming the option."""
    counts: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value.isdigit():
            raise InputError([Problem(Place(option), f"expected CHOICE=N[,CHOICE=N...] with whole numbers, got {part!r}")])
        if key in counts:
            raise InputError([Problem(Place(option), f"choice {key!r} given twice")])
        counts[key] = int(value)
    return counts


def summary(state: AuditState) -> dict[str, Any]:
    """Where the audit stands, JSON-ready (ints, strings, lists, dicts): what ``status`` and
    ``report`` print, from the store or from an exported log alike."""
    manifest = state.manifest
    if manifest is None:
        return {"phase": state.phase}
    last = state.measurements[-1] if state.measurements else None
    if state.polling:
        sampled = state.sampled_ballots() if state.rounds else []
        statuses = [state.ballot_status(b) for b in sampled]
        settled = sum(1 for b in sampled if state.ballot_vote(b) is not None)
    else:
        sampled = state.sampled_tables() if state.rounds else []
        statuses = [state.table_status(t) for t in sampled]
        settled = sum(1 for t in sampled if state.hand_count(t) is not None)
    return {
        "phase": state.phase,
        "method": state.method,
        "contest": state.contest,
        "winner": state.winner,
        "loser": state.loser,
        "risk_limit": fraction_text(state.risk_limit),
        "max_rounds": state.max_rounds,
        "unit": "ballots" if state.polling else "tables",
        "manifest_tables": len(manifest.batches.tables),
        "manifest_ballots": int(manifest.batches.ballots.sum()),
        "manifest_sha256": manifest.sha256,
        "seed": state.seed,
        "ceremony": state.ceremony,
        "rounds": [
            {"round": r.number, "first_draw": r.first_draw, "draws": len(r.indices), "distinct_tables": len(set(r.indices))}
            for r in state.rounds
        ],
        "draws": len(state.draw_indices),
        "sampled_tables": len(state.sampled_tables()) if state.rounds else 0,
        "sampled_ballots": len(sampled) if state.polling else 0,
        "settled": settled,
        "settled_tables": 0 if state.polling else settled,
        "discrepancies": [t for t, status in zip(sampled, statuses, strict=True) if status == "discrepancy"],
        "measurements": [
            {"round": m.round, "draws": m.draws, "risk": m.risk, "decision": m.decision, "next_round_draws": m.next_round_draws}
            for m in state.measurements
        ],
        "risk": last.risk if last else None,
        "decision": last.decision if last else None,
        "report": {k: v for k, v in state.report.items() if k != "type"} if state.report is not None else None,
    }


class AuditService:
    """The audit of one canvass store: one method per user action, each one event (or a batch)."""

    def __init__(self, canvass: Canvass) -> None:
        self.canvass = canvass
        self._state = AuditState()
        self._seq = 0
        """The last audit event folded into ``_state``: later ones are read incrementally."""

    # -- reading the record ------------------------------------------------------------------

    def _new_events(self, columns: Sequence[str] = ("seq", "type", "data")) -> list[tuple[Any, ...]]:
        """Audit events after the last one folded (only their seq when asked), oldest first."""
        from escrutinio.store.engine import placeholders

        if not set(columns) <= {"seq", "type", "data"}:
            raise ValueError(f"audit events have no columns {sorted(set(columns) - {'seq', 'type', 'data'})}")
        with self.canvass.store.engine.connect() as conn:
            sql = (
                f"SELECT {', '.join(columns)} FROM events WHERE type IN ({placeholders(conn, len(PAYLOAD_TYPES))}) "
                f"AND seq > {int(self._seq)} ORDER BY seq"
            )
            return [tuple(row) for row in conn.exec_driver_sql(sql, tuple(PAYLOAD_TYPES)).fetchall()]

    def _refresh(self) -> AuditState:
        import orjson

        rows = self._new_events()
        if rows:
            self._state = fold(self._state, ((seq, kind, orjson.loads(data)) for seq, kind, data in rows))
            self._seq = rows[-1][0]
        return self._state

    def state(self) -> AuditState:
        """The audit as the log says now (the last one planned; empty when there is none)."""
        return self._refresh()

    def _open(self) -> AuditState:
        state = self._refresh()
        if state.manifest is None:
            raise NoAudit("no audit in this store: start one with escrutinio audit plan --record")
        return state

    # -- writing the record ------------------------------------------------------------------

    def _append(self, state: AuditState, payloads: Sequence[Mapping[str, Any]]) -> tuple[AuditState, list[Event]]:
        """Check each payload against the record, then append them all in one transaction.

        Nothing is written unless every payload is accepted. If another writer appended audit
        events meanwhile, the record is read again (and a conflict names the event it broke at).
        """
        from escrutinio.ledger.canonical import check_no_floats
        from escrutinio.ledger.pending import PendingEvent

        checked = state
        pending = []
        for payload in payloads:
            try:
                checked = wf.apply(checked, payload)
            except AuditRefused as error:
                raise _refused(error) from None
            event_type, data = to_event(payload)
            check_no_floats(data, event_type)
            pending.append(PendingEvent(event_type, data))
        written = self.canvass.store.append(pending, self.canvass.actor)
        if [row[0] for row in self._new_events(("seq",))] == [e.seq for e in written]:
            self._state, self._seq = checked, written[-1].seq
        else:
            self._refresh()
        return self._state, written

    # -- actions -----------------------------------------------------------------------------

    def manifest(self) -> tuple[AuditManifest, str, str]:
        """The manifest of the store's count for its leading pair (winner, runner-up)."""
        from escrutinio.audit.manifest import manifest_from_frame

        nat = self.canvass.results()[0]
        winner, loser = nat.get("leader"), nat.get("runner_up")
        if not winner or not loser:
            raise RuleError("no counted votes yet: load tally sheets before planning an audit")
        try:
            return manifest_from_frame(self.canvass.table_frame(), winner, loser), winner, loser
        except (KeyError, ValueError) as error:
            raise RuleError(f"cannot build the audit manifest: {error}") from None

    def preview(self, risk_limit: RiskLimitLike) -> AuditPlan:
        """Every method's sample size for the store's count, recording nothing."""
        manifest, winner, loser = self.manifest()
        return plan_from_manifest(manifest, winner, loser, risk_limit)

    def plan(self, risk_limit: RiskLimitLike, *, method: str = MACRO, max_rounds: int = wf.DEFAULT_MAX_ROUNDS) -> dict[str, Any]:
        """Start an audit (``audit.planned``): the pair, method, risk limit and frozen manifest.

        The manifest is copied into the event, so later loads or rulings cannot move the tables
        the sample is drawn from, and a reader of the log needs nothing else.
        """
        state = self._refresh()
        if state.manifest is not None and state.report is None:
            raise RuleError(
                f"an audit is already open in this store (phase {state.phase}, manifest {state.manifest.sha256[:16]}): "
                "finish it with escrutinio audit report before planning another"
            )
        manifest, winner, loser = self.manifest()
        try:
            payload = wf.planned_event(
                manifest,
                winner,
                loser,
                risk_limit,
                method=method,
                contest=self.canvass.election().contest.id,
                max_rounds=max_rounds,
            )
        except (AuditRefused, ValueError) as error:
            raise RuleError(str(error)) from None
        state, written = self._append(AuditState(), [payload])
        return {
            **summary(state),
            "event": written[-1].seq,
            "first_round_draws": wf.first_round_draws(state),
            "plan": plan_from_manifest(manifest, winner, loser, state.risk_limit).method(method).to_dict(),
        }

    def seed(self, seed: str, ceremony: str = "") -> dict[str, Any]:
        """Record the public seed (``audit.seeded``), once, right after the plan."""
        state = self._open()
        payload = _step(wf.seed_event, seed.strip(), ceremony)
        state, written = self._append(state, [payload])
        return {"event": written[-1].seq, "seed": state.seed, "ceremony": state.ceremony, "phase": state.phase}

    def draw(self) -> dict[str, Any]:
        """Draw the next round (``audit.sampled``): round 1 after the seed, another after a
        next_round decision; returns its retrieval lists."""
        state = self._open()
        payload = _step(wf.sample_event, state)
        state, written = self._append(state, [payload])
        return {**self.retrieval(), "event": written[-1].seq}

    def retrieval(self, round_number: int | None = None) -> dict[str, Any]:
        """The tables to fetch for a round (default: the last), by counting centre, with the
        district's name when the store knows it."""
        state = self._open()
        if not state.rounds:
            raise RuleError(f"no sample drawn yet (phase {state.phase}): draw one with escrutinio audit draw")
        centres = _step(wf.retrieval_lists, state, round_number)
        names = {code: name for code, _level, _kind, name, _parent in self.canvass.reader.areas()}
        number = round_number or len(state.rounds)
        drawn = state.rounds[number - 1]
        return {
            "round": number,
            "unit": "ballots" if state.polling else "tables",
            "first_draw": drawn.first_draw,
            "draws": len(drawn.indices),
            "tables": sum(len(c["tables"]) for c in centres),
            "ballots": sum(c["ballots"] for c in centres),
            "centres": [{**c, "district_name": names.get(c["district"], "")} for c in centres],
        }

    def _check_counts(self, counts: Mapping[str, int]) -> dict[str, int]:
        known = (*self.canvass.election().contest.choice_ids, *EXTRA_COUNT_KEYS)
        unknown = [k for k in counts if k not in known]
        if unknown:
            raise InputError([Problem(Place("--counts"), f"unknown choice {unknown[0]!r} (expected {', '.join(known)})")])
        return dict(counts)

    def _entry_payload(self, entry: HandCountEntry) -> dict[str, Any]:
        return wf.hand_count_event(entry.table, entry.entry, self._check_counts(entry.counts), entry.ballots, entry.by)

    def record(self, table: str, entry: int, counts: Mapping[str, int], ballots: int, by: str) -> dict[str, Any]:
        """Record one entry (1 or 2) of a sampled table's hand count (``audit.hand_count``).

        Two entries by different people that agree settle the table; two that differ leave a
        discrepancy for :meth:`resolve`.
        """
        state = self._open()
        state, written = self._append(state, [self._entry_payload(HandCountEntry(table, entry, counts, ballots, by))])
        return self._table_result(state, table, written[-1].seq)

    def record_many(self, entries: Iterable[HandCountEntry]) -> dict[str, Any]:
        """Record many entries at once, in one transaction (a batch typed in from count sheets)."""
        state = self._open()
        payloads = [self._entry_payload(e) for e in entries]
        if not payloads:
            return {"events": 0, "phase": state.phase, "unsettled": len(state.unsettled_tables()) if state.rounds else 0}
        state, written = self._append(state, payloads)
        return {"events": len(written), "phase": state.phase, "unsettled": len(state.unsettled_tables())}

    def resolve(self, table: str, counts: Mapping[str, int], ballots: int, by: str, reason: str) -> dict[str, Any]:
        """Settle a table whose two entries disagree (``audit.resolved``), naming who and why."""
        state = self._open()
        payload = wf.resolution_event(table, self._check_counts(counts), ballots, by, reason)
        state, written = self._append(state, [payload])
        return self._table_result(state, table, written[-1].seq)

    def record_ballot(self, table: str, position: int, entry: int, vote: str, by: str) -> dict[str, Any]:
        """Record one reading (1 or 2) of a sampled ballot (``audit.ballot``): the winner's or the
        loser's id, or blank / null / other. Two readings by different people that agree settle
        the ballot; two that differ leave a discrepancy for :meth:`resolve_ballot`."""
        state = self._open()
        state, written = self._append(state, [wf.ballot_event(table, position, entry, vote, by)])
        return self._ballot_result(state, table, position, written[-1].seq)

    def record_ballots(self, readings: Iterable[tuple[str, int, int, str, str]]) -> dict[str, Any]:
        """Record many readings (table, position, entry, vote, by) in one transaction."""
        state = self._open()
        payloads = [wf.ballot_event(*reading) for reading in readings]
        if payloads:
            state, _ = self._append(state, payloads)
        return {"events": len(payloads), "phase": state.phase, "unsettled": len(state.unsettled()) if state.rounds else 0}

    def resolve_ballot(self, table: str, position: int, vote: str, by: str, reason: str) -> dict[str, Any]:
        """Settle a ballot whose two readings disagree (``audit.ballot_resolved``), naming who and why."""
        state = self._open()
        payload = wf.ballot_resolution_event(table, position, vote, by, reason)
        state, written = self._append(state, [payload])
        return self._ballot_result(state, table, position, written[-1].seq)

    @staticmethod
    def _ballot_result(state: AuditState, table: str, position: int, seq: int) -> dict[str, Any]:
        ballot = wf.ballot_id(table, position)
        return {
            "event": seq,
            "table": table,
            "position": position,
            "ballot": ballot,
            "status": state.ballot_status(ballot),
            "entries": sorted(state.ballot_entries.get(ballot, {})),
            "phase": state.phase,
            "unsettled": len(state.unsettled()),
        }

    @staticmethod
    def _table_result(state: AuditState, table: str, seq: int) -> dict[str, Any]:
        entries = state.entries.get(table, {})
        return {
            "event": seq,
            "table": table,
            "status": state.table_status(table),
            "entries": sorted(entries),
            "phase": state.phase,
            "unsettled": len(state.unsettled()),
        }

    def measure(self) -> dict[str, Any]:
        """Measure the risk over every draw so far (``audit.measured``) and decide: confirmed,
        next_round (with its size) or full_hand_count."""
        state = self._open()
        payload = _step(wf.measure_event, state)
        state, written = self._append(state, [payload])
        return {
            **{k: v for k, v in payload.items() if k != "type"},
            "risk_limit": fraction_text(state.risk_limit),
            "event": written[-1].seq,
        }

    def report(self) -> dict[str, Any]:
        """Issue the final report (``audit.reported``) after a confirmed or full_hand_count
        decision; when it is already issued, show it again."""
        state = self._open()
        if state.report is None:
            payload = _step(wf.report_event, state)
            state, _ = self._append(state, [payload])
        return summary(state)

    def status(self) -> dict[str, Any]:
        """Where the open (or last) audit stands, with each sampled table's sheet against its
        hand count so far under ``tables``."""
        state = self._open()
        rows = (state.ballot_rows() if state.polling else state.comparisons()) if state.rounds else []
        return {**summary(state), "tables": rows}
