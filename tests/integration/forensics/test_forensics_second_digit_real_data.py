"""The digit tests on the real files: the second digit against the last digit's binomial null, and
both at the nation (docs/forensics.md, "Digit tests: where they apply")."""

from __future__ import annotations

import pytest
from frames_forensics import chile, choice_ids, peru

from escrutinio.forensics import digits, second_digit

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.mark.parametrize(("election", "chi2_sizes"), [("chile", 117.5), ("peru-runoff", 34.3)])
def test_forensics_second_digit_not_flagged_on_chile_2021_and_the_peru_runoff(election, chi2_sizes):
    """Not flagged: the binomial null, with the shares the districts' tables have, misplaces the counts'
    sizes (their first digits and decades) on both files, so its second digits are not honest counts'
    either, and the test cannot tell, saying why and giving the second-digit figures beside it."""
    frame = chile() if election == "chile" else peru(2)
    r = second_digit.second_digit_test(frame, choices=choice_ids(frame))
    e = r.estimates
    assert r.flagged() is None and r.p_value is None, r.reading
    assert r.level == "district" and r.draws == digits.NULL_DRAWS
    assert e["chi2_sizes"] == pytest.approx(chi2_sizes, abs=0.1) and e["p_sizes"] <= 2 / (digits.NULL_DRAWS + 1)
    assert "misplaces these counts' sizes" in r.reading and "p_vs_honest" in e


def test_forensics_last_digit_cannot_tell_on_the_peru_runoff_at_the_nation():
    """The runoff by the nation was flagged (p 0.048; seeds 1-3 0.046, 0.041, 0.045) with one share
    for the whole nation, which Castillo's and Fujimori's regional strength belies: it cannot tell
    there, and at the district it is not flagged."""
    frame = peru(2)
    nation = digits.last_digit_test(frame, choices=choice_ids(frame), by="national")
    assert nation.flagged() is None and "Cannot tell at the nation" in nation.reading
    assert digits.last_digit_test(frame, choices=choice_ids(frame)).flagged() is False
