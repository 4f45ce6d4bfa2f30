"""The compiled checks of an ElectionReport (``nist_schema.is_valid``, jsonschema-rs, and the
schema compiled into msgspec structs, ``nist_types``, which an import decodes into) give the
verdict of the reference validator (``jsonschema``) on reports changed in every way the
schema's keywords look at: a value of another type or from another enum, a property removed
or added, an array emptied, an item repeated, a ``@type`` swapped. An import refuses a report
only when that verdict says so; a compiled check laxer than the reference would let a
schema-invalid report in, one stricter would only send it to the slower check that names
the problems."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from tests.unit.formats.test_nist_cdf import report

from escrutinio.formats import nist_types
from escrutinio.formats.nist_schema import is_valid, schema, schema_problems


def _enums(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum":
                found.update(v for v in value if isinstance(v, str))
            else:
                found |= _enums(value)
    elif isinstance(node, list):
        for value in node:
            found |= _enums(value)
    return found


ENUMS = sorted(_enums(schema()))
STRINGS = st.one_of(
    st.sampled_from(ENUMS),
    st.sampled_from(["", "x", "2021-06-06", "2021-06-18T12:00:00Z", "2021-13-01T25:00:00", "12:00:00Z", "a1b2c3", "0A0B0C"]),
    st.text(max_size=8),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False), STRINGS
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=2), st.dictionaries(STRINGS, SCALARS, max_size=2))

REFERENCE = Draft4Validator(schema())
TINY = report()


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document: the path of each dict property and list item."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _places(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _places(value, (*path, i))
    return out


PLACES = _places(TINY)[1:]


def _change(rep: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> None:
    parent = rep
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    target = parent[last]
    if how == "replace":
        parent[last] = value
    elif how == "remove":
        del parent[last]
    elif how == "add" and isinstance(target, dict):
        target[value if isinstance(value, str) else "Extra"] = value
    elif how == "empty" and isinstance(target, list | dict):
        target.clear()
    elif how == "repeat" and isinstance(target, list) and target:
        target.append(copy.deepcopy(target[0]))
    elif how == "swap type" and isinstance(target, dict) and "@type" in target:
        target["@type"] = value if isinstance(value, str) else "ElectionResults.Party"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A boolean or a whole float where the schema wants a number or an integer: Python holds False == 0
# and 3.0 == 3, which once gave such an item the verdict of a valid item of the same shape.
@example([(("Election", 0, "Contest", 0, "ContestSelection", 1, "VoteCounts", 5, "Count"), "replace", False)])
@example([(("GpUnit", 4, "VotersRegistered"), "replace", 3.0)])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PLACES),
            st.sampled_from(["replace", "remove", "add", "empty", "repeat", "swap type"]),
            VALUES,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_compiled_check_gives_the_reference_verdict(changes: list[tuple[tuple[Any, ...], str, Any]]) -> None:
    rep = copy.deepcopy(TINY)
    for path, how, value in changes:
        try:
            _change(rep, path, how, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced that place
    valid = REFERENCE.is_valid(rep)
    assert is_valid(rep) == valid
    assert _decodes(rep) == valid
    problems, total = schema_problems(rep)
    assert (total == 0) == valid and bool(problems) == (not valid)


def _decodes(rep: dict[str, Any]) -> bool:
    """Whether the report's JSON decodes into the schema's structs, as an import reads it."""
    try:
        nist_types.decode(orjson.dumps(rep))
    except msgspec.ValidationError:
        return False
    return True


def test_the_tiny_report_is_valid_every_way() -> None:
    assert REFERENCE.is_valid(TINY) and is_valid(TINY) and _decodes(TINY)
