"""The official schema compiled into msgspec structs: a report decodes into them only when the
schema holds it valid, and an import that msgspec refuses is judged by the schema itself."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import msgspec
import pytest
from tests.unit.formats.test_nist_cdf import report

from escrutinio.domain.errors import InputError
from escrutinio.formats import nist_types
from escrutinio.formats.nist_reader import read_report
from escrutinio.formats.nist_schema import NS, schema


def raw(rep: dict[str, Any]) -> bytes:
    return json.dumps(rep).encode()


def test_a_report_decodes_into_the_schemas_kinds() -> None:
    decoded = nist_types.decode(raw(report()))
    assert nist_types.kind(decoded) == NS + "ElectionReport"
    contest = decoded.Election[0].Contest[0]  # a place of a oneOf: a struct tagged by @type
    assert nist_types.kind(contest) == NS + "CandidateContest"
    assert [u.id for u in decoded.GpUnit[:2]] == ["area-PE", "area-01"]
    assert nist_types.convert(report()) == decoded


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r["GpUnit"][1]["CountStatus"][0].pop("@type"), "$.GpUnit[1].CountStatus[0]"),  # required @type, not a union
        (lambda r: r["GpUnit"][1].pop("@type"), "$.GpUnit[1]"),  # a union's tag
        (lambda r: r["GpUnit"][1].update(Extra=1), "$.GpUnit[1]"),  # additionalProperties false
        (lambda r: r["GpUnit"][1].update(VotersRegistered=1.0), "$.GpUnit[1].VotersRegistered"),  # Draft 4: 1.0 is no integer
        (lambda r: r["GpUnit"][1].update(Type="galaxy"), "$.GpUnit[1].Type"),  # an enum
        (lambda r: r["Party"][0].update(Color="red"), "$.Party[0].Color"),  # a pattern
        (lambda r: r["Party"][0]["Name"].update(Text=[]), "$.Party[0].Name.Text"),  # minItems
        (lambda r: r["GpUnit"][1].update(Name=None), "$.GpUnit[1].Name"),  # null is no object
    ],
)
def test_what_the_schema_refuses_does_not_decode(change: Any, where: str) -> None:
    rep = copy.deepcopy(report())
    change(rep)
    with pytest.raises(msgspec.ValidationError, match=f"at `{re.escape(where)}`$"):
        nist_types.decode(raw(rep))


def test_numbers_stay_exact_and_whole() -> None:
    rep = copy.deepcopy(report())
    rep["GpUnit"][1]["VotersRegistered"] = 2**62 + 1
    assert nist_types.decode(raw(rep)).GpUnit[1].VotersRegistered == 2**62 + 1


def test_a_keyword_the_compiler_does_not_know_is_refused() -> None:
    compiler = nist_types._Compiler(schema()["definitions"])
    with pytest.raises(ValueError, match=r"x: schema keywords \['minimum'\] are not compiled"):
        compiler.annotation({"type": "integer", "minimum": 0}, "x")


def test_a_report_msgspec_refuses_but_the_schema_holds_valid_is_read() -> None:
    """A key repeated with a bad value first: the JSON parser keeps the last value, which the
    schema holds valid; msgspec refuses the first. The schema's verdict decides."""
    text = raw(report())
    issuer = b'"Issuer": "escrutinio"'
    assert text.count(issuer) == 1
    repeated = text.replace(issuer, b'"Issuer": 5, ' + issuer)
    with pytest.raises(msgspec.ValidationError):
        nist_types.decode(repeated)
    plain = read_report(text, "plain.json")
    again = read_report(repeated, "repeated.json")
    assert again.definition == plain.definition
    assert again.sheets.sheets.equals(plain.sheets.sheets)


def test_a_malformed_report_still_names_the_json_paths_of_its_problems() -> None:
    rep = copy.deepcopy(report())
    rep["GpUnit"][2]["Type"] = "galaxy"
    rep["Election"][0]["Contest"][0]["ContestSelection"][0]["VoteCounts"][1]["Count"] = "many"
    with pytest.raises(InputError) as info:
        read_report(raw(rep), "bad.json")
    lines = str(info.value).splitlines()
    count = "bad.json:$.Election[0].Contest[0].ContestSelection[0].VoteCounts[1].Count"
    assert lines[0] == f'{count}: expected a number, found "many"'
    assert lines[1].startswith('bad.json:$.GpUnit[2].Type: expected one of "ballot-batch", ')
    assert lines[1].endswith(', found "galaxy"')
