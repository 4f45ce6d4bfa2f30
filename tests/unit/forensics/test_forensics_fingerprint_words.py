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
    f_i=None,
    f_i_interval=(None, None),
    censored=False,
    ceiling=0.357,
    ceiling_f_i=0.75,
    corner=0.034,
    clean_corner=0.0244,
    f_e=0.0096,
    f_e_interval=(0.0039, 0.0150),
)


def test_beyond_the_model_is_no_fraction_and_no_bound() -> None:
    """Past the model's peak a larger fraction tilts less, so no f_i fits: "at least 0.80" was no bound."""
    text = _reading(RUSSIA_2012)
    assert (
        "no fraction of incremental fraud (f_i) gives this tilt, so none is estimated and none is a bound: its "
        "incremental fraud tilts an election at most +0.357 (in 0.75 of the tables), and more stuffed tables than "
        "that tilt it less, not more. Something else tilts it as well: fraud larger per table than the model's, whole "
        "areas stuffed to different degrees, or a mobilisation or gradient that raises turnout and share together"
    ) in text
    assert "at least 0." not in text and "bounded" not in text and "0.80" not in text


def test_both_fractions_of_a_flagged_tilt_get_their_interval_in_words() -> None:
    flagged = dataclasses.replace(RUSSIA_2012, f_i=0.36, f_i_interval=(0.28, 0.47))
    text = _reading(flagged)
    assert "the incremental fraud fraction (f_i) is estimated at 0.36 (95 % interval 0.28–0.47)" in text
    assert "the extreme fraud fraction (f_e) is estimated at 0.010 (95 % interval 0.004–0.015)" in text
    assert "f_i: point" not in text and "f_i =" not in text
    # The far corner's excess is read as extreme fraud only "as if all of it were", with what else puts tables there.
    assert "as if all of that excess were extreme fraud" in text
    assert "communities that turn out and vote almost as one (as many small rural ones do) give such tables" in text


def test_an_interval_reaching_the_models_limit_is_censored_in_words() -> None:
    """Bolivia by department: the tilt's interval tops +0.216, past the model's most; its f_i interval
    read "0.00–0.80", its top being only the grid's cap."""
    flagged = dataclasses.replace(RUSSIA_2012, f_i=0.34, f_i_interval=(0.0, None), censored=True, ceiling=0.194, ceiling_f_i=0.8)
    text = _reading(flagged)
    assert "estimated at 0.34 (95 % interval from 0.00, reaching the model's limit: its incremental fraud tilts" in text
    assert "so the interval has no upper end)" in text and "0.00–0.80" not in text
    # By province the model's tilt still rises at the top of the range fitted (0.90): no decline is claimed.
    at_top = _reading(dataclasses.replace(flagged, ceiling=0.252, ceiling_f_i=0.9, peak_at_top=True))
    assert "at most +0.252, with 0.90 of the tables stuffed, the most the range fitted stuffs" in at_top
    assert "tilt it less" not in at_top
    bolivia = dataclasses.replace(flagged, flagged=False)
    text = _reading(bolivia)
    assert "the interval reaches the model's limit and rules out no fraction of stuffed tables" in text
    assert "0.00–0.80" not in text and "estimated at" not in text


def test_a_tilt_not_flagged_estimates_no_fraud() -> None:
    """Bolivia by department is not flagged; it read "the incremental fraud fraction (f_i) is estimated at
    0.50" and ascribed its tables at 95 % turnout and share to extreme fraud, with no other reading."""
    peru = dataclasses.replace(RUSSIA_2012, flagged=False, p=0.52, f_i=0.0, f_i_interval=(0.0, 0.10))
    text = _reading(peru)
    assert "estimated at" not in text and "f_e" not in text
    assert "incremental fraud is not distinguishable from 0, so no fraction of it is estimated" in text
    assert "so it cannot rule out incremental fraud in up to 0.10 of the tables" in text
    assert "communities that turn out and vote almost as one (as many small rural ones do) give such tables" in text
    assert "so no fraction of extreme fraud is read from it" in text


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
        "f_incremental": None,
        "interval_incremental": [None, None],
        "f_incremental_beyond_model": True,
        "f_extreme": 0.0095,
        "interval_extreme": [0.0039, 0.015],
    }
    row = csv_row(ForensicResult("fingerprint.klimek", 0.384, "tilt", "…", p_value=0.001, estimates=estimates).to_dict())
    assert "f_i_beyond_model" in CSV_COLUMNS
    assert (row["f_i"], row["f_i_low"], row["f_i_high"], row["f_i_beyond_model"]) == (None, None, None, True)
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
