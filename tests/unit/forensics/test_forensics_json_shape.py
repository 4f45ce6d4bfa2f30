"""The results' JSON is one shape (review13d #9): a statistic that counts is an integer (Russia
2012's integer test said ``"statistic": 30326.0``), and a level is a key everywhere (anomalies
abroad said "territorial commission abroad" beside ``territorial_commission``)."""

from __future__ import annotations

from escrutinio.forensics import anomalies, simulate
from escrutinio.forensics.results import ForensicResult


def test_a_count_is_an_integer_and_a_measure_stays_a_float() -> None:
    count = ForensicResult(test="integer_peaks.either", statistic=30326.0, statistic_name="integer_tables", reading="")
    assert count.to_dict()["statistic"] == 30326 and isinstance(count.to_dict()["statistic"], int)
    over = ForensicResult(test="anomalies.turnout_full", statistic=12.0, statistic_name="tables_at_or_over_95", reading="")
    assert isinstance(over.to_dict()["statistic"], int)
    tilt = ForensicResult(test="fingerprint.klimek", statistic=1.0, statistic_name="within_area_rank_correlation", reading="")
    assert isinstance(tilt.to_dict()["statistic"], float)


def test_a_level_abroad_is_a_key() -> None:
    frame = simulate.synthetic_election(600, seed=3)
    abroad = frame["department"].unique().sort().to_list()[:1]
    results = anomalies.run(
        frame,
        abroad=abroad,
        level_names={"district": "territorial_commission"},
        abroad_names={"district": "territorial commission abroad"},
    )
    levels = {r.test: r.level for r in results if r.level is not None}
    assert levels["anomalies.unanimous.abroad"] == "territorial_commission_abroad", levels
    assert all(" " not in level for level in levels.values()), levels
