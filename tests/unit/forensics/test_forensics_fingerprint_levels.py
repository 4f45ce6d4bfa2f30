"""The fingerprint's null at every level ``--by`` offers: clusters that carry the dependence, and
wording that agrees with the fitted values."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from escrutinio.forensics import fingerprint, simulate
from escrutinio.forensics.fingerprint import _kept


def _honest_with_local_habits(seed: int = 4) -> pl.DataFrame:
    """A clean election whose districts' turnout and share go together inside each province, with a
    sign of its own per province (a province where the higher-turnout districts vote more for A, its
    neighbour where they vote less): no table is stuffed, tables vary binomially around their district."""
    rng = np.random.default_rng(seed)
    rows = []
    for dep in range(30):
        for prov in range(6):
            slope = rng.normal(0.0, 1.5)
            for dist in range(8):
                tau = rng.normal(0.7, 0.06)
                nu = np.clip(0.5 + slope * (tau - 0.7) + rng.normal(0, 0.02), 0.05, 0.95)
                for _ in range(25):
                    electors = int(rng.integers(150, 300))
                    cast = rng.binomial(electors, tau)
                    valid = rng.binomial(cast, 0.95)
                    a = rng.binomial(valid, nu)
                    rows.append((f"{dep:02d}", f"{dep:02d}{prov}", f"{dep:02d}{prov}{dist}", electors, cast, valid, a))
    d, p, di, e, c, v, a = (list(x) for x in zip(*rows, strict=True))
    n = len(rows)
    return pl.DataFrame(
        {
            "table": [f"{i:06d}" for i in range(n)],
            "department": d,
            "province": p,
            "district": di,
            "polling_place": [None] * n,
            "electors": e,
            "cast": c,
            "blank": [0] * n,
            "null": [ci - vi for ci, vi in zip(c, v, strict=True)],
            "challenged": [0] * n,
            "valid": v,
            "state": ["counted"] * n,
            "v_A": a,
            "v_B": [vi - ai for vi, ai in zip(v, a, strict=True)],
        }
    )


def test_centred_on_a_province_the_null_resamples_departments_not_districts() -> None:
    frame = _honest_with_local_habits()
    districts = fingerprint.test(frame, winner="A", by="province", cluster="district")
    chosen = fingerprint.test(frame, winner="A", by="province")
    assert chosen.estimates["cluster_level"] == "department"
    # Resampling districts as if independent cries wolf on local habits; the level above does not.
    assert districts.p_value < 0.05 < chosen.p_value
    assert "not distinguishable from 0" in chosen.reading


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("department", "province"),
        ("province", "department"),
        ("district", "province"),
        ("polling_place", "province"),
        ("national", "province"),
    ],
)
def test_the_clusters_are_the_level_above_and_never_finer_than_the_papers_unit(level: str, expected: str) -> None:
    frame = simulate.synthetic_election(3000, seed=1)
    assert fingerprint.cluster_level(_kept(frame, "A", 20), level) == expected


def test_wording_names_the_elections_levels_and_agrees_with_a_fit_that_is_not_flagged() -> None:
    frame = simulate.synthetic_election(3000, seed=1)
    names = {"department": "region", "province": "territorial_commission"}
    r = fingerprint.test(frame, winner="A", by="province", level_names=names)
    assert r.flagged() is False
    assert "Within each territorial commission," in r.reading and "resampling regions" in r.reading
    assert r.null is not None and "each region's contribution" in r.null
    assert "province" not in r.reading + r.null
    # Not flagged: no "corresponds to incremental fraud in f_i = ..." as if the fraction were seen.
    assert "corresponds to" not in r.reading and "not distinguishable from 0" in r.reading


def test_calibration_runs_at_each_level_the_election_offers() -> None:
    from escrutinio.forensics import calibration
    from escrutinio.forensics.frames import offered_levels

    frame = simulate.synthetic_election(1500, seed=2)
    assert offered_levels(frame) == ("department", "province", "district", "polling_place")
    assert offered_levels(frame.with_columns(pl.col("province").alias("district"))) == (
        "department",
        "province",
        "polling_place",
    )
    rep = calibration.calibrate_shaped(frame, "A", n_clean=2, n_fraud=0, tests=["fingerprint"], by="province")
    assert set(rep.false_alarm) == {"fingerprint.klimek"}


def test_a_rule_listing_names_tables_and_decides_nothing() -> None:
    from escrutinio.forensics import anomalies
    from escrutinio.forensics.results import ForensicResult, SuiteResult

    frame = simulate.synthetic_election(1000, seed=5)
    one = frame["table"][0]
    spoiled = frame.with_columns(
        pl.when(pl.col("table") == one).then(pl.col("cast") // 2).otherwise(pl.col("null")).alias("null")
    )
    r = anomalies.null_share(spoiled, threshold=0.25)
    assert r.tables == (one,)
    assert r.flagged() is None  # one table over a line in a thousand is not a finding
    d = r.to_dict()
    # no "flagged" field a reader of the contract would take for "cannot tell"
    assert "flagged" not in d and d["kind"] == "listing" and d["status"] == "listed" and d["n_tables_named"] == 1
    test = ForensicResult(test="t.x", statistic=1.0, statistic_name="s", reading="r", p_value=0.5)
    assert test.to_dict()["kind"] == "test" and test.to_dict()["flagged"] is False
    lines = SuiteResult((r, test), "A", ("A", "B"), None, 1000, 1000, 0.0).to_text().splitlines()
    # the text prints only flagged / not flagged / cannot tell as verdicts; listings come after, apart
    assert lines[3].lstrip().startswith("not flagged  t.x")
    heading = lines.index(next(line for line in lines if line.startswith("Listed for review")))
    assert heading > 3 and lines[heading + 1].lstrip().startswith("anomalies.null_share")
    assert not any(line.lstrip().startswith("listed") for line in lines)
    assert SuiteResult((r,), "A", ("A", "B"), None, 1000, 1000, 0.0).csv_rows()[0]["kind"] == "listing"


def test_text_and_csv_carry_counts_in_full_and_the_estimates() -> None:
    from escrutinio.forensics import suite

    frame = simulate.synthetic_election(1500, seed=4)
    res = suite.run_suite(
        frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("order")),
        winner="A",
        choices=["A", "B"],
        tests=["fingerprint", "integer_peaks"],
    )
    text = res.to_text()
    assert "e+0" not in text and "tables=0" not in text
    rows = {r["name"]: r for r in res.csv_rows()}
    fp, integer = rows["fingerprint.klimek"], rows["integer_peaks.either"]
    assert list(fp)[:5] == ["name", "kind", "status", "flagged", "p_value"]
    assert fp["f_i"] is not None and fp["f_i_low"] <= fp["f_i_high"] and fp["excess"] is None
    assert integer["excess"] is not None and integer["z"] is not None and integer["f_i"] is None
    assert set(fp) == set(integer)  # stable columns, empty where a test has no such estimate


def test_every_result_names_its_null_draws_and_level() -> None:
    from escrutinio.forensics import suite

    frame = simulate.synthetic_election(1500, seed=6)
    claimed = frame["table"].head(30).to_list()
    res = suite.run_suite(
        frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("order")),
        winner="A",
        choices=["A", "B"],
        tests=["anomalies", "digits", "peers"],
        by="province",
        claimed_tables=claimed,
        options={"peers": {"permutations": 199}},
    )
    out = {r["name"]: r for r in res.to_dict()["results"]}
    peers = out["claims_vs_peers.winner_share"]
    assert peers["null"]["draws"] == 199 and "permutation" in peers["null"]["distribution"]
    assert out["anomalies.cast_outliers"]["level"] == "province"
    assert out["anomalies.unanimous"]["level"] == "province"  # --by conditions unanimity too (Must have 2)
    assert out["digits.second_digit"]["level"] == "province"  # its null reads peers too: conditioned by --by


def test_peers_wording_reads_as_english() -> None:
    from escrutinio.forensics import peers

    frame = simulate.synthetic_election(1500, seed=6)
    r = peers.test(frame, frame["table"].head(30).to_list(), winner="A", permutations=99)[0]
    assert "th percentile" not in r.reading and "at percentile " in r.reading
    n = len(r.tables)
    assert (f"{n} is outside" if n == 1 else f"{n:,} are outside") in r.reading


def test_anomaly_wording_names_the_elections_areas() -> None:
    from escrutinio.forensics import anomalies

    frame = simulate.synthetic_election(1500, seed=7).with_columns(pl.lit(None, dtype=pl.Utf8).alias("polling_place"))
    names = {"department": "department", "province": "province", "district": "municipality"}
    out = {r.test: r for r in anomalies.run(frame, choices=["A", "B"], level_names=names, draws=99)}
    assert "same municipality" in out["anomalies.identical"].reading
    assert "their municipality (or coarser area)" in out["anomalies.cast_outliers"].reading
    assert "district" not in out["anomalies.identical"].reading + out["anomalies.cast_outliers"].reading
