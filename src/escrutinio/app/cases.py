"""The docket as the application offers it: file, import, rule, appeal, decide, finalise, list,
show and fetch evidence (``session.cases``).

Why a layer over :class:`escrutinio.disputes.service.Disputes`: the docket decides cases; this
decides what a person's request means in time and identity, the same way for every skin.

- *Time.* A filing's time is the store's clock when it is received, never what the filer
  writes on it; every ruling, appeal and finalisation is likewise stamped by the store.
  Reconstructing history (a paper filing received earlier, a past election replayed) is an
  administrator's action (``declared_at``): the declared time is recorded beside the time of
  receipt, both in the log and in :meth:`CasesService.show`, and a declared time before the
  election or after the receipt is refused.
- *Idempotency.* Every write carries a key when it has one (``key`` for a single action; the
  content of each row for an import), so a rerun after a kill or a double submission records
  nothing twice; every write names the head it was decided on, and is refused whole ("the
  store changed ...; retry") if another write landed first.
- *Money.* A fee receipt pays for one case: a second case presenting it is inadmissible, and
  the refusal names the case that used it.
- *Evidence* goes into the store's content-addressed blob store; events carry the hashes.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.app.access import check_role, naming
from escrutinio.domain import claims
from escrutinio.domain.claims import FILE_ACTION, FILED_BY, Action, CaseKind, EffectKind, Filing, filing_target
from escrutinio.domain.errors import AlreadyDone, EscrutinioError, InputError, Place, Problem, StaleState
from escrutinio.domain.roles import Action as Act
from escrutinio.domain.roles import Role
from escrutinio.domain.rows import Rows
from escrutinio.ledger.cases import DOCKET_COLUMNS
from escrutinio.ledger.claims_codec import effect_to
from escrutinio.ledger.events import EventType

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.disputes.service import Disputes, Step
    from escrutinio.ledger.events import Event


REQUESTED = {
    CaseKind.NULLITY_REQUEST: EffectKind.ANNUL,
    CaseKind.OWN_MOTION: EffectKind.ANNUL,
    CaseKind.OBSERVATION: EffectKind.COUNT_AS_IS,
    CaseKind.CHALLENGED_BALLOTS: EffectKind.DECIDE_CHALLENGED,
}
"""What each kind of case asks for when the filer does not say."""

CHECK_FIELDS = {
    "unknown_table": "tables",
    "no_standing": "filer",
    "grounds": "grounds",
    "late": "deadline",
    "no_fee": "fee_receipt",
    "party": "filer",
    "body": "filer",
    "area": "tables",
}
"""The form field each refusal rule is about (:meth:`CasesService.check`; ``body``: an own-motion
case filed in the name of a body its judge does not sit on); the others (role, malformed) are
about the filing as a whole."""

FEE_KEY = "fee-receipt:"
IMPORT_ATTEMPTS = 3
"""How often an import looks again when another write lands while it is prepared."""


@dataclass(frozen=True)
class Written:
    """What a write left: the docket rows of the cases it touched.

    ``already_done`` is the event at which the same action (same key) was recorded before: then
    nothing was written now, and ``cases`` is empty (:meth:`to_dict` says ``already_done: true``
    and that ``event``, as an entry's answer does). ``skipped`` counts the rows of an import
    already on the docket (an earlier run of the same or an overlapping file).
    """

    cases: list[dict[str, Any]] = field(default_factory=list)
    already_done: int | None = None
    skipped: int = 0
    source: str | None = None

    def by_rule(self) -> dict[str, int]:
        """How many cases were admitted and how many refused, by rule."""
        out: dict[str, int] = {}
        for row in self.cases:
            key = row["rule"] or row["status"]
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "already_done": self.already_done is not None,  # as an entry's answer says it
            **({"event": self.already_done} if self.already_done is not None else {}),
            "skipped": self.skipped,
            "source": self.source,
            "by_rule": self.by_rule(),
        }


@dataclass(frozen=True)
class Decision:
    """A body's decision as the application takes it: the resolution number, what it does to the
    count, the reasoning; ``body`` defaults to the case's own body for the instance (its dispute
    body for a ruling, its appeals body for an appeal), which the election's cases carry."""

    resolution: str
    effect: claims.Effect
    reasoning: str = ""
    body: str | None = None

    def __post_init__(self) -> None:
        """A ruling without its resolution number cannot be cited nor appealed: whichever skin
        builds the decision (CLI, API, web), a blank one is refused here, before anything is read
        or written."""
        resolution = self.resolution.strip()
        if not resolution:
            raise InputError([Problem(Place("resolution"), "a decision needs its resolution number (e.g. 0123-2026-JEE)")])
        object.__setattr__(self, "resolution", resolution)


