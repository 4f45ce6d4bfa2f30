"""Proclamation on a real store (SQLite and PostgreSQL): refused while a sheet is at the dispute
body, granted once it is ruled on and the ruling is final; the certificate's totals are the
results, its signature is a registered appeals-body key's, and it binds the head it was made on."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from tests.onpe_sample import write

from escrutinio.app import EscrutinioError, RuleError, Session
from escrutinio.app.cases import Decision
from escrutinio.app.certify import CertificationRefused
from escrutinio.domain.claims import Effect, EffectKind

LIMA = ZoneInfo("America/Lima")


def officials(session: Session, tmp_path: Path) -> tuple[Path, Path]:
    """An appeals-body key and a dispute-body key, both registered."""
    jne, jee = tmp_path / "jne.key", tmp_path / "jee.key"
    for key, holder, role in ((jne, "JNE plenary", "appeals_judge"), (jee, "JEE Lima Centro", "judge")):
        session.keys.generate(key)
        session.keys.register(key.with_name(key.name + ".pub"), holder, role)
    return jne, jee


def test_keys_are_generated_private_and_registered_in_the_record(sqlite_db: str, tmp_path: Path) -> None:
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    made = session.keys.generate(tmp_path / "k.key")
    assert stat.S_IMODE(os.stat(tmp_path / "k.key").st_mode) == 0o600
    with pytest.raises(EscrutinioError, match="already exists"):
        session.keys.generate(tmp_path / "k.key")
    done = session.keys.register(tmp_path / "k.key.pub", "Ana Quispe", "auditor")
    assert done["key_id"] == made["key_id"] and done["public_key"] and done["event"] == session.store.head()[0]
    assert [(k["holder"], k["role"]) for k in session.keys.listing()] == [("Ana Quispe", "auditor")]
    with pytest.raises(RuleError, match="already registered to Ana Quispe"):
        session.keys.register(tmp_path / "k.key.pub", "Ana Quispe", "auditor")
    with pytest.raises(EscrutinioError, match=r"k\.key\.pub: is a public key"):
        session.certify.certify(tmp_path / "k.key.pub", tmp_path / "c.json")
    assert b"PRIVATE" not in b"".join(session.store.event_lines())  # the private key never enters the store


def test_refused_while_open_then_granted_and_verified(db_url: str, tmp_path: Path) -> None:
    session = Session(db_url, actor="admin:test")  # history with 2021's times is an administrator's
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 7, 9, tzinfo=LIMA))
    jne, jee = officials(session, tmp_path)
    out = tmp_path / "proclamation.json"

    with pytest.raises(CertificationRefused) as refused:
        session.certify.certify(jne, out)
    assert len(refused.value.items) == 1 and "(observation, admitted) on table" in refused.value.items[0]
    assert not out.exists()

    number = session.cases.listing()[0]["number"]
    ruled_at = datetime(2021, 6, 20, 12, tzinfo=LIMA)
    session.cases.rule(number, Decision("JEE-1", Effect(EffectKind.COUNT_AS_IS)), declared_at=ruled_at)
    with pytest.raises(CertificationRefused, match=r"\(observation, ruled\)"):  # still appealable
        session.certify.certify(jne, out)
    session.cases.finalise()
    assert session.certify.open_items() == []

    with pytest.raises(RuleError, match=r"registered to a dispute-body judge; a certificate\.issued is made by an appeals judge"):
        session.certify.certify(jee, out)
    head = session.store.head()
    done = session.certify.certify(jne, out, lang="en")
    certificate = done["certificate"]
    nation = session.count.results()[0]
    assert certificate["totals"]["votes"] == nation["votes"] and certificate["totals"]["valid"] == nation["valid"]
    assert certificate["head"] == {"seq": head[0], "hash": head[1]} and done["event"] == head[0] + 1
    assert certificate["outcome"]["kind"] == "winner" and "art. 111" in certificate["rule"]["source"]
    assert orjson.loads(out.read_bytes()) == certificate
    assert "Certificate of the election result" in out.with_suffix(".html").read_text()
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")

    assert session.certify.verify(out)["ok"]
    again = session.certify.certify(jne, tmp_path / "again.json")  # nothing happened since: the same certificate
    assert again["again"] and again["certificate"] == certificate and session.store.head()[0] == done["event"]

    tampered = {**certificate, "totals": {**certificate["totals"], "votes": {"PL": 1, "FP": 0}}}
    bad = tmp_path / "tampered.json"
    bad.write_bytes(orjson.dumps(tampered))
    report = session.certify.verify(bad)
    assert not report["ok"] and report["problems"][0].startswith("signatures[0]: signature by JNE plenary: does not match")
    elsewhere = Session(str(tmp_path / "other.db"))
    elsewhere.count.load(write(tmp_path / "b.csv"), "peru-2021-runoff")
    problems = elsewhere.certify.verify(out)["problems"]
    assert any("no such key is registered" in p for p in problems)
    assert any(p.startswith("head: ") for p in problems)


def test_rulings_are_signed_by_who_makes_them_and_a_wrong_key_is_refused(sqlite_db: str, tmp_path: Path) -> None:
    from escrutinio.ledger.keys import event_signature_problem, registry

    session = Session(sqlite_db, actor="admin:test")
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 7, 9, tzinfo=LIMA))
    jne, jee = officials(session, tmp_path)
    number = session.cases.listing()[0]["number"]
    decision = Decision("JEE-7", Effect(EffectKind.COUNT_AS_IS))
    when = datetime(2021, 6, 20, 12, tzinfo=LIMA)
    head = session.store.head()

    stranger = tmp_path / "stranger.key"
    session.keys.generate(stranger)
    for key, message in (
        (jne, "registered to an appeals judge; a case.ruled is made by a dispute-body judge"),
        (stranger, "not registered"),
    ):
        signer = Session(sqlite_db, actor="admin:test").sign_with(key)
        with pytest.raises(RuleError, match=message):
            signer.cases.rule(number, decision, declared_at=when)
        assert session.store.head() == head  # refused: nothing written

    signer = Session(sqlite_db, actor="admin:test").sign_with(jee)
    signer.cases.rule(number, decision, declared_at=when)
    ruled = session.store.events_of_type("case.ruled")[-1]
    assert ruled.data["signature"]["holder"] == "JEE Lima Centro" and ruled.data["signature"]["role"] == "judge"
    known = registry(session.store.events_of_type("key.registered"))
    assert event_signature_problem(ruled, known) is None
    forged = type(ruled)(ruled.seq, ruled.type, ruled.at, ruled.actor, {**ruled.data, "summary": {}}, ruled.prev, ruled.hash)
    assert "does not match" in (event_signature_problem(forged, known) or "")
    assert session.store.events_of_type("sheets.recorded")[-1].data.get("signature") is None  # the count change is not an act

    # From the record alone: verify checks the signed ruling against the keys the record registers,
    # and a ruling rewritten under its signature (every hash recomputed) fails at that event.
    from tests.records import read, reseal
    from tests.records import write as write_record

    from escrutinio.ledger.semantic import Discrepancy

    record = tmp_path / "record.jsonl"
    session.log.export(record)
    assert session.log.verify(record).to_dict()["checked"]["signed_acts_checked"] == 1
    events = read(record)
    i = next(k for k, e in enumerate(events) if e.type == "case.ruled")
    e = events[i]
    events[i] = type(e)(e.seq, e.type, e.at, e.actor, {**e.data, "summary": {}}, e.prev, e.hash)
    with pytest.raises(Discrepancy, match="does not match") as refused:
        session.log.verify(write_record(tmp_path / "rewritten.jsonl", reseal(events)))
    assert refused.value.seq == e.seq

    # A record written before keys and accounts shared one vocabulary: its keys registered as
    # dispute_body and appeals_body, the signatures naming those roles. It still verifies (the
    # old names read as judge and appeals_judge), and its judge's key still may not certify.
    old = [
        type(e)(e.seq, e.type, e.at, e.actor, legacy_roles(e.data), e.prev, e.hash) if legacy_roles(e.data) != e.data else e
        for e in read(record)
    ]
    assert sum(e.type == "key.registered" and e.data["role"] in ("dispute_body", "appeals_body") for e in old) == 2
    old_record = write_record(tmp_path / "old-roles.jsonl", reseal(old))
    report = Session(str(tmp_path / "no-store.db")).log.verify(old_record).to_dict()  # the record alone
    assert report["ok"] and report["checked"]["signed_acts_checked"] == 1
    jee_id = next(e.data["key_id"] for e in old if e.type == "key.registered" and e.data["role"] == "dispute_body")
    old_keys = registry(e for e in old if e.type == "key.registered")
    assert old_keys[jee_id].role == "judge"
    from escrutinio.ledger.keys import verify as verify_signature

    with pytest.raises(EscrutinioError, match=r"registered to a dispute-body judge; a certificate\.issued is made by an appeals"):
        verify_signature(ruled.data["signature"], "certificate.issued", {}, old_keys)


def legacy_roles(data: dict) -> dict:
    """``data`` with the key roles written as records did before one vocabulary."""
    before = {"judge": "dispute_body", "appeals_judge": "appeals_body"}
    if data.get("role") in before and "public_key" in data:
        return {**data, "role": before[data["role"]]}
    signature = data.get("signature")
    if isinstance(signature, dict) and signature.get("role") in before:
        return {**data, "signature": {**signature, "role": before[signature["role"]]}}
    return data


def test_a_definition_that_requires_an_audit_waits_for_it(sqlite_db: str, tmp_path: Path) -> None:
    from escrutinio.formats.definition import read_definition_text

    _, text = read_definition_text("peru-2021-runoff")
    definition = tmp_path / "audited.toml"
    definition.write_text(text.replace('tie = "undecided"', 'tie = "undecided"\naudit_risk_limit = "5%"', 1))
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "a.csv"), str(definition))
    assert session.certify.open_items()[-1] == "audit: the definition requires a risk-limiting audit at 5%; none is planned"
