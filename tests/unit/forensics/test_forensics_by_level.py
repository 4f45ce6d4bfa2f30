"""``--by LEVEL`` conditions every test that compares tables with peers (issue 13, Must have 2): the
level a result reports is the level its figures used, "national" included, never a silent district."""

from __future__ import annotations

import pytest

from escrutinio.forensics import anomalies, peers, simulate


@pytest.mark.parametrize("by", ["national", "department", "province"])
def test_peer_checks_read_their_peers_at_the_level_asked(by: str) -> None:
    frame = simulate.synthetic_election(1500, seed=3)
    results = {r.test: r for r in anomalies.run(frame, by=by, draws=50)}
    for name in ("anomalies.unanimous", "anomalies.cast_outliers"):
        assert results[name].level == by, name
    assert "their national" not in results["anomalies.cast_outliers"].reading


def test_the_level_changes_the_figures() -> None:
    frame = simulate.synthetic_election(1500, seed=3)
    district, national = ({r.test: r for r in anomalies.run(frame, by=by, draws=50)} for by in ("district", "national"))
    assert district["anomalies.cast_outliers"].estimates != national["anomalies.cast_outliers"].estimates


def test_claims_against_the_nation_say_so() -> None:
    frame = simulate.synthetic_election(1500, seed=3)
    claimed = frame["table"].cast(str).to_list()[:40]
    r = peers.test(frame, claimed, winner="A", start="national", permutations=200)[0]
    assert r.level == "national"
    assert "the other tables of the nation" in r.reading and "their national" not in r.reading


def test_by_area_counts_only_flagged_results_tables_and_the_listed_apart() -> None:
    import polars as pl

    from escrutinio.forensics import suite

    frame = simulate.synthetic_election(1500, seed=3)
    full = pl.int_range(pl.len()) < 5  # five tables at 100 % turnout: listed, no verdict
    frame = frame.with_columns(pl.when(full).then(pl.col("electors")).otherwise(pl.col("cast")).alias("cast"))
    res = suite.run_suite(
        frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("order")),
        winner="A",
        choices=["A", "B"],
        tests=["anomalies"],
        by="department",
    )
    flagged = {t for r in res.results if not r.is_listing and r.flagged(res.alpha) for t in r.tables}
    listed = {t for r in res.results if r.is_listing for t in r.tables}
    assert sum(a["tables_flagged"] for a in res.by_area) == len(flagged)
    assert sum(a["tables_listed"] for a in res.by_area) == len(listed)
    assert len(listed) >= 5


def test_the_header_names_the_level_in_words_not_its_key() -> None:
    from escrutinio.forensics.results import SuiteResult

    res = SuiteResult((), "A", ("A", "B"), "district", 1, 1, 0.0, level_names={"district": "territorial_commission"})
    assert "conditioned by territorial commission;" in res.to_text()


def test_the_header_names_the_leader_as_the_report_does() -> None:
    from escrutinio.forensics.results import SuiteResult

    res = SuiteResult((), "PL", ("PL", "FP"), None, 1, 1, 0.0, choice_names={"PL": "Pedro Castillo"})
    assert "(leader Pedro Castillo (PL), " in res.to_text()
    assert res.to_dict()["winner_name"] == "Pedro Castillo" and res.to_dict()["winner"] == "PL"
