"""review13c's defects on the Peru runoff, each on the real tables it was found on."""

from __future__ import annotations

import pytest
from frames_forensics import peru

from escrutinio.forensics import anomalies, peers

pytestmark = [pytest.mark.shared]


def test_claimed_tables_never_installed_are_not_compared_on_turnout():
    """082330 and 082192 never opened (no sheet): their turnout was flagged at p = 0.015."""
    for r in peers.test(peru(2), ["082330", "082192"], winner="PL", permutations=999):
        assert r.flagged() is None, (r.test, r.reading)
        assert r.p_value is None
        assert "The 2 claimed table(s) never installed are left out" in r.reading


def test_a_claimed_sheet_still_at_the_dispute_body_is_not_compared():
    """052363 (130 null, no vote; observed) was flagged on its blank and null share alone (p = 0.001)."""
    for r in peers.test(peru(2), ["052363"], winner="PL", permutations=999):
        assert r.flagged() is None, (r.test, r.reading)
        assert "still at the dispute body are left out" in r.reading


@pytest.mark.parametrize(
    ("threshold", "name", "tables"), [(0.9, "tables_at_or_over_90", 3336), (0.95, "tables_at_or_over_95", 391)]
)
def test_the_turnout_threshold_sets_the_headline_count(threshold, name, tables):
    """``--thresholds turnout=0.9`` named 3,336 tables while its statistic stayed 21, tables_at_or_over_100."""
    r = anomalies.turnout_full(peru(2).filter(~peru(2)["department"].str.starts_with("9")), threshold=threshold)
    assert (r.statistic_name, r.statistic, len(r.tables)) == (name, tables, tables)
    assert (
        f"{tables:,} counted table(s) with at least 20 electors report a turnout of {round(100 * threshold)} % or more"
        in r.reading
    )


def test_identical_sheet_groups_are_the_same_on_every_run_and_in_table_order():
    """Two runs named a different 50 of the 121 pairs (a polars group_by without its order kept)."""
    frame = peru(2)
    runs = [anomalies.identical(frame, draws=99, seed=0) for _ in range(3)]
    first = runs[0].details
    assert all(r.details == first for r in runs[1:])
    assert first["n_groups"] > len(first["groups"]) == anomalies.MAX_GROUPS and first["groups_cut"] is True
    position = {t: i for i, t in enumerate(frame["table"].to_list())}
    starts = [position[g[0]] for g in first["groups"]]
    assert starts == sorted(starts)


def test_a_test_that_cannot_tell_has_no_p():
    """anomalies.unanimous said "cannot tell" with p = 1 (JSON p_value 1.0)."""
    for r in anomalies.run(peru(2), choices=["PL", "FP"], draws=199, abroad=tuple(f"9{i}" for i in range(1, 6))):
        if not r.is_listing and r.flagged() is None:
            assert r.p_value is None, (r.test, r.p_value)
