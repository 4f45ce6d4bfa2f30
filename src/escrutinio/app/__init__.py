"""The application: one :class:`~escrutinio.app.session.Session` on one store for one actor.

Every skin (the CLI, the HTTP API, the web pages, static publishing) calls this package and
nothing below it. Each capability is one sub-service of the session (``session.count``,
``session.cases``, ``session.stakes``, ``session.audit``, ``session.forensics``,
``session.log``, ``session.elections``); inputs are typed values from
:mod:`escrutinio.parsing`, outputs are plain data (dicts, lists, dataclasses) that skins format.
This is the documented Python API (see ``docs/python-api.md``).

Nothing heavy is imported here, so that ``escrutinio --help`` stays instant. The errors a
person is meant to read are re-exported, so that skins catch them without reaching below.
"""

from escrutinio.app.session import Session
from escrutinio.domain.errors import (
    AlreadyDone,
    EscrutinioError,
    InputError,
    NotFound,
    RuleError,
    StaleState,
    StoreError,
    StoreUnavailable,
)

__all__ = [
    "AlreadyDone",
    "EscrutinioError",
    "InputError",
    "NotFound",
    "RuleError",
    "Session",
    "StaleState",
    "StoreError",
    "StoreUnavailable",
]
