"""Calibration on clean elections shaped like a real one (forensics/shaped.py): every family runs;
every test that decides on the election keeps its false alarms at about α, and its power on stuffing
and written-in figures is reported (``python benchmarks/forensics_calibration.py`` prints the full
table for each election)."""

from __future__ import annotations

import pytest
from frames_forensics import bolivia, chile
from scipy import stats

from escrutinio.forensics.calibration import CalibrationReport, calibrate_shaped

pytestmark = [pytest.mark.shared, pytest.mark.slow]

ANOMALY_COUNTS = {"anomalies.unanimous", "anomalies.identical"}
"""The anomaly checks that weigh a count of odd tables against a null: held to α like every other."""


def too_often(rep: CalibrationReport) -> dict[str, float]:
    """The tests shown to cry wolf more than 5 % of the time (one-sided binomial test at 1 %)."""
    n = rep.n_clean
    return {t: r for t, r in rep.false_alarm.items() if r is not None and stats.binom.sf(round(r * n) - 1, n, 0.05) < 0.01}


def test_forensics_false_alarms_on_elections_shaped_like_bolivia():
    """20 clean Bolivias: no deciding test is shown to cry wolf more than 5 % of the time (one-sided
    binomial test at 1 %: 5 alarms or more in 20), the anomaly counts included; round figures written
    on 5 % of the tables are seen; every family is in the report, the claims test and the count-order
    projection included."""
    rep = calibrate_shaped(bolivia(), "MAS", n_clean=20, n_fraud=4, seed=7)
    assert {
        "fingerprint.klimek",
        "integer_peaks.either",
        "digits.last_digit",
        "claims_vs_peers.winner_share",
        "count_order.projection",
        *ANOMALY_COUNTS,
    } <= set(rep.false_alarm), rep.to_text()
    assert all(rep.false_alarm[t] is not None for t in ANOMALY_COUNTS), rep.to_text()  # Bolivia has recintos
    assert not too_often(rep), rep.to_text()
    assert rep.detection["round_numbers"]["integer_peaks.either"] >= 0.75, rep.to_text()
    assert rep.detection["klimek"]["claims_vs_peers.winner_share"] >= 0.75, rep.to_text()
    assert "fingerprint.klimek" in rep.detection["klimek"]  # reported, whatever it is


def test_forensics_false_alarms_on_elections_shaped_like_chile():
    """20 clean Chiles (no electors: ballots cast drawn around each district's): the tests that need
    turnout cannot tell, as on the real file, and no test that decides cries wolf more than 5 % of the
    time."""
    rep = calibrate_shaped(chile(), "KAST", n_clean=20, n_fraud=4, seed=3)
    assert rep.false_alarm["fingerprint.klimek"] is None, rep.to_text()
    assert rep.false_alarm["anomalies.unanimous"] is not None, rep.to_text()
    assert not too_often(rep), rep.to_text()
