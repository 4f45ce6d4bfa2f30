"""Properties of a recorded contest audit (several choices and winners): the risk is the
largest pair risk (polling) or at least every pair's (MACRO's per-table maximum), and adding a
losing candidate never lowers it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.contest_audits import ContestRecord, contest_manifest

from escrutinio.audit.bravo import bravo_risk
from escrutinio.audit.contest import pair_label
from escrutinio.audit.manifest import AuditManifest, manifest_from_frame
from escrutinio.audit.methods import METHODS
from escrutinio.audit.risk import parse_risk
from escrutinio.audit.simulate import synthetic_frame
from escrutinio.audit.workflow import AuditMethod, AuditState, BallotReading

CHOICES = ("A", "B", "C", "D")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def contests(draw: st.DrawFn) -> tuple[dict[str, list[int]], list[int], list[str]]:
    """3 or 4 choices over 3 to 6 tables, 1 or 2 winners with 20 to 40 votes a table and losers
    with up to 8 (clear margins keep samples small), and some blank ballots in every table."""
    choices = CHOICES[: draw(st.integers(3, 4))]
    winners = list(choices[: draw(st.integers(1, 2))])
    tables = draw(st.integers(3, 6))
    votes = {c: [draw(st.integers(20, 40) if c in winners else st.integers(0, 8)) for _ in range(tables)] for c in choices}
    ballots = [sum(votes[c][i] for c in choices) + draw(st.integers(4, 12)) for i in range(tables)]
    return votes, ballots, winners


def _readings(draw: st.DrawFn, choices: tuple[str, ...]) -> list[str]:
    return draw(st.lists(st.sampled_from([*choices, "blank"]), min_size=1, max_size=200))


def _polled(
    method: str, votes: dict[str, list[int]], ballots: list[int], winners: list[str], readings: list[str]
) -> ContestRecord:
    record = ContestRecord(contest_manifest(votes, ballots, winners), method, "0.2")
    record.draw()
    record.read_ballots(lambda i: readings[i % len(readings)])
    return record


@SETTINGS
@given(contests(), st.sampled_from(["bravo", "alpha_polling"]), st.data())
def test_a_polling_contests_risk_is_its_largest_pair_risk(contest, method: str, data: st.DataObject) -> None:
    votes, ballots, winners = contest
    record = _polled(method, votes, ballots, winners, _readings(data.draw, tuple(votes)))
    measured = record.measure()
    risks = {pair: parse_risk(r) for pair, r in measured["pair_risks"].items()}
    assert set(risks) == {pair_label(p) for p in record.state.pairs()}
    assert parse_risk(measured["risk"]) == max(risks.values())
    if method == "bravo":
        readings = record.state.readings()
        for w, loser in record.state.pairs():
            expected = bravo_risk(sum(votes[w]), sum(votes[loser]), readings.count(w), readings.count(loser))
            assert float(risks[f"{w}>{loser}"]) == pytest.approx(expected, rel=1e-9)


def _with_loser(manifest: AuditManifest, new: list[int]) -> AuditManifest:
    """The same tables and ballots, with a further losing choice E holding ``new`` votes (taken
    from ballots that voted for nobody)."""
    batches = manifest.contest_batches("", "")
    votes = {c: [int(v) for v in batches.votes[:, batches.contest_column(c)]] for c in batches.contest.votes}
    return contest_manifest({**votes, "E": new}, [int(b) for b in batches.ballots], list(batches.contest.winners))


def _reread(state: AuditState, manifest: AuditManifest, as_new: int) -> AuditState:
    """The same sample, the first ``as_new`` ballots read as blank now read as E."""
    entries, moved = {}, 0
    for ballot, readings in state.ballot_entries.items():
        if readings[1].vote == "blank" and moved < as_new:
            readings, moved = {k: BallotReading("E", r.by) for k, r in readings.items()}, moved + 1
        entries[ballot] = readings
    return replace(state, manifest=manifest, batches=manifest.contest_batches("", ""), ballot_entries=entries)


@SETTINGS
@given(contests(), st.sampled_from([AuditMethod.BRAVO, AuditMethod.ALPHA_POLLING]), st.data())
def test_adding_a_losing_candidate_never_lowers_a_polling_risk(contest, method: AuditMethod, data: st.DataObject) -> None:
    """The same ballots drawn, some blank ones now for a new loser E: every old pair keeps its
    risk, the new pairs only add, so the contest's risk cannot fall."""
    votes, ballots, winners = contest
    record = _polled(method.value, votes, ballots, winners, _readings(data.draw, tuple(votes)))
    before = METHODS[method].risk(record.state)
    spare = [b - sum(votes[c][i] for c in votes) for i, b in enumerate(ballots)]
    new = [data.draw(st.integers(0, s)) for s in spare]
    manifest = _with_loser(record.state.planned_manifest(), new)
    assume(not manifest.contest_batches("", "").contest.tied)
    after_state = _reread(record.state, manifest, data.draw(st.integers(0, 50)))
    rules = METHODS[method]
    assert rules.risk(after_state) >= before
    old_pairs = rules.pair_risks(record.state)
    assert {pair: risk for pair, risk in rules.pair_risks(after_state).items() if pair in old_pairs} == old_pairs


