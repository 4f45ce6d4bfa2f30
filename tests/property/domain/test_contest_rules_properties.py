"""Properties of the rule evaluation: exact integer comparisons agree with Fraction arithmetic
at every count, boundaries included; a winner always meets an alternative the definition lists."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from escrutinio.domain.contest_rules import Bound, Comparison, Threshold, VoidRule
from escrutinio.domain.election import CountingRules
from escrutinio.domain.ids import ChoiceId
from escrutinio.domain.rules import OutcomeKind, decide

bounds = st.builds(Bound, st.sampled_from(list(Comparison)), st.fractions(min_value=0, max_value=1, max_denominator=1000))
counts = st.integers(min_value=0, max_value=10**9)


@given(bounds, counts, st.integers(min_value=1, max_value=10**9))
def test_a_bound_compares_as_the_exact_fraction(bound: Bound, part: int, whole: int) -> None:
    share = Fraction(part, whole)
    expected = share > bound.value if bound.op is Comparison.MORE else share >= bound.value
    assert bound.holds(part, whole) is expected


@given(bounds, st.integers(min_value=1, max_value=10**6))
def test_at_the_boundary_only_at_least_holds(bound: Bound, scale: int) -> None:
    whole = bound.value.denominator * scale
    part = bound.value.numerator * scale
    assert bound.holds(part, whole) is (bound.op is Comparison.AT_LEAST)


@given(
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=3, max_size=6),
    st.lists(st.builds(Threshold, bounds, st.none() | bounds), min_size=1, max_size=3),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=10**7),
)
def test_the_outcome_follows_the_rule_it_names(votes: list[int], thresholds: list[Threshold], blank: int, null: int) -> None:
    typed = {ChoiceId(f"C{i}"): v for i, v in enumerate(votes)}
    cast = sum(votes) + blank + null
    rules = CountingRules(thresholds=tuple(thresholds), void=VoidRule(Bound(Comparison.MORE, Fraction(2, 3))))
    out = decide(typed, blank, null, cast, rules)
    ranked = sorted(votes, reverse=True)
    valid = sum(votes)
    if valid == 0:
        assert out.kind is OutcomeKind.NO_VOTES
        return
    if Fraction(blank + null, cast) > Fraction(2, 3):
        assert out.kind is OutcomeKind.VOID
        return
    share, lead = Fraction(ranked[0], valid), Fraction(ranked[0] - ranked[1], valid)

    def meets(t: Threshold) -> bool:
        def ok(b: Bound, x: Fraction) -> bool:
            return x > b.value if b.op is Comparison.MORE else x >= b.value

        return ok(t.share, share) and (t.lead is None or ok(t.lead, lead))

    if any(meets(t) for t in thresholds) and ranked[0] > ranked[1]:
        assert out.kind is OutcomeKind.WINNER and out.met in thresholds and meets(out.met)
        assert typed[out.winner] == ranked[0]  # type: ignore[index]
    else:
        assert out.kind in (OutcomeKind.RUNOFF, OutcomeKind.TIE)
        assert out.kind is OutcomeKind.TIE or {typed[c] for c in out.runoff} <= set(ranked[:2])
