"""The audit record: a pure state machine over plain event payloads, from plan to final report.

A table-level (batch-comparison) audit moves through these steps, each one an event whose
payload is a plain dict of ints, strings, lists and dicts (no floats: risks are decimal strings,
risk limits exact fractions as text):

1. ``audit_planned``: method (MACRO or ALPHA batch comparison), the pair, the risk limit, the
   most rounds before a full hand count, and the manifest (every table in the count with its
   sheet's figures, as columns) with its SHA-256.
2. ``audit_seed_recorded``: the seed read out at the public ceremony (digits only), once.
3. ``audit_sample_drawn``: round r's draws, continuing the PPEB sequence where round r-1 ended;
   the payload lists the table of every draw so a reader can check it without recomputing.
4. ``audit_hand_count_entered``: one of two independent entries (1 and 2) of a sampled table's
   hand count. Two matching entries settle the count; two that differ are a discrepancy that
5. ``audit_hand_count_resolved`` settles, with who resolved it and why.
6. ``audit_risk_measured``: the measured risk over every draw so far and the decision:
   ``confirmed`` (risk at or below the limit), ``next_round`` (with its number of draws), or
   ``full_hand_count`` (no sample size can confirm, the rounds are spent, or the next round
   would draw as many tables as there are).
7. ``audit_report_issued``: the summary, once the audit confirmed or ordered a full hand count.

A ballot-polling audit (BRAVO or ALPHA polling) has the same steps with ballots in place of
tables: the sample is of *ballots*, drawn uniformly with replacement (each table weighted by its
ballots, then a position inside it, see :mod:`escrutinio.audit.sampler`), so its payload lists
``[table, position]`` per draw and retrieval lists say which ballot numbers of which table to
pull; ``audit_ballot_entered`` records one of two independent readings of a sampled ballot (the
winner's id, the loser's id, or blank / null / other) and ``audit_ballot_resolved`` settles two
that differ; the risk is BRAVO's (T at the end of the sample, as Arlo reports it) or ALPHA's
(shrink-trunc, running maximum) over every draw, a ballot drawn twice counting twice.

:func:`replay` folds payloads into an :class:`AuditState`. The events that follow from earlier
ones (the sample, the measured risk and decision, the report) are *recomputed* and must agree
with what the payload says, so anyone holding the payloads redraws the same sample and finds the
same risk; a disagreement raises :class:`AuditRefused`, as does any step out of order. The
``*_event`` functions build the payload of the next step from the current state; the caller
appends it to the log and applies it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np

from escrutinio.audit.alpha import (
    alpha_batch_more_draws,
    alpha_batch_risk,
    alpha_batch_sample_size,
    alpha_polling_log_path,
    alpha_polling_sample_size,
    polling_values,
)
from escrutinio.audit.bravo import PairShares, bravo_log_statistic, bravo_one_round_size
from escrutinio.audit.macro import macro_more_draws, macro_risk, macro_sample_size, taint
from escrutinio.audit.manifest import AuditManifest
from escrutinio.audit.plan import ALPHA_BATCH, ALPHA_POLLING, BATCH_METHODS, BRAVO, MACRO, POLLING_METHODS
from escrutinio.audit.risk import (
    RiskLimitLike,
    as_risk_limit,
    format_risk,
    fraction_text,
    parse_risk,
    risk_from_log_statistic,
)
from escrutinio.audit.sampler import BALLOTS, PPEB, validate_seed, weighted_draws

PLANNED = "audit_planned"
SEED_RECORDED = "audit_seed_recorded"
SAMPLE_DRAWN = "audit_sample_drawn"
HAND_COUNT_ENTERED = "audit_hand_count_entered"
HAND_COUNT_RESOLVED = "audit_hand_count_resolved"
RISK_MEASURED = "audit_risk_measured"
REPORT_ISSUED = "audit_report_issued"
BALLOT_ENTERED = "audit_ballot_entered"
BALLOT_RESOLVED = "audit_ballot_resolved"

METHODS = (*BATCH_METHODS, *POLLING_METHODS)
OTHER_READINGS = ("blank", "null", "other")
"""What a sampled ballot may show besides the pair's ids: all three count as "neither"."""
BRAVO_FIRST_ROUND_PROBABILITY = Fraction(9, 10)
"""BRAVO's first round is sized to finish alone with this chance if the result is right."""

