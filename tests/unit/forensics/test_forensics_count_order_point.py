"""The count-order projection's point: every uncounted table at its own polling place's rate when the
place has a counted table, at like-sized places' rate when it has none, shrunk by empirical Bayes."""

from __future__ import annotations

import numpy as np

from escrutinio.forensics import count_order


def _keys(place: np.ndarray, district: np.ndarray) -> list[np.ndarray]:
    return [place, district, district, district, np.zeros(len(place), dtype=np.int64)]


def test_forensics_point_takes_a_place_with_one_counted_table_at_its_own_rate():
    """A place with one counted table (of two) and a district that votes the other way: with places far
    apart and tables of one place alike, the place's own table decides its rest, not the district."""
    # District 0: place 0 (two tables, 90 % for A) and places 1-5 (all counted, 10 % for A).
    place = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    district = np.zeros(12, dtype=np.int64)
    a = np.array([90, 88, 10, 11, 9, 10, 12, 10, 11, 9, 10, 10], dtype=np.float64)
    votes = np.column_stack([a, 100 - a])
    counted = np.ones(12, dtype=bool)
    counted[1] = False
    imputed, used = count_order.point_imputation(votes, np.full(12, 100.0), counted, _keys(place, district))
    assert used["own_place"] == 1 and used["like_places"] == 0
    assert used["shrinkage_tables"] < 0.05
    assert abs(imputed[0] - 88) < 3  # the district's rate would give about 17


def test_forensics_point_takes_a_place_with_nothing_counted_from_places_of_its_size():
    """Small places (one table) vote A, big ones (eight tables) vote B: an uncounted one-table place is
    projected from the counted one-table places of its district, not from the district's pooled rate."""
    rng = np.random.default_rng(0)
    place = np.r_[np.repeat(np.arange(4), 8), np.arange(4, 14)]  # 4 big places, 10 small ones
    district = np.zeros(len(place), dtype=np.int64)
    a = np.where(place < 4, 20, 80) + rng.integers(-3, 4, len(place))
    votes = np.column_stack([a, 100 - a]).astype(np.float64)
    counted = place != 13
    imputed, used = count_order.point_imputation(votes, np.full(len(place), 100.0), counted, _keys(place, district))
    assert used["like_places"] == 1
    assert abs(imputed[0] - 80) < 4  # the pooled district rate would give about 38


def test_forensics_shrinkage_grows_when_places_are_alike():
    """Places that differ only by the tables' own noise carry no information of their own: the
    empirical-Bayes weight of the area is large; places far apart give it almost none."""
    rng = np.random.default_rng(1)
    place = np.repeat(np.arange(60), 4)
    area = place // 20
    alike = 0.5 + rng.normal(0, 0.05, len(place))
    apart = rng.uniform(0, 1, 60)[place] + rng.normal(0, 0.05, len(place))
    assert count_order.shrinkage_tables(alike, place, area) > 10
    assert count_order.shrinkage_tables(apart, place, area) < 0.2


def test_forensics_count_order_interval_ends_hold_a_new_draw_95_percent_of_the_time():
    """The projection is flagged when the final margin falls outside the 95 % interval read from B
    bootstrap draws; read with numpy's default (linear) quantile, a margin drawn like the draws falls
    outside 6.6 % of the time at B = 100 (7.25 % of 400 clean Bolivias were flagged). The interval's
    quantile must give the nominal 5 %."""
    rng = np.random.default_rng(0)
    draws, new = rng.standard_normal((40_000, 100)), rng.standard_normal(40_000)
    lo, hi = np.quantile(draws, (0.025, 0.975), axis=1, method=count_order.INTERVAL_QUANTILE)
    miss = float(np.mean((new < lo) | (new > hi)))
    assert 0.045 <= miss <= 0.055, miss
