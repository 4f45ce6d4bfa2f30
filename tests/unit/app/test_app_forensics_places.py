"""A polling place's position for the count order (``--places``): taken from any of its tables that
have one; a header with both spellings of a coordinate refused, and the result says how many tables have none.

Why: a place took the coordinates of its last table, so blanking one table's coordinates in each
multi-table Bolivian recinto cut the tables projected from a neighbour from 1,076 to 345."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from escrutinio.domain import table_frame as tf
from escrutinio.domain.errors import InputError
from escrutinio.forensics import count_order, simulate
from escrutinio.formats.places_list import read_places


def _xyz(lat: list[float], lon: list[float]) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def test_a_place_is_where_any_of_its_tables_is_not_where_its_last_is():
    """Place 2 (nothing counted) at longitude 1 is nearest to place 0 (60 %): its last table without
    coordinates used to leave the place unlocated (like-sized places' 40 %)."""
    place = np.array([0, 0, 1, 1, 2, 2])
    keys = [place, np.zeros(6, np.int64), *(np.zeros(6, np.int64),) * 3]
    a = np.array([60, 60, 20, 20, 0, 0], dtype=np.float64)
    votes = np.column_stack([a, 80 - a, np.full(6, 20.0)])
    counted = np.array([True, True, True, True, False, False])
    xyz = _xyz([0.0] * 6, [0, 0, 10, 10, 1, 1])
    xyz[5] = np.nan
    assert count_order.place_rates(votes, np.full(6, 100.0), counted, keys, xyz)[0][2, 0] == 0.6


def _places(tmp_path: Path, text: str):
    path = tmp_path / "places.csv"
    path.write_text(text)
    return read_places(path, known={"1", "2", "3"})


def test_a_header_with_both_spellings_of_a_coordinate_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match=r"places.csv:1:lat: the header has both latitude and lat"):
        _places(tmp_path, "table,latitude,lat,lon\n1,-12,-12,-77\n")


def test_the_result_says_how_many_tables_have_no_coordinates():
    """Places at random spots, the first 80 % of the tables counted, and 7 tables without coordinates."""
    f = simulate.synthetic_election(3000, seed=5)
    codes = f[tf.POLLING_PLACE].rank("dense").cast(pl.Float64).to_numpy()
    lat = -20 + (codes * 0.618) % 10
    lat[:7] = np.nan
    f = f.with_columns(
        pl.Series(tf.LATITUDE, lat),
        pl.Series(tf.LONGITUDE, -70 + (codes * 0.382) % 10),
        pl.when(pl.int_range(pl.len()) < 2400).then(1).otherwise(None).cast(pl.Int64).alias("order"),
    )
    result = count_order.test(f, winner="A", checkpoints=())
    assert result.estimates["places"]["tables_without_coordinates"] == 7
    assert f"7 of the election's {f.height:,} tables have no coordinates" in result.reading