CONFIRMED = "confirmed"
NEXT_ROUND = "next_round"
FULL_HAND_COUNT = "full_hand_count"

DEFAULT_MAX_ROUNDS = 5
MIN_GROWTH = Fraction(1, 10)
"""A next round draws at least this share of the draws so far, so rounds do not crawl."""
RISK_TOLERANCE = 1e-9
"""Relative slack when a replayed risk is checked against the stored decimal string."""


class AuditRefused(ValueError):
    """An event the audit record cannot take; the message names the rule that refused it."""


@dataclass(frozen=True)
class HandCount:
    """A hand count of one table: votes per choice (at least the pair), ballots found, who."""

    counts: Mapping[str, int]
    ballots: int
    by: str = ""

    def same_count(self, other: HandCount) -> bool:
        return dict(self.counts) == dict(other.counts) and self.ballots == other.ballots


@dataclass(frozen=True)
class BallotReading:
    """One reading of a sampled ballot: what it shows (a choice id, blank, null or other), who."""

    vote: str
    by: str = ""

    def same_count(self, other: BallotReading) -> bool:
        """Two readings agree when they say the ballot shows the same thing (whoever read it)."""
        return self.vote == other.vote


@dataclass(frozen=True)
class Round:
    number: int
    first_draw: int
    indices: tuple[int, ...]
    """Manifest index of the table of each draw, in draw order."""
    positions: tuple[int, ...] = ()
    """Ballot polling: the 1-based position of each draw's ballot inside its table."""


@dataclass(frozen=True)
class Measurement:
    round: int
    draws: int
    risk: str
    decision: str
    next_round_draws: int


