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
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request

from escrutinio.api.deps import Sessions, settings
from escrutinio.app import Action, NotAuthenticated, Principal

AuthorizationHeader = Annotated[
    str | None,
    Header(description="`Bearer <token>`: the token `escrutinio users add` printed; none for the public's reads"),
]


async def principal(request: Request, authorization: AuthorizationHeader = None) -> Principal:
    """The principal of this request: the public without a token, else the token's account."""
    from escrutinio.parsing import parse_bearer

    token = parse_bearer(authorization)
    if token is None:
        return Principal.public()
    return await settings(request).sessions().run(lambda s: s.users.authenticate(token))


async def acting(request: Request, who: Annotated[Principal, Depends(principal)]) -> Sessions:
    """Sessions on the primary for the authenticated principal; 401 for the public (no token)."""
    if who == Principal.public():
        raise NotAuthenticated("token", "this action needs an account: send Authorization: Bearer <token>")
    return settings(request).sessions(who)


def acting_for(*actions: Action, doing: str | None = None) -> Any:
    """A dependency: :func:`acting`'s sessions, refused (403, rule ``role``) when the principal's
    role may take none of ``actions`` whatever the target (``doing`` words the refusal)."""
    from escrutinio.app.access import check_role

    async def allowed(sessions: Annotated[Sessions, Depends(acting)]) -> Sessions:
        check_role(sessions.actor, actions, doing)
        return sessions

    return Depends(allowed)


Who = Annotated[Principal, Depends(principal)]
Acting = Annotated[Sessions, Depends(acting)]
