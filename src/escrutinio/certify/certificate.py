"""The certificate of the result: what the proclaiming body signs, bound to the record.

It holds the election, the national totals, the outcome under the definition's rule (quoted
with its legal source) and the head of the log it was computed from (its seq and hash), so a
reader checks that the figures are those of that exact record: ``escrutinio verify`` recomputes
them from the record, and ``escrutinio certificate verify`` checks the signatures and that the
head is in the store. Signatures are over the certificate without its ``signatures`` field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from escrutinio.domain.election import Election
from escrutinio.ledger.events import EventType
from escrutinio.ledger.keys import Registration, verify
from escrutinio.ledger.signing import SigningError

CERTIFICATE_ISSUED = EventType.CERTIFICATE_ISSUED
KIND = "escrutinio.certificate/1"
TOTAL_FIELDS = ("electors", "ballots_cast", "valid", "blank", "null", "challenged", "votes", "tables")


def build(election: Election, nation: Mapping[str, Any], head: tuple[int, str], issued_at: str) -> dict[str, Any]:
    """The unsigned certificate from the national result (as ``results`` reports it) at ``head``."""
    outcome = nation["outcome"]
    choices = {c.id: {"name": c.name, "party": c.party, "candidate": c.candidate} for c in election.contest.choices}
    return {
        "type": KIND,
        "election": {
            "id": election.id,
            "name": election.name,
            "date": election.date.isoformat(),
            "country": election.country,
            "contest": election.contest.name,
            "choices": choices,
        },
        "totals": {k: nation[k] for k in TOTAL_FIELDS},
        "outcome": {
            "kind": str(outcome["kind"]),
            "winner": outcome["winner"],
            "runoff": list(outcome["runoff"]),
            "reading": outcome["reading"],
            "met": outcome["met"],
            "leader": nation["leader"],
            "runner_up": nation["runner_up"],
            "margin_votes": nation["margin_votes"],
        },
        "rule": outcome["rule"],
        "head": {"seq": head[0], "hash": head[1]},
        "issued_at": issued_at,
    }


def payload(certificate: Mapping[str, Any]) -> dict[str, Any]:
    """What the signatures cover: the certificate without its signatures."""
    return {k: v for k, v in certificate.items() if k != "signatures"}


def problems(
    certificate: Mapping[str, Any], known: Mapping[str, Registration], head_hash_at: Callable[[int], str | None]
) -> list[str]:
    """What is wrong with ``certificate`` against a record: its kind, each signature (by a
    registered key of a role that certifies), and its head (the record's event at that seq has
    that hash). Empty when it checks."""
    found: list[str] = []
    if certificate.get("type") != KIND:
        return [f"type: expected {KIND!r}, got {certificate.get('type')!r}: not an escrutinio certificate"]
    signatures = certificate.get("signatures") or []
    if not signatures:
        found.append("signatures: the certificate is not signed")
    body = payload(certificate)
    for i, sig in enumerate(signatures):
        try:
            verify(sig, CERTIFICATE_ISSUED, body, known)
        except SigningError as exc:
            found.append(f"signatures[{i}]: {exc}")
    head = certificate.get("head") or {}
    seq, digest = head.get("seq"), head.get("hash")
    actual = head_hash_at(seq) if isinstance(seq, int) else None
    if actual is None:
        found.append(f"head: the record has no event {seq}")
    elif actual != digest:
        found.append(f"head: event {seq} of the record has hash {actual[:16]}…, the certificate binds {str(digest)[:16]}…")
    return found