@dataclass(frozen=True)
class AuditState:
    """Everything the record says so far. Build it with :func:`replay`."""

    method: str = ""
    contest: str = ""
    winner: str = ""
    loser: str = ""
    risk_limit: Fraction = Fraction(0)
    max_rounds: int = DEFAULT_MAX_ROUNDS
    manifest: AuditManifest | None = None
    seed: str | None = None
    ceremony: str = ""
    rounds: tuple[Round, ...] = ()
    sampled: frozenset[str] = frozenset()
    entries: Mapping[str, Mapping[int, HandCount]] = field(default_factory=dict)
    resolutions: Mapping[str, HandCount] = field(default_factory=dict)
    ballot_entries: Mapping[str, Mapping[int, BallotReading]] = field(default_factory=dict)
    ballot_resolutions: Mapping[str, BallotReading] = field(default_factory=dict)
    measurements: tuple[Measurement, ...] = ()
    report: Mapping[str, Any] | None = None

    # -- what the record implies --------------------------------------------------------------

    @property
    def phase(self) -> str:
        """planned, seeded, counting, measurable, next_round, confirmed, full_hand_count, reported."""
        if self.manifest is None:
            return "empty"
        if self.report is not None:
            return "reported"
        if self.seed is None:
            return "planned"
        if not self.rounds:
            return "seeded"
        if not self.round_open:
            return self.measurements[-1].decision
        return "measurable" if not self.unsettled() else "counting"

    @property
    def polling(self) -> bool:
        """A ballot-polling audit (the sample is of ballots, not tables)."""
        return self.method in POLLING_METHODS

    @property
    def round_open(self) -> bool:
        """A round is drawn and its risk not yet measured: hand counts may be entered."""
        return bool(self.rounds) and (not self.measurements or self.measurements[-1].round < len(self.rounds))

    def _manifest(self) -> AuditManifest:
        if self.manifest is None:
            raise AuditRefused("the audit has no plan yet: record audit_planned first")
        return self.manifest

    @property
    def draw_indices(self) -> tuple[int, ...]:
        return tuple(index for r in self.rounds for index in r.indices)

    def sampled_tables(self) -> list[str]:
        """Distinct sampled tables, in order of their first draw."""
        tables = self._manifest().batches.tables
        return list(dict.fromkeys(tables[i] for i in self.draw_indices))

    def hand_count(self, table: str) -> HandCount | None:
        """The settled count of a table: its resolution, or its two matching entries."""
        return _settled(self.resolutions, self.entries, table)

    def table_status(self, table: str) -> str:
        """pending, awaiting_second_entry, discrepancy, agreed or resolved."""
        return _entry_status(self.resolutions, self.entries, table)

    def unsettled_tables(self) -> list[str]:
        return [t for t in self.sampled_tables() if self.hand_count(t) is None]

    def unsettled(self) -> list[str]:
        """Sampled units (tables, or ballots ``table:position``) without a settled reading."""
        return self.unsettled_ballots() if self.polling else self.unsettled_tables()

    # -- ballot polling -------------------------------------------------------------------------

    def draw_ballots(self) -> list[str]:
        """The ballot of every draw so far (``table:position``), in draw order, repeats included."""
        tables = self._manifest().batches.tables
        return [ballot_id(tables[i], p) for r in self.rounds for i, p in zip(r.indices, r.positions, strict=True)]

    def sampled_ballots(self) -> list[str]:
        """Distinct sampled ballots, in order of their first draw."""
        return list(dict.fromkeys(self.draw_ballots()))

    def ballot_vote(self, ballot: str) -> str | None:
        """The settled reading of a ballot: its resolution, or its two matching entries."""
        reading = _settled(self.ballot_resolutions, self.ballot_entries, ballot)
        return reading.vote if reading is not None else None

    def ballot_status(self, ballot: str) -> str:
        """pending, awaiting_second_entry, discrepancy, agreed or resolved."""
        return _entry_status(self.ballot_resolutions, self.ballot_entries, ballot)

    def unsettled_ballots(self) -> list[str]:
        return [b for b in self.sampled_ballots() if self.ballot_vote(b) is None]

    def readings(self) -> list[str]:
        """The settled reading of every draw so far (a ballot drawn twice counts twice), in draw order."""
        result = []
        for ballot in self.draw_ballots():
            vote = self.ballot_vote(ballot)
            if vote is None:
                raise AuditRefused(f"ballot {ballot} has no settled reading yet")
            result.append(vote)
        return result

    def ballot_rows(self) -> list[dict[str, Any]]:
        """Each sampled ballot with what it shows (what a polling audit shows the public)."""
        times: dict[str, int] = {}
        for ballot in self.draw_ballots():
            times[ballot] = times.get(ballot, 0) + 1
        rows = []
        for ballot in times:
            table, position = split_ballot_id(ballot)
            vote = self.ballot_vote(ballot)
            row: dict[str, Any] = {
                "ballot": ballot,
                "table": table,
                "position": position,
                "times_drawn": times[ballot],
                "status": self.ballot_status(ballot),
            }
            if vote is not None:
                row |= {"vote": vote, "counts_for": self.counts_for(vote)}
            rows.append(row)
        return rows

    def counts_for(self, vote: str) -> str:
        """winner, loser or other: what a reading means for the audited pair."""
        return "winner" if vote == self.winner else "loser" if vote == self.loser else "other"

    def reported_pair(self) -> PairShares:
        """The pair's reported totals over the manifest (all ballots cast in it)."""
        batches = self._manifest().batches
        return PairShares(int(batches.winner_votes.sum()), int(batches.loser_votes.sum()), int(batches.ballots.sum()))

    def taints(self) -> list[Fraction]:
        """Taint of every draw so far (a table drawn twice counts twice), in draw order."""
        batches = self._manifest().batches
        result = []
        for index in self.draw_indices:
            count = self.hand_count(batches.tables[index])
            if count is None:
                raise AuditRefused(f"table {batches.tables[index]} has no settled hand count yet")
            result.append(
                taint(
                    int(batches.winner_votes[index]),
                    int(batches.loser_votes[index]),
                    int(batches.ballots[index]),
                    count.counts[self.winner],
                    count.counts[self.loser],
                )
            )
        return result

    def comparisons(self) -> list[dict[str, Any]]:
        """Each sampled table's sheet against its hand count (what the audit shows the public)."""
        batches = self._manifest().batches
        times = _times_drawn(self.draw_indices)
        rows = []
        for table in self.sampled_tables():
            index = batches.index_of(table)
            count = self.hand_count(table)
            row: dict[str, Any] = {
                "table": table,
                "times_drawn": times[index],
                "status": self.table_status(table),
                "sheet_winner": int(batches.winner_votes[index]),
                "sheet_loser": int(batches.loser_votes[index]),
                "sheet_ballots": int(batches.ballots[index]),
            }
            if count is not None:
                sheet_margin = row["sheet_winner"] - row["sheet_loser"]
                hand_margin = count.counts[self.winner] - count.counts[self.loser]
                row |= {
                    "hand_winner": count.counts[self.winner],
                    "hand_loser": count.counts[self.loser],
                    "hand_ballots": count.ballots,
                    "overstatement_votes": sheet_margin - hand_margin,
                    "taint": fraction_text(Fraction(sheet_margin - hand_margin, sheet_margin + row["sheet_ballots"])),
                }
            rows.append(row)
        return rows


