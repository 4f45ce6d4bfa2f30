"""Claims (disputes): filings, their admissibility, the case state machine and ruling effects.

A party representative (personero), the dispute body (JEE) or the counting authority (ONPE)
submits a :class:`Filing`; :func:`admissibility` says which rule, if any, refuses it. An
accepted filing becomes a :class:`Case` whose life is a sequence of pure transitions::

    filed ─admit─> admitted ─rule─> ruled ─finalise (window closed)─────────> final
      │                               └─appeal─> appealed ─decide_appeal──> final
      └─refuse─> inadmissible ─appeal─> appealed ─decide_appeal (reverse)─> admitted (remanded)
               └─finalise──────────────────────────────────────────────────> final

Each transition returns a new Case (with one more history entry) or raises
:class:`ClaimRefused`, a :class:`RuleError` whose ``rule`` names what refused it. Nothing here
reads a clock: every function takes the time it should reason about, so a replayed log gives
the same answers years later.

What the count does with a table follows from the rulings *in force* on it: only a final
ruling changes the count for good; a ruling that can still be appealed, or is under appeal,
is applied provisionally and says so (``under_appeal``), so the results can show it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from escrutinio.domain import roles
from escrutinio.domain.election import Election
from escrutinio.domain.errors import Conflict, RuleError
from escrutinio.domain.ids import CaseNumber, TableId
from escrutinio.domain.roles import WHO, Role, filer_role
from escrutinio.domain.sheet import MAX_COUNT, Reason, SheetState, TallySheet

DISPUTE_BODY = "JEE"
"""First instance (Jurado Electoral Especial): rules on observed sheets and nullity requests."""
APPEALS_BODY = "JNE"
"""Appeals body (Jurado Nacional de Elecciones, plenary): hears appeals, its decision is final."""
COUNTING_AUTHORITY = "ONPE"
"""Counting authority: opens observations and sends challenged ballots to the dispute body."""

TABLE_GROUNDS = frozenset({"a", "c", "d"})
"""Nullity grounds knowable at the table (LOE art. 363 a, c, d): they must be raised at the
table on election day. Only (b), fraud or violence to tilt the vote, may be filed until the
claim deadline. Peru's lettering; another election passes its own set to :func:`admissibility`."""

NULL_CHOICE = "null"
"""Key of :attr:`Effect.decided` for challenged ballots the body declares null."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CaseKind(StrEnum):
    OBSERVATION = "observation"  # acta observada: the counting authority could not count the sheet
    NULLITY_REQUEST = "nullity_request"  # pedido de nulidad de mesa (LOE art. 363)
    CHALLENGED_BALLOTS = "challenged_ballots"  # votos impugnados sent to the dispute body
    APPEAL = "appeal"  # recurso de apelación (a filing only: it joins the case it appeals)
    OWN_MOTION = "own_motion"  # nulidad de oficio: the dispute body acts without a claimant


FILED_BY: dict[CaseKind, Role] = {
    CaseKind.NULLITY_REQUEST: Role.REPRESENTATIVE,
    CaseKind.APPEAL: Role.REPRESENTATIVE,
    CaseKind.OWN_MOTION: Role.JUDGE,
    CaseKind.OBSERVATION: Role.CLERK,
    CaseKind.CHALLENGED_BALLOTS: Role.CLERK,
}
"""Who files each kind of case, in the roles' one vocabulary (a case a dispute body opens of its
own motion is its judge's; the counting authority's observations are its clerks')."""

FILE_ACTION: Mapping[CaseKind, roles.Action] = {
    CaseKind.NULLITY_REQUEST: roles.Action.FILE_CLAIM,
    CaseKind.OWN_MOTION: roles.Action.OPEN_OWN_MOTION,
    CaseKind.OBSERVATION: roles.Action.OPEN_OBSERVATION,
    CaseKind.CHALLENGED_BALLOTS: roles.Action.OPEN_OBSERVATION,
    CaseKind.APPEAL: roles.Action.APPEAL,
}
"""The action (``domain/roles.py``) filing each kind of case is: who may file it. One table for
the application, which asks it before it writes, and the replay, which asks it of every
``case.opened`` and ``case.appealed`` of a record."""


def filing_target(kind: CaseKind | str, filer: str) -> dict[str, str | None]:
    """The scope a filing acts in besides its tables' areas (``roles.refusal``'s ``party`` and
    ``body``): a representative files for the party named as filer, a judge opens own-motion
    cases in the name of the body named as filer."""
    kind = CaseKind(kind)
    party = filer if kind in (CaseKind.NULLITY_REQUEST, CaseKind.APPEAL) else None
    body = filer if kind is CaseKind.OWN_MOTION else None
    return {"party": party, "body": body}


class CaseStatus(StrEnum):
    FILED = "filed"
    ADMITTED = "admitted"
    INADMISSIBLE = "inadmissible"  # improcedente: late, unpaid, no standing, wrong grounds
    RULED = "ruled"  # first-instance ruling, still appealable
    APPEALED = "appealed"
    FINAL = "final"


