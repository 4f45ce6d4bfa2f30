"""Unit tests of the forensic tests: each must detect what it is built for and stay quiet otherwise."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from escrutinio.forensics import (
    anomalies,
    count_order,
    digits,
    fingerprint,
    integer_peaks,
    peers,
    report,
    second_digit,
    simulate,
    suite,
)
from escrutinio.forensics.results import ForensicResult


@pytest.fixture(scope="module")
def clean() -> pl.DataFrame:
    return simulate.synthetic_election(3000, seed=11)


def test_forensics_turnout_full_flags_impossible_sheet(clean):
    assert anomalies.turnout_full(clean).tables == ()
    bad = clean.with_columns(
        pl.when(pl.col("table") == "000005").then(pl.col("electors") + 3).otherwise(pl.col("cast")).alias("cast")
    )
    r = anomalies.turnout_full(bad)
    assert r.tables == ("000005",)
    assert r.details["over_100"] == 1


def test_forensics_unanimous_detects_planted_tables(clean):
    assert anomalies.unanimous(clean, choices=["A", "B"]).p_value > 0.01
    ids = [f"{i:06d}" for i in range(1, 3001, 100)]
    planted = clean.with_columns(
        pl.when(pl.col("table").is_in(ids)).then(pl.col("valid")).otherwise(pl.col("v_A")).alias("v_A"),
        pl.when(pl.col("table").is_in(ids)).then(0).otherwise(pl.col("v_B")).alias("v_B"),
    )
    r = anomalies.unanimous(planted, choices=["A", "B"])
    assert r.p_value <= 0.001  # the floor of 999 Monte Carlo draws
    assert set(ids) <= set(r.tables)


def test_forensics_identical_detects_copied_sheets(clean):
    rows = clean.head(40)
    copies = rows.with_columns((pl.col("table") + "c").alias("table"))
    r = anomalies.identical(pl.concat([clean, copies]))
    assert r.p_value <= 0.001
    assert r.statistic >= 40
    assert "000001c" in r.tables


def test_forensics_cast_outliers_lists_far_tables_without_a_verdict(clean):
    """A listing: the tables beyond chance one by one are named, the count beside what the clean model
    gives, and no verdict (weighed as a test it was flagged on every real election; review11 #22)."""
    assert anomalies.cast_outliers(clean).tables == ()
    i = clean.filter(pl.col("electors") == 300)["table"][0]
    odd = clean.with_columns(pl.when(pl.col("table") == i).then(20).otherwise(pl.col("cast")).alias("cast"))
    r = anomalies.cast_outliers(odd)
    assert i in r.tables  # listed: beyond chance on its own
    ids = clean.filter(pl.col("electors") == 300)["table"][:30].to_list()
    many = clean.with_columns(pl.when(pl.col("table").is_in(ids)).then(20).otherwise(pl.col("cast")).alias("cast"))
    m = anomalies.cast_outliers(many)
    assert set(ids) <= set(m.tables) and m.estimates["observed"] >= 30 > m.estimates["expected"]
    d = m.to_dict()
    assert (d["kind"], d["status"], d.get("flagged"), d["p_value"]) == ("listing", "listed", None, None)
    assert "so the count is not weighed as a test" in m.reading


def test_forensics_integer_definition():
    """Integer = within 0.05 points of a whole percentage, whatever the table's size."""
    v = np.array([150, 151, 75, 33, 199, 2001, 1999, 0])
    n = np.array([300, 300, 300, 300, 301, 4000, 3000, 0])
    assert integer_peaks.is_integer_percent(v, n).tolist() == [True, False, True, True, False, True, False, False]


def test_forensics_integer_probability_matches_binomial_redraws(clean):
    """The exact per-table probability equals the paper's Monte Carlo (redraw the counts, check them)."""
    v = clean["cast"].to_numpy()
    n = clean["electors"].to_numpy()
    keep = n >= 100
    v, n = v[keep], n[keep]
    redrawn = np.random.default_rng(1).binomial(n, v / n, size=(400, len(v)))
    mc = integer_peaks.is_integer_percent(redrawn, n[None, :]).sum(axis=1)
    q = integer_peaks.integer_probability(v, n)
    assert abs(q.sum() - mc.mean()) < 4 * mc.std() / np.sqrt(400) + 1
    null = integer_peaks.null_counts(q, 1000, np.random.default_rng(2))
    assert abs(null.std() - mc.std()) < 0.2 * mc.std()


def test_forensics_integer_null_keeps_the_expected_count_where_tables_share_one_q():
    """Peru's shape: most tables have 300 electors, so an integer turnout is a count divisible by 3
    and q = 1/3 for each; pooling must keep the null's mean at the sum of q (rounding each pool to
    its step of 0.001 put it 23 tables low, 0.17 sd: 8 % false alarms at 5 %), tiny q's included."""
    q = np.r_[np.full(68_000, 1 / 3), np.full(18_000, 4e-4)]
    draws = 2000
    null = integer_peaks.null_counts(q, draws, np.random.default_rng(5))
    sd = float(np.sqrt(np.sum(q * (1 - q))))
    assert abs(null.mean() - q.sum()) < 4 * sd / np.sqrt(draws), (null.mean(), q.sum())
    assert abs(null.std() - sd) < 0.1 * sd


def test_forensics_integer_peaks_detect_round_numbers(clean):
    inj = simulate.inject(clean, kind="round_numbers", winner="A", share=0.1, seed=3)
    r = {x.test: x for x in integer_peaks.test(inj.frame, winner="A")}
    assert r["integer_peaks.turnout"].p_value < 0.001
    assert r["integer_peaks.winner"].p_value < 0.001
    c = {x.test: x for x in integer_peaks.test(clean, winner="A")}
    assert c["integer_peaks.turnout"].p_value > 0.001


def test_forensics_benford_second_digit_law_sums_to_one():
    assert second_digit.BENFORD_SECOND.sum() == pytest.approx(1.0)
    assert second_digit.second_digit(np.array([10, 123, 4567, 99])).tolist() == [0, 2, 5, 9]


def test_forensics_last_digit_detects_fabrication():
    f = simulate.synthetic_election(6000, seed=5)
    inj = simulate.inject(f, kind="fabricated", winner="A", share=0.5, seed=5)
    assert digits.last_digit_test(inj.frame, choices=["A", "B"]).p_value < 0.001


def test_forensics_fingerprint_tilt_flags_stuffing_not_clean():
    f = simulate.synthetic_election(4000, seed=8)
    clean = fingerprint.test(f, winner="A", draws=999)
    assert clean.flagged() is False, clean.reading
    assert clean.draws == 999 and clean.estimates["f_incremental"] < 0.1
    inj = simulate.inject(f, kind="klimek", winner="A", f_incremental=0.3, f_extreme=0.02, seed=8)
    r = fingerprint.test(inj.frame, winner="A", draws=999)
    assert r.flagged() is True, r.reading
    e = r.estimates
    # 4,000 tables: the fractions read within 0.1 and 0.005 of the injected ones, intervals covering them.
    assert abs(e["f_incremental"] - 0.3) <= 0.1 and e["interval_incremental"][0] <= 0.3 <= e["interval_incremental"][1], e
    assert e["interval_incremental"][0] <= e["f_incremental"] <= e["interval_incremental"][1]
    assert abs(e["f_extreme"] - 0.02) <= 0.005 and e["interval_extreme"][0] <= 0.02 <= e["interval_extreme"][1], e
    # The wording states the fitted values as a reader says them, each fraction with its interval.
    lo, hi = e["interval_incremental"]
    said = f"incremental fraud fraction (f_i) is estimated at {e['f_incremental']:.2f} (95 % interval {lo:.2f}–{hi:.2f})"
    assert said in r.reading
    lo, hi = e["interval_extreme"]
    assert f"extreme fraud fraction (f_e) is estimated at {e['f_extreme']:.3f} (95 % interval {lo:.3f}–{hi:.3f})" in r.reading


def test_forensics_fingerprint_detects_extreme_fraud():
    """Extreme fraud alone is read as extreme fraud: f_e near the injected 0.05, and no incremental
    fraud (it read f_i 0.22 when the tilt was inverted on incremental fraud alone)."""
    f = simulate.synthetic_election(4000, seed=8)
    inj = simulate.inject(f, kind="klimek", winner="A", f_incremental=0.0, f_extreme=0.05, seed=8)
    r = fingerprint.test(inj.frame, winner="A", seed=1)
    e = r.estimates
    assert abs(e["f_extreme"] - 0.05) <= 0.01 and e["interval_extreme"][0] <= 0.05 <= e["interval_extreme"][1], e
    assert e["f_incremental"] <= 0.02 and e["interval_incremental"][0] == 0.0, e
    assert r.p_value <= 0.05
    assert len(r.figures["fingerprint"]["counts"]) == 100


def test_forensics_peers_detects_stolen_tables(clean):
    inj = simulate.inject(clean, kind="stealing", winner="A", share=0.03, seed=2)
    rs = {r.test: r for r in peers.test(inj.frame, inj.tables, winner="A", permutations=999)}
    assert rs["claims_vs_peers.winner_share"].p_value < 0.01
    assert rs["claims_vs_peers.winner_share"].statistic > 0.2


def test_forensics_peers_first_round_swing(clean):
    second = simulate.inject(clean, kind="stealing", winner="A", share=0.03, seed=4)
    rs = {
        r.test: r
        for r in peers.test(second.frame, second.tables, winner="A", first_round=clean, first_round_winner="A", permutations=999)
    }
    assert rs["claims_vs_peers.swing_from_first_round"].p_value < 0.01


def test_forensics_count_order_projection_explains_geographic_shift():
    """Places leaning to A counted further (90 % of their tables) than those leaning to B (40 %): the
    margin at the cut (+14.7) is far above the final (+4.0), and each place's own counted tables
    project its rest: the interval holds the final margin and leaves out the cut's, so the late shift
    is explained by where the late tables are."""
    f = simulate.synthetic_election(4000, seed=21)
    share = (pl.col("v_A").sum() / (pl.col("v_A").sum() + pl.col("v_B").sum())).over("polling_place")
    position = pl.int_range(pl.len()).over("polling_place") / pl.len().over("polling_place")
    counted = position < pl.when(share > 0.55).then(0.9).otherwise(0.4)
    by_place = f.with_columns(pl.when(counted).then(pl.col("order")).otherwise(None).alias("order"))
    r = count_order.test(by_place, winner="A", checkpoints=(), bootstrap=200)
    e = r.estimates
    assert e["low"] <= e["realised_margin_points"] <= e["high"] < e["cuts"][-1]["margin_so_far_points"], e
    assert r.flagged() is False and e["late_shift_explained"] is True
    assert "explained by where the late tables are" in r.reading
    # Whole areas still to count (every other province): the interval (+1.6 to +15.2) holds the final
    # margin but also the cut's (+10.2): it cannot tell a late shift from none. (The order's first
    # 2,500 tables leave most places partly counted: each drawn from its own counted tables, that
    # interval, +2.6 to +4.8, is no longer wide enough to hold the cut's +6.3.)
    early = pl.col("province").rank("dense") % 2 != 0
    by_province = f.with_columns(pl.when(early).then(pl.col("order")).otherwise(None).alias("order"))
    wide = count_order.test(by_province, winner="A", checkpoints=(), bootstrap=200)
    e = wide.estimates
    assert e["low"] <= e["realised_margin_points"] <= e["high"] and e["low"] <= e["cuts"][-1]["margin_so_far_points"] <= e["high"]
    assert wide.flagged() is None and e["late_shift_explained"] is None
    assert "explained by" not in wide.reading and wide.reading.startswith("Cannot tell")
    # Stealing only in the tables still to count: the projection should not explain it.
    half = f.with_columns(pl.when(pl.col("order") <= 2500).then(pl.col("order")).otherwise(None).alias("order"))
    late = f.filter(pl.col("order") > 2500)["table"].to_list()
    g = half.with_columns(
        pl.when(pl.col("table").is_in(late)).then(pl.col("v_A") + pl.col("v_B")).otherwise(pl.col("v_A")).alias("v_A"),
        pl.when(pl.col("table").is_in(late)).then(0).otherwise(pl.col("v_B")).alias("v_B"),
    )
    assert count_order.test(g, winner="A", checkpoints=(), bootstrap=200).flagged() is True


def test_forensics_count_order_without_a_real_order_cannot_tell():
    f = simulate.synthetic_election(500, seed=2).with_columns(pl.lit(None, dtype=pl.Int64).alias("order"))
    r = count_order.test(f, winner="A")
    assert r.flagged() is None
    assert "--order" in r.reading and "not the order of the count" in r.reading


def test_forensics_result_to_dict_is_json(clean):
    res = suite.run_suite(
        clean,
        winner="A",
        choices=["A", "B"],
        claimed_tables=["000001", "000002", "000003"],
        options={"fingerprint": {"draws": 999}},
    )
    text = json.dumps(res.to_dict(with_figures=True))
    assert "fingerprint.klimek" in text
    assert all(isinstance(r, ForensicResult) for r in res.results)
    assert all(r.status != "error" for r in res.results), [r.reading for r in res.results if r.status == "error"]
    assert "never a verdict" in res.to_text()


def test_forensics_a_failing_family_is_an_error_not_cannot_tell(clean):
    """A family that raises (an option it does not take) is "error" in JSON, the text and ``failed``, not
    "cannot tell" (which says the data could not answer); the other families still run."""
    res = suite.run_suite(
        clean, winner="A", choices=["A", "B"], tests=["fingerprint", "digits"], options={"fingerprint": {"bogus": 1}}
    )
    assert [r.test for r in res.failed] == ["fingerprint.error"]
    d = {r["name"]: r for r in res.to_dict()["results"]}
    assert d["fingerprint.error"]["status"] == "error" and d["fingerprint.error"]["flagged"] is None
    assert "      error  fingerprint.error" in res.to_text()
    assert any(r.family == "digits" and r.status == "ok" for r in res.results)


def test_forensics_suite_progress_and_subset(clean):
    seen = []
    res = suite.run_suite(
        clean, winner="A", choices=["A", "B"], tests=["digits"], progress=lambda s, d, t: seen.append((s, d, t))
    )
    assert {r.family for r in res.results} == {"digits"}
    assert seen[0] == ("digits", 0, 1) and seen[-1] == ("done", 1, 1)
    with pytest.raises(ValueError):
        suite.run_suite(clean, winner="A", choices=["A", "B"], tests=["nope"])
    with pytest.raises(ValueError):
        suite.run_suite(clean, winner="Z", choices=["A", "B"])


@pytest.mark.slow
def test_forensics_report_writes_html_png_json(clean, tmp_path):
    res = suite.run_suite(
        clean, winner="A", choices=["A", "B"], tests=["fingerprint", "count_order", "digits"], choice_names={"A": "Ana Alba"}
    )
    path = report.write_report(res, tmp_path)
    html = path.read_text()
    assert "fingerprint.png" in html and "http" not in html.replace("http-equiv", "")
    # The leader by name and the statistics in words: it read "winner A" and within_area_rank_correlation.
    assert "leader <b>Ana Alba (A)</b>" in html and "within area rank correlation" in html
    assert "within_area_rank_correlation" not in html and "conditioned on the level of each paper" in html
    for name in ("fingerprint", "last_digit", "second_digit"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        json.loads((tmp_path / f"{name}.json").read_text())


def test_forensics_not_applicable_without_electors(clean):
    f = clean.with_columns(pl.lit(None, dtype=pl.Int64).alias("electors"))
    assert fingerprint.test(f, winner="A").status == "not_applicable"
    assert anomalies.turnout_full(f).status == "not_applicable"


def test_forensics_anomaly_thresholds_are_applied(clean):
    f = clean.with_columns(
        pl.when(pl.col("table") == "000001").then(pl.col("cast")).otherwise(pl.col("null")).alias("null"),
        pl.when(pl.col("table") == "000001").then(0).otherwise(pl.col("valid")).alias("valid"),
    )
    base = anomalies.run(f, choices=["A", "B"])
    strict = {r.test: r for r in anomalies.run(f, choices=["A", "B"], turnout=0.8, null_share_at=0.5)}
    assert "000001" in strict["anomalies.null_share"].tables
    high = int(((clean["cast"] / clean["electors"]) >= 0.8).sum())
    assert strict["anomalies.turnout_full"].estimates["at_or_above_threshold"] == high > 0
    assert {r.test for r in base} >= {"anomalies.null_share", "anomalies.resolved_net", "anomalies.turnout_full"}


def test_forensics_resolved_net_says_whether_the_lead_rests_on_rulings_without_a_verdict(clean):
    """Whether the resolved sheets' net exceeds the margin is arithmetic, not a test: the result is a
    summary with no ``flagged`` (review13c #9: it was a test, flagged with no null)."""
    totals = {c: int(clean[f"v_{c}"].sum()) for c in ("A", "B")}
    lead, other = sorted(totals, key=totals.get, reverse=True)

    def resolved_where(condition: pl.Expr) -> pl.DataFrame:
        return clean.with_columns(pl.when(condition).then(pl.lit("resolved")).otherwise(pl.col("state")).alias("state"))

    # One resolved table cannot carry the lead; every table the leader won, resolved, does.
    one = anomalies.resolved_net(resolved_where(pl.col("table") == clean["table"][0]), choices=["A", "B"])
    assert one.estimates["lead_rests_on_rulings"] is False and "does not rest" in one.reading
    assert one.is_listing and one.flagged() is None and "flagged" not in one.to_dict()
    won = anomalies.resolved_net(resolved_where(pl.col(f"v_{lead}") > pl.col(f"v_{other}")), choices=["A", "B"])
    assert won.estimates["lead_rests_on_rulings"] is True and "rests on these rulings" in won.reading
    assert won.to_dict()["kind"] == "listing" and won.to_dict()["p_value"] is None
    assert won.estimates["national_margin"] == totals[lead] - totals[other]


@pytest.mark.slow
def test_forensics_count_order_interval_coverage_on_finished_counts():
    """Hold out random and geographic parts of a finished synthetic count: the 95 % interval holds the
    realised margin most of the time (20 trials each, so at least 16)."""
    f = simulate.synthetic_election(20_000, seed=3)
    cov = count_order.coverage(f, winner="A", trials=20, bootstrap=200, seed=1)
    assert cov["random_coverage"] >= 0.8, cov
    assert cov["geographic_coverage"] >= 0.8, cov
    assert cov["random_median_width_points"] < cov["geographic_median_width_points"]


def test_forensics_integer_without_electors_tests_the_result_only(clean):
    f = clean.with_columns(pl.lit(None, dtype=pl.Int64).alias("electors"))
    r = {x.test: x for x in integer_peaks.test(f, winner="A")}
    assert r["integer_peaks.either"].flagged() is None and r["integer_peaks.turnout"].flagged() is None
    assert r["integer_peaks.winner"].flagged() is False and r["integer_peaks.winner"].draws == 1000
