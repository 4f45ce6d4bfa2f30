"""Receipts: proof, held by whoever made an event, that the event is in the published log.

A receipt carries the event itself (so its holder can read what was recorded: the sheet's
figures, the claim's grounds), its leaf hash and index, the inclusion proof and the signed head
the proof leads to. It checks alone (:func:`verify_receipt`); checked against any *later* head
with the consistency proof between the two (:func:`verify_against`), it shows the event is still
there. If the event was removed or altered after the receipt was issued, no consistency proof can
join the receipt's head to a head of the altered log, and the check fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from escrutinio.ledger.events import Event, digest
from escrutinio.ledger.heads import HeadError, SignedHead
from escrutinio.ledger.merkle import MerkleTree, ProofError, event_leaf, verify_consistency, verify_inclusion

RECEIPT_TYPE = "escrutinio.receipt"
EVENT_FIELDS = ("seq", "type", "at", "actor", "data", "prev", "hash")


@dataclass(frozen=True)
class Receipt:
    event: Event
    inclusion: tuple[bytes, ...]
    head: SignedHead

    @property
    def index(self) -> int:
        return self.event.seq - 1

    @property
    def leaf_hash(self) -> bytes:
        return event_leaf(self.event.hash)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": RECEIPT_TYPE,
            "seq": self.event.seq,
            "event": {**self.event.body(), "hash": self.event.hash},
            "leaf_hash": self.leaf_hash.hex(),
            "index": self.index,
            "inclusion": [p.hex() for p in self.inclusion],
            "head": self.head.to_dict(),
        }

    @classmethod
    def from_dict(cls, obj: Any, where: str = "receipt") -> Receipt:
        """Read a receipt file's JSON, naming the first bad field."""
        if not isinstance(obj, Mapping) or obj.get("type") != RECEIPT_TYPE:
            raise HeadError(f'{where}: not an escrutinio receipt (expected "type": "{RECEIPT_TYPE}")')
        raw = obj.get("event")
        if not isinstance(raw, Mapping) or sorted(raw) != sorted(EVENT_FIELDS):
            raise HeadError(f"{where}.event: expected an object with exactly {', '.join(EVENT_FIELDS)}")
        if not isinstance(raw["seq"], int) or isinstance(raw["seq"], bool) or raw["seq"] < 1:
            raise HeadError(f"{where}.event.seq: expected a positive integer")
        if not all(isinstance(raw[f], str) for f in ("type", "at", "actor", "prev", "hash")):
            raise HeadError(f"{where}.event: type, at, actor, prev and hash must be strings")
        event = Event(raw["seq"], raw["type"], raw["at"], raw["actor"], raw["data"], raw["prev"], raw["hash"])
        proof = obj.get("inclusion")
        if not isinstance(proof, list) or not all(isinstance(p, str) and len(p) == 64 for p in proof):
            raise HeadError(f"{where}.inclusion: expected a list of 64-hex-digit hashes")
        try:
            inclusion = tuple(bytes.fromhex(p) for p in proof)
        except ValueError:
            raise HeadError(f"{where}.inclusion: expected a list of 64-hex-digit hashes") from None
        return cls(event, inclusion, SignedHead.from_dict(obj.get("head"), f"{where}.head"))


def issue(event: Event, tree: MerkleTree, head: SignedHead) -> Receipt:
    """The receipt of ``event`` in ``head`` (whose size must include it), from the log's tree."""
    if event.seq > head.head.size:
        raise ProofError(f"event {event.seq} is not in the head of size {head.head.size}: sign a newer head first")
    return Receipt(event, tuple(tree.inclusion_proof(event.seq - 1, head.head.size)), head)


def verify_receipt(receipt: Receipt) -> None:
    """Raise :class:`HeadError` or :class:`ProofError` unless the receipt holds on its own: the
    event's hash is its content's, the head is signed, and the proof puts the event in the head."""
    event = receipt.event
    where = f"receipt for event {event.seq}"
    if digest(event.body()) != event.hash:
        raise ProofError(f"{where}: the event's hash does not match its content: the receipt was altered")
    receipt.head.verify(what=f"{where}: head")
    head = receipt.head.head
    try:
        verify_inclusion(receipt.leaf_hash, receipt.index, head.size, receipt.inclusion, head.root_bytes())
    except ProofError as exc:
        raise ProofError(f"{where}: {exc}") from None


def verify_against(receipt: Receipt, later: SignedHead, consistency: Sequence[bytes]) -> None:
    """Check the receipt alone, then that ``later`` (signed) extends the receipt's head, by the
    consistency proof between them: the event is still in the log ``later`` describes."""
    verify_receipt(receipt)
    where = f"receipt for event {receipt.event.seq}"
    later.verify(what=f"{where}: later head")
    first, second = receipt.head.head, later.head
    if first.log != second.log:
        raise HeadError(f"{where}: the later head is of another log ({second.log[:16]}…, not {first.log[:16]}…)")
    if second.size < first.size:
        raise HeadError(f"{where}: the later head ({second.size} events) is older than the receipt's ({first.size})")
    try:
        verify_consistency(first.size, second.size, first.root_bytes(), second.root_bytes(), consistency)
    except ProofError as exc:
        raise ProofError(f"{where}: {exc}: the event may have been removed or altered") from None
