"""A finished count whose final margin falls outside the projection is worded as what is observed:
which way and by how much the late tables moved the margin beyond where they are, and how often the
method misses on clean counts read area by area. No cause, no "worth explaining"."""

from __future__ import annotations

import polars as pl
import pytest

from escrutinio.forensics import count_order, simulate
from escrutinio.forensics.measured import held_out_by_area


def test_count_order_final_margin_outside_says_by_how_much_and_no_cause() -> None:
    # Inside each polling place the tables leaning furthest to A come last: the late tables add more
    # to A's margin than the counted tables of their own places, which no projection from where they
    # are can show.
    f = simulate.synthetic_election(4000, seed=21)
    share = pl.col("v_A") / (pl.col("v_A") + pl.col("v_B"))
    late = share.rank("ordinal").over("polling_place") / pl.len().over("polling_place") > 0.9
    r = count_order.test(
        f.with_columns(pl.when(late).then(None).otherwise(pl.col("order")).alias("order")),
        winner="A",
        checkpoints=(),
        order_label="the test's order",
    )
    e = r.estimates
    assert r.flagged() is True and e["realised_margin_points"] > e["high"], e
    assert e["outside_interval_by_points"] == pytest.approx(e["realised_margin_points"] - e["high"])
    beyond = f"by {e['outside_interval_by_points']:.3f} points beyond the interval's upper end"
    assert f"the late tables moved the margin further toward A than where they are explains, {beyond}" in r.reading
    assert "That is what is observed, not its cause" in r.reading and held_out_by_area() in r.reading
    assert "worth explaining" not in r.reading


def test_count_order_inside_or_not_final_has_no_distance_outside() -> None:
    f = simulate.synthetic_election(4000, seed=21)
    r = count_order.test(
        f.with_columns(pl.when(pl.col("order") <= 3400).then(pl.col("order")).otherwise(None).alias("order")),
        winner="A",
        checkpoints=(),
        order_label="the test's order",
    )
    e = r.estimates
    assert e["low"] <= e["realised_margin_points"] <= e["high"], e
    assert e["outside_interval_by_points"] is None


def test_count_order_never_says_fewer_than_one_counted_table() -> None:
    """Whole districts late: with each place standing on one counted table (the default), an area with
    too few counted is one with none, said so (it read "has fewer than 1 counted tables")."""
    f = simulate.synthetic_election(4000, seed=21)
    early = pl.col("district").rank("dense") % 3 != 0
    r = count_order.test(
        f.with_columns(pl.when(early).then(pl.col("order")).otherwise(None).alias("order")),
        winner="A",
        checkpoints=(),
        order_label="the test's order",
    )
    assert r.estimates["cuts"][-1]["tables_from_coarser_areas"] > 0
    assert "has no counted table" in r.reading and "fewer than 1" not in r.reading, r.reading
