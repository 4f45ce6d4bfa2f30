"""``session.transparency``: the log as a Merkle tree — signed heads, receipts, witnesses.

When heads are made: whenever someone with the log's key runs ``escrutinio head sign`` (on
command), and periodically by whoever runs the results centre (the server or the publisher calls
:meth:`TransparencyService.sign_head` every few minutes and at each publication; signing a size
already signed returns the stored head, so a timer may call it blindly). A receipt asked for an
event that no head covers yet gets a new head on the spot when the caller passes a key.

The tree is built once per store per process (:data:`_TREES`) and extended with the events
appended since: on the runoff's log a first build is a fraction of a second, a later receipt
costs one small query and microseconds of hashing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.domain.errors import EscrutinioError, NotFound, RuleError, StoreError, stepped
from escrutinio.domain.roles import COSIGNATURE, TREE_HEAD
from escrutinio.ledger.canonical import canonical, parse
from escrutinio.ledger.events import timestamp
from escrutinio.ledger.heads import HeadError, HeadsReport, SignedHead, check_heads, cosign, head_of, sign_head
from escrutinio.ledger.keys import KEY_REGISTERED, Registration, registry, signer_problem
from escrutinio.ledger.merkle import MerkleTree, ProofError, event_leaf, verify_consistency
from escrutinio.ledger.receipts import Receipt, issue, verify_against, verify_receipt
from escrutinio.ledger.signing import SigningKey, load_private_key

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.store.heads import TreeHeads

_TREES: dict[str, MerkleTree] = {}
_TREES_LOCK = threading.Lock()

WITNESS_STATE_ENV = "ESCRUTINIO_WITNESS_STATE"


def default_witness_state() -> Path:
    """Where a witness keeps the last head it cosigned: outside any store, in the user's state
    folder, so a store's operator cannot rewrite what the witness remembers."""
    if os.environ.get(WITNESS_STATE_ENV):
        return Path(os.environ[WITNESS_STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "escrutinio" / "witness"


@dataclass(frozen=True)
class ReceiptCheck:
    """What ``receipt verify`` established."""

    seq: int
    event_type: str
    receipt_size: int
    checked_against: int
    head_signer: str
    witnesses: list[str]
    signer_checked_in: str = ""
    """Where the heads' signer was found registered to sign heads: ``store``, ``record``, or
    ``""`` when neither was at hand (the signature alone was checked)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event_type": self.event_type,
            "receipt_head_size": self.receipt_size,
            "checked_against_size": self.checked_against,
            "head_signer": self.head_signer,
            "witnesses": self.witnesses,
            "signer_registered_in": self.signer_checked_in or "not checked",
        }


@dataclass(frozen=True)
class Cosigned:
    """What ``head cosign`` did: the head cosigned and the last one it was checked against."""

    head: SignedHead
    previous_size: int | None
    witness: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.head.head.size,
            "root": self.head.head.root,
            "witness": self.witness,
            "previous_size": self.previous_size,
        }


class TransparencyService:
    """Heads, receipts and cosignatures of one store."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    @property
    def _heads(self) -> TreeHeads:
        from escrutinio.store.heads import TreeHeads

        return TreeHeads(self.session.store)

    # -- the tree -----------------------------------------------------------------------------

    def tree(self) -> MerkleTree:
        """The Merkle tree of the whole log as it stands, built once per process and extended.

        A cached tree is checked against the store's event at its last leaf before reuse, so a
        store replaced under the same path (a test, a restore) is rebuilt rather than trusted.
        """
        heads = self._heads
        url = self.session.url
        with _TREES_LOCK:
            tree = _TREES.get(url)
            if tree is not None and tree.size:
                last = heads.event_hash(tree.size)
                if last is None or event_leaf(last) != tree.leaf(tree.size - 1):
                    tree = None
            if tree is None:
                tree = MerkleTree()
            tree.extend_events(heads.event_hashes(after=tree.size))
            _TREES[url] = tree
            return tree

    # -- heads --------------------------------------------------------------------------------

    def sign_head(self, key: SigningKey | Path, *, passphrase: bytes | None = None) -> SignedHead:
        """Sign the head of the log as it stands now (or return this signer's head of this size)."""
        signer = _key(key, passphrase)
        tree = self.tree()
        size = tree.size
        if size == 0:
            raise StoreError("the log is empty: there is no head to sign")
        self._refuse_unless_registered(signer, TREE_HEAD, size)
        heads = self._heads
        first, last = heads.event_hash(1), heads.event_hash(size)
        assert first is not None and last is not None  # the tree was built from these events
        head = head_of(tree, size, log=first, last_event=last, time=timestamp(self.session.store.clock()))
        return heads.add_head(sign_head(signer, head))

    def keep_signing(
        self, key: SigningKey | Path, every: float, stop: threading.Event, failed: Callable[[Exception], None]
    ) -> None:
        """Sign the log's head now and every ``every`` seconds until ``stop`` is set (what
        ``serve --log-key`` runs beside the API). An idle log adds nothing (the head of a size
        already signed is returned, not signed again); a round that fails (the store restarting)
        is reported to ``failed`` and the next one tries again."""
        while True:
            try:
                self.sign_head(key)
            except EscrutinioError as exc:
                failed(exc)
            if stop.wait(every):
                return

    def heads(self, size: int | None = None) -> list[SignedHead]:
        return self._heads.heads(size)

    def head(self, size: int | None = None) -> SignedHead:
        """The latest head (of ``size`` if given); refuses naming what exists when there is none."""
        if size is None:
            found = self._heads.latest()
            if found is None:
                what = "no head has been signed yet"
                raise stepped(NotFound(f"{what} (escrutinio head sign --key FILE)"), what, "sign_head")
            return found
        heads = self.heads(size)
        if not heads:
            what = f"no head of size {size} was signed"
            error = NotFound(f"size: {what} (escrutinio head list shows those that were)", "size")
            raise stepped(error, what, "list_heads")
        return heads[-1]

    def consistency_proof(self, first: int, second: int) -> dict[str, Any]:
        """The consistency proof between two sizes of this log, as published (hex hashes)."""
        try:
            proof = self.tree().consistency_proof(first, second)
        except ProofError as exc:
            raise RuleError(f"first, second: {exc}") from None
        return {"first": first, "second": second, "proof": [p.hex() for p in proof]}

    def check(self) -> HeadsReport:
        """Check every stored head and cosignature against the store's own log."""
        tree = self.tree()
        return check_heads(self._heads.event_hashes(), self.heads(), keys=self._keys(), tree=tree)

    def _keys(self) -> dict[str, Registration]:
        return registry(self.session.store.events_of_type(KEY_REGISTERED))

    def _refuse_unless_registered(self, key: SigningKey, act: str, size: int) -> None:
        """Refuse (nothing written) a head or cosignature every verifier would reject: by a key
        the record does not hold by event ``size``, or holds in a role that does not sign it."""
        problem = signer_problem(key.key_id, act, size, self._keys())
        if problem is not None:
            how = "keys register FILE.pub --role " + ("administrator" if act == TREE_HEAD else "representative|observer")
            raise RuleError(f"key: {problem} (escrutinio {how})", field="key")

    # -- receipts -------------------------------------------------------------------------

    def receipt(self, seq: int, *, key: SigningKey | Path | None = None) -> Receipt:
        """The receipt of event ``seq`` in the latest head; with ``key``, a head is signed first
        when none covers the event yet (what a write route returns to the clerk or party)."""
        event = self._heads.event(seq)
        if event is None:
            raise NotFound(f"seq: there is no event {seq} in this log", "seq")
        latest = self._heads.latest()
        if latest is None or latest.head.size < seq:
            if key is None:
                what = f"event {seq} is not in a signed head yet"
                error = RuleError(f"{what}: sign one (escrutinio head sign --key FILE), then ask again")
                raise stepped(error, what, "sign_head")
            latest = self.sign_head(key)
        return issue(event, self.tree(), latest)

    def verify_receipt(
        self, receipt: Any, later: Any | None = None, where: str = "receipt", record: Path | None = None
    ) -> ReceiptCheck:
        """Check a receipt (its JSON object) alone, then against ``later`` (a published head's
        JSON) or, without one, the store's latest head, by a consistency proof from the store.

        A signature proves only that some key signed the head; the key registry says whose it
        is. With the published ``record`` (or the store) at hand, each head's signer must have
        been registered, to a role that signs heads, by the last event the head covers: a head
        signed by a stranger's key, or by a clerk's, is refused however valid its signature.
        With no store at all the receipt is checked alone (its own head)."""
        parsed = Receipt.from_dict(receipt, where)
        verify_receipt(parsed)
        target: SignedHead | None = _later_head(later) if later is not None else None
        if target is None and self.session.exists():
            target = self._heads.latest()
        if target is None:
            target = parsed.head
        proof: list[bytes] = []
        first, second = parsed.head.head.size, target.head.size
        if first != second or parsed.head.head.root != target.head.root:
            if not self.session.exists():
                raise StoreError(
                    "db: a store is needed to prove the later head extends the receipt's (or give the receipt's own head)",
                    field="db",
                )
            tree = self.tree()
            if second > tree.size:
                raise ProofError(f"head: the store holds {tree.size} events, fewer than the later head's {second}", field="head")
            proof = tree.consistency_proof(first, second) if second >= first else []
        verify_against(parsed, target, proof)
        keys, found_in = self._registry_for_receipts(record)
        if keys is not None:
            for head, what in ((parsed.head, where), (target, LATER if later is not None else "the store's latest head")):
                problem = signer_problem(head.key_id, TREE_HEAD, head.head.size, keys)
                if problem is not None:
                    raise ProofError(
                        f"{what}: the head of size {head.head.size} is not signed by a key the {found_in} allows: {problem}",
                        field=LATER if what == LATER else None,
                    )
        return ReceiptCheck(parsed.event.seq, parsed.event.type, first, second, target.key_id, target.witnesses, found_in)

    def _registry_for_receipts(self, record: Path | None) -> tuple[dict[str, Registration] | None, str]:
        """The key registry a receipt's heads are checked against: the published record's when
        given, else the store's, else none (and where it came from)."""
        if record is not None:
            from escrutinio.ledger.verify import read_events

            try:
                lines = record.read_bytes().splitlines()
            except OSError as exc:
                raise StoreError(f"record: cannot read {record}: {exc.strerror or exc}", field="record") from None
            return registry(e for e in read_events(lines) if e.type == KEY_REGISTERED), "record"
        if self.session.exists():
            return self._keys(), "store"
        return None, ""

    # -- witnesses ------------------------------------------------------------------------

    def cosign(self, key: SigningKey | Path, *, state: Path | None = None, size: int | None = None) -> Cosigned:
        """Cosign the store's latest head (or the head of ``size``) as a witness.

        The witness checks the head's signature, then its consistency with the last head it
        cosigned for this log (kept in ``state``, outside the store; the first cosignature trusts
        on first use). A head that does not extend that one is a fork: refused, nothing written.
        """
        witness = _key(key, None)
        head = self.head(size)
        head.verify()
        self._refuse_unless_registered(witness, COSIGNATURE, head.head.size)
        state_dir = state or default_witness_state()
        state_file = state_dir / f"{witness.key_id[:16]}-{head.head.log[:16]}.json"
        previous = _read_state(state_file)
        if previous is not None:
            self._check_extends(previous, head)
        time = timestamp(self.session.store.clock())
        cosigned = cosign(witness, head, time)
        self._heads.add_cosignature(head.head, cosigned.cosignatures[-1])
        _write_state(state_file, cosigned)
        return Cosigned(cosigned, previous.head.size if previous else None, witness.key_id)

    def _check_extends(self, previous: SignedHead, head: SignedHead) -> None:
        old, new = previous.head, head.head
        where = f"head of size {new.size}"
        if new.size < old.size:
            raise HeadError(f"{where}: older than the head of size {old.size} this witness already cosigned: refused")
        proof = self.tree().consistency_proof(old.size, new.size) if new.size <= self.tree().size else None
        if proof is None:
            raise HeadError(f"{where}: the store cannot prove it (it holds fewer events): refused")
        try:
            verify_consistency(old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), proof)
        except ProofError as exc:
            raise HeadError(
                f"{where}: FORK — it does not extend the head of size {old.size} (root {old.root[:16]}…) this witness "
                f"cosigned at {previous.cosignatures[-1].time if previous.cosignatures else old.time}: refused ({exc})"
            ) from None


def _key(key: SigningKey | Path, passphrase: bytes | None) -> SigningKey:
    return key if isinstance(key, SigningKey) else load_private_key(Path(key), passphrase=passphrase)


def _read_state(path: Path) -> SignedHead | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the witness state ({exc.strerror})") from None
    try:
        return SignedHead.from_dict(parse(data), f"{path}")
    except ValueError:
        raise StoreError(
            f"{path}: the witness state is not JSON; restore it from a backup (never delete it to get past a fork)"
        ) from None


def _write_state(path: Path, head: SignedHead) -> None:
    """Replace the state file atomically: a crash leaves the old state or the new one, never half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(canonical(head.to_dict()))
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"{path}: cannot write the witness state ({exc.strerror})") from None


LATER = "head"
"""The field of the later published head a receipt is checked against (the CLI's ``--head``)."""


def _later_head(later: Any) -> SignedHead:
    """The later published head, read naming its field (``head``, ``head.signer``...) as a request
    names it: each skin says it its way (the CLI ``--head.signer: ...``)."""
    try:
        return SignedHead.from_dict(later, LATER)
    except EscrutinioError as exc:
        exc.field = LATER
        raise
