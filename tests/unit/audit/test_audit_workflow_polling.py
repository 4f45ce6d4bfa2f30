"""Ballot polling in the audit record: the sample of ballots, double readings, BRAVO and ALPHA risk
recomputed on replay, next rounds, retrieval lists by ballot number, and refusals."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest

from escrutinio.audit.alpha import alpha_polling_risk, polling_values
from escrutinio.audit.bravo import bravo_one_round_size, bravo_risk
from escrutinio.audit.kinds import RoundSizing
from escrutinio.audit.manifest import AuditManifest, manifest_from_frame
from escrutinio.audit.methods import minerva_pair_rounds
from escrutinio.audit.minerva import minerva_round_size, minerva_rounds_risk
from escrutinio.audit.risk import parse_risk
from escrutinio.audit.rounds import alpha_polling_next_round, bravo_next_round, minerva_next_round
from escrutinio.audit.sampler import BALLOTS, weighted_draws
from escrutinio.audit.simulate import synthetic_frame
from escrutinio.audit.workflow import (
    CONFIRMED,
    FULL_HAND_COUNT,
    NEXT_ROUND,
    AuditRefused,
    AuditState,
    apply,
    ballot_event,
    ballot_id,
    ballot_resolution_event,
    first_round_draws,
    hand_count_event,
    measure_event,
    planned_event,
    replay,
    report_event,
    retrieval_lists,
    sample_event,
    seed_event,
    split_ballot_id,
)

SEED = "16180339887498948482"


@pytest.fixture(scope="module")
def manifest() -> AuditManifest:
    return manifest_from_frame(synthetic_frame(300, winner_share=0.6, seed="polling", annulled=2), "A", "B")


def shows_as_reported(manifest: AuditManifest, table: str, position: int) -> str:
    """What a ballot shows if the sheet is right and the box is sorted: winner, loser, then null."""
    i = manifest.batches.index_of(table)
    won, lost = int(manifest.batches.winner_votes[i]), int(manifest.batches.loser_votes[i])
    return "A" if position <= won else "B" if position <= won + lost else "null"


class Record:
    """Payloads and the state they fold into, as the service keeps them."""

    def __init__(self, manifest: AuditManifest, method: str = "bravo", *, legacy: bool = False, **plan: Any) -> None:
        self.manifest = manifest
        self.payloads: list[dict[str, Any]] = []
        self.state = AuditState()
        planned = planned_event(manifest, "A", "B", "0.05", method=method, **plan)
        if legacy:  # planned before each method sized its own rounds: the plan names no sizing
            planned.pop("round_sizing")
        self.add(planned)
        self.add(seed_event(SEED, "dice"))

    def add(self, payload: dict[str, Any]) -> None:
        self.state = apply(self.state, payload)
        self.payloads.append(payload)

    def read_all(self, show: Any = None) -> None:
        """Both readings of every ballot not read yet; ``show(table, position)`` says what it shows."""
        for ballot in [b for b in self.state.unsettled() if self.state.ballot_status(b) == "pending"]:
            table, position = split_ballot_id(ballot)
            vote = show(table, position) if show else shows_as_reported(self.manifest, table, position)
            for entry in (1, 2):
                self.add(ballot_event(table, position, entry, vote, f"clerk {entry}"))


@pytest.mark.parametrize("method", ["bravo", "alpha_polling", "minerva"])
def test_a_sample_that_looks_as_reported_confirms_and_replays(manifest: AuditManifest, method: str) -> None:
    record = Record(manifest, method)
    record.add(sample_event(record.state))
    drawn = record.payloads[-1]
    n = first_round_draws(record.state)
    expected = weighted_draws(SEED, manifest.batches.ballots, n, purpose=BALLOTS)
    assert drawn["ballots"] == [[manifest.batches.tables[d.index], d.position] for d in expected]
    assert all(1 <= p <= manifest.batches.ballots[manifest.batches.index_of(t)] for t, p in drawn["ballots"])
    assert record.state.phase == "counting" and len(record.state.unsettled()) == len(set(map(tuple, drawn["ballots"])))
    record.read_all()
    assert record.state.phase == "measurable"
    record.add(measure_event(record.state))
    assert record.state.phase == CONFIRMED

    shows = [shows_as_reported(manifest, t, p) for t, p in drawn["ballots"]]
    won, lost, cast = (
        int(manifest.batches.winner_votes.sum()),
        int(manifest.batches.loser_votes.sum()),
        int(manifest.batches.ballots.sum()),
    )
    if method == "bravo":
        assert n == bravo_one_round_size(won, lost, cast, "0.05", "0.9")
        direct = bravo_risk(won, lost, shows.count("A"), shows.count("B"))
    elif method == "minerva":
        assert n == min(minerva_round_size(won, lost, cast, "0.05", "0.9"), cast)
        direct = minerva_rounds_risk(won, lost, [(shows.count("A") + shows.count("B"), shows.count("A"))], "0.05")
    else:
        direct = alpha_polling_risk(won, lost, cast, polling_values(shows, "A", "B"))
    assert float(parse_risk(record.payloads[-1]["risk"])) == pytest.approx(direct, rel=1e-9)

    record.add(report_event(record.state))
    report = record.state.report
    assert report is not None and report["outcome"] == CONFIRMED and report["draws"] == n
    assert report["winner_draws"] + report["loser_draws"] + report["other_draws"] == n
    assert report["winner_draws"] == shows.count("A") and report["ballots_examined"] == len(record.state.sampled_ballots())
    stored = json.loads(json.dumps(record.payloads))
    assert replay(stored).report == report
    assert not any(isinstance(v, float) for v in _leaves(stored))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_retrieval_lists_name_the_ballot_numbers_of_each_table(manifest: AuditManifest) -> None:
    record = Record(manifest)
    record.add(sample_event(record.state))
    centres = retrieval_lists(record.state)
    listed = {ballot_id(t["table"], p) for c in centres for t in c["tables"] for p in t["positions"]}
    assert listed == set(record.state.sampled_ballots())
    assert sum(c["ballots"] for c in centres) == len(listed)
    for centre in centres:
        assert [t["table"] for t in centre["tables"]] == sorted(t["table"] for t in centre["tables"])
        for table in centre["tables"]:
            assert table["positions"] == sorted(set(table["positions"]))
            assert table["times_drawn"] >= len(table["positions"])
    assert sum(t["times_drawn"] for c in centres for t in c["tables"]) == len(record.state.draw_indices)


def test_a_sample_that_leans_to_the_winner_too_little_goes_to_a_second_round(manifest: AuditManifest) -> None:
    record = Record(manifest)
    record.add(sample_event(record.state))
    first = record.payloads[-1]["count"]
    # 9 winner ballots in 16: a positive but slow drift of ln T (s_w is about 0.6), about 0.005 a draw.
    rank = {ballot: k for k, ballot in enumerate(record.state.sampled_ballots())}
    record.read_all(lambda table, position: "A" if rank[ballot_id(table, position)] % 16 < 9 else "B")
    record.add(measure_event(record.state))
    measured = record.payloads[-1]
    assert measured["decision"] == NEXT_ROUND and measured["next_round_draws"] >= first // 10
    record.add(sample_event(record.state))
    second = record.payloads[-1]
    assert (second["round"], second["first_draw"], second["count"]) == (2, first + 1, measured["next_round_draws"])
    earlier = {ballot_id(t, p) for t, p in record.payloads[2]["ballots"]}
    listed = {ballot_id(t["table"], p) for c in retrieval_lists(record.state) for t in c["tables"] for p in t["positions"]}
    assert listed and not listed & earlier
    assert set(record.state.unsettled()) == listed


@pytest.mark.parametrize("method", ["bravo", "alpha_polling", "minerva"])
def test_a_tied_sample_draws_on_as_the_method_sizes_it(manifest: AuditManifest, method: str) -> None:
    """Each method sizes the next round from where the sample stands, future draws as reported
    (escrutinio.audit.rounds): a tied first sample is not yet a reason to count everything."""
    record = Record(manifest, method)
    assert record.state.round_sizing == RoundSizing.METHOD
    record.add(sample_event(record.state))
    record.read_all(lambda table, position: "B" if position % 2 else "A")
    record.add(measure_event(record.state))
    measured, outcomes = record.payloads[-1], [record.state.counts_for(v) for v in record.state.readings()]
    pair = record.state.reported_pair()
    if method == "bravo":
        size = bravo_next_round(
            pair.winner_votes,
            pair.loser_votes,
            pair.ballots,
            "0.05",
            sample_winner=outcomes.count("winner"),
            sample_loser=outcomes.count("loser"),
            drawn=len(outcomes),
            probability=Fraction(9, 10),
        )
    elif method == "minerva":
        won = outcomes.count("winner")
        rounds = [(won + outcomes.count("loser"), won)]
        size = minerva_next_round(pair.winner_votes, pair.loser_votes, pair.ballots, "0.05", rounds=rounds, drawn=len(outcomes))
    else:
        values = polling_values(outcomes, "winner", "loser")
        size = alpha_polling_next_round(pair.winner_votes, pair.loser_votes, pair.ballots, "0.05", values=values)
    assert measured["decision"] == NEXT_ROUND and not size.full_hand_count
    assert measured["next_round_draws"] == max(size.draws, -(-len(outcomes) // 10))
    assert replay(record.payloads).measurements == record.state.measurements


def test_a_minerva_audit_measures_each_round_given_the_ones_before(manifest: AuditManifest) -> None:
    """Minerva's second round is judged on the paths the first round let through (its kmin cut),
    as minerva_rounds_risk computes it from the pair's cumulative counts at the end of each round;
    the replayed log finds the same risks and decisions."""
    record = Record(manifest, "minerva")
    record.add(sample_event(record.state))
    record.read_all(lambda table, position: "B" if position % 2 else "A")  # a tied first round
    record.add(measure_event(record.state))
    assert record.payloads[-1]["decision"] == NEXT_ROUND
    record.add(sample_event(record.state))
    record.read_all()  # the second round looks as reported
    record.add(measure_event(record.state))
    measured = record.payloads[-1]
    readings, ends = record.state.readings(), [r["count"] for r in record.payloads if r["type"] == "audit.sampled"]
    rounds, drawn = [], 0
    for count in ends:
        drawn += count
        first = readings[:drawn]
        rounds.append((first.count("A") + first.count("B"), first.count("A")))
    assert minerva_pair_rounds(record.state, ("A", "B"), readings) == rounds
    pair = record.state.reported_pair()
    direct = minerva_rounds_risk(pair.winner_votes, pair.loser_votes, rounds, "0.05")
    assert float(parse_risk(measured["risk"])) == pytest.approx(direct, rel=1e-9)
    assert direct < minerva_rounds_risk(pair.winner_votes, pair.loser_votes, rounds[:1], "0.05")
    assert measured["decision"] == (CONFIRMED if direct <= 0.05 else NEXT_ROUND)
    assert replay(json.loads(json.dumps(record.payloads))).measurements == record.state.measurements


def test_a_minerva_round_without_a_ballot_for_the_pair_is_no_round_of_the_pair(manifest: AuditManifest) -> None:
    """Minerva cannot take a round that adds no ballot for the pair; such a round is left out."""
    record = Record(manifest, "minerva")
    record.add(sample_event(record.state))
    record.read_all(lambda table, position: "null")
    assert minerva_pair_rounds(record.state, ("A", "B"), record.state.readings()) == []
    record.add(measure_event(record.state))
    assert record.payloads[-1]["risk"] == "1" and record.payloads[-1]["decision"] == NEXT_ROUND


def test_a_legacy_plan_keeps_its_rule_a_sample_with_no_winner_lead_goes_to_a_full_hand_count(manifest: AuditManifest) -> None:
    """An audit planned before methods sized their own rounds replays as it was written: its next
    round extrapolates the mean gain so far, and a sample that gained nothing ends in a full count."""
    record = Record(manifest, "alpha_polling", legacy=True)
    assert record.state.round_sizing == RoundSizing.MEAN_GAIN
    record.add(sample_event(record.state))
    record.read_all(lambda table, position: "B" if position % 2 else "A")
    record.add(measure_event(record.state))
    measured = record.payloads[-1]
    assert measured["decision"] == FULL_HAND_COUNT and measured["next_round_draws"] == 0
    assert parse_risk(measured["risk"]) > parse_risk("0.05")
    record.add(report_event(record.state))
    assert record.state.report is not None and record.state.report["outcome"] == FULL_HAND_COUNT
    assert replay(record.payloads).measurements == record.state.measurements


def test_differing_readings_are_a_discrepancy_until_resolved(manifest: AuditManifest) -> None:
    record = Record(manifest)
    record.add(sample_event(record.state))
    ballot = record.state.sampled_ballots()[0]
    table, position = split_ballot_id(ballot)
    record.add(ballot_event(table, position, 1, "A", "ana"))
    assert record.state.ballot_status(ballot) == "awaiting_second_entry"
    with pytest.raises(AuditRefused, match="different people"):
        apply(record.state, ballot_event(table, position, 2, "A", "ana"))
    record.add(ballot_event(table, position, 2, "null", "bob"))
    assert record.state.ballot_status(ballot) == "discrepancy" and record.state.ballot_vote(ballot) is None
    record.read_all()
    assert record.state.phase == "counting"
    with pytest.raises(AuditRefused, match=f"ballots without a settled reading: {ballot}"):
        measure_event(record.state)
    with pytest.raises(AuditRefused, match="who resolved it and why"):
        apply(record.state, ballot_resolution_event(table, position, "A", "board", ""))
    record.add(ballot_resolution_event(table, position, "A", "board", "one clear mark for A"))
    assert record.state.ballot_status(ballot) == "resolved" and record.state.phase == "measurable"
    record.add(measure_event(record.state))
    record.add(report_event(record.state))
    assert record.state.report is not None and record.state.report["entry_discrepancies_resolved"] == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"table": "999999"}, "not in the sample"),
        ({"position": 0}, "not in the sample"),
        ({"position": "1"}, "whole number"),
        ({"entry": 3}, "numbered 1 and 2"),
        ({"vote": "C"}, "shows one of A, B, blank, null, other"),
        ({"vote": 1}, "shows one of"),
    ],
)
def test_bad_readings_are_refused(manifest: AuditManifest, change: dict[str, Any], problem: str) -> None:
    record = Record(manifest)
    record.add(sample_event(record.state))
    table, position = split_ballot_id(record.state.sampled_ballots()[0])
    with pytest.raises(AuditRefused, match=problem):
        apply(record.state, {**ballot_event(table, position, 1, "A", "ana"), **change})
    with pytest.raises(AuditRefused, match="not table counts"):
        apply(record.state, hand_count_event(table, 1, {"A": 1, "B": 0}, 1))


def test_ballot_readings_are_refused_in_a_batch_audit(manifest: AuditManifest) -> None:
    record = Record(manifest, "macro")
    record.add(sample_event(record.state))
    table = record.state.sampled_tables()[0]
    with pytest.raises(AuditRefused, match="not ballot readings"):
        apply(record.state, ballot_event(table, 1, 1, "A"))


def test_a_forged_polling_sample_is_refused_on_replay(manifest: AuditManifest) -> None:
    record = Record(manifest)
    record.add(sample_event(record.state))
    forged = json.loads(json.dumps(record.payloads))
    table, position = forged[-1]["ballots"][0]
    forged[-1]["ballots"][0] = [table, position + 1]
    with pytest.raises(AuditRefused, match="not the one the seed gives"):
        replay(forged)


def test_readings_are_refused_before_the_sample_and_after_the_measure(manifest: AuditManifest) -> None:
    record = Record(manifest)
    with pytest.raises(AuditRefused, match="not in the sample"):
        apply(record.state, ballot_event("000001", 1, 1, "A"))
    record.add(sample_event(record.state))
    record.read_all()
    record.add(measure_event(record.state))
    table, position = split_ballot_id(record.state.sampled_ballots()[0])
    with pytest.raises(AuditRefused, match="round is open"):
        apply(record.state, ballot_event(table, position, 1, "A", "late"))


def test_ballot_ids_round_trip() -> None:
    assert split_ballot_id(ballot_id("000123", 57)) == ("000123", 57)
    assert split_ballot_id(ballot_id("A:1", 2)) == ("A:1", 2)
    for bad in ("000123", "000123:", "000123:x"):
        with pytest.raises(AuditRefused):
            split_ballot_id(bad)


def test_a_sealed_reading_is_revealed_by_the_second_and_the_replay_holds_both(manifest: AuditManifest) -> None:
    """A ballot's first reading as the service writes it (``audit.entries.sealed_payload``): a
    commitment, no vote, so the second reader cannot copy it; the second reveals it and names
    where they differ, and the replay refuses a reveal that does not open the commitment, a
    ``differs`` that says otherwise, or a second sealed reading."""
    from escrutinio.audit.entries import BallotEntry, revealing_payload, sealed_payload

    record = Record(manifest)
    record.add(sample_event(record.state))
    table, position = split_ballot_id(record.state.sampled_ballots()[0])
    sealed, kept = sealed_payload(BallotEntry(table, position, 1, "A", "clerk 1"))
    assert "vote" not in sealed and kept["sheet"] == {"vote": "A"}
    record.add(sealed)
    ballot = ballot_id(table, position)
    assert record.state.ballot_status(ballot) == "awaiting_second_entry" and record.state.ballot_vote(ballot) is None
    with pytest.raises(AuditRefused, match="reveals the first"):
        apply(record.state, sealed_payload(BallotEntry(table, position, 2, "B", "clerk 2"))[0])
    with pytest.raises(AuditRefused, match="must reveal them"):
        apply(record.state, ballot_event(table, position, 2, "B", "clerk 2"))
    first = record.state.ballot_entries[ballot][1]
    second = revealing_payload(BallotEntry(table, position, 2, "B", "clerk 2"), first, kept, ballot)
    assert second["first_sheet"] == {"vote": "A"} and second["differs"] == ["vote"]
    with pytest.raises(AuditRefused, match="does not open"):
        apply(record.state, {**second, "first_sheet": {"vote": "B"}})
    with pytest.raises(AuditRefused, match="differs must name"):
        apply(record.state, {**second, "differs": []})
    record.add(second)
    assert record.state.ballot_status(ballot) == "discrepancy"
    assert replay(json.loads(json.dumps(record.payloads))).ballot_entries[ballot][1].vote == "A"
