"""NIST SP 1500-100 v2 (Election Results Reporting Common Data Format): write and read JSON.

The international interchange format for election results: results aggregators, newsrooms and
other election systems read an ``ElectionReport`` without a parser of their own. This module
is pure: plain data in, a JSON-able ``ElectionReport`` out (:func:`build_report`), and bytes in,
an election definition and tally sheets out (:func:`read_report`).

How escrutinio maps onto the format (see also ``docs/nist-cdf.md``):

- the election -> ``Election`` (``StartDate`` = ``EndDate`` = election day, ``Type`` general,
  ``ElectionScopeId`` the nation); its escrutinio id and time zone as ``ExternalIdentifier``s
  (``OtherType`` ``escrutinio-election`` and ``escrutinio-timezone``);
- the contest -> ``CandidateContest`` (one vote allowed, one elected), each choice ->
  ``CandidateSelection`` ``choice-<id>`` naming its ``Candidate`` (``candidate-<id>``) and its
  ``Party`` (``party-<id>``, the first choice of that party) as endorsing party;
- every area -> a ``ReportingUnit`` ``area-<code>`` (the nation ``Type`` country; a level whose
  name is one of the schema's types keeps it, e.g. country, city, municipality; any other,
  e.g. department, province, district, continent, is ``other`` with its name as
  ``OtherType``), each table -> a ``ReportingUnit`` ``table-<id>`` of ``Type`` precinct, the
  lowest unit; the tree through ``ComposingGpUnitIds``; codes as ``local-level``
  ``ExternalIdentifier``s; electors as ``VotersRegistered``; tables with a final sheet of all
  tables as ``SubUnitsReported`` of ``TotalSubUnits``, and ``CountStatus`` completed /
  in-process / not-processed;
- figures in the count (what ``escrutinio results`` reports) -> ``VoteCounts`` of ``Type``
  total per selection and unit; ``BallotCounts`` of ``Type`` total (``BallotsCast``: ballots
  cast, ``BallotsOutstanding``: ballots on sheets still at the dispute body) and of ``Type``
  other with ``OtherType`` valid and, when there are any, challenged (``BallotsCast``: that
  many); blank votes as the contest's ``OtherCounts.Undervotes`` (a ballot that marks no
  choice where one is allowed) and null votes as its ``Overvotes``, the specification's
  nearest field (a null vote is any spoilt ballot, and under Peru's rule every ballot of an
  annulled sheet, not only an over-marked one);
- figures outside the count -> ``Type`` other with the sheet state as ``OtherType``: at a
  table, its sheet as written when it is observed (at the dispute body), annulled or not
  installed; at an area, the sheets at the dispute body (``observed``, the results'
  ``provisional``): ``VoteCounts`` with ``OtherType`` the state, ``BallotCounts`` with
  ``OtherType`` ``<state>-<figure>`` (cast, valid, blank, null, challenged; zeros left out).
  A table's state is its ``ExternalIdentifier`` ``escrutinio-sheet-state``.

Summing the ``total`` counts of the tables of an area gives the area's ``total`` counts.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from importlib import resources
from typing import Any

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import AnnulledBallots, Election
from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.domain.sheet import Reason
from escrutinio.formats import sheets as sf
from escrutinio.formats.sheets import LINE, SheetFile

SCHEMA_RESOURCE = "NIST_V2_election_results_reporting.json"
NS = "ElectionResults."
FIGURES = ("cast", "valid", "blank", "null", "challenged")
"""A unit's ballot figures, in the order they are written."""
OUTSIDE_STATES = ("observed", "annulled", "not_installed")
"""Sheet states whose figures are not (or not as written) in the count."""


ELECTION_ID = "escrutinio-election"
TIMEZONE = "escrutinio-timezone"
CONTEST_ID = "escrutinio-contest"
SHEET_STATE = "escrutinio-sheet-state"
VENDOR = "escrutinio"


# -- object ids: stable across exports ------------------------------------------------------


def area_object_id(code: str) -> str:
    return f"area-{code}"


def table_object_id(table: str) -> str:
    return f"table-{table}"


def choice_object_id(choice: str) -> str:
    return f"choice-{choice}"


