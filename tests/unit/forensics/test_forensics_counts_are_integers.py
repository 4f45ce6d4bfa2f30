"""Counts of tables (and of votes) are integers in every output, as the project's counts are:
JSON ``72``, CSV ``21`` (review11 #13: they printed ``72.0`` and ``21.0``)."""

from __future__ import annotations

import polars as pl

from escrutinio.forensics import anomalies, simulate
from escrutinio.forensics.results import csv_row

COUNTS = ("tables_at_or_over_100", "tables_at_or_above_null_threshold", "unanimous_tables", "identical_pairs", "tables_beyond_z")


def test_counts_of_tables_are_integers_in_json_and_csv():
    f = simulate.synthetic_election(800, seed=2)
    f = f.with_columns(pl.when(pl.col("order") < 5).then(pl.col("electors")).otherwise(pl.col("cast")).alias("cast"))
    results = [
        anomalies.turnout_full(f),
        anomalies.null_share(f),
        anomalies.unanimous(f, choices=["A", "B"], draws=99),
        anomalies.identical(f),
    ]
    for r in results:
        d = r.to_dict()
        assert d["statistic_name"] in COUNTS, d["statistic_name"]
        assert type(d["statistic"]) is int, (r.test, d["statistic"])
        assert "." not in str(csv_row(d)["statistic"]), (r.test, csv_row(d)["statistic"])
    assert results[0].to_dict()["statistic"] == 4  # orders 1 to 4: cast set to the electors


def test_a_listing_that_cannot_run_is_still_a_listing():
    """Chile's file has no electors: turnout_full cannot run, and stays a listing ("cannot tell"
    why) instead of becoming a test, so ``kind == "test"`` keeps the same set on every election
    (review11 #9)."""
    f = simulate.synthetic_election(200, seed=1).drop("electors")
    d = anomalies.turnout_full(f).to_dict()
    assert (d["kind"], d["status"], d.get("flagged")) == ("listing", "cannot tell", None)
    assert d["wording"].startswith("Cannot tell: the tables carry no registered electors")
