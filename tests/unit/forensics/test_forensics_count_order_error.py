"""Where the count-order projection's point misses the final margin: each late table's part, split into
share and turnout, and the split by where its rate came from, in the JSON and the words (issue 13,
must-have 5: Bolivia's TREP halt is projected 0.19 points short, and the output must say where)."""

from __future__ import annotations

import numpy as np
import polars as pl

from escrutinio.forensics import count_order, count_order_error, simulate


def test_count_order_error_parts_add_up_and_follow_the_margin():
    """A table's share and turnout parts add up to its part exactly; the parts of the late tables add up
    to the projected margin's error to first order."""
    rng = np.random.default_rng(4)
    votes = rng.integers(20, 200, size=(500, 3)).astype(np.float64)
    projected = votes.copy()
    late = np.arange(500) >= 400
    projected[late] = votes[late] * rng.uniform(0.97, 1.03, size=(100, 3))
    parts = count_order_error.per_table_error(votes, projected)
    assert np.allclose(parts["share"] + parts["turnout"], parts["error"])
    assert np.all(parts["error"][~late] == 0)
    real, whole = votes.sum(axis=0), projected.sum(axis=0)
    error = 100 * ((whole[0] - whole[1]) / whole.sum() - (real[0] - real[1]) / real.sum())
    assert abs(parts["error"].sum() - error) < 0.01 * abs(error) + 1e-3, (parts["error"].sum(), error)


def _finished(late_from: int = 1500) -> pl.DataFrame:
    f = simulate.synthetic_election(4000, seed=21)
    return f.with_columns(pl.when(pl.col("order") <= late_from).then(pl.col("order")).otherwise(None).alias("order"))


def test_count_order_says_how_far_its_point_is_from_the_final_margin_and_from_which_tables():
    r = count_order.test(_finished(), winner="A", checkpoints=(), bootstrap=100)
    e = r.estimates
    miss = e["point_error_points"]
    assert miss == e["projected_margin_points"] - e["realised_margin_points"]
    parts = e["point_error_by_source"]
    assert parts["own_area"]["tables"] + parts["like_areas"]["tables"] == 4000 - 1500
    total = parts["own_area"]["points"] + parts["like_areas"]["points"]
    assert abs(total - miss) < 0.05 * abs(miss) + 0.01, (total, miss)
    for part in parts.values():
        assert abs(part["share_points"] + part["turnout_points"] - part["points"]) < 1e-9
    assert f"The projection's point is {miss:+.2f} points off the final margin" in r.reading
    assert f"{parts['own_area']['points']:+.2f} from the {parts['own_area']['tables']:,} late tables" in r.reading


def test_count_order_on_a_live_count_gives_no_point_error():
    f = _finished()
    live = f.with_columns(
        pl.when(pl.col("order").is_null()).then(pl.lit("pending")).otherwise(pl.col("state")).alias("state"),
        *[pl.when(pl.col("order").is_null()).then(0).otherwise(pl.col(c)).alias(c) for c in ("v_A", "v_B")],
    )
    e = count_order.test(live, winner="A", checkpoints=(), bootstrap=100).estimates
    assert e["point_error_points"] is None and e["point_error_by_source"] is None
