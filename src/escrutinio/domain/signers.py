"""Who may sign what: the roles an official's key is registered for, and which role each
signed act needs.

Why in the domain: a signature proves who made a ruling only if the record also says what that
person was entitled to do; a JEE judge's key on an appeal decision, or an auditor's on a
proclamation, is refused when it is made and flagged by anyone replaying the record.
"""

from __future__ import annotations

from enum import StrEnum

from escrutinio.domain.errors import RuleError


class SignerRole(StrEnum):
    """The role a key is registered for (one key, one role: a person with two roles holds two keys)."""

    DISPUTE_BODY = "dispute_body"  # Jurado Electoral Especial: first-instance rulings
    APPEALS_BODY = "appeals_body"  # Jurado Nacional de Elecciones: appeals, proclamation
    COUNTING_AUTHORITY = "counting_authority"  # ONPE
    AUDITOR = "auditor"  # hand counts and audit results
    WITNESS = "witness"  # a party or an observer countersigning heads
    ADMINISTRATOR = "administrator"


SIGNED_ACTS: dict[str, frozenset[SignerRole]] = {
    "case.admitted": frozenset({SignerRole.DISPUTE_BODY}),
    "case.refused": frozenset({SignerRole.DISPUTE_BODY, SignerRole.APPEALS_BODY}),
    "case.ruled": frozenset({SignerRole.DISPUTE_BODY}),
    "case.appeal_decided": frozenset({SignerRole.APPEALS_BODY}),
    "case.finalised": frozenset({SignerRole.DISPUTE_BODY, SignerRole.APPEALS_BODY}),
    "audit.hand_count": frozenset({SignerRole.AUDITOR}),
    "audit.measured": frozenset({SignerRole.AUDITOR}),
    "audit.reported": frozenset({SignerRole.AUDITOR}),
    "certificate.issued": frozenset({SignerRole.APPEALS_BODY}),
}
"""The acts a key may sign, each with the roles allowed to make it."""


def check_signer(act: str, role: str, key_id: str) -> None:
    """Refuse a signature on ``act`` by a key registered for ``role`` when that role may not make it."""
    allowed = SIGNED_ACTS.get(act)
    if allowed is None:
        raise RuleError(f"{article(act)} {act} is not an act escrutinio signs")
    if role not in allowed:
        names = " or ".join(sorted(r.value.replace("_", " ") for r in allowed))
        role_name = role.replace("_", " ")
        raise RuleError(f"key {key_id[:16]} is registered as {role_name}; {article(act)} {act} is made by the {names}")


def article(word: str) -> str:
    """ "a" or "an" before ``word`` (an audit.reported, a case.ruled)."""
    return "an" if word[:1].lower() in "aeiou" else "a"
