"""Simulated batch-comparison audits over a real election, run through the audit record itself.

A simulation fixes what a hand count of each table would find (the *truth*), then plays the
audit as the officials would: plan, seed, draw round 1, enter every sampled table's count twice,
measure, and continue with more rounds or a full hand count as the record decides. The record's
payloads are kept, so a simulation is also an end-to-end check of :mod:`escrutinio.audit.workflow`
(every payload is replayed). Everything is deterministic given the seed.

Scenarios on the reported sheets:

- ``sheets_right``: every hand count equals its sheet. The audit should confirm in round 1.
- ``winner_overstated``: in a share of the tables (2 % by default, chosen by SHA-256 of the seed
  and the table id among tables where the winner has votes), the sheet gave the winner one vote
  that was really a null ballot. The result stands, but the taints cost evidence: the audit
  should need more rounds, and escalate all the way to a full hand count if it cannot confirm.
- ``outcome_wrong``: the sheets moved votes from the loser to the winner in enough tables that
  the loser really won. A risk-limiting audit must then end in a full hand count (which finds
  the true winner) with probability at least 1 - risk limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from escrutinio.audit.manifest import AuditManifest, manifest_from_frame
from escrutinio.audit.plan import MACRO
from escrutinio.audit.risk import RiskLimitLike
from escrutinio.audit.workflow import (
    CONFIRMED,
    DEFAULT_MAX_ROUNDS,
    FULL_HAND_COUNT,
    apply,
    hand_count_event,
    measure_event,
    planned_event,
    replay,
    report_event,
    sample_event,
    seed_event,
)
from escrutinio.domain import table_frame as tf

SHEETS_RIGHT = "sheets_right"
WINNER_OVERSTATED = "winner_overstated"
OUTCOME_WRONG = "outcome_wrong"
OTHER = "other"
"""Key of the ballots for neither choice of the pair in a simulated hand count."""


@dataclass(frozen=True)
class Truth:
    """What a hand count of each manifest table finds for the pair (ballots are the sheet's)."""

    winner_votes: np.ndarray
    loser_votes: np.ndarray

    @property
    def margin(self) -> int:
        return int(self.winner_votes.sum() - self.loser_votes.sum())


@dataclass(frozen=True)
class SimulatedAudit:
    """How a simulated audit went: each round's measurement, the outcome and the workload."""

    scenario: str
    method: str
    outcome: str
    rounds: tuple[dict[str, Any], ...]
    tables_counted: int
    ballots_counted: int
    true_margin: int
    payloads: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """Summary without the payloads (JSON: ints and strings)."""
        return {
            "scenario": self.scenario,
            "method": self.method,
            "outcome": self.outcome,
            "rounds": [dict(r) for r in self.rounds],
            "tables_counted": self.tables_counted,
            "ballots_counted": self.ballots_counted,
            "true_margin": self.true_margin,
        }


def _ranked(manifest: AuditManifest, seed: str, label: str, eligible: np.ndarray) -> np.ndarray:
    """Eligible manifest indices ordered by SHA-256(seed, label, table): a seeded shuffle."""
    tables = manifest.batches.tables
    keys = [(hashlib.sha256(f"{seed},{label},{tables[i]}".encode()).digest(), i) for i in np.flatnonzero(eligible)]
    return np.array([i for _, i in sorted(keys)], dtype=np.int64)


def sheets_right(manifest: AuditManifest) -> Truth:
    """Hand counts equal the sheets."""
    return Truth(manifest.batches.winner_votes.copy(), manifest.batches.loser_votes.copy())


def winner_overstated(manifest: AuditManifest, seed: str, share: Fraction = Fraction(2, 100), votes: int = 1) -> Truth:
    """In ``share`` of the tables the sheet gave the winner ``votes`` ballots that were null."""
    batches = manifest.batches
    chosen = _ranked(manifest, seed, WINNER_OVERSTATED, batches.winner_votes >= votes)
    chosen = chosen[: round(share * len(batches.tables))]
    winner = batches.winner_votes.copy()
    winner[chosen] -= votes
    return Truth(winner, batches.loser_votes.copy())


def outcome_wrong(manifest: AuditManifest, seed: str, true_margin: int = -1000) -> Truth:
    """The loser really won by ``-true_margin`` votes: the sheets moved up to ten of the loser's
    votes to the winner in each of as many tables as needed (seeded order)."""
    batches = manifest.batches
    winner, loser = batches.winner_votes.copy(), batches.loser_votes.copy()
    to_move = batches.margin - true_margin
    for index in _ranked(manifest, seed, OUTCOME_WRONG, winner > 0):
        if to_move <= 0:
            break
        moved = min(int(winner[index]), max(1, (to_move + 1) // 2), 10)
        winner[index] -= moved
        loser[index] += moved
        to_move -= 2 * moved
    return Truth(winner, loser)


def run_audit(
    manifest: AuditManifest,
    truth: Truth,
    winner: str,
    loser: str,
    risk_limit: RiskLimitLike,
    seed: str,
    *,
    method: str = MACRO,
    scenario: str = "",
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> SimulatedAudit:
    """Play the audit record to its report, the hand counts being ``truth``."""
    batches = manifest.batches
    payloads: list[dict[str, Any]] = [
        planned_event(manifest, winner, loser, risk_limit, method=method, max_rounds=max_rounds),
        seed_event(seed, "simulation"),
    ]
    state = replay(payloads)
    rounds = []

    def record(payload: dict[str, Any]) -> None:
        nonlocal state
        state = apply(state, payload)
        payloads.append(payload)

    while state.phase not in (CONFIRMED, FULL_HAND_COUNT):
        record(sample_event(state))
        for table in state.unsettled_tables():
            index = batches.index_of(table)
            w, lost, cast = int(truth.winner_votes[index]), int(truth.loser_votes[index]), int(batches.ballots[index])
            counts = {winner: w, loser: lost, OTHER: cast - w - lost}
            for entry in (1, 2):
                record(hand_count_event(table, entry, counts, cast, f"clerk {entry}"))
        measured = measure_event(state)
        record(measured)
        rounds.append({k: measured[k] for k in ("round", "draws", "risk", "decision", "next_round_draws")})
    report = report_event(state)
    record(report)
    return SimulatedAudit(
        scenario=scenario,
        method=method,
        outcome=report["outcome"],
        rounds=tuple(rounds),
        tables_counted=report["tables_counted"],
        ballots_counted=report["ballots_counted"],
        true_margin=truth.margin,
        payloads=tuple(payloads),
    )


def simulate_scenarios(
    frame: pl.DataFrame,
    winner: str,
    runner_up: str,
    risk_limit: RiskLimitLike,
    seed: str,
    *,
    method: str = MACRO,
    share: Fraction = Fraction(2, 100),
) -> dict[str, SimulatedAudit]:
    """The three scenarios over a table-results frame, each audited from the same seed."""
    manifest = manifest_from_frame(frame, winner, runner_up)
    truths = {
        SHEETS_RIGHT: sheets_right(manifest),
        WINNER_OVERSTATED: winner_overstated(manifest, seed, share),
        OUTCOME_WRONG: outcome_wrong(manifest, seed),
    }
    return {
        name: run_audit(manifest, truth, winner, runner_up, risk_limit, seed, method=method, scenario=name)
        for name, truth in truths.items()
    }


def synthetic_frame(
    tables: int,
    winner: str = "A",
    loser: str = "B",
    *,
    winner_share: float = 0.52,
    seed: str = "0",
    annulled: int = 0,
    places: int = 10,
) -> pl.DataFrame:
    """A table-results frame for simulations and tests: ``tables`` counted tables of about 200
    ballots (a few percent blank or null), the winner taking about ``winner_share`` of the pair;
    the last ``annulled`` tables annulled (their ballots null); tables spread over ``places``
    polling places in two districts; one observed table that is outside the count."""
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    cast = rng.integers(150, 260, size=tables + 1)
    null = rng.binomial(cast, 0.05)
    valid = cast - null
    won = rng.binomial(valid, winner_share)
    state = ["counted"] * (tables - annulled) + ["annulled"] * annulled + ["observed"]
    won = np.where(np.array(state) == "annulled", 0, won)
    lost = np.where(np.array(state) == "annulled", 0, valid - won)
    null = np.where(np.array(state) == "annulled", cast, null)
    index = np.arange(tables + 1)
    return pl.DataFrame(
        {
            tf.TABLE: [f"{i + 1:06d}" for i in index],
            tf.DISTRICT: [f"D{i % 2}" for i in index],
            tf.POLLING_PLACE: [f"P{i % places:02d}" for i in index],
            tf.CAST: cast,
            tf.NULL: null,
            tf.VALID: won + lost,
            tf.STATE: state,
            tf.choice_column(winner): won,
            tf.choice_column(loser): lost,
        }
    )
