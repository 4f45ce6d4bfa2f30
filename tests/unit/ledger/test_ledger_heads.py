"""Signed heads, cosignatures and receipts as data (ledger/heads.py, ledger/receipts.py), and
:func:`check_heads`, the check ``escrutinio verify`` runs over a record's heads."""

from __future__ import annotations

from typing import Any

import pytest

from escrutinio.ledger.events import GENESIS, Event, digest
from escrutinio.ledger.heads import HeadError, SignedHead, check_heads, cosign, head_of, heads_from_json, sign_head
from escrutinio.ledger.keys import Registration
from escrutinio.ledger.merkle import MerkleTree, ProofError
from escrutinio.ledger.receipts import Receipt, issue, verify_against, verify_receipt
from escrutinio.ledger.signing import generate_key

BODY, PARTY = generate_key(), generate_key()
KEYS = {
    BODY.key_id: Registration(BODY.key_id, BODY.public.hex, "ONPE results centre", "administrator", 1),
    PARTY.key_id: Registration(PARTY.key_id, PARTY.public.hex, "Fuerza Popular", "representative", 1),
}
"""The keys the record registers (as ``keys.registry`` reads them), both at event 1."""


def chain(n: int, tag: str = "x") -> list[Event]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        body = {
            "seq": seq,
            "type": "note",
            "at": "2026-11-30T06:00:00.000000Z",
            "actor": "clerk",
            "data": {tag: seq},
            "prev": prev,
        }
        if seq == 1:
            body["data"] = {"election": "e"}  # one first event for every history: one log id
        prev = digest(body)
        events.append(Event(**body, hash=prev))
    return events


def signed(events: list[Event], size: int, time: str = "2026-11-30T06:00:00.000000Z") -> SignedHead:
    tree = MerkleTree.of_events(e.hash for e in events)
    return sign_head(BODY, head_of(tree, size, log=events[0].hash, last_event=events[size - 1].hash, time=time))


def test_a_head_round_trips_through_its_json_and_verifies() -> None:
    events = chain(12)
    head = cosign(PARTY, signed(events, 12), "2026-11-30T06:01:00.000000Z")
    again = SignedHead.from_dict(head.to_dict())
    assert again == head and again.witnesses == [PARTY.key_id]
    again.verify()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.pop("root"), r"^head\.root: missing$"),
        (lambda h: h.update(size="12"), r"^head\.size: expected int, got str$"),
        (lambda h: h.update(size=0), r"^head\.size: expected an integer of at least 1, got 0$"),
        (lambda h: h.update(root="AB" * 32), r"^head\.root: expected 64 lowercase hex digits$"),
        (lambda h: h["signer"].update(key_id="00" * 32), r"^head\.signer\.key_id: is not the SHA-256 of head\.signer\.key$"),
        (lambda h: h["signer"].update(key="zz"), r"^head\.signer\.key: expected 64 hex digits"),
        (lambda h: h.update(cosignatures=[5]), r"^head\.cosignatures\[0\]: expected a JSON object, got int$"),
    ],
)
def test_a_malformed_head_names_its_field(change: Any, message: str) -> None:
    data = signed(chain(3), 3).to_dict()
    change(data)
    with pytest.raises(HeadError, match=message):
        SignedHead.from_dict(data)


def test_a_changed_field_breaks_the_signature() -> None:
    data = signed(chain(3), 3).to_dict()
    data["time"] = "2026-11-30T07:00:00.000000Z"
    with pytest.raises(HeadError, match="head of size 3: signature: does not match"):
        SignedHead.from_dict(data).verify()


def test_check_heads_passes_an_honest_record_and_names_the_final_witnesses() -> None:
    events = chain(40)
    heads = [signed(events, 10), cosign(PARTY, signed(events, 25), "t1"), cosign(PARTY, signed(events, 40), "t2")]
    published = heads_from_json([h.to_dict() for h in heads])  # as a record carries them
    report = check_heads([e.hash for e in events], published, keys=KEYS)
    assert (report.heads, report.final_size, report.signers, report.witnesses) == (3, 40, [BODY.key_id], [PARTY.key_id])
    assert check_heads([e.hash for e in events], [], keys=KEYS).final_size is None


def test_check_heads_catches_a_rewritten_or_truncated_record() -> None:
    events = chain(40)
    heads = [signed(events, 20), signed(events, 40)]
    rewritten = [*events[:15], *chain(40, tag="y")[15:]]
    with pytest.raises(HeadError, match=r"head of size 20 .*: its last event is not event 20 of this record"):
        check_heads([e.hash for e in rewritten], heads, keys=KEYS)
    with pytest.raises(HeadError, match=r"head of size 40 .*: the record holds only 39 events"):
        check_heads([e.hash for e in events[:39]], heads, keys=KEYS)
    other_log = chain(40, tag="z")
    other_log[0] = Event(1, "note", "t", "a", {"election": "other"}, GENESIS, digest({"election": "other"}))
    with pytest.raises(HeadError, match="names log"):
        check_heads([e.hash for e in other_log], heads, keys=KEYS)


def test_a_receipt_verifies_against_a_later_head_and_not_against_a_fork() -> None:
    events = chain(30)
    tree = MerkleTree.of_events(e.hash for e in events)
    receipt = issue(events[4], tree, signed(events, 10))
    verify_receipt(Receipt.from_dict(receipt.to_dict()))
    verify_against(receipt, signed(events, 30), tree.consistency_proof(10, 30))
    forked = [*events[:3], *chain(30, tag="y")[3:]]
    forked_tree = MerkleTree.of_events(e.hash for e in forked)
    with pytest.raises(ProofError, match="event 5: consistency proof from 10 to 30 leaves"):
        verify_against(receipt, signed(forked, 30), forked_tree.consistency_proof(10, 30))
    with pytest.raises(ProofError, match="event 12 is not in the head of size 10"):
        issue(events[11], tree, signed(events, 10))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(type="other"), "not an escrutinio receipt"),
        (lambda r: r["event"].pop("prev"), r"receipt\.event: expected an object with exactly"),
        (lambda r: r.update(inclusion=["xyz"]), r"receipt\.inclusion: expected a list of 64-hex-digit hashes"),
        (lambda r: r["head"].pop("signature"), r"receipt\.head\.signature: missing"),
    ],
)
def test_a_malformed_receipt_names_its_field(change: Any, message: str) -> None:
    events = chain(5)
    data = issue(events[1], MerkleTree.of_events(e.hash for e in events), signed(events, 5)).to_dict()
    change(data)
    with pytest.raises(HeadError, match=message):
        Receipt.from_dict(data)


def test_published_heads_that_are_not_a_list_of_heads_name_the_place() -> None:
    with pytest.raises(HeadError, match=r"^heads: expected a JSON list"):
        heads_from_json({"size": 1})
    with pytest.raises(HeadError, match=r"^heads\[1\]: expected a JSON object"):
        heads_from_json([signed(chain(2), 2).to_dict(), "x"])
