"""The event log: export it for anyone to verify, and verify an exported log.

``verify`` needs no store: it checks every hash and link, replays the log with the domain's
rules and recomputes the results; with a store in the session it also names every figure, roll
entry, sheet and case where the store differs from the log (``count.verify``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.domain.errors import StoreError

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.count.verify import VerifyReport
    from escrutinio.ledger.receipts import Receipt
    from escrutinio.ledger.signing import SigningKey

Progress = Callable[[str, int, int], None]


def _quiet(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class ExportSummary:
    """Where the log went, how many events it holds and the hash it ends at."""

    file: str
    events: int
    head: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "events": self.events, "head": self.head}


class LogService:
    """``session.log``: export and verify."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    def head(self) -> dict[str, Any]:
        """Where the log ends: ``events`` (the last event's number, 0 when empty) and ``head`` (its
        hash). One indexed query: live pages poll it to learn that something changed."""
        seq, digest = self.session.reader.head()
        return {"events": seq, "head": digest}

    def latest(self) -> dict[str, Any]:
        """:meth:`head` with the last event's type and time (``at``, ISO in UTC): a results
        page says how fresh its figures are. ``type`` and ``at`` are None for an empty log."""
        seq, digest = self.session.reader.head()
        last = self.session.reader.event_index(max(seq - 1, 0))[-1:] if seq else []
        _seq, type_, at, _actor = last[0] if last else (seq, None, None, None)
        return {"events": seq, "head": digest, "type": type_, "at": at}

    def recorded_since(self, after: int) -> list[int]:
        """The events after event ``after`` that this session's principal recorded, oldest first:
        with ``after`` the head read just before an action, what the action wrote (the API hands
        back their receipts). An action of the same account landing at the same moment shows
        here too: both are that account's, and each receipt proves its own event."""
        actor = self.session.principal.actor
        return [int(seq) for seq, _type, _at, by in self.session.reader.event_index(after) if by == actor]

    def export(self, path: Path) -> ExportSummary:
        """Write the whole log as JSON Lines, one canonical event per line, oldest first."""
        store = self.session.store
        n = 0
        try:
            out = open(path, "wb")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise StoreError(f"{path}: cannot write the log ({exc.strerror})") from None
        with out:
            for line in store.event_lines():
                out.write(line + b"\n")
                n += 1
        return ExportSummary(str(path), n, store.head()[1])

    def verify(
        self,
        path: Path,
        progress: Progress = _quiet,
        *,
        head: str | None = None,
        published: Path | None = None,
        signed_heads: Any = None,
    ) -> VerifyReport:
        """Rebuild everything from the exported log alone, every event re-checked against the
        rules (the audit's by the audit); with ``head``, the log must end at it; with
        ``published``, the results published (``results --format json``) must be the record's;
        with ``signed_heads`` (the JSON of one or more signed tree heads), each is checked against
        the record, which must end at the largest.
        Compares with the store when there is one."""
        from escrutinio.audit.record_check import AuditCheck
        from escrutinio.count.verify import verify_log

        session = self.session
        audit = AuditCheck()
        store = session.store if session.exists() else None
        report = verify_log(
            path, store, progress, head=head, checks=audit.checks(), published=published, signed_heads=signed_heads
        )
        report.checked["audit"] = audit.summary()
        return report

    def receipt(self, seq: int, *, key: SigningKey | Path | None = None) -> Receipt:
        """The receipt of event ``seq`` (leaf hash, index, inclusion proof, signed head); see
        :meth:`escrutinio.app.transparency.TransparencyService.receipt`. ``.to_dict()`` is its JSON."""
        from escrutinio.app.transparency import TransparencyService

        return TransparencyService(self.session).receipt(seq, key=key)
