"""An idempotency key names one request: sent again, the same request gets its first answer;
another request under a key already used is refused.

Why: a client resends a request it has no answer to (a timeout, a double click) with the same
key, and must get the first result, never a second action. A key reused for another request
(other figures, another table, another image, another account) is a client's mistake: answering
it with the first request's receipt would tell it that what it sent was recorded when nothing
was, so it is refused (409, rule ``key_reused``), naming the key's field.

What the request was is read from the event its key marks (the log holds it whole): nothing is
stored beside the key, and a fresh key, the hot path of election night, costs nothing more. Only
a key already recorded (a resend) is compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from escrutinio.domain.errors import Conflict

if TYPE_CHECKING:
    from escrutinio.ledger.events import Event


def replayed(
    event: Event, kind: str, recorded: Mapping[str, Any], asked: Mapping[str, Any], *, key: str, field: str, actor: str
) -> Event:
    """``event``, the one ``key`` marks, when this request is the one it recorded: an event of
    ``kind`` by ``actor`` whose ``recorded`` parts (read from its data by the caller) equal what
    this request ``asked``; else the refusal, naming ``field`` and what differs."""
    differ = [name for name, value in asked.items() if recorded.get(name) != value]
    if event.type != kind:
        differ = [f"the action ({event.type})"]
    elif event.actor != actor:
        differ = [f"the account ({event.actor})", *differ]
    if differ:
        raise Conflict(
            "key_reused",
            f"{field}: {key!r} was used for a different request (event {event.seq}; it differs in {', '.join(differ)}): "
            "a new request needs a new key",
            field=field,
        )
    return event
