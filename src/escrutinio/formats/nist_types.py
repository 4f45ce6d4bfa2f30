"""The official NIST SP 1500-100 v2 schema compiled into msgspec types, so that reading a report
parses it and checks it against the schema in one pass, in C.

Why: a table-level report of a national runoff is 65 MB and a million JSON objects. Parsing it
into dicts (orjson), checking them (jsonschema-rs) and walking them in Python to gather the
columns was most of an import; decoding into typed structs does the first two at once, in a
quarter of the time, and the structs' attributes are read faster than dict keys.

The schema uses ``type``, ``$ref``, ``properties``, ``additionalProperties`` (always false),
``required``, ``items``, ``minItems``, ``enum``, ``oneOf`` (between object kinds told apart by
their ``@type``), ``pattern`` and ``maxLength`` (``format`` is unchecked, as ``jsonschema``
leaves it). Each has a msgspec counterpart with the same meaning: an object kind is a struct
that refuses unknown fields, whose required properties have no default and whose ``@type`` is
required and fixed; a ``oneOf`` is a union of structs tagged by ``@type``; an enum is a
``Literal``; ``number`` is ``int | float`` (integers stay exact), ``integer`` is ``int`` (1.0 is
not, as in Draft 4); ``pattern`` is searched, not matched, as JSON Schema does. The compiler
refuses any other keyword, so a schema that grew one could not be checked more loosely than it
says. Property tests hold the verdict to ``jsonschema``'s on reports changed every way those
keywords look at.

msgspec may be stricter than the schema in corners (a key repeated with a bad value first);
``nist_reader`` then asks the schema itself, so a report is only ever refused by the schema.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Annotated, Any, Literal, Union  # noqa: F401  (annotation text names them)

import msgspec
from msgspec import Meta  # noqa: F401  (annotation text names it)

from escrutinio.formats.nist_schema import NS, schema

KEYWORDS = frozenset(
    {"type", "$ref", "properties", "additionalProperties", "required", "items", "minItems", "enum", "oneOf"}
    | {"pattern", "maxLength", "format", "refTypes"}
)
"""The schema keywords the compiler knows; ``format`` and ``refTypes`` (NIST's note of what an
id refers to) constrain nothing under ``jsonschema``'s defaults."""

ATTRIBUTES = {"@id": "id", "@type": "type"}
"""A property whose name is no Python identifier, and the attribute that holds it."""


def kind(value: Any) -> str:
    """An object's ``@type`` (e.g. ``ElectionResults.CandidateContest``)."""
    tag = type(value).__struct_config__.tag
    return tag if isinstance(tag, str) else value.type


@cache
def report_type() -> Any:
    """The struct type of an ``ElectionReport`` (the schema's root)."""
    return _Compiler(schema()["definitions"]).compile(_name(schema()["$ref"]))


@cache
def _decoder() -> Any:
    return msgspec.json.Decoder(report_type())


def decode(raw: bytes) -> Any:
    """A report's bytes as structs, if it is JSON valid under the official schema; else
    ``msgspec.DecodeError`` (a ``ValidationError`` when it is JSON that the schema refuses)."""
    return _decoder().decode(raw)


def convert(document: Any) -> Any:
    """A report already parsed into dicts and lists, as structs (same verdict as :func:`decode`)."""
    return msgspec.convert(document, report_type())


def _name(ref: str) -> str:
    return ref.rpartition("/")[2]


