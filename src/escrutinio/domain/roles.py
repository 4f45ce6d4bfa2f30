"""Who may do what: roles, the principal acting, every write the application performs, the
policy, and which role's key may sign which act.

Why in the domain: the rule "a party representative never rules on a case" is the election's, not
the API's; written once here, it holds the same for the CLI, the HTTP API and any future skin, and
a test can read the whole matrix without a server. Nothing here reads a store: the application
finds the target of an action (the area of a table, the body of a case, the party a filing is
for) and asks :func:`permits` whether the principal may act on it.

Scopes:

- *area*: an account may be limited to an area (a counting centre's district, a dispute body's
  electoral district); ``None`` is the whole nation. Area codes nest by prefix: Peru's ubigeo
  ``"15"`` (Lima) holds ``"1501"`` and ``"150101"``; a generic file's names path ``"La Paz"``
  holds ``"La Paz/Murillo"`` (see :func:`area_within`).
- *party*: a party representative (personero) acts for one party only.
- *body*: a judge sits on one dispute body (JEE) or appeals body (JNE).

One vocabulary for accounts and keys: an official's signing key is registered in one of these
roles (:data:`SIGNED_ACTS` says which acts each may sign), so a judge's account and a judge's
key say the same word. Records written before the two were one carry the older key role names
(``dispute_body``, ``appeals_body``, ``counting_authority``, ``witness``); :func:`key_role` reads
them as the roles they were (:data:`LEGACY_KEY_ROLES`). Case filings name their filer's role in
the same words (:data:`FILER_ROLES`); older case events wrote ``dispute_body`` and
``counting_authority``, which :func:`filer_role` reads as :attr:`Role.JUDGE` and :attr:`Role.CLERK`.

The local CLI acts as the store's :attr:`Role.ADMINISTRATOR`: whoever can write the store's file
could change it anyway, so granting them less would protect nothing; what matters is that every
event names who acted, in which role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from escrutinio.domain.errors import EscrutinioError, RuleError


class Role(StrEnum):
    """The roles an account can hold (the actors of DOMAIN.md)."""

    ADMINISTRATOR = "administrator"  # runs the store: accounts, keys, history reconstruction
    CLERK = "clerk"  # counting authority (ONPE) staff of a counting centre or area: keys and loads sheets
    REPRESENTATIVE = "representative"  # party representative (personero) of one party: files claims, appeals
    JUDGE = "judge"  # judge of one dispute body (JEE) and its area: opens own-motion cases, rules
    APPEALS_JUDGE = "appeals_judge"  # judge of the appeals body (JNE): decides appeals, proclaims
    AUDITOR = "auditor"  # runs the risk-limiting audit and records hand counts
    OBSERVER = "observer"  # an observer mission, the press: reads; with a key, countersigns the log's heads
    PUBLIC = "public"  # anyone without an account (the press, observers): reads only; no account has it


ACCOUNT_ROLES = tuple(r for r in Role if r is not Role.PUBLIC)
"""The roles an account can hold (the public is whoever has none): what ``users add --role``
offers and what refusing another names, from this one list."""


class Action(StrEnum):
    """Every write the application performs (one value per kind of change to the record)."""

    CREATE_STORE = "create_store"  # the first load: records the election definition
    LOAD_SHEETS = "load_sheets"  # a file of tally sheets
    SUBMIT_SHEET = "submit_sheet"  # one sheet keyed at a desk (double entry)
    ATTACH_IMAGE = "attach_image"  # a sheet's scanned image
    OPEN_OBSERVATION = "open_observation"  # observation / challenged ballots sent to the dispute body
    FILE_CLAIM = "file_claim"  # a nullity request
    OPEN_OWN_MOTION = "open_own_motion"  # nulidad de oficio
    RULE = "rule"  # a first-instance decision
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    FINALISE = "finalise"  # make final the rulings whose appeal window closed
    DECLARE_TIME = "declare_time"  # reconstruct history: record an act at a declared past time
    PLAN_AUDIT = "plan_audit"
    SEED_AUDIT = "seed_audit"
    DRAW_AUDIT = "draw_audit"
    RECORD_AUDIT_ENTRY = "record_audit_entry"  # a hand count or a ballot reading
    RESOLVE_AUDIT_ENTRY = "resolve_audit_entry"  # settle two differing entries
    MEASURE_AUDIT = "measure_audit"
    REPORT_AUDIT = "report_audit"
    MANAGE_USERS = "manage_users"
    REGISTER_KEY = "register_key"  # a signing key (certificates, signed rulings)
    CERTIFY = "certify"  # the certificate of the result (the proclamation)


CAN: dict[Role, frozenset[Action]] = {
    Role.ADMINISTRATOR: frozenset(Action),
    Role.CLERK: frozenset({Action.LOAD_SHEETS, Action.SUBMIT_SHEET, Action.ATTACH_IMAGE, Action.OPEN_OBSERVATION}),
    Role.REPRESENTATIVE: frozenset({Action.FILE_CLAIM, Action.APPEAL}),
    Role.JUDGE: frozenset({Action.OPEN_OWN_MOTION, Action.RULE, Action.FINALISE}),
    Role.APPEALS_JUDGE: frozenset({Action.DECIDE_APPEAL, Action.FINALISE, Action.CERTIFY}),
    Role.AUDITOR: frozenset(
        {
            Action.PLAN_AUDIT,
            Action.SEED_AUDIT,
            Action.DRAW_AUDIT,
            Action.RECORD_AUDIT_ENTRY,
            Action.RESOLVE_AUDIT_ENTRY,
            Action.MEASURE_AUDIT,
            Action.REPORT_AUDIT,
        }
    ),
    Role.OBSERVER: frozenset(),
    Role.PUBLIC: frozenset(),
}
"""What each role may do. The administrator may take every action: they can write the store's
file, so granting them less would protect nothing (see the module docstring); creating the
store, declaring past times (reconstructing history), managing accounts and registering keys
are theirs alone."""

MAY: dict[Action, frozenset[Role]] = {a: frozenset(r for r, can in CAN.items() if a in can) for a in Action}
"""The same table read by action: the roles that may take it."""

UNSCOPED = frozenset({Action.MANAGE_USERS, Action.REGISTER_KEY, Action.CREATE_STORE})
"""Actions that have no area (they act on the store, not on a part of the election). Every other
action has one: ``area=None`` then means the whole election, which only a national account may
act on (a plan for the whole audit, finalising every due case)."""

PARTY_ACTIONS = frozenset({Action.FILE_CLAIM, Action.APPEAL})
"""Actions taken for a party: a representative only for their own."""

BODY_ACTIONS = frozenset({Action.RULE, Action.OPEN_OWN_MOTION, Action.DECIDE_APPEAL})
"""Actions taken by a body: a judge only for their own."""

NATIONAL_ONLY = frozenset({Role.ADMINISTRATOR, Role.APPEALS_JUDGE, Role.OBSERVER, Role.PUBLIC})
"""Roles with no area: the store's administrator, the appeals body (one for the nation), observers, the public."""

