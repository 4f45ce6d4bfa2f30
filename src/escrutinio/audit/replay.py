"""Folding the audit record: each event checked against the state so far, then applied.

:func:`apply` is the one gate every audit event passes, whether it is about to be written or is
read back from a log: a step out of order, a second entry by the same person, a sample that is
not the one the seed gives, a risk that is not the one the hand counts give, all raise
:class:`~escrutinio.audit.state.AuditRefused` naming the rule. So anyone holding the payloads
(:func:`replay`) redraws the same sample and finds the same risk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from escrutinio.audit.kinds import OTHER_READINGS, AuditMethod, Decision, RoundSizing
from escrutinio.audit.manifest import AuditManifest
from escrutinio.audit.payloads import check_ceremony_seed, measure_event, report_event, sample_event
from escrutinio.audit.risk import as_risk_limit, parse_risk
from escrutinio.audit.state import (
    NO_PLAN,
    AuditRefused,
    AuditState,
    BallotReading,
    DuplicateEntry,
    Entered,
    HandCount,
    Measurement,
    OutOfPhase,
    Round,
    ballot_id,
)
from escrutinio.ledger import entry_seal
from escrutinio.ledger.events import EventType
from escrutinio.ledger.keys import SIGNATURE

METHODS = tuple(AuditMethod)
RISK_TOLERANCE = 1e-9
"""Relative slack when a replayed risk is checked against the stored decimal string."""


def _require(condition: bool, message: str, field: str | None = None) -> None:
    if not condition:
        raise AuditRefused(message, field)


def _hand_count(payload: Mapping[str, Any], state: AuditState) -> HandCount:
    counts = payload.get("counts")
    ballots = payload.get("ballots")
    _require(isinstance(counts, Mapping), "counts must map each choice to its votes")
    assert isinstance(counts, Mapping)
    _require(
        all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()),
        "hand-counted votes are whole numbers, zero or more",
        "counts",
    )
    _require(isinstance(ballots, int) and not isinstance(ballots, bool) and ballots >= 0, "ballots is a whole number", "ballots")
    missing = [choice for choice in state.choices if choice not in counts]
    _require(not missing, f"counts must include {_listed(state.choices)}", missing[0] if missing else None)
    _require(
        sum(counts.values()) <= ballots,
        f"the votes ({sum(counts.values())}) exceed the ballots found ({ballots})",
        "ballots",
    )
    return HandCount(dict(counts), ballots, str(payload.get("by", "")))


def _listed(choices: tuple[str, ...]) -> str:
    """'PL' and 'FP' (a pair), or every choice of a contest: 'PL', 'FP', 'RP', ..."""
    quoted = [repr(c) for c in choices]
    return " and ".join(quoted) if len(quoted) == 2 else ", ".join(quoted)


def _apply_planned(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    _require(state.manifest is None, "the audit is already planned")
    manifest = AuditManifest.from_columns(payload["manifest"])
    _require(manifest.sha256 == payload["manifest_sha256"], "the manifest does not match its SHA-256")
    _require(payload["method"] in METHODS, f"unknown method {payload['method']!r}")
    try:
        batches = manifest.contest_batches(payload["winner"], payload["loser"])
    except ValueError as error:
        raise AuditRefused(f"the manifest cannot be audited: {error}") from None
    contest = batches.contest
    _require(
        payload["winner"] in contest.winners and payload["loser"] in contest.losers,
        f"the audited pair {payload['winner']}>{payload['loser']} is not a reported winner over a reported loser",
    )
    return replace(
        state,
        method=AuditMethod(payload["method"]),
        contest=payload.get("contest", ""),
        winner=payload["winner"],
        loser=payload["loser"],
        risk_limit=as_risk_limit(payload["risk_limit"]),
        max_rounds=int(payload["max_rounds"]),
        round_sizing=RoundSizing(payload.get("round_sizing", RoundSizing.MEAN_GAIN)),
        manifest=manifest,
        batches=batches,
    )


def _apply_seed(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    if state.phase != "planned":
        raise OutOfPhase(f"the seed is recorded once, right after the plan (phase {state.phase})")
    check_ceremony_seed(payload["seed"])
    return replace(state, seed=payload["seed"], ceremony=payload.get("ceremony", ""))


def _apply_sample(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    expected = sample_event(state)
    _require(
        dict(payload) == expected,
        f"round {payload.get('round')}'s sample is not the one the seed gives (expected {expected['count']} draws "
        f"from draw {expected['first_draw']})",
    )
    batches = state.planned_manifest().batches
    if state.polling:
        drawn = [(batches.index_of(t), int(p)) for t, p in payload["ballots"]]
        indices, positions = tuple(i for i, _ in drawn), tuple(p for _, p in drawn)
        ballots = {ballot_id(t, int(p)) for t, p in payload["ballots"]}
        number = payload["round"]
        return replace(
            state,
            rounds=(*state.rounds, Round(number, payload["first_draw"], indices, positions)),
            sampled=state.sampled | ballots,
        )
    indices = tuple(batches.index_of(t) for t in payload["tables"])
    return replace(
        state,
        rounds=(*state.rounds, Round(payload["round"], payload["first_draw"], indices)),
        sampled=state.sampled | set(payload["tables"]),
    )


def _apply_entry(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    table, entry = payload["table"], payload["entry"]
    _require(not state.polling, "a ballot-polling audit records each sampled ballot's reading, not table counts")
    _require(state.round_open, "hand counts are entered while a round is open (drawn, not yet measured)")
    _require(table in state.sampled, f"table {table} is not in the sample", "table")
    _require(entry in (1, 2), "a hand count has two independent entries, numbered 1 and 2", "entry")
    _require(table not in state.resolutions, f"table {table} is already resolved", "table")
    read = partial(_hand_count, state=state)
    return replace(state, entries=_entered(state.entries, f"table {table}", table, payload, HandCount, read))


def _entered(
    entries: Mapping[str, Mapping[int, Entered]],
    name: str,
    key: str,
    payload: Mapping[str, Any],
    kind: type[Entered],
    read: Callable[[Mapping[str, Any]], Entered],
) -> dict[str, Mapping[int, Entered]]:
    """The entries after one more of ``key`` (a table's count, a ballot's reading), sealed or not.

    Why: the record is public while the other entry is awaited, so the entry recorded first
    carries a commitment to its figures (``ledger.entry_seal``), not the figures; the entry
    recorded after it reveals them and names the fields the two disagree on (``differs``), and
    here the reveal must open the commitment and ``differs`` be what the figures give. A log
    written before the seal (entries carrying their figures) folds as it did."""
    entry = payload["entry"]
    existing = entries.get(key, {})
    if entry in existing:
        raise DuplicateEntry(f"entry {entry} of {name} is already recorded (resolve a mistake instead)", "entry")
    other = existing.get(3 - entry)
    if "commitment" in payload:
        _require(other is None, f"{name}: the entry recorded second reveals the first, it seals nothing", "commitment")
        value = kind.sealed_as(str(payload.get("by", "")), str(payload["commitment"]))
        return _double_entry(entries, name, key, entry, value)
    value = read(payload)
    if other is None or other.commitment is None:
        revealing = entry_seal.FIRST_FIGURES in payload or entry_seal.FIRST_SALT in payload
        _require(not revealing, f"{name}: the entry reveals no sealed entry", entry_seal.FIRST_FIGURES)
        return _double_entry(entries, name, key, entry, value)
    problem = entry_seal.opening_problem(other.commitment, dict(payload), f"entry {3 - entry} of {name}")
    _require(problem is None, f"{name}: {problem}", entry_seal.FIRST_FIGURES)
    figures = payload[entry_seal.FIRST_FIGURES]
    _require(isinstance(figures, Mapping), f"{name}: first_sheet holds the first entry's figures", entry_seal.FIRST_FIGURES)
    opened = read({**figures, "by": other.by})
    differs = opened.differing(value)
    _require(
        payload.get("differs") == differs, f"{name}: differs must name the fields the entries disagree on: {differs}", "differs"
    )
    return _double_entry({**entries, key: {**existing, 3 - entry: opened}}, name, key, entry, value)


def _double_entry(
    entries: Mapping[str, Mapping[int, Entered]], name: str, key: str, entry: int, value: Entered
) -> dict[str, Mapping[int, Entered]]:
    """The one rule of double entry, for a table's count and a ballot's reading alike: the two
    come from two different people (:func:`_entered` has refused an entry recorded twice)."""
    existing = entries.get(key, {})
    other = existing.get(3 - entry)
    _require(
        other is None or not value.by or value.by != other.by,
        f"the two entries of {name} must come from different people ({value.by!r} entered both)",
        "by",
    )
    return {**entries, key: {**existing, entry: value}}


def _apply_resolution(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    table = payload["table"]
    _require(not state.polling, "a ballot-polling audit resolves ballot readings, not table counts")
    _require(state.round_open, "hand counts are resolved while a round is open (drawn, not yet measured)")
    _require(state.table_status(table) == "discrepancy", f"table {table} has no discrepancy between its two entries")
    _require_reason(payload)
    return replace(state, resolutions={**state.resolutions, table: _hand_count(payload, state)})


def _require_reason(payload: Mapping[str, Any]) -> None:
    _require(bool(payload.get("by")) and bool(payload.get("reason")), "a resolution names who resolved it and why")


def _reading(payload: Mapping[str, Any], state: AuditState) -> BallotReading:
    vote = payload.get("vote")
    allowed = (*state.choices, *OTHER_READINGS)
    _require(isinstance(vote, str) and vote in allowed, f"a ballot shows one of {', '.join(allowed)}; got {vote!r}", "vote")
    assert isinstance(vote, str)
    return BallotReading(vote, str(payload.get("by", "")))


def _sampled_ballot(state: AuditState, payload: Mapping[str, Any]) -> str:
    _require(state.polling, "a batch-comparison audit records table hand counts, not ballot readings")
    position = payload["position"]
    _require(isinstance(position, int) and not isinstance(position, bool), "a ballot's position is a whole number", "position")
    ballot = ballot_id(str(payload["table"]), position)
    _require(ballot in state.sampled, f"ballot {position} of table {payload['table']} is not in the sample", "position")
    return ballot


def _apply_ballot_entry(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    entry = payload["entry"]
    ballot = _sampled_ballot(state, payload)
    _require(state.round_open, "ballot readings are entered while a round is open (drawn, not yet measured)")
    _require(entry in (1, 2), "a ballot has two independent readings, numbered 1 and 2", "entry")
    _require(ballot not in state.ballot_resolutions, f"ballot {ballot} is already resolved", "position")
    read = partial(_reading, state=state)
    entries = _entered(state.ballot_entries, f"ballot {ballot}", ballot, payload, BallotReading, read)
    return replace(state, ballot_entries=entries)


def _apply_ballot_resolution(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    ballot = _sampled_ballot(state, payload)
    _require(state.round_open, "ballot readings are resolved while a round is open (drawn, not yet measured)")
    _require(state.ballot_status(ballot) == "discrepancy", f"ballot {ballot} has no discrepancy between its two readings")
    _require_reason(payload)
    return replace(state, ballot_resolutions={**state.ballot_resolutions, ballot: _reading(payload, state)})


def _same_risk(recomputed: str, stored: str) -> bool:
    a, b = parse_risk(recomputed), parse_risk(stored)
    return abs(a - b) <= RISK_TOLERANCE * max(a, b)


def _apply_measure(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    expected = measure_event(state)
    pair_risks = payload.get("pair_risks", {})
    same_risks = _same_risk(expected["risk"], payload["risk"]) and (
        isinstance(pair_risks, Mapping)
        and pair_risks.keys() == expected.get("pair_risks", {}).keys()
        and all(_same_risk(expected["pair_risks"][pair], str(risk)) for pair, risk in pair_risks.items())
    )
    other = {k: v for k, v in payload.items() if k not in ("risk", "pair_risks")}
    _require(
        same_risks and other == {k: v for k, v in expected.items() if k not in ("risk", "pair_risks")},
        f"the measured risk or decision differs from the recomputed one ({expected['risk']}, {expected['decision']})",
    )
    measurement = Measurement(
        payload["round"],
        payload["draws"],
        payload["risk"],
        Decision(payload["decision"]),
        payload["next_round_draws"],
        dict(pair_risks),
    )
    return replace(state, measurements=(*state.measurements, measurement))


def _apply_report(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    expected = report_event(state)
    _require(dict(payload) == expected, "the report differs from the one the record gives")
    return replace(state, report=dict(payload))


_APPLY = {
    EventType.AUDIT_PLANNED: _apply_planned,
    EventType.AUDIT_SEEDED: _apply_seed,
    EventType.AUDIT_SAMPLED: _apply_sample,
    EventType.AUDIT_HAND_COUNT: _apply_entry,
    EventType.AUDIT_RESOLVED: _apply_resolution,
    EventType.AUDIT_MEASURED: _apply_measure,
    EventType.AUDIT_REPORTED: _apply_report,
    EventType.AUDIT_BALLOT: _apply_ballot_entry,
    EventType.AUDIT_BALLOT_RESOLVED: _apply_ballot_resolution,
}
"""Event type -> what it does to the state (every type in ``EventType.AUDIT_EVENTS``)."""


def apply(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    """The state after one more event, or :class:`AuditRefused` naming the rule it breaks."""
    kind = payload.get("type")
    if kind not in _APPLY:
        raise AuditRefused(f"unknown audit event type {kind!r}")
    if kind != EventType.AUDIT_PLANNED and state.manifest is None:
        raise AuditRefused(NO_PLAN)
    if SIGNATURE in payload:  # who signed the act (checked by the record's replay), not part of it
        payload = {k: v for k, v in payload.items() if k != SIGNATURE}
    try:
        return _APPLY[kind](state, payload)
    except KeyError as error:
        raise AuditRefused(f"{kind} payload lacks field {error}") from None


def replay(payloads: Iterable[Mapping[str, Any]]) -> AuditState:
    """Fold the record's payloads, checking every recomputable step."""
    state = AuditState()
    for payload in payloads:
        state = apply(state, payload)
    return state
