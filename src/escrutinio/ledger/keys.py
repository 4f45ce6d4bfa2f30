"""Officials' keys in the record, and signatures checked against them.

A key enters the record by a ``key.registered`` event (its id, public key, holder and role), so
anyone holding the exported log knows which keys could sign what, and when each appeared. A
signature is over ``{"type": act, "data": payload}`` (the act named, so a signature made for a
ruling cannot be replayed as a certificate), and it is refused when its key is unknown to the
record or registered to a role that may not make the act (:data:`escrutinio.domain.roles.SIGNED_ACTS`).
A role recorded under an older name (``appeals_body``) is read as the role it was
(:func:`escrutinio.domain.roles.key_role`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from escrutinio.domain.errors import RuleError
from escrutinio.domain.roles import SIGNED_ACTS, check_signer, key_role, parse_key_role
from escrutinio.ledger.events import Event, EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.signing import BadSignature, PublicKey, SigningError, SigningKey

KEY_REGISTERED = EventType.KEY_REGISTERED


@dataclass(frozen=True)
class Registration:
    """A key as the record holds it."""

    key_id: str
    public_key: str
    holder: str
    role: str
    seq: int

    def to_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "public_key": self.public_key, "holder": self.holder, "role": self.role, "event": self.seq}


def registry(events: Iterable[Event]) -> dict[str, Registration]:
    """Every registered key by id, from the ``key.registered`` events (oldest first); a role
    recorded under an older name is read as the role it was."""
    out: dict[str, Registration] = {}
    for e in events:
        d = e.data
        role = key_role(d["role"])
        recorded = role.value if role is not None else d["role"]
        out.setdefault(d["key_id"], Registration(d["key_id"], d["public_key"], d["holder"], recorded, e.seq))
    return out


def registration(public: PublicKey, holder: str, role: str, known: Mapping[str, Registration]) -> PendingEvent:
    """The event that registers ``public`` to ``holder`` in ``role``; a key is registered once."""
    holder = holder.strip()
    if not holder:
        raise RuleError("holder: expected the name of the key's holder", field="holder")
    role = parse_key_role(role).value
    if public.key_id in known:
        done = known[public.key_id]
        raise RuleError(f"key {public.key_id[:16]} is already registered to {done.holder} ({done.role}) at event {done.seq}")
    data = {"key_id": public.key_id, "public_key": public.hex, "holder": holder, "role": role}
    return PendingEvent(KEY_REGISTERED, data)


def signed_bytes_object(act: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a signature covers: the act's name and its payload."""
    return {"type": act, "data": dict(payload)}


def sign(key: SigningKey, act: str, payload: Mapping[str, Any], known: Mapping[str, Registration]) -> dict[str, str]:
    """Sign ``payload`` as ``act`` with ``key``, refused unless the key is registered to a role that makes ``act``."""
    reg = known.get(key.key_id)
    if reg is None:
        raise RuleError(
            f"key: key {key.key_id[:16]} is not registered in this record (escrutinio keys register FILE.pub)", field="key"
        )
    try:
        check_signer(act, reg.role, reg.key_id)
    except RuleError as exc:
        raise RuleError(f"key: {exc}", field="key") from None
    return {
        "key_id": reg.key_id,
        "holder": reg.holder,
        "role": reg.role,
        "signature": key.sign(signed_bytes_object(act, payload)),
    }


def signer_problem(key_id: str, act: str, size: int, known: Mapping[str, Registration]) -> str | None:
    """Why key ``key_id`` may not sign ``act`` over the first ``size`` events of a record (None:
    it may): it must be registered by one of those events, to a role that makes the act. A head
    signed by a key the record did not yet hold could be anyone's."""
    reg = known.get(key_id)
    if reg is None:
        return f"key {key_id[:16]} is not registered in the record"
    if reg.seq > size:
        return f"key {key_id[:16]} ({reg.holder}) was registered at event {reg.seq}, after the first {size} events it signs"
    try:
        check_signer(act, reg.role, key_id)
    except RuleError as exc:
        return f"{exc} ({reg.holder})"
    return None


def verify(signature: Mapping[str, Any], act: str, payload: Mapping[str, Any], known: Mapping[str, Registration]) -> None:
    """Raise unless ``signature`` is a registered key's, of a role allowed ``act``, over ``payload``."""
    key_id = str(signature.get("key_id", ""))
    reg = known.get(key_id)
    if reg is None:
        raise BadSignature(f"signature by key {key_id[:16]}: no such key is registered in the record")
    try:
        check_signer(act, reg.role, key_id)
    except RuleError as exc:
        raise BadSignature(f"signature by {reg.holder}: {exc}") from None
    PublicKey.from_hex(reg.public_key).verify(
        signed_bytes_object(act, payload), str(signature.get("signature", "")), what=f"signature by {reg.holder}"
    )


SIGNATURE = "signature"
"""The key under which a signed event's data holds its signature (the rest is what is signed)."""


def sign_events(pending: Sequence[PendingEvent], key: SigningKey, known: Mapping[str, Registration]) -> list[PendingEvent]:
    """``pending`` with every act a key signs (:data:`~escrutinio.domain.roles.SIGNED_ACTS`)
    signed by ``key`` over the event's type and data; refused when the key is unregistered or of
    a role that may not make one of the acts. Other events (the count changes a ruling causes)
    pass unchanged."""
    out = []
    for p in pending:
        if p.type not in SIGNED_ACTS or p.frame is not None:
            out.append(p)
            continue
        data = p.payload()
        # What the store keeps of the event (a sealed entry's figures) goes with it, unsigned: never logged.
        out.append(PendingEvent(p.type, {**data, SIGNATURE: sign(key, p.type, data, known)}, private=p.private))
    return out


def event_signature_problem(event: Event, known: Mapping[str, Registration]) -> str | None:
    """Why a signed event's signature does not hold against the record's keys (None: it holds,
    or the event carries none)."""
    signature = event.data.get(SIGNATURE) if isinstance(event.data, dict) else None
    if signature is None:
        return None
    body = {k: v for k, v in event.data.items() if k != SIGNATURE}
    try:
        verify(signature, event.type, body, known)
    except SigningError as exc:
        return f"event {event.seq} ({event.type}): {exc}"
    return None