class Action(StrEnum):
    """What a body or a party does to a case once it is open (one event type each)."""

    ADMIT = "admit"
    REFUSE = "refuse"  # declared inadmissible by a resolution
    RULE = "rule"  # first-instance ruling
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    FINALISE = "finalise"


class EffectKind(StrEnum):
    COUNT_AS_IS = "count_as_is"  # the sheet counts as it stands
    COUNT_CORRECTED = "count_corrected"  # the sheet counts with figures the body corrected
    ANNUL = "annul"  # fundado: the table's ballots count as the rules say (null in Peru)
    DECIDE_CHALLENGED = "decide_challenged"  # challenged ballots go to choices or null
    DISMISS = "dismiss"  # infundado / improcedente: no change to the count
    CONFIRM = "confirm"  # appeal: the first-instance decision stands
    REVERSE = "reverse"  # appeal: it is revoked (see Effect.instead)


FIRST_INSTANCE_EFFECTS: Mapping[CaseKind, frozenset[EffectKind]] = {
    CaseKind.OBSERVATION: frozenset({EffectKind.COUNT_AS_IS, EffectKind.COUNT_CORRECTED, EffectKind.ANNUL}),
    CaseKind.NULLITY_REQUEST: frozenset({EffectKind.ANNUL, EffectKind.DISMISS}),
    CaseKind.OWN_MOTION: frozenset({EffectKind.ANNUL, EffectKind.DISMISS}),
    CaseKind.CHALLENGED_BALLOTS: frozenset({EffectKind.DECIDE_CHALLENGED}),
}
"""Which decisions each kind of case can end in (an observation is not "dismissed": the sheet
must end counted, corrected or annulled; a nullity request is founded or not)."""

CLOSED = (CaseStatus.INADMISSIBLE, CaseStatus.FINAL)


class ClaimRefused(RuleError):
    """A filing or transition a claim rule refuses; ``rule`` is the rule's short name."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"{rule}: {message}")


def _aware(at: datetime, what: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ClaimRefused("malformed", f"{what} must carry its time zone (got {at.isoformat()})")


@dataclass(frozen=True, slots=True)
class Figures:
    """A sheet's figures as a ruling corrects them: votes in ballot order, blank, null, challenged, cast."""

    votes: tuple[int, ...]
    blank: int
    null: int
    challenged: int
    cast: int

    @property
    def adds_up(self) -> bool:
        return sum(self.votes) + self.blank + self.null + self.challenged == self.cast

    def sheet(self, table: str) -> TallySheet:
        return TallySheet(table, tuple(self.votes), self.blank, self.null, self.challenged, self.cast)

    def problem(self, electors: int | None) -> str | None:
        """Why these figures cannot be a sheet (or None): negative, not adding up, over the roll."""
        if any(n < 0 for n in (*self.votes, self.blank, self.null, self.challenged, self.cast)):
            return "figures cannot be negative"
        if any(n > MAX_COUNT for n in (*self.votes, self.blank, self.null, self.challenged, self.cast)):
            return f"a figure is too large for one table (at most {MAX_COUNT:,})"
        if not self.adds_up:
            total = sum(self.votes) + self.blank + self.null + self.challenged
            return f"votes + blank + null + challenged = {total}, but cast = {self.cast}"
        if electors is not None and self.cast > electors:
            return f"cast = {self.cast} exceeds the {electors} registered electors"
        return None


@dataclass(frozen=True)
class Effect:
    """What a ruling does to the count.

    ``figures`` for ``count_corrected``; ``decided`` for ``decide_challenged`` (pairs of choice id
    or ``"null"`` and ballots, sorted so equal decisions compare equal; pass a mapping, it is
    normalised); ``instead`` for ``reverse``: the decision that stands in place of the reversed
    one (None where the opposite is unambiguous, see :func:`decide_appeal`).
    """

    kind: EffectKind
    figures: Figures | None = None
    decided: tuple[tuple[str, int], ...] | Mapping[str, int] | None = None
    instead: Effect | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EffectKind(self.kind))
        if isinstance(self.decided, Mapping):
            object.__setattr__(self, "decided", tuple(sorted(self.decided.items())))
        if self.kind is EffectKind.COUNT_CORRECTED and self.figures is None:
            raise ClaimRefused("effect", "count_corrected needs the corrected figures")
        if self.kind is EffectKind.DECIDE_CHALLENGED and self.decided is None:
            raise ClaimRefused("effect", "decide_challenged needs ballots per choice (or null)")
        if self.kind is not EffectKind.COUNT_CORRECTED and self.figures is not None:
            raise ClaimRefused("effect", f"{self.kind} takes no corrected figures")
        if self.kind is not EffectKind.DECIDE_CHALLENGED and self.decided is not None:
            raise ClaimRefused("effect", f"{self.kind} takes no decision on challenged ballots")
        if self.kind is not EffectKind.REVERSE and self.instead is not None:
            raise ClaimRefused("effect", f"{self.kind} takes no replacement decision")
        if self.decided is not None and any(n < 0 for _, n in self.decided):  # type: ignore[union-attr]
            raise ClaimRefused("effect", "challenged ballots cannot be negative")

    @property
    def decided_map(self) -> dict[str, int]:
        return dict(self.decided or ())  # type: ignore[arg-type]


