"""The NIST SP 1500-100 v2 writer on a small election: shape, ids, mapping, the schema."""

from __future__ import annotations

import copy
import gc
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft4Validator

from escrutinio.domain.election import parse_election
from escrutinio.formats import nist_schema
from escrutinio.formats.nist_cdf import build_report
from escrutinio.formats.nist_schema import schema, schema_problems

WHEN = datetime(2021, 6, 18, 12, 0, tzinfo=UTC)

ELECTION = parse_election(
    {
        "election": {"id": "tiny", "name": "Tiny runoff", "date": "2021-06-06", "timezone": "America/Lima", "country": "PE"},
        "geography": {"levels": ["department", "city"]},
        "contest": {
            "id": "presidential",
            "name": "President",
            "choices": [
                {"id": "A", "party": "Party A", "candidate": "Ana", "column": "a"},
                {"id": "B", "party": "Party A", "candidate": "Beto", "column": "b"},
                {"id": "C", "party": "", "candidate": "", "name": "List C", "column": "c"},
            ],
        },
    }
)


def area(code: str, parent: str | None, level: str, kind: str, **figures: Any) -> dict[str, Any]:
    votes = figures.get("votes", {"A": 0, "B": 0, "C": 0})
    p = figures.get(
        "p", {"tables": 0, "cast": 0, "valid": 0, "blank": 0, "null": 0, "challenged": 0, "votes": dict.fromkeys(votes, 0)}
    )
    return {
        "area": code,
        "parent": parent,
        "name": code.title(),
        "level": level,
        "kind": kind,
        "tables": {
            "total": figures.get("total", 0),
            **dict.fromkeys(("counted", "resolved", "annulled"), 1),
            "not_installed": 0,
            "observed": p["tables"],
            "pending": figures.get("pending", 0),
        },
        "electors": figures.get("electors", 0),
        "electors_in_count": 30,
        "leader": "A",
        "runner_up": "B",
        "margin_votes": 2,
        "ballots_cast": figures.get("cast", 0),
        "valid": sum(votes.values()),
        "blank": figures.get("blank", 0),
        "null": figures.get("null", 0),
        "challenged": figures.get("challenged", 0),
        "votes": votes,
        "provisional": p,
    }


OBSERVED = {"tables": 1, "cast": 9, "valid": 7, "blank": 1, "null": 1, "challenged": 0, "votes": {"A": 4, "B": 3, "C": 0}}
AREAS = [
    area(code, parent, level, kind, total=4, electors=40, cast=24, blank=2, null=11, votes={"A": 6, "B": 4, "C": 0}, p=OBSERVED)
    for code, parent, level, kind in (
        ("PE", None, "national", "national"),
        ("01", "PE", "department", "department"),
        ("0101", "01", "province", "city"),
    )
]
TABLES = {
    "table": ["000001", "000002", "000003", "000004"],
    "area": ["0101"] * 4,
    "electors": [10, 10, 10, 10],
    "state": ["counted", "annulled", "observed", "resolved"],
    "cast": [8, 10, 9, 6],
    "blank": [1, 0, 1, 1],
    "null": [1, 2, 1, 0],
    "challenged": [0, 0, 0, 0],
    "v_A": [4, 5, 4, 2],
    "v_B": [2, 3, 3, 2],
    "v_C": [0, 0, 0, 0],
}


def report(tables: bool = True) -> dict[str, Any]:
    return build_report(ELECTION, AREAS, TABLES if tables else None, generated=WHEN)


def counts(rep: dict[str, Any], gp: str, kind: str = "total") -> dict[str, Any]:
    contest = rep["Election"][0]["Contest"][0]
    votes = {
        s["@id"]: sum(
            v["Count"] for v in s["VoteCounts"] if v["GpUnitId"] == gp and (v["Type"] == kind or v.get("OtherType") == kind)
        )
        for s in contest["ContestSelection"]
    }
    ballots = {
        (b.get("OtherType") or b["Type"]): b["BallotsCast"] for b in rep["Election"][0]["BallotCounts"] if b["GpUnitId"] == gp
    }
    other = [o for o in contest["OtherCounts"] if o["GpUnitId"] == gp]
    return {"votes": votes, "ballots": ballots, "other": other}


