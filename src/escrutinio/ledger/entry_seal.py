"""A first entry's figures sealed in the public log: a commitment, opened by the second entry.

Why: the log is public and hash-chained, so an event can never be unsaid. Had the first
clerk's entry carried its figures, anyone reading the log (or its published copy) while the
table awaits its second entry could hand them to the second clerk, and their "agreement"
would prove nothing. The first entry's event carries instead ``commitment``: SHA-256 over a
random 32-byte salt and the canonical bytes of the entered sheet; the figures and the salt
are kept store-side. The second entry's event reveals both (``first_sheet``, ``first_salt``),
and whoever replays the log checks that they open the commitment: the first entry cannot be
changed after the fact, nor read before it is compared. The salt keeps the commitment from
being opened by trying every plausible sheet (a table's figures are few and small).

The same seal serves every double entry of the record: a sheet's two keyings
(``intake.double_entry``) and an audit's two hand counts or ballot readings
(``audit.entries``), whose first-recorded entry is as copyable as a sheet's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from escrutinio.domain.errors import StoreError
from escrutinio.ledger.canonical import canonical

SALT_BYTES = 32

FIRST_FIGURES = "first_sheet"
FIRST_SALT = "first_salt"
"""Where a second entry's event reveals the first's figures and salt."""

SEALED = "sealed"
"""Where a first entry's kept figures and salt (``{"salt", "sheet"}``) sit in its event's data
once read store-side for the comparison (``store.entries.entry_event``); never in the log."""


def commitment(sheet: dict[str, Any], salt: str) -> str:
    """SHA-256 (hex) over the salt's bytes (``salt`` in hex) and the sheet's canonical JSON."""
    return hashlib.sha256(bytes.fromhex(salt) + canonical(sheet)).hexdigest()


def seal(sheet: dict[str, Any]) -> tuple[str, str]:
    """A commitment to ``sheet`` under a fresh random salt: (commitment, salt), both hex."""
    salt = secrets.token_bytes(SALT_BYTES).hex()
    return commitment(sheet, salt), salt


def opens(committed: str, sheet: dict[str, Any], salt: str) -> bool:
    """Whether ``sheet`` and ``salt`` are what ``committed`` was made of."""
    try:
        made = commitment(sheet, salt)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(made, committed)


def sealed(figures: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A first entry's commitment to ``figures`` and what the store keeps to open it later
    (``{"salt", "sheet"}``: a ``PendingEvent.private``, never logged)."""
    committed, salt = seal(figures)
    return committed, {"salt": salt, "sheet": figures}


def reveal(committed: str, kept: object, where: str) -> dict[str, Any]:
    """What the second entry's event carries of a first entry that committed to its figures:
    the kept figures and salt (``first_sheet``, ``first_salt``), checked to open the
    commitment (a store whose kept figures do not is refused, naming ``where``)."""
    if not isinstance(kept, dict) or not opens(committed, kept.get("sheet"), kept.get("salt")):  # type: ignore[arg-type]
        raise StoreError(f"{where}: the first entry's kept figures do not open its commitment")
    return {FIRST_FIGURES: kept["sheet"], FIRST_SALT: kept["salt"]}


def opening_problem(committed: str, data: dict[str, Any], first: str) -> str | None:
    """What is wrong with a second entry's reveal of the first entry (``first`` names it, for
    the message) that committed to ``committed``; None when the reveal opens it."""
    if FIRST_FIGURES not in data or FIRST_SALT not in data:
        return f"first_sheet: the first entry ({first}) committed to its figures; the second must reveal them"
    if not opens(committed, data[FIRST_FIGURES], data[FIRST_SALT]):
        return f"first_sheet: with first_salt it does not open the commitment of the first entry ({first})"
    return None


def reveal_problem(data: dict[str, Any], commitments: dict[int, str], seq: int) -> str | None:
    """What is wrong with a ``sheet.entered`` event's commitment or reveal, for a replay that
    has seen ``commitments`` (first entries' commitments by event number; this one's is added):
    a second entry must reveal the figures and salt that open its first entry's commitment.
    None when nothing is (an older log's entries carry no commitment and reveal nothing)."""
    if "commitment" in data:
        commitments[seq] = str(data["commitment"])
        return None
    committed = commitments.get(data.get("first"))  # type: ignore[arg-type]
    if committed is None:
        return "first_salt: reveals no committed first entry" if "first_salt" in data else None
    return opening_problem(committed, data, f"event {data['first']}")
