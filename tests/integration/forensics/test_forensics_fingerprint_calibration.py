"""The fingerprint's false alarms on clean elections shaped like the Peru runoff, centred on provinces
(issue 13): the level where it was once measured at 8 % (16 of 200). Seeded, so the count is the same
on every run; 400 elections, so a rate of 8 % would show (it fails at 30 of 400, where a one-sided
binomial test tells the rate from 5 % at 1 %). ``python benchmarks/forensics_calibration.py --clean 400
--fraud 0 --elections peru --tests fingerprint --by province`` prints the same count."""

from __future__ import annotations

import pytest
from frames_forensics import peru
from scipy import stats

from escrutinio.forensics.calibration import calibrate_shaped

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def test_fingerprint_by_province_on_peru_shaped_clean_elections_holds_five_percent() -> None:
    """21 of 400 when written (5.25 %; 53 of 1,200 over seeds 0-1199: 4.4 %, 95 % interval 3.3-5.7 %)."""
    rep = calibrate_shaped(peru(2), "PL", n_clean=400, n_fraud=0, tests=["fingerprint"], by="province", kinds=())
    k, n = rep.false_alarm_counts["fingerprint.klimek"]
    assert n == 400
    assert stats.binom.sf(k - 1, n, 0.05) >= 0.01, rep.to_text()
