"""The contest rules on real counts: Bolivia 2019 is a first-round win under art. 166 (MAS 47.08 %,
a 10.57-point lead), which the old "absolute majority or runoff" rule reported as a runoff."""

from __future__ import annotations

from fractions import Fraction

import pytest
from tests.conftest import need_shared
from tests.integration.generic_presets import PRESETS

from escrutinio.app import Session
from escrutinio.count.options import InvalidSheets

pytestmark = pytest.mark.shared


def test_bolivia_2019_is_won_in_the_first_round_with_forty_per_cent_and_ten_points(sqlite_db: str) -> None:
    preset, path, _ = PRESETS["bolivia"]
    session = Session(sqlite_db)
    session.count.load(need_shared(path), preset, invalid=InvalidSheets.OBSERVE)
    nat = session.count.results()[0]
    mas, cc, valid = nat["votes"]["MAS"], nat["votes"]["CC"], nat["valid"]
    assert round(100 * mas / valid, 2) == 47.08 and round(100 * (mas - cc) / valid, 1) == 10.6
    assert Fraction(mas, valid) < Fraction(1, 2)  # not a majority: the second alternative decides
    outcome = nat["outcome"]
    assert outcome["kind"] == "winner" and outcome["winner"] == "MAS"
    assert outcome["met"] == {"share": ">= 40%", "lead": ">= 10%"}
    assert "art. 166" in outcome["rule"]["source"]
