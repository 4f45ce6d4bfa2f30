"""Reading an ElectionReport back: the definition and the sheets it carries; bad reports refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import polars as pl
import pytest
from tests.unit.formats.test_nist_cdf import AREAS, ELECTION, TABLES, WHEN, report

from escrutinio.domain.election import parse_election
from escrutinio.domain.errors import InputError
from escrutinio.formats.nist_cdf import build_report
from escrutinio.formats.nist_reader import read_report
from escrutinio.formats.readers import looks_like_report


def raw(rep: dict[str, Any]) -> bytes:
    return json.dumps(rep).encode()


def test_definition_and_sheets_come_back() -> None:
    contents = read_report(raw(report()), "r.json")
    e = contents.election
    assert (e.id, e.name, str(e.date), e.timezone, e.country) == ("tiny", "Tiny runoff", "2021-06-06", "America/Lima", "PE")
    assert e.levels == ("department", "city")
    assert [(c.id, c.party, c.candidate) for c in e.contest.choices] == [
        ("A", "Party A", "Ana"),
        ("B", "Party A", "Beto"),
        ("C", "", ""),
    ]
    sheets = contents.sheets.sheets.sort("table")
    # Every sheet as written, whatever its state: the annulled one's own figures, not the null it adds.
    for column in ("table", "electors", "cast", "blank", "null", "challenged", "v_A", "v_B", "v_C"):
        assert sheets[column].to_list() == TABLES[column], column
    assert sheets["reported_state"].to_list() == TABLES["state"]
    assert sheets["district"].to_list() == ["0101"] * 4
    areas = contents.sheets.areas
    assert areas.select("code", "level", "parent").rows() == [("01", 1, "PE"), ("0101", 2, "01")]
    assert areas["kind"].to_list() == ["department", "city"]


def test_election_given_is_checked() -> None:
    contents = read_report(raw(report()), "r.json", ELECTION)
    assert contents.election is ELECTION
    other = parse_election(
        {
            "election": {"id": "other", "name": "x", "date": "2021-06-06", "timezone": "UTC", "country": "PE"},
            "geography": {"levels": ["department"]},
            "contest": {"id": "p", "choices": [{"id": "A", "column": "a"}, {"id": "Z", "column": "z"}]},
        }
    )
    with pytest.raises(InputError) as info:
        read_report(raw(report()), "r.json", other)
    text = str(info.value)
    where = "r.json:$.Election[0].ExternalIdentifier"
    assert f'{where}: the report\'s election is "tiny"; the election definition says "other"' in text
    assert 'choices is ["A", "B", "C"]; the election definition says ["A", "Z"]' in text


def test_a_report_failing_the_schema_is_refused_with_json_paths() -> None:
    rep = copy.deepcopy(report())
    rep["GpUnit"][4]["VotersRegistered"] = "ten"
    del rep["Issuer"]
    with pytest.raises(InputError) as info:
        read_report(raw(rep), "bad.json")
    assert str(info.value).splitlines() == [
        'bad.json:$: expected the property "Issuer" (required here), found none',
        'bad.json:$.GpUnit[4].VotersRegistered: expected a whole number, found "ten"',
    ]


def test_schema_problems_speak_json_not_python() -> None:
    """false, null and "text" as the report writes them, and what was expected in words."""
    rep = copy.deepcopy(report())
    rep["GpUnit"][4]["VotersRegistered"] = False
    rep["Election"][0]["Contest"][0]["ContestSelection"][0]["VoteCounts"][0]["Count"] = None
    rep["Status"] = "final"
    rep["Election"][0]["Surprise"] = 1
    with pytest.raises(InputError) as info:
        read_report(raw(rep), "bad.json")
    text = str(info.value)
    assert text.splitlines() == [
        'bad.json:$.Election[0]: unexpected property "Surprise": the schema allows no other here',
        'bad.json:$.Status: expected one of "certified", "correction", "pre-election", "recount", "unofficial-complete", '
        '"unofficial-partial", found "final"',
        "bad.json:$.Election[0].Contest[0].ContestSelection[0].VoteCounts[0].Count: expected a number, found null",
        "bad.json:$.GpUnit[4].VotersRegistered: expected a whole number, found false",
    ]
    for python in ("False", "None", "'", "is not of type"):
        assert python not in text, python


def test_a_utf8_bom_before_the_report_is_skipped() -> None:
    plain = read_report(raw(report()), "plain.json")
    marked = read_report(b"\xef\xbb\xbf" + raw(report()), "bom.json")
    assert marked.definition == plain.definition
    assert marked.sheets.sheets.drop("_line").equals(plain.sheets.sheets.drop("_line"))
    # Refused the same way as without it, when it is no report (not "not JSON").
    with pytest.raises(InputError, match=r"^bom\.json: a JSON file, but not a NIST"):
        read_report(b"\xef\xbb\xbf{}", "bom.json")


@pytest.mark.parametrize("text", [b"{}", b"[1, 2]", b'{"@type": "ElectionResults.Election"}', b'"ElectionReport"'])
def test_other_json_is_refused_in_one_line_as_no_report(text: bytes) -> None:
    with pytest.raises(InputError) as info:
        read_report(text, "other.json")
    assert str(info.value) == (
        'other.json: a JSON file, but not a NIST SP 1500-100 ElectionReport (no "@type": "ElectionResults.ElectionReport" at $)'
    )


def test_not_json_and_other_shapes() -> None:
    with pytest.raises(InputError, match=r"^x.json: not JSON"):
        read_report(b"{nope", "x.json")
    rep = copy.deepcopy(report())
    rep["Election"][0]["Contest"] = []
    with pytest.raises(InputError, match="one Election with one CandidateContest"):
        read_report(raw(rep), "x.json")
    assert looks_like_report(raw(report()))
    assert not looks_like_report(b"UBIGEO;DEPARTAMENTO\n")


def test_a_report_from_another_system_is_read_by_count_status() -> None:
    """No escrutinio sheet states: completed units are counted, in-process ones observed,
    not-processed ones have no sheet; missing ballots cast are the sum of the lines."""
    rep = copy.deepcopy(report())
    for unit in rep["GpUnit"]:
        unit["ExternalIdentifier"] = [i for i in unit.get("ExternalIdentifier", []) if i["Type"] == "local-level"]
        if unit["@id"] == "table-000004":
            unit["CountStatus"][0]["Status"] = "not-processed"
    election = rep["Election"][0]
    election["BallotCounts"] = [b for b in election["BallotCounts"] if b["GpUnitId"] != "table-000001"]
    sheets = read_report(raw(rep), "us.json").sheets.sheets.sort("table")
    # The not-processed unit is a row stated pending: its table goes on the roll with no sheet.
    assert sheets["table"].to_list() == ["000001", "000002", "000003", "000004"]
    assert sheets["reported_state"].to_list() == ["counted", "counted", "observed", "pending"]
    first = sheets.row(0, named=True)
    assert first["cast"] == first["v_A"] + first["v_B"] + first["v_C"] + first["blank"] + first["null"] == 8
    assert sheets.filter(pl.col("table") == "000002")["null"].to_list() == [10]  # an annulled sheet's null, as counted


def test_a_repeated_unit_id_a_fractional_count_and_a_huge_number_are_refused_by_place() -> None:
    rep = copy.deepcopy(report())
    rep["GpUnit"][5]["@id"] = rep["GpUnit"][4]["@id"]
    with pytest.raises(InputError, match=r'r.json:\$.GpUnit\[5\].@id: "[^"]+" is the @id of \$.GpUnit\[4\] too'):
        read_report(raw(rep), "r.json")
    rep = copy.deepcopy(report())
    rep["Election"][0]["Contest"][0]["ContestSelection"][1]["VoteCounts"][2]["Count"] = 2.5
    with pytest.raises(InputError, match=r"ContestSelection\[1\].VoteCounts\[2\].Count: expected a whole number, found 2.5"):
        read_report(raw(rep), "r.json")
    rep = copy.deepcopy(report())
    rep["GpUnit"][5]["VotersRegistered"] = 2**70
    # An integer under the schema (and JSON), which no 64-bit column holds: refused by its place.
    with pytest.raises(InputError, match=r"r.json:\$.GpUnit\[5\].VotersRegistered: expected a number that fits in 64 bits$"):
        read_report(raw(rep), "r.json")


def test_a_negative_count_and_a_table_figure_past_one_table_are_refused_by_place() -> None:
    # The per-table readers refuse both (formats/fields.py); a report must not slip them in.
    rep = copy.deepcopy(report())
    rep["Election"][0]["Contest"][0]["ContestSelection"][0]["VoteCounts"][3]["Count"] = -5
    with pytest.raises(
        InputError, match=r"ContestSelection\[0\].VoteCounts\[3\].Count: expected a non-negative whole number, got -5"
    ):
        read_report(raw(rep), "r.json")
    rep = copy.deepcopy(report())
    rep["GpUnit"][5]["VotersRegistered"] = -1
    with pytest.raises(InputError, match=r"\$.GpUnit\[5\].VotersRegistered: expected a non-negative whole number, got -1$"):
        read_report(raw(rep), "r.json")
    rep = copy.deepcopy(report())
    rep["Election"][0]["Contest"][0]["ContestSelection"][0]["VoteCounts"][-1]["Count"] = 10**15
    with pytest.raises(InputError, match=r"\$.GpUnit\[\d+\]: table \d+: v_A 1,000,000,000,000,000 is too large for one table"):
        read_report(raw(rep), "r.json")


TINY_TOML = """# Tiny runoff, as its definition file says it
[election]
id = "tiny"
name = "Tiny runoff"
date = "2021-06-06"
timezone = "America/Lima"
country = "PE"

