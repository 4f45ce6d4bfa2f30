"""The count-order verdict (forensics/count_order_verdict.py): a p-value decided by sequential Monte
Carlo, so the seed does not turn it, and "at the edge" when the draws cannot decide."""

from __future__ import annotations

import numpy as np
from scipy import stats

from escrutinio.forensics import count_order_verdict as v

HOW = {"method": "weibull"}


def _decide(seed: int, realised: float, **kw) -> v.Verdict:
    """The verdict on standard normal draws: 2,000 first, then more from the same stream."""
    rng = np.random.default_rng(seed)
    return v.decide(rng.normal(size=2000), realised, 0.05, lambda b, _r: rng.normal(size=b), **HOW, **kw)


def test_the_p_value_is_the_two_sided_share_of_draws_beyond_the_realised_margin():
    draws = np.arange(1.0, 100.0)  # 99 draws, 1 to 99
    assert v.margin_p_value(draws, 95.5) == (2 * 5 / 100, 4)  # 4 draws at or above: (1 + 4) / (1 + 99), twice
    assert v.margin_p_value(draws, 50.0)[0] == 1.0  # the middle: at most 1
    assert v.interval_ends(draws, 0.1, "weibull") == (5.0, 95.0)  # the 5 % and 95 % quantiles at alpha 0.1


def test_the_decision_does_not_turn_on_the_seed_and_the_edge_is_said():
    """A realised margin whose p is 0.03 or 0.08 under a normal law is decided the same way at every
    seed; one whose p is alpha itself is at the edge (neither) at almost every seed, after the most draws."""
    for p_true, want in ((0.03, True), (0.08, False)):
        z = stats.norm.ppf(1 - p_true / 2)
        got = {_decide(s, z).outside for s in range(30)}
        assert got == {want}, (p_true, got)
    z = stats.norm.ppf(1 - 0.05 / 2)
    edge = [_decide(s, z, max_draws=16_000) for s in range(20)]
    assert sum(e.outside is None for e in edge) >= 18 and all(e.outside is not False or e.p_low > 0.05 for e in edge)
    e = next(e for e in edge if e.outside is None)
    assert e.draws == 16_000 and e.p_low <= 0.05 <= e.p_high
    words = v.edge_words(e, 0.05, z / 100)
    assert "at the edge of the interval" in words and "still holds α = 0.05" in words and "16,000 draws" in words
