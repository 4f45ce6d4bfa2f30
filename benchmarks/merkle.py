"""Benchmark: the transparency log's Merkle tree (ledger/merkle.py) on a runoff-sized log.

The log: one event per sheet entry as an API intake makes them, two entries (double entry) for
each of the Peru 2021 runoff's 86,488 tables, each event the table's real figures from the file,
chained as the store chains them: 172,976 events (a synthetic log of the same size when
../shared is absent).

Times, best of N runs on this machine:
- baseline: hashing the events once (SHA-256 of each event's canonical JSON: what building the
  hash chain costs), timed in the same run;
- building the Merkle tree of all the events from their hashes (ratio to the baseline);
- growing the tree one event at a time and taking the new root (what signing a head per receipt costs);
- 10,000 inclusion proofs at random leaves of the full head, then of an older head (the ragged
  right edge cached per size), per proof, and per proof with its verification;
- 1,000 consistency proofs from random earlier sizes, with verification, per proof;
- the baseline for a proof: the RFC's recursive definition without the stored levels (it hashes the
  whole tree every time), per proof, on a few leaves.

Run: ``python benchmarks/merkle.py [--runs 3]``. Prints figures and ratios; asserts nothing
(machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
TABLES = 86_488
PROOFS = 10_000
CONSISTENCY = 1_000
NAIVE = 5

from timing import best_of  # noqa: E402

from escrutinio.ledger.canonical import canonical  # noqa: E402
from escrutinio.ledger.events import GENESIS  # noqa: E402
from escrutinio.ledger.merkle import (  # noqa: E402
    MerkleTree,
    event_leaf,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def sheet_rows() -> tuple[str, list[dict[str, Any]]]:
    """One dict of exact integers and strings per table: the runoff's, or synthetic ones."""
    if RUNOFF.exists():
        import polars as pl

        frame = pl.read_csv(RUNOFF, separator=";", infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True)
        return f"the runoff's {frame.height:,} tables", frame.rows(named=True)
    rng = random.Random(7)
    rows = [{"table": f"{i:06d}", "PL": rng.randrange(300), "FP": rng.randrange(300)} for i in range(TABLES)]
    return f"{TABLES:,} synthetic tables (../shared absent)", rows


def events_of(rows: list[dict[str, Any]]) -> list[bytes]:
    """Each sheet entered twice, as canonical event bodies chained by hash (what the store writes)."""
    bodies, prev, seq = [], GENESIS, 0
    for entry in ("first", "second"):
        for row in rows:
            seq += 1
            body = canonical(
                {"seq": seq, "type": "sheet.entered", "at": "2021-06-07T12:00:00.000000Z", "actor": "clerk",
                 "data": {"entry": entry, "sheet": row}, "prev": prev}
            )  # fmt: skip
            prev = hashlib.sha256(body).hexdigest()
            bodies.append(body)
    return bodies


def naive_path(leaves: list[bytes], m: int) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 9162 §2.1.3.1 writes it, hashing subtrees from the leaves."""

    def mth(d: list[bytes]) -> bytes:
        if len(d) == 1:
            return d[0]
        k = 1 << ((len(d) - 1).bit_length() - 1)
        return node_hash(mth(d[:k]), mth(d[k:]))

    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*naive_path(leaves[:k], m), mth(leaves[k:])]
    return [*naive_path(leaves[k:], m - k), mth(leaves[:k])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = args.runs

    what, rows = sheet_rows()
    bodies = events_of(rows)
    n = len(bodies)
    print(f"log: {n:,} events (two entries of each of {what})")

    hashing, hashes = best_of(runs, lambda: [hashlib.sha256(b).hexdigest() for b in bodies])
    print(f"baseline, hashing every event once:       {hashing:8.3f} s")
    build, tree = best_of(runs, lambda: MerkleTree.of_events(hashes))
    print(f"Merkle tree of all events:                 {build:8.3f} s   ({build / hashing:.2f}x the baseline)")

    def grow() -> float:
        """Seconds to append the last 1,000 events one at a time, each followed by its root."""
        grown = MerkleTree.of_events(hashes[: n - 1000])
        start = time.perf_counter()
        for h in hashes[n - 1000 :]:
            grown.extend_events([h])
            grown.root()
        elapsed = time.perf_counter() - start
        assert grown.root() == tree.root()
        return elapsed

    per_append = min(grow() for _ in range(runs)) / 1000
    print(f"one more event and its new root:           {per_append * 1e6:8.1f} us per event")

    rng = random.Random(1)
    root = tree.root()
    indexes = [rng.randrange(n) for _ in range(PROOFS)]
    proofs_s, _ = best_of(runs, lambda: [tree.inclusion_proof(i) for i in indexes])
    print(f"{PROOFS:,} inclusion proofs (full head):    {proofs_s:8.3f} s   ({proofs_s / PROOFS * 1e6:.1f} us per proof)")

    def prove_and_verify() -> None:
        for i in indexes:
            verify_inclusion(tree.leaf(i), i, n, tree.inclusion_proof(i), root)

    checked_s, _ = best_of(runs, prove_and_verify)
    print(f"  with verification:                       {checked_s:8.3f} s   ({checked_s / PROOFS * 1e6:.1f} us per proof)")
    older = n - 12_345
    old_indexes = [rng.randrange(older) for _ in range(PROOFS)]
    old_s, _ = best_of(runs, lambda: [tree.inclusion_proof(i, older) for i in old_indexes])
    print(f"{PROOFS:,} inclusion proofs (older head): {old_s:8.3f} s   ({old_s / PROOFS * 1e6:.1f} us per proof)")

    firsts = [rng.randrange(1, n) for _ in range(CONSISTENCY)]

    def consistency() -> None:
        for m in firsts:
            verify_consistency(m, n, tree.root(m), root, tree.consistency_proof(m))

    consistency_s, _ = best_of(runs, consistency)
    print(
        f"{CONSISTENCY:,} consistency proofs, verified:     {consistency_s:8.3f} s   "
        f"({consistency_s / CONSISTENCY * 1e6:.1f} us per proof, incl. the earlier root)"
    )

    leaves = [event_leaf(h) for h in hashes]
    naive_s, naive = best_of(1, lambda: [naive_path(leaves, i) for i in indexes[:NAIVE]])
    assert naive == [tree.inclusion_proof(i) for i in indexes[:NAIVE]]
    per_naive = naive_s / NAIVE
    per_proof = proofs_s / PROOFS
    ratio = per_naive / per_proof
    print(f"baseline, one proof by the RFC's recursion: {per_naive * 1e3:7.1f} ms per proof ({ratio:,.0f}x a proof here)")
    assert leaf_hash(bytes.fromhex(hashes[0])) == tree.leaf(0)
    print(
        f"summary: build {build:.2f} s = {build / hashing:.2f}x hashing the events once; "
        f"a proof {per_proof * 1e6:.1f} us (under 1 ms: {per_proof < 1e-3})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