def test_report_is_valid_under_the_official_schema_by_the_plain_validator() -> None:
    for rep in (report(), report(tables=False)):
        errors = list(Draft4Validator(schema()).iter_errors(rep))
        assert errors == []
        assert schema_problems(rep) == ([], 0)


def test_units_ids_and_tree() -> None:
    rep = report()
    units = {u["@id"]: u for u in rep["GpUnit"]}
    assert list(units)[:3] == ["area-PE", "area-01", "area-0101"]
    assert units["area-PE"]["Type"] == "country"
    assert units["area-01"]["Type"] == "other" and units["area-01"]["OtherType"] == "department"
    assert units["area-0101"]["Type"] == "city"  # a level named like one of the schema's types keeps it
    assert units["area-0101"]["ComposingGpUnitIds"] == [f"table-00000{i}" for i in range(1, 5)]
    assert units["area-PE"]["ComposingGpUnitIds"] == ["area-01"]
    assert units["table-000003"]["Type"] == "precinct"
    assert units["table-000003"]["CountStatus"][0]["Status"] == "in-process"
    assert units["area-PE"]["SubUnitsReported"] == 3 and units["area-PE"]["TotalSubUnits"] == 4
    assert rep["Status"] == "unofficial-partial" and rep["Format"] == "precinct-level"
    assert report(tables=False)["Format"] == "summary-contest"
    # The same data gives the same document: ids derive from the codes only.
    assert report() == rep


def test_parties_candidates_and_selections() -> None:
    rep = report()
    assert [p["@id"] for p in rep["Party"]] == ["party-A"]  # A and B stand for one party
    contest = rep["Election"][0]["Contest"][0]
    sel = {s["@id"]: s for s in contest["ContestSelection"]}
    assert sel["choice-B"]["EndorsementPartyIds"] == ["party-A"] and sel["choice-B"]["CandidateIds"] == ["candidate-B"]
    assert "CandidateIds" not in sel["choice-C"] and "EndorsementPartyIds" not in sel["choice-C"]


def test_area_figures_and_outside_the_count() -> None:
    rep = report()
    nat = counts(rep, "area-PE")
    assert nat["votes"] == {"choice-A": 6, "choice-B": 4, "choice-C": 0}
    assert nat["ballots"]["total"] == 24 and nat["ballots"]["valid"] == 10
    assert nat["other"] == [{"@type": "ElectionResults.OtherCounts", "GpUnitId": "area-PE", "Overvotes": 11, "Undervotes": 2}]
    assert counts(rep, "area-PE", "observed")["votes"] == {"choice-A": 4, "choice-B": 3, "choice-C": 0}
    assert nat["ballots"]["observed-cast"] == 9
    cast = next(b for b in rep["Election"][0]["BallotCounts"] if b["GpUnitId"] == "area-PE" and b["Type"] == "total")
    assert cast["BallotsOutstanding"] == 9


def test_tables_sum_to_their_area() -> None:
    """The tables' ``total`` counts add up to the area's: an annulled sheet adds its ballots as
    null (Peru's rule), an observed one nothing; their sheets as written sit under their state."""
    rep = report()
    tables = [f"table-00000{i}" for i in range(1, 5)]
    summed = {c: sum(counts(rep, t)["votes"][c] for t in tables) for c in ("choice-A", "choice-B", "choice-C")}
    assert summed == counts(rep, "area-0101")["votes"]
    assert sum(counts(rep, t)["ballots"]["total"] for t in tables) == 24
    assert sum(counts(rep, t)["other"][0]["Overvotes"] for t in tables) == 11
    annulled = counts(rep, "table-000002")
    assert annulled["votes"] == {"choice-A": 0, "choice-B": 0, "choice-C": 0} and annulled["other"][0]["Overvotes"] == 10
    assert counts(rep, "table-000002", "annulled")["votes"] == {"choice-A": 5, "choice-B": 3, "choice-C": 0}
    assert annulled["ballots"]["annulled-null"] == 2


def test_generated_needs_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        build_report(ELECTION, AREAS, generated=datetime(2021, 6, 18))


