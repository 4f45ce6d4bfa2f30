"""The event log as a Merkle tree (RFC 9162 §2.1, the hashes of RFC 6962): roots and proofs.

Why a tree on top of the hash chain: the chain proves a whole exported log intact, but only to
someone holding all of it. The tree lets a clerk who holds one event (a sheet she entered, a
claim a party filed) check with about 2·log₂(n) hashes that it is in a published head (an
*inclusion proof*), and lets anyone check that a later head extends an earlier one without
rewriting it (a *consistency proof*). Two heads that no consistency proof joins are a fork:
the log showed two histories.

**The leaves.** Leaf *i* of the log is event *i+1* (``seq`` counts from 1; indexes from 0), and
its leaf input is the event's 32-byte SHA-256 hash (:func:`escrutinio.ledger.events.digest`),
not its canonical JSON. That hash already binds the whole event (seq, type, time, actor, data
and the previous event's hash), so nothing is lost; and a tree is then built from one column of
the store (64-character hashes) instead of every event's data, which for a bulk load is
megabytes. Anyone holding an event recomputes its hash from the event and then its leaf.

- leaf hash  = SHA-256(0x00 ‖ leaf input)
- node hash  = SHA-256(0x01 ‖ left ‖ right)
- the root of zero leaves is SHA-256 of the empty string.

The tree of *n* leaves splits at the largest power of two below *n* (RFC 9162 §2.1.1); that is
the same tree as pairing nodes left to right and carrying an unpaired last node up a level, so
:class:`MerkleTree` keeps, per level, the hashes of the *complete* subtrees only. Those never
change as the log grows: a tree is built once and then extended; the few hashes of a head's
ragged right edge are computed on demand and cached per size. A proof is then about log₂(n)
list look-ups.

The verification functions are RFC 9162's algorithms (§2.1.3.2, §2.1.4.2) and need nothing but
the proof: they are what a clerk, a witness or ``escrutinio verify`` runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from escrutinio.domain.errors import EscrutinioError

HASH_LENGTH = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
EDGE_CACHE = 4096
"""Ragged-edge hashes kept (about 17 per head size on a national log): a server that signs a
head per receipt sees a new size every write, so the cache is emptied when it outgrows this."""
_LEAF = b"\x00"
_NODE = b"\x01"


class ProofError(EscrutinioError):
    """A proof that does not check, or a request for one that cannot exist; one line saying which."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


def event_leaf(event_hash: str) -> bytes:
    """The leaf hash of an event, from its hex event hash (the leaf input is its 32 raw bytes)."""
    return leaf_hash(bytes.fromhex(event_hash))


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only Merkle tree over leaf hashes, answering for any size up to its own.

    ``levels[h][i]`` is the hash of the complete subtree of 2**h leaves starting at leaf
    ``i * 2**h``; only complete subtrees are kept, so appending never changes a stored hash.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self._edges: dict[tuple[int, int], bytes] = {}
        self.extend(leaf_hashes)

    @classmethod
    def of_events(cls, event_hashes: Iterable[str]) -> MerkleTree:
        """The tree of a log from its events' hex hashes, oldest first."""
        return cls(map(event_leaf, event_hashes))

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def leaf(self, index: int) -> bytes:
        return self.levels[0][index]

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaves, then the complete subtrees they finish, one level at a time (one pass
        of hashlib per level: a national log of 170,000 events builds in a fraction of a second)."""
        self.levels[0].extend(leaf_hashes)
        sha256 = hashlib.sha256
        height = 0
        while len(self.levels[height]) >= 2:
            below = self.levels[height]
            if height + 1 == len(self.levels):
                self.levels.append([])
            above = self.levels[height + 1]
            start = 2 * len(above)
            end = len(below) - len(below) % 2
            above.extend(sha256(_NODE + below[i] + below[i + 1]).digest() for i in range(start, end, 2))
            height += 1

    def extend_events(self, event_hashes: Iterable[str]) -> None:
        self.extend(map(event_leaf, event_hashes))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all of them by default)."""
        size = self._size(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves (RFC 9162
        §2.1.3.1), the sibling nearest the leaf first."""
        size = self._size(size)
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self._hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._hash(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``
        (RFC 9162 §2.1.4.1); empty when ``first`` is 0 or equals ``second``."""
        second = self._size(second)
        if not 0 <= first <= second:
            raise ProofError(f"no consistency proof from {first} leaves to {second}: the first size must be 0 to {second}")
        if first in (0, second):
            return []
        path: list[bytes] = []
        lo, hi, m, whole = 0, second, first, True
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                path.append(self._hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._hash(lo, lo + k))
                m -= k
                lo += k
                whole = False
        if not whole:
            path.append(self._hash(lo, hi))
        path.reverse()
        return path

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ProofError(f"tree size {size} is not 0 to {self.size} (the leaves the log holds)")
        return size

    def _hash(self, lo: int, hi: int) -> bytes:
        """MTH of leaves [lo, hi); ``lo`` is a multiple of the largest power of two ≤ hi - lo,
        as every range the RFC's recursion visits is."""
        n = hi - lo
        if n & (n - 1) == 0:
            return self.levels[n.bit_length() - 1][lo // n]
        found = self._edges.get((lo, hi))
        if found is None:
            k = _split(n)
            found = node_hash(self._hash(lo, lo + k), self._hash(lo + k, hi))
            if len(self._edges) >= EDGE_CACHE:
                self._edges.clear()
            self._edges[(lo, hi)] = found
        return found


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The root of a list of leaf hashes (a convenience over :class:`MerkleTree`)."""
    return MerkleTree(leaf_hashes).root()


def _up_to_a_right_child(fn: int, sn: int) -> tuple[int, int]:
    """Climb (shift both) while ``fn`` is a left child other than 0: on the tree's right edge a
    node with no sibling is carried up unchanged (RFC 9162 §2.1.3.2 step 5.b.ii)."""
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2); raises when its shape is wrong."""
    if not 0 <= index < size:
        raise ProofError(f"inclusion proof: leaf index {index} is not in a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof: {len(proof)} hashes are too many for leaf {index} of {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _up_to_a_right_child(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof: {len(proof)} hashes are too few for leaf {index} of {size}")
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows ``leaf`` at ``index`` in the tree of
    ``size`` leaves whose root is ``root``."""
    if root_from_inclusion(leaf, index, size, proof) != root:
        raise ProofError(f"inclusion proof: leaf {index} is not in the tree of {size} leaves with root {root.hex()[:16]}…")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the tree of ``first`` leaves with root
    ``first_root`` to be a prefix of the tree of ``second`` leaves with root ``second_root``
    (RFC 9162 §2.1.4.2)."""
    where = f"consistency proof from {first} to {second} leaves"
    if not 0 <= first <= second:
        raise ProofError(f"{where}: a log never shrinks (the first size must be 0 to {second})")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError(f"{where}: two different roots for one size: the log forked")
        return
    if first == 0:
        if proof:
            raise ProofError(f"{where}: expected an empty proof from the empty tree")
        return
    if not proof:
        raise ProofError(f"{where}: the proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"{where}: {len(proof)} hashes are too many")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _up_to_a_right_child(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"{where}: {len(proof)} hashes are too few")
    if fr != first_root:
        raise ProofError(f"{where}: the first head's root is not a prefix of the second: the log was rewritten or forked")
    if sr != second_root:
        raise ProofError(f"{where}: it does not lead to the second head's root: the log was rewritten or forked")
