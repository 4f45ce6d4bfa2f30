"""The integer-percentage test cannot tell where its null sits far above the data: a one-sided test
whose null expects many more integer tables than there are does not describe the data, and an excess
of round percentages could hide under it."""

from __future__ import annotations

import numpy as np
import polars as pl

from escrutinio.forensics import integer_peaks, simulate


def _never_integer_turnout(seed: int = 3) -> pl.DataFrame:
    """1,000 electors a table and ballots that always end a half point off a whole percentage (705,
    715, …): no table has an integer turnout, where the binomial redraw expects about one in ten."""
    f = simulate.synthetic_election(3000, seed=seed)
    rng = np.random.default_rng(seed)
    cast = 605 + 10 * rng.integers(0, 30, f.height)
    valid = cast - f["null"].to_numpy().clip(0, 20) - f["blank"].to_numpy().clip(0, 20)
    a = rng.binomial(valid, 0.55)
    return f.with_columns(
        pl.lit(1000).alias("electors"),
        pl.Series("cast", cast),
        pl.Series("valid", valid),
        pl.Series("v_A", a),
        pl.Series("v_B", valid - a),
    )


def test_forensics_integer_statistic_far_below_its_null_cannot_tell():
    res = {r.test: r for r in integer_peaks.test(_never_integer_turnout(), winner="A")}
    turnout = res["integer_peaks.turnout"]
    e = turnout.estimates
    assert e["observed"] == 0 and e["expected"] > 250 and e["z"] < -15, e
    assert turnout.flagged() is None and turnout.p_value is None, turnout.reading  # was "not flagged"
    assert e["null_misfit"] is True and e["p_excess"] == 1.0
    assert "far below what the null expects" in turnout.reading
    assert "cannot read integer peaks here" in turnout.reading
    assert "no more frequent" not in turnout.reading and turnout.tables == ()
    d = turnout.to_dict()
    assert d["flagged"] is None and d["status"] == "cannot tell" and d["estimates"]["z"] < -15
    # "Either" reads the same turnouts: far below too. The result alone fits its null and decides.
    assert res["integer_peaks.either"].flagged() is None
    winner = res["integer_peaks.winner"]
    assert winner.flagged() is False and winner.estimates["z"] > integer_peaks.MISFIT_Z, winner.reading
    assert winner.estimates["null_misfit"] is False


def test_forensics_integer_misfit_threshold_is_three_sds_below():
    assert integer_peaks.MISFIT_Z == -3.0
    clean = simulate.synthetic_election(3000, seed=11)
    for r in integer_peaks.test(clean, winner="A"):
        assert r.estimates["z"] > integer_peaks.MISFIT_Z and r.flagged() is False, r.reading


def test_the_integer_readings_name_the_leader_and_say_the_null_needs_no_peers():
    """The leader by the election's name in the wording (it read "an integer result for A"; ids stay
    in JSON), and the result says the null needs no peers: --by splits the excess by area and
    leaves every figure as it is (review11 #20: the figures were identical at every --by while
    the result named the level as if it conditioned them)."""
    from escrutinio.forensics import integer_peaks, simulate

    f = simulate.synthetic_election(2000, seed=4)
    national = integer_peaks.test(f, winner="A", choice_names={"A": "Ana Alba"})
    by_department = integer_peaks.test(f, winner="A", by="department", choice_names={"A": "Ana Alba"})
    for a, b in zip(national, by_department, strict=True):
        assert (a.statistic, a.p_value, a.estimates["z"]) == (b.statistic, b.p_value, b.estimates["z"])
        assert any("the null needs no peers" in c for c in b.caveats)
        assert b.estimates["null_peers"].startswith("none")
    either, _, winner = by_department
    assert "an integer result for Ana Alba" in winner.reading and "for A " not in winner.reading
    assert "an integer turnout or an integer result for Ana Alba" in either.reading
