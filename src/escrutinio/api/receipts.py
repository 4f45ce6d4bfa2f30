"""Every write's answer carries the receipts of the events it recorded.

Why: a clerk who keyed a sheet, a party that filed a claim, an auditor who entered a hand count
holds, from the moment the server accepts it, the proof that their act is in the log (the event,
its inclusion proof, the signed head it leads to: ``ledger/receipts.py``); checked later against
any published head (``escrutinio receipt verify``), it shows the act was neither removed nor
altered. Asked for later, a receipt would need the person to come back and trust the server then.

- ``serve --log-key FILE`` (the transparency log's Ed25519 key): the server signs a head covering
  the new events as it answers (a head is signed only when none covers them yet), and each
  entry of ``receipts`` holds the whole receipt;
- without it, each entry names the event and where to fetch its receipt (``/api/v1/receipts/N``)
  once a head covering it is signed (``escrutinio head sign``, or a server with ``--log-key``),
  and ``receipt`` is null.

Which events: those after the head read just before the action that name this account
(``session.log.recorded_since``); an action already recorded (the same key sent again) names the
event that recorded it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from escrutinio.api.deps import Sessions
from escrutinio.app import Session

RECEIPTS = "/api/v1/receipts/"
LATER = "no signed head covers this event yet: GET its url once one is (escrutinio head sign, or serve --log-key)"


def _answer(result: Any) -> dict[str, Any]:
    answer = result if isinstance(result, dict) else result.to_dict()
    assert isinstance(answer, dict)
    return answer


def _earlier_event(answer: dict[str, Any]) -> list[int]:
    """The event an action recorded before names (an idempotent resubmission)."""
    done = answer.get("already_done")
    if isinstance(done, dict) and isinstance(done.get("event"), int):
        return [done["event"]]
    if isinstance(done, int) and not isinstance(done, bool):
        return [done]
    event = answer.get("event")
    return [event] if done is True and isinstance(event, int) else []


async def written(
    request: Request, acting: Sessions, work: Callable[[Session], Any], *, names_its_events: bool = False
) -> dict[str, Any]:
    """Do ``work`` (one write) on one session and answer what it returned (its ``to_dict()``)
    with ``receipts``: one entry per event recorded (see the module's docstring).

    ``names_its_events``: what ``work`` returns names the events it wrote (``recorded``), so the
    log is not asked (two queries fewer on a sheet entry, the busiest write of election night)."""
    return await receipted(acting, work, log_key(request.app), names_its_events=names_its_events)


def log_key(app: Any) -> Any:
    """The log's key the server signs receipts with (``serve --log-key``), or None."""
    return getattr(app.state, "log_key", None)


async def receipted(
    acting: Sessions, work: Callable[[Session], Any], key: Any, *, names_its_events: bool = False
) -> dict[str, Any]:
    """:func:`written` with the log's key (None: receipts to fetch later) given, not looked up."""

    def done(session: Session) -> dict[str, Any]:
        before = None if names_its_events else int(session.log.head()["events"])
        result = work(session)
        events = list(result.recorded) if before is None else session.log.recorded_since(before)
        return with_receipts(session, result, events, key)

    return await acting.run(done)


def with_receipts(session: Session, result: Any, events: list[int], key: Any) -> dict[str, Any]:
    """The answer of ``result`` with the receipts of ``events`` (the ones it recorded; none:
    the one it recorded before); with no ``key``, the session is not asked anything."""
    answer = _answer(result)
    receipts = []
    for seq in events or _earlier_event(answer):
        entry: dict[str, Any] = {"event": seq, "url": f"{RECEIPTS}{seq}"}
        if key is not None:
            entry["receipt"] = session.log.receipt(seq, key=key).to_dict()
        else:
            entry |= {"receipt": None, "note": LATER}
        receipts.append(entry)
    return answer | {"receipts": receipts}
