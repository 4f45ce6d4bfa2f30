"""The count order's figures as its words give them: a p-value below what four decimals show reads
``p < 0.0001`` (it read "p = < 0.0001"), its Monte Carlo interval ``0 to 0.0076`` (it read "< 0.0001 to
0.0076"), and margins held against the interval's ends have 3 decimals, in the reading and in the
summary line (a final +10.565 read "+10.56" beside an upper end of "+10.56")."""

from __future__ import annotations

from escrutinio.forensics import count_order_verdict as v
from escrutinio.forensics.results import ForensicResult, SuiteResult


def test_a_tiny_p_value_and_an_interval_from_zero_read_as_figures():
    tiny = v.Verdict(p_value=3e-5, p_low=0.0, p_high=0.0076, draws=64_000, outside=True, low=0.1, high=0.11)
    words = v.p_words(tiny, 0.05)
    assert words.startswith("p < 0.0001: ") and "interval 0 to 0.0076," in words and "= <" not in words
    usual = v.Verdict(p_value=0.042, p_low=0.03, p_high=0.055, draws=2000, outside=None, low=0.1, high=0.11)
    assert v.p_words(usual, 0.05).startswith("p = 0.0420: ") and "interval 0.0300 to 0.0550," in v.p_words(usual, 0.05)


def test_the_summary_line_gives_a_count_order_interval_to_three_decimals():
    r = ForensicResult(
        test="count_order.projection",
        statistic=10.372,
        statistic_name="projected_margin_points",
        interval=(10.196, 10.5594),
        reading=".",
    )
    text = SuiteResult((r,), "A", ("A", "B"), None, 1000, 1000, 0.0).to_text()
    assert "projected_margin_points=+10.372" in text and "interval=+10.196 to +10.559" in text
