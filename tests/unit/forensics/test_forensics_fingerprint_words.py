"""The fingerprint's reading and its CSV row say what the fit gives: every fraction with its
interval, a bound where the tilt is past the model, how many tables were ranked, and the choice by
the election's name (issue 13: "wording that agrees with the fitted values")."""

from __future__ import annotations

import dataclasses

import polars as pl

from escrutinio.forensics import fingerprint, simulate
from escrutinio.forensics.fingerprint import _Reading, _reading
from escrutinio.forensics.results import CSV_COLUMNS, ForensicResult, csv_row

RUSSIA_2012 = _Reading(  # the figures of Russia 2012 by region (seed 0)
    level="department",
    where="region",
    n_tables=94_973,
    n_counted=95_415,
    min_electors=20,
    who="Vladimir Putin",
    tilt=0.384,
    tilt_interval=(0.367, 0.400),
    units="territorial commissions",
    p=0.001,
    draws=999,
    flagged=True,
    f_i=0.80,
    f_i_interval=(0.80, 0.80),
    beyond=True,
    at_top=False,
    ceiling=0.212,
    corner=0.034,
    clean_corner=0.0244,
    f_e=0.0096,
    f_e_interval=(0.0039, 0.0150),
)


def test_beyond_the_model_is_worded_as_a_bound_not_an_estimate() -> None:
    text = _reading(RUSSIA_2012)
    assert (
        "the incremental fraud fraction (f_i) is beyond the model: it cannot be estimated, only bounded (at least 0.80)" in text
    )
    assert "0.80–0.80" not in text and "estimated at 0.80" not in text


def test_both_fractions_get_their_interval_in_words() -> None:
    bolivia = dataclasses.replace(RUSSIA_2012, flagged=False, beyond=False, f_i=0.50, f_i_interval=(0.0, 0.80))
    text = _reading(bolivia)
    # Bolivia read "f_i: point 0.50", and f_e had no interval at all.
    assert "the incremental fraud fraction (f_i) is estimated at 0.50 (95 % interval 0.00–0.80)" in text
    assert "the extreme fraud fraction (f_e) is estimated at 0.010 (95 % interval 0.004–0.015)" in text
    assert "f_i: point" not in text and "f_i =" not in text


def test_the_tables_ranked_are_counted_as_the_fit_kept_them() -> None:
    # "Over all 86,234 tables" at --by national: the fit keeps 86,234 of the runoff's 86,249 counted tables.
    national = dataclasses.replace(RUSSIA_2012, level="national", where="national", n_tables=86_234, n_counted=86_249)
    text = _reading(national)
    assert text.startswith(
        "Across the nation as one area, 86,234 of the 86,249 counted tables (those with at least 20 "
        "electors, some valid votes and no more ballots cast than electors) were ranked"
    )
    assert "Over all" not in text and "each national" not in text
    every = dataclasses.replace(RUSSIA_2012, n_tables=95_415)
    assert _reading(every).startswith("Within each region, 95,415 counted tables were ranked")


def test_the_csv_row_marks_a_fraction_beyond_the_model() -> None:
    estimates = {
        "f_incremental": 0.8,
        "interval_incremental": [0.8, None],
        "f_incremental_beyond_model": True,
        "f_extreme": 0.0095,
        "interval_extreme": [0.0039, 0.015],
    }
    row = csv_row(ForensicResult("fingerprint.klimek", 0.384, "tilt", "…", p_value=0.001, estimates=estimates).to_dict())
    assert "f_i_beyond_model" in CSV_COLUMNS
    assert (row["f_i"], row["f_i_low"], row["f_i_high"], row["f_i_beyond_model"]) == (0.8, 0.8, None, True)
    other = csv_row(ForensicResult("integer_peaks.either", 1.0, "excess", "…", estimates={"excess": 3}).to_dict())
    assert other["f_i_beyond_model"] is None and other["excess"] == 3


def test_the_reading_names_the_choice_as_the_election_does() -> None:
    f = simulate.synthetic_election(2000, seed=3).rename({"v_A": "v_PL", "v_B": "v_FP"})
    r = fingerprint.test(f, winner="PL", draws=99, choice_names={"PL": "Pedro Castillo", "FP": "Keiko Fujimori"})
    assert "the share of valid votes for Pedro Castillo" in r.reading and "PL" not in r.reading
    assert isinstance(f, pl.DataFrame) and r.estimates["n_counted"] >= r.estimates["n_tables"]


def test_the_text_header_at_national_names_the_nation() -> None:
    from escrutinio.forensics.results import SuiteResult

    header = SuiteResult((), "PL", ("PL", "FP"), "national", 10, 10, 0.1, choice_names={"PL": "Pedro Castillo"}).to_text()
    assert "conditioned by the nation as one area" in header and "by national" not in header
