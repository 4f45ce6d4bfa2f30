"""Signed tree heads and witness cosignatures: what the counting body publishes as the count goes on.

A **tree head** states "the log had ``size`` events, its Merkle root was ``root`` and its last
event was ``last_event``" at ``time``, for the log named ``log`` (the hash of its first event,
``election.defined``: two copies of one election's log share it, which is what lets a witness
see them fork). The counting body signs it; then any key holder — a party, an observer — may
*cosign* it after checking that it extends the last head that witness cosigned
(:func:`escrutinio.ledger.merkle.verify_consistency`). A body that shows one history to one
party and another to the next cannot get both cosigned by a witness that saw both.

Signed bytes are canonical JSON with a ``type`` naming what is signed, so a head signature can
never be replayed as a cosignature, a ruling or a certificate.

:func:`check_heads` checks a whole record's heads at once (for ``escrutinio verify``), including
that each signer's key was registered before the head, to the role that signs heads (the
administrator's, who runs the log) and each cosigner's to a witness's role (a party
representative or an observer): a head is only as good as the record's word on who signed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from escrutinio.domain.errors import EscrutinioError
from escrutinio.domain.roles import COSIGNATURE, TREE_HEAD
from escrutinio.ledger.keys import Registration, signer_problem
from escrutinio.ledger.merkle import MerkleTree, ProofError
from escrutinio.ledger.signing import PublicKey, SigningError, SigningKey

HEAD_TYPE = "escrutinio.tree_head"
COSIGNATURE_TYPE = "escrutinio.cosignature"


class HeadError(EscrutinioError):
    """A head or cosignature that is malformed, badly signed, or contradicts the log (one line)."""


@dataclass(frozen=True, slots=True)
class TreeHead:
    """What a head states about the log (the signed content, without the signature)."""

    log: str
    size: int
    root: str
    last_event: str
    time: str

    def body(self) -> dict[str, Any]:
        """The object the signer signs."""
        return {
            "type": HEAD_TYPE,
            "log": self.log,
            "size": self.size,
            "root": self.root,
            "last_event": self.last_event,
            "time": self.time,
        }

    def root_bytes(self) -> bytes:
        return bytes.fromhex(self.root)


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A witness's signature over (log, size, root) at the time it checked them."""

    key: PublicKey
    time: str
    signature: str

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def to_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "key": self.key.hex, "time": self.time, "signature": self.signature}


@dataclass(frozen=True, slots=True)
class SignedHead:
    """A tree head with its signer's signature and the cosignatures gathered so far."""

    head: TreeHead
    key: PublicKey
    signature: str
    cosignatures: tuple[Cosignature, ...] = field(default=())

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def verify(self, what: str = "head") -> None:
        """Raise :class:`HeadError` unless the signer's and every cosigner's signature hold."""
        where = f"{what} of size {self.head.size}"
        try:
            self.key.verify(self.head.body(), self.signature, what=f"{where}: signature")
            for cosignature in self.cosignatures:
                cosigned = cosignature_body(self.head, cosignature.time)
                cosignature.key.verify(cosigned, cosignature.signature, what=f"{where}: cosignature")
        except SigningError as exc:
            raise HeadError(str(exc)) from None

    def with_cosignature(self, cosignature: Cosignature) -> SignedHead:
        others = tuple(c for c in self.cosignatures if c.key_id != cosignature.key_id)
        return replace(self, cosignatures=(*others, cosignature))

    @property
    def witnesses(self) -> list[str]:
        """The key ids that cosigned this head."""
        return [c.key_id for c in self.cosignatures]

    def to_dict(self) -> dict[str, Any]:
        h = self.head
        return {
            "log": h.log,
            "size": h.size,
            "root": h.root,
            "last_event": h.last_event,
            "time": h.time,
            "signer": {"key_id": self.key_id, "key": self.key.hex},
            "signature": self.signature,
            "cosignatures": [c.to_dict() for c in self.cosignatures],
        }

    @classmethod
    def from_dict(cls, obj: Any, where: str = "head") -> SignedHead:
        """Read a published head (``head show --format json``), naming the first bad field."""
        fields = _Fields(obj, where)
        head = TreeHead(
            log=fields.hex("log"),
            size=fields.integer("size", minimum=1),
            root=fields.hex("root"),
            last_event=fields.hex("last_event"),
            time=fields.text("time"),
        )
        signer = _Fields(fields.get("signer", Mapping), f"{where}.signer")
        key = signer.public_key("key", signer.hex("key_id"))
        cosignatures = []
        for i, item in enumerate(fields.get("cosignatures", list, default=[])):
            cosigner = _Fields(item, f"{where}.cosignatures[{i}]")
            cosignatures.append(
                Cosignature(
                    key=cosigner.public_key("key", cosigner.hex("key_id")),
                    time=cosigner.text("time"),
                    signature=cosigner.text("signature"),
                )
            )
        return cls(head, key, fields.text("signature"), tuple(cosignatures))


def cosignature_body(head: TreeHead, time: str) -> dict[str, Any]:
    """What a witness signs: the log, size and root it checked, and when."""
    return {"type": COSIGNATURE_TYPE, "log": head.log, "size": head.size, "root": head.root, "time": time}


def sign_head(key: SigningKey, head: TreeHead) -> SignedHead:
    return SignedHead(head, key.public, key.sign(head.body()))


def cosign(key: SigningKey, head: SignedHead, time: str) -> SignedHead:
    """``head`` with ``key``'s cosignature added (the caller has checked consistency first)."""
    cosignature = Cosignature(key.public, time, key.sign(cosignature_body(head.head, time)))
    return head.with_cosignature(cosignature)


