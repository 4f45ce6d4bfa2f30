"""The audit record: order of steps, double entry, recomputation on replay, retrieval lists."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from escrutinio.audit.alpha import alpha_batch_sample_size
from escrutinio.audit.macro import macro_sample_size
from escrutinio.audit.manifest import AuditManifest, manifest_from_frame
from escrutinio.audit.risk import parse_risk
from escrutinio.audit.sampler import weighted_draws
from escrutinio.audit.simulate import synthetic_frame
from escrutinio.audit.workflow import (
    CONFIRMED,
    FULL_HAND_COUNT,
    METHODS,
    NEXT_ROUND,
    AuditMethod,
    AuditRefused,
    AuditState,
    apply,
    first_round_draws,
    hand_count_event,
    measure_event,
    planned_event,
    replay,
    report_event,
    resolution_event,
    retrieval_lists,
    sample_event,
    seed_event,
)
from escrutinio.ledger.events import EventType

SEED = "27182818284590452353"


@pytest.fixture(scope="module")
def manifest() -> AuditManifest:
    return manifest_from_frame(synthetic_frame(600, winner_share=0.6, seed="workflow", annulled=2), "A", "B")


class Record:
    """A log of payloads and the state they fold into, as the application service would keep."""

    def __init__(self, manifest: AuditManifest, **plan: Any) -> None:
        self.manifest = manifest
        self.payloads: list[dict[str, Any]] = []
        self.state = AuditState()
        self.add(planned_event(manifest, "A", "B", "0.05", **plan))

    def add(self, payload: dict[str, Any]) -> None:
        self.state = apply(self.state, payload)
        self.payloads.append(payload)

    def count(self, table: str, *, winner_shift: int = 0, entries: tuple[int, ...] = (1, 2)) -> None:
        batches = self.manifest.batches
        i = batches.index_of(table)
        w, lost, cast = int(batches.winner_votes[i]), int(batches.loser_votes[i]), int(batches.ballots[i])
        counts = {"A": w - winner_shift, "B": lost, "other": cast - w - lost + winner_shift}
        for entry in entries:
            self.add(hand_count_event(table, entry, counts, cast, f"clerk {entry}"))

    def count_all(self, winner_shift: int = 0) -> None:
        for table in self.state.unsettled_tables():
            self.count(table, winner_shift=winner_shift)


def _seeded(manifest: AuditManifest, **plan: Any) -> Record:
    record = Record(manifest, **plan)
    record.add(seed_event(SEED, "20 dice rolls at the public ceremony"))
    return record


def test_clean_audit_confirms_in_one_round_and_replays(manifest: AuditManifest) -> None:
    record = _seeded(manifest)
    record.add(sample_event(record.state))
    n = macro_sample_size(manifest.batches.total_error_bound, "0.05")
    expected = [manifest.batches.tables[d.index] for d in weighted_draws(SEED, manifest.batches.bound_numerators, n)]
    assert record.payloads[-1]["tables"] == expected
    assert record.state.phase == "counting"
    record.count_all()
    assert record.state.phase == "measurable"
    record.add(measure_event(record.state))
    assert record.state.phase == CONFIRMED
    assert parse_risk(record.payloads[-1]["risk"]) <= parse_risk("0.05")
    record.add(report_event(record.state))
    report = record.state.report
    assert report is not None and report["outcome"] == CONFIRMED and report["tables_with_differences"] == 0
    stored = json.loads(json.dumps(record.payloads))
    assert replay(stored).report == report


def test_no_floats_in_any_payload(manifest: AuditManifest) -> None:
    record = _seeded(manifest)
    record.add(sample_event(record.state))
    record.count_all()
    record.add(measure_event(record.state))
    text = json.dumps(record.payloads)
    assert not any(isinstance(v, float) for v in _leaves(json.loads(text)))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_mismatching_entries_are_a_discrepancy_until_resolved(manifest: AuditManifest) -> None:
    record = _seeded(manifest)
    record.add(sample_event(record.state))
    table = record.state.sampled_tables()[0]
    record.count(table, entries=(1,))
    assert record.state.table_status(table) == "awaiting_second_entry"
    record.count(table, winner_shift=1, entries=(2,))
    assert record.state.table_status(table) == "discrepancy"
    assert record.state.hand_count(table) is None
    with pytest.raises(AuditRefused, match="no discrepancy"):
        apply(record.state, resolution_event(record.state.sampled_tables()[1], {"A": 0, "B": 0}, 0, "jee", "x"))
    with pytest.raises(AuditRefused, match="who resolved it and why"):
        apply(record.state, resolution_event(table, {"A": 1, "B": 0}, 5, "", ""))
    entry = record.state.entries[table][1]
    record.add(resolution_event(table, entry.counts, entry.ballots, "supervisor", "recounted: entry 2 mistyped"))
    assert record.state.table_status(table) == "resolved"
    row = next(r for r in record.state.comparisons() if r["table"] == table)
    assert row["overstatement_votes"] == 0 and row["sheet_winner"] == row["hand_winner"]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (hand_count_event("999999", 1, {"A": 1, "B": 0}, 1), "not in the sample"),
        (hand_count_event("TABLE", 3, {"A": 1, "B": 0}, 1), "numbered 1 and 2"),
        (hand_count_event("TABLE", 1, {"A": 1}, 1), "must include"),
        (hand_count_event("TABLE", 1, {"A": 5, "B": 5}, 9), "exceed the ballots"),
        (hand_count_event("TABLE", 1, {"A": -1, "B": 0}, 9), "zero or more"),
    ],
)
def test_bad_entries_are_refused(manifest: AuditManifest, payload: dict[str, Any], problem: str) -> None:
    record = _seeded(manifest)
    record.add(sample_event(record.state))
    if payload["table"] == "TABLE":
        payload = {**payload, "table": record.state.sampled_tables()[0]}
    with pytest.raises(AuditRefused, match=problem):
        apply(record.state, payload)


def test_each_entry_once_and_by_different_people(manifest: AuditManifest) -> None:
    record = _seeded(manifest)
    record.add(sample_event(record.state))
    table = record.state.sampled_tables()[0]
    record.add(hand_count_event(table, 1, {"A": 1, "B": 0}, 200, "ana"))
    with pytest.raises(AuditRefused, match="already recorded"):
        apply(record.state, hand_count_event(table, 1, {"A": 1, "B": 0}, 200, "ana"))
    with pytest.raises(AuditRefused, match="different people"):
        apply(record.state, hand_count_event(table, 2, {"A": 1, "B": 0}, 200, "ana"))


def test_steps_out_of_order_are_refused(manifest: AuditManifest) -> None:
    record = Record(manifest)
    with pytest.raises(AuditRefused, match="after the seed"):
        sample_event(record.state)
    with pytest.raises(AuditRefused, match="no plan"):
        apply(AuditState(), seed_event(SEED))
    with pytest.raises(AuditRefused, match="already planned"):
        apply(record.state, record.payloads[0])
    record.add(seed_event(SEED))
    with pytest.raises(AuditRefused, match="recorded once"):
        apply(record.state, seed_event(SEED))
    with pytest.raises(AuditRefused, match="settled"):
        measure_event(record.state)
    record.add(sample_event(record.state))
    with pytest.raises(AuditRefused, match="settled hand count"):
        measure_event(record.state)
    with pytest.raises(AuditRefused, match="report comes after"):
        report_event(record.state)
    with pytest.raises(AuditRefused, match="digits"):
        seed_event("12345")


@pytest.mark.parametrize(
    ("seed", "refusal"),
    [
        ("1234567890123456789", "at least 20 digits (one per roll of a ten-sided die), got 19"),
        ("1234567890 1234567890", "decimal digits only (0-9); found ' '"),
        ("12345678901234567890x", "decimal digits only (0-9); found 'x'"),
        ("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠", "decimal digits only"),
    ],
)
def test_the_ceremony_refuses_a_weak_seed(manifest: AuditManifest, seed: str, refusal: str) -> None:
    """The sampler hashes any string; the ceremony is where a seed someone could choose is refused,
    whether it is typed in (seed_event) or found in a log (replay)."""
    with pytest.raises(AuditRefused, match=re.escape(refusal)):
        seed_event(seed)
    record = Record(manifest)
    with pytest.raises(AuditRefused, match=re.escape(refusal)):
        apply(record.state, {"type": EventType.AUDIT_SEEDED, "seed": seed, "ceremony": ""})
    assert seed_event("0" * 20)["seed"] == "0" * 20  # leading zeros kept: the seed is hashed as written


def test_tampered_payloads_do_not_replay(manifest: AuditManifest) -> None:
    record = _seeded(manifest)
    record.add(sample_event(record.state))
    record.count_all()
    record.add(measure_event(record.state))
    sample_at, measure_at = 2, len(record.payloads) - 1
    swapped = [*record.payloads]
    tables = [*swapped[sample_at]["tables"]]
    tables[0] = next(t for t in manifest.batches.tables if t not in tables)
    swapped[sample_at] = {**swapped[sample_at], "tables": tables}
    with pytest.raises(AuditRefused, match="not the one the seed gives"):
        replay(swapped)
    lowered = [*record.payloads]
    lowered[measure_at] = {**lowered[measure_at], "risk": "0.001"}
    with pytest.raises(AuditRefused, match="differs from the recomputed"):
        replay(lowered)
    other_manifest = json.loads(json.dumps(record.payloads[0]))
    other_manifest["manifest"]["winner"][0] += 1
    with pytest.raises(AuditRefused, match="SHA-256"):
        replay([other_manifest])


def test_overstatements_lead_to_more_rounds_then_a_full_hand_count(manifest: AuditManifest) -> None:
    record = _seeded(manifest, max_rounds=2)
    record.add(sample_event(record.state))
    record.count_all(winner_shift=3)
    record.add(measure_event(record.state))
    first = record.payloads[-1]
    assert first["decision"] == NEXT_ROUND and first["next_round_draws"] > 0
    record.add(sample_event(record.state))
    assert record.payloads[-1]["first_draw"] == first["draws"] + 1
    record.count_all(winner_shift=45)
    record.add(measure_event(record.state))
    assert record.payloads[-1]["decision"] == FULL_HAND_COUNT
    record.add(report_event(record.state))
    report = record.state.report
    assert report is not None and report["outcome"] == FULL_HAND_COUNT and report["rounds"] == 2
    overstated = [row["overstatement_votes"] for row in record.state.comparisons()]
    assert set(overstated) == {3, 45} and report["net_overstatement_votes"] == sum(overstated)
    assert replay(record.payloads).report == record.state.report


def test_retrieval_lists_group_new_tables_by_place(manifest: AuditManifest) -> None:
    record = _seeded(manifest, max_rounds=3)
    record.add(sample_event(record.state))
    lists = retrieval_lists(record.state)
    listed = [row["table"] for group in lists for row in group["tables"]]
    assert sorted(listed) == sorted(record.state.sampled_tables())
    for group in lists:
        for row in group["tables"]:
            i = manifest.batches.index_of(row["table"])
            assert (manifest.districts[i], manifest.polling_places[i]) == (group["district"], group["polling_place"])
    assert [(g["district"], g["polling_place"]) for g in lists] == sorted((g["district"], g["polling_place"]) for g in lists)
    record.count_all(winner_shift=3)
    record.add(measure_event(record.state))
    record.add(sample_event(record.state))
    second = [row["table"] for group in retrieval_lists(record.state) for row in group["tables"]]
    assert second and not set(second) & set(listed)


def test_when_the_rounds_are_spent_the_count_goes_to_hand(manifest: AuditManifest) -> None:
    record = _seeded(manifest, max_rounds=1)
    record.add(sample_event(record.state))
    record.count_all(winner_shift=3)
    measured = measure_event(record.state)
    assert measured["decision"] == FULL_HAND_COUNT and measured["next_round_draws"] == 0
    assert parse_risk(measured["risk"]) > parse_risk("0.05")


def test_only_known_methods_run_in_the_record(manifest: AuditManifest) -> None:
    with pytest.raises(AuditRefused, match=r"batch comparison .* or ballot polling"):
        planned_event(manifest, "A", "B", "0.05", method="athena")
    assert planned_event(manifest, "A", "B", "0.05", method="bravo")["method"] == "bravo"
    assert planned_event(manifest, "A", "B", "0.05", method="minerva")["method"] == "minerva"


def test_every_method_has_one_entry_in_the_table_of_methods(manifest: AuditManifest) -> None:
    """The record asks the table, never the method's name: each method sizes its own round 1."""
    assert set(METHODS) == set(AuditMethod) and all(METHODS[m].method == m for m in AuditMethod)
    sizes = {m: first_round_draws(Record(manifest, method=m).state) for m in AuditMethod}
    bound = manifest.batches.total_error_bound
    assert sizes[AuditMethod.MACRO] == macro_sample_size(bound, "0.05")
    assert sizes[AuditMethod.ALPHA_BATCH] == alpha_batch_sample_size(bound, "0.05")
    assert sizes[AuditMethod.BRAVO] != sizes[AuditMethod.ALPHA_POLLING] > 0
