"""Calibration on clean elections shaped like a real one (forensics/shaped.py): every family runs;
every test that decides on the election keeps its false alarms at about α, and its power on stuffing
and written-in figures is reported (``python benchmarks/forensics_calibration.py`` prints the full
table for each election)."""

from __future__ import annotations

import pytest
from frames_forensics import bolivia
from scipy import stats

from escrutinio.forensics.calibration import calibrate_shaped

pytestmark = [pytest.mark.shared, pytest.mark.slow]

ANOMALY_COUNTS = {"anomalies.unanimous", "anomalies.identical", "anomalies.cast_outliers"}
"""The anomaly checks that weigh a count of odd tables against a Poisson expectation. On clean
Bolivias they are flagged far more than 5 % of the time (their expectations assume independent
counts and normal spreads within peers, which shaped elections, like real ones, do not have): they
are reported, not held to α, and their wording says "worth checking", never more."""


def test_forensics_false_alarms_on_elections_shaped_like_bolivia():
    """20 clean Bolivias: no deciding test is shown to cry wolf more than 5 % of the time (one-sided
    binomial test at 1 %: 5 alarms or more in 20); round figures written on 5 % of the tables are seen;
    every family is in the report, the claims test and the count-order projection included."""
    rep = calibrate_shaped(bolivia(), "MAS", n_clean=20, n_fraud=4, seed=7)
    assert {
        "fingerprint.klimek",
        "integer_peaks.either",
        "digits.last_digit",
        "claims_vs_peers.winner_share",
        "count_order.projection",
        *ANOMALY_COUNTS,
    } <= set(rep.false_alarm), rep.to_text()
    too_high = {
        t: r for t, r in rep.false_alarm.items() if t not in ANOMALY_COUNTS and stats.binom.sf(round(r * 20) - 1, 20, 0.05) < 0.01
    }
    assert not too_high, rep.to_text()
    assert rep.detection["round_numbers"]["integer_peaks.either"] >= 0.75, rep.to_text()
    assert rep.detection["klimek"]["claims_vs_peers.winner_share"] >= 0.75, rep.to_text()
    assert "fingerprint.klimek" in rep.detection["klimek"]  # reported, whatever it is