def head_of(tree: MerkleTree, size: int, log: str, last_event: str, time: str) -> TreeHead:
    return TreeHead(log=log, size=size, root=tree.root(size).hex(), last_event=last_event, time=time)


@dataclass(frozen=True)
class HeadsReport:
    """What :func:`check_heads` found: every head checked, and who signed the last one."""

    heads: int
    final_size: int | None
    final_root: str | None
    signers: list[str]
    witnesses: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "heads": self.heads,
            "final_size": self.final_size,
            "final_root": self.final_root,
            "signers": self.signers,
            "witnesses": self.witnesses,
        }


def signers_problem(signed: SignedHead, keys: Mapping[str, Registration]) -> str | None:
    """Why the record's keys do not vouch for ``signed``'s signer or one of its cosigners (None:
    they do): each registered by the head's last event, the signer to the role that signs heads,
    each cosigner to a witness's."""
    size = signed.head.size
    problem = signer_problem(signed.key_id, TREE_HEAD, size, keys)
    if problem is not None:
        return f"its signer: {problem}"
    for cosignature in signed.cosignatures:
        problem = signer_problem(cosignature.key_id, COSIGNATURE, size, keys)
        if problem is not None:
            return f"a cosigner: {problem}"
    return None


def check_heads(
    event_hashes: Sequence[str],
    heads: Iterable[SignedHead],
    *,
    keys: Mapping[str, Registration],
    tree: MerkleTree | None = None,
) -> HeadsReport:
    """Check every published head against the log's events (hex hashes, oldest first) and the
    keys its events register (``keys``, :func:`escrutinio.ledger.keys.registry`).

    Each head must be signed by its signer, each cosignature must hold, each signer and cosigner
    must be registered in the role that signs it by the head's last event, and each must describe
    a prefix of this log: same log id, ``root`` equal to the root of its first ``size`` events
    and ``last_event`` equal to event ``size``'s hash. Heads that all match prefixes of one log
    are consistent with each other by construction, so no separate consistency proofs are needed
    here. Raises :class:`HeadError` at the first head that fails, naming it. The report names the
    signers and witnesses of the latest (largest) head.
    """
    tree = tree if tree is not None else MerkleTree.of_events(event_hashes)
    log = event_hashes[0] if event_hashes else None
    checked = sorted(heads, key=lambda h: (h.head.size, h.head.time))
    for signed in checked:
        h = signed.head
        where = f"head of size {h.size} signed at {h.time}"
        signed.verify()
        if h.log != log:
            raise HeadError(f"{where}: names log {h.log[:16]}…, but this record's first event is {str(log)[:16]}…")
        if h.size > tree.size:
            raise HeadError(f"{where}: the record holds only {tree.size} events: events were removed after it was signed")
        if h.last_event != event_hashes[h.size - 1]:
            raise HeadError(f"{where}: its last event is not event {h.size} of this record: the log was rewritten")
        try:
            root = tree.root(h.size).hex()
        except ProofError as exc:
            raise HeadError(f"{where}: {exc}") from None
        if root != h.root:
            raise HeadError(f"{where}: its root is not the root of the record's first {h.size} events: the log was rewritten")
        problem = signers_problem(signed, keys)
        if problem is not None:
            raise HeadError(f"{where}: {problem}")
    if not checked:
        return HeadsReport(0, None, None, [], [])
    final_size = checked[-1].head.size
    finals = [h for h in checked if h.head.size == final_size]
    return HeadsReport(
        heads=len(checked),
        final_size=final_size,
        final_root=finals[0].head.root,
        signers=sorted({h.key_id for h in finals}),
        witnesses=sorted({w for h in finals for w in h.witnesses}),
    )


def heads_from_json(items: Any, where: str = "heads") -> list[SignedHead]:
    """Published heads (a JSON list of ``head show`` objects, as a record carries them), each
    failure naming ``where[i].field``."""
    if not isinstance(items, list):
        raise HeadError(f"{where}: expected a JSON list of signed heads, got {type(items).__name__}")
    return [SignedHead.from_dict(item, f"{where}[{i}]") for i, item in enumerate(items)]


class _Fields:
    """Typed reads of a JSON object's fields, each failure one line naming ``where.field``."""

    def __init__(self, obj: Any, where: str) -> None:
        if not isinstance(obj, Mapping):
            raise HeadError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        self.obj = obj
        self.where = where

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if name not in self.obj:
            if default is not None:
                return default
            raise HeadError(f"{self.where}.{name}: missing")
        value = self.obj[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = getattr(kind, "__name__", "value")
            raise HeadError(f"{self.where}.{name}: expected {expected}, got {type(value).__name__}")
        return value

    def text(self, name: str) -> str:
        return self.get(name, str)

    def integer(self, name: str, minimum: int) -> int:
        value = self.get(name, int)
        if value < minimum:
            raise HeadError(f"{self.where}.{name}: expected an integer of at least {minimum}, got {value}")
        return value

    def hex(self, name: str) -> str:
        value = self.text(name)
        if len(value) != 64 or value.strip("0123456789abcdef"):
            raise HeadError(f"{self.where}.{name}: expected 64 lowercase hex digits")
        return value

    def public_key(self, name: str, key_id: str) -> PublicKey:
        try:
            key = PublicKey.from_hex(self.text(name), field=f"{self.where}.{name}")
        except SigningError as exc:
            raise HeadError(str(exc)) from None
        if key.key_id != key_id:
            raise HeadError(f"{self.where}.key_id: is not the SHA-256 of {self.where}.{name}")
        return key