@dataclass(frozen=True)
class Filing:
    """What a party or a body submits: a claim on tables, or an appeal of a case (``appeal_of``)."""

    kind: CaseKind
    tables: tuple[TableId, ...]
    filer: str
    filer_role: Role
    """Who files, in the accounts' and keys' vocabulary (:data:`escrutinio.domain.roles.FILER_ROLES`)."""
    filed_at: datetime
    grounds: str = ""
    fee_receipt: str | None = None
    evidence: tuple[str, ...] = ()
    appeal_of: CaseNumber | None = None
    requested: EffectKind | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a filing is inadmissible: ``rule`` is one of late, no_standing, no_fee, grounds,
    unknown_table, malformed; ``message`` says what was found and what the rule wants."""

    rule: str
    message: str

    def error(self) -> ClaimRefused:
        return ClaimRefused(self.rule, self.message)

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass(frozen=True)
class Ruling:
    """A decision with its resolution number: the body, when, why, and what it does to the count."""

    resolution: str
    body: str
    date: datetime
    reasoning: str
    effect: Effect


class HistoryEntry(NamedTuple):
    at: datetime
    status: CaseStatus
    note: str


@dataclass(frozen=True)
class Case:
    """One case at the dispute body; immutable: transitions return a new Case.

    ``parties`` may appeal (the filer when a party, and every party in the contest: a ruling on a
    table moves all of their votes). ``ruling`` is the first-instance decision in force (for an
    inadmissible case, the resolution that declared it so); ``appeals`` the appeals against it;
    ``appeal_ruling`` the appeals body's decision. ``rulings`` keeps every decision ever made.
    """

    number: CaseNumber
    kind: CaseKind
    tables: tuple[TableId, ...]
    filer: str
    status: CaseStatus
    history: tuple[HistoryEntry, ...]
    filing: Filing
    parties: tuple[str, ...] = ()
    appeal_days: int = 3
    refusal: Refusal | None = None
    ruling: Ruling | None = None
    appeals: tuple[Filing, ...] = ()
    appeal_ruling: Ruling | None = None
    rulings: tuple[Ruling, ...] = field(default=())
    dispute_body: str = DISPUTE_BODY
    appeals_body: str = APPEALS_BODY

    @property
    def appeal_until(self) -> datetime | None:
        """Last moment an appeal of the decision in force may be filed (None: nothing to appeal)."""
        if self.ruling is None or self.status not in (CaseStatus.RULED, CaseStatus.INADMISSIBLE, CaseStatus.APPEALED):
            return None
        return self.ruling.date + timedelta(days=self.appeal_days)


# ---------------------------------------------------------------- admissibility


def refusals(
    filing: Filing,
    election: Election,
    *,
    known_tables: Collection[str],
    contest_parties: Collection[str],
    now: datetime,
    table_grounds: Collection[str] = TABLE_GROUNDS,
    spent_receipts: Mapping[str, str] | None = None,
) -> list[Refusal]:
    """Every rule the filing breaks, in the order a dispute body examines them (see admissibility)."""
    found: list[Refusal] = []
    kind = CaseKind(filing.kind)
    if filing.filed_at.tzinfo is None or filing.filed_at.utcoffset() is None:
        return [Refusal("malformed", f"filed_at must carry its time zone (got {filing.filed_at.isoformat()})")]
    if filing.filed_at > now:
        found.append(Refusal("malformed", f"filed at {filing.filed_at.isoformat()}, after now ({now.isoformat()})"))
    bad = [e for e in filing.evidence if not _SHA256.match(e)]
    if bad:
        found.append(Refusal("malformed", f"evidence must be lowercase sha256 hex digests; got {bad[0]!r}"))
    if kind is CaseKind.APPEAL and not filing.appeal_of:
        found.append(Refusal("malformed", "an appeal must name the case it appeals (appeal_of)"))
    if kind is not CaseKind.APPEAL and filing.appeal_of:
        found.append(Refusal("malformed", f"a {kind} cannot appeal a case (appeal_of is for appeals)"))

    if kind is not CaseKind.APPEAL and not filing.tables:
        found.append(Refusal("unknown_table", "the filing names no table"))
    unknown = [t for t in filing.tables if t not in known_tables]
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        found.append(Refusal("unknown_table", f"table {unknown[0]!r} is not on the roll{more}"))

    role = filer_role(filing.filer_role)
    wanted = FILED_BY[kind]
    if role is not wanted:
        found.append(Refusal("no_standing", f"a {kind} is filed by {WHO[wanted]}, not by {WHO[role]}"))
    elif role is Role.REPRESENTATIVE and filing.filer not in contest_parties:
        parties = ", ".join(sorted(contest_parties)) or "none"
        found.append(Refusal("no_standing", f"{filing.filer!r} is not a party in this contest (parties: {parties})"))

    rules = election.claims
    if kind in (CaseKind.NULLITY_REQUEST, CaseKind.OWN_MOTION):
        if filing.grounds not in rules.grounds:
            allowed = ", ".join(rules.grounds) or "none"
            found.append(Refusal("grounds", f"grounds {filing.grounds!r} are not among this election's ({allowed})"))
    elif kind in (CaseKind.OBSERVATION, CaseKind.CHALLENGED_BALLOTS):
        reasons = {r.value for r in Reason}
        # An observation's grounds are a reason, perhaps with its detail ("entries_differ: cast").
        if filing.grounds and filing.grounds.split(":")[0] not in reasons:
            found.append(Refusal("grounds", f"observation reason {filing.grounds!r} is not one of {', '.join(sorted(reasons))}"))

    if kind is CaseKind.NULLITY_REQUEST:
        local = filing.filed_at.astimezone(election.zone)
        if filing.grounds in table_grounds and local.date() != election.date:
            found.append(
                Refusal(
                    "late",
                    f"grounds ({filing.grounds}) are knowable at the table and must be raised there on election day"
                    f" ({election.date.isoformat()}); filed {local.isoformat()}",
                )
            )
        elif rules.deadline is not None and filing.filed_at > rules.deadline:
            found.append(Refusal("late", f"filed {local.isoformat()}, after the claim deadline {rules.deadline.isoformat()}"))
        receipt = (filing.fee_receipt or "").strip()
        if receipt and spent_receipts and receipt in spent_receipts:
            found.append(
                Refusal(
                    "no_fee",
                    f"receipt {receipt!r} already paid for case {spent_receipts[receipt]}: a receipt pays for one case",
                )
            )
        elif rules.fee_per_table > 0 and not receipt:
            due = rules.fee_per_table * max(1, len(filing.tables))
            found.append(
                Refusal(
                    "no_fee",
                    f"a fee of {rules.fee_per_table} {rules.fee_currency} per table is due ({due} {rules.fee_currency}"
                    f" for {len(filing.tables)} table(s)); no receipt given",
                )
            )
    return found


def admissibility(
    filing: Filing,
    election: Election,
    *,
    known_tables: Collection[str],
    contest_parties: Collection[str],
    now: datetime,
    table_grounds: Collection[str] = TABLE_GROUNDS,
    spent_receipts: Mapping[str, str] | None = None,
) -> Refusal | None:
    """The first rule that refuses the filing, or None when it is admissible.

    Order: malformed, unknown_table, no_standing, grounds, late, no_fee (a late and unpaid
    request is refused as late, as the JEEs did). Rules by kind:

    - nullity request: a representative of a party in the contest; grounds among the
      election's; grounds knowable at the table (``table_grounds``: a, c, d in Peru) only on
      election day, in the election's time zone; other grounds (b) up to ``claims.deadline``;
      a receipt for the fee when ``fee_per_table > 0``; a receipt pays for one case
      (``spent_receipts`` maps each receipt already used to the case that used it).
    - own motion: the dispute body; grounds among the election's; no deadline, no fee.
    - observation, challenged ballots: the counting authority; grounds, when given, one of the
      observation reasons (:class:`Reason`).
    - appeal: a representative of a party in the contest, naming ``appeal_of``. Its time limit
      and whether the filer is a party to that case are checked by :func:`appeal`, which has
      the case.
    """
    found = refusals(
        filing,
        election,
        known_tables=known_tables,
        contest_parties=contest_parties,
        now=now,
        table_grounds=table_grounds,
        spent_receipts=spent_receipts,
    )
    return found[0] if found else None


def declared_time_problem(at: datetime, election: Election, received: datetime) -> str | None:
    """Why a time declared for a past act cannot be taken (None when it can).

    Reconstructing history (a paper filing received earlier, a past election replayed) records
    a declared time beside the time the store received it. A declared time must carry its zone,
    fall on or after the start of election day in the election's zone (nothing is filed, ruled
    or observed before the election), and not after the receipt (no one files in the future).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        return f"{at.isoformat()} has no time zone"
    start = datetime.combine(election.date, datetime.min.time(), tzinfo=election.zone)
    if at < start:
        return f"{at.isoformat()} is before the election ({election.date.isoformat()} in {election.timezone})"
    if at > received:
        return f"{at.isoformat()} is in the future (the store's clock reads {received.isoformat()})"
    return None