MUTATIONS = [
    lambda r: r.pop("Issuer"),
    lambda r: r["GpUnit"][1].__setitem__("Type", "province"),
    lambda r: r["GpUnit"][5].__setitem__("VotersRegistered", "ten"),
    lambda r: r["GpUnit"][5].__setitem__("VotersRegistered", 1.5),
    lambda r: r["GpUnit"][4]["ExternalIdentifier"][0].__setitem__("Type", "nope"),
    lambda r: r["GpUnit"][4].__setitem__("ComposingGpUnitIds", [1]),
    lambda r: r["GpUnit"][0]["Name"].__setitem__("Text", []),
    lambda r: r["Election"][0]["BallotCounts"][3].__setitem__("BallotsCast", 2.5),
    lambda r: r["Election"][0]["BallotCounts"][3].__setitem__("Extra", 1),
    lambda r: r["Election"][0]["Contest"][0]["ContestSelection"][1]["VoteCounts"][2].__setitem__("Type", "votes"),
    lambda r: r["Election"][0]["Contest"][0]["ContestSelection"][1]["VoteCounts"][2].pop("GpUnitId"),
    lambda r: r["Election"][0]["Contest"][0]["OtherCounts"][0].__setitem__("WriteIns", 0.5),
    lambda r: r["Election"][0]["Contest"][0].__setitem__("@type", "ElectionResults.PartyContest"),
    lambda r: r["Election"][0]["Contest"][0]["ContestSelection"][0].__setitem__("IsWriteIn", "no"),
    lambda r: r.__setitem__("GeneratedDate", "2021-06-18 12:00"),
]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=range(len(MUTATIONS)))
def test_fast_validation_agrees_with_the_plain_validator(mutate: Any) -> None:
    """Checking by parts and by shape (fast on a million counts) gives the plain verdict."""
    rep = copy.deepcopy(report())
    mutate(rep)
    plain = list(Draft4Validator(schema()).iter_errors(rep))
    problems, total = schema_problems(rep)
    assert plain and problems
    assert total >= 1


def test_problems_name_the_json_path_and_what_was_expected() -> None:
    rep = copy.deepcopy(report())
    rep["GpUnit"][5]["VotersRegistered"] = "ten"
    rep["Election"][0]["Contest"][0]["ContestSelection"][1]["VoteCounts"][2]["Count"] = "x"
    problems, total = schema_problems(rep)
    assert total == 2
    assert sorted(problems) == [
        '$.Election[0].Contest[0].ContestSelection[1].VoteCounts[2].Count: expected a number, found "x"',
        '$.GpUnit[5].VotersRegistered: expected a whole number, found "ten"',
    ]


def test_splitting_a_report_leaves_no_reference_cycle() -> None:
    """The report's items are freed as soon as the check is done, not at the cyclic
    collector's next pass (a national report's items kept that long cost a second or more)."""
    rep = report()
    gc.collect()
    gc.disable()
    try:
        skeleton, parts = nist_schema._split(rep)
        assert parts and skeleton["GpUnit"] == []
        del skeleton, parts
        assert gc.collect() == 0
    finally:
        gc.enable()


def _walk(node: Any, key: str | None = None) -> Any:
    if isinstance(node, dict):
        yield key, node
        for k, v in node.items():
            yield from _walk(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)


def test_schema_keeps_the_promises_fast_validation_relies_on() -> None:
    """See ``schema_problems`` and ``_shape``: numbers unbounded, free strings typed only,
    arrays unconstrained by length (beyond non-empty) or uniqueness, the split arrays' items
    always of one definition."""
    definitions = schema()["definitions"]
    bounds = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum"}
    for _key, node in _walk(definitions):
        if node.get("type") in ("integer", "number"):
            assert not bounds & set(node), node
        if node.get("type") == "array":
            assert node.get("minItems", 0) <= 1 and "maxItems" not in node and not node.get("uniqueItems"), node
            assert isinstance(node["items"], dict)
    for name, definition in definitions.items():
        for prop, sub in definition.get("properties", {}).items():
            if prop in nist_schema.FREE_STRINGS:
                target = sub["items"] if sub.get("type") == "array" else sub
                # ("format" is not checked: the validator runs without a format checker, as NIST intends)
                assert set(target) <= {"type", "refTypes", "format"} and target["type"] == "string", (name, prop)
            if prop in nist_schema.ITEM_DEFINITIONS:
                item = nist_schema.ITEM_DEFINITIONS[prop]
                assert sub["items"] == {"$ref": f"#/definitions/ElectionResults.{item}"}, (name, prop)
