"""Properties that guard the audit math, checked on generated inputs (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escrutinio.audit.alpha import alpha_batch_risk, alpha_polling_risk
from escrutinio.audit.bravo import bravo_risk
from escrutinio.audit.comparison import Discrepancies, kaplan_markov_risk
from escrutinio.audit.macro import macro_risk, taint
from escrutinio.audit.minerva import minerva_one_round_risk
from escrutinio.audit.risk import format_risk, parse_risk
from escrutinio.audit.sampler import consistent_sample, weighted_draws

seeds = st.text(alphabet="0123456789", min_size=20, max_size=30)
bounds = st.fractions(Fraction(2), Fraction(5000), max_denominator=10**6)
"""Totals of error bounds U (exact, as sums of integer numerators over the margin)."""


@st.composite
def contests(draw: st.DrawFn) -> tuple[int, int, int]:
    loser = draw(st.integers(0, 10_000))
    winner = draw(st.integers(loser + 1, loser + 10_000))
    ballots = draw(st.integers(winner + loser, winner + loser + 5_000))
    return winner, loser, ballots


# -- risk never falls when a discrepancy favouring the loser is added ---------------------------


@given(contests(), st.integers(1, 300), st.integers(0, 300))
def test_bravo_risk_does_not_fall_when_a_winner_ballot_turns_out_for_the_loser(
    contest: tuple[int, int, int], sample_winner: int, sample_loser: int
) -> None:
    winner, loser, _ = contest
    before = bravo_risk(winner, loser, sample_winner, sample_loser)
    assert bravo_risk(winner, loser, sample_winner - 1, sample_loser + 1) >= before
    assert bravo_risk(winner, loser, sample_winner - 1, sample_loser) >= before
    minerva_before = minerva_one_round_risk(winner, loser, sample_winner, sample_loser)
    assert minerva_one_round_risk(winner, loser, sample_winner - 1, sample_loser + 1) >= minerva_before - 1e-12


@st.composite
def hand_counted_tables(draw: st.DrawFn) -> list[tuple[int, int, int, int, int]]:
    """(sheet winner, sheet loser, ballots, hand winner, hand loser) for a few drawn tables."""
    rows = []
    for _ in range(draw(st.integers(1, 30))):
        ballots = draw(st.integers(1, 300))
        sheet_w = draw(st.integers(0, ballots))
        sheet_l = draw(st.integers(0, ballots - sheet_w))
        if sheet_w - sheet_l + ballots == 0:
            continue  # a zero error bound: PPEB never draws the table
        hand_w = draw(st.integers(0, ballots))
        hand_l = draw(st.integers(0, ballots - hand_w))
        rows.append((sheet_w, sheet_l, ballots, hand_w, hand_l))
    assume(rows)
    return rows


@settings(deadline=None)  # a deadline only measures the machine's load (2 shared cores)
@given(hand_counted_tables(), st.integers(0, 29), bounds)
def test_macro_and_alpha_batch_risk_do_not_fall_when_a_hand_count_moves_a_vote_to_the_loser(
    rows: list[tuple[int, int, int, int, int]], which: int, total_bound: Fraction
) -> None:
    which %= len(rows)
    sheet_w, sheet_l, ballots, hand_w, hand_l = rows[which]
    assume(hand_w > 0)
    taints = [taint(*row) for row in rows]
    worse = [*taints]
    worse[which] = taint(sheet_w, sheet_l, ballots, hand_w - 1, hand_l + 1)
    assert worse[which] > taints[which]
    assert macro_risk(total_bound, worse) >= macro_risk(total_bound, taints)
    assert alpha_batch_risk(total_bound, worse) >= alpha_batch_risk(total_bound, taints)


@given(contests(), st.integers(1, 2000), st.sampled_from(["o1", "o2"]))
def test_kaplan_markov_risk_does_not_fall_with_an_overstatement(contest: tuple[int, int, int], sample: int, kind: str) -> None:
    found = Discrepancies()
    assume(sample >= 1)
    more = Discrepancies(**{kind: 1})
    assert kaplan_markov_risk(*contest, sample, more) >= kaplan_markov_risk(*contest, sample, found)


@given(contests(), st.lists(st.sampled_from(["W", "L", "O"]), min_size=1, max_size=200), st.integers(0, 199))
def test_alpha_polling_risk_with_a_fixed_bet_does_not_fall_when_a_ballot_turns_to_the_loser(
    contest: tuple[int, int, int], ballots: list[str], which: int
) -> None:
    winner, loser, total = contest
    which %= len(ballots)
    assume(ballots[which] != "L")
    share = winner / (winner + loser)
    coded = np.array([{"W": 1.0, "L": 0.0, "O": 0.5}[b] for b in ballots])
    worse = coded.copy()
    worse[which] = 0.0
    eta = min(share, 0.999)
    assert alpha_polling_risk(winner, loser, total, worse, eta=eta) >= alpha_polling_risk(winner, loser, total, coded, eta=eta)


# -- risk at or below the limit only when the sample supports the reported winner ---------------


@given(contests(), st.integers(0, 500), st.integers(0, 500))
def test_bravo_never_confirms_a_sample_the_winner_does_not_lead(
    contest: tuple[int, int, int], sample_winner: int, extra_loser: int
) -> None:
    winner, loser, _ = contest
    assert bravo_risk(winner, loser, sample_winner, sample_winner + extra_loser) == 1.0


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # big fractions; a loaded machine
@given(bounds, st.lists(st.fractions(Fraction(0), Fraction(1), max_denominator=10**9), min_size=1, max_size=60))
def test_batch_audits_never_confirm_when_every_table_shows_its_share_of_the_margin_in_error(
    total_bound: Fraction, excess: list[Fraction]
) -> None:
    taints = [1 / total_bound + (1 - 1 / total_bound) * e for e in excess]
    assert macro_risk(total_bound, taints) == 1.0
    assert alpha_batch_risk(total_bound, taints) == 1.0


@given(contests(), st.lists(st.sampled_from([0.0, 0.5]), min_size=1, max_size=300))
def test_alpha_polling_never_confirms_without_a_ballot_for_the_winner(contest: tuple[int, int, int], values: list[float]) -> None:
    assert alpha_polling_risk(*contest, np.array(values)) == 1.0


# -- samples are reproducible and consistent ----------------------------------------------------


@given(seeds, st.lists(st.integers(0, 50), min_size=1, max_size=40), st.integers(1, 80), st.integers(0, 80))
def test_weighted_sample_drawn_twice_or_in_rounds_is_the_same(
    seed: str, weights: list[int], first_round: int, second_round: int
) -> None:
    assume(sum(weights) > 0)
    whole = weighted_draws(seed, weights, first_round + second_round)
    assert whole == weighted_draws(seed, weights, first_round + second_round)
    in_rounds = weighted_draws(seed, weights, first_round) + weighted_draws(seed, weights, second_round, first=first_round + 1)
    assert in_rounds == whole


@given(seeds, st.lists(st.integers(1, 50), min_size=1, max_size=30), st.integers(0, 30))
def test_tables_outside_the_count_do_not_change_which_tables_are_drawn(seed: str, weights: list[int], where: int) -> None:
    where %= len(weights) + 1
    padded = [*weights[:where], 0, *weights[where:]]
    plain = [d.index for d in weighted_draws(seed, weights, 50)]
    shifted = [d.index - (d.index > where) for d in weighted_draws(seed, padded, 50)]
    assert shifted == plain


@settings(max_examples=40)
@given(seeds, st.sets(st.integers(0, 999), min_size=2, max_size=40), st.data())
def test_consistent_sample_of_a_subset_is_the_sample_filtered(seed: str, ids: set[int], data: st.DataObject) -> None:
    everything = sorted(str(i) for i in ids)
    subset = data.draw(st.sets(st.sampled_from(everything), min_size=1))
    whole = consistent_sample(everything, seed, 60)
    part = consistent_sample(sorted(subset), seed, 60)
    filtered = [t for t in whole if t.id in subset]
    assert part[: len(filtered)] == filtered


@given(st.floats(min_value=0, max_value=2, allow_nan=False))
def test_stored_risk_is_never_below_the_measured_one(risk: float) -> None:
    assert parse_risk(format_risk(risk)) >= Fraction(min(risk, 1.0))
