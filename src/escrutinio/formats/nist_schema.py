"""The official schema of NIST SP 1500-100 v2 (vendored with NIST's notice in ``schemas/``)
and a check of a document against it that is fast enough for a national table-level report."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "NIST_V2_election_results_reporting.json"
NS = "ElectionResults."


@contextmanager
def paused_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector: reading a national report makes a million small
    containers and no cycle, and the collector's passes over them are pure cost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@cache
def schema() -> dict[str, Any]:
    """The official schema (vendored; NIST's notice beside it in ``formats/schemas``)."""
    text = (resources.files("escrutinio.formats") / "schemas" / SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


ITEM_DEFINITIONS = {"BallotCounts": "BallotCounts", "VoteCounts": "VoteCounts", "OtherCounts": "OtherCounts"}
"""Arrays checked item by item (see :func:`schema_problems`), by the definition of their items."""


def schema_problems(report: Any, limit: int = 100) -> tuple[list[str], int]:
    """Up to ``limit`` problems of a document under the official schema, each
    ``$.json.path: what the schema expected``, and how many there are in all.

    Why in parts: a table-level report holds about a million counts, and the schema's
    ``oneOf`` between contest and selection kinds makes a validator check each count once
    per kind (minutes for Peru's runoff). The document is checked as its skeleton, with the
    big arrays (``GpUnit``, ``BallotCounts``, ``VoteCounts``, ``OtherCounts``) emptied, plus
    each of their items against the schema's own definition for them. That is the same
    verdict: those arrays have no constraint as a whole (no ``minItems`` above 0, no
    uniqueness), every kind's array of that name has items of that one definition (a test
    holds the schema to it), and the kinds are told apart by ``@type``, which stays in the
    skeleton.

    First, the whole document goes through a compiled validator of the same schema
    (:func:`is_valid`, a tenth of the time): a report that passes it has no problem to name.
    Only a report it refuses is checked as above, for the problems' paths and wording (so a
    validator stricter than ``jsonschema`` could only cost time, never refuse a valid report).
    """
    with paused_collector():
        if is_valid(report):
            return [], 0
        return _schema_problems(report, limit)


def is_valid(report: Any) -> bool:
    """Whether a document passes the official schema, by ``jsonschema-rs`` (Rust, Draft 4,
    formats unchecked as ``jsonschema`` leaves them): the verdict only, without the problems.

    The verdict is ``jsonschema``'s: the schema uses only ``type``, ``$ref``, ``properties``,
    ``additionalProperties``, ``required``, ``items``, ``minItems``, ``enum``, ``oneOf``,
    ``pattern`` (ASCII classes, no anchors) and ``maxLength``, which both implement to the letter;
    property tests mutate reports every way those keywords look at and compare the verdicts.
    """
    return _compiled().is_valid(report)


@cache
def _compiled() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft4Validator(schema(), validate_formats=False)


def _schema_problems(report: Any, limit: int) -> tuple[list[str], int]:
    from jsonschema import Draft4Validator

    definitions = schema()["definitions"]
    skeleton, parts = _split(report)
    found: list[str] = []
    total = 0

    def note(prefix: str, errors: Iterable[Any]) -> int:
        nonlocal total
        n = 0
        for error in errors:
            n += 1
            if len(found) < limit:
                where, expected = _explain(error)
                found.append(f"{prefix}{error.json_path[1:]}{where}: {expected}")
        total += n
        return n

    note("$", Draft4Validator(schema()).iter_errors(skeleton))
    validators: dict[str, Any] = {}
    for prefix, kind, items in parts:
        if kind not in validators:
            sub = dict(definitions[NS + ITEM_DEFINITIONS[kind]] if kind in ITEM_DEFINITIONS else _gp_unit_items())
            validators[kind] = Draft4Validator({**sub, "definitions": definitions})
        validator = validators[kind]
        verdicts: dict[Any, int] = {}  # shape -> number of problems of an item of that shape
        for i, item in enumerate(items):
            shape = _shape(item)
            known = verdicts.get(shape)
            if known == 0:
                continue
            if known is None or len(found) < limit:
                verdicts[shape] = note(f"{prefix}[{i}]", validator.iter_errors(item))
            else:
                total += known
    return found, total


FREE_STRINGS = frozenset({"@id", "GpUnitId", "Value", "Content", "ComposingGpUnitIds"})
"""Properties whose values the schema constrains by type alone (a test holds it to that)."""


def _shape(value: Any, key: str | None = None) -> Any:
    """What the schema can tell apart in a value: its structure and every constrained string,
    with numbers and the free strings (:data:`FREE_STRINGS`) reduced to their JSON type and
    an array to the set of its items' shapes. Each JSON type keeps a shape of its own (Python
    holds ``False == 0 == 0.0``, which would give a boolean count an integer's verdict).

    Two items of one shape get the same verdict: the schema bounds no number, puts only a
    type on the free strings, and constrains no array by its length beyond "not empty" or
    by uniqueness (a test holds the schema to all three). So each shape is validated once:
    a table-level report of 86,000 tables has a few dozen shapes.
    """
    kind = type(value)
    if kind is dict:
        out = []
        for k, v in value.items():
            vk = type(v)
            if vk is str:
                out.append((k, "" if k in FREE_STRINGS else v))
            elif vk is int:
                out.append((k, 0))
            else:
                out.append((k, _shape(v, k)))
        return tuple(out)
    if kind is list:
        return ("[", frozenset([_shape(v, key) for v in value]))
    if kind is str:
        return "" if key in FREE_STRINGS else value
    if kind is int:
        return 0
    if kind is float:  # not 0.0 or 1.0: they equal 0 and 1 (and hash alike), and 1.0 is no Draft 4 integer
        return ("float", value.is_integer())
    if kind is bool:  # likewise: False == 0, and a boolean is no number
        return ("bool", value)
    return value


def _gp_unit_items() -> dict[str, Any]:
    return schema()["definitions"][NS + "ElectionReport"]["properties"]["GpUnit"]["items"]


DESCEND = ("Election", "Contest", "ContestSelection")
"""Where the split arrays sit: the report, its elections, their contests and selections."""


def _split(report: Any) -> tuple[Any, list[tuple[str, str, list[Any]]]]:
    """(the document with its big arrays emptied, [(JSON path, item kind, items)])."""
    parts: list[tuple[str, str, list[Any]]] = []
    return _walk(report, "$", parts), parts


def _walk(node: Any, path: str, parts: list[tuple[str, str, list[Any]]]) -> Any:
    """``node`` with its big arrays emptied (added to ``parts``). A module function, not a
    closure over ``parts``: a recursive closure is a reference cycle, which would keep every
    item of the report alive until the cyclic collector's next pass (a second or more)."""
    if not isinstance(node, dict):
        return node
    out = dict(node)
    for key, value in node.items():
        if not isinstance(value, list):
            continue
        if key in ITEM_DEFINITIONS or (key == "GpUnit" and path == "$"):
            parts.append((f"{path}.{key}", key, value))
            out[key] = []
        elif key in DESCEND:
            out[key] = [_walk(v, f"{path}.{key}[{i}]", parts) for i, v in enumerate(value)]
    return out


def _explain(error: Any) -> tuple[str, str]:
    """(the path below the error's own, what the schema expected): a ``oneOf`` names the
    problem of the kind the value says it is (the one whose ``@type`` fits)."""
    if error.validator == "oneOf" and error.context:
        branches: dict[Any, list[Any]] = {}
        for e in error.context:
            branches.setdefault(e.schema_path[0], []).append(e)
        named = [b for b in branches.values() if not any(list(e.absolute_path) == ["@type"] for e in b)]
        best = (named or list(branches.values()))[0][0]
        below = list(best.absolute_path)[len(list(error.absolute_path)) :]
        where, expected = _explain(best)
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in below) + where, expected
    return "", expected_in_words(error)


TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def json_text(value: Any, limit: int = 60) -> str:
    """A value as JSON writes it (``false``, ``null``, ``"text"``), cut to ``limit`` characters:
    a report's reader thinks in JSON, not in Python's ``False``, ``None`` and ``'text'``."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expected_in_words(error: Any) -> str:
    """What the schema expected where ``error`` (a ``jsonschema`` error) is, and what was found,
    in words and JSON terms; the validator's own message only for a keyword not named here."""
    kind, rule, found = error.validator, error.validator_value, error.instance
    if kind == "type":
        types = [rule] if isinstance(rule, str) else list(rule)
        return f"expected {' or '.join(TYPE_WORDS.get(t, t) for t in types)}, found {json_text(found)}"
    if kind == "required":
        missing = [p for p in rule if isinstance(found, dict) and p not in found]
        named = next((p for p in missing if repr(p) in error.message), missing[0] if missing else "")
        return f"expected the property {json_text(named)} (required here), found none"
    if kind == "enum":
        return f"expected one of {', '.join(json_text(v) for v in rule)}, found {json_text(found)}"
    if kind == "additionalProperties" and isinstance(found, dict):
        allowed = error.schema.get("properties", {})
        extra = [k for k in found if k not in allowed]
        return f"unexpected property {', '.join(json_text(k) for k in extra)}: the schema allows no other here"
    if kind == "pattern":
        return f"expected a string matching the pattern {json_text(rule)}, found {json_text(found)}"
    if kind == "maxLength":
        return f"expected at most {rule} characters, found {len(found)}"
    if kind == "minItems":
        return f"expected at least {rule} item{'s' if rule != 1 else ''}, found {len(found)}"
    if kind == "oneOf":
        return f"expected one of the kinds the schema allows here, found {json_text(found)}"
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."
