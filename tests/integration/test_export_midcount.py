"""An export made during the count: tables whose sheet has not arrived travel as units with no
sheet (CountStatus not-processed), and a store loaded from it expects them too."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from tests.unit.formats.test_nist_cdf import report

from escrutinio.app import Session


def test_tables_without_a_sheet_survive_a_round_trip(tmp_path: Path) -> None:
    rep = copy.deepcopy(report())
    for unit in rep["GpUnit"]:  # a report from another system: table 000004 not processed yet
        unit["ExternalIdentifier"] = [i for i in unit.get("ExternalIdentifier", []) if i["Type"] == "local-level"]
        if unit["@id"] == "table-000004":
            unit["CountStatus"][0]["Status"] = "not-processed"
    first = tmp_path / "midcount.json"
    first.write_text(json.dumps(rep))
    with Session(str(tmp_path / "a.db")) as session:
        summary = session.count.load(first)
        assert (summary.new_tables, summary.recorded) == (4, 3)
        nation = session.count.results()[0]
        assert nation["tables"]["total"] == 4 and nation["tables"]["pending"] == 1
        assert session.count.table("000004")["state"] == "pending"
        again = tmp_path / "again.json"
        session.export.write("nist-cdf", again, validate=True)
    with Session(str(tmp_path / "b.db")) as copied:
        copied.count.load(again)
        assert copied.count.results()[0]["tables"] == nation["tables"]
        assert copied.count.table("000004")["state"] == "pending"
