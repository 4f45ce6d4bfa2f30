"""The count-order projection with the polling places' coordinates (optional ``latitude`` and
``longitude`` columns of the table frame): a place with nothing counted whose district has counted
places is projected from the nearest counted place, not from like-sized places of its district."""

from __future__ import annotations

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import count_order, simulate


def _xyz(lat: list[float], lon: list[float]) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def test_forensics_count_order_place_with_nothing_counted_takes_its_nearest_counted_place():
    """District 0: place 0 (60 % for A) at longitude 0, place 1 (20 %) at longitude 10, both counted,
    and place 2, nothing counted, at longitude 1: the nearest counted place is place 0. District 1
    has nothing counted: its place 3, though next to place 0, keeps like-sized places of the wider
    area (a whole area late takes no border place's rate). Without coordinates place 2 took the mean
    of like-sized places of its district, 40 %."""
    place = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    district = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    keys = [place, district, np.zeros(8, np.int64), np.zeros(8, np.int64), np.zeros(8, np.int64)]
    a = np.array([60, 60, 20, 20, 0, 0, 0, 0], dtype=np.float64)
    votes = np.column_stack([a, 80 - a, np.full(8, 20.0)])
    size = np.full(8, 100.0)
    counted = np.array([True, True, True, True, False, False, False, False])
    xyz = _xyz([0.0] * 8, [0, 0, 10, 10, 1, 1, 0.5, 0.5])
    before, _ = count_order.place_rates(votes, size, counted, keys)
    after, own = count_order.place_rates(votes, size, counted, keys, xyz)
    assert before[2, 0] == 0.4 and after[2, 0] == 0.6, (before[2], after[2])
    assert after[3, 0] == before[3, 0] == 0.4
    assert not own[2] and not own[3]
    # A place without a position keeps the like-sized rule.
    xyz[4:6] = np.nan
    assert count_order.place_rates(votes, size, counted, keys, xyz)[0][2, 0] == 0.4


def test_forensics_count_order_reads_coordinates_from_the_frame_and_says_so():
    """A frame with ``latitude`` and ``longitude``: the projection's words name the nearest counted
    place and that the coordinates are the source's; a frame without them reads as before."""
    f = simulate.synthetic_election(3000, seed=5)
    rng = np.random.default_rng(1)
    places = f[tf.POLLING_PLACE].unique().sort()
    spot = pl.DataFrame(
        {
            tf.POLLING_PLACE: places,
            tf.LATITUDE: rng.uniform(-20, -10, len(places)),
            tf.LONGITUDE: rng.uniform(-70, -60, len(places)),
        }
    )
    first = f.sample(fraction=0.8, seed=3)["table"].implode()
    f = f.with_columns(pl.when(pl.col("table").is_in(first)).then(1).otherwise(None).cast(pl.Int64).alias("order"))
    plain = count_order.test(f, winner="A", checkpoints=())
    located = count_order.test(f.join(spot, on=tf.POLLING_PLACE, how="left"), winner="A", checkpoints=())
    assert count_order.place_coordinates(f) is None
    assert "nearest counted" not in plain.reading
    words = "at the nearest counted polling place where its district has counted ones (by the places' coordinates as "
    assert f"{words}the source gives them), else like-sized polling places of its district" in located.reading
    assert located.estimates["projected_margin_points"] != plain.estimates["projected_margin_points"]