_Entered = TypeVar("_Entered", HandCount, BallotReading)


def _settled(resolutions: Mapping[str, _Entered], entries: Mapping[str, Mapping[int, _Entered]], key: str) -> _Entered | None:
    """What stands for a table or ballot: its resolution, or its two entries when they agree."""
    if key in resolutions:
        return resolutions[key]
    found = entries.get(key, {})
    if len(found) == 2 and found[1].same_count(found[2]):
        return found[1]
    return None


def _entry_status(resolutions: Mapping[str, _Entered], entries: Mapping[str, Mapping[int, _Entered]], key: str) -> str:
    """pending, awaiting_second_entry, discrepancy, agreed or resolved."""
    if key in resolutions:
        return "resolved"
    found = entries.get(key, {})
    if len(found) < 2:
        return "awaiting_second_entry" if found else "pending"
    return "agreed" if found[1].same_count(found[2]) else "discrepancy"


def ballot_id(table: str, position: int) -> str:
    """A sampled ballot's name in the record: its table and its 1-based position there."""
    return f"{table}:{position}"


def split_ballot_id(ballot: str) -> tuple[str, int]:
    """``table:position`` back into its parts (the position is after the last colon)."""
    table, sep, position = ballot.rpartition(":")
    if not sep or not position.isdigit():
        raise AuditRefused(f"{ballot!r} is not a sampled ballot (expected TABLE:POSITION)")
    return table, int(position)


def _times_drawn(indices: Iterable[int]) -> dict[int, int]:
    times: dict[int, int] = {}
    for index in indices:
        times[index] = times.get(index, 0) + 1
    return times


# --- building payloads -------------------------------------------------------------------------