# ---------------------------------------------------------------- the case state machine


def _step(case: Case, now: datetime, status: CaseStatus, note: str, **changes: object) -> Case:
    _aware(now, "now")
    last = case.history[-1].at
    if now < last:
        raise ClaimRefused("time_order", f"case {case.number}: {now.isoformat()} is before its last step ({last.isoformat()})")
    return replace(case, status=status, history=(*case.history, HistoryEntry(now, status, note)), **changes)  # type: ignore[arg-type]


def open_case(
    number: str,
    filing: Filing,
    election: Election,
    *,
    contest_parties: Sequence[str] = (),
    dispute_body: str = DISPUTE_BODY,
    appeals_body: str = APPEALS_BODY,
) -> Case:
    """A new case in status ``filed`` (admissibility is decided by :func:`admit` / :func:`refuse`).

    ``contest_parties`` (default: the contest's choice ids) are parties to the case besides the
    filer: any of them may appeal its ruling.
    """
    kind = CaseKind(filing.kind)
    if kind is CaseKind.APPEAL:
        raise ClaimRefused("malformed", "an appeal is not a case of its own: pass it to appeal() with the case it appeals")
    _aware(filing.filed_at, "filed_at")
    parties = tuple(contest_parties) or election.contest.choice_ids
    if filing.filer_role is Role.REPRESENTATIVE and filing.filer not in parties:
        parties = (filing.filer, *parties)
    note = f"{kind} filed by {filing.filer} on {len(filing.tables)} table(s)"
    return Case(
        number=number,
        kind=kind,
        tables=tuple(filing.tables),
        filer=filing.filer,
        status=CaseStatus.FILED,
        history=(HistoryEntry(filing.filed_at, CaseStatus.FILED, note),),
        filing=filing,
        parties=parties,
        appeal_days=election.claims.appeal_days,
        dispute_body=dispute_body,
        appeals_body=appeals_body,
    )


