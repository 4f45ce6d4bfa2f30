"""The forensics' wording on real elections through the CLI: choices by the election's names (ids
only in JSON's id fields), and the fingerprint's fraction past the model marked as a bound in JSON,
CSV and text (issue 13: "wording that agrees with the fitted values")."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from tests.integration.forensics.test_forensics_cli import _cli


@pytest.mark.shared
@pytest.mark.slow
def test_forensics_readings_name_the_runoff_choices_not_their_ids(tmp_path: Path) -> None:
    """Peru's runoff: every reading of the families that name choices says Pedro Castillo and Keiko
    Fujimori; "PL's share", "they give PL 104,708, FP 152,437" and "the margin PL − FP" made the reader
    look the party codes up."""
    from tests.conftest import DATA, RUNOFF, need_shared

    db = tmp_path / "r.db"
    loaded = _cli(db, "load", str(need_shared(RUNOFF)), "--election", "peru-2021-runoff")
    assert loaded.returncode == 0, loaded.stderr
    claims = need_shared(DATA / "peru-2021-runoff" / "fp-highlighted-59-tables.csv")
    tables = json.loads(_cli(db, "forensics", "--tests", "anomalies", "-f", "json").stdout)["results"]
    some = sorted({t for r in tables for t in r["tables"]})[:200]  # a real order of 200 counted tables
    order = tmp_path / "order.csv"
    order.write_text("table\n" + "\n".join(some) + "\n")
    out = _cli(
        db,
        "forensics",
        "--tests",
        "anomalies,fingerprint,peers,count_order",
        "--claims",
        str(claims),
        "--order",
        str(order),
        "-f",
        "json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    results = {r["name"]: r for r in data["results"]}
    said = {name: " ".join([r["wording"], *r["caveats"]]) for name, r in results.items()}
    assert not {name: text for name, text in said.items() if re.search(r"\b(PL|FP)\b", text)}
    assert "they give Pedro Castillo 104,708, Keiko Fujimori 152,437" in said["anomalies.resolved_net"]
    assert "the share of valid votes for Pedro Castillo" in said["fingerprint.klimek"]
    assert "On the share of valid votes for Pedro Castillo" in said["claims_vs_peers.winner_share"]
    order_result = results["count_order.projection"]
    assert order_result["estimates"]["leader"] == "PL" and order_result["estimates"]["runner_up"] == "FP"  # ids stay ids
    assert data["winner"] == "PL" and data["winner_name"] == "Pedro Castillo"


@pytest.mark.shared
@pytest.mark.slow
def test_forensics_fingerprint_past_the_model_is_a_bound_in_json_csv_and_text(tmp_path: Path) -> None:
    """Russia 2012 by region: the tilt is past what Klimek's incremental fraud produces at any fraction,
    so no f_i is given (it was a "floor", 0.80, which no larger fraction reaches: no bound); JSON and CSV
    once marked nothing and read f_i, low, high = 0.8, 0.8, 0.8."""
    from tests.conftest import DATA, need_shared

    db = tmp_path / "r.db"
    source = need_shared(DATA / "russia-2012-presidential" / "2012.csv.gz")
    loaded = _cli(db, "load", str(source), "--election", "russia-2012-presidential")
    assert loaded.returncode == 0, loaded.stderr
    out = _cli(db, "forensics", "--tests", "fingerprint", "-f", "json")
    assert out.returncode == 0, out.stderr
    (r,) = json.loads(out.stdout)["results"]
    e = r["estimates"]
    assert r["flagged"] is True and e["f_incremental_beyond_model"] is True
    assert e["f_incremental"] is None and e["interval_incremental"] == [None, None]
    assert e["n_tables"] == 94_973 and e["n_counted"] == 95_415
    (row,) = csv.DictReader(io.StringIO(_cli(db, "forensics", "--tests", "fingerprint", "-f", "csv").stdout))
    assert row["f_i_beyond_model"] == "true" and row["f_i"] == row["f_i_low"] == row["f_i_high"] == ""
    assert row["f_e_low"] != "" and row["f_e_high"] != ""
    text = _cli(db, "forensics", "--tests", "fingerprint").stdout
    assert "no fraction of incremental fraud (f_i) gives this tilt, so none is estimated and none is a bound" in text
    assert "Within each region, 94,973 of the 95,415 counted tables" in text
    assert "the share of valid votes for Vladimir Putin" in text and "PUTIN's" not in text
    lo, hi = e["interval_extreme"]
    assert f"the extreme fraud fraction (f_e) is estimated at {e['f_extreme']:.3f} (95 % interval {lo:.3f}–{hi:.3f})" in text
