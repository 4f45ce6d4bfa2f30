"""The count-order projection on a live count (tables on the roll with no sheet yet) and with too
few tables in the order (issue 13, must-have 5; review11 #7, #15)."""

from __future__ import annotations

import polars as pl

from escrutinio.forensics import count_order, simulate

LATE = 1500
"""The synthetic election's first 1,500 tables in its order are counted; the rest are still to come."""


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(finished count with only the first tables in the order, the same moment on a live count)."""
    f = simulate.synthetic_election(4000, seed=21)
    early = pl.col("order") <= LATE
    finished = f.with_columns(pl.when(early).then(pl.col("order")).otherwise(None).alias("order"))
    counts = [c for c in ("v_A", "v_B", "cast", "valid", "blank", "null", "challenged") if c in f.columns]
    live = finished.with_columns(
        pl.when(early).then(pl.col("state")).otherwise(pl.lit("pending")).alias("state"),
        *[pl.when(early).then(pl.col(c)).otherwise(0).alias(c) for c in counts],
    )
    return finished, live


def test_count_order_on_a_live_count_projects_to_the_roll_and_claims_no_final_count():
    finished, live = _frames()
    done = count_order.test(finished, winner="A", checkpoints=(), bootstrap=200)
    r = count_order.test(live, winner="A", checkpoints=(), bootstrap=200)
    e, d = r.estimates, done.estimates
    # The tables with no sheet stand where the finished count's unlisted tables stood: same projection.
    assert (e["projected_margin_points"], e["low"], e["high"]) == (d["projected_margin_points"], d["low"], d["high"])
    assert e["tables_without_sheet"] == 4000 - LATE and e["tables_counted_in_all"] == LATE
    assert d["tables_without_sheet"] == 0 and d["realised_margin_points"] is not None
    assert e["realised_margin_points"] is None and e["realised_inside_interval"] is None
    assert e["late_shift_explained"] is None and r.flagged() is None
    assert "2,500 on the roll have no sheet yet" in r.reading and "the final count gave" not in r.reading


def test_count_order_with_too_few_tables_in_the_order_says_so():
    f = simulate.synthetic_election(400, seed=3)
    one = f.with_columns(pl.when(pl.col("order") <= 1).then(pl.col("order")).otherwise(None).alias("order"))
    r = count_order.test(one, winner="A", order_label="the order given in o.csv")
    assert r.flagged() is None
    assert r.reading == "Cannot tell: the order given in o.csv lists 1 counted table; at least 50 are needed to project from."