WHO = {
    Role.ADMINISTRATOR: "the administrator",
    Role.CLERK: "a clerk",
    Role.REPRESENTATIVE: "a party representative",
    Role.JUDGE: "a dispute-body judge",
    Role.APPEALS_JUDGE: "an appeals judge",
    Role.AUDITOR: "an auditor",
    Role.OBSERVER: "an observer",
    Role.PUBLIC: "the public",
}

# -- signing keys -------------------------------------------------------------------------------

TREE_HEAD = "tree_head"
"""The act of signing the log's head (what the counting body publishes as the count goes on)."""
COSIGNATURE = "cosignature"
"""The act of countersigning a head as a witness, after checking it extends the last one seen."""

SIGNED_ACTS: dict[str, frozenset[Role]] = {
    "case.admitted": frozenset({Role.JUDGE}),
    "case.refused": frozenset({Role.JUDGE, Role.APPEALS_JUDGE}),
    "case.ruled": frozenset({Role.JUDGE}),
    "case.appeal_decided": frozenset({Role.APPEALS_JUDGE}),
    "case.finalised": frozenset({Role.JUDGE, Role.APPEALS_JUDGE}),
    "audit.hand_count": frozenset({Role.AUDITOR}),
    "audit.measured": frozenset({Role.AUDITOR}),
    "audit.reported": frozenset({Role.AUDITOR}),
    "certificate.issued": frozenset({Role.APPEALS_JUDGE}),
    TREE_HEAD: frozenset({Role.ADMINISTRATOR}),
    COSIGNATURE: frozenset({Role.REPRESENTATIVE, Role.OBSERVER}),
}
"""The acts a key may sign, each with the roles whose keys may make it (one key, one role: a
person with two roles holds two keys). The log's heads are signed by the key of whoever runs the
log, the store's administrator (the counting authority's results centre); parties and observers
countersign them."""

