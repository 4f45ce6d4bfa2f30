"""Properties of contests with many choices (maxima over pairs) and of round sizes (capping)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escrutinio.audit.bravo import bravo_risk
from escrutinio.audit.contest import Contest, ContestBatches, worst_pair
from escrutinio.audit.macro import BatchManifest, macro_sample_size
from escrutinio.audit.rounds import bravo_next_round, macro_next_round, minerva_next_round, supersimple_next_round

ALPHAS = st.sampled_from(["0.01", "0.05", "0.1", "0.2"])


@st.composite
def contest_batches(draw: st.DrawFn) -> ContestBatches:
    """3 to 5 choices, 1 or 2 winners, 2 to 12 tables; the winners lead every loser."""
    choices = ("A", "B", "C", "D", "E")[: draw(st.integers(3, 5))]
    tables = draw(st.integers(2, 12))
    votes = np.array(
        [[draw(st.integers(0, 60)) for _ in choices] for _ in range(tables)],
        dtype=np.int64,
    )
    ballots = votes.sum(axis=1) + np.array([draw(st.integers(0, 10)) for _ in range(tables)], dtype=np.int64)
    totals = dict(zip(choices, (int(v) for v in votes.sum(axis=0)), strict=True))
    contest = Contest.leaders(totals, int(ballots.sum()), seats=draw(st.integers(1, 2)))
    assume(not contest.tied)
    return ContestBatches(contest, tuple(f"t{i}" for i in range(tables)), votes, ballots)


def _pair_manifest(batches: ContestBatches, pair: tuple[str, str]) -> BatchManifest:
    columns = list(batches.contest.votes)
    w, loser = columns.index(pair[0]), columns.index(pair[1])
    return BatchManifest.build(batches.tables, batches.votes[:, w], batches.votes[:, loser], batches.ballots)


@settings(max_examples=80, deadline=None)
@given(contest_batches(), ALPHAS)
def test_macro_over_a_contest_covers_every_pair(batches: ContestBatches, alpha: str) -> None:
    """Each table's bound is at least each pair's, so U and MACRO's size are at least every pair's."""
    U = batches.total_error_bound
    for pair in batches.contest.pairs():
        own = _pair_manifest(batches, pair)
        assert (Fraction(1, batches.scale) * batches.bound_numerators >= own.bound_numerators / Fraction(own.margin)).all()
        assert own.total_error_bound <= U
        if own.total_error_bound > 1:
            assert macro_sample_size(U, alpha) >= macro_sample_size(own.total_error_bound, alpha)


@settings(max_examples=80, deadline=None)
@given(contest_batches(), st.data())
def test_a_contest_taint_is_at_least_every_pairs_share_of_the_bound(batches: ContestBatches, data: st.DataObject) -> None:
    """The taint of a hand count is the largest of the pairs' overstatements over the table's bound."""
    index = data.draw(st.integers(0, len(batches.tables) - 1))
    assume(batches.bound_numerators[index] > 0)
    hand = {c: data.draw(st.integers(0, 60)) for c in batches.contest.votes}
    found = batches.taint(batches.tables[index], hand)
    bound = Fraction(int(batches.bound_numerators[index]), batches.scale)
    columns = list(batches.contest.votes)
    shares = []
    for w, loser in batches.contest.pairs():
        reported = int(batches.votes[index, columns.index(w)] - batches.votes[index, columns.index(loser)])
        error = Fraction(reported - (hand[w] - hand[loser]), batches.contest.margin((w, loser)))
        shares.append(error / bound)
    assert found == max(shares)
    assert found <= 1 or max(shares) > 1


@settings(max_examples=60, deadline=None)
@given(contest_batches(), st.data())
def test_a_contests_risk_is_its_worst_pairs(batches: ContestBatches, data: st.DataObject) -> None:
    sample = {c: data.draw(st.integers(0, 40)) for c in batches.contest.votes}
    contest = batches.contest

    def risk_of(w: str, loser: str) -> float:
        return bravo_risk(contest.votes[w], contest.votes[loser], sample[w], sample[loser])

    risk, pair = worst_pair(contest, risk_of)
    assert all(risk_of(w, loser) <= risk for w, loser in contest.pairs())
    assert pair in contest.pairs()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(0, 300), st.integers(0, 60), ALPHAS, st.integers(0, 40))
def test_round_sizes_never_pass_the_population(winner: int, loser: int, others: int, alpha: str, drawn: int) -> None:
    """Drawn so far plus the next round stay within the ballots; reaching them is a hand count."""
    ballots = winner + loser + others
    drawn = min(drawn, ballots)
    sizes = [
        (drawn, bravo_next_round(winner, loser, ballots, alpha, drawn=drawn)),
        (0, minerva_next_round(winner, loser, ballots, alpha)),
        (0, supersimple_next_round(winner, loser, ballots, alpha)),
    ]
    for spent, size in sizes:
        assert size.draws >= 0 and spent + size.draws <= ballots
        if not size.full_hand_count:
            assert spent + size.draws < ballots
        else:
            assert spent + size.draws == ballots
    if winner <= loser:
        assert all(size.full_hand_count for _, size in sizes)


@settings(max_examples=60, deadline=None)
@given(st.fractions(min_value=Fraction(11, 10), max_value=Fraction(10**4)), ALPHAS, st.integers(1, 400))
def test_batch_rounds_never_pass_the_tables(bound: Fraction, alpha: str, tables: int) -> None:
    size = macro_next_round(bound, alpha, tables=tables)
    assert size.draws <= tables
    assert size.full_hand_count == (macro_sample_size(bound, alpha) >= tables)
