"""The manifest built from a table frame, and the per-method plan."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from escrutinio.audit.alpha import alpha_batch_sample_size, alpha_polling_sample_size
from escrutinio.audit.bravo import bravo_sample_sizes
from escrutinio.audit.macro import macro_sample_size
from escrutinio.audit.manifest import AuditManifest, manifest_from_frame
from escrutinio.audit.plan import ALPHA_BATCH, ALPHA_POLLING, BRAVO, MACRO, describe, plan_audit
from escrutinio.audit.simulate import synthetic_frame


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table": ["000001", "000002", "000003", "000004", "000005", "000006"],
            "district": ["150101", "150101", "150102", "150102", "150103", "150103"],
            "cast": [200, 180, 150, 120, None, 90],
            "valid": [190, 170, 140, 110, 0, 80],
            "state": ["counted", "resolved", "annulled", "observed", "not_installed", "counted"],
            "v_PL": [100, 95, 70, 60, 0, 50],
            "v_FP": [90, 75, 70, 50, 0, 40],
        }
    )


def test_manifest_takes_the_tables_in_the_count_with_annulled_ones_as_null() -> None:
    manifest = manifest_from_frame(_frame(), "PL", "FP")
    batches = manifest.batches
    assert batches.tables == ("000001", "000002", "000003", "000006")
    assert list(batches.winner_votes) == [100, 95, 0, 50]
    assert list(batches.loser_votes) == [90, 75, 0, 40]
    assert list(batches.ballots) == [200, 180, 150, 90]
    assert batches.margin == 40
    assert (manifest.annulled, manifest.excluded) == (1, 2)
    assert manifest.districts == ("150101", "150101", "150102", "150103")
    assert manifest.polling_places == (None, None, None, None)


def test_a_sheet_cannot_shrink_its_own_bound() -> None:
    frame = _frame().with_columns(pl.when(pl.col("table") == "000001").then(150).otherwise(pl.col("cast")).alias("cast"))
    assert manifest_from_frame(frame, "PL", "FP").batches.ballots[0] == 190


def test_manifest_round_trips_through_plain_columns() -> None:
    manifest = manifest_from_frame(_frame(), "PL", "FP")
    columns = json.loads(json.dumps(manifest.to_columns()))
    again = AuditManifest.from_columns(columns)
    assert again.sha256 == manifest.sha256
    assert again.batches.tables == manifest.batches.tables


def test_manifest_names_what_is_missing() -> None:
    with pytest.raises(KeyError, match="v_XX"):
        manifest_from_frame(_frame(), "PL", "XX")
    frame = _frame().with_columns(pl.lit(None, dtype=pl.Int64).alias("cast"))
    with pytest.raises(ValueError, match="000001"):
        manifest_from_frame(frame, "PL", "FP")


def _only_ints_and_strings(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_ints_and_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_ints_and_strings(v) for v in value)
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def test_plan_puts_every_method_side_by_side() -> None:
    frame = synthetic_frame(400, winner_share=0.56, seed="plan", annulled=3)
    plan = plan_audit(frame, "A", "B", "0.05")
    w, lost, n = plan.winner_votes, plan.runner_up_votes, plan.ballots
    assert plan.tables == 400 and plan.annulled_tables == 3 and plan.excluded_tables == 1
    bravo = bravo_sample_sizes(w, lost, n, "0.05")
    assert plan.method(BRAVO).draws == bravo.asn
    assert plan.method(BRAVO).details == {"asn": bravo.asn, **bravo.one_round}
    assert plan.method(ALPHA_POLLING).draws == alpha_polling_sample_size(w, lost, n, "0.05")
    U = manifest_from_frame(frame, "A", "B").batches.total_error_bound
    assert plan.method(MACRO).draws == macro_sample_size(U, "0.05")
    assert plan.method(ALPHA_BATCH).draws == alpha_batch_sample_size(U, "0.05")
    for method in (MACRO, ALPHA_BATCH):
        chosen = plan.method(method)
        assert chosen.unit == "tables" and chosen.expected_tables <= chosen.draws
        assert 150 * chosen.expected_tables <= chosen.expected_ballots <= 260 * chosen.expected_tables
    assert plan.method(BRAVO).expected_ballots == plan.method(BRAVO).draws


def test_plan_is_json_of_ints_and_strings() -> None:
    plan = plan_audit(synthetic_frame(100, winner_share=0.6), "A", "B", 0.1)
    data = plan.to_dict()
    assert _only_ints_and_strings(data)
    assert data["risk_limit"] == "0.1"
    assert json.loads(json.dumps(data)) == data
    assert "macro" in describe(plan)


def test_a_margin_too_small_for_sampling_says_count_by_hand() -> None:
    plan = plan_audit(synthetic_frame(30, winner_share=0.502, seed="close"), "A", "B", "0.05")
    assert plan.method(MACRO).full_hand_count
