"""RFC 9162 Merkle proofs (ledger/merkle.py): every honest proof checks, every other one fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from escrutinio.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 §2.1.1 writes it (recursive, no caching): the oracle."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def leaves_of(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


sizes = st.integers(min_value=1, max_value=300)


@given(n=st.integers(min_value=0, max_value=300))
def test_root_of_every_prefix_is_rfc_mth(n: int) -> None:
    leaves = leaves_of(n)
    tree = MerkleTree(leaves)
    for size in {0, 1, n // 3, n // 2, n - 1, n} - {-1}:
        if 0 <= size <= n:
            assert tree.root(size) == reference_root(leaves[:size])


def test_known_small_roots() -> None:
    a, b, c = leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")
    assert MerkleTree().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert MerkleTree([a]).root() == hashlib.sha256(b"\x00a").digest()
    assert MerkleTree([a, b, c]).root() == node_hash(node_hash(a, b), c)


def test_growing_a_tree_equals_building_it_whole() -> None:
    leaves = leaves_of(1000)
    grown = MerkleTree()
    for start in range(0, 1000, 37):
        grown.extend(leaves[start : start + 37])
        assert grown.root(min(start + 37, 1000)) == MerkleTree(leaves[: start + 37]).root()


@given(n=sizes, data=st.data())
def test_every_inclusion_proof_verifies_and_no_other_leaf_or_size_does(n: int, data: st.DataObject) -> None:
    leaves = leaves_of(n)
    tree = MerkleTree(leaves)
    size = data.draw(st.integers(min_value=1, max_value=n), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    root = tree.root(size)
    proof = tree.inclusion_proof(index, size)
    verify_inclusion(leaves[index], index, size, proof, root)

    other = data.draw(st.integers(min_value=0, max_value=n - 1), label="other leaf")
    if leaves[other] != leaves[index]:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[other], index, size, proof, root)
    wrong_index = data.draw(st.integers(min_value=0, max_value=size - 1), label="wrong index")
    if wrong_index != index:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], wrong_index, size, proof, root)
    wrong_size = data.draw(st.integers(min_value=index + 1, max_value=n), label="wrong size")
    if wrong_size != size:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, wrong_size, proof, tree.root(wrong_size))
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="flipped hash")
        tampered = [*proof]
        tampered[position] = bytes(32)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, tampered, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, proof[:-1], root)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index, size, [*proof, bytes(32)], root)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 31, 64, 65])
def test_every_leaf_of_small_trees_verifies(n: int) -> None:
    leaves = leaves_of(n)
    tree = MerkleTree(leaves)
    for size in range(1, n + 1):
        root = tree.root(size)
        for index in range(size):
            verify_inclusion(leaves[index], index, size, tree.inclusion_proof(index, size), root)


@given(n=sizes)
def test_consistency_for_every_first_size_verifies(n: int) -> None:
    tree = MerkleTree(leaves_of(n))
    root = tree.root()
    for m in range(0, n + 1):
        verify_consistency(m, n, tree.root(m), root, tree.consistency_proof(m, n))


@given(n=st.integers(min_value=2, max_value=300), data=st.data())
def test_a_rewritten_prefix_fails_consistency(n: int, data: st.DataObject) -> None:
    leaves = leaves_of(n)
    m = data.draw(st.integers(min_value=1, max_value=n - 1), label="first size")
    changed = data.draw(st.integers(min_value=0, max_value=m - 1), label="rewritten leaf")
    honest = MerkleTree(leaves)
    rewritten = MerkleTree([*leaves[:changed], leaf_hash(b"forged"), *leaves[changed + 1 :]])
    # the log shows the honest head of m, then a later head of a history rewritten inside it
    with pytest.raises(ProofError):
        verify_consistency(m, n, honest.root(m), rewritten.root(), rewritten.consistency_proof(m, n))
    with pytest.raises(ProofError):
        verify_consistency(m, n, honest.root(m), rewritten.root(), honest.consistency_proof(m, n))


@given(n=st.integers(min_value=2, max_value=300), data=st.data())
def test_a_consistency_proof_for_other_sizes_or_roots_fails(n: int, data: st.DataObject) -> None:
    tree = MerkleTree(leaves_of(n))
    m = data.draw(st.integers(min_value=1, max_value=n - 1), label="first size")
    proof = tree.consistency_proof(m, n)
    other_m = data.draw(st.integers(min_value=1, max_value=n - 1), label="other first size")
    if other_m != m:
        with pytest.raises(ProofError):
            verify_consistency(other_m, n, tree.root(other_m), tree.root(), proof)
    assume(proof)
    with pytest.raises(ProofError):
        verify_consistency(m, n, tree.root(m), tree.root(n - 1) if n - 1 != m else bytes(32), proof)
    tampered = [*proof]
    tampered[data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="flipped")] = bytes(32)
    with pytest.raises(ProofError):
        verify_consistency(m, n, tree.root(m), tree.root(), tampered)


def test_requests_for_proofs_that_cannot_exist_name_the_sizes() -> None:
    tree = MerkleTree(leaves_of(5))
    with pytest.raises(ProofError, match="leaf index 5 is not in a tree of 5 leaves"):
        tree.inclusion_proof(5)
    with pytest.raises(ProofError, match="tree size 6 is not 0 to 5"):
        tree.root(6)
    with pytest.raises(ProofError, match="the first size must be 0 to 3"):
        tree.consistency_proof(4, 3)
    with pytest.raises(ProofError, match="forked"):
        verify_consistency(3, 3, tree.root(3), tree.root(4), [])