def planned_event(
    manifest: AuditManifest,
    winner: str,
    loser: str,
    risk_limit: RiskLimitLike,
    *,
    method: str = MACRO,
    contest: str = "",
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> dict[str, Any]:
    """The first event: what is audited, how, and the manifest the sample is drawn from."""
    if method not in METHODS:
        raise AuditRefused(
            f"the audit record runs batch comparison ({', '.join(BATCH_METHODS)}) or ballot polling "
            f"({', '.join(POLLING_METHODS)}), not {method!r}"
        )
    if max_rounds < 1:
        raise AuditRefused("an audit needs at least one round before a full hand count")
    return {
        "type": PLANNED,
        "method": method,
        "contest": contest,
        "winner": winner,
        "loser": loser,
        "risk_limit": fraction_text(as_risk_limit(risk_limit)),
        "max_rounds": max_rounds,
        "manifest": manifest.to_columns(),
        "manifest_sha256": manifest.sha256,
    }


def seed_event(seed: str, ceremony: str = "") -> dict[str, Any]:
    """The public seed (digits only) and a note on the ceremony that produced it."""
    try:
        validate_seed(seed)
    except (TypeError, ValueError) as error:
        raise AuditRefused(str(error)) from None
    return {"type": SEED_RECORDED, "seed": seed, "ceremony": ceremony}


def first_round_draws(state: AuditState) -> int:
    """Round 1's size: the method's sample size when no error is found (batch comparison), or
    when the sample looks as reported (polling: BRAVO's size that finishes in one round with
    chance 0.9; ALPHA's expected-path size, or every ballot when that never gets there)."""
    if state.polling:
        pair = state.reported_pair()
        if state.method == BRAVO:
            return bravo_one_round_size(
                pair.winner_votes, pair.loser_votes, pair.ballots, state.risk_limit, BRAVO_FIRST_ROUND_PROBABILITY
            )
        size = alpha_polling_sample_size(pair.winner_votes, pair.loser_votes, pair.ballots, state.risk_limit)
        return size if size is not None else pair.ballots
    bound = state._manifest().batches.total_error_bound
    if state.method == ALPHA_BATCH:
        return alpha_batch_sample_size(bound, state.risk_limit)
    return macro_sample_size(bound, state.risk_limit)


def sample_event(state: AuditState) -> dict[str, Any]:
    """The next round's draws (round 1 after the seed; round r+1 after a next_round decision)."""
    if state.phase == "seeded":
        count = first_round_draws(state)
    elif state.phase == NEXT_ROUND:
        count = state.measurements[-1].next_round_draws
    else:
        raise AuditRefused(f"a sample is drawn after the seed or after a next_round decision, not in phase {state.phase}")
    assert state.seed is not None
    first = len(state.draw_indices) + 1
    if state.polling:
        batches = state._manifest().batches
        ballots = weighted_draws(state.seed, batches.ballots, count, first=first, purpose=BALLOTS)
        return {
            "type": SAMPLE_DRAWN,
            "round": len(state.rounds) + 1,
            "first_draw": first,
            "count": count,
            "ballots": [[batches.tables[d.index], d.position] for d in ballots],
        }
    draws = weighted_draws(state.seed, state._manifest().batches.bound_numerators, count, first=first, purpose=PPEB)
    tables = state._manifest().batches.tables
    return {
        "type": SAMPLE_DRAWN,
        "round": len(state.rounds) + 1,
        "first_draw": first,
        "count": count,
        "tables": [tables[d.index] for d in draws],
    }


def _count_fields(counts: Mapping[str, int], ballots: int) -> dict[str, Any]:
    return {"counts": {str(k): int(v) for k, v in counts.items()}, "ballots": int(ballots)}


def hand_count_event(table: str, entry: int, counts: Mapping[str, int], ballots: int, entered_by: str = "") -> dict[str, Any]:
    """One of the two independent entries (1 or 2) of a table's hand count."""
    return {"type": HAND_COUNT_ENTERED, "table": table, "entry": entry, **_count_fields(counts, ballots), "by": entered_by}


def resolution_event(table: str, counts: Mapping[str, int], ballots: int, resolved_by: str, reason: str) -> dict[str, Any]:
    """Settles a table whose two entries disagree."""
    return {
        "type": HAND_COUNT_RESOLVED,
        "table": table,
        **_count_fields(counts, ballots),
        "by": resolved_by,
        "reason": reason,
    }


def ballot_event(table: str, position: int, entry: int, vote: str, entered_by: str = "") -> dict[str, Any]:
    """One of the two independent readings (1 or 2) of a sampled ballot."""
    return {
        "type": BALLOT_ENTERED,
        "table": table,
        "position": int(position),
        "entry": entry,
        "vote": vote,
        "by": entered_by,
    }


def ballot_resolution_event(table: str, position: int, vote: str, resolved_by: str, reason: str) -> dict[str, Any]:
    """Settles a ballot whose two readings disagree."""
    return {
        "type": BALLOT_RESOLVED,
        "table": table,
        "position": int(position),
        "vote": vote,
        "by": resolved_by,
        "reason": reason,
    }


def _more_from_log(log_statistic: float, draws: int, threshold: float) -> int | None:
    """Further draws to reach ``threshold`` if each adds the mean gain of the draws so far to ln T.

    ``None`` when the draws so far gained nothing on average: no sample size can be expected to
    confirm, so the audit goes to a full hand count.
    """
    if log_statistic >= threshold:
        return 0
    drift = log_statistic / draws if draws else 0.0
    if not drift > 0:
        return None
    return max(1, math.ceil((threshold - log_statistic) / drift))


def _polling_risk_and_more(state: AuditState) -> tuple[float, int | None]:
    """BRAVO (T at the end of the sample) or ALPHA shrink-trunc (running maximum), and more draws."""
    pair = state.reported_pair()
    counts_for = [state.counts_for(v) for v in state.readings()]
    threshold = math.log(1 / state.risk_limit)
    if state.method == ALPHA_POLLING:
        path = alpha_polling_log_path(pair, polling_values(counts_for, "winner", "loser"))
        best = float(np.max(path)) if len(path) else 0.0
        risk = risk_from_log_statistic(best)
        more = 0 if best >= threshold else _more_from_log(float(path[-1]), len(path), threshold)
        return risk, more
    log_t = bravo_log_statistic(pair.winner_votes, pair.loser_votes, counts_for.count("winner"), counts_for.count("loser"))
    return risk_from_log_statistic(log_t), _more_from_log(log_t, len(counts_for), threshold)


def _risk_and_more(state: AuditState, taints: list[Fraction]) -> tuple[float, int | None]:
    bound = state._manifest().batches.total_error_bound
    if state.method == ALPHA_BATCH:
        return alpha_batch_risk(bound, taints), alpha_batch_more_draws(bound, state.risk_limit, taints)
    return macro_risk(bound, taints), macro_more_draws(bound, state.risk_limit, taints)


def measure_event(state: AuditState) -> dict[str, Any]:
    """The risk over every draw so far, and what to do next."""
    unit = "ballot" if state.polling else "table"
    if state.phase != "measurable":
        unsettled = state.unsettled() if state.rounds else []
        what = "a settled reading" if state.polling else "a settled hand count"
        detail = f": {unit}s without {what}: {', '.join(unsettled[:10])}" if unsettled else ""
        raise AuditRefused(f"the risk is measured once every sampled {unit} is settled (phase {state.phase}){detail}")
    if state.polling:
        risk, more = _polling_risk_and_more(state)
        draws = len(state.draw_indices)
        in_count = int(state._manifest().batches.ballots.sum())
    else:
        taints = state.taints()
        risk, more = _risk_and_more(state, taints)
        draws = len(taints)
        in_count = len(state._manifest().batches.tables)
    next_draws = 0
    if risk <= state.risk_limit:
        decision = CONFIRMED
    elif more is None or len(state.rounds) >= state.max_rounds:
        decision = FULL_HAND_COUNT
    else:
        next_draws = max(more, math.ceil(draws * MIN_GROWTH))
        decision = FULL_HAND_COUNT if draws + next_draws >= in_count else NEXT_ROUND
        next_draws = next_draws if decision == NEXT_ROUND else 0
    return {
        "type": RISK_MEASURED,
        "round": len(state.rounds),
        "draws": draws,
        "risk": format_risk(risk),
        "decision": decision,
        "next_round_draws": next_draws,
    }


def report_event(state: AuditState) -> dict[str, Any]:
    """The final report, once the audit confirmed the result or ordered a full hand count."""
    if state.phase not in (CONFIRMED, FULL_HAND_COUNT):
        raise AuditRefused(f"the report comes after a confirmed or full_hand_count decision, not in phase {state.phase}")
    last = state.measurements[-1]
    head = {
        "type": REPORT_ISSUED,
        "outcome": last.decision,
        "method": state.method,
        "winner": state.winner,
        "loser": state.loser,
        "risk_limit": fraction_text(state.risk_limit),
        "risk": last.risk,
        "rounds": len(state.rounds),
        "draws": last.draws,
    }
    tail = {"seed": state.seed, "manifest_sha256": state._manifest().sha256}
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


# --- applying payloads -------------------------------------------------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AuditRefused(message)


def _hand_count(payload: Mapping[str, Any], state: AuditState) -> HandCount:
    counts = payload.get("counts")
    ballots = payload.get("ballots")
    _require(isinstance(counts, Mapping), "counts must map each choice to its votes")
    assert isinstance(counts, Mapping)
    _require(
        all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()),
        "hand-counted votes are whole numbers, zero or more",
    )
    _require(isinstance(ballots, int) and not isinstance(ballots, bool) and ballots >= 0, "ballots is a whole number")
    _require(state.winner in counts and state.loser in counts, f"counts must include {state.winner!r} and {state.loser!r}")
    _require(sum(counts.values()) <= ballots, f"the votes ({sum(counts.values())}) exceed the ballots found ({ballots})")
    return HandCount(dict(counts), ballots, str(payload.get("by", "")))