KEY_ROLES = frozenset(r for allowed in SIGNED_ACTS.values() for r in allowed)
"""The roles a key may be registered in: those that sign something."""

LEGACY_KEY_ROLES: dict[str, Role] = {
    "dispute_body": Role.JUDGE,
    "appeals_body": Role.APPEALS_JUDGE,
    "counting_authority": Role.ADMINISTRATOR,
    "witness": Role.OBSERVER,
}
"""Key roles as records written before the one vocabulary name them, and the role each is now.
(A ``counting_authority`` key could sign nothing but the log's heads, which are the administrator's.)"""


FILER_ROLES = frozenset({Role.REPRESENTATIVE, Role.JUDGE, Role.CLERK})
"""The roles that open a case: a party's representative (a nullity request, an appeal), a
dispute-body judge (own motion), the counting authority's clerk (an observation, challenged ballots)."""

LEGACY_FILER_ROLES: dict[str, Role] = {"dispute_body": Role.JUDGE, "counting_authority": Role.CLERK}
"""Filer roles as case events written before the one vocabulary name them (``claims.FilerRole``),
and the role each is now: a case a dispute body opens of its own motion is its judge's, an
observation the counting authority sends is its clerk's (the role that may open one)."""


def filer_role(recorded: str) -> Role:
    """The role a case filing's ``filer_role`` names, older names included; ValueError otherwise."""
    role = LEGACY_FILER_ROLES.get(recorded)
    if role is None:
        try:
            role = Role(recorded)
        except ValueError:
            role = None
    if role not in FILER_ROLES:
        names = ", ".join(sorted(r.value for r in FILER_ROLES))
        raise ValueError(f"filer_role: expected one of {names}, got {recorded!r}")
    assert role is not None
    return role


def key_role(recorded: str) -> Role | None:
    """The role a ``key.registered`` event's ``role`` names, older names included (None: no role)."""
    if recorded in LEGACY_KEY_ROLES:
        return LEGACY_KEY_ROLES[recorded]
    try:
        return Role(recorded)
    except ValueError:
        return None


class InvalidValue(RuleError):
    """A value that is not of the form its field takes (a role's name that is none, a scope its
    role does not carry), whatever the record holds: ``field`` names it and the message starts
    with it (``party: ...``), as a request names it; the CLI exits 2 for it, as for a usage error."""

    rule = "invalid"


def parse_key_role(text: str, what: str = "role") -> Role:
    """The role a new key is registered in; the older names are taken as the roles they were."""
    role = key_role(text.strip().replace("-", "_"))
    if role is None or role not in KEY_ROLES:
        names = ", ".join(sorted(r.value for r in KEY_ROLES))
        raise InvalidValue(f"{what}: expected one of {names}, got {text!r}", field=what)
    return role