Request = tuple[str, Mapping[str, Any], Mapping[str, Any]]
"""What a keyed action's recorded event is checked against: its type, the parts of its data that
say what was asked (read from the event), and what this request asks."""
Same = Callable[["Event"], Request]

DECIDED = {Action.RULE: EventType.CASE_RULED, Action.DECIDE_APPEAL: EventType.CASE_APPEAL_DECIDED}
"""The event each decision is recorded as."""


def _digests(files: Sequence[Path]) -> list[str]:
    """The SHA-256 of each evidence file (as the blob store keeps it), read only to compare a
    resent request with the one its key recorded; an unreadable file is refused as when filed."""
    out = []
    for f in files:
        try:
            out.append(hashlib.sha256(f.read_bytes()).hexdigest())
        except OSError as exc:
            raise EscrutinioError(f"evidence {f}: cannot read ({exc.strerror})", field="evidence") from None
    return out


def is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class CasesService:
    """The docket of one store, for the session's actor."""

    def __init__(self, context: SessionContext) -> None:
        self.context = context

    @property
    def disputes(self) -> Disputes:
        """A docket service per action: it holds the head and receipt time of one decision."""
        return self.disputes_at(None)

    def disputes_at(self, received: datetime | None) -> Disputes:
        """A docket service for an action received at ``received`` (None: read the store's clock)."""
        from escrutinio.disputes.service import Disputes

        return Disputes(self.context, received=received)

    # -- time ------------------------------------------------------------------------------

    def _moment(self, disputes: Disputes, declared_at: datetime | None, what: str) -> datetime:
        """The time an action takes effect: the store's clock, or a declared time of the past."""
        received = disputes.clock()
        if declared_at is None:
            return received
        # Declaring when something was filed or decided reconstructs history: the
        # administrator's alone; an ordinary action takes the store's clock when received.
        with naming(role="declared_at"):
            self.context.require(Act.DECLARE_TIME)
        problem = claims.declared_time_problem(declared_at, disputes.election, received)
        if problem:
            raise EscrutinioError(f"{what}: {problem}", field=what)
        return declared_at

    def _receive(
        self, action: str, key: str | None, declared_at: datetime | None, same: Same
    ) -> Written | tuple[list[str], Disputes, datetime]:
        """Start an action: its keys, the docket it is decided on and its time; or, when its
        key is already recorded, what says so (nothing more is done) once ``same`` finds the
        recorded event is this request's (a key reused for another request is refused)."""
        keys = self._keys(action, key)
        done = self._already(keys)
        if done is not None:
            return self._replay(keys, done, same)
        disputes = self.disputes
        return keys, disputes, self._moment(disputes, declared_at, "declared_at")

    def _replay(self, keys: list[str], seq: int, same: Same) -> Written:
        """The answer to a request whose key marks event ``seq``: it was done before, when the
        event records this very request (:mod:`escrutinio.app.idempotency`)."""
        from escrutinio.app.idempotency import replayed

        event = self.context.store.event_at(seq)
        kind, recorded, asked = same(event)
        key = keys[0].split(":", 1)[1]
        replayed(event, kind, recorded, asked, key=key, field="key", actor=str(self.context.actor))
        return Written(already_done=seq)

    # -- writing ---------------------------------------------------------------------------

    def file(
        self,
        *,
        tables: Sequence[str],
        filer: str,
        kind: CaseKind = CaseKind.NULLITY_REQUEST,
        grounds: str = "",
        fee_receipt: str | None = None,
        evidence: Sequence[Path] = (),
        requested: EffectKind | None = None,
        key: str | None = None,
        declared_at: datetime | None = None,
    ) -> Written:
        """File a case (admissibility is decided at once, on the time of receipt)."""
        if kind is CaseKind.APPEAL:
            raise EscrutinioError("kind: an appeal is filed against a case: use appeal", field="kind")
        # Who first, then what (401, 403, 422): a representative opening an own-motion case is
        # refused for their role, never told how its grounds must be spelled (review10d #5).
        check_role(self.context.principal, [FILE_ACTION[kind]], f"open {_a(kind.value)}")
        if kind in (CaseKind.NULLITY_REQUEST, CaseKind.OWN_MOTION) and not grounds:
            allowed = ", ".join(self.context.election().claims.grounds) or "none"
            raise EscrutinioError(f"grounds: {_a(kind.value)} names its grounds (this election's: {allowed})", field="grounds")
        if not tables:
            raise EscrutinioError("table: name at least one table", field="table")
        self._require_filing(kind, tables, filer)
        receipt = (fee_receipt or "").strip() or None
        wanted = requested or REQUESTED[kind]

        def same(event: Event) -> Request:
            asked = {"kind": kind.value, "tables": list(tables), "filer": filer, "grounds": grounds, "fee_receipt": receipt}
            asked |= {"requested": wanted.value, "evidence": _digests(evidence)}
            return EventType.CASE_OPENED, event.data.get("filing") or {}, asked

        received = self._receive("file", key, declared_at, same)
        if isinstance(received, Written):
            return received
        keys, disputes, at = received
        filing = Filing(
            kind,
            tuple(tables),
            filer,
            FILED_BY[kind],
            at,
            grounds=grounds,
            fee_receipt=receipt,
            evidence=self._blobs(evidence),
            requested=wanted,
        )
        return self._once(keys, lambda: self._file(disputes, [filing], keys), same)

    def rules(self) -> dict[str, Any]:
        """The election's claim rules as a filing form shows them before anything is typed: the
        deadline, the fee per table, the grounds (and which must be raised at the table on
        election day), the appeal window, and the store's clock that filings are judged on."""
        election = self.context.election()
        rules = election.claims
        return {
            "now": self.disputes.clock().isoformat(),
            "election_day": election.date.isoformat(),
            "timezone": election.timezone,
            "deadline": rules.deadline.isoformat() if rules.deadline else None,
            "fee_per_table": rules.fee_per_table,
            "fee_currency": rules.fee_currency,
            "grounds": list(rules.grounds),
            "table_grounds": sorted(g for g in rules.grounds if g in claims.TABLE_GROUNDS),
            "appeal_days": rules.appeal_days,
            "parties": list(election.contest.choice_ids),
        }

    def check(
        self,
        *,
        tables: Sequence[str],
        filer: str,
        kind: CaseKind = CaseKind.NULLITY_REQUEST,
        grounds: str = "",
        fee_receipt: str | None = None,
    ) -> dict[str, Any]:
        """What filing this case now would meet, without writing anything: every rule it would
        break, each with the form field at fault (``tables``, ``filer``, ``grounds``,
        ``fee_receipt``, ``deadline``; None for the filing as a whole), the principal's own
        access first (``access``: a rule of the principal's role and scope, not of claims).
        A filing that breaks a claim rule is still recorded when filed (as inadmissible, with
        its rule): checking first lets a filer fix what can be fixed."""
        from escrutinio.domain.roles import AccessDenied

        problems: list[dict[str, Any]] = []
        try:
            self._require_filing(kind, tables, filer)
        except AccessDenied as exc:
            problems.append({"rule": exc.rule, "field": CHECK_FIELDS.get(exc.rule), "message": exc.message, "access": True})
        disputes = self.disputes
        at = disputes.clock()
        receipt = (fee_receipt or "").strip() or None
        filing = Filing(kind, tuple(tables), filer, FILED_BY[kind], at, grounds=grounds, fee_receipt=receipt)
        election = disputes.election
        found = claims.refusals(
            filing,
            election,
            known_tables=disputes.known_of(tables),
            contest_parties=election.contest.choice_ids,
            now=at,
            spent_receipts=self._spent(disputes, [receipt or ""]),
        )
        problems += [{"rule": r.rule, "field": CHECK_FIELDS.get(r.rule), "message": r.message, "access": False} for r in found]
        return {"at": at.isoformat(), "admissible": not problems, "problems": problems}

    def worklist(self) -> list[dict[str, Any]]:
        """The open cases the session's principal may decide: a dispute-body judge's cases awaiting
        a ruling (their body, tables within their area), an appeals judge's appealed cases; the
        administrator's, both. Each docket row gains ``action`` (``rule`` or ``decide_appeal``)."""
        from escrutinio.domain.roles import MAY, AccessDenied

        rows = self.disputes.listing()
        role = self.context.principal.role
        wanted = [
            (status, act, body)
            for status, act, body in (
                (("filed", "admitted"), Act.RULE, claims.DISPUTE_BODY),
                (("appealed",), Act.DECIDE_APPEAL, claims.APPEALS_BODY),
            )
            if role in MAY[act]
        ]
        tables = sorted({t for r in rows for t in r["tables"]})
        areas = self.context.store.table_areas(tables) if tables and self.context.principal.area else {}
        out = []
        for row in rows:
            for statuses, act, body in wanted:
                if row["status"] not in statuses:
                    continue
                try:
                    self.context.require_areas(act, [areas.get(t) for t in row["tables"]], body=body)
                except AccessDenied:
                    continue
                out.append({**row, "action": "rule" if act is Act.RULE else "decide_appeal", "body": body})
        return out

    def import_csv(self, path: Path, *, declared: bool = False) -> Written:
        """File every nullity request of a bulk-filing CSV in one transaction, each judged on its
        own; rows already on the docket (same content, from this or another file) are skipped.

        ``declared``: an administrator reconstructing history; every row then states its
        ``filed_at`` (checked as any declared time). Otherwise the rows leave it empty and are
        filed at the time of receipt.
        """
        from escrutinio.disputes.requests_csv import read_requests

        disputes = self.disputes
        received = disputes.clock()
        if declared:
            self._moment(disputes, received, "declared")  # the role check
        from escrutinio.formats.text import decode, read_bytes

        data = read_bytes(path)
        text = decode(data, str(path), "utf-8", "save it as UTF-8")
        zone = disputes.election.zone
        rows = read_requests(path, text, received=None if declared else received, zone=zone)
        for filer in sorted({r.filing.filer for r in rows}):
            tables = [t for r in rows if r.filing.filer == filer for t in r.filing.tables]
            self._require_filing(CaseKind.NULLITY_REQUEST, tables, filer)
        if declared:
            for row in rows:
                problem = claims.declared_time_problem(row.filing.filed_at, disputes.election, received)
                if problem:
                    raise EscrutinioError(f"{path}:{row.line}:filed_at: {problem}")
        source = f"{path} (sha256 {hashlib.sha256(data).hexdigest()[:12]})"
        for attempt in range(IMPORT_ATTEMPTS):
            done = self.context.store.known_keys([r.key for r in rows]) if rows else {}
            new = [r for r in rows if r.key not in done]
            if not new:
                return Written(skipped=len(rows), source=source)
            try:
                written = self._file(self.disputes_at(received), [r.filing for r in new], [r.key for r in new])
            except (StaleState, AlreadyDone):
                # Another write landed meanwhile (perhaps this very file, imported at once by
                # someone else): look again at what is done and file the rest.
                if attempt == IMPORT_ATTEMPTS - 1:
                    raise
                continue
            return Written(cases=written, skipped=len(rows) - len(new), source=source)
        raise AssertionError("unreachable")

    def _file(self, disputes: Disputes, filings: list[Filing], keys: list[str]) -> list[dict[str, Any]]:
        """Open and judge the cases; a receipt pays for one case (first come, first served)."""
        receipts = [(f.fee_receipt or "").strip() for f in filings]
        spent = self._spent(disputes, receipts)
        paying: dict[str, str] = {}
        for receipt in receipts:
            if receipt and receipt not in spent and receipt not in paying:
                paying[receipt] = FEE_KEY + receipt
        try:
            return disputes.file(filings, keys=[*keys, *paying.values()], spent_receipts=spent)
        except AlreadyDone as exc:
            if exc.key.startswith(FEE_KEY):
                used = exc.key.removeprefix(FEE_KEY)
                raise StaleState(
                    None, exc.seq, f"fee receipt {used!r} was used by another filing meanwhile: nothing was written; retry"
                ) from None
            raise

    def _spent(self, disputes: Disputes, receipts: Sequence[str]) -> dict[str, str]:
        wanted = [FEE_KEY + r for r in dict.fromkeys(receipts) if r]
        if not wanted:
            return {}
        used = self.context.store.known_keys(wanted)
        if not used:
            return {}
        return disputes.spent(k.removeprefix(FEE_KEY) for k in used)

    def check_area(self, number: str, action: Act) -> None:
        """Refuse, before a request's body is read, ``action`` on case ``number`` when its tables
        lie outside the principal's area (the party or body it acts for is judged with the
        request, as :meth:`rule`, :meth:`decide` and :meth:`appeal` do): a skin asks it first,
        so a refused caller is told so, never how the request must be spelled."""
        principal = self.context.principal
        with naming(area="number"):
            tables = self.disputes.case(number).tables
            self.context.require_tables(action, tables, party=principal.party, body=principal.body)

    def rule(self, number: str, decision: Decision, *, key: str | None = None, declared_at: datetime | None = None) -> Written:
        """Rule on a case (first instance: the case's dispute body unless the decision names one)."""
        return self._decide(Action.RULE, number, decision, key, declared_at)

    def decide(self, number: str, decision: Decision, *, key: str | None = None, declared_at: datetime | None = None) -> Written:
        """Decide an appeal (the case's appeals body): confirm or reverse."""
        return self._decide(Action.DECIDE_APPEAL, number, decision, key, declared_at)

    def _decide(self, action: Action, number: str, decision: Decision, key: str | None, declared_at: datetime | None) -> Written:
        case = self.disputes.case(number)
        body = decision.body or (case.dispute_body if action is Action.RULE else case.appeals_body)
        with naming(area="number", body="body"):
            self.context.require_tables(Act.RULE if action is Action.RULE else Act.DECIDE_APPEAL, case.tables, body=body)

        def same(event: Event) -> Request:
            ruling = event.data.get("ruling") or {}
            recorded = {k: ruling.get(k) for k in ("resolution", "body", "reasoning", "effect")}
            recorded["number"] = event.data.get("number")
            asked = {"number": number, "resolution": decision.resolution, "body": body, "reasoning": decision.reasoning}
            return DECIDED[action], recorded, {**asked, "effect": effect_to(decision.effect)}

        received = self._receive(str(action), key, declared_at, same)
        if isinstance(received, Written):
            return received
        keys, disputes, at = received
        case = disputes.case(number)
        ruling = claims.Ruling(decision.resolution, body, at, decision.reasoning, decision.effect)
        return self._once(keys, lambda: disputes.act([(action, number, at, ruling)], keys=keys), same)

    def appeal(
        self,
        number: str,
        *,
        filer: str,
        evidence: Sequence[Path] = (),
        key: str | None = None,
        declared_at: datetime | None = None,
    ) -> Written:
        """Appeal the decision on a case to its appeals body, within the appeal window."""
        with naming(area="number", party="filer"):
            tables = self.disputes.case(number).tables
            self.context.require_tables(FILE_ACTION[CaseKind.APPEAL], tables, **filing_target(CaseKind.APPEAL, filer))

        def same(event: Event) -> Request:
            filing = event.data.get("filing") or {}
            recorded = {"number": event.data.get("number"), "filer": filing.get("filer"), "evidence": filing.get("evidence")}
            return EventType.CASE_APPEALED, recorded, {"number": number, "filer": filer, "evidence": _digests(evidence)}

        received = self._receive("appeal", key, declared_at, same)
        if isinstance(received, Written):
            return received
        keys, disputes, at = received
        case = disputes.case(number)
        filing = Filing(
            CaseKind.APPEAL,
            case.tables,
            filer,
            Role.REPRESENTATIVE,
            at,
            evidence=self._blobs(evidence),
            appeal_of=number,
        )
        return self._once(keys, lambda: disputes.act([(Action.APPEAL, number, at, filing)], keys=keys), same)

    def finalise(self, *, key: str | None = None, declared_at: datetime | None = None) -> Written:
        """Make final every ruling whose appeal window has closed with no appeal."""
        with naming():
            self.context.require(Act.FINALISE)

        def same(event: Event) -> Request:
            return EventType.CASE_FINALISED, {}, {}

        received = self._receive("finalise", key, declared_at, same)
        if isinstance(received, Written):
            return received
        keys, disputes, at = received
        return self._once(keys, lambda: disputes.finalise_due(at, keys=keys), same)

    # -- history (an administrator's reconstruction) ---------------------------------------

    def reconstruct_filings(self, filings: Sequence[Filing], *, judge: bool = True) -> Written:
        """Record filings received in the past, each at its declared ``filed_at``; with
        ``judge=False`` admissibility is left to later ``admit``/``refuse`` steps (what the
        bodies did, when: see :meth:`reconstruct`)."""
        disputes = self.disputes
        for f in filings:
            self._moment(disputes, f.filed_at, f"filing on {','.join(f.tables)}")
        if not judge:
            return Written(cases=disputes.file(filings, judge=False))
        return Written(cases=self._file(disputes, list(filings), []))

    def reconstruct(self, steps: Sequence[Step], refused: list[tuple[Any, claims.ClaimRefused]] | None = None) -> Written:
        """Record what bodies and parties did to cases in the past, each step at its declared
        time, in one transaction; with ``refused`` a step a rule refuses is listed there and the
        others are recorded (a late appeal among hundreds)."""
        disputes = self.disputes
        for _action, number, at, _arg in steps:
            self._moment(disputes, at, f"case {number}")
        return Written(cases=disputes.act(steps, refused))

    # -- reading ---------------------------------------------------------------------------

    def listing(
        self,
        *,
        status: claims.CaseStatus | None = None,
        kind: CaseKind | None = None,
        filer: str | None = None,
        grounds: str | None = None,
        rule: str | None = None,
        table: str | None = None,
        body: str | None = None,
        overdue: datetime | None = None,
        area: str | None = None,
    ) -> list[dict[str, Any]]:
        """Docket rows, filtered; ``overdue``: ruled cases whose appeal window closed before it;
        ``area``: cases on at least one table within that area (a department, a district...)."""
        rows = self.disputes.listing(
            status=status.value if status else None,
            kind=kind.value if kind else None,
            filer=filer,
            grounds=grounds,
            rule=rule,
            table=table,
            body=body,
            overdue=overdue.isoformat() if overdue else None,
        )
        return Rows(rows if area is None else self._within(rows, area), (*DOCKET_COLUMNS, "updated_seq"))

    def _within(self, rows: list[dict[str, Any]], area: str) -> list[dict[str, Any]]:
        """The rows with a table inside ``area``. An unknown area is bad input (the API's 422
        naming ``area``), not a missing thing: the docket exists, the filter names nothing."""
        store = self.context.store
        parents = {code: parent for code, _depth, _kind, _name, parent in self.context.reader.areas()}
        country = self.context.election().country
        if area != country and area not in parents:
            raise InputError([Problem(Place("area"), f"no area {area!r} in this election (national code: {country})")])
        located = store.table_areas(sorted({t for r in rows for t in r["tables"]}))

        def inside(table: str) -> bool:
            code = located.get(table)
            while code is not None and code != area:
                code = parents.get(code)
            return code == area or (area == country and table in located)

        return [r for r in rows if any(inside(t) for t in r["tables"])]

    def show(self, number: str) -> dict[str, Any]:
        """One case: its docket row, filing, refusal, rulings, appeals, and its whole history,
        each step with the time it took effect and the time the store received it."""
        from escrutinio.ledger.cases import summary
        from escrutinio.ledger.claims_codec import filing_to, ruling_to

        disputes = self.disputes
        case = disputes.case(number)
        events = self.context.store.case_events([number])[number]
        history = []
        for entry, event in zip(case.history, events, strict=True):
            received = event.data.get("received_at") or event.at
            history.append(
                {
                    "at": entry.at.isoformat(),
                    "received_at": received,
                    "declared": datetime.fromisoformat(received) != entry.at,
                    "status": entry.status.value,
                    "note": entry.note,
                    "event": event.seq,
                    "actor": event.actor,
                }
            )
        return {
            **summary(case),
            "tables": list(case.tables),
            "filing": filing_to(case.filing),
            "refusal": {"rule": case.refusal.rule, "message": case.refusal.message} if case.refusal else None,
            "rulings": [ruling_to(r) for r in case.rulings],
            "appeals": [filing_to(a) for a in case.appeals],
            "history": history,
        }

    def evidence(self, sha256: str) -> bytes:
        """An evidence file by its SHA-256 (as a filing or an appeal names it), checked as read."""
        digest = sha256.strip().lower()
        if not is_sha256(digest):
            raise EscrutinioError(f"evidence: expected a SHA-256 (64 hex digits), got {sha256!r}")
        return self.context.store.blob(digest)

    def evidence_files(self, number: str) -> list[dict[str, Any]]:
        """Every evidence file of a case (its filing's, then its appeals'), with what the store
        knows of each: media type, size, when it was received."""
        case = self.disputes.case(number)
        digests = dict.fromkeys([*case.filing.evidence, *(e for a in case.appeals for e in a.evidence)])
        out = []
        for digest in digests:
            info = self.context.store.blob_info(digest)
            out.append({"sha256": digest, "media_type": info.media_type, "size": info.size, "received_at": info.at})
        return out

    # -- helpers ---------------------------------------------------------------------------

    def _require_filing(self, kind: CaseKind, tables: Sequence[str], filer: str) -> None:
        """Refuse a filing its principal may not make: a representative files for their party,
        a judge opens own-motion cases in the name of the body they sit on (the ``filer``: a
        judge of the JEE opened one as the JNE), each within their area. The refusal names the
        field at fault (``filer``, ``tables``)."""
        with naming(party="filer", body="filer", area="tables"):
            self.context.require_tables(FILE_ACTION[kind], tables, **filing_target(kind, filer))

    def _blobs(self, files: Sequence[Path]) -> tuple[str, ...]:
        """Put each evidence file in the blob store; the filing names them by hash.

        A blob written before a write that then fails is harmless: content-addressed, it is
        only ever reached through an event that names it.
        """
        digests = []
        for f in files:
            try:
                data = f.read_bytes()
            except OSError as exc:
                raise EscrutinioError(f"evidence {f}: cannot read ({exc.strerror})", field="evidence") from None
            media = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
            digests.append(self.context.store.put_blob(data, media))
        return tuple(digests)

    @staticmethod
    def _keys(action: str, key: str | None) -> list[str]:
        if key is None:
            return []
        key = key.strip()
        if not key:
            raise EscrutinioError("key: expected a non-empty idempotency key", field="key")
        return [f"cases.{action}:{key}"]

    def _once(self, keys: list[str], write: Callable[[], list[dict[str, Any]]], same: Same) -> Written:
        """Run a keyed write; if the same key landed meanwhile (a double submission racing this
        one), report that instead of an error: the action is done, once (when that key's event
        records this same request)."""
        try:
            return Written(cases=write())
        except AlreadyDone as exc:
            if exc.key in keys:
                return self._replay(keys, exc.seq, same)
            raise

    def _already(self, keys: list[str]) -> int | None:
        if not keys:
            return None
        return self.context.store.known_keys(keys).get(keys[0])


def _a(word: str) -> str:
    """``word`` (a kind of case, as the API spells it) after its article: "an own_motion", "a
    nullity_request"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