def _apply_planned(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    _require(state.manifest is None, "the audit is already planned")
    manifest = AuditManifest.from_columns(payload["manifest"])
    _require(manifest.sha256 == payload["manifest_sha256"], "the manifest does not match its SHA-256")
    _require(payload["method"] in METHODS, f"unknown method {payload['method']!r}")
    return replace(
        state,
        method=payload["method"],
        contest=payload.get("contest", ""),
        winner=payload["winner"],
        loser=payload["loser"],
        risk_limit=as_risk_limit(payload["risk_limit"]),
        max_rounds=int(payload["max_rounds"]),
        manifest=manifest,
    )


def _apply_seed(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    _require(state.phase == "planned", f"the seed is recorded once, right after the plan (phase {state.phase})")
    seed_event(payload["seed"])
    return replace(state, seed=payload["seed"], ceremony=payload.get("ceremony", ""))


def _apply_sample(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    expected = sample_event(state)
    _require(
        dict(payload) == expected,
        f"round {payload.get('round')}'s sample is not the one the seed gives (expected {expected['count']} draws "
        f"from draw {expected['first_draw']})",
    )
    batches = state._manifest().batches
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
    _require(table in state.sampled, f"table {table} is not in the sample")
    _require(entry in (1, 2), "a hand count has two independent entries, numbered 1 and 2")
    _require(table not in state.resolutions, f"table {table} is already resolved")
    return replace(state, entries=_double_entry(state.entries, f"table {table}", table, entry, _hand_count(payload, state)))


def _double_entry(
    entries: Mapping[str, Mapping[int, _Entered]], name: str, key: str, entry: int, value: _Entered
) -> dict[str, Mapping[int, _Entered]]:
    """The one rule of double entry, for a table's count and a ballot's reading alike: each of the
    two entries is recorded once, and the two come from two different people."""
    existing = entries.get(key, {})
    _require(entry not in existing, f"entry {entry} of {name} is already recorded (resolve a mistake instead)")
    other = existing.get(3 - entry)
    _require(
        other is None or not value.by or value.by != other.by,
        f"the two entries of {name} must come from different people ({value.by!r} entered both)",
    )
    return {**entries, key: {**existing, entry: value}}


def _apply_resolution(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    table = payload["table"]
    _require(not state.polling, "a ballot-polling audit resolves ballot readings, not table counts")
    _require(state.round_open, "hand counts are resolved while a round is open (drawn, not yet measured)")
    _require(state.table_status(table) == "discrepancy", f"table {table} has no discrepancy between its two entries")
    _require(bool(payload.get("by")) and bool(payload.get("reason")), "a resolution names who resolved it and why")
    resolutions = dict(state.resolutions)
    resolutions[table] = _hand_count(payload, state)
    return replace(state, resolutions=resolutions)


def _reading(payload: Mapping[str, Any], state: AuditState) -> BallotReading:
    vote = payload.get("vote")
    allowed = (state.winner, state.loser, *OTHER_READINGS)
    _require(isinstance(vote, str) and vote in allowed, f"a ballot shows one of {', '.join(allowed)}; got {vote!r}")
    assert isinstance(vote, str)
    return BallotReading(vote, str(payload.get("by", "")))


def _sampled_ballot(state: AuditState, payload: Mapping[str, Any]) -> str:
    _require(state.polling, "a batch-comparison audit records table hand counts, not ballot readings")
    position = payload["position"]
    _require(isinstance(position, int) and not isinstance(position, bool), "a ballot's position is a whole number")
    ballot = ballot_id(str(payload["table"]), position)
    _require(ballot in state.sampled, f"ballot {position} of table {payload['table']} is not in the sample")
    return ballot


def _apply_ballot_entry(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    entry = payload["entry"]
    ballot = _sampled_ballot(state, payload)
    _require(state.round_open, "ballot readings are entered while a round is open (drawn, not yet measured)")
    _require(entry in (1, 2), "a ballot has two independent readings, numbered 1 and 2")
    _require(ballot not in state.ballot_resolutions, f"ballot {ballot} is already resolved")
    reading = _reading(payload, state)
    return replace(state, ballot_entries=_double_entry(state.ballot_entries, f"ballot {ballot}", ballot, entry, reading))


def _apply_ballot_resolution(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    ballot = _sampled_ballot(state, payload)
    _require(state.round_open, "ballot readings are resolved while a round is open (drawn, not yet measured)")
    _require(state.ballot_status(ballot) == "discrepancy", f"ballot {ballot} has no discrepancy between its two readings")
    _require(bool(payload.get("by")) and bool(payload.get("reason")), "a resolution names who resolved it and why")
    resolutions = dict(state.ballot_resolutions)
    resolutions[ballot] = _reading(payload, state)
    return replace(state, ballot_resolutions=resolutions)


def _apply_measure(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    expected = measure_event(state)
    recomputed, stored = parse_risk(expected["risk"]), parse_risk(payload["risk"])
    same_risk = abs(recomputed - stored) <= RISK_TOLERANCE * max(recomputed, stored)
    other = {k: v for k, v in payload.items() if k != "risk"}
    _require(
        same_risk and other == {k: v for k, v in expected.items() if k != "risk"},
        f"the measured risk or decision differs from the recomputed one ({expected['risk']}, {expected['decision']})",
    )
    measurement = Measurement(
        payload["round"], payload["draws"], payload["risk"], payload["decision"], payload["next_round_draws"]
    )
    return replace(state, measurements=(*state.measurements, measurement))


def _apply_report(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    expected = report_event(state)
    _require(dict(payload) == expected, "the report differs from the one the record gives")
    return replace(state, report=dict(payload))


_APPLY = {
    PLANNED: _apply_planned,
    SEED_RECORDED: _apply_seed,
    SAMPLE_DRAWN: _apply_sample,
    HAND_COUNT_ENTERED: _apply_entry,
    HAND_COUNT_RESOLVED: _apply_resolution,
    RISK_MEASURED: _apply_measure,
    REPORT_ISSUED: _apply_report,
    BALLOT_ENTERED: _apply_ballot_entry,
    BALLOT_RESOLVED: _apply_ballot_resolution,
}


def apply(state: AuditState, payload: Mapping[str, Any]) -> AuditState:
    """The state after one more event, or :class:`AuditRefused` naming the rule it breaks."""
    kind = payload.get("type")
    if kind not in _APPLY:
        raise AuditRefused(f"unknown audit event type {kind!r}")
    if kind != PLANNED and state.manifest is None:
        raise AuditRefused("the audit has no plan yet: record audit_planned first")
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


def retrieval_lists(state: AuditState, round_number: int | None = None) -> list[dict[str, Any]]:
    """Tables to fetch for a round (default: the last), grouped by counting centre.

    Tables already hand counted in an earlier round are not fetched again. In a ballot-polling
    audit each table lists the ballot numbers (positions) to pull from it, ballots read in an
    earlier round left out. Groups are keyed by
    district and polling place (the place may be empty when the source does not give one) and
    sorted, and so are the tables inside them.
    """
    manifest = state._manifest()
    if not state.rounds:
        return []
    number = round_number if round_number is not None else len(state.rounds)
    _require(1 <= number <= len(state.rounds), f"there is no round {number}")
    if state.polling:
        return _ballot_retrieval_lists(state, manifest, number)
    earlier = {i for r in state.rounds[: number - 1] for i in r.indices}
    times = _times_drawn(state.rounds[number - 1].indices)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for index, drawn in times.items():
        if index in earlier:
            continue
        key = (manifest.districts[index], manifest.polling_places[index] or "")
        groups.setdefault(key, []).append(
            {"table": manifest.batches.tables[index], "times_drawn": drawn, "ballots": int(manifest.batches.ballots[index])}
        )
    return [
        {
            "district": district,
            "polling_place": place,
            "tables": sorted(rows, key=lambda row: row["table"]),
            "ballots": sum(row["ballots"] for row in rows),
        }
        for (district, place), rows in sorted(groups.items())
    ]


def _ballot_retrieval_lists(state: AuditState, manifest: AuditManifest, number: int) -> list[dict[str, Any]]:
    """Polling retrieval lists: per centre, per table, the positions of the ballots to pull."""
    earlier = {(i, p) for r in state.rounds[: number - 1] for i, p in zip(r.indices, r.positions, strict=True)}
    drawn = state.rounds[number - 1]
    times: dict[tuple[int, int], int] = {}
    for key in zip(drawn.indices, drawn.positions, strict=True):
        if key not in earlier:
            times[key] = times.get(key, 0) + 1
    per_table: dict[int, dict[int, int]] = {}
    for (index, position), count in times.items():
        per_table.setdefault(index, {})[position] = count
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for index, positions in per_table.items():
        key = (manifest.districts[index], manifest.polling_places[index] or "")
        groups.setdefault(key, []).append(
            {
                "table": manifest.batches.tables[index],
                "times_drawn": sum(positions.values()),
                "positions": sorted(positions),
                "table_ballots": int(manifest.batches.ballots[index]),
            }
        )
    return [
        {
            "district": district,
            "polling_place": place,
            "tables": sorted(rows, key=lambda row: row["table"]),
            "ballots": sum(len(row["positions"]) for row in rows),
        }
        for (district, place), rows in sorted(groups.items())
    ]
