"""Simulated audits: scenarios are what they say, and the outcomes follow."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from escrutinio.audit.manifest import manifest_from_frame
from escrutinio.audit.plan import ALPHA_BATCH, MACRO
from escrutinio.audit.simulate import (
    OUTCOME_WRONG,
    SHEETS_RIGHT,
    WINNER_OVERSTATED,
    outcome_wrong,
    simulate_scenarios,
    synthetic_frame,
    winner_overstated,
)
from escrutinio.audit.workflow import replay

SEED = "16180339887498948482"


@pytest.fixture(scope="module")
def frame():
    return synthetic_frame(2000, winner_share=0.53, seed="sim")


def test_overstated_scenario_moves_one_winner_vote_in_the_share_of_tables(frame) -> None:
    manifest = manifest_from_frame(frame, "A", "B")
    truth = winner_overstated(manifest, SEED, Fraction(2, 100))
    changed = manifest.batches.winner_votes - truth.winner_votes
    assert sorted(set(changed.tolist())) == [0, 1] and changed.sum() == 40
    assert (truth.loser_votes == manifest.batches.loser_votes).all()
    assert (winner_overstated(manifest, SEED).winner_votes == truth.winner_votes).all()


def test_wrong_outcome_scenario_really_flips_the_pair(frame) -> None:
    manifest = manifest_from_frame(frame, "A", "B")
    truth = outcome_wrong(manifest, SEED)
    assert truth.margin < 0 < manifest.batches.margin
    assert ((truth.winner_votes + truth.loser_votes) == (manifest.batches.winner_votes + manifest.batches.loser_votes)).all()
    assert (truth.winner_votes >= 0).all()


@pytest.mark.parametrize("method", [MACRO, ALPHA_BATCH])
def test_scenarios_end_as_a_risk_limiting_audit_should(frame, method: str) -> None:
    results = simulate_scenarios(frame, "A", "B", "0.05", SEED, method=method)
    right, overstated, wrong = results[SHEETS_RIGHT], results[WINNER_OVERSTATED], results[OUTCOME_WRONG]
    assert right.outcome == "confirmed" and len(right.rounds) == 1
    assert overstated.rounds[0]["draws"] == right.rounds[0]["draws"]
    assert overstated.outcome in ("confirmed", "full_hand_count")
    assert wrong.outcome == "full_hand_count" and wrong.true_margin < 0
    for result in results.values():
        assert replay(result.payloads).report is not None
    again = simulate_scenarios(frame, "A", "B", "0.05", SEED, method=method)
    assert {k: v.to_dict() for k, v in again.items()} == {k: v.to_dict() for k, v in results.items()}


def test_synthetic_frame_is_reproducible() -> None:
    a, b = synthetic_frame(50, seed="x", annulled=2), synthetic_frame(50, seed="x", annulled=2)
    assert a.equals(b)
    annulled = a.filter(a["state"] == "annulled")
    assert annulled.height == 2 and int(annulled["v_A"].sum()) == 0
    assert np.array_equal(annulled["null"].to_numpy(), annulled["cast"].to_numpy())