def _text(content: str, language: str) -> dict[str, Any]:
    return {
        "@type": NS + "InternationalizedText",
        "Text": [{"@type": NS + "LanguageString", "Content": content, "Language": language}],
    }


def _identifier(value: str, other: str | None = None) -> dict[str, Any]:
    if other is None:
        return {"@type": NS + "ExternalIdentifier", "Type": "local-level", "Value": value}
    return {"@type": NS + "ExternalIdentifier", "Type": "other", "OtherType": other, "Value": value}


def unit_type(kind: str) -> dict[str, str]:
    """``Type`` (and ``OtherType``) of a reporting unit for an escrutinio area kind."""
    normal = kind.strip().lower().replace("_", "-").replace(" ", "-")
    if normal in schema()["definitions"][NS + "ReportingUnitType"]["enum"] and normal != "other":
        return {"Type": normal}
    return {"Type": "other", "OtherType": kind}


# -- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """One unit's ballot figures and votes (in ballot order)."""

    cast: int = 0
    valid: int = 0
    blank: int = 0
    null: int = 0
    challenged: int = 0
    votes: tuple[int, ...] = ()

    def values(self) -> tuple[int, ...]:
        return (self.cast, self.valid, self.blank, self.null, self.challenged)


class _Writer:
    """Collects the counts of every unit into the lists the report holds them in."""

    def __init__(self, choices: Sequence[str]) -> None:
        self.votes: list[list[dict[str, Any]]] = [[] for _ in choices]
        self.ballots: list[dict[str, Any]] = []
        self.other: list[dict[str, Any]] = []

    def unit(
        self, gp: str, total: Figures, outside: Iterable[tuple[str, Figures]] = (), outstanding: int = 0, valid: bool = True
    ) -> None:
        """A unit's counts; ``valid=False`` leaves out its valid votes (a table's are the sum
        of its ``VoteCounts``: a national file is a tenth smaller without them)."""
        vc, bc = NS + "VoteCounts", NS + "BallotCounts"
        for column, count in zip(self.votes, total.votes, strict=True):
            column.append({"@type": vc, "Count": count, "GpUnitId": gp, "Type": "total"})
        cast = {"@type": bc, "BallotsCast": total.cast, "GpUnitId": gp, "Type": "total"}
        if outstanding:
            cast["BallotsOutstanding"] = outstanding
        self.ballots.append(cast)
        if valid:
            self.ballots.append({"@type": bc, "BallotsCast": total.valid, "GpUnitId": gp, "OtherType": "valid", "Type": "other"})
        if total.challenged:
            self.ballots.append(
                {"@type": bc, "BallotsCast": total.challenged, "GpUnitId": gp, "OtherType": "challenged", "Type": "other"}
            )
        self.other.append({"@type": NS + "OtherCounts", "GpUnitId": gp, "Overvotes": total.null, "Undervotes": total.blank})
        for state, figures in outside:
            for column, count in zip(self.votes, figures.votes, strict=True):
                if count:
                    column.append({"@type": vc, "Count": count, "GpUnitId": gp, "OtherType": state, "Type": "other"})
            for name, value in zip(FIGURES, figures.values(), strict=True):
                if value:
                    other = f"{state}-{name}"
                    self.ballots.append({"@type": bc, "BallotsCast": value, "GpUnitId": gp, "OtherType": other, "Type": "other"})


def _status(total: int, final: int) -> str:
    if total and final == total:
        return "completed"
    return "not-processed" if final == 0 else "in-process"


def _count_status(total: int, final: int) -> list[dict[str, Any]]:
    return [{"@type": NS + "CountStatus", "Status": _status(total, final), "Type": "total"}]


