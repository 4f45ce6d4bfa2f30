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


def test_forensics_peru_first_round_integer_null_fits_at_the_boundary():
    """The leader's result and "either" fit their null (before: z −8.2 and −5.16, "cannot tell"). The
    whole deficit was at the tables where Perú Libre got 1 to 4 votes: redrawn, such a count lands on
    0 votes (e^(−count)) far more often than counting does, and 0 % counted as a whole percentage.
    Now 0 % and 100 % of the result are not whole percentages and the result is read from 10 votes
    and 10 other ballots up (integer_peaks.result_included): 63,309 of the 81,094 tables of 100
    ballots or more; the redraw is reflected at the edges of that range (z −0.44, −2.25 with it; −0.10
    and −2.11 counted on the whole percentages outside it). The turnout is unchanged (z −2.24)."""
    f = peru(1)
    res = {r.test: r for r in integer_peaks.test(f, winner="PL")}
    figures = {"integer_peaks.winner": (63_309, 6_476, -0.44), "integer_peaks.either": (84_527, 28_382, -2.25)}
    for name, (used, observed, z) in figures.items():
        r = res[name]
        e = r.estimates
        assert (e["n_tables"], e["observed"]) == (used, observed), e
        assert round(e["z"], 2) == pytest.approx(z, abs=0.006) and e["null_misfit"] is False, r.reading
        assert r.flagged() is False and r.p_value is not None, r.reading
    turnout = res["integer_peaks.turnout"]
    assert turnout.flagged() is False and round(turnout.estimates["z"], 2) == -2.24
    c = fr.counted(f)
    cast, w = fr.as_int(c, tf.CAST), fr.as_int(c, tf.choice_column("PL"))
    use = integer_peaks.result_included(cast, w)
    whole = integer_peaks.RESULT_WHOLE
    side = integer_peaks.MIN_SIDE
    gap = integer_peaks.is_integer_percent(w, cast, whole=whole) - integer_peaks.integer_probability(
        w, cast, whole=whole, side=side
    )
    assert np.isclose(gap[use].sum(), res["integer_peaks.winner"].estimates["excess"])
    # Read at every table of 100 ballots with 0 % and 100 % counted, as before, the deficit returns.
    old = (cast >= integer_peaks.MIN_DENOMINATOR) & (w <= cast)
    before = integer_peaks.is_integer_percent(w, cast) - integer_peaks.integer_probability(w, cast)
    assert before[old & (w >= 1) & (w <= 4)].sum() < -700
