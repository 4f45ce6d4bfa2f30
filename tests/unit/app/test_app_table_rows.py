"""A polling table's row as JSON and as CSV (``app.table_rows``), and the counted problems a
message leaves out (``1 more problem``)."""

from __future__ import annotations

from escrutinio.app.table_rows import table_csv, table_json, version_rows
from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.formats.flat import flatten

FLAT = {"table": "000001", "version": 2, "state": "counted", "reasons": "arithmetic_error,late", "cast": 10,
        "v_PL": 4, "v_FP": 6, "event": 7, "final_at_source_despite": "arithmetic_error"}  # fmt: skip


def test_a_flat_row_as_json() -> None:
    shaped = table_json(FLAT, ["PL", "FP"])
    assert shaped == {"table": "000001", "version": 2, "state": "counted", "reasons": ["arithmetic_error", "late"],
                      "ballots_cast": 10, "votes": {"PL": 4, "FP": 6}, "event": 7,
                      "final_at_source_despite": ["arithmetic_error"]}  # fmt: skip
    pending = table_json(
        {**FLAT, "version": None, "v_PL": None, "v_FP": None, "reasons": None, "final_at_source_despite": ""}, ["PL", "FP"]
    )
    assert (pending["votes"], pending["reasons"], pending["final_at_source_despite"]) == (None, [], [])


def test_a_flat_row_as_csv_is_its_json_flattened() -> None:
    """One naming for CSV (review10d #3): the JSON's keys flattened with dots, lists joined by ``;``."""
    (row,) = table_csv([FLAT], ["PL", "FP"])
    assert row == flatten(table_json(FLAT, ["PL", "FP"]))
    (pending,) = table_csv([{**FLAT, "version": None, "v_PL": None, "v_FP": None, "reasons": None}], ["PL", "FP"])
    assert (pending["votes.PL"], pending["reasons"]) == (None, "")  # the columns a sheet has, empty


def test_a_table_with_no_version_has_one_row_of_a_versions_columns() -> None:
    version = {"table": "1", "area": "a", "version": 1, "state": "counted", "reasons": [], "basis": "b", "electors": 3,
               "ballots_cast": 2, "blank": 0, "null": 0, "challenged": 0, "votes": {"PL": 1, "FP": 1}, "event": 5,
               "current": True, "at": "t", "actor": "x", "despite": []}  # fmt: skip
    (row,) = version_rows({"table": "2", "area": "a", "state": "pending", "electors": 3, "versions": []}, ["PL", "FP"])
    assert list(row) == list(version) and row["votes"] == {"PL": None, "FP": None}
    assert (row["table"], row["state"], row["electors"], row["version"]) == ("2", "pending", 3, None)
    assert version_rows({"versions": [version]}, ["PL", "FP"]) == [version]


def test_one_problem_left_out_is_one_more_problem() -> None:
    problems = [Problem(Place("f.csv", 1), "bad")]
    assert str(InputError(problems, total=2)).endswith("... and 1 more problem")
    assert str(InputError(problems, total=3)).endswith("... and 2 more problems")
