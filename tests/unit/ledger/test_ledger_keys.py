"""Keys in the record and signatures checked against them: registration, roles, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from escrutinio.domain.errors import RuleError
from escrutinio.ledger.keys import Registration, registration, sign, sign_events, verify
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.signing import BadSignature, generate_key

JNE = generate_key()
JEE = generate_key()
KNOWN = {
    JNE.key_id: Registration(JNE.key_id, JNE.public.hex, "JNE plenary", "appeals_judge", 5),
    JEE.key_id: Registration(JEE.key_id, JEE.public.hex, "JEE Lima Centro", "judge", 6),
}
PAYLOAD = {"head": {"seq": 10, "hash": "ab" * 32}, "totals": {"votes": {"PL": 3, "FP": 2}}}


def test_a_registered_key_of_the_right_role_signs_and_the_signature_verifies() -> None:
    sig = sign(JNE, "certificate.issued", PAYLOAD, KNOWN)
    assert sig["holder"] == "JNE plenary" and sig["role"] == "appeals_judge" and len(sig["signature"]) == 128
    verify(sig, "certificate.issued", PAYLOAD, KNOWN)
    with pytest.raises(BadSignature, match="does not match"):
        verify(sig, "certificate.issued", {**PAYLOAD, "totals": {"votes": {"PL": 2, "FP": 3}}}, KNOWN)
    with pytest.raises(BadSignature, match=r"a case\.ruled is made by a dispute-body judge"):
        verify(sig, "case.ruled", PAYLOAD, KNOWN)  # a signature names its act: not replayable as another


def test_unregistered_keys_and_wrong_roles_are_refused() -> None:
    with pytest.raises(RuleError, match=r"^key: key \w{16} is not registered") as refused:
        sign(generate_key(), "certificate.issued", PAYLOAD, KNOWN)
    assert refused.value.field == "key"  # the CLI says --key
    with pytest.raises(RuleError, match=r"registered to a dispute-body judge; a certificate\.issued is made by an appeals judge"):
        sign(JEE, "certificate.issued", PAYLOAD, KNOWN)
    forged = {**sign(JNE, "certificate.issued", PAYLOAD, KNOWN), "key_id": "00" * 32}
    with pytest.raises(BadSignature, match="no such key is registered"):
        verify(forged, "certificate.issued", PAYLOAD, KNOWN)


def test_registration_names_holder_and_role_and_is_made_once(tmp_path: Path) -> None:
    event = registration(JNE.public, " JNE plenary ", "appeals_judge", {})
    assert event.type == "key.registered"
    expected = {"key_id": JNE.key_id, "public_key": JNE.public.hex, "holder": "JNE plenary", "role": "appeals_judge"}
    assert event.payload() == expected
    with pytest.raises(RuleError, match="already registered to JNE plenary"):
        registration(JNE.public, "someone", "appeals_judge", KNOWN)
    with pytest.raises(RuleError, match=r"^role: expected one of administrator, appeals_judge, auditor, judge, observer") as bad:
        registration(generate_key().public, "x", "king", {})
    assert bad.value.field == "role" and getattr(bad.value, "rule", None) == "invalid"
    with pytest.raises(RuleError, match=r"^holder: expected") as bad:
        registration(generate_key().public, "  ", "auditor", {})
    assert bad.value.field == "holder"


def test_sign_events_signs_the_acts_and_passes_the_rest() -> None:
    auditor = generate_key()
    known = {**KNOWN, auditor.key_id: Registration(auditor.key_id, auditor.public.hex, "Ana Quispe", "auditor", 7)}
    report = PendingEvent("audit.reported", {"outcome": "confirmed", "risk": "0.01"})
    other = PendingEvent("sheets.recorded", {"sheets": []})
    signed, untouched = sign_events([report, other], auditor, known)
    assert untouched is other and signed.payload()["signature"]["role"] == "auditor"
    body = {k: v for k, v in signed.payload().items() if k != "signature"}
    verify(signed.payload()["signature"], "audit.reported", body, known)
    with pytest.raises(RuleError, match=r"registered to a dispute-body judge; an audit\.reported is made by an auditor"):
        sign_events([report], JEE, known)


def test_the_older_role_names_are_read_and_registered_as_the_roles_they_were() -> None:
    """A record written before accounts and keys shared one vocabulary names its keys'
    roles ``appeals_body``, ``dispute_body``, ``counting_authority``, ``witness``."""
    old = {JNE.key_id: Registration(JNE.key_id, JNE.public.hex, "JNE plenary", "appeals_body", 5)}
    sig = sign(JNE, "certificate.issued", PAYLOAD, old)
    assert sig["role"] == "appeals_body"  # as the registration says; the check reads it as appeals_judge
    verify(sig, "certificate.issued", PAYLOAD, old)
    with pytest.raises(BadSignature, match=r"registered to an appeals judge; a case\.ruled is made by a dispute-body judge"):
        verify(sig, "case.ruled", PAYLOAD, old)
    from escrutinio.domain.roles import LEGACY_KEY_ROLES

    assert {k: v.value for k, v in LEGACY_KEY_ROLES.items()} == {
        "dispute_body": "judge",
        "appeals_body": "appeals_judge",
        "counting_authority": "administrator",
        "witness": "observer",
    }
    for legacy, now in LEGACY_KEY_ROLES.items():
        assert registration(generate_key().public, "x", legacy, {}).payload()["role"] == now
