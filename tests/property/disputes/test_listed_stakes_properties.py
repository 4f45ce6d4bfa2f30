"""A published list's stakes: the bound holds for every combination of the listed tables'
outcomes, and both ends are reached by one of them (the bound is tight, not just safe)."""

from __future__ import annotations

from itertools import product

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.disputes.listed_stakes import listed_stakes
from escrutinio.domain import table_frame as tf

STATES = ["counted", "resolved", "observed", "annulled", "not_installed"]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(STATES), st.integers(0, 300), st.integers(0, 300), st.sampled_from("ab")),
        min_size=1,
        max_size=12,
    ),
    st.data(),
)
def test_every_combination_of_outcomes_lies_within_the_bound(rows: list, data: st.DataObject) -> None:
    n = len(rows)
    annulled = [r[0] == "annulled" for r in rows]
    frame = pl.DataFrame(
        {
            tf.TABLE: [f"{i:06d}" for i in range(n)],
            tf.DISTRICT: [r[3] for r in rows],
            tf.STATE: [r[0] for r in rows],
            "v_PL": [0 if a else r[1] for r, a in zip(rows, annulled, strict=True)],  # an annulled sheet's votes are out
            "v_FP": [0 if a else r[2] for r, a in zip(rows, annulled, strict=True)],
            tf.CAST: [r[1] + r[2] for r in rows],
        }
    )
    listed = [f"{i:06d}" for i in data.draw(st.lists(st.integers(0, n), max_size=6))]  # n is not a table
    counted = frame.filter(pl.col(tf.STATE).is_in(list(tf.COUNTED_STATES)))
    margin = int(counted["v_PL"].sum() - counted["v_FP"].sum())
    out = listed_stakes(frame, listed, "PL", "FP", margin)
    assert out["unknown_tables"] == ([f"{n:06d}"] if f"{n:06d}" in listed else [])
    changes = [[0, *(o["margin_change"] for o in t["outcomes"])] for t in out["per_table"]]
    reached = [margin + sum(c) for c in product(*changes)]
    assert min(reached) == out["lowest_margin"] and max(reached) == out["highest_margin"]
    assert out["can_change_winner"] == (out["lowest_margin"] <= 0)
    for t in out["per_table"]:
        ballots = t["ballots"]
        kinds = {o["outcome"]: o["margin_change"] for o in t["outcomes"]}
        if t["state"] == "annulled":  # counting it moves the margin by at most its ballots, either way
            assert kinds["count_worst_case"] == -ballots and kinds["count_best_case"] == ballots
            assert -ballots <= kinds.get("count_at_area_rates", 0) <= ballots
        elif t["state"] in tf.COUNTED_STATES:
            assert list(kinds) == ["annul"]


def test_an_annulled_table_is_counted_at_its_districts_rates() -> None:
    frame = pl.DataFrame(
        {
            tf.TABLE: ["1", "2", "3", "4"],
            tf.DISTRICT: ["a", "a", "b", "a"],
            tf.STATE: ["counted", "resolved", "counted", "annulled"],
            "v_PL": [60, 30, 0, 0],
            "v_FP": [20, 10, 90, 0],
            tf.CAST: [100, 50, 100, 300],
        }
    )
    out = listed_stakes(frame, ["4", "4"], "PL", "FP", 60 + 30 - 20 - 10 - 90)
    (table,) = out["per_table"]
    rates = next(o for o in table["outcomes"] if o["outcome"] == "count_at_area_rates")
    # District a's counted tables: 150 ballots, PL 90, FP 30: 300 ballots at those rates.
    assert rates["estimated_votes"] == {"PL": 180, "FP": 60} and rates["margin_change"] == 120
    assert out["margin_if_claimed_at_area_rates"] == -30 + 120
    assert out["by_state"] == {"annulled": {"tables": 1, "ballots": 300}}
    assert (out["lowest_margin"], out["highest_margin"]) == (-330, 270)
