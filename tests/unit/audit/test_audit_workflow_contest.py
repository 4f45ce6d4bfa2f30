"""The audit record of a contest with several choices and winners: a manifest of every choice's
votes, hand counts of every choice, every winner–loser pair's risk, and the contest's risk as
their maximum (polling) or MACRO's per-table maximum (batch comparison)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from tests.contest_audits import ContestRecord, contest_manifest, split_votes

from escrutinio.audit.alpha import alpha_polling_risk, polling_values
from escrutinio.audit.bravo import bravo_risk
from escrutinio.audit.contest import pair_label
from escrutinio.audit.macro import macro_risk
from escrutinio.audit.manifest import AuditManifest, manifest_from_frame
from escrutinio.audit.risk import parse_risk
from escrutinio.audit.simulate import synthetic_frame
from escrutinio.audit.workflow import AuditRefused, hand_count_event, planned_event, replay

TOTALS = {"A": 4_000, "B": 3_000, "C": 2_400, "D": 600}
"""Two winners (A and B, as two going to a runoff) over C and D: closest pair B>C (600)."""


@pytest.fixture(scope="module")
def manifest() -> AuditManifest:
    votes, ballots = split_votes(TOTALS, 50, extra=8)
    return contest_manifest(votes, ballots, ["A", "B"])


def test_the_manifest_carries_every_choice_and_reads_back(manifest: AuditManifest) -> None:
    columns = manifest.to_columns()
    assert columns["choices"] == ["A", "B", "C", "D"] and columns["winners"] == ["A", "B"]
    assert [sum(v) for v in columns["votes"]] == list(TOTALS.values())
    again = AuditManifest.from_columns(columns)
    assert again.sha256 == manifest.sha256 and again.every_choice
    planned = planned_event(manifest, "B", "C", "0.1", method="macro")
    assert planned["manifest"] == columns and (planned["winner"], planned["loser"]) == ("B", "C")


def test_a_pair_manifest_stays_a_pair_record() -> None:
    """A runoff's record is written as before: no choices in its manifest, no pair risks."""
    pair = manifest_from_frame(synthetic_frame(80, winner_share=0.6, seed="pair"), "A", "B")
    assert "votes" not in pair.to_columns() and not pair.every_choice
    record = ContestRecord(pair, "macro")
    record.draw()
    record.count_tables()
    measured = record.measure()
    assert "pair_risks" not in measured and measured["decision"] == "confirmed"
    assert record.state.pairs() == [("A", "B")]


def test_the_audited_pair_must_be_a_winner_over_a_loser(manifest: AuditManifest) -> None:
    with pytest.raises(AuditRefused, match="A>B is not a reported winner over a reported loser"):
        replay([planned_event(manifest, "A", "B", "0.1", method="macro")])


def test_macro_takes_each_tables_largest_taint_over_the_pairs(manifest: AuditManifest) -> None:
    """Two votes moved from B to C in one table overstate B>C (by 4 of its 600), A>C (by 2 of
    1,600) and B>D (by 2 of 2,400), not A>D: the table's taint is B>C's; the contest's risk is MACRO's over those taints, and
    each pair's risk (its own taints, the same bounds) is at most it."""
    record = ContestRecord(manifest, "macro")
    drawn = record.draw()
    moved = drawn["tables"][0]

    def hand(table: str, sheet: dict[str, int]) -> dict[str, int]:
        if table == moved:
            sheet["B"], sheet["C"] = sheet["B"] - 2, sheet["C"] + 2
        return sheet

    record.count_tables(hand)
    measured = record.measure()
    state = record.state
    U = state.contest_batches().total_error_bound
    taints = state.taints()
    assert measured["risk"] == record.payloads[-1]["risk"]
    assert parse_risk(measured["risk"]) == pytest.approx(macro_risk(U, taints), rel=1e-12)
    pair_risks = {pair: parse_risk(r) for pair, r in measured["pair_risks"].items()}
    assert len(pair_risks) == 4 and max(pair_risks.values()) == pytest.approx(float(parse_risk(measured["risk"])))
    assert pair_risks["A>D"] < pair_risks["B>D"] < pair_risks["A>C"] < pair_risks["B>C"]  # 0, 2/2,400, 2/1,600, 4/600
    row = next(r for r in record.state.comparisons() if r["table"] == moved)
    assert row["worst_pair"] == "B>C" and Fraction(row["taint"]) == max(taints) > 0
    summary_pairs = {pair_label(p) for p in state.pairs()}
    assert summary_pairs == set(measured["pair_risks"])
    assert replay(record.payloads).measurements == state.measurements  # recomputed from the payloads


def test_a_measured_pair_risk_that_differs_is_refused(manifest: AuditManifest) -> None:
    record = ContestRecord(manifest, "macro")
    record.draw()
    record.count_tables()
    measured = record.measure()
    forged = {**measured, "pair_risks": {**measured["pair_risks"], "B>C": "0.001"}}
    with pytest.raises(AuditRefused, match="differs from the recomputed one"):
        replay([*record.payloads[:-1], forged])
    missing = {k: v for k, v in measured.items() if k != "pair_risks"}
    with pytest.raises(AuditRefused, match="differs from the recomputed one"):
        replay([*record.payloads[:-1], missing])


def test_a_hand_count_gives_every_choice(manifest: AuditManifest) -> None:
    record = ContestRecord(manifest, "macro")
    table = record.draw()["tables"][0]
    with pytest.raises(AuditRefused, match="counts must include 'A', 'B', 'C', 'D'") as refused:
        record.add(hand_count_event(table, 1, {"A": 80, "B": 60, "C": 48}, 220, "clerk"))
    assert refused.value.field == "D"


@pytest.mark.parametrize("method", ["bravo", "alpha_polling"])
def test_polling_confirms_every_pair_and_its_risk_is_the_largest(manifest: AuditManifest, method: str) -> None:
    """Ballots read as A, B, C, D and blank in the reported shares; each pair is tested on its own
    ballots (a C ballot is nothing to A>B); the risk is the largest pair risk."""
    record = ContestRecord(manifest, method)
    record.draw()
    cycle = ["A"] * 40 + ["B"] * 30 + ["C"] * 24 + ["D"] * 6 + ["blank"]
    record.read_ballots(lambda i: cycle[i % len(cycle)])
    measured = record.measure()
    readings = record.state.readings()
    n = record.state.contest_batches().contest.ballots

    def independent(w: str, loser: str) -> float:
        if method == "bravo":
            return bravo_risk(TOTALS[w], TOTALS[loser], readings.count(w), readings.count(loser))
        return alpha_polling_risk(TOTALS[w], TOTALS[loser], n, polling_values(readings, w, loser))

    expected = {pair_label(p): independent(*p) for p in record.state.pairs()}
    got = {pair: float(parse_risk(r)) for pair, r in measured["pair_risks"].items()}
    assert got == pytest.approx(expected, rel=1e-9)
    assert float(parse_risk(measured["risk"])) == pytest.approx(max(expected.values()), rel=1e-9)
