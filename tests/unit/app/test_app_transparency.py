"""``session.transparency`` on real stores: signed heads, receipts, witnesses, and the attacks
they exist to catch (an event removed after its receipt was issued, a log that forks)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest
from tests.onpe_sample import write
from tests.signers import registered_key

from escrutinio.app import NotFound, RuleError, Session
from escrutinio.ledger.events import GENESIS, digest
from escrutinio.ledger.heads import HeadError
from escrutinio.ledger.merkle import ProofError
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.signing import SigningKey, generate_key


def notes(session: Session, n: int, tag: str = "n") -> None:
    """Append ``n`` small events, one append each (as a clerk entering sheets one by one would)."""
    for i in range(n):
        session.store.append([PendingEvent("note", {tag: i})], "clerk")


BODY = generate_key()
"""The log's key: each store registers it to its administrator as it is loaded."""


@pytest.fixture
def body() -> SigningKey:
    return BODY


def loaded(db: str, tmp_path: Path) -> Session:
    """A store with the runoff sample loaded and the log's key registered."""
    session = Session(db)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    registered_key(session, "administrator", "ONPE results centre", key=BODY)
    return session


@pytest.fixture
def log(db_url: str, tmp_path: Path) -> Session:
    session = loaded(db_url, tmp_path)
    notes(session, 10)
    return session


def test_a_receipt_issued_early_verifies_against_the_final_head(log: Session, body: SigningKey, tmp_path: Path) -> None:
    early = log.transparency.sign_head(body)
    receipt = log.log.receipt(7).to_dict()
    assert receipt["head"]["size"] == early.head.size and receipt["index"] == 6 and receipt["event"]["seq"] == 7
    for _ in range(5):  # the count goes on; heads are signed as it does
        notes(log, 40)
        log.transparency.sign_head(body)
    final = log.transparency.head()
    assert final.head.size == early.head.size + 200
    check = log.transparency.verify_receipt(receipt, final.to_dict())
    assert (check.seq, check.receipt_size, check.checked_against) == (7, early.head.size, final.head.size)
    # against the store's latest head when none is given, and alone in a session without a store
    assert log.transparency.verify_receipt(receipt).checked_against == final.head.size
    alone = Session(str(tmp_path / "no-store.db")).transparency.verify_receipt(receipt)
    assert alone.checked_against == alone.receipt_size == early.head.size


def drop_event(path: str, seq: int) -> None:
    """What a dishonest operator does: remove one event and recompute every later hash and link."""
    con = sqlite3.connect(path)
    rows = con.execute("SELECT seq, type, at, actor, data, prev, hash FROM events ORDER BY seq").fetchall()
    con.execute("DELETE FROM events")
    prev = GENESIS
    for number, (_, type_, at, actor, data, _, _) in enumerate((r for r in rows if r[0] != seq), start=1):
        digest_ = digest({"seq": number, "type": type_, "at": at, "actor": actor, "data": orjson.loads(data), "prev": prev})
        con.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", (number, type_, at, actor, data, prev, digest_))
        prev = digest_
    con.commit()
    con.close()


def test_a_receipt_for_an_event_removed_from_the_record_fails(sqlite_db: str, tmp_path: Path, body: SigningKey) -> None:
    log = loaded(sqlite_db, tmp_path)
    notes(log, 10)
    log.transparency.sign_head(body)
    receipt = log.log.receipt(9).to_dict()
    log.close()

    drop_event(sqlite_db, 9)
    rewritten = Session(sqlite_db)
    notes(rewritten, 5)
    later = rewritten.transparency.sign_head(body)  # the operator signs the rewritten log
    with pytest.raises(ProofError, match=r"receipt for event 9: consistency proof .* the event may have been removed"):
        rewritten.transparency.verify_receipt(receipt, later.to_dict())
    with pytest.raises(ProofError, match="removed or altered"):
        rewritten.transparency.verify_receipt(receipt)
    # and the heads published before the rewrite no longer match the record
    with pytest.raises(HeadError, match="log was rewritten"):
        rewritten.transparency.check()


