"""The application: one :class:`~escrutinio.app.session.Session` on one store for one actor.

Every skin (the CLI, the HTTP API, the web pages, static publishing) calls this package and
nothing below it. Each capability is one sub-service of the session (``session.count``,
``session.cases``, ``session.stakes``, ``session.audit``, ``session.forensics``,
``session.log``, ``session.elections``); inputs are typed values from
:mod:`escrutinio.parsing`, outputs are plain data (dicts, lists, dataclasses) that skins format.
This is the documented Python API (see ``docs/python-api.md``).

Nothing heavy is imported here, so that ``escrutinio --help`` stays instant. The errors a
person is meant to read are re-exported, so that skins catch them without reaching below, and
so are the principal a session acts for and its roles (``AccessDenied``: HTTP 403;
``NotAuthenticated``: 401), and the few rules' values a skin states to its user before it calls
(``ACCOUNT_ROLES`` in a ``--role``'s help, ``MAX_COUNT`` as a request model's bound): the
application's public values, not ``parsing``'s (a skin reaching the domain through ``parsing``'s
re-exports would launder the skins' contract).
"""

from escrutinio.app.session import Session
from escrutinio.domain.errors import (
    AlreadyDone,
    Conflict,
    EscrutinioError,
    InputError,
    NotFound,
    RuleError,
    StaleState,
    StoreError,
    StoreUnavailable,
)
from escrutinio.domain.roles import ACCOUNT_ROLES, AccessDenied, Action, NotAuthenticated, Principal, Role
from escrutinio.domain.sheet import MAX_COUNT

__all__ = [
    "ACCOUNT_ROLES",
    "MAX_COUNT",
    "AccessDenied",
    "Action",
    "AlreadyDone",
    "Conflict",
    "EscrutinioError",
    "InputError",
    "NotAuthenticated",
    "NotFound",
    "Principal",
    "Role",
    "RuleError",
    "Session",
    "StaleState",
    "StoreError",
    "StoreUnavailable",
]
