"""The fingerprint at every level ``--by`` offers on the real elections: the null resamples clusters
that carry the dependence, so Peru's runoff is not flagged at any level and Russia stays flagged."""

from __future__ import annotations

import pytest
from frames_forensics import abroad_codes, peru, russia

from escrutinio.forensics import fingerprint

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.mark.parametrize("level", ["department", "province", "district"])
def test_the_peru_runoff_fingerprint_is_not_flagged_at_any_level(level: str) -> None:
    r = fingerprint.test(peru(2), winner="PL", by=level)
    # By province the null used to resample districts as independent: p = 0.026, flagged.
    assert r.flagged() is False, r.reading
    assert "not distinguishable from 0" in r.reading


@pytest.mark.parametrize(("year", "leader"), [(2011, "ER"), (2012, "PUTIN")])
@pytest.mark.parametrize(("level", "clusters"), [("department", "province"), ("province", "department")])
def test_the_russia_fingerprint_stays_flagged_at_both_levels(year: int, leader: str, level: str, clusters: str) -> None:
    names = {"department": "region", "province": "territorial_commission"}
    r = fingerprint.test(russia(year), winner=leader, by=level, level_names=names)
    assert r.flagged() is True, r.reading
    assert r.estimates["cluster_level"] == names[clusters]  # the election's name (review13c #7: it said province)
    assert "province" not in r.reading + (r.null or "")


@pytest.mark.parametrize(
    ("preset", "file", "region"),
    [
        ("russia-2011-duma", "2011.csv.gz", "Зарубежная территория"),
        ("russia-2018-presidential", "2018.csv.gz", "99 Территория за пределами РФ"),
    ],
)
def test_the_russian_stations_abroad_are_read_apart(preset: str, file: str, region: str) -> None:
    assert abroad_codes(preset, file) == (region,)
