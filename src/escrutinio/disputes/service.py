"""The disputes service: filing, admitting, ruling and appealing cases, and their effect on the count.

Every action is one transaction: the case events (each carrying the transition's inputs and
the docket row it leaves) and, when a decision in force changes what a table counts, a
``sheets.recorded`` event with the table's new state and version (basis ``ruling:...``).
What a table counts is always recomputed from *all* of its cases over its sheet as processed
(``claims.table_outcomes``), so the order in which rulings arrive cannot change the result, a
table is never counted twice, and it is only dropped by an annulment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import (
    DISPUTE_BODY,
    Action,
    Case,
    CaseKind,
    CaseStatus,
    ClaimRefused,
    Effect,
    EffectKind,
    Filing,
    Ruling,
    admissibility,
    admit,
    appeal,
    decide_appeal,
    declared_time_problem,
    effect_in_force,
    finalise,
    open_case,
    refuse,
    rule,
    table_outcomes,
)
from escrutinio.domain.errors import NotFound, RuleError
from escrutinio.domain.roles import Role
from escrutinio.domain.sheet import SheetState, TallySheet
from escrutinio.ledger.cases import checked_against, rebuild_cases, summary
from escrutinio.ledger.claims_codec import filing_to, refusal_to, ruling_to
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.sheets_payload import to_payload

if TYPE_CHECKING:
    from escrutinio.store.context import StoreContext

PREFIX = {
    CaseKind.OBSERVATION: "OBS",
    CaseKind.NULLITY_REQUEST: "NUL",
    CaseKind.CHALLENGED_BALLOTS: "IMP",
    CaseKind.OWN_MOTION: "OFI",
}
OPEN = ("filed", "admitted", "ruled", "appealed")

DECIDING = (Action.RULE, Action.DECIDE_APPEAL)
"""The steps that decide what a case does to the count (they read its tables' sheets)."""
ON_THE_SHEET = frozenset({EffectKind.COUNT_AS_IS, EffectKind.COUNT_CORRECTED, EffectKind.DECIDE_CHALLENGED, EffectKind.ANNUL})
"""Decisions that act on a table's sheet, so need one (a dismissal changes no sheet)."""

Step = tuple[Action | str, str, datetime, Any]
"""(action, case number, when, argument): the ruling, the appeal filing, or (refusal, ruling)."""


def receipt_time(store: Any) -> datetime:
    """The store's clock at receipt: the time a filing is received, on which deadlines are judged.

    One function, so that every action reads the same clock (the store's, never the filer's).
    """
    return store.clock()  # type: ignore[no-any-return]


@dataclass
class Change:
    """A case after one action, and the event that records the action."""

    case: Case
    event: PendingEvent


class Disputes:
    """The docket of one store."""

    def __init__(self, context: StoreContext, known_tables: set[str] | None = None, *, received: datetime | None = None) -> None:
        """``context`` is the store seen by one actor (the application's session is one).
        ``known_tables`` spares reading the roll when the caller knows which tables a filing
        may name (the loader opening observation cases for the sheets it records).
        ``received``: when the first action was received, if already read from the store's clock."""
        self.context = context
        self._known: set[str] | None = known_tables
        self._counters: dict[str, int] = {}
        self._seen: int | None = None
        self._received: datetime | None = received
        self._prefetch: tuple[dict[str, list[dict[str, Any]]], dict[str, int | None]] = ({}, {})

    @property
    def store(self) -> Any:
        return self.context.store

    @property
    def election(self) -> Any:
        return self.context.election()

    def clock(self) -> datetime:
        """The time the action in hand is received: the store's clock, read once per action
        (see :func:`receipt_time`), so the time a decision is taken on and the receipt recorded
        beside it are the same reading."""
        if self._received is None:
            self._received = receipt_time(self.store)
        return self._received

    def known_of(self, tables: Iterable[str]) -> set[str]:
        """Which of ``tables`` are on the roll (reading only their rows of it)."""
        wanted = set(tables)
        if self._known is not None:
            return wanted & self._known
        return wanted & set(self.store.electors(sorted(wanted))) if wanted else set()

    def known_tables(self) -> set[str]:
        """The whole roll (a bulk reader's check; an action asks :meth:`known_of` its tables)."""
        if self._known is None:
            _areas, roll, _sheets = self.store.frames()
            self._known = set(roll["table"].to_list())
        return self._known

    # -- reading ---------------------------------------------------------------------------

    def cases(self, numbers: Sequence[str]) -> dict[str, Case]:
        events = self.store.case_events(list(numbers))
        missing = [n for n in numbers if not events.get(n)]
        if missing:
            raise NotFound(f"no case {missing[0]!r} on the docket", "number")
        out: dict[str, Case] = {}
        for evs in events.values():
            out.update(rebuild_cases(evs, self.election))
        return out

    def case(self, number: str) -> Case:
        return self.cases([number])[number]

    def listing(self, **filters: str | None) -> list[dict[str, Any]]:
        """Docket rows, filtered by status, kind, filer, grounds, rule, table or overdue (a date)."""
        rows = self.store.case_rows()
        out = []
        for r in rows:
            if filters.get("status") and r["status"] != filters["status"]:
                continue
            if filters.get("kind") and r["kind"] != filters["kind"]:
                continue
            if filters.get("filer") and r["filer"] != filters["filer"]:
                continue
            if filters.get("grounds") and filters["grounds"] not in (r["grounds"], r["grounds"].split(":")[0]):
                continue
            if filters.get("rule") and r["rule"] != filters["rule"]:
                continue
            if filters.get("table") and filters["table"] not in r["tables"].split(","):
                continue
            if filters.get("body"):
                body = "JNE" if r["status"] == "appealed" else "JEE"
                if body != filters["body"] or r["status"] not in OPEN:
                    continue
            overdue = filters.get("overdue")
            if overdue and not (r["status"] == "ruled" and r["appeal_until"] and r["appeal_until"] < overdue):
                continue
            out.append({**r, "tables": r["tables"].split(",") if r["tables"] else []})
        return out

    # -- writing ---------------------------------------------------------------------------

    def _number(self, kind: CaseKind) -> str:
        prefix = PREFIX[kind]
        if prefix not in self._counters:
            self._counters[prefix] = self.store.count_cases(kind.value)
        self._counters[prefix] += 1
        return f"{prefix}-{self._counters[prefix]:06d}"

    def _event(self, type_: str, case: Case, at: datetime, **data: Any) -> PendingEvent:
        """A case event: ``at`` is the time the domain reasons with (the receipt, or a time an
        administrator declared for a past act); ``received_at`` the store's clock when the
        action arrived. Both are in the log, so a reconstructed history is never mistaken for
        a live one."""
        received = (self._received or at).isoformat()
        return PendingEvent(
            type_, {"number": case.number, "at": at.isoformat(), "received_at": received, **data, "summary": summary(case)}
        )

    def _receive(self) -> None:
        """Note the head the action is decided on and the time it is received."""
        self._seen = self.store.head()[0]
        self.clock()

    def open_changes(
        self,
        filings: Iterable[Filing],
        now: datetime | None = None,
        judge: bool = True,
        spent_receipts: Mapping[str, str] | None = None,
    ) -> list[Change]:
        """Open a case per filing and decide its admissibility at once (recorded with the rule).

        With ``judge=False`` the cases are only opened: the dispute body admits or refuses them
        later, by the ``admit`` and ``refuse`` steps (a replay of what the bodies did, when).
        ``spent_receipts`` maps fee receipts already used to their case (see :meth:`spent`);
        a receipt used twice in ``filings`` pays for the first only.
        """
        election = self.election
        parties = election.contest.choice_ids
        filings = list(filings)
        known = self.known_of(t for f in filings for t in f.tables)
        changes: list[Change] = []
        self._receive()
        spent = dict(spent_receipts or {})
        for filing in filings:
            when = now or filing.filed_at
            kind = CaseKind(filing.kind)
            if kind is CaseKind.APPEAL:
                raise RuleError("an appeal is filed against a case: use appeal")
            case = open_case(self._number(kind), filing, election)
            changes.append(Change(case, self._event(EventType.CASE_OPENED, case, filing.filed_at, filing=filing_to(filing))))
            if not judge:
                continue
            refusal = admissibility(
                filing,
                election,
                known_tables=known,
                contest_parties=parties,
                now=max(when, filing.filed_at),
                spent_receipts=spent,
            )
            receipt = (filing.fee_receipt or "").strip()
            if receipt and receipt not in spent:
                spent[receipt] = case.number
            if refusal is None:
                case = admit(case, max(when, filing.filed_at))
                changes.append(Change(case, self._event(EventType.CASE_ADMITTED, case, max(when, filing.filed_at))))
            else:
                ruling = Ruling(
                    f"{case.number}/IMP", DISPUTE_BODY, max(when, filing.filed_at), str(refusal), Effect(EffectKind.DISMISS)
                )
                case = refuse(case, refusal, ruling, max(when, filing.filed_at))
                changes.append(
                    Change(
                        case,
                        self._event(
                            EventType.CASE_REFUSED, case, ruling.date, refusal=refusal_to(refusal), ruling=ruling_to(ruling)
                        ),
                    )
                )
        return changes

    def observation_filings(self, tables: Sequence[str], grounds: Sequence[str], at: datetime) -> list[Filing]:
        """The counting authority sends observed sheets to the dispute body: one case each, on
        its grounds (an observation reason, perhaps with its detail: ``entries_differ: cast``)."""
        return [
            Filing(CaseKind.OBSERVATION, (t,), "ONPE", Role.CLERK, at, grounds=g) for t, g in zip(tables, grounds, strict=True)
        ]

    def observation_events(self, observed: pl.DataFrame, as_of: datetime | None = None) -> list[PendingEvent]:
        """The case events a load appends with its sheets: an observation case for each observed
        sheet (``observed``: columns table, reasons) that has no open case yet.

        The cases are opened at ``as_of`` when the load declares when the sheets reached the
        dispute body (a past election replayed: its rulings then fall after their cases were
        opened), otherwise at the store's clock; the receipt time is recorded beside it either
        way. A declared time before the election or in the future is refused.
        """
        if not observed.height:
            return []
        received = self.clock()
        if as_of is not None:
            problem = declared_time_problem(as_of, self.election, received)
            if problem:
                raise RuleError(f"observation cases: {problem}")
        already = {
            t
            for r in self.store.case_rows(open_only=True)
            if r["kind"] == CaseKind.OBSERVATION.value
            for t in r["tables"].split(",")
        }
        rows = observed.filter(~pl.col("table").is_in(sorted(already)))
        at = as_of or received
        # The grounds: a ``grounds`` column's (a mismatch's names its fields), else the first reason.
        reasons = rows["reasons"].to_list()
        grounds = rows["grounds"].to_list() if "grounds" in rows.columns else [r.split(",")[0] if r else "" for r in reasons]
        filings = self.observation_filings(rows["table"].to_list(), grounds, at)
        return [c.event for c in self.open_changes(filings, at)]

    def step_changes(self, steps: Iterable[Step], refused: list[tuple[Any, ClaimRefused]] | None = None) -> list[Change]:
        """Rulings, appeals, decisions and finalisations: (action, case number, when, ruling or filing).

        With ``refused`` given, a step a rule refuses is listed there and changes nothing (a late
        appeal among hundreds); without it, the first refusal refuses them all.
        """
        steps = list(steps)
        self._receive()  # decisions below are taken on this state
        cases = self.cases(sorted({n for _, n, _, _ in steps}))
        deciding = {n for action, n, _, _ in steps if action in DECIDING}
        tables = sorted({t for n in deciding for t in cases[n].tables})
        single = sorted({cases[n].tables[0] for n in deciding if len(cases[n].tables) == 1})
        self._prefetch = (self.store.sheet_history(tables) if tables else {}, self.store.electors(single) if single else {})
        changes: list[Change] = []
        for step in steps:
            try:
                changes.append(self._transition(cases, *step))
            except ClaimRefused as exc:
                if refused is None:
                    raise
                refused.append((step, exc))
        return changes

    def _transition(self, cases: dict[str, Case], action: Action | str, number: str, at: datetime, arg: Any) -> Change:
        case = cases[number]
        if action == Action.ADMIT:
            case = admit(case, at)
            event = self._event(EventType.CASE_ADMITTED, case, at)
        elif action == Action.REFUSE:
            refusal, ruling = arg
            case = refuse(case, refusal, ruling, at)
            event = self._event(EventType.CASE_REFUSED, case, at, refusal=refusal_to(refusal), ruling=ruling_to(ruling))
        elif action == Action.RULE:
            case = self._with_sheets(rule(case, arg, at, **self._sheet_args(case)))
            event = self._event(EventType.CASE_RULED, case, at, ruling=ruling_to(arg))
        elif action == Action.APPEAL:
            case = appeal(case, arg, at)
            event = self._event(EventType.CASE_APPEALED, case, at, filing=filing_to(arg))
        elif action == Action.DECIDE_APPEAL:
            case = self._with_sheets(decide_appeal(case, arg, at, **self._sheet_args(case)))
            event = self._event(EventType.CASE_APPEAL_DECIDED, case, at, ruling=ruling_to(arg))
        elif action == Action.FINALISE:
            case = finalise(case, at)
            event = self._event(EventType.CASE_FINALISED, case, at)
        else:
            raise RuleError(f"unknown action {action!r}")
        cases[number] = case
        return Change(case, event)

    def _sheet_args(self, case: Case) -> dict[str, Any]:
        """Electors and current sheet of a one-table case, for checking corrected figures
        (:func:`~escrutinio.ledger.cases.checked_against`, the rule ``verify`` replays too)."""
        history, electors = self._prefetch

        def sheet_of(table: str) -> TallySheet | None:
            current = next((v for v in history.get(table, []) if v["current"]), None)
            return None if current is None else _sheet(current)

        return checked_against(case, electors, sheet_of)

    def _with_sheets(self, case: Case) -> Case:
        """``case`` as a decision leaves it, refused (rule ``no_sheet``) when the decision in
        force acts on a table's sheet (counts it as is, corrects it, decides its challenged
        ballots, annuls it) and a table of the case has no sheet yet.

        Why: a ruling decides what a table's sheet counts (DOMAIN.md: a sheet is processed,
        observed, then ruled on; "a sheet may be corrected by a ruling: keep every version").
        Recorded before the sheet, it would change nothing then, and the sheet keyed or loaded
        later would count as processed while the record's cases say otherwise: a record that
        fails ``verify``. The body rules once the sheet is in (keyed, or loaded from a file)."""
        force = effect_in_force(case)
        if force is None or force.effect is None or force.effect.kind not in ON_THE_SHEET:
            return case
        history, _ = self._prefetch
        missing = [t for t in case.tables if not history.get(t)]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            refused = ClaimRefused(
                "no_sheet",
                f"case {case.number}: table {missing[0]}{more} has no sheet yet, and {force.effect.kind} decides what "
                "a sheet counts: rule once its sheet is in (keyed twice or loaded)",
            )
            refused.field = "effect"
            raise refused
        return case

    def commit(self, changes: list[Change], extra: Sequence[PendingEvent] = (), keys: Sequence[str] = ()) -> list[Any]:
        """Append the case events, and the count changes they cause, in one transaction, on
        the head the changes were decided on; ``keys`` are the action's idempotency keys
        (recorded with the events: the same action is never recorded twice)."""
        self._received = None  # the next action is received anew
        if not changes and not extra:
            return []
        latest = {c.case.number: c.case for c in changes}
        events = [*extra, *(c.event for c in changes), *self.count_effect(latest)]
        return self.store.append(events, self.context.actor, expect_seq=self._seen, keys=keys)

    def count_effect(self, changed: dict[str, Case]) -> list[PendingEvent]:
        """The sheet records that bring each touched table to what all its cases decide."""
        tables = sorted(self.known_of(t for c in changed.values() for t in c.tables))
        if not tables:
            return []
        others = [n for n in self.store.cases_on_tables(tables) if n not in changed]
        cases = {**(self.cases(others) if others else {}), **changed}
        history = self.store.sheet_history(tables)
        base: dict[str, tuple[SheetState, TallySheet | None]] = {}
        current: dict[str, dict[str, Any]] = {}
        top: dict[str, int] = {}
        for t in tables:
            versions = history[t]
            if not versions:
                continue
            processed = [v for v in versions if not v["basis"].startswith("ruling:")] or versions[:1]
            base[t] = (SheetState(processed[-1]["state"]), _sheet(processed[-1]))
            current[t] = next(v for v in versions if v["current"])
            top[t] = versions[-1]["version"]
        outcomes = table_outcomes(cases.values(), base, self.election)
        choices = self.election.contest.choice_ids
        rows = []
        for t, out in outcomes.items():
            sheet = out.sheet or base[t][1]
            cur = current[t]
            if sheet is None or (out.state.value == cur["state"] and _counts(sheet) == _counts(_sheet(cur))):
                continue
            basis = f"ruling:{','.join(out.cases)}"[:120] + (":under_appeal" if out.under_appeal else "")
            rows.append(
                {
                    "table": t,
                    "version": top[t] + 1,
                    "state": out.state.value,
                    "reasons": cur["reasons"],
                    "basis": basis[:128],
                    "line": None,
                    tf.CAST: sheet.cast,
                    tf.BLANK: sheet.blank,
                    tf.NULL: sheet.null,
                    tf.CHALLENGED: sheet.challenged,
                    **{tf.choice_column(c): v for c, v in zip(choices, sheet.votes, strict=True)},
                }
            )
        if not rows:
            return []
        frame = pl.DataFrame(rows, schema_overrides={"line": pl.Int64})
        return [
            PendingEvent(
                EventType.SHEETS_RECORDED, {"source": {"cases": sorted(changed)}, "sheets": to_payload(frame, self.election)}
            )
        ]

    # -- user actions ----------------------------------------------------------------------

    def file(
        self,
        filings: Sequence[Filing],
        now: datetime | None = None,
        judge: bool = True,
        *,
        keys: Sequence[str] = (),
        spent_receipts: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Open (and, with ``judge``, admit or refuse) a case per filing, in one transaction."""
        changes = self.open_changes(filings, now, judge, spent_receipts)
        self.commit(changes, keys=keys)
        last: dict[str, Case] = {c.case.number: c.case for c in changes}
        return [summary(c) for c in last.values()]

    def act(
        self, steps: Sequence[Step], refused: list[tuple[Any, ClaimRefused]] | None = None, *, keys: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Admit, refuse, rule, appeal, decide or finalise: each step a transition, all in one transaction."""
        changes = self.step_changes(steps, refused)
        self.commit(changes, keys=keys)
        last: dict[str, Case] = {c.case.number: c.case for c in changes}
        return [summary(c) for c in last.values()]

    def spent(self, receipts: Iterable[str]) -> dict[str, str]:
        """Which of ``receipts`` already paid for a case, and which case (a receipt pays for one)."""
        wanted = {r.strip() for r in receipts if r and r.strip()}
        if not wanted:
            return {}
        out: dict[str, str] = {}
        # Oldest first: the first case that presented a receipt is the one it paid for.
        for event in self.store.events_of_type(EventType.CASE_OPENED):
            receipt = (event.data["filing"].get("fee_receipt") or "").strip()
            if receipt in wanted and receipt not in out:
                out[receipt] = event.data["number"]
        return out

    def finalise_due(self, now: datetime, *, keys: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Close every ruled case whose appeal window has passed."""
        due = [r["number"] for r in self.store.case_rows() if r["status"] in ("ruled", "inadmissible") and r["appeal_until"]]
        cases = self.cases(due) if due else {}
        steps: list[Step] = [
            (Action.FINALISE, n, now, None)
            for n, c in cases.items()
            if c.status is CaseStatus.RULED and c.appeal_until and c.appeal_until < now
        ]
        return self.act(steps, keys=keys) if steps else []

    def open_claims(self) -> list[tuple[str, tuple[str, ...], EffectKind, Any]]:
        """Open cases as stakes sees them, from the docket rows (no case is rebuilt): a nullity
        request or own-motion case asks for annulment; an observation or challenged ballots
        ask for the sheet to count."""
        asks = {
            CaseKind.NULLITY_REQUEST.value: EffectKind.ANNUL,
            CaseKind.OWN_MOTION.value: EffectKind.ANNUL,
            CaseKind.OBSERVATION.value: EffectKind.COUNT_AS_IS,
            CaseKind.CHALLENGED_BALLOTS.value: EffectKind.COUNT_AS_IS,
        }
        reader = getattr(self.context, "reader", None)  # the session's read-only connection: 30x faster on SQLite
        if reader is not None:
            rows = reader.open_cases()
        else:
            rows = [(r["number"], r["kind"], r["tables"]) for r in self.store.case_rows(open_only=True)]
        return [(number, tuple(tables.split(",")), asks[kind], None) for number, kind, tables in rows]


def _sheet(row: dict[str, Any]) -> TallySheet:
    import orjson

    return TallySheet(
        row["table_id"],
        tuple(orjson.loads(row["votes"])),
        row["blank"],
        row["null_votes"],
        row["challenged"],
        row["ballots_cast"],
    )


def _counts(sheet: TallySheet) -> tuple[int, ...]:
    return sheet.counts
