"""An interval in the text output reads "low to high": with thousands separators the bracketed pair
[30,185, 30,717] could be read as four numbers."""

from __future__ import annotations

from escrutinio.forensics.results import ForensicResult, SuiteResult


def test_an_interval_prints_as_low_to_high() -> None:
    r = ForensicResult(
        test="novel.count", statistic=30_400.5, statistic_name="expected", interval=(30_185.2, 30_717.4), reading="."
    )
    text = SuiteResult((r,), "A", ("A", "B"), None, 1000, 1000, 0.0).to_text()
    assert "interval=30,185.2 to 30,717.4" in text and "[" not in text.splitlines()[3]  # one decimal, as readings give it
