"""Claimed tables that were annulled are left out of every comparison with counted peers, turnout
included, and the reading says how many (review11 #17: Fuerza Popular's 59 highlighted tables hold
39 annulled ones; their turnout was compared with counted peers and flagged, while the share tests
read 20 tables, and nothing said why)."""

from __future__ import annotations

import polars as pl

from escrutinio.forensics import peers, simulate


def test_annulled_claimed_tables_are_left_out_of_turnout_too():
    f = simulate.synthetic_election(3000, seed=5)
    claimed = f["table"].cast(pl.Utf8).to_list()[::100]  # 30 tables across the election
    annulled = set(claimed[:20])
    # Annulled sheets: every ballot null, and the figures that got them annulled (a full roll).
    f = f.with_columns(
        pl.when(pl.col("table").cast(pl.Utf8).is_in(annulled)).then(pl.lit("annulled")).otherwise(pl.col("state")).alias("state"),
        pl.when(pl.col("table").cast(pl.Utf8).is_in(annulled)).then(pl.col("electors")).otherwise(pl.col("cast")).alias("cast"),
    )
    rs = {r.test: r for r in peers.test(f, claimed, winner="A", permutations=999)}
    turnout = rs["claims_vs_peers.turnout"]
    assert turnout.details["claimed_with_value"] == 10 and turnout.details["claimed_annulled"] == 20
    assert turnout.flagged() is False, turnout.reading
    for r in rs.values():
        assert "The 20 annulled claimed table(s) are left out" in r.reading
