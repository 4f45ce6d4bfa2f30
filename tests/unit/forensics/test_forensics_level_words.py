"""Results name the areas they read as the election calls them, and only levels the election has.

Peru has no polling places: its count-order projection reads districts and must say so (it said
"polling place"). Russia's levels are region and territorial commission: its anomaly checks must
say "territorial commission" (they said "district", or printed the key ``territorial_commission``).
"""

from __future__ import annotations

import json

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import anomalies, count_order, peers, simulate
from escrutinio.forensics.suite import run_suite


def _without_places() -> pl.DataFrame:
    """A synthetic count with no polling places (as Peru's files), 2,000 of 3,000 tables in the order."""
    f = simulate.synthetic_election(3000, seed=5)
    return f.with_columns(
        pl.lit(None, dtype=pl.Utf8).alias(tf.POLLING_PLACE),
        pl.when(pl.col(tf.ORDER) <= 2000).then(pl.col(tf.ORDER)).otherwise(None).alias(tf.ORDER),
    )


def _russian() -> pl.DataFrame:
    """Two levels, as Russia's: the district column repeats the territorial commissions, no places."""
    f = simulate.synthetic_election(3000, seed=5)
    return f.with_columns(pl.col(tf.PROVINCE).alias(tf.DISTRICT), pl.lit(None, dtype=pl.Utf8).alias(tf.POLLING_PLACE))


RUSSIAN = {"department": "region", "province": "territorial_commission", "district": "territorial_commission"}


def test_the_projection_without_polling_places_names_the_districts_it_used() -> None:
    r = count_order.test(_without_places(), winner="A")
    assert "polling place" not in r.reading and "place's" not in r.reading
    said = "already counted at its own district (or, where nothing there is counted yet, at like-sized districts of its province"
    assert said in r.reading
    used = r.estimates["cuts"][-1]["imputed_by_level"]
    assert "polling_place" not in used and "own_place" not in used
    assert used["district"] > 0 and "own_area" in used
    assert r.estimates["finest_level"] == "district" and r.level == tf.DISTRICT


def test_the_projection_names_the_levels_in_the_elections_words() -> None:
    f = _russian().with_columns(pl.when(pl.col(tf.ORDER) <= 2000).then(pl.col(tf.ORDER)).otherwise(None).alias(tf.ORDER))
    suite = run_suite(f, winner="A", choices=["A", "B"], tests=["count_order"], level_names=RUSSIAN)
    (r,) = suite.to_dict()["results"]
    assert r["level"] == "territorial_commission" and r["estimates"]["finest_level"] == "territorial_commission"
    assert (
        "per elector already counted at its own territorial commission (or, where nothing there is counted yet, at "
        "like-sized territorial commissions of its region" in (r["wording"])
    )
    used = r["estimates"]["cuts"][-1]["imputed_by_level"]
    assert set(used) - {"own_area", "like_areas", "shrinkage_tables"} <= {"territorial_commission", "region", "national"}
    assert "district" not in json.dumps(r) and "province" not in json.dumps(r)


def test_the_projection_with_polling_places_still_says_polling_place() -> None:
    f = simulate.synthetic_election(3000, seed=5)
    f = f.with_columns(pl.when(pl.col(tf.ORDER) <= 2000).then(pl.col(tf.ORDER)).otherwise(None).alias(tf.ORDER))
    r = count_order.test(f, winner="A")
    # It read "at their polling place's counted votes per elector (like-sized polling places of their district …)".
    said = "from the votes per elector already counted at its own polling place (or, where nothing there is counted yet, "
    assert said + "at like-sized polling places of its district" in r.reading
    assert r.estimates["finest_level"] == "polling_place"