def check_signer(act: str, role: str, key_id: str) -> None:
    """Refuse a signature on ``act`` by a key registered for ``role`` (older names read as the
    roles they were) when that role may not make it."""
    allowed = SIGNED_ACTS.get(act)
    if allowed is None:
        raise RuleError(f"{article(act)} {act} is not an act escrutinio signs")
    held = key_role(role)
    if held not in allowed:
        names = " or ".join(sorted(WHO[r] for r in allowed))
        as_ = WHO[held] if held is not None else f"role {role!r}"
        raise RuleError(f"key {key_id[:16]} is registered to {as_}; {article(act)} {act} is made by {names}")


def article(word: str) -> str:
    """ "a" or "an" before ``word`` (an audit.reported, a case.ruled)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


class AccessDenied(RuleError):
    """The principal's role or scope does not allow the action (HTTP 403); nothing was written.

    ``rule`` is one of ``role``, ``area``, ``party``, ``body``.
    """

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message
        super().__init__(f"{rule}: {message}")


class NotAuthenticated(EscrutinioError):
    """No valid credentials (HTTP 401): ``rule`` is ``token`` (none, malformed or unknown) or ``revoked``."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message
        super().__init__(f"{rule}: {message}")


def area_within(target: str, scope: str) -> bool:
    """Whether area ``target`` lies within area ``scope`` (or is it).

    Codes nest by prefix: ubigeo digits (``"15"`` holds ``"150101"``; codes grow by whole levels
    of two digits, so a prefix never crosses a boundary), names paths by whole segments
    (``"La Paz"`` holds ``"La Paz/Murillo"`` but not ``"La Paz Sur"``).
    """
    if target == scope:
        return True
    if not target.startswith(scope):
        return False
    if target[len(scope)] == "/":
        return True
    return scope.isdigit() and target.isdigit()


@dataclass(frozen=True)
class Principal:
    """Who is acting: a named account with one role, and the scope of that role.

    ``area`` None is the whole nation; ``party`` is a representative's party (a choice id of
    the contest); ``body`` a judge's body (``JEE``, ``JNE``, or a named one).
    """

    name: str
    role: Role
    area: str | None = None
    party: str | None = None
    body: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        problem = principal_problem(self)
        if problem is not None:
            raise InvalidValue(problem, field=problem.split(":", 1)[0])

    @property
    def actor(self) -> str:
        """How events name this principal: ``role:name``, then ``/party`` or ``/body``, then
        ``@area`` (``clerk:ana@150101``, ``representative:maria/FP``, ``judge:luis/JEE@15``)."""
        out = f"{self.role.value}:{self.name}"
        scope = self.party or self.body
        if scope:
            out += f"/{scope}"
        if self.area:
            out += f"@{self.area}"
        return out

    @classmethod
    def public(cls) -> Principal:
        """Whoever sends no token: reads only (every action is refused by the ``role`` rule)."""
        return cls("anyone", Role.PUBLIC)

    @classmethod
    def administrator(cls, name: str) -> Principal:
        """The store's administrator (the local CLI, or a Python program that opens the store)."""
        return cls(name, Role.ADMINISTRATOR)

    def __str__(self) -> str:
        return self.actor


NAME_LIMIT = 64
RESERVED = "/@"


def name_problem(value: str, what: str) -> str | None:
    """Why ``value`` cannot name an account, a party or a body (None when it can): any printable
    text (names are people's: ``José``) but ``/`` and ``@``, which separate the scope and the
    area in the actor string, and spaces at either end, which no one can see."""
    if not value:
        return f"{what}: expected a non-empty name"
    if len(value) > NAME_LIMIT:
        return f"{what}: {value[:24]!r}… has {len(value)} characters; at most {NAME_LIMIT} are allowed"
    bad = [c for c in value if c in RESERVED or not c.isprintable()]
    if bad:
        return f"{what}: {value!r} has {bad[0]!r}; a name may not hold '/', '@' or control characters"
    if value != value.strip():
        return f"{what}: {value!r} starts or ends with a space"
    return None


