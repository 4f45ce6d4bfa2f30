"""ALPHA without replacement is a valid test on tiny populations where the null holds exactly,
checked against brute-force enumeration of every draw order (no simulation, no tolerance)."""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.audit.alpha import alpha_polling_risk


@st.composite
def tied_populations(draw: st.DrawFn) -> tuple[tuple[float, ...], tuple[int, int]]:
    """A true population whose polling mean is exactly 1/2 (as many winner as loser ballots, plus
    others), and a reported result that says the winner won (the null, a tie, is true)."""
    pairs = draw(st.integers(1, 3))
    others = draw(st.integers(0, 2))
    population = (1.0,) * pairs + (0.0,) * pairs + (0.5,) * others
    size = len(population)
    loser = draw(st.integers(0, (size - 1) // 2))
    winner = draw(st.integers(loser + 1, size - loser))
    return population, (winner, loser)


@settings(max_examples=80, deadline=None)
@given(tied_populations(), st.booleans())
def test_no_draw_order_gives_a_risk_below_its_chance(case: tuple[tuple[float, ...], tuple[int, int]], fixed: bool) -> None:
    """Over every order of drawing the whole population, P(risk <= a) <= a for every attained a
    (Ville's inequality for the running maximum), with shrink-trunc or a fixed bet."""
    population, (winner, loser) = case
    size = len(population)
    orders = Counter(itertools.permutations(population))
    total = sum(orders.values())
    eta = 0.9 if fixed else None
    risks = Counter()
    for order, count in orders.items():
        risk = alpha_polling_risk(winner, loser, size, np.array(order), without_replacement=True, eta=eta)
        risks[risk] += count
    below = 0
    for risk in sorted(risks):
        below += risks[risk]
        assert Fraction(below, total) <= Fraction(risk) * (1 + Fraction(1, 10**9)), (risk, below, total)


def test_the_enumeration_catches_a_refutation_taken_for_evidence() -> None:
    """1, 1, 0, 0 leaves a null mean of 0 after two draws; were the next 0 read as refuting the
    null, 1 order in 6 would give risk 0 (the bug this guards)."""
    orders = set(itertools.permutations((1.0, 1.0, 0.0, 0.0)))
    zero = [o for o in orders if alpha_polling_risk(3, 1, 4, np.array(o), without_replacement=True) == 0.0]
    assert zero == []