def build_report(
    election: Election,
    areas: Sequence[Mapping[str, Any]],
    tables: Mapping[str, Sequence[Any]] | None = None,
    *,
    generated: datetime,
    issuer: str = VENDOR,
    language: str = "und",
    notes: str | None = None,
    vendor_application: str = VENDOR,
) -> dict[str, Any]:
    """The ``ElectionReport`` of one election, ready for ``json.dumps``.

    ``areas``: one ``escrutinio results`` dict per area (the nation first or anywhere), each
    with its ``parent`` code added (None for the nation); every area of the levels exported.
    ``tables``: when given, the lowest units, as columns (``table``, ``area``, ``electors``,
    ``state``, ``cast``, ``blank``, ``null``, ``challenged``, ``v_<choice>``): each table's
    current sheet as written, as ``escrutinio results --level table`` reports it.
    ``generated`` must carry its time zone.
    """
    if generated.tzinfo is None:
        raise ValueError("generated: expected a time with its time zone")
    with _no_cycle_collection():
        return _build(election, areas, tables, generated, issuer, language, notes, vendor_application)


def _build(
    election: Election,
    areas: Sequence[Mapping[str, Any]],
    tables: Mapping[str, Sequence[Any]] | None,
    generated: datetime,
    issuer: str,
    language: str,
    notes: str | None,
    vendor_application: str,
) -> dict[str, Any]:
    contest = election.contest
    choices = contest.choice_ids
    nation = area_object_id(election.country)
    writer = _Writer(choices)
    units: list[dict[str, Any]] = []
    children: dict[str | None, list[str]] = {}
    for a in areas:
        if a["area"] != election.country:
            children.setdefault(a.get("parent") or election.country, []).append(area_object_id(a["area"]))
    if tables is not None:
        for table, area in zip(tables[tf.TABLE], tables["area"], strict=True):
            children.setdefault(area, []).append(table_object_id(table))

    national_final = national_total = 0
    for a in sorted(areas, key=lambda r: (r["area"] != election.country, _level(r), r["area"])):
        code = a["area"]
        gp = area_object_id(code)
        t = a["tables"]
        final = t["total"] - t["observed"] - t["pending"]
        if code == election.country:
            national_total, national_final = t["total"], final
        unit: dict[str, Any] = {
            "@id": gp,
            "@type": NS + "ReportingUnit",
            **({"Type": "country"} if code == election.country else unit_type(a["kind"])),
            "Name": _text(a["name"] or code, language),
            "ExternalIdentifier": [_identifier(code)],
            "VotersRegistered": a["electors"],
            "TotalSubUnits": t["total"],
            "SubUnitsReported": final,
            "CountStatus": _count_status(t["total"], final),
        }
        if children.get(code):
            unit["ComposingGpUnitIds"] = children[code]
        units.append(unit)
        total = Figures(
            a["ballots_cast"], a["valid"], a["blank"], a["null"], a["challenged"], tuple(a["votes"][c] for c in choices)
        )
        p = a["provisional"]
        outside = []
        if p["tables"]:
            observed = Figures(
                p["cast"], p["valid"], p["blank"], p["null"], p["challenged"], tuple(p["votes"][c] for c in choices)
            )
            outside.append(("observed", observed))
        writer.unit(gp, total, outside, outstanding=p["cast"] if p["tables"] else 0)
    if tables is not None:
        _write_tables(election, tables, writer, units, language)

    selections = []
    for i, choice in enumerate(contest.choices):
        selection: dict[str, Any] = {
            "@id": choice_object_id(choice.id),
            "@type": NS + "CandidateSelection",
            "SequenceOrder": i + 1,
        }
        if choice.candidate:
            selection["CandidateIds"] = [f"candidate-{choice.id}"]
        party = _party_of(contest.choices, choice.party)
        if party:
            selection["EndorsementPartyIds"] = [party]
        selection["VoteCounts"] = writer.votes[i]
        selections.append(selection)
    contest_object = {
        "@id": f"contest-{contest.id}",
        "@type": NS + "CandidateContest",
        "Name": contest.name or contest.id,
        "ElectionDistrictId": nation,
        "ExternalIdentifier": [_identifier(contest.id, CONTEST_ID)],
        "VotesAllowed": 1,
        "NumberElected": 1,
        "ContestSelection": selections,
        "OtherCounts": writer.other,
        "TotalSubUnits": national_total,
        "SubUnitsReported": national_final,
        "CountStatus": _count_status(national_total, national_final),
    }
    candidates = [
        {
            "@id": f"candidate-{c.id}",
            "@type": NS + "Candidate",
            "BallotName": _text(c.candidate, language),
            **({"PartyId": _party_of(contest.choices, c.party)} if c.party else {}),
        }
        for c in contest.choices
        if c.candidate
    ]
    parties = [
        {
            "@id": f"party-{c.id}",
            "@type": NS + "Party",
            "Name": _text(c.party, language),
            "Abbreviation": _text(c.id, language),
        }
        for c in contest.choices
        if c.party and _party_of(contest.choices, c.party) == f"party-{c.id}"
    ]
    election_object = {
        "@type": NS + "Election",
        "Name": _text(election.name, language),
        "StartDate": election.date.isoformat(),
        "EndDate": election.date.isoformat(),
        "Type": "general",
        "ElectionScopeId": nation,
        "ExternalIdentifier": [_identifier(election.id, ELECTION_ID), _identifier(election.timezone, TIMEZONE)],
        "Candidate": candidates,
        "Contest": [contest_object],
        "BallotCounts": writer.ballots,
        "CountStatus": _count_status(national_total, national_final),
    }
    report: dict[str, Any] = {
        "@type": NS + "ElectionReport",
        "Format": "precinct-level" if tables is not None else "summary-contest",
        "GeneratedDate": generated.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "Issuer": issuer,
        "IssuerAbbreviation": issuer,
        "VendorApplicationId": vendor_application,
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": "unofficial-complete" if national_total and national_final == national_total else "unofficial-partial",
        "Election": [election_object],
        "GpUnit": units,
        "Party": parties,
    }
    if notes:
        report["Notes"] = notes
    return report