def _closed(case: Case, what: str) -> None:
    if case.status in CLOSED:
        raise ClaimRefused("closed", f"case {case.number} is {case.status}: no {what} can change it")


def admit(case: Case, now: datetime, note: str = "") -> Case:
    """filed → admitted: the dispute body takes the case up on its merits."""
    _closed(case, "admission")
    if case.status is not CaseStatus.FILED:
        raise ClaimRefused("status", f"case {case.number} is {case.status}, only a filed case can be admitted")
    return _step(case, now, CaseStatus.ADMITTED, note or "admitted")


def _check_body(case: Case, ruling: Ruling, body: str, instance: str) -> None:
    _aware(ruling.date, "the ruling's date")
    if ruling.body != body:
        raise ClaimRefused("wrong_body", f"case {case.number}: {instance} is for {body}, not {ruling.body} ({ruling.resolution})")


def refuse(case: Case, refusal: Refusal, ruling: Ruling, now: datetime) -> Case:
    """filed/admitted → inadmissible (improcedente) by a dispute-body resolution, with no effect on
    the count. The resolution can be appealed within ``appeal_days`` of its date."""
    _closed(case, "refusal")
    if case.status not in (CaseStatus.FILED, CaseStatus.ADMITTED):
        raise ClaimRefused("status", f"case {case.number} is {case.status}: it was already ruled on")
    _check_body(case, ruling, case.dispute_body, "first instance")
    if ruling.effect.kind is not EffectKind.DISMISS:
        raise ClaimRefused(
            "effect", f"an inadmissibility ruling changes nothing: effect must be dismiss, not {ruling.effect.kind}"
        )
    note = f"inadmissible ({refusal.rule}) by {ruling.resolution}: {refusal.message}"
    return _step(case, now, CaseStatus.INADMISSIBLE, note, refusal=refusal, ruling=ruling, rulings=(*case.rulings, ruling))


def entries_differ(case: Case) -> bool:
    """Whether ``case`` is the observation a double entry's mismatch opened (its grounds start
    with ``entries_differ``): the two clerks keyed different figures for its table."""
    return case.kind is CaseKind.OBSERVATION and case.filing.grounds.startswith(Reason.ENTRIES_DIFFER.value)


def _check_effect(case: Case, effect: Effect, electors: int | None, sheet: TallySheet | None) -> None:
    allowed = FIRST_INSTANCE_EFFECTS[case.kind]
    if effect.kind not in allowed:
        names = ", ".join(sorted(allowed))
        raise ClaimRefused("effect", f"a {case.kind} ends in one of {names}, not {effect.kind}")
    if effect.kind is EffectKind.COUNT_AS_IS and entries_differ(case):
        # The sheet at the body is the first entry's figures (the table has no other): counting
        # it "as is" would count the first clerk's keying and silently drop the second's.
        raise ClaimRefused(
            "effect",
            f"case {case.number}: its two entries differ ({case.filing.grounds}), so there is no sheet to count as is: "
            "rule count_corrected with the figures read from the paper (or annul)",
        )
    if effect.kind in (EffectKind.COUNT_CORRECTED, EffectKind.DECIDE_CHALLENGED) and len(case.tables) != 1:
        raise ClaimRefused("effect", f"{effect.kind} applies to one table; case {case.number} has {len(case.tables)}")
    if effect.figures is not None:
        problem = effect.figures.problem(electors)
        if problem:
            raise ClaimRefused("figures", f"case {case.number}: the corrected figures do not hold: {problem}")
        if sheet is not None and len(effect.figures.votes) != len(sheet.votes):
            raise ClaimRefused("figures", f"{len(effect.figures.votes)} vote figures for {len(sheet.votes)} choices")
    if effect.kind is EffectKind.DECIDE_CHALLENGED and sheet is not None:
        decided = sum(effect.decided_map.values())
        if decided != sheet.challenged:
            raise ClaimRefused(
                "figures", f"case {case.number}: {decided} challenged ballots decided, the sheet has {sheet.challenged}"
            )


