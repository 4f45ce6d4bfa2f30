"""The audit plan and simulated audits over Peru's 2021 presidential runoff (ONPE per-table file),
read with the official reader into the table-results frame."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from escrutinio.audit.manifest import manifest_from_frame
from escrutinio.audit.plan import ALPHA_BATCH, ALPHA_POLLING, BRAVO, MACRO, MINERVA, plan_audit
from escrutinio.audit.simulate import (
    OUTCOME_WRONG,
    SHEETS_RIGHT,
    WINNER_OVERSTATED,
    run_audit,
    sheets_right,
    simulate_scenarios,
)
from escrutinio.audit.workflow import CONFIRMED, FULL_HAND_COUNT, replay
from escrutinio.formats.definition import load_definition
from escrutinio.intake.frames import read_table_frame

pytestmark = pytest.mark.shared

RUNOFF = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "data"
    / "peru-2021-runoff"
    / "Resultados_2da_vuelta_Version_PCM.csv.gz"
)
SEED = "73029184650183746529"


@pytest.fixture(scope="module")
def runoff() -> pl.DataFrame:
    if not RUNOFF.exists():
        message = "../shared not present: the Peru runoff file lives there"
        if os.environ.get("ESCRUTINIO_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    election, _ = load_definition("peru-2021-runoff")
    return read_table_frame(RUNOFF, election)


def test_the_audit_covers_every_table_in_the_count(runoff: pl.DataFrame) -> None:
    manifest = manifest_from_frame(runoff, "PL", "FP")
    batches = manifest.batches
    assert len(batches.tables) == 86_462
    assert (manifest.annulled, manifest.excluded) == (213, 26)
    assert int(batches.winner_votes.sum()) == 8_834_440
    assert int(batches.loser_votes.sum()) == 8_790_091
    assert batches.margin == 44_349
    assert int(batches.ballots.sum()) == 18_808_717 + 43_799  # counted sheets' ballots + annulled tables' ballots


def test_plan_for_the_runoff_at_five_percent(runoff: pl.DataFrame) -> None:
    plan = plan_audit(runoff, "PL", "FP", "0.05")
    assert plan.total_error_bound == "6298955/14783"  # (18,852,516 + 44,349) / 44,349
    sizes = {m.method: m.draws for m in plan.methods}
    assert sizes == {BRAVO: 1_012_591, ALPHA_POLLING: 1_016_479, MINERVA: 1_498_356, MACRO: 1_275, ALPHA_BATCH: 1_288}
    assert plan.method(MINERVA).details == {"0.9": 1_498_356}
    assert plan.method(BRAVO).details == {"asn": 1_012_591, "0.7": 1_548_607, "0.8": 1_987_525, "0.9": 2_763_414}
    macro = plan.method(MACRO)
    assert macro.details == {"smallest": 1_275, "arlo": 1_276}
    assert macro.to_dict()["details"] == {"smallest": 1_275, "arlo": 1_276}
    assert 1_250 <= macro.expected_tables <= 1_275
    assert 270_000 <= macro.expected_ballots <= 290_000
    assert not any(m.full_hand_count for m in plan.methods)


@pytest.mark.parametrize("method", [MACRO, ALPHA_BATCH])
def test_simulated_audits_of_the_runoff(runoff: pl.DataFrame, method: str) -> None:
    results = simulate_scenarios(runoff, "PL", "FP", "0.05", SEED, method=method)
    right = results[SHEETS_RIGHT]
    assert right.outcome == CONFIRMED and len(right.rounds) == 1
    overstated = results[WINNER_OVERSTATED]
    assert overstated.true_margin == 44_349 - round(0.02 * 86_462)
    assert len(overstated.rounds) > 1 or overstated.outcome == FULL_HAND_COUNT
    assert [r["decision"] for r in overstated.rounds[:-1]] == ["next_round"] * (len(overstated.rounds) - 1)
    assert overstated.ballots_counted > right.ballots_counted
    wrong = results[OUTCOME_WRONG]
    assert wrong.true_margin < 0 and wrong.outcome == FULL_HAND_COUNT


def test_anyone_with_the_record_recomputes_it(runoff: pl.DataFrame) -> None:
    manifest = manifest_from_frame(runoff, "PL", "FP")
    result = run_audit(manifest, sheets_right(manifest), "PL", "FP", "0.05", SEED)
    state = replay(result.payloads)
    assert state.report is not None and state.report["outcome"] == CONFIRMED
    assert state.report["manifest_sha256"] == manifest.sha256
