"""``session.users``: the accounts that act through the API, their tokens, and authentication.

An account is a name, a role and the role's scope (area, party, body: see
:mod:`escrutinio.domain.roles`). Creating and revoking one are events in the log naming the
account's role and scope, so the record says who could act, and from when to when; the token
is never in the log, nor in any listing.

Tokens: ``secrets.token_urlsafe(32)``, 256 random bits, shown once when the account is made.
The store keeps their SHA-256 only. A plain hash is enough here, unlike for passwords: a
password is guessable, so its hash must be slow (scrypt, Argon2) to resist trying every likely
one; a 256-bit random token cannot be guessed, so a fast hash gives nothing away even if the
accounts table leaks, and checking a request costs microseconds instead of the tens of
milliseconds a slow hash would add to every API call. The hash is looked up by its index, then
compared with :func:`hmac.compare_digest`, so no comparison's time depends on how much of a
presented token is right.

A server authenticates every request; looking the token up each time cost a query and a
session per request (8 % of the server's time during intake). :class:`TokenCache` keeps what
this process found, each entry with the accounts' stamp (``session.users.stamp()``: the last
event that created or revoked an account) it was found at; an entry is honoured only while the
stamp the caller read *after the request arrived* is the same, so a token revoked by anyone,
through any process, is refused by the next request (``api/auth.py`` reads that stamp once for
all the requests arriving together).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from escrutinio.domain.errors import AlreadyDone, EscrutinioError, NotFound, stepped
from escrutinio.domain.roles import ACCOUNT_ROLES, Action, NotAuthenticated, Principal, Role

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext

TOKEN_BYTES = 32
MAX_TOKEN = 256
"""A presented token longer than this is no token of ours (refused before it is hashed)."""


def token_hash(token: str) -> str:
    """The SHA-256 of a token, as the store keeps it (see the module docstring for why SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def presented_hash(token: str) -> str:
    """The hash of a token a request presents; :class:`NotAuthenticated` when it cannot be one of
    ours (refused before it is hashed; the message never repeats it)."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        error = NotAuthenticated("token", "expected a token as escrutinio users add printed it")
        raise stepped(error, "expected the token of an account", "account_token")
    return token_hash(token)


@dataclass(frozen=True)
class _Known:
    principal: Principal
    stored_hash: str
    stamp: int


class TokenCache:
    """The accounts this process authenticated, by token hash, each with the accounts' stamp it
    was found at (see the module docstring). Only valid, unrevoked accounts are kept; at most
    ``limit`` of them (beyond, it starts again empty: there are only as many as accounts).
    Used from any thread: each operation is one dictionary access."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._known: dict[str, _Known] = {}

    def find(self, token: str, stamp: int) -> Principal | None:
        """The principal of ``token`` if it was found at accounts' stamp ``stamp`` (read after
        the request arrived), else None (look it up); malformed: :class:`NotAuthenticated`."""
        digest = presented_hash(token)
        known = self._known.get(digest)
        if known is None or known.stamp != stamp or not hmac.compare_digest(known.stored_hash, digest):
            return None
        return known.principal

    def keep(self, digest: str, stored_hash: str, principal: Principal, stamp: int) -> None:
        if len(self._known) >= self.limit:
            self._known = {}
        self._known[digest] = _Known(principal, stored_hash, stamp)


@dataclass(frozen=True)
class NewAccount:
    """An account just made and its token: the only time the token is seen. ``repr`` hides it."""

    account: dict[str, Any]
    token: str

    def __repr__(self) -> str:
        return f"NewAccount(account={self.account!r}, token=<hidden>)"


class UsersService:
    """The accounts of one store, managed by the session's principal (an administrator)."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    # -- managing --------------------------------------------------------------------------

    def add(
        self,
        name: str,
        role: Role,
        *,
        area: str | None = None,
        party: str | None = None,
        body: str | None = None,
    ) -> NewAccount:
        """Create an account and its token (returned once; only its hash is stored).

        ``area`` must be an area of the store's election (the nation's code, or none, for a
        national account); ``party`` one of the contest's choices. A name is used once: a
        revoked account's name is not given again, so the log's actor names stay unambiguous.
        """
        from escrutinio.ledger.events import EventType
        from escrutinio.ledger.pending import PendingEvent

        session = self.session
        session.require(Action.MANAGE_USERS)
        election = session.election()
        if area is not None and area == election.country:
            area = None
        accountable = [r.value for r in ACCOUNT_ROLES]
        if role not in accountable:
            raise EscrutinioError(f"role: expected one of {', '.join(accountable)}, got {str(role)!r}", field="role")
        principal = Principal(name, Role(role), area=area, party=party, body=body)
        if party is not None and party not in election.contest.choice_ids:
            choices = ", ".join(election.contest.choice_ids)
            raise EscrutinioError(f"party: {party!r} is not a choice of this contest ({choices})", field="party")
        if area is not None and area not in set(session.store.areas()["code"].to_list()):
            raise EscrutinioError(
                f"area: no area {area!r} in this election (national: {election.country}, or no area)", field="area"
            )
        existing = {a["name"]: a["created_at"] for a in session.store.accounts()}
        if name in existing:
            raise EscrutinioError(f"name: an account {name!r} exists (created at {existing[name]}); names are not reused")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        data = {"name": name, "role": principal.role.value, "area": area, "party": party, "body": body}
        event = PendingEvent(EventType.ACCOUNT_CREATED, data, private={"token_hash": token_hash(token)})
        try:
            (written,) = session.store.append([event], session.actor, keys=[f"users.add:{name}"])
        except AlreadyDone:
            raise EscrutinioError(f"name: an account {name!r} was created meanwhile; names are not reused") from None
        return NewAccount({**data, "created_at": written.at, "created_seq": written.seq, "revoked_at": None}, token)

    def listing(self) -> list[dict[str, Any]]:
        """Every account (no token, no hash): name, role, scope, created and revoked."""
        return [
            {k: a[k] for k in ("name", "role", "area", "party", "body", "created_at", "revoked_at")}
            for a in self.session.store.accounts()
        ]

    def revoke(self, name: str) -> dict[str, Any]:
        """Revoke an account: its token is refused from now on (the account stays in the record)."""
        from escrutinio.ledger.events import EventType
        from escrutinio.ledger.pending import PendingEvent

        session = self.session
        session.require(Action.MANAGE_USERS)
        found = {a["name"]: a for a in session.store.accounts()}.get(name)
        if found is None:
            raise NotFound(f"name: no account {name!r} (escrutinio users list shows them)", "name")
        if found["revoked_at"] is not None:
            return {"name": name, "revoked_at": found["revoked_at"], "already_revoked": True}
        event = PendingEvent(EventType.ACCOUNT_REVOKED, {"name": name, "role": found["role"], "area": found["area"]})
        try:
            (written,) = session.store.append([event], session.actor, keys=[f"users.revoke:{name}"])
        except AlreadyDone:
            return {"name": name, "revoked_at": None, "already_revoked": True}
        return {"name": name, "revoked_at": written.at, "already_revoked": False}

    # -- authenticating --------------------------------------------------------------------

    def stamp(self) -> int:
        """The number of the last event that created or revoked an account (0: none): while it
        is the same, so is every account (see :class:`TokenCache`). One small query."""
        return self.session.reader.accounts_stamp()

    def authenticate(self, token: str, cache: TokenCache | None = None) -> Principal:
        """The principal a bearer token stands for; :class:`NotAuthenticated` for a token that
        is malformed, unknown or revoked (the message never repeats the token). With ``cache``,
        a valid account is kept there with the accounts' stamp read before looking it up (so an
        account event landing in between makes the entry stale, never wrongly fresh)."""
        digest = presented_hash(token)
        stamp = self.stamp() if cache is not None else 0
        found = self.session.store.account_by_token_hash(digest)
        if found is None or not hmac.compare_digest(found[1], digest):
            raise NotAuthenticated("token", "unknown token")
        account = found[0]
        if account["revoked_at"] is not None:
            raise NotAuthenticated("revoked", f"the account {account['name']!r} was revoked at {account['revoked_at']}")
        principal = Principal(
            account["name"], Role(account["role"]), area=account["area"], party=account["party"], body=account["body"]
        )
        if cache is not None:
            cache.keep(digest, found[1], principal, stamp)
        return principal
