"""Whether a principal's role may take an action at all, before anything else is looked at.

Why apart from :meth:`Session.require`: a skin asks this first, before it reads the request's
body, so that a caller who may never take the action (the public, a party representative on an
audit route) is told 403 naming the role rather than how to spell a field they may not send.
The full check (party, body, area of what is acted on) still runs in the application when the
action is taken; this one only reads the role table of ``domain/roles.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from escrutinio.domain.roles import MAY, WHO, AccessDenied, Action, Principal, Role, refusal

CREDENTIAL = "authorization"
"""The field a refusal of the principal's role (or of an area-limited account acting on the
whole election) is about: the credential the request came with, not a field of its body."""


def role_refusal(principal: Principal, actions: Iterable[Action], doing: str | None = None) -> AccessDenied | None:
    """The ``role`` refusal when ``principal``'s role may take none of ``actions`` (whatever the
    target), else None. ``doing`` names the request for the message (``file a case``; by default
    the first action, as the application's own refusal words it)."""
    wanted = [Action(a) for a in actions]
    doing = doing or (wanted[0].value.replace("_", " ") if wanted else "write")
    allowed = set().union(*(MAY[a] for a in wanted)) if wanted else {Role.ADMINISTRATOR}
    if principal.role in allowed:
        return None
    names = ", ".join(sorted(r.value for r in allowed))
    denied = AccessDenied("role", f"{WHO[principal.role]} may not {doing} (allowed: {names})")
    denied.field = CREDENTIAL
    return denied


def check_role(
    principal: Principal, actions: Iterable[Action], doing: str | None = None, *, whole_election: bool = False
) -> None:
    """Raise :func:`role_refusal`'s refusal, if there is one; with ``whole_election`` (an action
    whose target is the whole election: planning the audit, finalising every due case), then
    the area refusal of an account limited to an area (the domain's rule, ``refusal`` with no
    area), which needs nothing of the request either."""
    wanted = list(actions)
    denied = role_refusal(principal, wanted, doing)
    if denied is None and whole_election:
        denied = next((d for a in wanted if (d := refusal(principal, a)) is not None), None)
        if denied is not None:
            denied.field = CREDENTIAL
    if denied is not None:
        raise denied


@contextmanager
def naming(**fields: str) -> Iterator[None]:
    """Name the request field each access refusal raised inside is about, by its rule
    (``area="tables"``, ``party="filer"``, ``body="body"``); a ``role`` refusal, or one whose
    rule is not given, is about the credential (:data:`CREDENTIAL`). The rule stays as it was:
    the field says where to look, the rule why (``domain/roles.py`` knows no request)."""
    try:
        yield
    except AccessDenied as denied:
        if denied.field is None:
            denied.field = fields.get(denied.rule, CREDENTIAL)
        raise
