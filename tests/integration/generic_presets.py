"""The non-Peruvian datasets, the preset that reads each, and national sums from PROVENANCE.md."""

from __future__ import annotations

from tests.conftest import DATA

PRESETS = {
    "bolivia": (
        "bolivia-2019-first-round",
        DATA / "bolivia-2019-first-round" / "final_computo.csv.gz",
        {"MAS": 2_889_359, "CC": 2_240_920},
    ),
    "chile": (
        "chile-2021-first-round",
        DATA / "chile-2021-first-round" / "chile_election_2021.csv",
        {"BORIC": 1_795_691, "KAST": 1_953_207, "PARISI": 898_505},
    ),
    "russia-2012": (
        "russia-2012-presidential",
        DATA / "russia-2012-presidential" / "2012.csv.gz",
        {"PUTIN": 45_602_075, "ZYUGANOV": 12_318_353, "PROKHOROV": 5_722_508},
    ),
}
