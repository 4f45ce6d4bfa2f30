"""Reading an NIST SP 1500-100 v2 ``ElectionReport``: bytes in, the election definition it
carries and its lowest reporting units as tally sheets out (pure; see ``nist_cdf`` for the
mapping, which this module reads in reverse)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.domain.sheet import Reason
from escrutinio.formats import sheets as sf
from escrutinio.formats.nist_cdf import CONTEST_ID, ELECTION_ID, RULES, SHEET_STATE, TIMEZONE
from escrutinio.formats.nist_schema import NS, paused_collector, schema_problems
from escrutinio.formats.sheets import LINE, SheetFile

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
        with paused_collector():
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
        rules = self.ident(self.election, RULES)
        if rules is not None:  # written by escrutinio: the definition's own law comes back
            lines += ["", "[rules]", *(f"{k} = {_toml_value(v)}" for k, v in _rules_of(rules).items())]
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
            # A unit with no sheet yet stays a row (stated "pending"): its table is on the roll.
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


def _rules_of(text: str) -> dict[str, Any]:
    try:
        rules = json.loads(text)
    except ValueError:
        rules = None
    if not isinstance(rules, dict):
        where = Place("report", None, "$.Election[0].ExternalIdentifier")
        raise InputError([Problem(where, f"the {RULES} identifier must be a JSON object of the definition's rules")])
    return rules


def _toml_value(value: Any) -> str:
    """A JSON value as TOML (strings, integers, booleans, arrays and inline tables; JSON's
    string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise InputError(
        [Problem(Place("report", None, "$.Election[0].ExternalIdentifier"), f"a rule value {value!r} has no TOML form")]
    )


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)
