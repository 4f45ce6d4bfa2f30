"""NIST SP 1500-100 v2 (Election Results Reporting Common Data Format): writing the JSON.

The international interchange format for election results: results aggregators, newsrooms and
other election systems read an ``ElectionReport`` without a parser of their own. This module
writes one (pure: plain data in, a JSON-able ``ElectionReport`` out, :func:`build_report`);
``nist_schema`` checks one against the official schema and ``nist_reader`` reads one back.

How escrutinio maps onto the format (see also ``docs/nist-cdf.md``):

- the election -> ``Election`` (``StartDate`` = ``EndDate`` = election day, ``Type`` general,
  ``ElectionScopeId`` the nation); its escrutinio id and time zone as ``ExternalIdentifier``s
  (``OtherType`` ``escrutinio-election`` and ``escrutinio-timezone``), its rules as JSON
  (``escrutinio-rules``) and its whole definition (``escrutinio-definition``, the TOML);
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

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import AnnulledBallots, Election
from escrutinio.domain.ids import TableId
from escrutinio.domain.sheet import Reason, TallySheet
from escrutinio.domain.validation import observations
from escrutinio.formats.nist_schema import NS, paused_collector, schema

FIGURES = ("cast", "valid", "blank", "null", "challenged")
"""A unit's ballot figures, in the order they are written."""


ELECTION_ID = "escrutinio-election"
TIMEZONE = "escrutinio-timezone"
RULES = "escrutinio-rules"
"""The definition's ``[rules]`` table as JSON: the schema has no place for who wins outright, a
runoff or a void election, so a report escrutinio reads back keeps its law (Bolivia's 40 % with a
10-point lead would otherwise come back as a runoff)."""
DEFINITION = "escrutinio-definition"
"""The whole election definition (its TOML, as the log records it): the schema has places for
the election's name, date and type, none for its claims, source format or proclaimed result,
so a report escrutinio reads back gives a store with the very same definition."""
CONTEST_ID = "escrutinio-contest"
SHEET_STATE = "escrutinio-sheet-state"
SHEET_REASONS = "escrutinio-sheet-reasons"
"""A table's reasons for its state as its source stated them (e.g. ONPE's "lost" for an acta
ANULADA POR EXTRAVIADA), written only where a reader could not tell them from the state
(:data:`STATE_REASONS`) and the counting rules: a few tables of a national report."""
POLLING_PLACE_ID = "escrutinio-polling-place"
"""A table's polling place (the roll's), where it has one."""
STATE_REASONS = {"observed": Reason.AT_DISPUTE_BODY.value, "annulled": Reason.ANNULLED_BY_RULING.value}
"""The reason a sheet stated as observed or annulled by a report carries, unless the report says
otherwise (:data:`SHEET_REASONS`)."""
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
    rules: Mapping[str, Any] | None = None,
    definition: str | None = None,
) -> dict[str, Any]:
    """The ``ElectionReport`` of one election, ready for ``json.dumps``; ``rules`` (the definition's
    ``[rules]`` table) and ``definition`` (its whole TOML) travel as identifiers of the election
    (:data:`RULES`, :data:`DEFINITION`).

    ``areas``: one ``escrutinio results`` dict per area (the nation first or anywhere), each
    with its ``parent`` code added (None for the nation); every area of the levels exported.
    ``tables``: when given, the lowest units, as columns (``table``, ``area``, ``electors``,
    ``state``, ``cast``, ``blank``, ``null``, ``challenged``, ``v_<choice>``): each table's
    current sheet as written, as ``escrutinio results --level table`` reports it.
    ``generated`` must carry its time zone.
    """
    if generated.tzinfo is None:
        raise ValueError("generated: expected a time with its time zone")
    with paused_collector():
        return _build(election, areas, tables, generated, issuer, language, notes, vendor_application, rules, definition)


def _build(
    election: Election,
    areas: Sequence[Mapping[str, Any]],
    tables: Mapping[str, Sequence[Any]] | None,
    generated: datetime,
    issuer: str,
    language: str,
    notes: str | None,
    vendor_application: str,
    rules: Mapping[str, Any] | None = None,
    definition: str | None = None,
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
    depths = {"national": 0, **election.level_depths()}
    for a in sorted(areas, key=lambda r: (r["area"] != election.country, depths.get(r.get("level"), 9), r["area"])):
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
        "ExternalIdentifier": [
            _identifier(election.id, ELECTION_ID),
            _identifier(election.timezone, TIMEZONE),
            *([_identifier(json.dumps(dict(rules), sort_keys=True, ensure_ascii=False), RULES)] if rules else []),
            *([_identifier(definition, DEFINITION)] if definition else []),
        ],
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
    nothing = [None] * len(tables[tf.TABLE])
    columns = (
        tables[tf.TABLE],
        tables[tf.ELECTORS],
        tables[tf.STATE],
        tables[tf.CAST],
        tables[tf.BLANK],
        tables[tf.NULL],
        tables[tf.CHALLENGED],
        tables.get(tf.POLLING_PLACE, nothing),
        tables.get("reasons", nothing),
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
    marked: dict[tuple[str, str | None, str | None], list[dict[str, Any]]] = {}  # shared too
    for i, (table, electors, state, cast, blank, null, challenged, place, reasons) in enumerate(zip(*columns, strict=True)):
        gp = table_object_id(table)
        state = state or "pending"
        identifiers, status = shared[state]
        stated = _stated_reasons(reasons, state, electors, cast, blank, null, challenged, [v[i] for v in votes])
        if place or stated is not None:
            key = (state, place or None, stated)
            if key not in marked:
                extra = [(POLLING_PLACE_ID, place or None), (SHEET_REASONS, stated)]
                marked[key] = [
                    *identifiers,
                    *({"@type": ei, "OtherType": o, "Type": "other", "Value": v} for o, v in extra if v is not None),
                ]
            identifiers = marked[key]
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


def _stated_reasons(
    reasons: str | None,
    state: str,
    electors: int | None,
    cast: int | None,
    blank: int | None,
    null: int | None,
    challenged: int | None,
    votes: list[int | None],
) -> str | None:
    """The reasons a table's source stated (its reasons less those the rules give its figures),
    when a reader would not find them from its state alone (:data:`STATE_REASONS`); else None."""
    if state == "pending":
        return None
    if not reasons:  # most tables: nothing to subtract the rules' reasons from
        return None if state not in STATE_REASONS else ""
    # The rules' reasons, which a reader of the report gives the sheet again (intake.checks).
    sheet = TallySheet(TableId(""), tuple(v or 0 for v in votes), blank or 0, null or 0, challenged or 0, cast or 0)
    rules = [r.value for r in observations(sheet, electors)]
    stated = ",".join(r for r in (reasons or "").split(",") if r and r not in rules)
    return None if stated == STATE_REASONS.get(state, "") else stated