[geography]
levels = ["department", "city"]

[contest]
id = "presidential"
name = "President"
choices = [
  { id = "A", party = "Party A", candidate = "Ana", column = "a" },
  { id = "B", party = "Party A", candidate = "Beto", column = "b" },
  { id = "C", party = "", candidate = "", name = "List C", column = "c" },
]

[claims]
appeal_days = 5

[proclaimed]
source = "Resolution 1"
votes = { A = 6, B = 4 }
"""


def _with_definition(text: str) -> dict[str, Any]:
    return build_report(ELECTION, AREAS, TABLES, generated=WHEN, definition=text)


def test_the_whole_definition_comes_back_when_the_report_carries_it() -> None:
    """Claims, proclaimed result, choice names and columns: none has a place in the schema."""
    plain = read_report(raw(report()), "r.json")
    assert plain.election.proclaimed is None and plain.election.claims.appeal_days == 3  # built: defaults
    contents = read_report(raw(_with_definition(TINY_TOML)), "r.json")
    assert contents.definition == TINY_TOML
    assert contents.election.proclaimed is not None and contents.election.proclaimed.source == "Resolution 1"
    assert contents.election.claims.appeal_days == 5
    assert [c.column for c in contents.election.contest.choices] == ["a", "b", "c"]
    assert contents.sheets.sheets.equals(plain.sheets.sheets)


def test_a_carried_definition_that_disagrees_with_the_report_gives_way_to_the_report() -> None:
    """E.g. a report exported above the tables: fewer levels of areas than the definition names."""
    other = TINY_TOML.replace('levels = ["department", "city"]', 'levels = ["department", "city", "block"]')
    contents = read_report(raw(_with_definition(other)), "r.json")
    assert contents.election.levels == ("department", "city")
    assert contents.definition.startswith("# Built by escrutinio from a NIST SP 1500-100 ElectionReport.")


def test_a_broken_carried_definition_is_refused_at_its_path() -> None:
    rep = _with_definition(TINY_TOML.replace('date = "2021-06-06"', 'date = "June"'))
    at = [i["OtherType"] for i in rep["Election"][0]["ExternalIdentifier"]].index("escrutinio-definition")
    with pytest.raises(InputError) as info:
        read_report(raw(rep), "r.json")
    assert str(info.value).startswith(
        f"r.json:$.Election[0].ExternalIdentifier[{at}].Value: expected the election definition escrutinio wrote ("
    )


def test_polling_places_and_stated_reasons_come_back() -> None:
    """The roll's polling place and a reason the source stated beyond the state's own (ONPE's
    "lost" for an acta ANULADA POR EXTRAVIADA) travel as identifiers, the latter only where
    the state and the counting rules would not give it back."""
    tables = {
        **TABLES,
        "polling_place": ["Escuela 1", "Escuela 1", None, "Colegio 2"],
        # table 4's arithmetic error is the rules' (its figures), given again on reading
        "reasons": ["", "lost", "at_dispute_body", "arithmetic_error"],
    }
    rep = build_report(ELECTION, AREAS, tables, generated=WHEN)
    marks = {
        u["@id"]: {i["OtherType"]: i["Value"] for i in u.get("ExternalIdentifier", []) if i["Type"] == "other"}
        for u in rep["GpUnit"]
        if u["Type"] == "precinct"
    }
    assert marks["table-000002"]["escrutinio-sheet-reasons"] == "lost"
    assert [m.get("escrutinio-sheet-reasons") for m in marks.values()].count(None) == 3
    sheets = read_report(raw(rep), "r.json").sheets.sheets.sort("table")
    assert sheets["polling_place"].to_list() == tables["polling_place"]
    assert sheets["reported_reason"].to_list() == [None, "lost", "at_dispute_body", None]


def _tampered() -> dict[str, Any]:
    rep = copy.deepcopy(report())
    election = rep["Election"][0]
    for b in election["BallotCounts"]:
        if b["GpUnitId"] == "area-01" and b["Type"] == "total":
            b["BallotsCast"] = 25  # its tables cast 24
    for v in election["Contest"][0]["ContestSelection"][0]["VoteCounts"]:
        if v["GpUnitId"] == "area-PE" and v["Type"] == "total":
            v["Count"] = 7  # its tables gave A 6 (and the nation's valid stays 10)
    return rep


def test_area_totals_that_disagree_with_their_tables_are_observations_not_refusals() -> None:
    plain = read_report(raw(report()), "r.json").sheets
    assert (plain.observations, plain.observed) == ((), 0)
    read = read_report(raw(_tampered()), "r.json").sheets
    assert [str(o) for o in read.observations] == [
        "r.json:$.GpUnit[0]: area PE (country): its counts differ from the sum of its 4 lowest units: "
        "VoteCounts of choice-A 7 but its units' 6; BallotCounts valid 10 but its VoteCounts add up to 11",
        "r.json:$.GpUnit[1]: area 01 (department): its counts differ from the sum of its 4 lowest units: "
        "BallotsCast 25 but its units' 24",
    ]
    assert read.observed == 2
    assert read.sheets.equals(plain.sheets)  # the tables are what is counted, as they are


def test_a_level_s_domestic_and_abroad_kinds_are_compared_as_a_pair() -> None:
    """The built definition takes the first kind it meets at each level (Bolivia's report meets
    "region abroad" before "department"): the carried one agrees with it all the same."""
    from escrutinio.domain.election import election_from_toml
    from escrutinio.formats.nist_reader import _same_shape

    carried = election_from_toml(
        "x", TINY_TOML.replace("\n[contest]", 'abroad_levels = ["region abroad", "city abroad"]\n\n[contest]')
    )
    swapped = TINY_TOML.replace(
        'levels = ["department", "city"]', 'levels = ["region abroad", "city"]\nabroad_levels = ["department", "city abroad"]'
    )
    assert _same_shape(carried, election_from_toml("y", swapped))
    assert not _same_shape(carried, election_from_toml("z", TINY_TOML))  # no abroad kinds
    deeper = TINY_TOML.replace('levels = ["department", "city"]', 'levels = ["department", "city", "block"]')
    assert not _same_shape(election_from_toml("a", TINY_TOML), election_from_toml("b", deeper))


@pytest.mark.parametrize(
    ("composer", "child", "message"),
    [
        (1, "area-PE", r"\$.GpUnit\[1\].ComposingGpUnitIds\[1\]: area-01 composes area-PE, which composes it: "),
        (
            2,
            "area-PE",
            r"\$.GpUnit\[2\].ComposingGpUnitIds\[4\]: "
            r"area-0101 composes area-PE, which composes it \(through area-01\): ",
        ),
        (2, "area-0101", r"\$.GpUnit\[2\].ComposingGpUnitIds\[4\]: area-0101 composes itself: "),
    ],
)
def test_a_loop_in_the_units_is_refused_at_the_entry_that_closes_it(composer: int, child: str, message: str) -> None:
    rep = copy.deepcopy(report())
    rep["GpUnit"][composer]["ComposingGpUnitIds"].append(child)
    with pytest.raises(InputError, match=f"^r.json:{message}the units must form a tree$"):
        read_report(raw(rep), "r.json")


def test_a_unit_under_two_parents_is_refused_naming_both() -> None:
    rep = copy.deepcopy(report())
    rep["GpUnit"][1]["ComposingGpUnitIds"].append("table-000003")
    with pytest.raises(
        InputError,
        match=r"^r.json:\$.GpUnit\[2\].ComposingGpUnitIds\[2\]: a second parent for table-000003: area-0101 composes it, "
        r"and area-01 at \$.GpUnit\[1\].ComposingGpUnitIds\[1\]: the units must form a tree$",
    ):
        read_report(raw(rep), "r.json")


def test_a_second_count_of_the_same_thing_for_a_unit_is_refused_at_its_path() -> None:
    """Summed into the table before, and refused (if at all) as the table's arithmetic error."""
    rep = copy.deepcopy(report())
    counts = rep["Election"][0]["Contest"][0]["ContestSelection"][1]["VoteCounts"]
    first = next(n for n, c in enumerate(counts) if c["GpUnitId"] == "table-000003" and c["Type"] == "total")
    counts.append(copy.deepcopy(counts[first]))
    where = r"\$.Election\[0\].Contest\[0\].ContestSelection\[1\].VoteCounts"
    with pytest.raises(
        InputError,
        match=f"^r.json:{where}\\[{len(counts) - 1}\\]: a second count of CandidateSelection choice-B for unit table-000003; "
        f"the first is at {where}\\[{first}\\]$",
    ):
        read_report(raw(rep), "r.json")
    rep = copy.deepcopy(report())
    ballots = rep["Election"][0]["BallotCounts"]
    ballots.append(copy.deepcopy(ballots[0]))
    with pytest.raises(InputError, match=r"BallotCounts\[\d+\]: a second count(?: \(\w+\))? of BallotCounts for unit area-PE; "):
        read_report(raw(rep), "r.json")


