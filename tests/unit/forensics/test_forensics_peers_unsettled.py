"""Claimed tables whose figures are not settled are left out of every comparison with their peers,
counted by state and said; the estimates carry the test's figures; a table abroad's peers are
named as the election names its areas abroad (review13c #1, #2, #6, #7).

On the Peru runoff two claimed tables never installed (no sheet: zeros) were compared on turnout
and flagged (p = 0.015), and one sheet still at the dispute body (130 null, no vote) was flagged
on its blank and null share alone (p = 0.001)."""

from __future__ import annotations

import polars as pl

from escrutinio.forensics import peers, simulate


def _with_states(f: pl.DataFrame, states: dict[str, list[str]]) -> pl.DataFrame:
    """``f`` with each listed table's state set, and its figures as such a sheet holds them: a
    table never installed has zeros; a sheet at the dispute body holds every ballot null."""
    ids = pl.col("table").cast(pl.Utf8)
    never, held = states.get("not_installed", []), states.get("observed", [])
    zeroed = ["cast", "blank", "null", "valid", "v_A", "v_B"]
    return f.with_columns(
        *(pl.when(ids.is_in(never)).then(0).otherwise(pl.col(c)).alias(c) for c in zeroed if c != "null"),
        pl.when(ids.is_in(never)).then(0).when(ids.is_in(held)).then(pl.col("cast")).otherwise(pl.col("null")).alias("null"),
        pl.when(ids.is_in(never))
        .then(pl.lit("not_installed"))
        .when(ids.is_in(held))
        .then(pl.lit("observed"))
        .otherwise(pl.col("state"))
        .alias("state"),
    ).with_columns(pl.when(ids.is_in(held)).then(0).otherwise(pl.col(c)).alias(c) for c in ("valid", "v_A", "v_B", "blank"))


def test_tables_never_installed_and_sheets_at_the_dispute_body_are_left_out_and_said():
    f = simulate.synthetic_election(3000, seed=5)
    ids = f["table"].cast(pl.Utf8).to_list()
    never, held, fine = ids[10:40:10], ids[50:80:10], ids[100:1000:100]
    f = _with_states(f, {"not_installed": never, "observed": held})
    rs = {r.test: r for r in peers.test(f, [*never, *held, *fine], winner="A", permutations=999)}
    for name in ("claims_vs_peers.turnout", "claims_vs_peers.blank_null_share", "claims_vs_peers.winner_share"):
        r = rs[name]
        assert r.details["claimed_with_value"] == len(fine), (name, r.details)
        assert r.estimates["claimed_left_out"] == {"observed": 3, "not_installed": 3}
        assert r.flagged() is False, r.reading
        assert "The 3 claimed table(s) never installed are left out" in r.reading
        assert "The 3 claimed table(s) still at the dispute body are left out" in r.reading


def test_only_unsettled_claimed_tables_cannot_tell_and_say_why():
    f = simulate.synthetic_election(3000, seed=5)
    held = f["table"].cast(pl.Utf8).to_list()[7:8]
    f = _with_states(f, {"observed": held})
    for r in peers.test(f, held, winner="A", permutations=99):
        assert r.flagged() is None
        assert "none of the claimed tables has a value of" in r.reading, r.reading
        assert "still at the dispute body are left out" in r.reading


def test_the_estimates_carry_the_comparison():
    f = simulate.synthetic_election(3000, seed=5)
    claimed = f["table"].cast(pl.Utf8).to_list()[::100]
    r = peers.test(f, claimed, winner="A", permutations=999)[0]
    e = r.estimates
    assert e["mean_percentile_minus_half"] == r.statistic
    assert abs(e["mean_percentile"] - 100 * (r.statistic + 0.5)) < 1e-9
    assert e["claimed_with_value"] == 30 and e["outside_central_95"] == len(r.tables)


def test_claimed_tables_abroad_are_worded_with_the_levels_abroad():
    f = simulate.synthetic_election(3000, seed=5)
    away = f.filter(pl.col("department") == "03")["table"].cast(pl.Utf8).to_list()[:3]
    names, abroad_names = {"district": "district", "department": "department"}, {"district": "city"}
    r = peers.test(
        f, away, winner="A", start="district", permutations=99, level_names=names, abroad=["03"], abroad_names=abroad_names
    )[0]
    assert set(r.details["peer_levels"]) <= {"city", "country", "continent", "province", "department", "national"}
    assert "city" in r.details["peer_levels"], r.details["peer_levels"]
    assert "of their city" in r.reading and "district" not in r.reading, r.reading


def test_the_conclusion_names_who_the_claimed_tables_are_compared_with():
    """Under --by national it said the claimed tables differ "from their neighbours" (the whole nation)."""
    f = simulate.synthetic_election(3000, seed=5)
    claimed = f["table"].cast(pl.Utf8).to_list()[::50]
    for start, peers_are in (
        ("national", "the other tables of the nation"),
        ("district", "the other tables of their municipality"),
    ):
        rs = peers.test(f, claimed, winner="A", permutations=199, start=start, level_names={"district": "municipality"})
        for r in rs:
            assert "neighbours" not in r.reading, r.reading
            assert f"claimed tables differ from {peers_are}" in r.reading, r.reading
