"""Frictionless data packages: the results as CSV files with a ``datapackage.json`` that says
what each file holds (a Table Schema: field types, primary and foreign keys).

Open-data portals, CKAN and the ``frictionless`` tools read such a folder without a parser of
their own, and check it: every count an integer, every table in a district that exists, every
district in a province that exists. Pure: plain data in, CSV rows and the descriptor out; the
application writes the files.

Files (``<level>`` for each level of the election's geography, top first):

- ``results-national.csv``, ``results-<level>.csv``: what ``escrutinio results`` reports per
  area (primary key ``area``; ``parent`` a foreign key into the level above);
- ``tables.csv``: each table's roll entry and current sheet (primary key ``table``; ``area``
  a foreign key into the lowest level);
- ``docket.csv``: every case (primary key ``number``), and ``docket-tables.csv`` the tables
  each case concerns (foreign keys into both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election

LICENCES: dict[str, dict[str, str]] = {
    lic["name"]: lic
    for lic in (
        {
            "name": "ODC-PDDL-1.0",
            "path": "https://opendatacommons.org/licenses/pddl/",
            "title": "Open Data Commons Public Domain Dedication and License v1.0",
        },
        {"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/", "title": "CC0 1.0 Universal"},
        {
            "name": "ODC-BY-1.0",
            "path": "https://opendatacommons.org/licenses/by/",
            "title": "Open Data Commons Attribution License v1.0",
        },
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0",
        },
        {
            "name": "ODbL-1.0",
            "path": "https://opendatacommons.org/licenses/odbl/",
            "title": "Open Data Commons Open Database License v1.0",
        },
    )
}
"""The open licences a publisher may name (SPDX ids, as the Data Package spec asks), each with
its canonical address: an electoral body's own terms are one of these in practice, and a fixed
list keeps a typo from publishing a package under a licence that does not exist."""

LICENCE = LICENCES["ODC-PDDL-1.0"]
"""The default licence: official results are public records; a publisher may name another."""


def licence_named(name: str) -> dict[str, str]:
    """The licence with SPDX id ``name`` (case as written in SPDX), or a one-line refusal."""
    found = LICENCES.get(name)
    if found is None:
        raise ValueError(f'licence: expected one of {", ".join(LICENCES)}, got "{name}"')
    return found


CASE_FIELDS = ("number", "kind", "status", "filer", "filed_at", "grounds", "rule", "resolution", "effect", "appeal_until")


@dataclass(frozen=True)
class Resource:
    """One CSV file: its name, header, rows and Table Schema."""

    name: str
    fields: list[dict[str, Any]]
    rows: list[tuple[Any, ...]]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def descriptor(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"fields": self.fields, "primaryKey": self.primary_key}
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def _field(name: str, kind: str, description: str = "", required: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": kind}
    if description:
        out["description"] = description
    constraints: dict[str, Any] = {}
    if required:
        constraints["required"] = True
    if kind == "integer":
        constraints["minimum"] = 0
    if constraints:
        out["constraints"] = constraints
    return out


def _key(fields: str, resource: str, to: str) -> dict[str, Any]:
    return {"fields": fields, "reference": {"resource": resource, "fields": to}}


def result_fields(election: Election) -> list[dict[str, Any]]:
    """The columns of a results file, named as ``results --format csv`` names them."""
    choices = election.contest.choice_ids
    states = ("total", "counted", "resolved", "observed", "annulled", "not_installed", "pending")
    return [
        _field("area", "string", "area code", required=True),
        _field("name", "string"),
        _field("kind", "string", "what the area is (department, province, continent, ...)"),
        _field("parent", "string", "the area above"),
        *(
            _field(f"tables.{s}", "integer", f"tables whose sheet is {s}" if s != "total" else "tables on the roll")
            for s in states
        ),
        _field("electors", "integer", "registered electors"),
        _field("electors_in_count", "integer", "electors of the tables whose ballots are in the count"),
        _field("ballots_cast", "integer", "ballots cast, in the count"),
        _field("valid", "integer", "valid votes (the sum over the choices)"),
        _field("blank", "integer", "blank votes"),
        _field("null", "integer", "null votes (with annulled sheets' ballots where the rules say so)"),
        _field("challenged", "integer", "challenged ballots"),
        *(_field(f"votes.{c}", "integer", f"votes for {c}") for c in choices),
        *(
            _field(f"provisional.{f}", "integer", f"{f} on sheets still at the dispute body (not in the count)")
            for f in ("tables", "cast", "valid", "blank", "null", "challenged")
        ),
        *(_field(f"provisional.votes.{c}", "integer") for c in choices),
        _field("leader", "string"),
        _field("runner_up", "string"),
        _field("margin_votes", "integer"),
    ]


def _result_row(r: Mapping[str, Any], choices: Sequence[str]) -> tuple[Any, ...]:
    t, p = r["tables"], r["provisional"]
    return (
        r["area"],
        r["name"],
        r["kind"],
        r.get("parent"),
        *(t[s] for s in ("total", "counted", "resolved", "observed", "annulled", "not_installed", "pending")),
        r["electors"],
        r["electors_in_count"],
        r["ballots_cast"],
        r["valid"],
        r["blank"],
        r["null"],
        r["challenged"],
        *(r["votes"][c] for c in choices),
        *(p[f] for f in ("tables", "cast", "valid", "blank", "null", "challenged")),
        *(p["votes"][c] for c in choices),
        r["leader"],
        r["runner_up"],
        r["margin_votes"],
    )


def resources(
    election: Election,
    levels: Mapping[str, Sequence[Mapping[str, Any]]],
    tables: Mapping[str, Sequence[Any]],
    cases: Sequence[Mapping[str, Any]],
) -> list[Resource]:
    """Every file of the package. ``levels``: the level's name (``national`` first, then the
    election's levels top down) -> its ``results`` dicts, each with ``parent``; ``tables``:
    columns as ``escrutinio results --level table`` reports them; ``cases``: docket rows."""
    choices = election.contest.choice_ids
    out: list[Resource] = []
    above: str | None = None
    for level, rows in levels.items():
        name = f"results-{level}"
        keys = [_key("parent", above, "area")] if above else []
        out.append(Resource(name, result_fields(election), [_result_row(r, choices) for r in rows], ["area"], keys))
        above = name
    votes = [tf.choice_column(c) for c in choices]
    table_fields = [
        _field("table", "string", "table (mesa) id", required=True),
        _field("area", "string", "the lowest area the table is in", required=True),
        _field("electors", "integer", "registered electors on the table's roll"),
        _field("state", "string", "sheet state: counted, resolved, observed, annulled, not_installed or pending"),
        *(_field(c, "integer") for c in (tf.CAST, tf.BLANK, tf.NULL, tf.CHALLENGED)),
        *(_field(v, "integer", f"votes for {c}") for v, c in zip(votes, choices, strict=True)),
    ]
    columns = [tables[f["name"]] for f in table_fields]
    keys = [_key("area", above, "area")] if above else []
    out.append(Resource("tables", table_fields, list(zip(*columns, strict=True)), ["table"], keys))
    case_fields = [_field(f, "string", required=f == "number") for f in CASE_FIELDS]
    case_rows = [tuple(c.get(f) for f in CASE_FIELDS) for c in cases]
    out.append(Resource("docket", case_fields, case_rows, ["number"], []))
    links = [(c["number"], t) for c in cases for t in (c.get("tables") or "").split(",") if t]
    out.append(
        Resource(
            "docket-tables",
            [_field("case", "string", required=True), _field("table", "string", required=True)],
            links,
            ["case", "table"],
            [_key("case", "docket", "number"), _key("table", "tables", "table")],
        )
    )
    return out


def descriptor(
    election: Election,
    files: Sequence[Resource],
    *,
    created: str,
    sources: Sequence[Mapping[str, str]],
    licence: Mapping[str, str] = LICENCE,
) -> dict[str, Any]:
    """The ``datapackage.json`` of the package (Data Package v1, tabular profile)."""
    name = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in election.id.lower())
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": election.name,
        "description": (
            f"Results of {election.name} ({election.date.isoformat()}) at every level, each table's sheet and the "
            "docket of cases, as counted by escrutinio."
        ),
        "created": created,
        "licenses": [dict(licence)],
        "sources": [dict(s) for s in sources],
        "resources": [f.descriptor() for f in files],
    }
