"""Request bodies are read strictly: votes (and every other integer a body takes) are JSON
integers, never a ``true`` counted as 1 or a ``"5"`` converted quietly; strings a body expects
(dates, enum values) still read from JSON strings."""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
from typing import Any

import orjson
import pytest
from fastapi.exceptions import RequestValidationError

import escrutinio.api
from escrutinio.api.bodies import Strict, parse_body


def _bodies() -> list[type[Strict]]:
    """Every request body model of the API (each route module imported)."""
    for module in pkgutil.iter_modules(escrutinio.api.__path__):
        importlib.import_module(f"escrutinio.api.{module.name}")
    found: list[type[Strict]] = []
    todo = list(Strict.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return found


def _valid(model: type[Strict]) -> dict[str, Any]:
    """A body ``model`` accepts: its required fields, from its own JSON schema's types."""
    schema = model.model_json_schema()
    sample = {"string": "x", "integer": 1, "number": 0.5, "array": ["x"], "object": {}}
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        if name == "votes":
            body[name] = {"PL": 1}
        else:
            # A field that takes either of two types (a share: a number or a string) says them in anyOf.
            kind = prop.get("type") or prop.get("anyOf", [{}])[0].get("type", "object")
            body[name] = sample[kind[0] if isinstance(kind, list) else kind]  # ["string", "number"]: the first
    return body


def _integer_fields(model: type[Strict]) -> list[str]:
    props = model.model_json_schema()["properties"]
    return [
        name
        for name, prop in props.items()
        if prop.get("type") == "integer" or any(p.get("type") == "integer" for p in prop.get("anyOf", []))
    ]


def _refusal(raw: bytes, model: type[Strict]) -> dict[str, Any]:
    with pytest.raises(RequestValidationError) as refused:
        parse_body(raw, model)
    return dict(refused.value.errors()[0])


def test_every_body_with_integers_is_found() -> None:
    """The test below covers the bodies it should (one that lost its integer fields would pass it
    vacuously)."""
    names = {m.__name__ for m in _bodies() if _integer_fields(m)}
    assert {"SheetEntry", "PlanBody", "EntryBody"} <= names


@pytest.mark.parametrize("model", [m for m in _bodies() if _integer_fields(m)], ids=lambda m: m.__name__)
@pytest.mark.parametrize("given", [True, False, "1", 1.0], ids=["true", "false", "string", "float"])
def test_an_integer_field_takes_only_a_json_integer(model: type[Strict], given: Any) -> None:
    base = _valid(model)
    parse_body(orjson.dumps(base), model)  # the body itself is fine
    for name in _integer_fields(model):
        error = _refusal(orjson.dumps({**base, name: given}), model)
        assert (error["loc"], error["type"]) == (("body", name), "int_type"), error


@pytest.mark.parametrize("given", [True, "5", 2.0])
def test_a_vote_count_is_a_json_integer(given: Any) -> None:
    from escrutinio.api.routes_intake import SheetEntry

    body = {"votes": {"PL": given, "FP": 1}, "blank": 0, "null": 0, "challenged": 0, "cast": 2}
    error = _refusal(orjson.dumps(body), SheetEntry)
    assert (error["loc"], error["type"]) == (("body", "votes", "PL"), "int_type")
    entry = parse_body(orjson.dumps({**body, "votes": {"PL": 1, "FP": 1}}), SheetEntry)
    assert entry.votes == {"PL": 1, "FP": 1} and type(entry.votes["PL"]) is int


class Colour(enum.Enum):
    RED = "red"


class Dated(Strict):
    on: dt.date
    colour: Colour
    count: int


def test_strings_a_body_expects_still_read_from_json() -> None:
    """Strict as JSON is strict (what JSON cannot spell, a date or an enum, reads from its string)."""
    got = parse_body(b'{"on": "2026-11-30", "colour": "red", "count": 3}', Dated)
    assert (got.on, got.colour, got.count) == (dt.date(2026, 11, 30), Colour.RED, 3)
    assert _refusal(b'{"on": "2026-11-30", "colour": "red", "count": "3"}', Dated)["type"] == "int_type"


def test_not_json_and_empty_bodies_keep_their_answers() -> None:
    assert _refusal(b'{"count": ', Dated)["type"] == "json_invalid"
    assert _refusal(b'{"count": ', Dated)["msg"].startswith("not JSON (")
    assert _refusal(b'{"count": NaN}', Dated)["type"] == "json_invalid"  # not JSON, though pydantic reads it
    empty = _refusal(b"", Dated)  # refused as empty, not as each required field missing
    assert (empty["loc"], empty["type"]) == (("body",), "missing")
    assert empty["msg"] == "empty; expected a JSON object (it takes on, colour, count)"


def test_an_empty_body_is_an_empty_object_but_whitespace_is_no_json() -> None:
    """A body whose fields are all optional may be left out; a body of only whitespace is not
    JSON (schemathesis sent ``\\n`` to ``/cases/finalise`` and got 200)."""

    class Optional_(Strict):
        key: str | None = None

    assert parse_body(b"", Optional_).key is None
    refused = _refusal(b"\n", Optional_)
    assert refused["type"] == "json_invalid"
