"""The contest rules on real counts: Bolivia 2019 is a first-round win under art. 166 (MAS 47.08 %,
a 10.57-point lead), which the old "absolute majority or runoff" rule reported as a runoff; Russia's
shares are of every ballot cast, as its law counts them."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from tests.conftest import need_shared
from tests.integration.generic_presets import PRESETS

from escrutinio.app import Session
from escrutinio.count.options import InvalidSheets

pytestmark = pytest.mark.shared


def _national(db: str, dataset: str) -> dict[str, Any]:
    """The nation's result of one of the generic presets' datasets, loaded into ``db``."""
    preset, path, _ = PRESETS[dataset]
    session = Session(db)
    session.count.load(need_shared(path), preset, invalid=InvalidSheets.OBSERVE)
    return session.count.results()[0]


def test_bolivia_2019_is_won_in_the_first_round_with_forty_per_cent_and_ten_points(sqlite_db: str) -> None:
    nat = _national(sqlite_db, "bolivia")
    mas, cc, valid = nat["votes"]["MAS"], nat["votes"]["CC"], nat["valid"]
    assert round(100 * mas / valid, 2) == 47.08 and round(100 * (mas - cc) / valid, 1) == 10.6
    assert Fraction(mas, valid) < Fraction(1, 2)  # not a majority: the second alternative decides
    outcome = nat["outcome"]
    assert outcome["kind"] == "winner" and outcome["winner"] == "MAS"
    assert outcome["met"] == {"share": ">= 40%", "lead": ">= 10%"}
    assert "art. 166" in outcome["rule"]["source"]
    # Bolivia's law counts valid votes: its shares stay on them (review13d #7).
    assert nat["share_base"] == "valid votes" and nat["shares"]["MAS"] == 47.076 and nat["margin_points"] == 10.565


def test_russia_2012_shares_are_of_every_ballot_cast_as_the_cec_counts_them(sqlite_db: str) -> None:
    """19-FZ art. 76 and the CEC count shares of all the ballots of the voters who took part, invalid
    ones included: Putin 2012 has 63.60 % (45,602,075 of 71,701,665), where results gave the 64.35 %
    of valid votes (review13d #7)."""
    nat = _national(sqlite_db, "russia-2012")
    assert (nat["votes"]["PUTIN"], nat["ballots_cast"]) == (45_602_075, 71_701_665)
    assert nat["shares"]["PUTIN"] == 63.6 and nat["share_base"].startswith("ballots cast")
    assert nat["outcome"]["kind"] == "winner" and nat["outcome"]["met"] == {"share": "> 50%", "lead": None, "of": "ballots"}
    assert "share of ballots cast > 50%" in nat["outcome"]["reading"]