def rule(case: Case, ruling: Ruling, now: datetime, *, electors: int | None = None, sheet: TallySheet | None = None) -> Case:
    """admitted → ruled: the dispute body's decision on the merits (appealable).

    Refused when the ruling is not the dispute body's, the case is closed, not admitted or
    already ruled, the effect does not fit the kind of case, corrected figures do not add up
    (votes + blank + null + challenged ≠ cast) or exceed ``electors``, or challenged ballots
    decided differ from those on ``sheet`` (when given).
    """
    _closed(case, "ruling")
    if case.status is CaseStatus.FILED:
        raise ClaimRefused("status", f"case {case.number} must be admitted before it is ruled on")
    if case.status is not CaseStatus.ADMITTED:
        raise ClaimRefused("status", f"case {case.number} is {case.status}: it was already ruled on")
    _check_body(case, ruling, case.dispute_body, "first instance")
    _check_effect(case, ruling.effect, electors, sheet)
    note = f"{ruling.effect.kind} by {ruling.body} {ruling.resolution}"
    return _step(
        case, now, CaseStatus.RULED, note, ruling=ruling, appeals=(), appeal_ruling=None, rulings=(*case.rulings, ruling)
    )


class AlreadyAppealed(ClaimRefused, Conflict):
    """An appeal of a case already under appeal (HTTP 409 naming the case: ``field`` is ``number``)."""

    def __init__(self, message: str) -> None:
        self.rule = "already_appealed"
        self.field = "number"
        RuleError.__init__(self, f"{self.rule}: {message}")


def appeal_standing(case: Case) -> tuple[str, ...]:
    """The parties with standing to appeal the decision in force on ``case``: those it goes
    against. A nullity request's filer when it is dismissed or inadmissible (no other party
    is harmed by a table left in the count), every other party when it is founded (the filer
    won what it asked); any party of an observation, challenged ballots or an own-motion case,
    which no party asked for (the count changes, or not, for all of them)."""
    assert case.ruling is not None
    if case.kind is not CaseKind.NULLITY_REQUEST:
        return case.parties
    if case.ruling.effect.kind is EffectKind.ANNUL:
        return tuple(p for p in case.parties if p != case.filer)
    return (case.filer,)


def appeal(case: Case, filing: Filing, now: datetime) -> Case:
    """ruled/inadmissible → appealed: a party with standing (:func:`appeal_standing`) appeals
    within ``appeal_days`` of the ruling, once: a case under appeal is not appealed again
    (:class:`AlreadyAppealed`). The appeal goes to the appeals body: only its ruling
    (:func:`decide_appeal`) settles it.
    """
    _aware(filing.filed_at, "filed_at")
    if filing.kind is not CaseKind.APPEAL or filing.appeal_of != case.number:
        raise ClaimRefused("malformed", f"an appeal of case {case.number} must have kind appeal and appeal_of={case.number!r}")
    if case.status is CaseStatus.FINAL:
        raise ClaimRefused("closed", f"case {case.number} is final: there is no appeal")
    if case.status not in (CaseStatus.RULED, CaseStatus.INADMISSIBLE, CaseStatus.APPEALED) or case.ruling is None:
        raise ClaimRefused("status", f"case {case.number} is {case.status}: there is no ruling to appeal yet")
    if case.status is CaseStatus.APPEALED:
        first = case.appeals[0] if case.appeals else None
        by = f" by {first.filer} ({first.filed_at.isoformat()})" if first is not None else ""
        raise AlreadyAppealed(f"case {case.number} was appealed{by}: the appeals body decides it; it is not appealed twice")
    standing = appeal_standing(case)
    if filing.filer_role is not Role.REPRESENTATIVE or filing.filer not in standing:
        who = ", ".join(standing) or "no party"
        raise ClaimRefused(
            "no_standing",
            f"{filing.filer!r} has no standing to appeal {case.ruling.effect.kind} in case {case.number} "
            f"(only a party the decision goes against may: {who})",
        )
    until = case.appeal_until
    assert until is not None
    if filing.filed_at > until:
        raise ClaimRefused(
            "late",
            f"appeal filed {filing.filed_at.isoformat()}, more than {case.appeal_days} days after"
            f" {case.ruling.resolution} ({case.ruling.date.isoformat()})",
        )
    if filing.filed_at < case.ruling.date:
        raise ClaimRefused("malformed", f"appeal filed before the ruling it appeals ({case.ruling.resolution})")
    if any(a.filer == filing.filer for a in case.appeals):
        raise ClaimRefused("duplicate", f"{filing.filer} has already appealed case {case.number}")
    note = f"appealed by {filing.filer} to {case.appeals_body}"
    return _step(case, now, CaseStatus.APPEALED, note, appeals=(*case.appeals, filing))


def _opposite(case: Case) -> Effect | None:
    """The decision that reversing the one in force leaves, where there is only one."""
    assert case.ruling is not None
    kind = case.ruling.effect.kind
    if kind is EffectKind.ANNUL:
        return Effect(EffectKind.COUNT_AS_IS if case.kind is CaseKind.OBSERVATION else EffectKind.DISMISS)
    if kind is EffectKind.DISMISS and case.kind in (CaseKind.NULLITY_REQUEST, CaseKind.OWN_MOTION):
        return Effect(EffectKind.ANNUL)
    return None


