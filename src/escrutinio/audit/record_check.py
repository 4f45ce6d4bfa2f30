"""The audit's part of verifying a record: its events folded as they come, each checked.

``ledger.semantic`` replays a whole record but sits below the capabilities; it takes this
check for the audit event types, so a sample not drawn from the seed, a risk not given by the
hand counts or a step out of order fails the record at its event.
"""

from __future__ import annotations

from escrutinio.audit.manifest import AUDITED_STATES
from escrutinio.audit.service import Folded, fold
from escrutinio.domain.errors import RuleError
from escrutinio.ledger.events import Event, EventType
from escrutinio.ledger.semantic import SemanticReplay


class AuditCheck:
    """Call it with each audit event in order; it raises a RuleError naming the first bad one.

    A plan's manifest is also held to the record: every table in the count (counted, resolved
    or annulled) and no other, each with the pair's votes and the ballots its current sheet
    gives — so the sample is drawn from the count the record states, not from a forged one.
    """

    def __init__(self) -> None:
        self.folded = Folded()

    def __call__(self, event: Event, replay: SemanticReplay) -> None:
        if event.type == EventType.AUDIT_PLANNED:
            check_manifest(event.data, replay)
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


def check_manifest(data: dict[str, object], replay: SemanticReplay) -> None:
    """The plan's manifest against the current sheets of the record (see :class:`AuditCheck`):
    a pair manifest's two choices, or a contest manifest's every choice."""
    assert replay.builder.state is not None
    choices = replay.builder.state.election.contest.choice_ids
    columns = data["manifest"]
    assert isinstance(columns, dict)
    if "votes" in columns:
        named = [str(c) for c in columns["choices"]]
        unknown = [c for c in named if c not in choices]
        if unknown:
            raise RuleError(f"the audit manifest names choice {unknown[0]!r}, which the election does not have")
        figures = [*columns["votes"], columns["ballots"]]
    else:
        named = [str(data["winner"]), str(data["loser"])]
        figures = [columns["winner"], columns["loser"], columns["ballots"]]
    at = [choices.index(c) for c in named]
    stated = {t: tuple(row) for t, *row in zip(columns["table"], *figures, strict=True)}
    for table, sheet in sorted(replay.current.items()):
        if sheet.state not in AUDITED_STATES:
            continue
        votes = [0] * len(at) if sheet.state == "annulled" else [sheet.counts[i] for i in at]
        expected = (*votes, max(sheet.counts[-1], sum(votes)))
        if stated.pop(table, None) != expected:
            raise RuleError(
                f"the audit manifest gives table {table} other figures than its current sheet (expected {list(expected)})"
            )
    if stated:
        raise RuleError(f"the audit manifest holds table {min(stated)}, which is not in the count")
