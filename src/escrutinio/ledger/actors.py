"""Who may have caused each event of a record: the replay's side of ``domain/roles.py``.

Why: the hash chain proves a record unchanged since its head was published, not that it was
written by the people it names. A forger who rewrites an event's ``actor`` and recomputes every
hash must still meet, at that event, the rules the application applied when it wrote it:

- the actor's role may take the event's action (:data:`EVENT_ACTIONS`, read through the one
  rule table of ``domain/roles.py``), for the party, body and area it acts on: a clerk keys
  and scans sheets of tables in their area, a representative files for their party (the
  filing's kind says which action it is: ``domain.claims.FILE_ACTION``), an auditor records
  hand counts of tables in their area, and the whole-election steps are a national account's;
- the actor is an account the record created (``account.created``, with that role and scope)
  and had not revoked (``account.revoked``) before the event: what the API's token check
  guarantees when it writes. The store's administrator (the local CLI, whoever holds the
  store's file) is no account and is not looked up. A record that creates no account at all
  (written before accounts, or by a program acting as a role without one) cannot say who its
  role actors were: their events are counted (:attr:`Actors.unregistered`), not refused;
- a second entry (of a sheet or of an audit hand count) is by another person than the first
  (:func:`same_person`, the rule the application's double entry applies);
- what an act writes as its consequence, in its own write, is by the act's author: a filing's
  admission or refusal on receipt (``case.admitted``, ``case.refused`` right after its
  ``case.opened``), a ruling's sheets (``sheets.recorded`` from ``cases``, right after the
  case events it follows from). An admission or refusal on its own is a body's ruling
  (``Action.RULE``); sheets from a file are a load (``LOAD_SHEETS``), from a double entry the
  second clerk's (``SUBMIT_SHEET``), both on the tables' areas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from escrutinio.domain.claims import FILE_ACTION, filing_target
from escrutinio.domain.errors import EscrutinioError
from escrutinio.domain.roles import Action, Principal, Role, refusal
from escrutinio.ledger.events import Event, EventType

ACTOR = re.compile(r"(?P<role>[a-z_]+):(?P<name>[^/@]+)(?:/(?P<scope>[^@]+))?(?:@(?P<area>.+))?")
"""``Principal.actor``: ``role:name``, then ``/party`` or ``/body``, then ``@area``."""
ROLE_NAMES = frozenset(r.value for r in Role)

EVENT_ACTIONS: Mapping[str, Action] = {
    EventType.SHEET_ENTERED: Action.SUBMIT_SHEET,
    EventType.SHEET_IMAGE_ATTACHED: Action.ATTACH_IMAGE,
    EventType.CASE_RULED: Action.RULE,
    EventType.CASE_APPEAL_DECIDED: Action.DECIDE_APPEAL,
    EventType.CASE_FINALISED: Action.FINALISE,
    EventType.AUDIT_PLANNED: Action.PLAN_AUDIT,
    EventType.AUDIT_SEEDED: Action.SEED_AUDIT,
    EventType.AUDIT_SAMPLED: Action.DRAW_AUDIT,
    EventType.AUDIT_HAND_COUNT: Action.RECORD_AUDIT_ENTRY,
    EventType.AUDIT_BALLOT: Action.RECORD_AUDIT_ENTRY,
    EventType.AUDIT_RESOLVED: Action.RESOLVE_AUDIT_ENTRY,
    EventType.AUDIT_BALLOT_RESOLVED: Action.RESOLVE_AUDIT_ENTRY,
    EventType.AUDIT_MEASURED: Action.MEASURE_AUDIT,
    EventType.AUDIT_REPORTED: Action.REPORT_AUDIT,
    EventType.KEY_REGISTERED: Action.REGISTER_KEY,
    EventType.CERTIFICATE_ISSUED: Action.CERTIFY,
    EventType.ACCOUNT_CREATED: Action.MANAGE_USERS,
    EventType.ACCOUNT_REVOKED: Action.MANAGE_USERS,
}
"""The events that only some roles may cause, and the action of ``domain.roles`` each is. A
filing's (``case.opened``, ``case.appealed``) depends on its kind, a sheet's on its source, an
admission's or refusal's on the act it was written with (:func:`action_of`, :meth:`Actors.check`)."""

JUDGED = (EventType.CASE_ADMITTED, EventType.CASE_REFUSED)
"""A case judged admissible or not: on receipt, with its filing (the filing's own act), or later
by the body (a ruling)."""

FILINGS = (EventType.CASE_OPENED, EventType.CASE_APPEALED)
SHEET_SOURCES: Mapping[str, Action] = {"double_entry": Action.SUBMIT_SHEET}
"""A ``sheets.recorded``'s action by its source (the key of its ``source``): a double entry's is
the second clerk's entry; a file's (any other source) is a load; a ruling's (``cases``) is no
action of its own (see :meth:`Actors.check`)."""

TABLE_EVENTS = frozenset(
    {
        EventType.SHEET_ENTERED,
        EventType.SHEET_IMAGE_ATTACHED,
        EventType.AUDIT_HAND_COUNT,
        EventType.AUDIT_BALLOT,
        EventType.AUDIT_RESOLVED,
        EventType.AUDIT_BALLOT_RESOLVED,
    }
)
"""Events about one table (``data["table"]``): their area is the table's, as the application
asks ``require_tables`` of them."""
SECOND_ENTRIES = frozenset({EventType.SHEET_ENTERED, EventType.AUDIT_HAND_COUNT, EventType.AUDIT_BALLOT})
"""Events keyed twice by two people (an entry 1 and an entry 2 of the same thing)."""


@lru_cache(maxsize=4096)
def principal_of(actor: str) -> Principal | None:
    """The principal an event's actor string names; None for an actor recorded without a role.
    (Cached: a record names a few hundred actors over thousands of events.)"""
    found = ACTOR.fullmatch(actor)
    if found is None or found["role"] not in ROLE_NAMES:
        return None
    role, scope = Role(found["role"]), found["scope"]
    judge = role in (Role.JUDGE, Role.APPEALS_JUDGE)
    party, body = (scope, None) if role is Role.REPRESENTATIVE else (None, scope) if judge else (None, None)
    if scope is not None and party is None and body is None:
        raise ValueError(f"actor {actor!r}: a {role.value} has no party or body")
    return Principal(found["name"], role, found["area"], party=party, body=body)


def same_person(first: str, second: str) -> bool:
    """Whether two entries' actors are one person: the same account (names are never reused,
    ``app/users.py``), or the same actor string for an actor without one. The second entry of
    a double entry must not be (it would check nothing)."""
    a, b = _safe_principal(first), _safe_principal(second)
    if a is not None and b is not None and Role.ADMINISTRATOR not in (a.role, b.role):
        return a.name == b.name
    return first == second


def is_administrator(actor: str) -> bool:
    """Whether ``actor`` is the store's administrator (the local CLI, or an administrator's account)."""
    found = _safe_principal(actor)
    return found is not None and found.role is Role.ADMINISTRATOR


def _safe_principal(actor: str) -> Principal | None:
    try:
        return principal_of(actor)
    except (ValueError, EscrutinioError):
        return None


def action_of(event: Event) -> Action | None:
    """The action of ``domain.roles`` that ``event`` is, or None for one any writer may cause
    (or one that is another act's consequence: a ruling's sheets)."""
    if event.type in FILINGS:
        return FILE_ACTION[event.data["filing"]["kind"]]
    if event.type == EventType.SHEETS_RECORDED:
        source = event.data.get("source")
        named = next(iter(source), None) if isinstance(source, dict) else None
        return None if named == "cases" else SHEET_SOURCES.get(str(named), Action.LOAD_SHEETS)
    if event.type in JUDGED:
        return Action.RULE
    return EVENT_ACTIONS.get(event.type)


@dataclass
class Actors:
    """The accounts a record created so far, and the checks of each event's actor against them
    and the rules. ``area_of`` gives a table's area (None off the roll); ``case_tables`` a case's
    tables (empty for a case never opened)."""

    area_of: Callable[[str], str | None]
    case_tables: Callable[[str], tuple[str, ...]]
    accounts: dict[str, tuple[str, int, int | None]] = field(default_factory=dict)
    """By name: (the actor string the account acts as, created at event, revoked at event)."""
    entry_actors: dict[tuple[Any, ...], tuple[int, str]] = field(default_factory=dict)
    """First entries' (event, actor), by what was entered (type, table, position)."""
    without_role: int = 0
    """Events that need a role, by actors recorded without one (``cli``: before accounts)."""
    unregistered: int = 0
    """Events by role actors of a record that creates no account (it cannot say who they were)."""
    previous: Event | None = None
    """The event checked before: what an act's consequence follows."""

    def check(self, event: Event) -> str | None:
        """Why ``event``'s actor could not have caused it (None: they could). Call after the
        replay applied the event's case transition (a case's tables are known)."""
        try:
            principal = principal_of(event.actor)
        except (ValueError, EscrutinioError) as exc:
            return f"actor {event.actor!r} names a role but no valid account: {exc}"
        problem = self._account(event, principal)
        follows = self._follows(event)
        if problem is None and not follows:
            problem = self._scope(event, principal)
        if problem is None:
            problem = self._second_entry(event)
        if problem is None and event.type == EventType.SHEETS_RECORDED and action_of(event) is None and not follows:
            problem = f"{event.type} by {event.actor}: a ruling's sheets are recorded with the ruling, by its author"
        self._accounts(event)
        self.previous = event
        return problem

    def _follows(self, event: Event) -> bool:
        """Whether ``event`` is the consequence of the act just before it, by the same actor: a
        filing judged on receipt, or a ruling's (an appeal's, a finalisation's) sheets."""
        before = self.previous
        if before is None or before.actor != event.actor or before.type not in EventType.CASE_EVENTS:
            return False
        if event.type in JUDGED:
            return before.type == EventType.CASE_OPENED and before.data.get("number") == event.data.get("number")
        if event.type == EventType.SHEETS_RECORDED:
            source = event.data.get("source")
            return isinstance(source, dict) and before.data.get("number") in source.get("cases", ())
        return False

    def _account(self, event: Event, principal: Principal | None) -> str | None:
        """An actor in a role (not the administrator) must be an account the record created with
        that role and scope, not revoked before the event."""
        if principal is None or principal.role is Role.ADMINISTRATOR:
            return None
        known = self.accounts.get(principal.name)
        if known is None:
            if not self.accounts:
                self.unregistered += 1
                return None
            return f"{event.type} by {event.actor}: the record created no account {principal.name!r} before it"
        actor, created, revoked = known
        if actor != event.actor:
            return f"{event.type} by {event.actor}: account {principal.name!r} was created (event {created}) as {actor}"
        if revoked is not None:
            return f"{event.type} by {event.actor}: account {principal.name!r} was revoked at event {revoked}"
        return None

    def _scope(self, event: Event, principal: Principal | None) -> str | None:
        """The actor's role may take the event's action on what it acts on (party, body, area)."""
        action = action_of(event)
        if action is None:
            return None
        if principal is None:
            self.without_role += 1
            return None
        target = self._target(event, principal)
        for area in self._areas(event, principal):
            denied = refusal(principal, action, area=area, **target)
            if denied is not None:
                return f"{event.type} by {event.actor} is refused by the rule {denied}"
        return None

    @staticmethod
    def _target(event: Event, principal: Principal) -> dict[str, str | None]:
        if event.type in FILINGS:
            filing = event.data["filing"]
            return filing_target(filing["kind"], filing["filer"])
        if event.type in (EventType.CASE_RULED, EventType.CASE_APPEAL_DECIDED):
            return {"body": event.data["ruling"]["body"]}
        if event.type in JUDGED:  # a refusal names its ruling's body; an admission names none: the judge's own
            ruling = event.data.get("ruling")
            return {"body": ruling["body"] if isinstance(ruling, dict) else principal.body}
        return {}

    def _areas(self, event: Event, principal: Principal) -> list[str | None]:
        """The areas the event acts on, as the application's ``require_tables`` finds them: a
        national principal is checked once for the whole election; tables off the roll (or a
        case that names none) leave the principal's own area standing in."""
        if principal.area is None:
            return [None]
        if event.type in TABLE_EVENTS:
            tables: tuple[str, ...] = (str(event.data["table"]),)
        elif event.type == EventType.SHEETS_RECORDED:
            tables = tuple(str(t) for t in event.data["sheets"]["table"])
        elif event.type in EventType.CASE_EVENTS and event.type != EventType.CASE_FINALISED:
            tables = self.case_tables(event.data["number"])
        else:
            return [None]  # an act on the whole election: a national account's
        found = sorted({a for t in tables if (a := self.area_of(t)) is not None})
        return list(found or [principal.area])

    def _second_entry(self, event: Event) -> str | None:
        """A second entry by the person who keyed the first checks nothing: refused, as the
        application refuses it (``same_clerk``)."""
        if event.type not in SECOND_ENTRIES:
            return None
        what = (event.type, event.data.get("table"), event.data.get("position"))
        if event.data.get("entry") == 1:
            self.entry_actors[what] = (event.seq, event.actor)
            return None
        first = self.entry_actors.get(what)
        if event.type != EventType.SHEET_ENTERED and is_administrator(event.actor):
            return None  # the store's administrator transcribes both counters' signed forms (``by`` names them)
        if event.data.get("entry") == 2 and first is not None and same_person(first[1], event.actor):
            return (
                f"{event.type} by {event.actor}: they made the first entry too (event {first[0]}); "
                "the second must be another person's"
            )
        return None

    def _accounts(self, event: Event) -> None:
        if event.type == EventType.ACCOUNT_CREATED:
            d = event.data
            made = Principal(d["name"], Role(d["role"]), d.get("area"), party=d.get("party"), body=d.get("body"))
            self.accounts[made.name] = (made.actor, event.seq, None)
        elif event.type == EventType.ACCOUNT_REVOKED:
            name = event.data["name"]
            if name not in self.accounts:
                raise EscrutinioError(f"account.revoked names {name!r}, which the record never created")
            actor, created, _ = self.accounts[name]
            self.accounts[name] = (actor, created, event.seq)