class _Compiler:
    """Schema nodes to msgspec types. Annotations are written as text and resolved by msgspec
    in this module's namespace, where each struct is put under its own name (the schema's
    ``OrderedHeader`` contains itself, which only a name can express)."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.namespace = vars(sys.modules[__name__])
        self.wanted: list[tuple[str, bool]] = []

    def compile(self, root: str) -> Any:
        """The root kind's struct, and every struct it names, once each."""
        self.wanted.append((root, False))
        while self.wanted:
            definition, tagged = self.wanted.pop()
            if self.struct_name(definition, tagged) not in self.namespace:
                self.object_type(definition, tagged)
        return self.namespace[self.struct_name(root, False)]

    def name_of(self, definition: str, tagged: bool) -> str:
        """The name of an object kind's struct (made later, by :meth:`compile`)."""
        self.wanted.append((definition, tagged))
        return self.struct_name(definition, tagged)

    @staticmethod
    def struct_name(definition: str, tagged: bool) -> str:
        return "_" + definition.removeprefix(NS) + ("_tagged" if tagged else "")

    def object_type(self, definition: str, tagged: bool) -> Any:
        """The struct of an object kind: tagged by ``@type`` for a place in a union (msgspec
        then requires the tag), else with ``@type`` as a required field of that one value."""
        name = self.struct_name(definition, tagged)
        node = self.definitions[definition]
        self._known(node, definition)
        if node.get("type") != "object" or node.get("additionalProperties") is not False:
            raise ValueError(f"{definition}: expected an object kind without additional properties")
        required = set(node.get("required", ()))
        if node["properties"].get("@type", {}).get("enum") != [definition] or "@type" not in required:
            raise ValueError(f"{definition}: expected a required @type of its own name")
        fields: list[Any] = []
        rename: dict[str, str] = {}
        for prop, sub in node["properties"].items():
            if prop == "@type" and tagged:
                continue
            attr = ATTRIBUTES.get(prop, prop)
            if not attr.isidentifier() or (attr in node["properties"] and attr != prop):
                raise ValueError(f"{definition}.{prop}: no attribute name for it")
            if attr != prop:
                rename[attr] = prop
            annotation = self.annotation(sub, f"{definition}.{prop}")
            fields.append((attr, annotation) if prop in required else (attr, annotation, None))
        options: dict[str, Any] = {"tag_field": "@type", "tag": definition} if tagged else {}
        struct = msgspec.defstruct(
            name,
            fields,
            module=__name__,
            rename=rename or None,
            kw_only=True,
            forbid_unknown_fields=True,
            gc=False,  # decoded data holds no reference cycle: the collector need not track them
            **options,
        )
        self.namespace[name] = struct
        return struct

    def annotation(self, node: dict[str, Any], where: str) -> str:
        """A property's type as annotation text."""
        self._known(node, where)
        if "$ref" in node:
            definition = _name(node["$ref"])
            target = self.definitions[definition]
            if target.get("type") == "object":
                return self.name_of(definition, tagged=False)
            return self.annotation(target, definition)
        if "oneOf" in node:
            kinds = [_name(branch["$ref"]) for branch in node["oneOf"]]
            if any(self.definitions[k].get("type") != "object" for k in kinds):
                raise ValueError(f"{where}: expected a oneOf between object kinds")
            return "Union[" + ", ".join(self.name_of(k, tagged=True) for k in kinds) + "]"
        kind = node.get("type")
        if "enum" in node:
            if kind != "string" or not all(isinstance(v, str) for v in node["enum"]):
                raise ValueError(f"{where}: expected an enum of strings")
            return "Literal[" + ", ".join(repr(v) for v in node["enum"]) + "]"
        if kind == "string":
            meta = {"pattern": node.get("pattern"), "max_length": node.get("maxLength")}
            meta = {k: v for k, v in meta.items() if v is not None}
            return f"Annotated[str, Meta(**{meta!r})]" if meta else "str"
        if kind == "array":
            items = f"list[{self.annotation(node['items'], where + '[]')}]"
            least = node.get("minItems", 0)
            return f"Annotated[{items}, Meta(min_length={least})]" if least else items
        simple = {"integer": "int", "number": "Union[int, float]", "boolean": "bool"}
        if kind in simple and node.keys() <= {"type"}:
            return simple[kind]
        raise ValueError(f"{where}: no msgspec type for {node!r}")

    @staticmethod
    def _known(node: dict[str, Any], where: str) -> None:
        unknown = node.keys() - KEYWORDS
        if unknown:
            raise ValueError(f"{where}: schema keywords {sorted(unknown)} are not compiled")
