"""The audit's part of verifying a record: its events folded as they come, each checked.

``ledger.semantic`` replays a whole record but sits below the capabilities; it takes this
check for the audit event types, so a sample not drawn from the seed, a risk not given by the
hand counts or a step out of order fails the record at its event.
"""

from __future__ import annotations

from escrutinio.audit.service import Folded, fold
from escrutinio.ledger.events import Event, EventType


class AuditCheck:
    """Call it with each audit event in order; it raises a RuleError naming the first bad one."""

    def __init__(self) -> None:
        self.folded = Folded()

    def __call__(self, event: Event) -> None:
        self.folded = fold(self.folded, [(event.seq, event.type, event.data)])

    def checks(self) -> dict[str, AuditCheck]:
        """This check for every audit event type (what ``SemanticReplay`` takes)."""
        return dict.fromkeys(EventType.AUDIT_EVENTS, self)

    def summary(self) -> dict[str, object] | None:
        """The last audit's method, risk and decision as replayed (None: the record holds no audit)."""
        state = self.folded.state
        if state.manifest is None:
            return None
        last = state.measurements[-1] if state.measurements else None
        return {
            "planned_at_event": self.folded.plan_seq,
            "method": str(state.method),
            "phase": str(state.phase),
            "risk": last.risk if last else None,
            "decision": str(last.decision) if last else None,
            "set_aside": list(self.folded.ignored),
        }
