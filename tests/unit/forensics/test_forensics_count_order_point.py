"""The count-order projection's point: every uncounted table at its own polling place's rate when the
place has a counted table (unshrunk), at like-sized places' rate when it has none."""

from __future__ import annotations

import numpy as np

from escrutinio.forensics import count_order


def _keys(place: np.ndarray, district: np.ndarray) -> list[np.ndarray]:
    return [place, district, district, district, np.zeros(len(place), dtype=np.int64)]


def test_forensics_point_takes_a_place_with_one_counted_table_at_its_own_rate():
    """A place with one counted table (of two) and a district that votes the other way: the place's
    own table decides its rest, not the district."""
    # District 0: place 0 (two tables, 90 % for A) and places 1-5 (all counted, 10 % for A).
    place = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    district = np.zeros(12, dtype=np.int64)
    a = np.array([90, 88, 10, 11, 9, 10, 12, 10, 11, 9, 10, 10], dtype=np.float64)
    votes = np.column_stack([a, 100 - a])
    counted = np.ones(12, dtype=bool)
    counted[1] = False
    imputed, used = count_order.point_imputation(votes, np.full(12, 100.0), counted, _keys(place, district))
    assert used == {"own_place": 1, "like_places": 0}
    assert imputed[0] == 90  # its own counted table's rate; the district's would give about 17


def test_forensics_point_is_unbiased_for_places_the_count_only_reached():
    """Twenty places the count finished (30 % for A) and twenty it had reached with one table of six
    (60 %), tables spread around their place's lean: the late tables are drawn like their place's
    counted one, so the projection of their votes must be right on average. Shrinking each place's
    rate toward like places of its district (an empirical-Bayes weight of 1.9 tables here) pulled them
    toward the finished places: 869 of the late tables' 6,260 votes for A short on average (± 33)."""
    place = np.repeat(np.arange(40), 6)
    district = np.zeros(len(place), dtype=np.int64)
    lean = np.where(place < 20, 0.3, 0.6)
    counted = (place < 20) | (np.arange(len(place)) % 6 == 0)
    errors = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        a = np.clip(np.round(100 * (lean + rng.normal(0, 0.2, len(place)))), 0, 100)
        votes = np.column_stack([a, 100 - a])
        imputed, used = count_order.point_imputation(votes, np.full(len(place), 100.0), counted, _keys(place, district))
        errors.append(imputed[0] - votes[~counted, 0].sum())
    assert used == {"own_place": 100, "like_places": 0}
    assert abs(float(np.mean(errors))) < 150, np.mean(errors)  # about 6,000 late votes for A; se about 35


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


def test_forensics_point_takes_out_the_ratio_bias_where_small_tables_vote_more_per_elector():
    """Places of six tables (electors log-normal, about 50 to 2,000) where A's votes do not grow in
    proportion to electors (60 + 0.3 per elector: small tables give A more per elector, as Russia
    2012's small tables did), three tables of each counted at random. A place's ratio of sums is then
    biased by about 1/n of its tables' spread, and the bias of every place adds up: the plain ratio
    put the late tables' 191,500 votes for A about 6,800 over on average (± 340 over 40 draws); the
    jackknifed rate about 460 under (± 320)."""
    place = np.repeat(np.arange(200), 6)
    district = np.zeros(len(place), dtype=np.int64)
    errors = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        sizes = np.round(np.exp(rng.normal(6.5, 0.7, len(place))))
        a = np.round(60 + 0.3 * sizes + rng.normal(0, 15, len(place)))
        votes = np.column_stack([a, np.round(0.4 * sizes)])
        counted = np.zeros(len(place), dtype=bool)
        for p in range(200):
            counted[6 * p + rng.choice(6, 3, replace=False)] = True
        imputed, _ = count_order.point_imputation(votes, sizes, counted, _keys(place, district))
        errors.append(imputed[0] - votes[~counted, 0].sum())
    assert abs(float(np.mean(errors))) < 1_500, np.mean(errors)


def test_forensics_interval_widens_only_the_places_few_sub_areas_stand_in_for():
    """Fifty places of twenty tables, 30 % of them late, projected from their own counted tables, and
    one late one-table place whose district has two counted one-table places to stand in for it
    (m = 2: a t factor of 9). The small-sample widening is for that place's draws: it multiplied every
    draw, and the one place made the interval nine times as wide as without it."""
    rng = np.random.default_rng(1)
    place = np.r_[np.repeat(np.arange(50), 20), 50, 51, np.full(8, 53), 54]
    district = np.r_[np.repeat(np.arange(5), 200), 5, 5, np.full(8, 5), 5]
    a = np.round(100 * np.clip(0.5 + 0.1 * rng.standard_normal(len(place)), 0, 1))
    votes = np.column_stack([a, 100 - a])
    late = np.r_[rng.random(1000) < 0.3, np.zeros(10, dtype=bool), True]
    keys = _keys(place, district)
    widths = []
    for counted in (~late, ~late | (place == 54)):
        _, draws, _ = count_order.project(votes, np.full(len(place), 100.0), counted, keys, 0, rival=1, bootstrap=400)
        widths.append(float(np.subtract(*np.quantile(draws, (0.975, 0.025)))))
    assert widths[0] < 1.5 * widths[1], widths


def test_forensics_interval_with_one_counted_table_a_place_still_has_a_spread():
    """Each place drawn from its own counted tables (``min_donors=1``), 300 places of two tables with
    one counted, and 100 places of six with one late: a place's one donor has a zero residual, so the
    300 late tables of one-donor places added nothing to the interval, which held the realised margin
    in 25 of 40 elections. With their spread pooled over the places with two donors or more, 38."""
    place = np.r_[np.repeat(np.arange(300), 2), np.repeat(np.arange(300, 400), 6)]
    district = place // 50
    keys = _keys(place, district)
    counted = np.r_[np.tile([True, False], 300), np.ones(600, dtype=bool)]
    counted[600::6] = False  # the six-table places have one late table each
    held = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        a = np.round(100 * np.clip(0.5 + 0.15 * rng.standard_normal(len(place)), 0, 1))
        votes = np.column_stack([a, 100 - a])
        realised = (votes[:, 0].sum() - votes[:, 1].sum()) / votes.sum()
        _, draws, _ = count_order.project(
            votes, np.full(len(place), 100.0), counted, keys, 0, rival=1, bootstrap=200, min_donors=1, rng=rng
        )
        lo, hi = np.quantile(draws, (0.025, 0.975), method=count_order.INTERVAL_QUANTILE)
        held += int(lo <= realised <= hi)
    assert held >= 33, held