def test_a_receipt_whose_event_was_altered_fails_alone(log: Session, body: SigningKey) -> None:
    log.transparency.sign_head(body)
    receipt = log.log.receipt(8).to_dict()
    receipt["event"]["data"]["n"] = 99
    with pytest.raises(ProofError, match="receipt for event 8: the event's hash does not match its content"):
        log.transparency.verify_receipt(receipt)
    receipt = log.log.receipt(8).to_dict()
    receipt["inclusion"][0] = "00" * 32
    with pytest.raises(ProofError, match="inclusion proof: leaf 7 is not in the tree"):
        log.transparency.verify_receipt(receipt)
    receipt = log.log.receipt(8).to_dict()
    receipt["head"]["size"] += 1
    with pytest.raises(HeadError, match="signature: does not match"):
        log.transparency.verify_receipt(receipt)


def test_a_receipt_needs_a_head_that_covers_its_event(log: Session, body: SigningKey) -> None:
    with pytest.raises(RuleError, match="event 3 is not in a signed head yet"):
        log.log.receipt(3)
    receipt = log.log.receipt(3, key=body)  # a write route signs one on the spot
    assert receipt.head.head.size == log.store.head()[0]
    with pytest.raises(NotFound, match="seq: there is no event 500"):
        log.log.receipt(500)


def test_signing_again_with_nothing_new_returns_the_same_head(log: Session, body: SigningKey) -> None:
    other = registered_key(log, "administrator", "a second results centre")
    first = log.transparency.sign_head(body)
    assert log.transparency.sign_head(body) == first
    assert len(log.transparency.heads()) == 1
    log.transparency.sign_head(other)
    assert {h.key_id for h in log.transparency.heads(first.head.size)} == {body.key_id, other.key_id}


def test_a_head_or_cosignature_by_a_key_not_registered_in_its_role_is_refused(log: Session, tmp_path: Path) -> None:
    """Every verifier would reject them: refused as they are made, and nothing is written."""
    stranger, judge = generate_key(), registered_key(log, "judge", "JEE Lima Centro")
    with pytest.raises(RuleError, match=r"^key: key \w{16} is not registered in the record \(escrutinio keys register"):
        log.transparency.sign_head(stranger)
    with pytest.raises(RuleError, match=r"registered to a dispute-body judge; a tree_head is made by the administrator"):
        log.transparency.sign_head(judge)
    assert log.transparency.heads() == []
    log.transparency.sign_head(BODY)
    with pytest.raises(RuleError, match=r"a cosignature is made by a party representative or an observer"):
        log.transparency.cosign(BODY, state=tmp_path / "w")
    late = registered_key(log, "representative", "Fuerza Popular")
    with pytest.raises(RuleError, match=r"was registered at event \d+, after the first \d+ events it signs"):
        log.transparency.cosign(late, state=tmp_path / "w")
    assert log.transparency.head().cosignatures == ()


def test_a_witness_cosigns_heads_that_extend_the_last_it_cosigned(log: Session, body: SigningKey, tmp_path: Path) -> None:
    party, state = registered_key(log, "representative", "Fuerza Popular"), tmp_path / "party-state"
    log.transparency.sign_head(body)
    first = log.transparency.cosign(party, state=state)
    assert first.previous_size is None
    notes(log, 3)
    log.transparency.sign_head(body)
    second = log.transparency.cosign(party, state=state)
    assert second.previous_size == first.head.head.size
    report = log.transparency.check()
    assert report.witnesses == [party.key_id] and report.signers == [body.key_id] and report.heads == 2
    with pytest.raises(HeadError, match="older than the head of size"):
        log.transparency.cosign(party, state=state, size=first.head.head.size)


def test_two_heads_that_fork_are_caught_by_a_witness(sqlite_db: str, tmp_path: Path, body: SigningKey) -> None:
    """The body shows one history to one party and another to the next: two stores with a common
    prefix that diverge. A witness that saw the first refuses the second, and writes nothing."""
    shown_to_a = loaded(sqlite_db, tmp_path)
    witness = registered_key(shown_to_a, "observer", "OAS mission")
    other = registered_key(shown_to_a, "representative", "Perú Libre")
    notes(shown_to_a, 10)
    shown_to_a.close()
    copy = str(tmp_path / "fork.db")
    shutil.copy(sqlite_db, copy)
    shown_to_a, shown_to_b = Session(sqlite_db), Session(copy)
    notes(shown_to_a, 4, tag="a")
    notes(shown_to_b, 9, tag="b")
    head_a, head_b = shown_to_a.transparency.sign_head(body), shown_to_b.transparency.sign_head(body)
    assert head_a.head.log == head_b.head.log  # one election's log, two histories

    state = tmp_path / "witness"
    shown_to_a.transparency.cosign(witness, state=state)
    remembered = sorted(state.iterdir())[0].read_bytes()
    with pytest.raises(HeadError, match=r"head of size \d+: FORK — it does not extend the head of size \d+"):
        shown_to_b.transparency.cosign(witness, state=state)
    assert shown_to_b.transparency.head().cosignatures == ()
    assert sorted(state.iterdir())[0].read_bytes() == remembered
    # the same size with another root is a fork too
    notes(shown_to_a, 5, tag="a2")
    shown_to_a.transparency.sign_head(body)
    assert shown_to_a.transparency.head().head.size == head_b.head.size
    shown_to_a.transparency.cosign(other, state=state)
    with pytest.raises(HeadError, match="FORK"):
        shown_to_b.transparency.cosign(other, state=state)