def principal_problem(p: Principal) -> str | None:
    """Why these fields cannot make an account (None when they can): each role carries exactly
    the scope it acts in."""
    checks = [name_problem(p.name, "name")]
    if p.party is not None:
        checks.append(name_problem(p.party, "party"))
    if p.body is not None:
        checks.append(name_problem(p.body, "body"))
    if p.area is not None and (not p.area or len(p.area) > 128 or p.area != p.area.strip()):
        checks.append(f"area: expected an area code, got {p.area!r}")
    for problem in checks:
        if problem is not None:
            return problem
    who = WHO[p.role]
    if p.role is Role.REPRESENTATIVE and p.party is None:
        return f"party: {who} represents one party: name it"
    if p.role is not Role.REPRESENTATIVE and p.party is not None:
        return f"party: only a party representative has a party, not {who}"
    if p.role in (Role.JUDGE, Role.APPEALS_JUDGE) and p.body is None:
        return f"body: {who} sits on one body: name it"
    if p.role not in (Role.JUDGE, Role.APPEALS_JUDGE) and p.body is not None:
        return f"body: only a judge sits on a body, not {who}"
    if p.role in NATIONAL_ONLY and p.area is not None:
        return f"area: {who} acts for the whole election; give no area"
    return None


TARGET = frozenset({"area", "party", "body"})


def refusal(principal: Principal, action: Action, **target: str | None) -> AccessDenied | None:
    """Why ``principal`` may not take ``action`` on ``target`` (None when they may).

    The target: ``area`` the area of what is acted on (None: the whole election), ``party`` the
    party a filing is for, ``body`` the body that decides. Checks in order: role, party, body,
    area; the first that fails is the answer.
    """
    unknown = set(target) - TARGET
    if unknown:
        raise TypeError(f"refusal: unknown target {sorted(unknown)[0]!r}")
    area, party, body = target.get("area"), target.get("party"), target.get("body")
    action = Action(action)
    role = principal.role
    who = WHO[role]
    if role is Role.ADMINISTRATOR:
        return None
    if role not in MAY[action]:
        allowed = ", ".join(sorted(r.value for r in MAY[action]))
        return AccessDenied("role", f"{who} may not {action.value.replace('_', ' ')} (allowed: {allowed})")
    if action in PARTY_ACTIONS and party != principal.party:
        return AccessDenied("party", f"{principal.actor} acts for {principal.party}, not for {party}")
    if action in BODY_ACTIONS and body != principal.body:
        return AccessDenied("body", f"{principal.actor} sits on {principal.body}, not on {body}")
    if action in UNSCOPED or principal.area is None:
        return None
    if area is None:
        return AccessDenied(
            "area",
            f"{action.value.replace('_', ' ')} acts on the whole election; {principal.actor} acts in area {principal.area} only",
        )
    if not area_within(area, principal.area):
        return AccessDenied("area", f"area {area} is outside {principal.actor}'s area {principal.area}")
    return None


def permits(
    principal: Principal,
    action: Action,
    *,
    area: str | None = None,
    party: str | None = None,
    body: str | None = None,
) -> str | None:
    """The rule that refuses ``principal`` taking ``action`` on this target, or None when allowed
    (see :func:`refusal` for what the target means and for the message)."""
    denied = refusal(principal, action, area=area, party=party, body=body)
    return None if denied is None else denied.rule


def check(principal: Principal, action: Action, **target: str | None) -> None:
    """Raise :class:`AccessDenied` unless ``principal`` may take ``action`` on ``target`` (the
    keywords of :func:`permits`)."""
    denied = refusal(principal, action, **target)
    if denied is not None:
        raise denied
