"""Officials' keys registered in a test's store, as ``escrutinio keys register`` would."""

from __future__ import annotations

from typing import Any

from escrutinio.ledger.signing import SigningKey, generate_key


def registered_key(session: Any, role: str, holder: str | None = None, key: SigningKey | None = None) -> SigningKey:
    """A new key (or ``key``) registered in ``session``'s store to ``holder`` in ``role``."""
    from escrutinio.ledger.keys import registration

    key = key or generate_key()
    event = registration(key.public, holder or f"the {role}", role, session.keys.registered())
    session.store.append([event], session.actor)
    return key
