"""The void rule's worst case over the open claims is the best of every combination: the
Dinkelbach iteration against brute force, in exact fractions."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

from hypothesis import example, given
from hypothesis import strategies as st

from escrutinio.count.void_stakes import _worst

option = st.tuples(st.integers(0, 400), st.integers(0, 400)).map(lambda nc: (min(nc), max(nc)))  # spoilt <= cast


@given(option, st.lists(st.lists(option, min_size=1, max_size=3), max_size=6))
@example((0, 0), [[(0, 0), (5, 5)]])  # nothing cast yet: any ballots at all raise the share
def test_the_worst_case_is_the_largest_share_of_any_choice(fixed: tuple[int, int], options: list[list[tuple[int, int]]]) -> None:
    def share(n: int, c: int) -> Fraction:
        return Fraction(n, c) if c else Fraction(0)

    best = (
        max(share(fixed[0] + sum(p[0] for p in pick), fixed[1] + sum(p[1] for p in pick)) for pick in product(*options))
        if options
        else share(*fixed)
    )
    n, c = _worst(fixed, options)
    assert share(n, c) == best
