"""Calibration and power on synthetic elections (the must-show figures of the forensics layer)."""

from __future__ import annotations

import numpy as np
import pytest

from escrutinio.forensics import calibration, simulate


@pytest.mark.slow
def test_forensics_false_alarm_rates_at_most_five_percent():
    """False alarms at α = 0.05 on 200 clean elections, for every test that decides (the fingerprint, the
    integer test and the anomaly counts included): none is shown to exceed 5 % (one-sided binomial test at 1 %: with 200
    elections, 19 false alarms or more)."""
    from scipy import stats

    rep = calibration.calibrate(n_clean=200, n_fraud=0, n_tables=1000, fraud_kinds=())
    assert rep.n_clean == 200
    too_high = {
        t: r for t, r in rep.false_alarm.items() if r is not None and stats.binom.sf(round(r * 200) - 1, 200, 0.05) < 0.01
    }
    assert not too_high, rep.to_text()
    assert {"fingerprint.klimek", "integer_peaks.either", "digits.last_digit"} <= set(rep.false_alarm)
    # The anomaly counts decide on these elections (they have polling places) and are held to alpha too.
    assert all(rep.false_alarm[t] is not None for t in ("anomalies.unanimous", "anomalies.identical"))
    assert "anomalies.cast_outliers" not in rep.false_alarm  # a listing: it decides nothing


def test_forensics_detection_beats_false_alarm():
    rep = calibration.calibrate(
        n_clean=10,
        n_fraud=6,
        n_tables=1500,
        fraud_kinds=("round_numbers", "stealing", "klimek"),
        tests=["integer_peaks", "peers", "fingerprint"],
    )
    assert rep.detection["round_numbers"]["integer_peaks.either"] >= 0.8
    assert rep.detection["round_numbers"]["integer_peaks.turnout"] >= 0.8
    assert rep.detection["klimek"]["fingerprint.klimek"] > rep.false_alarm["fingerprint.klimek"]
    assert rep.detection["stealing"]["claims_vs_peers.winner_share"] >= 0.8
    assert np.isfinite(list(rep.false_alarm.values())).all()


def test_calibration_intervals_are_clopper_pearson():
    """A false-alarm count is reported with its exact binomial interval: 0 of 40 cannot rule out 8.8 %,
    40 of 400 rules out 5 %, and the interval's ends are the beta quantiles."""
    assert calibration.binomial_interval(0, 40) == (0.0, pytest.approx(0.0881, abs=1e-4))
    lo, hi = calibration.binomial_interval(40, 400)
    assert 0.05 < lo < 0.10 < hi
    assert calibration.binomial_interval(400, 400)[1] == 1.0


def test_calibration_report_carries_counts_with_the_rates():
    rep = calibration.CalibrationReport(0.05, 40, 0, 100, 0.1, {"t": 0.05}, {}, {"t": (2, 40)})
    assert rep.to_dict()["false_alarm_counts"]["t"]["flagged"] == 2
    assert "2/40, 95 % 0.006-0.169" in rep.to_text()


def test_calibration_report_without_fraud_runs_shows_no_fraud_share_or_power():
    """``--clean 3 --fraud 0`` printed "fraud in 10 % of tables" and a power column per kind, though no
    fraud ran."""
    rep = calibration.CalibrationReport(0.05, 3, 0, 100, 0.1, {"t": 0.0}, {"klimek": {"t": None}}, {"t": (0, 3)})
    head = rep.to_text().splitlines()[:2]
    assert head[0] == "alpha=0.05; 3 clean elections of 100 tables; no fraud simulated, so no power", head
    assert "klimek" not in rep.to_text() and "fraud in" not in rep.to_text()


def test_forensics_calibration_hears_each_election_by_the_seed_that_reproduces_it():
    """``on_run`` hears every election as it finishes, with the seed that runs it alone: a batch
    stopped part-way still counts, and batches at later seeds add up to one k/n (the benchmark's
    ``--log`` and ``--tally``). Clean election 1 of a batch at seed 0 is the batch of one at seed 1."""
    frame = simulate.synthetic_election(3000, seed=5)
    heard: list[tuple[str, int, dict, dict]] = []
    calibration.calibrate_shaped(
        frame, "A", n_clean=2, n_fraud=1, kinds=("klimek",), tests=["fingerprint"], on_run=lambda *a: heard.append(a)
    )
    assert [(k, s) for k, s, _, _ in heard] == [("clean", 0), ("clean", 1), ("klimek", 0)]
    assert all(set(f) == {"fingerprint.klimek"} and set(p) == set(f) for _, _, f, p in heard)
    alone: list[tuple[str, int, dict, dict]] = []
    calibration.calibrate_shaped(
        frame, "A", n_clean=1, n_fraud=0, kinds=(), tests=["fingerprint"], seed=1, on_run=lambda *a: alone.append(a)
    )
    assert alone == [heard[1]]
