"""Where the count is cut: only where its order changes moment (tables counted at one moment are one
set), and each cut's interval depends on the set it holds, not on the rows' order or the other cuts."""

from __future__ import annotations

import numpy as np
import polars as pl

from escrutinio.forensics import count_order, simulate


def _election() -> pl.DataFrame:
    return simulate.synthetic_election(3000, seed=5)


def test_forensics_count_order_one_moment_is_one_cut_whatever_the_rows_order() -> None:
    """The same 2,000 tables counted at one moment (rank 1 each), listed in two row orders: one cut
    (no made-up intermediate ones), and the same projection and interval."""
    f = _election()
    listed = f.filter(pl.col("order") <= 2000)["table"].to_list()
    one = f.with_columns(pl.when(pl.col("table").is_in(listed)).then(1).otherwise(None).cast(pl.Int64).alias("order"))
    results = [
        count_order.test(frame, winner="A") for frame in (one, one.reverse(), one.sample(fraction=1.0, shuffle=True, seed=3))
    ]
    for r in results:
        assert [c["tables_counted"] for c in r.estimates["cuts"]] == [2000]
    ends = {(r.estimates["projected_margin_points"], r.estimates["low"], r.estimates["high"]) for r in results}
    assert len(ends) == 1, ends


def test_forensics_count_order_cuts_only_where_the_moment_changes() -> None:
    assert count_order.cut_points(np.array([1, 1, 1, 2, 2, 2, 2, 3, 3, 3]), (0.25, 0.5, 0.75)) == [3, 7, 10]
    assert count_order.cut_points(np.array([1] * 10), (0.25, 0.5, 0.75)) == [10]
    # A plain rank (too many moments): the checkpoints, and the last moment leaving a fifth to count
    # (it was the last moment before the end: 99, one table left).
    assert count_order.cut_points(np.arange(1, 101), (0.25, 0.5, 0.75)) == [25, 50, 75, 80, 100]
    assert count_order.cut_points(np.arange(1, 101), ()) == [80, 100]
    # Checkpoints past the judged moment are not cuts: the curve stops where the story is told.
    assert count_order.cut_points(np.arange(1, 101), (0.5, 0.9)) == [50, 80, 100]
    assert count_order.cut_points(np.arange(1, 101), (0.25, 0.5, 0.75), complete=False) == [25, 50, 75, 100]
    # Moments of several tables: the last ending at or before 80 %; none there, the first moment.
    assert count_order.cut_points(np.repeat(np.arange(1, 21), 5), ()) == [80, 100]
    assert count_order.cut_points(np.r_[np.ones(90, int), np.arange(2, 15)], ()) == [90, 103]


def test_forensics_count_order_every_real_moment_is_a_cut() -> None:
    """A few moments (snapshots) are each a cut wherever they fall: the TREP halt at 83.85 % is past
    the 75 % checkpoint and was dropped when only checkpoints were cuts."""
    rank = np.array([1] * 84 + [2] * 11 + [3] * 5)
    assert count_order.cut_points(rank, (0.25, 0.5, 0.75)) == [84, 95, 100]
    assert count_order.judged_cut([84, 95, 100], complete=True) == 95
    assert count_order.judged_cut([84, 95], complete=False) == 95
    assert count_order.judged_cut([100], complete=True) == 100


def test_forensics_count_order_is_judged_at_the_last_moment_before_the_end() -> None:
    """Every table listed, a first moment past 75 % and the rest at a second: the story is told at
    the first (the last moment before the end), not 'every table is in the order'."""
    f = _election()
    f = f.with_columns(pl.when(pl.col("order") <= 2600).then(1).otherwise(2).cast(pl.Int64).alias("order"))
    r = count_order.test(f, winner="A")
    e = r.estimates
    assert [c["tables_counted"] for c in e["cuts"]] == [2600, 3000]
    assert e["tables_counted_at_cut"] == 2600 and e["low"] is not None, e
    assert "before the end, with 2,600 of the 3,000" in r.reading


