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
``NotAuthenticated``: 401).
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
from escrutinio.domain.roles import AccessDenied, Action, NotAuthenticated, Principal, Role

__all__ = [
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
