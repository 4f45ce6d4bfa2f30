"""The audit record's next step: the payload of each event, built from the state so far.

Each payload is a plain dict (ints, strings, lists, dicts; no floats: risks are decimal strings,
risk limits exact fractions as text) whose ``type`` is the event's type in the log
(:class:`escrutinio.ledger.events.EventType`, the one spelling). Steps that follow from earlier
ones (the sample, the measured risk and decision, the report) are *computed* here, so that
:mod:`escrutinio.audit.replay` can recompute them and refuse a log that says otherwise.
A step that the record cannot take now raises :class:`~escrutinio.audit.state.AuditRefused`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from escrutinio.audit.contest import pair_label
from escrutinio.audit.kinds import DEFAULT_MAX_ROUNDS, MIN_CEREMONY_SEED_DIGITS, AuditMethod, Decision, RoundSizing
from escrutinio.audit.manifest import AuditManifest
from escrutinio.audit.methods import rules_of
from escrutinio.audit.risk import RiskLimitLike, format_risk, fraction_text, plannable_risk_limit
from escrutinio.audit.sampler import BALLOTS, PPEB, weighted_draws
from escrutinio.audit.state import AuditRefused, AuditState, OutOfPhase
from escrutinio.ledger.events import EventType

MIN_GROWTH = Fraction(1, 10)
"""A next round draws at least this share of the draws so far, so rounds do not crawl."""


def planned_event(
    manifest: AuditManifest,
    winner: str,
    loser: str,
    risk_limit: RiskLimitLike,
    *,
    method: AuditMethod | str = AuditMethod.MACRO,
    contest: str = "",
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> dict[str, Any]:
    """The first event: what is audited, how, and the manifest the sample is drawn from.

    ``winner`` and ``loser`` name the pair a one-pair manifest holds; with a contest manifest
    (every choice, its reported winners) they name its closest pair, which status rows show,
    while every winner–loser pair is confirmed."""
    try:
        method = AuditMethod(method)
    except ValueError:
        batch = ", ".join(m.value for m in AuditMethod if not m.polling)
        polling = ", ".join(m.value for m in AuditMethod if m.polling)
        raise AuditRefused(
            f"the audit record runs batch comparison ({batch}) or ballot polling ({polling}), not {method!r}"
        ) from None
    if max_rounds < 1:
        raise AuditRefused("an audit needs at least one round before a full hand count")
    return {
        "type": EventType.AUDIT_PLANNED,
        "method": method.value,
        "contest": contest,
        "winner": winner,
        "loser": loser,
        "risk_limit": fraction_text(plannable_risk_limit(risk_limit)),
        "max_rounds": max_rounds,
        "round_sizing": RoundSizing.METHOD.value,
        "manifest": manifest.to_columns(),
        "manifest_sha256": manifest.sha256,
    }


def check_ceremony_seed(seed: str) -> str:
    """A seed read out at the public ceremony: decimal digits only, at least 20 of them.

    The sampler itself hashes any string; the ceremony is where a weak seed (one a person could
    pick among a few to get a sample they like) is refused. The seed is kept exactly as written:
    whoever redraws the sample must hash the very same string.
    """
    if not isinstance(seed, str) or not seed.isascii() or not seed.isdigit():
        bad = next((c for c in str(seed) if not ("0" <= c <= "9")), "")
        raise AuditRefused(f"a ceremony seed holds decimal digits only (0-9); found {bad!r} in {seed!r}", "seed")
    if len(seed) < MIN_CEREMONY_SEED_DIGITS:
        raise AuditRefused(
            f"a ceremony seed needs at least {MIN_CEREMONY_SEED_DIGITS} digits (one per roll of a ten-sided die), "
            f"got {len(seed)}: a shorter seed could be chosen to pick the sample"
        )
    return seed


def seed_event(seed: str, ceremony: str = "") -> dict[str, Any]:
    """The public seed (digits only, at least 20) and a note on the ceremony that produced it."""
    return {"type": EventType.AUDIT_SEEDED, "seed": check_ceremony_seed(seed), "ceremony": ceremony}


def first_round_draws(state: AuditState) -> int:
    """Round 1's size: the method's sample size when the sample looks as reported (see
    :data:`escrutinio.audit.methods.METHODS`)."""
    return rules_of(state).first_round(state)


def sample_event(state: AuditState) -> dict[str, Any]:
    """The next round's draws (round 1 after the seed; round r+1 after a next_round decision)."""
    if state.phase == "seeded":
        count = first_round_draws(state)
    elif state.phase == Decision.NEXT_ROUND:
        count = state.measurements[-1].next_round_draws
    else:
        raise OutOfPhase(f"a sample is drawn after the seed or after a next_round decision, not in phase {state.phase}")
    assert state.seed is not None
    first = len(state.draw_indices) + 1
    batches = state.planned_manifest().batches
    head = {"type": EventType.AUDIT_SAMPLED, "round": len(state.rounds) + 1, "first_draw": first, "count": count}
    if state.polling:
        ballots = weighted_draws(state.seed, batches.ballots, count, first=first, purpose=BALLOTS)
        return {**head, "ballots": [[batches.tables[d.index], d.position] for d in ballots]}
    draws = weighted_draws(state.seed, batches.bound_numerators, count, first=first, purpose=PPEB)
    return {**head, "tables": [batches.tables[d.index] for d in draws]}