def test_a_forged_cosignature_fails_head_verification(sqlite_db: str, tmp_path: Path, body: SigningKey) -> None:
    log = loaded(sqlite_db, tmp_path)
    witness = registered_key(log, "observer", "EU mission")
    log.transparency.sign_head(body)
    log.transparency.cosign(witness, state=tmp_path / "w")
    log.close()
    con = sqlite3.connect(sqlite_db)
    con.execute("UPDATE cosignatures SET signature = ?", ("ab" * 64,))
    con.commit()
    con.close()
    with pytest.raises(HeadError, match="cosignature: does not match"):
        Session(sqlite_db).transparency.check()


def test_a_receipt_whose_head_a_stranger_signed_is_refused_by_the_registry(
    log: Session, body: SigningKey, tmp_path: Path
) -> None:
    """A valid signature proves only that some key signed: the head of a forged receipt signed
    with a key the record never registered (or registered to an auditor, who signs no heads) passes
    the signature check alone and is refused against the store's registry and the record's."""
    from escrutinio.ledger.heads import SignedHead, sign_head

    stranger, auditor = generate_key(), generate_key()
    registered_key(log, "auditor", "an auditor", key=auditor)
    log.transparency.sign_head(body)
    receipt = log.log.receipt(7).to_dict()
    record = tmp_path / "record.jsonl"
    record.write_bytes(b"".join(line + b"\n" for line in log.store.event_lines()))
    assert log.transparency.verify_receipt(receipt, record=record).to_dict()["signer_registered_in"] == "record"
    assert log.transparency.verify_receipt(receipt).to_dict()["signer_registered_in"] == "store"

    head = SignedHead.from_dict(receipt["head"], "head").head
    nowhere = Session(str(tmp_path / "no-store.db"))
    for key, why in ((stranger, "is not registered in the record"), (auditor, "registered to an auditor")):
        forged = {**receipt, "head": sign_head(key, head).to_dict()}
        alone = nowhere.transparency.verify_receipt(forged)  # the signature alone holds
        assert alone.to_dict()["signer_registered_in"] == "not checked"
        with pytest.raises(ProofError, match=rf"the head of size {head.size} is not signed by a key the store allows: .*{why}"):
            log.transparency.verify_receipt(forged, later=receipt["head"])
        with pytest.raises(ProofError, match=rf"not signed by a key the record allows: .*{why}"):
            nowhere.transparency.verify_receipt(forged, later=forged["head"], record=record)


def test_the_later_head_a_receipt_is_checked_against_is_named_as_its_field(log: Session, body: SigningKey) -> None:
    """The application names the later head ``head`` (the CLI says ``--head``, a request its field):
    one malformed, or signed by a key the record does not hold, is refused naming no option."""
    from escrutinio.ledger.heads import SignedHead, sign_head

    log.transparency.sign_head(body)
    receipt = log.log.receipt(7).to_dict()
    with pytest.raises(HeadError) as malformed:
        log.transparency.verify_receipt(receipt, later={**receipt["head"], "size": "seven"})
    assert malformed.value.field == "head" and str(malformed.value).startswith("head.size: ")
    forged = sign_head(generate_key(), SignedHead.from_dict(receipt["head"]).head).to_dict()
    with pytest.raises(ProofError) as unregistered:
        log.transparency.verify_receipt(receipt, later=forged)
    message = str(unregistered.value)
    assert unregistered.value.field == "head" and message.startswith("head: the head of size ") and "--" not in message
