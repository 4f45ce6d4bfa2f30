"""The count-order result says whose coordinates it used (``--places``'s file) and how many late
tables it projected from a nearest counted place; the places file is read as the cómputo is (gzip, BOM)."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import count_order, simulate
from escrutinio.formats.places_list import read_places


def test_forensics_count_order_names_the_places_file_and_counts_the_late_tables_on_a_neighbour():
    """Every late table of a place with nothing counted, in a district with counted places, stands on
    a neighbour: counted here by hand over the frame and held against the result's figure."""
    f = simulate.synthetic_election(2000, seed=7)
    # Each place somewhere in a 10-degree square, by its rank among the places (any spread will do).
    rank = pl.col(tf.POLLING_PLACE).rank("dense").cast(pl.Float64)
    spot = (
        f.select(tf.POLLING_PLACE)
        .unique()
        .with_columns((-10 - (rank * 7.3) % 10).alias(tf.LATITUDE), (-60 - (rank * 3.1) % 10).alias(tf.LONGITUDE))
    )
    late = set(f.sample(fraction=0.25, seed=4)["table"].to_list())
    f = f.with_columns(pl.when(pl.col("table").is_in(list(late))).then(None).otherwise(1).cast(pl.Int64).alias("order"))
    located = f.join(spot, on=tf.POLLING_PLACE, how="left")
    r = count_order.test(located, winner="A", checkpoints=(), places_source="places.csv")
    late = located.filter(pl.col("order").is_null())
    counted_places = set(located.filter(pl.col("order").is_not_null())[tf.POLLING_PLACE].to_list())
    counted_districts = set(located.filter(pl.col("order").is_not_null())[tf.DISTRICT].to_list())
    by_hand = late.filter(
        ~pl.col(tf.POLLING_PLACE).is_in(list(counted_places)) & pl.col(tf.DISTRICT).is_in(list(counted_districts))
    ).height
    assert by_hand > 0
    assert r.estimates["places"] == {
        "source": "places.csv",
        "tables_located": located.height,
        "tables_without_coordinates": 0,
        "late_tables_from_nearest_place": by_hand,
    }
    assert f"{by_hand:,} of the {late.height:,} tables still to count were projected from the nearest counted" in r.reading
    assert "by the coordinates in places.csv, the file given: taken as that file gives them;" in r.reading
    assert count_order.test(f, winner="A", checkpoints=()).estimates["places"] is None


def test_places_file_gzip_with_a_byte_order_mark_and_empty_cells(tmp_path: Path):
    path = tmp_path / "places.csv.gz"
    path.write_bytes(gzip.compress("\ufeffNúmero Mesa,Recinto,lat,lon\n1001,Embajada,52.5,13.3\n1002,Escuela,,\n".encode()))
    places = read_places(path, known={"1001", "1002"})
    assert places.source == "places.csv.gz" and places.not_in_election == 0
    assert places.coordinates["1001"] == (52.5, 13.3) and all(math.isnan(v) for v in places.coordinates["1002"])


def test_places_ids_match_the_election_as_order_matches_them(tmp_path: Path):
    """``52235`` is ONPE's ``052235`` (a list through a spreadsheet): keyed by the election's id; an id
    matching none is counted apart."""
    path = tmp_path / "places.csv"
    path.write_text("table,lat,lon\n52235,-12,-77\n7,1,1\n")
    places = read_places(path, known={"052235", "052236"})
    assert places.coordinates == {"052235": (-12.0, -77.0)} and places.not_in_election == 1