def _count_fields(counts: Mapping[str, int], ballots: int) -> dict[str, Any]:
    return {"counts": {str(k): int(v) for k, v in counts.items()}, "ballots": int(ballots)}


def hand_count_event(table: str, entry: int, counts: Mapping[str, int], ballots: int, entered_by: str = "") -> dict[str, Any]:
    """One of the two independent entries (1 or 2) of a table's hand count."""
    return {
        "type": EventType.AUDIT_HAND_COUNT,
        "table": table,
        "entry": entry,
        **_count_fields(counts, ballots),
        "by": entered_by,
    }


def resolution_event(table: str, counts: Mapping[str, int], ballots: int, resolved_by: str, reason: str) -> dict[str, Any]:
    """Settles a table whose two entries disagree."""
    return {
        "type": EventType.AUDIT_RESOLVED,
        "table": table,
        **_count_fields(counts, ballots),
        "by": resolved_by,
        "reason": reason,
    }


def ballot_event(table: str, position: int, entry: int, vote: str, entered_by: str = "") -> dict[str, Any]:
    """One of the two independent readings (1 or 2) of a sampled ballot."""
    return {
        "type": EventType.AUDIT_BALLOT,
        "table": table,
        "position": int(position),
        "entry": entry,
        "vote": vote,
        "by": entered_by,
    }


def ballot_resolution_event(table: str, position: int, vote: str, resolved_by: str, reason: str) -> dict[str, Any]:
    """Settles a ballot whose two readings disagree."""
    return {
        "type": EventType.AUDIT_BALLOT_RESOLVED,
        "table": table,
        "position": int(position),
        "vote": vote,
        "by": resolved_by,
        "reason": reason,
    }


def measure_event(state: AuditState) -> dict[str, Any]:
    """The risk over every draw so far, and what to do next."""
    unit = "ballot" if state.polling else "table"
    if state.phase != "measurable":
        unsettled = state.unsettled() if state.rounds else []
        what = "a settled reading" if state.polling else "a settled hand count"
        detail = f": {unit}s without {what}: {', '.join(unsettled[:10])}" if unsettled else ""
        raise OutOfPhase(f"the risk is measured once every sampled {unit} is settled (phase {state.phase}){detail}")
    rules = rules_of(state)
    risk = rules.risk(state)
    draws = len(state.draw_indices)
    batches = state.planned_manifest().batches
    in_count = int(batches.ballots.sum()) if state.polling else len(batches.tables)
    next_draws = 0
    if risk <= state.risk_limit:
        decision = Decision.CONFIRMED
    elif len(state.rounds) >= state.max_rounds or (size := rules.next_round(state)).full_hand_count:
        decision = Decision.FULL_HAND_COUNT
    else:
        next_draws = max(size.draws, math.ceil(draws * MIN_GROWTH))
        decision = Decision.FULL_HAND_COUNT if draws + next_draws >= in_count else Decision.NEXT_ROUND
        next_draws = next_draws if decision == Decision.NEXT_ROUND else 0
    measured = {
        "type": EventType.AUDIT_MEASURED,
        "round": len(state.rounds),
        "draws": draws,
        "risk": format_risk(risk),
        "decision": decision.value,
        "next_round_draws": next_draws,
    }
    if state.every_choice:  # a contest audit names each pair's risk (a runoff's record is as it was)
        measured["pair_risks"] = {pair_label(pair): format_risk(r) for pair, r in rules.pair_risks(state).items()}
    return measured


def report_event(state: AuditState) -> dict[str, Any]:
    """The final report, once the audit confirmed the result or ordered a full hand count."""
    if state.phase not in (Decision.CONFIRMED, Decision.FULL_HAND_COUNT):
        raise OutOfPhase(f"the report comes after a confirmed or full_hand_count decision, not in phase {state.phase}")
    last = state.measurements[-1]
    head: dict[str, Any] = {
        "type": EventType.AUDIT_REPORTED,
        "outcome": last.decision.value,
        "method": state.method.value if state.method else "",
        "winner": state.winner,
        "loser": state.loser,
        "risk_limit": fraction_text(state.risk_limit),
        "risk": last.risk,
        "rounds": len(state.rounds),
        "draws": last.draws,
    }
    if state.every_choice:
        head |= {"winners": list(state.winners), "losers": list(state.losers), "pair_risks": dict(last.pair_risks)}
    tail = {"seed": state.seed, "manifest_sha256": state.planned_manifest().sha256}
    if state.polling:
        counts_for = [state.counts_for(v) for v in state.readings()]
        return {
            **head,
            "ballots_examined": len(state.sampled_ballots()),
            "tables_opened": len(state.sampled_tables()),
            "winner_draws": counts_for.count("winner"),
            "loser_draws": counts_for.count("loser"),
            "other_draws": counts_for.count("other"),
            "entry_discrepancies_resolved": len(state.ballot_resolutions),
            **tail,
        }
    comparisons = state.comparisons()
    return {
        **head,
        "tables_counted": len(comparisons),
        "ballots_counted": sum(row["hand_ballots"] for row in comparisons),
        "tables_with_differences": sum(1 for row in comparisons if row["overstatement_votes"] != 0),
        "net_overstatement_votes": sum(row["overstatement_votes"] for row in comparisons),
        "entry_discrepancies_resolved": len(state.resolutions),
        **tail,
    }