def test_the_anomaly_checks_word_russian_levels_as_the_election_does() -> None:
    results = anomalies.run(_russian(), by=tf.DISTRICT, draws=99, level_names=RUSSIAN)
    by_name = {r.test: r for r in results}
    outliers = by_name["anomalies.cast_outliers"]
    assert "their territorial commission (or coarser area)" in outliers.reading
    assert set(outliers.details["levels_used"]) <= {"territorial_commission", "region", "national"}
    identical = by_name["anomalies.identical"]
    assert "same territorial commission" in identical.reading and "territorial_commission" not in identical.reading
    for r in results:
        assert "district" not in r.reading, (r.test, r.reading)


def test_the_anomaly_checks_word_russian_levels_given_only_the_elections_levels() -> None:
    """Given the two levels the election names (no name for the district column that repeats the
    commissions), the checks still word the commissions as such."""
    names = {"department": "region", "province": "territorial_commission"}
    results = anomalies.run(_russian(), by=tf.DISTRICT, draws=99, level_names=names)
    outliers = next(r for r in results if r.test == "anomalies.cast_outliers")
    assert "their territorial commission (or coarser area)" in outliers.reading
    assert "district" not in json.dumps(outliers.details)


def test_the_tables_abroad_are_worded_with_the_levels_abroad() -> None:
    """Peru's district column holds its cities abroad: the checks read on the tables abroad said
    "district" of them."""
    f = _without_places()
    names = {"department": "department", "province": "province", "district": "district"}
    abroad = {"department": "continent", "province": "country", "district": "city"}
    last = str(f[tf.DEPARTMENT].max())
    results = {r.test: r for r in anomalies.run(f, abroad=(last,), draws=99, level_names=names, abroad_names=abroad)}
    away, home = results["anomalies.cast_outliers.abroad"], results["anomalies.cast_outliers"]
    assert "other tables of their city (or coarser area)" in away.reading and away.level == "city"
    assert set(away.details["levels_used"]) <= {"city", "country", "continent", "national"}
    assert "other tables of their district (or coarser area)" in home.reading and home.level == tf.DISTRICT
    assert "in the same city carry identical sheets" in results["anomalies.identical.abroad"].reading


def test_claims_against_peers_word_the_peers_area_and_the_metric() -> None:
    """Without polling places the peers are the district's tables: the reading said "their polling
    place or area" and named the metric by its key ("blank null share")."""
    f = _russian()
    claimed = f["table"].head(40).to_list()
    results = {r.test: r for r in peers.test(f, claimed, winner="A", permutations=99, level_names=RUSSIAN)}
    share = results["claims_vs_peers.winner_share"]
    assert share.reading.startswith("On the share of valid votes for A, the 40 claimed table(s)")
    assert "of the other tables of their territorial commission (or a coarser area" in share.reading
    assert "polling place" not in share.reading + (share.null or "")
    assert results["claims_vs_peers.blank_null_share"].reading.startswith("On the blank and null share of ballots cast")
    assert set(share.details["peer_levels"]) <= {"territorial_commission", "region", "national"}


def test_the_integer_test_words_its_level_not_its_key() -> None:
    f = simulate.synthetic_election(3000, seed=5)
    suite = run_suite(f, winner="A", choices=["A", "B"], tests=["integer_peaks"], by="polling_place")
    for r in suite.results:
        assert "polling_place" not in r.reading, r.reading
    assert any("The excess by polling place is in the estimates" in r.reading for r in suite.results)


def test_without_electors_the_checks_read_as_sentences() -> None:
    """Chile's file has no roll: the outlier check said "have a ballots cast", and the checks that
    need electors spoke of "the frame", a word of the code, not of the election."""
    f = simulate.synthetic_election(2000, seed=3).with_columns(pl.lit(None, dtype=pl.Int64).alias(tf.ELECTORS))
    assert " have a number of ballots cast more than 4 expected spreads" in anomalies.cast_outliers(f).reading
    assert "frame" not in anomalies.turnout_full(f).reading


def test_the_projection_without_a_roll_says_votes_per_table() -> None:
    f = _without_places().with_columns(pl.lit(None, dtype=pl.Int64).alias(tf.ELECTORS))
    r = count_order.test(f, winner="A")
    assert "from the votes per table already counted at its own district" in r.reading and "elector" not in r.reading