@SETTINGS
@given(contests(), st.data())
def test_macros_risk_is_at_least_every_pairs(contest, data: st.DataObject) -> None:
    """Any hand counts: the per-table maximum taint makes the contest's risk at least each
    pair's (the same draws and bounds, the pair's own taints)."""
    votes, ballots, winners = contest
    record = ContestRecord(contest_manifest(votes, ballots, winners), "macro", "0.2")
    record.draw()
    shift = {c: data.draw(st.integers(-3, 3)) for c in votes}
    record.count_tables(lambda table, sheet: {c: max(0, v + shift[c]) for c, v in sheet.items()})
    measured = record.measure()
    risk = parse_risk(measured["risk"])
    assert all(parse_risk(r) <= risk for r in measured["pair_risks"].values())
    taints = record.state.pair_taints()
    assert record.state.taints() == [max(t[i] for t in taints.values()) for i in range(len(record.state.draw_indices))]


@SETTINGS
@given(contests(), st.data())
def test_a_loser_that_is_not_the_closest_never_lowers_a_clean_macro_risk(contest, data: st.DataObject) -> None:
    """Hand counts equal to the sheets: a new loser E behind the closest pair's loser raises every
    table's bound or keeps it, so U and the risk of the same draws cannot fall. (A new closest
    pair changes the unit the bounds are rounded up in, so there the rounding may give a little
    back; and with errors found a larger bound also shrinks a table's taint.)"""
    votes, ballots, winners = contest
    record = ContestRecord(contest_manifest(votes, ballots, winners), "macro", "0.2")
    record.draw()
    record.count_tables()
    before = METHODS[AuditMethod.MACRO].risk(record.state)
    spare = [b - sum(votes[c][i] for c in votes) for i, b in enumerate(ballots)]
    manifest = _with_loser(record.state.planned_manifest(), [data.draw(st.integers(0, s)) for s in spare])
    old, new = record.state.contest_batches(), manifest.contest_batches("", "")
    assume(new.scale == old.scale)
    after = replace(record.state, manifest=manifest, batches=new)
    assert new.total_error_bound >= old.total_error_bound
    assert METHODS[AuditMethod.MACRO].risk(after) >= before


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(), min_size=2, max_size=2), st.lists(st.one_of(st.none(), st.text()), min_size=2, max_size=2))
def test_a_manifests_sha256_is_that_of_its_canonical_json(districts: list[str], places: list[str | None]) -> None:
    """Any district and polling-place text (quotes, control characters, non-ASCII) hashes as
    json.dumps(sort_keys, no spaces, UTF-8 as is) writes it, as records written before did."""
    assume(all(not any(0xD800 <= ord(c) <= 0xDFFF for c in t or "") for t in [*districts, *places]))
    for manifest in (
        contest_manifest({"A": [5, 6], "B": [1, 2], "C": [0, 1]}, [8, 10], ["A"]),
        manifest_from_frame(synthetic_frame(1, winner_share=0.6, seed="sha"), "A", "B"),
    ):
        tables = len(manifest.batches.tables)
        changed = replace(manifest, districts=tuple(districts[:tables]), polling_places=tuple(places[:tables]))
        text = json.dumps(changed.to_columns(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert changed.sha256 == hashlib.sha256(text.encode()).hexdigest()