def _level(area: Mapping[str, Any]) -> int:
    level = area.get("level")
    return {"national": 0, "department": 1, "province": 2, "district": 3}.get(level, 9) if isinstance(level, str) else 9


def _party_of(choices: Sequence[Any], party: str) -> str | None:
    """The party's object id: that of the first choice it stands for."""
    if not party:
        return None
    return next(f"party-{c.id}" for c in choices if c.party == party)


def _write_tables(
    election: Election, tables: Mapping[str, Sequence[Any]], writer: _Writer, units: list[dict[str, Any]], language: str
) -> None:
    """Each table as a precinct: its sheet's figures in the count (``total``) or, outside the
    count, under its state; what an annulled sheet adds to the count follows the rules."""
    votes = [tables[tf.choice_column(c)] for c in election.contest.choice_ids]
    zeros = tuple(0 for _ in votes)
    annulled_as_null = election.rules.annulled_ballots is AnnulledBallots.NULL
    columns = (
        tables[tf.TABLE],
        tables[tf.ELECTORS],
        tables[tf.STATE],
        tables[tf.CAST],
        tables[tf.BLANK],
        tables[tf.NULL],
        tables[tf.CHALLENGED],
    )
    ru, ei, cs = NS + "ReportingUnit", NS + "ExternalIdentifier", NS + "CountStatus"
    # What tables in one state share is one object each (the file is written, not edited).
    statuses = {"observed": "in-process", "pending": "not-processed"}
    shared = {
        state: (
            [{"@type": ei, "OtherType": SHEET_STATE, "Type": "other", "Value": state}],
            [{"@type": cs, "Status": statuses.get(state, "completed"), "Type": "total"}],
        )
        for state in tf.SHEET_STATES
    }
    for i, (table, electors, state, cast, blank, null, challenged) in enumerate(zip(*columns, strict=True)):
        gp = table_object_id(table)
        state = state or "pending"
        identifiers, status = shared[state]
        unit: dict[str, Any] = {
            "@id": gp,
            "@type": ru,
            "Type": "precinct",
            "ExternalIdentifier": identifiers,
            "CountStatus": status,
        }
        if electors is not None:
            unit["VotersRegistered"] = electors
        units.append(unit)
        if state == "pending":
            writer.unit(gp, Figures(votes=zeros), valid=False)
            continue
        row = tuple(v[i] or 0 for v in votes)
        sheet = Figures(cast or 0, sum(row), blank or 0, null or 0, challenged or 0, row)
        if state in tf.COUNTED_STATES:
            writer.unit(gp, sheet, valid=False)
        elif state == "annulled" and annulled_as_null:
            writer.unit(gp, Figures(cast=sheet.cast, null=sheet.cast, votes=zeros), [(state, sheet)], valid=False)
        else:
            outstanding = sheet.cast if state == "observed" else 0
            writer.unit(gp, Figures(votes=zeros), [(state, sheet)], outstanding=outstanding, valid=False)