def decide_appeal(
    case: Case, ruling: Ruling, now: datetime, *, electors: int | None = None, sheet: TallySheet | None = None
) -> Case:
    """appealed → final (or → admitted when an inadmissibility is reversed and sent back).

    The ruling must be the appeals body's, with effect ``confirm`` or ``reverse``. A reversal
    needs ``effect.instead`` (the decision that stands) unless the opposite is unambiguous:
    annul ↔ dismiss for nullity requests, annul → count as is for observations. Reversing an
    inadmissibility without ``instead`` remands the case to the dispute body for a ruling on
    the merits; with ``instead`` the appeals body decides the merits itself.
    """
    if case.status is not CaseStatus.APPEALED:
        _closed(case, "appeal ruling")
        raise ClaimRefused("status", f"case {case.number} is {case.status}: it is not under appeal")
    _check_body(case, ruling, case.appeals_body, "an appeal")
    effect = ruling.effect
    if effect.kind not in (EffectKind.CONFIRM, EffectKind.REVERSE):
        raise ClaimRefused("effect", f"an appeal is decided by confirm or reverse, not {effect.kind}")
    done = {"appeal_ruling": ruling, "rulings": (*case.rulings, ruling)}
    if effect.kind is EffectKind.CONFIRM:
        return _step(case, now, CaseStatus.FINAL, f"confirmed by {ruling.body} {ruling.resolution}", **done)
    instead = effect.instead
    if case.refusal is not None and instead is None:
        note = f"inadmissibility reversed by {ruling.body} {ruling.resolution}: back to {case.dispute_body}"
        return _step(
            case,
            now,
            CaseStatus.ADMITTED,
            note,
            refusal=None,
            ruling=None,
            appeals=(),
            appeal_ruling=None,
            rulings=done["rulings"],
        )
    if instead is None:
        instead = _opposite(case)
        if instead is None:
            raise ClaimRefused("effect", f"reversing {case.ruling.effect.kind} needs the decision that stands (effect.instead)")  # type: ignore[union-attr]
        ruling = replace(ruling, effect=replace(effect, instead=instead))
        done = {"appeal_ruling": ruling, "rulings": (*case.rulings, ruling)}
    _check_effect(case, instead, electors, sheet)
    note = f"reversed by {ruling.body} {ruling.resolution}: {instead.kind}"
    return _step(case, now, CaseStatus.FINAL, note, refusal=None, **done)


def finalise(case: Case, now: datetime) -> Case:
    """ruled/inadmissible → final: nobody appealed within ``appeal_days`` of the ruling."""
    if case.status is CaseStatus.APPEALED:
        raise ClaimRefused("under_appeal", f"case {case.number} is under appeal: the appeals body decides it")
    if case.status is CaseStatus.FINAL:
        raise ClaimRefused("closed", f"case {case.number} is already final")
    until = case.appeal_until
    if until is None:
        raise ClaimRefused("status", f"case {case.number} is {case.status}: there is no ruling to make final")
    if now <= until:
        raise ClaimRefused("appeal_window_open", f"case {case.number} can be appealed until {until.isoformat()}")
    return _step(case, now, CaseStatus.FINAL, f"final: no appeal by {until.isoformat()}")


# ---------------------------------------------------------------- effects on the count


class InForce(NamedTuple):
    """The decision a case applies to the count now: ``final`` only once no appeal can change it;
    ``under_appeal`` while the appeals body has it (the count applies it provisionally)."""

    effect: Effect | None
    ruling: Ruling
    final: bool
    under_appeal: bool


def effect_in_force(case: Case) -> InForce | None:
    """The decision in force on the case (None while the dispute body has not decided).

    An inadmissible case is in force with effect None (it changes nothing). A reversal is in
    force as the decision that stands instead.
    """
    if case.ruling is None or case.status in (CaseStatus.FILED, CaseStatus.ADMITTED):
        return None
    first: Effect | None = None if case.refusal is not None else case.ruling.effect
    final = case.status is CaseStatus.FINAL
    if case.appeal_ruling is not None:
        effect = case.appeal_ruling.effect
        standing = first if effect.kind is EffectKind.CONFIRM else effect.instead
        return InForce(standing, case.appeal_ruling, final, False)
    return InForce(first, case.ruling, final, case.status is CaseStatus.APPEALED)


def final_effect(case: Case) -> Effect | None:
    """The effect that changes the count for good: only for final cases, None otherwise (and for
    cases that end inadmissible or confirmed inadmissible: they change nothing)."""
    if case.status is not CaseStatus.FINAL:
        return None
    force = effect_in_force(case)
    return force.effect if force else None


