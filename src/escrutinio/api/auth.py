"""Who is asking: ``Authorization: Bearer <token>`` -> a :class:`~escrutinio.app.Principal`.

- no header: the public, which reads everything and writes nothing;
- a token of an account (``escrutinio users add``): that account, in its role and scope;
- a malformed, unknown or revoked token: 401 naming the rule (``token``, ``revoked``), never
  the public: someone who tried to sign in and failed is told so rather than served as anyone.

Write routes take :func:`acting_for` (the actions the route may take): sessions on the primary
for the authenticated principal, 401 without a token, 403 naming the ``role`` rule at once when
the principal's role may take none of those actions; only then is the body read
(:mod:`escrutinio.api.bodies`), and the application refuses what the principal's scope does not
allow on what the request names (403 naming ``area``, ``party`` or ``body``). The token is read
from the header only (never a query string, which access logs record) and is never logged or
repeated in an answer.

A token is looked up once per process, then found in :class:`Tokens`' cache while no account
has been created or revoked since: the accounts' stamp, read in one small query begun at most
:data:`ACCOUNTS_FRESH` seconds before the request is checked (``api/fresh.py``), on a thread of
its own so that it never queues behind the writes. So a token revoked by anyone, through any
process, is refused by every request checked :data:`ACCOUNTS_FRESH` seconds after the
revocation committed (a request in flight then may still be carried out, as it would be one
moment earlier). Why not read it for each request, as before: that cost every write a query
and a hop to another thread (a tenth of the server's CPU during intake); now it costs a few
queries a second, whatever the load.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Request

from escrutinio.api.deps import Sessions, Settings, settings
from escrutinio.api.fresh import FreshRead
from escrutinio.app import Action, NotAuthenticated, Principal
from escrutinio.app.users import TokenCache

AuthorizationHeader = Annotated[
    str | None,
    Header(description="`Bearer <token>`: the token `escrutinio users add` printed; none for the public's reads"),
]


ACCOUNTS_FRESH = 0.25
"""Seconds before a request's check within which the accounts' stamp it is checked against was
read: how long a token revoked elsewhere may still be honoured (see the module docstring)."""


class Tokens:
    """One app's authenticated tokens: the cache (``app.users.TokenCache``) and the accounts'
    stamp, read at most ``fresh`` seconds before each check and shared by the checks meanwhile."""

    def __init__(self, config: Settings, fresh: float = ACCOUNTS_FRESH) -> None:
        self.config = config
        self.cache = TokenCache()
        self.stamp = FreshRead(self._read_stamp, within=fresh)

    async def _read_stamp(self) -> int:
        sessions = self.config.sessions()
        return await sessions.run(lambda s: s.users.stamp(), limiter=anyio.CapacityLimiter(1))

    async def principal(self, token: str) -> Principal:
        """The token's account: from the cache when no account event landed since it was found
        there, else looked up (and kept)."""
        found = self.cache.find(token, await self.stamp.get())
        if found is not None:
            return found
        return await self.config.sessions().run(lambda s: s.users.authenticate(token, self.cache))


def tokens(request: Request) -> Tokens:
    """The app's :class:`Tokens` (``create_app`` makes them)."""
    found = request.app.state.tokens
    assert isinstance(found, Tokens)
    return found


async def principal(request: Request, authorization: AuthorizationHeader = None) -> Principal:
    """The principal of this request: the public without a token, else the token's account."""
    from escrutinio.parsing import parse_bearer

    token = parse_bearer(authorization)
    if token is None:
        return Principal.public()
    return await tokens(request).principal(token)


async def acting(request: Request, who: Annotated[Principal, Depends(principal)]) -> Sessions:
    """Sessions on the primary for the authenticated principal; 401 for the public (no token)."""
    if who == Principal.public():
        raise NotAuthenticated("token", "this action needs an account: send Authorization: Bearer <token>")
    return settings(request).sessions(who)


def acting_for(*actions: Action, doing: str | None = None, whole_election: bool = False) -> Any:
    """A dependency: :func:`acting`'s sessions, refused (403, rule ``role``) when the principal's
    role may take none of ``actions`` whatever the target (``doing`` words the refusal); with
    ``whole_election`` (the route acts on the whole election), refused (403, rule ``area``) for
    an account limited to an area too. Declared before the body, it runs first: a caller who
    may not write here is told so, never how the body must be spelled (401, 403, then 422)."""
    from escrutinio.app.access import check_role

    async def allowed(sessions: Annotated[Sessions, Depends(acting)]) -> Sessions:
        check_role(sessions.actor, actions, doing, whole_election=whole_election)
        return sessions

    return Depends(allowed)


def acting_on_case(action: Action) -> Any:
    """A dependency: :func:`acting_for` ``action``, then refused (403, rule ``area``) when the
    case the path names lies outside the principal's area: asked before the body is read, as
    the role is (401, 403, then 422)."""

    role_checked = acting_for(action)  # a default, not an annotation: annotations are read as module names

    async def allowed(number: str, sessions: Sessions = role_checked) -> Sessions:
        await sessions.run(lambda s: s.cases.check_area(number, action))
        return sessions

    return Depends(allowed)


def acting_on_table(action: Action) -> Any:
    """A dependency: :func:`acting_for` ``action``, then refused (403, rule ``area``) when the
    table the path names lies outside the principal's area, before the body is read, as for a
    case (:func:`acting_on_case`). Asked of the roll this process holds first
    (``app.serving.held_within``: no store read, no thread), of the application only when that
    cannot say yes."""
    from escrutinio.app.serving import held_within

    role_checked = acting_for(action)

    async def allowed(table: str, sessions: Sessions = role_checked) -> Sessions:
        if not held_within(sessions.actor, action, table, sessions.shared):
            await sessions.run(lambda s: s.intake.check_area(table, action))
        return sessions

    return Depends(allowed)


Who = Annotated[Principal, Depends(principal)]
Acting = Annotated[Sessions, Depends(acting)]
