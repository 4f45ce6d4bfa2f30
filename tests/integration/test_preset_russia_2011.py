"""Russia's State Duma 2011 through its preset: the file's quoted party headers are read as any
CSV reader reads them, every total of PROVENANCE.md comes back to the vote, and the party-list
election names no winner."""

from __future__ import annotations

import pytest
from tests.conftest import DATA, need_shared

from escrutinio.app import Session

pytestmark = [pytest.mark.shared, pytest.mark.slow]

# PROVENANCE.md, "Totals (sum over all rows)".
LISTS = {
    "ER": 32_371_737, "KPRF": 12_599_420, "SR": 8_695_458, "LDPR": 7_664_516,
    "YABLOKO": 2_252_327, "PR": 639_067, "PD": 392_727,
}  # fmt: skip


def test_russia_2011_preset_reproduces_the_provenance_totals(sqlite_db: str) -> None:
    path = need_shared(DATA / "russia-2011-duma" / "2011.csv.gz")
    with Session(sqlite_db) as session:
        session.count.load(path, "russia-2011-duma")
        nat = session.count.results()[0]
    assert nat["votes"] == LISTS
    assert (nat["valid"], nat["null"], nat["blank"]) == (64_615_252, 1_033_438, 0)
    assert nat["ballots_cast"] == 65_648_690 and nat["electors"] == 109_229_337
    assert nat["tables"]["counted"] == 95_225
    outcome = nat["outcome"]
    assert outcome["kind"] == "seats" and outcome["winner"] is None
    assert "seats are not allocated here" in outcome["reading"]
