"""The suite on the real elections in ../shared/data: it runs and its results are sane."""

from __future__ import annotations

import pytest
from frames_forensics import bolivia, chile, claimed_59, peru, russia

from escrutinio.forensics import anomalies, count_order, integer_peaks, peers, suite

pytestmark = pytest.mark.shared

FAST = {"fingerprint": {"bootstrap": 50, "null_replicates": 19}}


@pytest.fixture(scope="module")
def runoff():
    return peru(2, order="urban_first")


def test_forensics_peru_runoff_suite_runs_and_is_sane(runoff):
    res = suite.run_suite(runoff, winner="PL", choices=["PL", "FP"], options=FAST)
    assert all(r.status != "error" for r in res.results), [r.reading for r in res.results if r.status == "error"]
    full = res.get("anomalies.turnout_full")
    assert full.details["over_100"] == 0  # no counted table above 100 % turnout
    assert full.details["at_100"] < 50  # exactly 100 % is rare
    fp = res.get("fingerprint.klimek")
    assert fp.details["f_extreme"] <= 0.01
    assert res.n_counted == 84_863 + 1_386


def test_forensics_peru_runoff_resolved_tables_vs_peers(runoff):
    resolved = runoff.filter(runoff["state"] == "resolved")["table"].to_list()
    assert len(resolved) == 1386
    rs = {r.test: r for r in peers.test(runoff, resolved, winner="PL", first_round=peru(1), permutations=1999)}
    share = rs["claims_vs_peers.winner_share"]
    assert share.details["claimed_in_frame"] == 1386
    assert abs(share.statistic) < 0.05  # resolved tables vote like their districts
    assert rs["claims_vs_peers.swing_from_first_round"].details["first_round_choice"] == "v_PL"


def test_forensics_peru_59_claimed_tables(runoff):
    tables = claimed_59()
    rs = {r.test: r for r in peers.test(runoff, tables, winner="PL", permutations=1999)}
    # 39 of the 59 are annulled: they have a turnout but no vote shares to compare.
    assert rs["claims_vs_peers.turnout"].details["claimed_with_value"] == 59
    assert rs["claims_vs_peers.winner_share"].details["claimed_with_value"] == 20


def test_forensics_peru_count_order_urban_first_shows_late_shift(runoff):
    r = count_order.test(runoff, winner="PL", order_label="urban-first order")
    first = r.details["checkpoints"][0]
    assert first["naive_share"] < 0.5 < r.details["final_share"]  # Fujimori led early, Castillo won
    assert r.details["lead_changes"] >= 1


def test_forensics_russia_integer_peaks():
    for year in (2011, 2012):
        res = {r.test: r for r in integer_peaks.test(russia(year), winner={2011: "6", 2012: "5"}[year])}
        # The leader's result shows the peaks most strongly (excess ~800 tables), turnout less so.
        assert res["integer_peaks.winner"].p_value < 1e-9, year
        assert res["integer_peaks.winner"].details["excess"] > 500, year
        assert res["integer_peaks.turnout"].p_value < 0.01, year


def test_forensics_russia_2018_suite_runs():
    res = suite.run_suite(russia(2018), winner="4", choices=[str(i) for i in range(1, 9)],
                          tests=["anomalies", "fingerprint", "integer_peaks"], options=FAST)
    assert all(r.status == "ok" for r in res.results)
    assert res.get("integer_peaks.turnout").p_value < 0.001


def test_forensics_bolivia_suite_runs():
    f = bolivia()
    res = suite.run_suite(f, winner="MAS", choices=["CC", "FPV", "MTS", "UCS", "MAS", "21F", "PDC", "MNR", "PANBOL"],
                          order_label="TREP order", options=FAST)
    assert all(r.status != "error" for r in res.results)
    assert res.get("anomalies.turnout_full").details["over_100"] == 0  # PROVENANCE: no votes > Inscritos
    co = res.get("count_order.projection")
    assert 0.44 < co.details["final_share"] < 0.50


def test_forensics_chile_runs_without_electors():
    f = chile()
    res = suite.run_suite(f, winner="C2", choices=[f"C{i}" for i in range(1, 8)],
                          tests=["anomalies", "fingerprint", "digits", "integer_peaks"])
    assert res.get("fingerprint.klimek").status == "not_applicable"
    assert res.get("digits.last_digit").status == "ok"
    assert anomalies.identical(f).status == "ok"