def test_forensics_count_order_an_incomplete_order_reports_every_moment() -> None:
    """Two snapshots listed (the rest counted later): both are cuts, the story is judged at the second
    and the first is told as well."""
    f = _election()
    f = f.with_columns(
        pl.when(pl.col("order") <= 2500)
        .then(1)
        .when(pl.col("order") <= 2800)
        .then(2)
        .otherwise(None)
        .cast(pl.Int64)
        .alias("order")
    )
    r = count_order.test(f, winner="A")
    e = r.estimates
    assert [c["tables_counted"] for c in e["cuts"]] == [2500, 2800]
    assert e["tables_counted_at_cut"] == 2800
    assert "Earlier in the count: with 2,500 tables (83.3 %)" in r.reading


def test_forensics_count_order_last_interval_does_not_depend_on_the_cuts_before_it() -> None:
    """Intermediate cuts draw their own bootstrap: asking for them leaves the last cut's interval as it is."""
    f = _election().with_columns(pl.when(pl.col("order") <= 2000).then(pl.col("order")).otherwise(None).alias("order"))
    alone = count_order.test(f, winner="A", checkpoints=()).estimates
    along = count_order.test(f, winner="A", checkpoints=(0.25, 0.5, 0.75)).estimates
    assert len(along["cuts"]) == 4
    assert (alone["low"], alone["high"]) == (along["low"], along["high"])


def test_forensics_count_order_says_when_no_listed_table_is_counted() -> None:
    """An order listing only an annulled table is an order given: the result says none of its tables
    is counted, not that no order was given."""
    f = _election()
    first = f["table"][0]
    f = f.with_columns(
        pl.when(pl.col("table") == first).then(pl.lit("annulled")).otherwise(pl.col("state")).alias("state"),
        pl.when(pl.col("table") == first).then(1).otherwise(None).cast(pl.Int64).alias("order"),
    )
    r = count_order.test(f, winner="A", order_label="the order given in one.csv")
    assert r.flagged() is None
    assert r.reading == (
        "Cannot tell: none of the tables in the order given in one.csv is counted (1 annulled): "
        "there is no count to project from."
    )
    assert "--order" not in r.reading


def test_forensics_count_order_full_rank_is_judged_with_a_fifth_left() -> None:
    """A full rank (one table a moment, as intake's arrival times give), each polling place's tables
    spread through the count and the places leaning B first at each step: the margin moves toward A
    late, and the places' own counted tables say why. It was judged with one table left, where the
    interval (+1.577 to +1.582) held neither much nor the final +1.582, and was flagged; now it is
    judged at 2,400 of 3,000 and the late shift is explained by where the late tables are."""
    f = _election()
    lean = pl.col("v_A").sum().over("polling_place") / pl.col("valid").sum().over("polling_place")
    position = pl.col("table").rank("ordinal").over("polling_place") / pl.len().over("polling_place")
    g = f.with_columns((position + 0.5 * lean).rank("ordinal").cast(pl.Int64).alias("order"))
    r = count_order.test(g, winner="A")
    e = r.estimates
    assert [c["tables_counted"] for c in e["cuts"]] == [750, 1500, 2250, 2400, 3000]
    assert e["tables_counted_at_cut"] == 2400
    assert e["cuts"][3]["margin_so_far_points"] < 0 < e["realised_margin_points"]
    assert e["low"] <= e["realised_margin_points"] <= e["high"], e
    assert not e["low"] <= e["cuts"][3]["margin_so_far_points"] <= e["high"], e
    assert r.flagged() is False and "explained by where the late tables are" in r.reading
    assert "that leaves at least 20 % of the counted tables to count, with 2,400 of the 3,000" in r.reading
    for key in ("projected_margin_points", "low", "high", "realised_margin_points"):
        assert e[key] is not None
