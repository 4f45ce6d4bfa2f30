"""The last-digit test's null on the real files: the digits the counts read give honestly (binomials
spread as their areas' tables are, docs/forensics.md), not 10 % a digit and the chi-square table."""

from __future__ import annotations

import pytest
from frames_forensics import chile, choice_ids, peru, russia

from escrutinio.forensics import digits

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.mark.parametrize(("election", "p_value"), [("chile", 0.6454), ("peru-runoff", 0.4949)])
def test_forensics_last_digit_not_flagged_on_chile_2021_and_the_peru_runoff(election, p_value):
    """Chile 2021 and the Peru 2021 runoff: not flagged, the p from 9,999 draws of the counts' honest
    digits. Their counts spread widely, so the null is the table's to within a few hundredths (mean
    chi-square 9.01 and 9.03 against 9) and the p is the chi-square table's."""
    frame = chile() if election == "chile" else peru(2)
    r = digits.last_digit_test(frame, choices=choice_ids(frame))
    e = r.estimates
    assert r.flagged() is False, r.reading
    assert r.draws == digits.NULL_DRAWS and "binomial" in r.null
    assert r.p_value == pytest.approx(p_value, abs=5e-4)
    assert abs(r.p_value - e["p_chi2_9df"]) < 0.01 and abs(e["null_chi2_mean"] - 9.0) < 0.1
    assert "No final digit appears more often than counting gives." in r.reading


def test_forensics_last_digit_null_on_russia_expects_what_its_areas_spread_gives():
    """Russia's tables differ widely within their areas: honest counts so spread put mass near the
    single-digit cut, and the null expects a chi-square of 11.7 (2012) to 12.9 (2011), not 9. The final
    0s are still far beyond it: flagged at the null's resolution, 2011 and 2012 alike."""
    for year, mean in ((2011, 12.85), (2012, 11.73)):
        frame = russia(year)
        r = digits.last_digit_test(frame, choices=choice_ids(frame))
        assert r.flagged() is True, r.reading
        assert r.estimates["null_chi2_mean"] == pytest.approx(mean, abs=0.05)
        assert r.p_value <= 3 / (digits.NULL_DRAWS + 1) and r.statistic > 49