# -- the schema ------------------------------------------------------------------------------


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
    """
    with _no_cycle_collection():
        return _schema_problems(report, limit)


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
    an array to the set of its items' shapes.

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
    if kind is float:
        return 0.0 if value.is_integer() else 0.5
    return value


def _gp_unit_items() -> dict[str, Any]:
    return schema()["definitions"][NS + "ElectionReport"]["properties"]["GpUnit"]["items"]


DESCEND = ("Election", "Contest", "ContestSelection")
"""Where the split arrays sit: the report, its elections, their contests and selections."""


def _split(report: Any) -> tuple[Any, list[tuple[str, str, list[Any]]]]:
    """(the document with its big arrays emptied, [(JSON path, item kind, items)])."""
    parts: list[tuple[str, str, list[Any]]] = []

    def walk(node: Any, path: str) -> Any:
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
                out[key] = [walk(v, f"{path}.{key}[{i}]") for i, v in enumerate(value)]
        return out

    return walk(report, "$"), parts


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
    message = error.message
    return "", message if len(message) <= 200 else message[:197] + "..."


# -- reading --------------------------------------------------------------------------------

SLUG = re.compile(r"[^A-Za-z0-9_-]+")
STATE_REASONS = {"observed": Reason.AT_DISPUTE_BODY.value, "annulled": Reason.ANNULLED_BY_RULING.value}
"""The reason a sheet stated as observed or annulled by a report carries into the log."""


@dataclass(frozen=True)
class ReportContents:
    """What a report holds for escrutinio: its election definition (TOML text, as the log
    records it, and parsed) and its lowest units' sheets in the standard columns."""

    definition: str
    election: Election
    sheets: SheetFile


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector: reading a national report makes a million small
    containers and no cycle, and the collector's passes over them are pure cost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_LAST: dict[str, ReportContents] = {}
"""The last report read, by its bytes' digest: a load reads a report once for the definition
it carries and once for its sheets (a national report takes a few seconds to read)."""


def read_report(raw: bytes, source: str, election: Election | None = None) -> ReportContents:
    """Read an ``ElectionReport``: refuse it if it fails the official schema (the JSON path of
    each problem, up to 100, and what the schema expected); build the election definition from
    it, or check it against ``election`` when one is given; its lowest reporting units (those
    composed of no other) become tally sheets.

    A table's figures are its ``total`` counts when its sheet is in the count, else those under
    its state (see the module's mapping). A report from another system, without escrutinio's
    sheet states, is read by its units' ``CountStatus``: completed -> counted, in-process ->
    observed, not-processed -> no sheet yet. Where a problem has no line, the "line" named is
    the unit's position in ``GpUnit`` (from 1).
    """
    digest = sf.file_digest(raw)
    contents = _LAST.get(digest)
    if contents is None or contents.sheets.source != source:
        with _no_cycle_collection():
            contents = _read(raw, source, digest)
        _LAST.clear()
        _LAST[digest] = contents
    if election is None:
        return contents
    _same_election(contents.election, election, source)
    return ReportContents(contents.definition, election, contents.sheets)


def _read(raw: bytes, source: str, digest: str) -> ReportContents:
    import orjson

    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError([Problem(Place(source), f"not JSON: {exc}")]) from None
    problems, total = schema_problems(document)
    if problems:
        raise InputError([_problem(source, p) for p in problems], total)
    elections = document.get("Election", [])
    contests = [c for e in elections for c in e.get("Contest", [])]
    if len(elections) != 1 or len(contests) != 1 or contests[0]["@type"] != NS + "CandidateContest":
        where = Place(source, None, "$.Election")
        raise InputError([Problem(where, "expected one Election with one CandidateContest (escrutinio counts one contest)")])
    report = _Report(document, source)
    defined = report.definition()
    from escrutinio.domain.election import election_from_toml

    parsed = election_from_toml(f"{source} (its Election)", defined)
    return ReportContents(defined, parsed, report.sheets(parsed, digest))