def sheet_outcome(
    effect: Effect, current_sheet: TallySheet | None, election: Election, *, state: SheetState = SheetState.OBSERVED
) -> tuple[SheetState, TallySheet | None]:
    """What one effect does to a table whose sheet is ``current_sheet`` in ``state``.

    Returns the new state and the new sheet version (None: the sheet as it stands):
    count as is → resolved; corrected → resolved with the corrected version; annul → annulled
    (its ballots then count as ``election.rules`` say); challenged decided → the sheet with the
    challenged ballots moved to the choices and null, resolved; dismiss → unchanged, except an
    observed sheet, which then counts as it stands (resolved).
    """
    kind = effect.kind
    if kind is EffectKind.ANNUL:
        return SheetState.ANNULLED, None
    if state is SheetState.ANNULLED:
        return state, None  # only an appeal on the annulling case can bring an annulled table back
    if kind is EffectKind.COUNT_AS_IS:
        return SheetState.RESOLVED, None
    if kind is EffectKind.DISMISS:
        return (SheetState.RESOLVED if state is SheetState.OBSERVED else state), None
    if kind is EffectKind.COUNT_CORRECTED:
        assert effect.figures is not None
        table = current_sheet.table if current_sheet else ""
        if len(effect.figures.votes) != len(election.contest.choices):
            raise ClaimRefused("figures", f"{len(effect.figures.votes)} vote figures for {len(election.contest.choices)} choices")
        return SheetState.RESOLVED, effect.figures.sheet(table)
    if kind is EffectKind.DECIDE_CHALLENGED:
        if current_sheet is None:
            raise ClaimRefused("figures", "challenged ballots cannot be decided on a table without a sheet")
        decided = effect.decided_map
        ids = election.contest.choice_ids
        unknown = sorted(set(decided) - {*ids, NULL_CHOICE})
        if unknown:
            raise ClaimRefused("figures", f"challenged ballots given to {unknown[0]!r}, not a choice of this contest (nor null)")
        if sum(decided.values()) != current_sheet.challenged:
            raise ClaimRefused(
                "figures", f"{sum(decided.values())} challenged ballots decided, the sheet has {current_sheet.challenged}"
            )
        votes = tuple(v + decided.get(c, 0) for c, v in zip(ids, current_sheet.votes, strict=True))
        new = replace(current_sheet, votes=votes, null=current_sheet.null + decided.get(NULL_CHOICE, 0), challenged=0)
        return SheetState.RESOLVED, new
    raise ClaimRefused("effect", f"{kind} is an appeal decision: apply the effect in force (effect_in_force)")


class TableOutcome(NamedTuple):
    """Where a table stands after every decision in force on it (see :func:`table_outcomes`)."""

    state: SheetState
    sheet: TallySheet | None
    under_appeal: bool
    final: bool
    cases: tuple[str, ...]


def table_outcomes(
    cases: Iterable[Case],
    base: Mapping[str, tuple[SheetState, TallySheet | None]],
    election: Election,
) -> dict[str, TableOutcome]:
    """Each table of ``base`` after every decision in force on it; the same whatever the order of
    ``cases`` (or of the rulings that made them), so the lead can recompute a table from scratch
    whenever one of its cases moves.

    ``base`` is each table's state and sheet as processed, before any ruling. Rules:

    - an annul in force wins over any other decision (the table never counts twice, and is only
      ever dropped by an annul);
    - otherwise corrections and challenged-ballot decisions apply in the order of their rulings'
      dates (then resolution numbers, then case numbers): a later ruling acts on the sheet an
      earlier one left;
    - an observed table leaves observation only when every case on it has a decision in force;
    - ``sheet`` is the new version (None: as processed); ``under_appeal`` when any decision
      applied is under appeal; ``final`` when every case on it is final.
    """
    by_table: dict[str, list[Case]] = {}
    for case in cases:
        for table in dict.fromkeys(case.tables):
            if table in base:
                by_table.setdefault(table, []).append(case)
    out: dict[str, TableOutcome] = {}
    for table, (state, sheet) in base.items():
        mine = sorted(by_table.get(table, []), key=lambda c: c.number)
        forces = [(c, effect_in_force(c)) for c in mine]
        pending = any(f is None for _, f in forces)
        applied = [(c, f) for c, f in forces if f is not None and f.effect is not None]
        applied.sort(key=lambda cf: (cf[1].ruling.date, cf[1].ruling.resolution, cf[0].number))
        under_appeal = any(f.under_appeal for _, f in forces if f is not None)
        final = bool(mine) and all(c.status is CaseStatus.FINAL for c in mine)
        numbers = tuple(c.number for c in mine)
        if any(f.effect.kind is EffectKind.ANNUL for _, f in applied):  # type: ignore[union-attr]
            out[table] = TableOutcome(SheetState.ANNULLED, None, under_appeal, final, numbers)
            continue
        new_state, new_sheet = state, None
        for _, f in applied:
            assert f.effect is not None
            new_state, changed = sheet_outcome(f.effect, new_sheet or sheet, election, state=new_state)
            if changed is not None:
                new_sheet = replace(changed, table=table)
        if state is SheetState.OBSERVED:
            new_state = SheetState.OBSERVED if pending or not mine else SheetState.RESOLVED
        out[table] = TableOutcome(new_state, new_sheet, under_appeal, final, numbers)
    return out