def test_a_count_of_a_unit_not_in_the_report_is_refused_at_its_path() -> None:
    rep = copy.deepcopy(report())
    rep["Election"][0]["BallotCounts"][5]["GpUnitId"] = "area-ZZ"
    with pytest.raises(
        InputError,
        match=r'^r.json:\$.Election\[0\].BallotCounts\[5\].GpUnitId: names "area-ZZ", which is no GpUnit of the report$',
    ):
        read_report(raw(rep), "r.json")


@pytest.mark.parametrize("allowed", [2, 0])
def test_more_than_one_vote_allowed_is_refused(allowed: int) -> None:
    rep = copy.deepcopy(report())
    rep["Election"][0]["Contest"][0]["VotesAllowed"] = allowed
    with pytest.raises(
        InputError,
        match=rf"^r.json:\$.Election\[0\].Contest\[0\].VotesAllowed: expected 1 \(escrutinio counts one choice per ballot\), "
        rf"got {allowed}$",
    ):
        read_report(raw(rep), "r.json")


@pytest.mark.parametrize("levels", [("national", "department"), ("national",)])
def test_a_report_exported_at_department_or_national_level_is_refused_saying_why(levels: tuple[str, ...]) -> None:
    """Its lowest units would be the tables, and a table is counted under an area: none is left."""
    rep = build_report(ELECTION, [a for a in AREAS if a["level"] in levels], None, generated=WHEN)
    with pytest.raises(
        InputError,
        match=r"^r.json:\$.GpUnit: no areas between the nation and its lowest units: a load counts the lowest units as "
        r"tables, each under an area, so a report exported at national or first level \(department\) cannot be loaded; "
        r"export it at a lower level$",
    ):
        read_report(raw(rep), "r.json")
