"""The audit service: one method per user action of a risk-limiting audit, each step an event in
the store's hash-chained log.

The audit record (:mod:`escrutinio.audit.replay` and its neighbours) is a pure state machine over
plain payloads; this module gives it a home in the log. Each payload becomes an event whose type
is the payload's ``type`` (``audit.planned``, ... see ``EventType.AUDIT_EVENTS``) and whose data
is the rest, and the audit's state is rebuilt by folding those events back through the record's
rules. The record *recomputes* everything that follows from earlier steps (the sample from the
seed and the manifest, the risk from the hand counts), so anyone holding the exported log redraws
the same sample and finds the same risk: :func:`audit_from_log` does exactly that, with no store.

Writes are safe when several people act at once. Every action is checked against the record
*before* it is written, and appended on the head it was decided on (``expect_seq``): if another
write landed first, the action is decided again on the new record (a few times at most, then the
caller is told to retry). Every entry carries an idempotency key (the audit, the table or ballot,
the entry number), so the same entry submitted twice is written once: a resubmission with the
same figures is "already recorded, nothing written", one with other figures is refused. A log
written before these guards may hold a duplicate entry; folding reports it and goes on.

One audit is open per store at a time; once it is reported, a new plan may start another (the
state is always that of the last ``audit.planned``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from escrutinio.audit.contest import pair_label
from escrutinio.audit.entries import (
    Entry,
    HandCountEntry,
    HandCountResolution,
    Resolution,
    SameCounter,
    revealing_payload,
    sealed_payload,
)
from escrutinio.audit.kinds import DEFAULT_MAX_ROUNDS, AuditMethod, AuditUnit
from escrutinio.audit.payloads import first_round_draws, measure_event, planned_event, report_event, sample_event, seed_event
from escrutinio.audit.plan import AuditPlan, ContestPlan, plan_from_manifest
from escrutinio.audit.replay import apply
from escrutinio.audit.retrieval import retrieval_lists
from escrutinio.audit.risk import RiskLimitLike, fraction_text, plannable_risk_limit
from escrutinio.audit.state import AuditRefused, AuditState, DuplicateEntry, Measurement, OutOfPhase, ballot_id
from escrutinio.domain.errors import (
    AlreadyDone,
    Conflict,
    EscrutinioError,
    InputError,
    NotFound,
    Place,
    Problem,
    RuleError,
    StaleState,
    stepped,
)
from escrutinio.domain.roles import Action
from escrutinio.domain.rows import Rows
from escrutinio.ledger.events import EventType

if TYPE_CHECKING:
    from escrutinio.audit.manifest import AuditManifest
    from escrutinio.ledger.events import Event
    from escrutinio.store.context import StoreContext

T = TypeVar("T")

EXTRA_COUNT_KEYS = ("blank", "null", "other")
"""Keys a hand count may carry besides the contest's choices (``other``: ballots for neither of
the audited pair, when the count does not break them down)."""
ATTEMPTS = 3
"""How many times an action is decided again when another write lands first, before the
caller is told to retry."""
MAX_PROBLEMS = 100
"""A bulk entry lists this many bad rows at most (then how many more)."""


@dataclass(frozen=True)
class Step:
    """What an action decided on the record as it was: the payloads to append, their idempotency
    keys, and the record after them when the action has already checked each one (a bulk entry
    does, to name every bad row)."""

    payloads: list[dict[str, Any]]
    keys: list[str] = field(default_factory=list)
    after: AuditState | None = None
    kept: dict[int, dict[str, Any]] = field(default_factory=dict)
    """By payload index: what the store keeps of a sealed entry (``PendingEvent.private``)."""


Decide = Callable[["Folded"], Step]
"""An action: from the record as it is, what to append."""


class NoAudit(RuleError, NotFound):
    """The store holds no audit to act on (refused as a rule; not found, to the API: 404).

    Its message tells a person at the command line what to run; ``what`` is the fact in no
    skin's words and ``step`` the action that would make one, which each skin words its own way
    (the API names its request: a client has no command line to run)."""

    what = "no audit in this store"

    def __init__(self, message: str | None = None) -> None:
        """The store's missing audit (``audit``); with ``message``, a log's (its own words)."""
        super().__init__(message or f"{self.what}: start one with escrutinio audit plan --record")
        self.field = "audit" if message is None else None
        self.step = Action.PLAN_AUDIT if message is None else None


@dataclass(frozen=True)
class Folded:
    """An audit state and the events folding had to set aside (duplicates in an older log)."""

    state: AuditState = field(default_factory=AuditState)
    plan_seq: int = 0
    """The event that planned the audit (its entries' keys name it)."""
    ignored: tuple[str, ...] = ()
    """One line per duplicate set aside: its event, and what stands instead."""


def _refused(error: AuditRefused, where: str = "") -> RuleError:
    """The record's refusal as the application's: a step out of its phase is a :class:`Conflict`
    with the recorded state (rule ``audit_phase``), any other a :class:`RuleError` naming the
    field the record named."""
    message = f"{where}{error}" if where else str(error)
    if isinstance(error, OutOfPhase):
        return Conflict("audit_phase", message, error.field)
    return RuleError(message, field=error.field)


def _step(build: Callable[..., T], *args: Any) -> T:
    """Build the next payload from the record, turning its refusal into a :class:`RuleError`."""
    try:
        return build(*args)
    except AuditRefused as error:
        raise _refused(error) from None


def to_event(payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A workflow payload as (event type, event data): the type leaves the data for the event's type."""
    return payload["type"], {k: v for k, v in payload.items() if k != "type"}


def to_payload(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """An audit event back as the workflow payload it was made from."""
    return {"type": event_type, **data}


def fold(folded: Folded, events: Iterable[tuple[int, str, Mapping[str, Any]]]) -> Folded:
    """Apply audit events (seq, type, data); an ``audit.planned`` starts a new audit.

    A refusal names the event, so a tampered or inconsistent log says where it went wrong. Two
    exceptions are set aside and reported instead, because two writers racing before writes
    were guarded could leave them in a log that cannot be changed: a second copy of an entry
    (the first one stands), and an event identical to the last one of its type (a step taken
    twice at once: the same sample, the same measurement, the same report).
    """
    state, plan_seq, ignored = folded.state, folded.plan_seq, list(folded.ignored)
    last: dict[str, Mapping[str, Any]] = {}
    for seq, event_type, data in events:
        if event_type == EventType.AUDIT_PLANNED:
            state, plan_seq, ignored, last = AuditState(), seq, [], {}
        try:
            state = apply(state, to_payload(event_type, data))
        except DuplicateEntry as error:
            ignored.append(f"event {seq} ({event_type}) set aside: {error}; the first entry stands")
            continue
        except AuditRefused as error:
            if last.get(event_type) == data:
                ignored.append(f"event {seq} ({event_type}) set aside: the same step as the one before it")
                continue
            raise _refused(error, f"event {seq} ({event_type}): ") from None
        last[event_type] = data
    return Folded(state, plan_seq, tuple(ignored))


def audit_from_log(path: Path) -> Folded:
    """The last audit in an exported log, recomputed from the log alone (no store).

    Every hash and link is checked on the way (:func:`ledger.verify.read_events`), then the audit
    events are replayed: the sample is redrawn from the seed and the risk recomputed from the hand
    counts, and each must agree with what the log says.
    """
    from escrutinio.ledger.verify import read_events

    def audit_events(lines: Iterable[bytes]) -> Iterator[tuple[int, str, Mapping[str, Any]]]:
        for event in read_events(lines):
            if event.type in EventType.AUDIT_EVENTS:
                yield event.seq, event.type, event.data

    try:
        with open(path, "rb") as lines:
            folded = fold(Folded(), audit_events(lines))
    except FileNotFoundError:
        raise EscrutinioError(f"{path}: no such log file") from None
    if folded.state.manifest is None:
        raise NoAudit(f"{path}: the log holds no audit (no audit.planned event)")
    return folded


def summary(folded: Folded) -> dict[str, Any]:
    """Where the audit stands, JSON-ready (ints, strings, lists, dicts): what ``status`` and
    ``report`` print, from the store or from an exported log alike."""
    state = folded.state
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
        "unit": state.unit,
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
            {
                "round": m.round,
                "draws": m.draws,
                "risk": m.risk,
                "decision": m.decision,
                "next_round_draws": m.next_round_draws,
                **({"pair_risks": dict(m.pair_risks)} if m.pair_risks else {}),
            }
            for m in state.measurements
        ],
        "risk": last.risk if last else None,
        "decision": last.decision if last else None,
        "report": {k: v for k, v in state.report.items() if k != "type"} if state.report is not None else None,
        "ignored_events": list(folded.ignored),
        "winners": list(state.winners),
        "losers": list(state.losers),
        "pairs": _pair_rows(state, last),
    }


def _pair_rows(state: AuditState, last: Measurement | None) -> list[dict[str, Any]]:
    """Every winner–loser pair the audit confirms, with its reported margin and its risk at the
    last measurement (a one-pair audit's is the audit's risk; None before any measurement)."""
    contest = state.contest_batches().contest
    rows = []
    for pair in contest.pairs():
        label = pair_label(pair)
        risk = None if last is None else last.pair_risks.get(label, last.risk if len(contest.pairs()) == 1 else None)
        rows.append({"pair": label, "winner": pair[0], "loser": pair[1], "margin": contest.margin(pair), "risk": risk})
    return rows


def _method_plan(manifest: AuditManifest, winner: str, loser: str, risk_limit: Fraction, method: AuditMethod) -> dict[str, Any]:
    """The chosen method's plan for the manifest: the pair's, or the contest's (every pair)."""
    if manifest.every_choice:
        from escrutinio.audit.plan import plan_contest_batches

        return plan_contest_batches(manifest.contest_batches(winner, loser), risk_limit).method(method).to_dict()
    return plan_from_manifest(manifest, winner, loser, risk_limit).method(method).to_dict()


def leading_pair(frame: Any, choices: Sequence[str]) -> tuple[str, str]:
    """The reported winner and runner-up: the two choices with most votes in counted sheets
    (ties keep ballot order, as the count's ranking does)."""
    import polars as pl

    from escrutinio.domain import table_frame as tf
    from escrutinio.domain.rules import ranking

    columns = [tf.choice_column(c) for c in choices if tf.choice_column(c) in frame.columns]
    totals = frame.filter(pl.col(tf.STATE).is_in(tf.COUNTED_STATES)).select(pl.col(columns).sum()).row(0, named=True)
    ranked = ranking({c: int(totals.get(tf.choice_column(c)) or 0) for c in choices})
    if len(ranked) < 2 or ranked[0][1] == 0:
        raise RuleError("no counted votes yet: load tally sheets before planning an audit")
    return ranked[0][0], ranked[1][0]


def reported_winners(frame: Any, election: Any) -> tuple[str, ...]:
    """The winners the count reports, which an audit of the contest confirms over every other
    choice: the winner, or the choices that go to the runoff (Peru 2021's first round: PL and
    FP, each over every other choice). A count that names nobody (a tie, a void election, no
    votes) has nothing to confirm: a full hand count decides it."""
    import polars as pl

    from escrutinio.domain import table_frame as tf
    from escrutinio.domain.rules import OutcomeKind, decide

    choices = election.contest.choice_ids
    counted = frame.filter(pl.col(tf.STATE).is_in(tf.COUNTED_STATES))
    columns = [tf.choice_column(c) for c in choices]
    sums = counted.select(pl.col([*columns, tf.BLANK, tf.NULL, tf.CAST]).fill_null(0).sum()).row(0, named=True)
    votes = {c: int(sums[tf.choice_column(c)]) for c in choices}
    outcome = decide(votes, int(sums[tf.BLANK]), int(sums[tf.NULL]), int(sums[tf.CAST]), election.rules)
    if outcome.kind is OutcomeKind.WINNER and outcome.winner is not None:
        return (outcome.winner,)
    if outcome.kind is OutcomeKind.RUNOFF:
        return tuple(outcome.runoff)
    raise RuleError(f"the count reports no winner to confirm ({outcome.kind}): a full hand count decides it, not a sample")


def count_open(frame: Any) -> str | None:
    """How far the count is from the outcome an audit checks, while tables have no sheet yet
    (pending): how many, and how many sheets are at the dispute body (observed); None once every
    table has a sheet. Why: a risk-limiting audit checks the *reported* outcome, and a count
    with tables still to come has not reported one: a manifest frozen then leaves those tables
    out of the sample for good. Observed sheets alone do not hold a plan back (a count is
    reported with some still at the dispute body; the record's own audits plan then)."""
    import polars as pl

    from escrutinio.domain import table_frame as tf
    from escrutinio.domain.sheet import SheetState

    states = frame.filter(pl.col(tf.STATE).is_in([SheetState.PENDING.value, SheetState.OBSERVED.value]))[tf.STATE]
    pending, observed = int((states == SheetState.PENDING.value).sum()), int((states == SheetState.OBSERVED.value).sum())
    if not pending:
        return None
    return (
        f"the count is not complete: {pending:,} of {frame.height:,} tables pending (no sheet yet), "
        f"{observed:,} observed (at the dispute body)"
    )


class AuditService:
    """The audit of one store seen by one actor: one method per user action, each one event (or a batch)."""

    def __init__(self, context: StoreContext) -> None:
        self.context = context
        self._folded = Folded()
        self._seq = 0
        """The last event read: later audit events are folded in incrementally."""
        self._entries_made: dict[EntryKey, tuple[int, str]] = {}
        """Each entry of the open audit (by table, ballot position and entry number): its event and actor."""

    # -- reading the record ------------------------------------------------------------------

    def _refresh(self) -> tuple[Folded, int]:
        """The audit as the log says now, and the log head it was read at.

        The head is read first, so the state may be newer than the head but never older: an
        append decided on it is refused if anything landed after the head (and then decided
        again), never written over a change it did not see.
        """
        store = self.context.store
        head = store.head()[0]
        events = store.events_since(self._seq, EventType.AUDIT_EVENTS)
        if events:
            self._folded = fold(self._folded, ((e.seq, e.type, e.data) for e in events))
            self._seq = events[-1].seq
            self._note_entries(events)
        return self._folded, head

    def _note_entries(self, events: Sequence[Event]) -> None:
        """Keep :attr:`_entries_made` in step with ``events`` (read, or written by this service)."""
        for e in events:
            if e.type == EventType.AUDIT_PLANNED:
                self._entries_made.clear()
            elif e.type in (EventType.AUDIT_HAND_COUNT, EventType.AUDIT_BALLOT):
                self._entries_made[(e.data["table"], e.data.get("position"), e.data.get("entry"))] = (e.seq, e.actor)

    def state(self) -> AuditState:
        """The audit as the log says now (the last one planned; empty when there is none)."""
        return self._refresh()[0].state

    def _open(self) -> tuple[Folded, int]:
        folded, head = self._refresh()
        if folded.state.manifest is None:
            raise NoAudit()
        return folded, head

    # -- writing the record ------------------------------------------------------------------

    def _write(self, decide: Decide, *, need_audit: bool = True) -> list[Event]:
        """Decide the payloads (and their keys) on the record as it is, check each against it,
        and append them on the head they were decided on, in one transaction.

        When another write lands first, the action is decided again on the new record (so a
        racing duplicate entry is then seen as already recorded); after :data:`ATTEMPTS` the
        caller gets the store's "nothing was written; retry".
        """
        from escrutinio.ledger.canonical import check_no_floats
        from escrutinio.ledger.pending import PendingEvent

        for attempt in range(ATTEMPTS):
            folded, head = self._open() if need_audit else self._refresh()
            step = decide(folded)
            if not step.payloads:
                return []
            # A plan starts a new audit, as it does when the log is folded.
            planned = step.payloads[0]["type"] == EventType.AUDIT_PLANNED
            state = AuditState() if planned else folded.state
            pending = []
            for index, payload in enumerate(step.payloads):
                if step.after is None:
                    try:
                        state = apply(state, payload)
                    except AuditRefused as error:
                        raise _refused(error) from None
                event_type, data = to_event(payload)
                check_no_floats(data, event_type)
                pending.append(PendingEvent(event_type, data, private=step.kept.get(index)))
            try:
                written = self.context.store.append(pending, self.context.actor, expect_seq=head, keys=step.keys)
            except (StaleState, AlreadyDone):
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            # Nothing landed between the head and these events: the record is the one checked.
            if self._seq <= head:
                plan_seq = written[0].seq if planned else folded.plan_seq
                ignored = () if planned else folded.ignored
                self._folded, self._seq = Folded(step.after or state, plan_seq, ignored), written[-1].seq
                self._note_entries(written)
            return written
        raise AssertionError("unreachable")

    # -- actions -----------------------------------------------------------------------------

    def manifest(self) -> tuple[AuditManifest, str, str]:
        """The manifest of the store's count, and the pair its status rows follow.

        A two-choice contest (a runoff) gets a pair manifest of its winner and runner-up. Any
        other contest gets a contest manifest: every choice's votes per table and the winners
        the count reports (one winner, or the choices going to a runoff), each audited over
        every other choice; the pair named is the closest one.
        """
        from escrutinio.audit.manifest import contest_manifest_from_frame, manifest_from_frame

        frame = self.context.table_frame()
        choices = self.context.election().contest.choice_ids
        try:
            if len(choices) <= 2:
                winner, loser = leading_pair(frame, choices)
                return manifest_from_frame(frame, winner, loser), winner, loser
            manifest = contest_manifest_from_frame(frame, choices, self.winners())
            contest = manifest.contest_batches("", "").contest
            if contest.tied:
                raise RuleError(
                    f"the pair {pair_label(contest.closest_pair())} is tied or reversed in the count: "
                    "a full hand count decides it, not a sample"
                )
            return (manifest, *contest.closest_pair())
        except (KeyError, ValueError) as error:
            raise RuleError(f"cannot build the audit manifest: {error}") from None

    def winners(self) -> tuple[str, ...]:
        """The reported winners the audit confirms (one, or the choices going to a runoff)."""
        election = self.context.election()
        if len(election.contest.choice_ids) <= 2:
            return (leading_pair(self.context.table_frame(), election.contest.choice_ids)[0],)
        return reported_winners(self.context.table_frame(), election)

    def preview(self, risk_limit: RiskLimitLike) -> AuditPlan | ContestPlan:
        """Every method's sample size for the store's count, recording nothing.

        A two-choice contest (a runoff) is planned on its pair and manifest; a contest with more
        choices on every winner–loser pair of its reported outcome (sizes the maximum over the
        pairs, MACRO's error bound the per-table maximum over them): auditing only the top two
        of a first round would confirm the wrong thing, since who goes to the runoff is decided
        between the second and the third.
        """
        election = self.context.election()
        if len(election.contest.choice_ids) > 2:
            from escrutinio.audit.plan import plan_contest

            frame = self.context.table_frame()
            winners = reported_winners(frame, election)
            try:
                return plan_contest(frame, election.contest.choice_ids, winners, risk_limit)
            except (KeyError, ValueError) as error:
                raise RuleError(f"cannot plan the audit: {error}") from None
        manifest, winner, loser = self.manifest()
        return plan_from_manifest(manifest, winner, loser, risk_limit)

    def plan(
        self, risk_limit: RiskLimitLike, *, method: AuditMethod = AuditMethod.MACRO, max_rounds: int = DEFAULT_MAX_ROUNDS
    ) -> dict[str, Any]:
        """Start an audit (``audit.planned``): method, risk limit and frozen manifest (see
        :meth:`manifest`: a runoff's pair, or every choice and the reported winners).

        The manifest is copied into the event, so later loads or rulings cannot move the tables
        the sample is drawn from, and a reader of the log needs nothing else. Refused (422) for a
        risk limit below ``audit.risk.MIN_RISK_LIMIT``, and (409 ``count_open``) while tables
        have no sheet yet: the count has not reported its outcome (:func:`count_open`).
        """
        try:
            plannable_risk_limit(risk_limit)
        except ValueError as error:
            raise RuleError(str(error)) from None
        still_open = count_open(self.context.table_frame())
        if still_open is not None:
            raise Conflict(
                "count_open", f"{still_open}: an audit checks the reported outcome; plan it once the count is complete"
            )
        manifest, winner, loser = self.manifest()
        contest = self.context.election().contest.id

        def decide(folded: Folded) -> Step:
            state = folded.state
            if state.manifest is not None and state.report is None:
                what = f"an audit is already open in this store (phase {state.phase}, manifest {state.manifest.sha256[:16]})"
                error = Conflict("audit_open", f"{what}: finish it with escrutinio audit report before planning another")
                raise stepped(error, what, Action.REPORT_AUDIT)
            try:
                payload = planned_event(
                    manifest, winner, loser, risk_limit, method=method, contest=contest, max_rounds=max_rounds
                )
            except (AuditRefused, ValueError) as error:
                raise RuleError(str(error)) from None
            return Step([payload])

        written = self._write(decide, need_audit=False)
        folded = self._refresh()[0]
        state = folded.state
        return {
            **summary(folded),
            "event": written[-1].seq,
            "first_round_draws": first_round_draws(state),
            "plan": _method_plan(manifest, winner, loser, state.risk_limit, method),
        }

    def seed(self, seed: str, ceremony: str = "") -> dict[str, Any]:
        """Record the public seed (``audit.seeded``), once, right after the plan; a seed of
        fewer than 20 digits is refused (it could be chosen to pick the sample)."""
        written = self._write(lambda folded: Step([_step(seed_event, seed.strip(), ceremony)]))
        state = self.state()
        return {"event": written[-1].seq, "seed": state.seed, "ceremony": state.ceremony, "phase": state.phase}

    def draw(self) -> dict[str, Any]:
        """Draw the next round (``audit.sampled``): round 1 after the seed, another after a
        next_round decision; returns its retrieval lists."""
        written = self._write(lambda folded: Step([_step(sample_event, folded.state)]))
        return {**self.retrieval(), "event": written[-1].seq}

    def retrieval(self, round_number: int | None = None) -> dict[str, Any]:
        """The tables to fetch for a round (default: the last), by counting centre, with the
        district's name when the store knows it."""
        state = self._open()[0].state
        if not state.rounds:
            what = f"no sample drawn yet (phase {state.phase})"
            raise stepped(RuleError(f"{what}: draw one with escrutinio audit draw"), what, Action.DRAW_AUDIT)
        centres = _step(retrieval_lists, state, round_number)
        areas = self.context.store.areas()
        names = dict(zip(areas["code"].to_list(), areas["name"].to_list(), strict=True))
        number = round_number or len(state.rounds)
        drawn = state.rounds[number - 1]
        return {
            "round": number,
            "unit": state.unit,
            "first_draw": drawn.first_draw,
            "draws": len(drawn.indices),
            "tables": sum(len(c["tables"]) for c in centres),
            "ballots": sum(c["ballots"] for c in centres),
            "centres": [{**c, "district_name": names.get(c["district"], "")} for c in centres],
        }

    def _check_counts(self, counts: Mapping[str, int], place: Place) -> None:
        known = (*self.context.election().contest.choice_ids, *EXTRA_COUNT_KEYS)
        unknown = [k for k in counts if k not in known]
        if unknown:
            field = place.source if place.line is None else None  # a request's field, not a file's line
            raise InputError([Problem(place, f"unknown choice {unknown[0]!r} (expected {', '.join(known)})")], field=field)

    def _check_unit(self, unit: AuditUnit, state: AuditState) -> None:
        if unit != state.unit:
            method = state.method.value if state.method else ""
            what = "each sampled ballot's reading" if state.polling else "each sampled table's hand count"
            raise RuleError(f"this {method} audit samples {state.unit}: it records {what}, not {unit} entries")

    def record(self, entry: Entry) -> dict[str, Any]:
        """Record one entry (1 or 2) of a sampled table's hand count (``audit.hand_count``) or of a
        sampled ballot's reading (``audit.ballot``).

        Two entries by different people that agree settle the table (ballot); two that differ
        leave a discrepancy for :meth:`resolve`. The same entry submitted again with the same
        figures writes nothing (``already_recorded``); with other figures it is refused.
        """
        if isinstance(entry, HandCountEntry):
            self._check_counts(entry.counts, entry.place or Place("counts"))

        def decide(folded: Folded) -> Step:
            self._check_unit(entry.unit, folded.state)
            if self._already_recorded(entry, folded.state, {}):
                return Step([])
            self._refuse_same_counter(entry, {})
            payload, kept = _step(self._entry_payload, entry, folded.state, {})
            return Step([payload], [entry.key(folded.plan_seq)], kept={0: kept} if kept is not None else {})

        written = self._write(decide)
        return self._entry_result(entry, written[-1].seq if written else None)

    def record_many(
        self,
        entries: Sequence[Entry],
        *,
        source: str = "",
        keys: Sequence[str] = (),
        problems: Sequence[Problem] = (),
        total_problems: int = 0,
    ) -> dict[str, Any]:
        """Record many entries at once, in one transaction (a bulk file typed in from count sheets).

        Entries already recorded with the same figures are skipped (a rerun adds nothing), and
        so are those whose ``keys`` (one per entry, e.g. the file's hash and line) are already in
        the store. Every entry the record refuses is listed, ``file:line:column: ...``, up to
        :data:`MAX_PROBLEMS`, with the ``problems`` found before (a file's bad rows), by line;
        and then nothing is written.
        """
        if keys and len(keys) != len(entries):
            raise ValueError("one key per entry")
        known = self.context.store.known_keys(list(keys)) if keys else {}
        chosen = [(e, k) for e, k in zip(entries, keys or [None] * len(entries), strict=True) if k not in known]
        found: list[Problem] = []
        skipped = [len(entries) - len(chosen)]

        def decide(folded: Folded) -> Step:
            found.clear()
            skipped[:] = [len(entries) - len(chosen)]
            state = folded.state
            if chosen:
                self._check_unit(chosen[0][0].unit, state)
            payloads, action_keys, kept_by_index = [], [], {}
            in_file: dict[EntryKey, tuple[int, str]] = {}
            kept_in_file: dict[EntryKey, dict[str, Any]] = {}
            for entry, key in chosen:
                place = entry.place or Place(source or "entries")
                try:
                    if self._already_recorded(entry, state, kept_in_file):
                        skipped[0] += 1
                        continue
                    if isinstance(entry, HandCountEntry):
                        self._check_counts(entry.counts, place)
                    self._refuse_same_counter(entry, in_file)
                    payload, kept = self._entry_payload(entry, state, kept_in_file)
                    state = apply(state, payload)
                except InputError as error:
                    found.extend(error.problems)
                    continue
                except AuditRefused as error:
                    found.append(Problem(replace(place, field=error.field or place.field), str(error)))
                    continue
                except RuleError as error:  # already recorded with other figures
                    found.append(Problem(replace(place, field="entry"), str(error)))
                    continue
                if kept is not None:
                    kept_by_index[len(payloads)] = kept
                payloads.append(payload)
                action_keys.append(key or entry.key(folded.plan_seq))
            if found or total_problems:
                every = sorted([*problems, *found], key=lambda p: p.place.line or 0)
                raise InputError(every[:MAX_PROBLEMS], total_problems + len(found))
            return Step(payloads, action_keys, state, kept_by_index)

        written = self._write(decide)
        state = self.state()
        return {
            "entries": len(entries),
            "events": len(written),
            "already_recorded": skipped[0],
            "first_event": written[0].seq if written else None,
            "last_event": written[-1].seq if written else None,
            "phase": state.phase,
            "unsettled": len(state.unsettled()) if state.rounds else 0,
        }

    def _refuse_same_counter(self, entry: Entry, in_file: dict[EntryKey, tuple[int, str]]) -> None:
        """Refuse a second entry by the account that made the first (``SameCounter``): two counts
        by one person check nothing, whatever names ``by`` gives. The account is who acted; the
        store's administrator, transcribing both counters' signed forms, is not refused (the
        replay holds the same rule: ``ledger.actors``). ``in_file``: first entries made earlier
        in the same write (a bulk file), kept by this call."""
        from escrutinio.ledger.actors import is_administrator, same_person

        actor = str(self.context.actor)
        what = _entry_key(entry, 1)
        if entry.entry == 1:
            in_file[what] = (0, actor)
            return
        first = in_file.get(what) or self._entries_made.get(what)
        if first is None or is_administrator(actor) or not same_person(first[1], actor):
            return
        made = f"event {first[0]}" if first[0] else "earlier in this file"
        raise SameCounter(f"{entry.subject}: {actor} made its first entry ({made}); the second count must be another auditor's")

    def _entry_payload(
        self, entry: Entry, state: AuditState, kept_in_write: dict[EntryKey, dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """An entry's payload, and what the store keeps of it if it is sealed: the entry recorded
        while the other is awaited is sealed (:func:`sealed_payload`); the one recorded after a
        sealed one reveals it (:func:`revealing_payload`), the kept figures read from the store
        (or from this write, ``kept_in_write``, which this call keeps); after an entry of an
        older log, recorded with its figures, the entry is as it was."""
        other = entry.recorded(state, 3 - entry.entry)
        if other is None:
            apply(state, entry.payload())  # the record's checks of the figures, which the seal hides from it
            payload, kept = sealed_payload(entry)
            kept_in_write[_entry_key(entry)] = kept
            return payload, kept
        if other.commitment is None:
            return entry.payload(), None
        return revealing_payload(entry, other, self._kept(entry, 3 - entry.entry, kept_in_write), entry.subject), None

    def _kept(self, entry: Entry, number: int, kept_in_write: dict[EntryKey, dict[str, Any]]) -> dict[str, Any] | None:
        """The figures and salt the store keeps of entry ``number`` of ``entry``'s table (ballot)."""
        key = _entry_key(entry, number)
        if key in kept_in_write:
            return kept_in_write[key]
        made = self._entries_made.get(key)
        return self.context.store.kept_figures(made[0]) if made is not None else None

    def _already_recorded(self, entry: Entry, state: AuditState, kept_in_write: dict[EntryKey, dict[str, Any]]) -> bool:
        """Whether the record holds this very entry with the same figures; refused when it holds
        it with other figures (a mistake is corrected by a resolution, never by a second entry).

        A sealed entry is compared only for the account that made it (or the store's
        administrator, who holds the store's file anyway): anyone else would learn from the
        answer whether their figures are the sealed ones, which is what the seal keeps from the
        other counter. They are told it is recorded, by whom, and nothing more."""
        from escrutinio.ledger.actors import is_administrator, same_person

        recorded = entry.recorded(state)
        if recorded is None:
            return False
        if recorded.commitment is not None:
            me = str(self.context.actor)
            seq, actor = self._entries_made.get(_entry_key(entry), (0, me))
            if not same_person(actor, me) and not is_administrator(me):  # the administrator holds the store anyway
                made = f"event {seq}" if seq else "earlier in this write"
                what = f"entry {entry.entry} of {entry.subject} is already recorded ({made}, by {actor}): nothing was written"
                raise RuleError(what, field="entry")
            kept = self._kept(entry, entry.entry, kept_in_write)
            recorded = type(recorded).from_figures(kept["sheet"]) if kept is not None else recorded
        if entry.same_as(recorded):
            return True
        what = f"entry {entry.entry} of {entry.subject} is already recorded with other figures: nothing was written"
        how = f"if the first was a mistake, settle the table with escrutinio audit resolve ({entry.figures()})"
        raise stepped(RuleError(f"{what}; {how}"), what, Action.RESOLVE_AUDIT_ENTRY)

    def resolve(self, resolution: Resolution) -> dict[str, Any]:
        """Settle a table (ballot) whose two entries (readings) disagree (``audit.resolved``,
        ``audit.ballot_resolved``), naming who and why."""
        if isinstance(resolution, HandCountResolution):
            self._check_counts(resolution.counts, Place("counts"))

        def decide(folded: Folded) -> Step:
            self._check_unit(resolution.unit, folded.state)
            return Step([resolution.payload()])

        written = self._write(decide)
        return self._entry_result(resolution, written[-1].seq)

    def _entry_result(self, item: Entry | Resolution, seq: int | None) -> dict[str, Any]:
        state = self.state()
        if item.unit == AuditUnit.BALLOTS:
            ballot = ballot_id(item.table, item.position)  # type: ignore[union-attr]
            key: dict[str, Any] = {"position": item.position, "ballot": ballot}  # type: ignore[union-attr]
            status, entries = state.ballot_status(ballot), state.ballot_entries.get(ballot, {})
        else:
            key = {}
            status, entries = state.table_status(item.table), state.entries.get(item.table, {})
        return {
            "event": seq,
            "already_recorded": seq is None,
            "table": item.table,
            **key,
            "status": status,
            "entries": sorted(entries),
            "phase": state.phase,
            "unsettled": len(state.unsettled()),
        }

    def measure(self) -> dict[str, Any]:
        """Measure the risk over every draw so far (``audit.measured``) and decide: confirmed,
        next_round (with its size) or full_hand_count."""
        made: list[dict[str, Any]] = []

        def decide(folded: Folded) -> Step:
            made[:] = [_step(measure_event, folded.state)]
            return Step(made)

        written = self._write(decide)
        return {
            **{k: v for k, v in made[0].items() if k != "type"},
            "risk_limit": fraction_text(self.state().risk_limit),
            "event": written[-1].seq,
        }

    def report(self) -> dict[str, Any]:
        """Issue the final report (``audit.reported``) after a confirmed or full_hand_count
        decision; when it is already issued, show it again."""
        self._write(lambda folded: Step([] if folded.state.report is not None else [_step(report_event, folded.state)]))
        return summary(self._refresh()[0])

    def status(self) -> dict[str, Any]:
        """Where the open (or last) audit stands, with each sampled table's sheet against its
        hand count so far under ``tables``."""
        folded = self._open()[0]
        state = folded.state
        rows = (state.ballot_rows() if state.polling else state.comparisons()) if state.rounds else []
        columns = state.BALLOT_COLUMNS if state.polling else state.TABLE_COLUMNS
        return {**summary(folded), "tables": Rows(rows, columns)}


EntryKey = tuple[str, Any, Any]
"""An entry of the open audit: its table, its ballot's position (None for a table's count), its number."""


def _entry_key(entry: Entry, number: int | None = None) -> EntryKey:
    """``entry`` (or entry ``number`` of the same table or ballot) as an :data:`EntryKey`."""
    return (entry.table, getattr(entry, "position", None), number or entry.entry)
