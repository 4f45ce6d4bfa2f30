"""The digit and integer-percentage tests on the real Peru 2021 first round (18 choices, so most
per-table counts are small): what each reads, and where it cannot tell."""

from __future__ import annotations

import numpy as np
import pytest
from frames_forensics import choice_ids, peru

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import digits, integer_peaks
from escrutinio.forensics import frames as fr

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def test_forensics_peru_first_round_last_digit_reads_only_widely_spread_counts():
    """Of 1,530,090 counts, 50,574 of 10 votes or more spread widely enough around the count their
    district's share predicts for an honest last digit to be flat. The flat rule on every count of 10
    or more gives a chi-square of 21,914 (sizes alone: counts of 10 to 99 fall steeply); on the counts
    read it is 21.2, from final 0s and 5s at 10.32 %. Figures exact (no simulation): docs/forensics.md."""
    f = peru(1)
    r = digits.last_digit_test(f, choices=choice_ids(f))
    e = r.estimates
    assert (e["n_counts_all"], e["n_counts"]) == (1_530_090, 50_574), e
    assert e["worst_noncentrality"] <= digits.SPREAD_BOUND and e["min_spread_votes"] == pytest.approx(5.44, abs=0.01)
    assert round(e["chi2_every_count_of_10_or_more"], 1) == 21_913.8
    assert round(r.statistic, 1) == 21.2 and e["p_chi2_9df"] == pytest.approx(0.0116, abs=5e-5)
    # Against the digits these counts give honestly (binomials spread as their districts' tables are):
    # the null's mean chi-square is 9.04, so the p is about the table's (0.0141 at seed 0).
    assert r.p_value == pytest.approx(0.0141, abs=5e-4) and e["null_chi2_mean"] == pytest.approx(9.04, abs=0.01)
    assert (e["observed"][0], e["observed"][5]) == (5220, 5218) and r.level == "district"
    read = {b["choice"]: b["read"] for b in e["by_choice"]}
    assert read["PL"] == 20_854 and read["FP"] == 8_240 and read["DD"] == 0, read
    assert "Some final digits appear more often than counting gives" in r.reading
    for word in ("fraud", "invented", "manipulat"):
        assert word not in r.reading


def test_forensics_peru_first_round_integer_either_and_result_cannot_tell():
    """The leader's result sits 8.2 sds below the binomial null, "either" 5.2: the null does not fit,
    so the test cannot tell (before: "not more frequent than chance"). The whole deficit is at tables
    where Perú Libre got 1 to 4 votes: redrawn, such a count often lands on 0 votes, a whole
    percentage (0 %) the count itself is not. The turnout alone fits (z −2.2) and is not flagged."""
    f = peru(1)
    res = {r.test: r for r in integer_peaks.test(f, winner="PL")}
    for name, z in (("integer_peaks.winner", -8.2), ("integer_peaks.either", -5.16)):
        r = res[name]
        assert r.flagged() is None and r.p_value is None, r.reading
        assert round(r.estimates["z"], 2) == pytest.approx(z, abs=0.006) and r.estimates["null_misfit"] is True
        assert "far below what the null expects" in r.reading and "cannot read integer peaks here" in r.reading
        assert r.to_dict()["status"] == "cannot tell"
    turnout = res["integer_peaks.turnout"]
    assert turnout.flagged() is False and round(turnout.estimates["z"], 2) == -2.24
    c = fr.counted(f)
    cast, w = fr.as_int(c, tf.CAST), fr.as_int(c, tf.choice_column("PL"))
    use = (cast >= integer_peaks.MIN_DENOMINATOR) & (w <= cast)
    q = integer_peaks.integer_probability(w, cast)
    deficit = integer_peaks.is_integer_percent(w, cast) - q
    small = use & (w >= 1) & (w <= 4)
    assert deficit[small].sum() < -700 and abs(deficit[use & ~small].sum()) < 50
    assert np.isclose(deficit[use].sum(), res["integer_peaks.winner"].estimates["excess"])