def _problem(source: str, text: str) -> Problem:
    where, _, what = text.partition(": ")
    return Problem(Place(source, None, where), what)


def _same_election(found: Election, given: Election, source: str) -> None:
    """A report loaded with ``--election`` must be of that election, with its choices."""
    checks = [
        ("$.Election[0].ExternalIdentifier", found.id, given.id, "election"),
        ("$.GpUnit", found.country, given.country, "national area"),
        ("$.Election[0].Contest[0].ContestSelection", found.contest.choice_ids, given.contest.choice_ids, "choices"),
    ]
    problems = [
        Problem(Place(source, None, where), f"the report's {what} is {a!r}; the election definition says {b!r}")
        for where, a, b, what in checks
        if a != b
    ]
    if problems:
        raise InputError(problems)


class _Report:
    """Indexes of one valid report: units, their tree, and the counts of each unit."""

    def __init__(self, document: dict[str, Any], source: str) -> None:
        self.doc = document
        self.source = source
        self.election = document["Election"][0]
        self.contest = self.election["Contest"][0]
        self.units = {u["@id"]: (i, u) for i, u in enumerate(document.get("GpUnit", []), start=1)}
        self.root = self.election["ElectionScopeId"]
        if self.root not in self.units:
            self._fail("$.Election[0].ElectionScopeId", f"names {self.root!r}, which is no GpUnit of the report")
        self.parent: dict[str, str] = {}
        for gp, (_i, unit) in self.units.items():
            for child in unit.get("ComposingGpUnitIds", []):
                self.parent.setdefault(child, gp)
        self.selections = sorted(self.contest.get("ContestSelection", []), key=lambda s: (s.get("SequenceOrder", 0), s["@id"]))

    def _fail(self, where: str, what: str) -> None:
        raise InputError([Problem(Place(self.source, None, where), what)])

    def code(self, gp: str) -> str:
        """An area's or table's code: its local identifier, else its object id (ours less
        its ``area-`` or ``table-`` prefix)."""
        for ident in self.units[gp][1].get("ExternalIdentifier", []):
            if ident["Type"] == "local-level":
                return ident["Value"]
        return gp.removeprefix("table-") if gp.startswith("table-") else gp.removeprefix("area-")

    def ident(self, obj: Mapping[str, Any], other: str) -> str | None:
        return next((i["Value"] for i in obj.get("ExternalIdentifier", []) if i.get("OtherType") == other), None)

    def depth(self, gp: str) -> int:
        n, node = 0, gp
        while node != self.root:
            if node not in self.parent or n > 8:
                return -1
            node = self.parent[node]
            n += 1
        return n

    def kind(self, gp: str) -> str:
        unit = self.units[gp][1]
        return (unit.get("OtherType") or "other") if unit["Type"] == "other" else unit["Type"]

    def tables(self) -> list[str]:
        """The lowest units under the nation: those composed of no other unit."""
        return self.lowest

    @cached_property
    def lowest_set(self) -> set[str]:
        return set(self.lowest)

    @cached_property
    def lowest(self) -> list[str]:
        return [
            gp for gp, (_i, u) in self.units.items() if not u.get("ComposingGpUnitIds") and gp != self.root and gp in self.parent
        ]

    def areas(self, tables: set[str]) -> list[str]:
        return [gp for gp in self.units if gp != self.root and gp not in tables and self.depth(gp) > 0]

    # -- the definition ----------------------------------------------------------------------

    def definition(self) -> str:
        """The election definition (TOML) that the report carries."""
        tables = set(self.tables())
        kinds: dict[int, list[str]] = {}
        for gp in self.areas(tables):
            found = kinds.setdefault(self.depth(gp), [])
            if self.kind(gp) not in found:
                found.append(self.kind(gp))
        if not kinds or max(kinds) > 3 or sorted(kinds) != list(range(1, max(kinds) + 1)):
            self._fail("$.GpUnit", "expected 1 to 3 levels of areas between the nation and its lowest units")
        levels = [kinds[d][0] for d in sorted(kinds)]
        abroad = [kinds[d][1] if len(kinds[d]) > 1 else kinds[d][0] for d in sorted(kinds)]
        name = _text_of(self.election["Name"])
        election_id = self.ident(self.election, ELECTION_ID) or SLUG.sub("-", name).strip("-").lower() or "election"
        lines = [
            "# Built by escrutinio from a NIST SP 1500-100 ElectionReport.",
            "[election]",
            f"id = {_toml(election_id)}",
            f"name = {_toml(name)}",
            f"date = {_toml(self.election['StartDate'])}",
            f"timezone = {_toml(self.ident(self.election, TIMEZONE) or 'UTC')}",
            f"country = {_toml(self.code(self.root))}",
            "",
            "[geography]",
            f"levels = [{', '.join(_toml(k) for k in levels)}]",
            *([f"abroad_levels = [{', '.join(_toml(k) for k in abroad)}]"] if abroad != levels else []),
            "",
            "[contest]",
            f"id = {_toml(self.ident(self.contest, CONTEST_ID) or self.contest['@id'])}",
            f"name = {_toml(self.contest['Name'])}",
            "choices = [",
        ]
        for choice, party, candidate in self.choices():
            fields = {"id": choice, "party": party, "candidate": candidate, "column": choice}
            lines.append("  { " + ", ".join(f"{k} = {_toml(v)}" for k, v in fields.items()) + " },")
        lines.append("]")
        return "\n".join(lines) + "\n"

    def choices(self) -> list[tuple[str, str, str]]:
        """(id, party, candidate) of each selection, in ballot order."""
        parties = {p["@id"]: _text_of(p["Name"]) for p in self.doc.get("Party", []) if "Name" in p}
        people = {c["@id"]: c for c in self.election.get("Candidate", [])}
        out = []
        for s in self.selections:
            gp = s["@id"]
            choice = SLUG.sub("_", gp.removeprefix("choice-"))
            candidates = [people[c] for c in s.get("CandidateIds", []) if c in people]
            candidate = _text_of(candidates[0]["BallotName"]) if candidates else ""
            party_ids = s.get("EndorsementPartyIds") or (
                [candidates[0]["PartyId"]] if candidates and "PartyId" in candidates[0] else []
            )
            out.append((choice, parties.get(party_ids[0], "") if party_ids else "", candidate))
        return out

    # -- the sheets ------------------------------------------------------------------------

    def sheets(self, election: Election, digest: str) -> SheetFile:
        """The lowest units as sheets: counts gathered column-wise (a runoff has a million)."""
        import polars as pl

        choices = election.contest.choice_ids
        votes = [tf.choice_column(c) for c in choices]
        rows = []
        for gp in self.tables():
            line, unit = self.units[gp]
            state = self.ident(unit, SHEET_STATE) or _state_of(unit)
            if state != "pending":
                rows.append((gp, line, self.code(gp), self.code(self.parent[gp]), unit.get("VotersRegistered"), state))
        units = pl.DataFrame(
            rows,
            schema={
                "gp": pl.String,
                LINE: pl.Int64,
                tf.TABLE: pl.String,
                tf.DISTRICT: pl.String,
                tf.ELECTORS: pl.Int64,
                "s": pl.String,
            },
            orient="row",
        )
        # Each count keyed by its unit and its block: "total", or the sheet state outside the count.
        key = pl.when(pl.col("Type") == "other").then(pl.col("OtherType")).otherwise(pl.col("Type")).alias("key")
        typed = {"GpUnitId": pl.String, "Type": pl.String, "OtherType": pl.String}
        counted = pl.col("s").is_in(list(tf.COUNTED_STATES))
        block = pl.when(counted).then(pl.lit("total")).otherwise(pl.col("s"))
        frame = units.with_columns(block.alias("key"))
        for column, selection in zip(votes, self.selections, strict=True):
            counts = pl.from_dicts(selection.get("VoteCounts", []), schema={**typed, "Count": pl.Float64})
            counts = counts.select(pl.col("GpUnitId").alias("gp"), key, pl.col("Count").alias(column)).group_by("gp", "key").sum()
            frame = frame.join(counts, on=["gp", "key"], how="left")
        ballots = pl.from_dicts(self.election.get("BallotCounts", []), schema={**typed, "BallotsCast": pl.Int64})
        ballots = ballots.select(pl.col("GpUnitId").alias("gp"), key, "BallotsCast").group_by("gp", "key").sum()
        inside = {
            k: ballots.filter(pl.col("key") == k).select("gp", pl.col("BallotsCast").alias(k)) for k in ("total", "challenged")
        }
        outside = [
            ballots.filter(pl.col("key").str.ends_with(f"-{figure}")).select(
                "gp", pl.col("key").str.head(-len(figure) - 1).alias("s"), pl.col("BallotsCast").alias(f"o_{figure}")
            )
            for figure in ("cast", "blank", "null", "challenged")
        ]
        other = pl.from_dicts(
            self.contest.get("OtherCounts", []), schema={"GpUnitId": pl.String, "Undervotes": pl.Float64, "Overvotes": pl.Float64}
        ).rename({"GpUnitId": "gp"})
        frame = frame.join(inside["total"], on="gp", how="left").join(inside["challenged"], on="gp", how="left")
        frame = frame.join(other.group_by("gp").sum(), on="gp", how="left")
        for part in outside:
            frame = frame.join(part, on=["gp", "s"], how="left")

        def pick(inside: pl.Expr, outside: str) -> pl.Expr:
            return pl.when(counted).then(inside).otherwise(pl.col(outside)).fill_null(0).cast(pl.Int64)

        valid = pl.sum_horizontal([pl.col(v).fill_null(0) for v in votes])
        figures = {
            tf.BLANK: pick(pl.col("Undervotes"), "o_blank"),
            tf.NULL: pick(pl.col("Overvotes"), "o_null"),
            tf.CHALLENGED: pick(pl.col("challenged"), "o_challenged"),
        }
        frame = frame.with_columns(**figures, **{v: pl.col(v).fill_null(0).cast(pl.Int64) for v in votes})
        cast_inside = pl.coalesce(pl.col("total"), valid + pl.col(tf.BLANK) + pl.col(tf.NULL) + pl.col(tf.CHALLENGED))
        sheets = frame.with_columns(
            pick(cast_inside, "o_cast").alias(tf.CAST),
            pl.lit(None, dtype=pl.String).alias(tf.POLLING_PLACE),
            pl.col("s").alias(sf.REPORTED_STATE),
            pl.col("s").replace_strict(STATE_REASONS, default=None, return_dtype=pl.String).alias(sf.REPORTED_REASON),
            (pl.lit("nist:") + pl.col("s")).alias(sf.REPORTED_STATUS),
        ).select(sf.sheet_columns(election))
        area_rows = [
            (
                self.code(gp),
                self.depth(gp),
                self.kind(gp),
                _text_of(u["Name"]) if "Name" in u else self.code(gp),
                self.code(self.parent[gp]),
            )
            for gp, (_i, u) in self.units.items()
            if gp in self.parent and gp not in self.lowest_set and self.depth(gp) > 0
        ]
        areas = pl.DataFrame(
            area_rows,
            schema={"code": pl.String, "level": pl.Int64, "kind": pl.String, "name": pl.String, "parent": pl.String},
            orient="row",
        ).sort("level", "code")
        labels = {tf.TABLE: "GpUnit", tf.DISTRICT: "ComposingGpUnitIds", tf.ELECTORS: "VotersRegistered", tf.CAST: "BallotsCast"}
        return SheetFile(self.source, digest, sheets, areas, labels)


def _state_of(unit: Mapping[str, Any]) -> str:
    """A sheet state from a unit's ``CountStatus`` (reports from other systems)."""
    status = next((c["Status"] for c in unit.get("CountStatus", []) if c["Type"] == "total"), "completed")
    return {"completed": "counted", "in-process": "observed", "not-processed": "pending"}.get(status, "counted")


def _text_of(text: Mapping[str, Any]) -> str:
    return text["Text"][0]["Content"]


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)
