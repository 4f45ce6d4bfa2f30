"""Reading an NIST SP 1500-100 v2 ``ElectionReport``: bytes in, the election definition it
carries and its lowest reporting units as tally sheets out (pure; see ``nist_cdf`` for the
mapping, which this module reads in reverse)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import zip_longest
from operator import attrgetter
from typing import Any, NoReturn

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.formats import nist_types
from escrutinio.formats import sheets as sf
from escrutinio.formats.fields import MAX_COUNT
from escrutinio.formats.nist_cdf import (
    CONTEST_ID,
    DEFINITION,
    ELECTION_ID,
    POLLING_PLACE_ID,
    RULES,
    SHEET_REASONS,
    SHEET_STATE,
    STATE_REASONS,
    TIMEZONE,
)
from escrutinio.formats.nist_schema import NS, json_text, paused_collector, schema_problems
from escrutinio.formats.nist_totals import BALLOT_FIGURES, totals_observations
from escrutinio.formats.sheets import LINE, SheetFile
from escrutinio.formats.text import JSON_REPORT

SLUG = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ReportContents:
    """What a report holds for escrutinio: its election definition (TOML text, as the log
    records it, and parsed) and its lowest units' sheets in the standard columns."""

    definition: str
    election: Election
    sheets: SheetFile


_LAST: dict[str, tuple[bytes, ReportContents]] = {}
"""The last report read, by its source, with its bytes: a load reads a report once for the
definition it carries and once for its sheets. The bytes are compared, not hashed again (a
comparison of 65 MB is a few milliseconds, their digest a few tenths of a second)."""


def read_report(raw: bytes, source: str, election: Election | None = None) -> ReportContents:
    """Read an ``ElectionReport``: refuse it if it fails the official schema (the JSON path of
    each problem, up to 100, and what the schema expected); build the election definition from
    it, or check it against ``election`` when one is given; its lowest reporting units (those
    composed of no other) become tally sheets.

    A table's figures are its ``total`` counts when its sheet is in the count, else those under
    its state (see the module's mapping). A report from another system, without escrutinio's
    sheet states, is read by its units' ``CountStatus``: completed -> counted, in-process ->
    observed, not-processed -> no sheet yet. A sheet's "line" is its unit's position in
    ``GpUnit`` (from 1); a problem a later check finds in it (a counting rule, the roll) is
    named by the JSON path of the value instead (``SheetFile.locate``). Area totals that differ
    from their tables are the sheets' ``observations`` (see ``nist_totals``).
    """
    last = _LAST.get(source)
    if last is not None and last[0] == raw:
        contents = last[1]
    else:
        with paused_collector():
            contents = _read(raw, source)
        _LAST.clear()
        _LAST[source] = (raw, contents)
    if election is None:
        return contents
    _same_election(contents.election, election, source)
    return ReportContents(contents.definition, election, contents.sheets)


BOM = b"\xef\xbb\xbf"
"""A UTF-8 byte order mark: Windows tools write one before JSON, and every JSON reader a user
would use skips it (Python's ``utf-8-sig``), so the report is read without it."""

NOT_A_REPORT = f'a JSON file, but not a NIST SP 1500-100 ElectionReport (no "@type": "{NS}ElectionReport" at $)'


def _read(raw: bytes, source: str) -> ReportContents:
    report = _decode(raw.removeprefix(BOM), source)
    elections = report.Election or []
    contests = [c for e in elections for c in e.Contest or []]
    if len(elections) != 1 or len(contests) != 1 or nist_types.kind(contests[0]) != NS + "CandidateContest":
        where = Place(source, None, "$.Election")
        raise InputError([Problem(where, "expected one Election with one CandidateContest (escrutinio counts one contest)")])
    allowed = getattr(contests[0], "VotesAllowed", None)
    if allowed not in (None, 1):
        where = Place(source, None, "$.Election[0].Contest[0].VotesAllowed")
        raise InputError([Problem(where, f"expected 1 (escrutinio counts one choice per ballot), got {json_text(allowed)}")])
    reading = _Report(report, source)
    defined = reading.definition()
    from escrutinio.domain.election import election_from_toml

    parsed = election_from_toml(f"{source} (its Election)", defined)
    carried = reading.carried_definition(parsed)
    if carried is not None:
        defined, parsed = carried
    return ReportContents(defined, parsed, reading.sheets(parsed, sf.file_digest(raw)))


def _same_shape(a: Election, b: Election) -> bool:
    """Whether two definitions agree on all a report's structure says: the election, the
    nation, the kinds of areas at each level and the choices in ballot order. A level's
    domestic and abroad kinds are compared as a pair without order: a report names a unit's
    kind, not which of the two it is (the built definition takes the first kind it meets)."""
    return (a.id, a.country, a.contest.choice_ids, _level_kinds(a)) == (b.id, b.country, b.contest.choice_ids, _level_kinds(b))


def _level_kinds(e: Election) -> list[frozenset[str]]:
    """The kinds an area of each level may be (domestic or abroad; no abroad levels: the same)."""
    abroad = e.abroad_levels or e.levels
    return [frozenset(pair) for pair in zip_longest(e.levels, abroad)]


def _decode(raw: bytes, source: str) -> Any:
    """The report as the schema's structs (``nist_types``): parsed and checked in one pass.

    A report this pass refuses is judged by the official schema itself, which names its
    problems (their JSON paths and what it expected); one the schema finds nothing wrong with
    (msgspec is stricter in corners, e.g. a key repeated with a bad value first) is read from
    what the JSON parser made of it."""
    import msgspec

    if not raw.strip():
        raise InputError([Problem(Place(source), f"an empty file, expected {JSON_REPORT}")])
    try:
        return nist_types.decode(raw)
    except msgspec.DecodeError:
        pass  # named below, in the schema's words
    import orjson

    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError([Problem(Place(source), f"not JSON: {exc}")]) from None
    if not isinstance(document, dict) or document.get("@type") != NS + "ElectionReport":
        # Another JSON document: say what was expected, not the schema's list of all it lacks.
        raise InputError([Problem(Place(source), NOT_A_REPORT)])
    problems, total = schema_problems(document)
    if problems:
        raise InputError([_problem(source, p) for p in problems], total)
    try:
        return nist_types.convert(document)
    except msgspec.ValidationError as exc:  # not expected: the schema and the structs agree
        what, _, where = str(exc).rpartition(" - at `")
        raise InputError([Problem(Place(source, None, where.rstrip("`") or "$"), what or str(exc))]) from None


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
        Problem(Place(source, None, where), f"the report's {what} is {json_text(a)}; the election definition says {json_text(b)}")
        for where, a, b, what in checks
        if a != b
    ]
    if problems:
        raise InputError(problems)


STATUS_STATES = {"completed": "counted", "in-process": "observed", "not-processed": "pending"}
"""A sheet state from a unit's ``CountStatus`` of type total (reports from other systems)."""


def _column(items: list[Any], attribute: str) -> list[Any]:
    """An attribute of each item; None where the item's kind has no such property (a
    ``GpUnit`` may be a ``ReportingDevice``) or the item leaves it out."""
    return [getattr(item, attribute, None) for item in items]


def _whole_numbers(values: list[Any], source: str, where: str, field: str) -> pl.Series:
    """Counts as 64-bit integers. Votes are integers end to end: a fraction (a number under
    the schema) is refused by its place rather than cut to its whole part, and so is a number
    past 64 bits (an integer under the schema, and under JSON)."""
    try:
        series = pl.Series(field, values, dtype=pl.Int64)  # strict: integers and nulls only
    except (TypeError, OverflowError):
        pass
    else:
        if not series.lt(0).any():
            return series
        n = series.lt(0).arg_max()
        problem = f"expected a non-negative whole number, got {values[n]}"
        raise InputError([Problem(Place(source, None, f"{where}[{n}].{field}"), problem)])
    for n, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, float) and not value.is_integer():
            problem = f"expected a whole number, found {value}"
        elif value < 0:
            problem = f"expected a non-negative whole number, got {value}"
        elif value < 2**63:
            continue
        else:
            problem = "expected a number that fits in 64 bits"
        raise InputError([Problem(Place(source, None, f"{where}[{n}].{field}"), problem)])
    return pl.Series(field, [None if v is None else int(v) for v in values], dtype=pl.Int64)


def _within_one_table(sheets: pl.DataFrame, columns: list[str], source: str) -> None:
    """A lowest unit's figures fit one polling table, as the per-table readers require
    (:data:`~escrutinio.formats.fields.MAX_COUNT`): a larger number is a typo or an overflow
    attempt, refused at its unit (the first 100) rather than counted. Area totals may be larger."""
    over = sheets.filter(pl.any_horizontal(pl.col(c) > MAX_COUNT for c in columns)).head(100)
    if not over.height:
        return
    problems = []
    for row in over.iter_rows(named=True):
        figure = next(c for c in columns if row[c] > MAX_COUNT)
        where = Place(source, None, f"$.GpUnit[{row[LINE] - 1}]")
        what = f"table {row[tf.TABLE]}: {figure} {row[figure]:,} is too large for one table (at most {MAX_COUNT:,})"
        problems.append(Problem(where, what))
    raise InputError(problems)


def _counts(items: list[Any], texts: tuple[str, ...], numbers: tuple[str, ...], source: str, where: str) -> pl.DataFrame:
    """A count array's items (one kind each: ``VoteCounts``, ``BallotCounts`` or ``OtherCounts``)
    as columns: ``texts`` as strings, ``numbers`` as whole numbers."""
    columns = [pl.Series(t, list(map(attrgetter(t), items)), dtype=pl.String) for t in texts]
    columns += [_whole_numbers(list(map(attrgetter(n), items)), source, where, n) for n in numbers]
    return pl.DataFrame(columns)


MARKS = (SHEET_STATE, POLLING_PLACE_ID, SHEET_REASONS)
"""The identifiers escrutinio marks a table with, read back by :func:`_marks`."""


def _marks(units: list[Any]) -> tuple[list[str | None], list[list[str | None]], list[str | None]]:
    """Per unit, the first of each: its ``local-level`` identifier (its code), each of
    escrutinio's marks (:data:`MARKS`: sheet state, polling place, stated reasons), and the
    ``Status`` of its ``CountStatus`` of type total."""
    local: list[str | None] = []
    marks: list[list[str | None]] = [[] for _ in MARKS]
    status: list[str | None] = []
    for unit in units:
        code = None
        found: dict[str, str] = {}
        for i in unit.ExternalIdentifier or ():
            if code is None and i.Type == "local-level":
                code = i.Value
            elif i.OtherType in MARKS and i.OtherType not in found:
                found[i.OtherType] = i.Value
        local.append(code)
        for column, mark in zip(marks, MARKS, strict=True):
            column.append(found.get(mark))
        status.append(next((c.Status for c in getattr(unit, "CountStatus", None) or () if c.Type == "total"), None))
    return local, marks, status


def _unit_frame(units: list[Any], source: str) -> pl.DataFrame:
    """One row per ``GpUnit`` in report order: ``gp`` (its object id), ``line`` (its position,
    from 1), ``code``, ``kind``, ``electors``, ``state`` (as a lowest unit's sheet), whether
    it is ``composed`` of others, and its ``parent`` (the first unit composed of it).

    Column by column in polars: a table-level report has 86,000 units, and a Python step per
    unit and field was a second of the import; only the first identifier and status of each
    unit are picked in Python, in one pass."""
    local, (stated, place, reasons), status = _marks(units)
    frame = pl.DataFrame(
        [
            pl.Series("@id", [u.id for u in units], dtype=pl.String),
            pl.Series("Type", _column(units, "Type"), dtype=pl.String),
            pl.Series("OtherType", _column(units, "OtherType"), dtype=pl.String),
            _whole_numbers(_column(units, "VotersRegistered"), source, "$.GpUnit", "VotersRegistered"),
            pl.Series("local", local, dtype=pl.String),
            pl.Series("stated", stated, dtype=pl.String),
            pl.Series("place", place, dtype=pl.String),
            pl.Series("reasons", reasons, dtype=pl.String),
            pl.Series("status", status, dtype=pl.String),
        ]
    )
    local_code, stated_state = pl.col("local"), pl.col("stated")
    from_status = pl.col("status").fill_null("completed").replace_strict(STATUS_STATES, default="counted")
    composed = [u.id for u in units if u.ComposingGpUnitIds]
    links = pl.DataFrame(
        {
            "parent": [u.id for u in units for _ in u.ComposingGpUnitIds or ()],
            "gp": [c for u in units for c in u.ComposingGpUnitIds or ()],
        },
        schema={"parent": pl.String, "gp": pl.String},
    ).unique("gp", keep="first", maintain_order=True)
    gp = pl.col("@id")
    other = pl.col("OtherType")
    frame = frame.select(
        gp.alias("gp"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"),
        # An area's or table's code: its local identifier, else its object id (ours less its prefix).
        pl.coalesce(
            local_code,
            pl.when(gp.str.starts_with("table-")).then(gp.str.strip_prefix("table-")).otherwise(gp.str.strip_prefix("area-")),
        ).alias("code"),
        pl.when(pl.col("Type") != "other")
        .then(pl.col("Type"))
        .when(other.is_null() | (other == ""))
        .then(pl.lit("other"))
        .otherwise(other)
        .alias("kind"),
        pl.col("VotersRegistered").alias("electors"),
        pl.when(stated_state.is_null() | (stated_state == "")).then(from_status).otherwise(stated_state).alias("state"),
        "place",
        "reasons",
        gp.is_in(composed).alias("composed"),
    )
    repeated = frame.filter(pl.col("gp").is_duplicated())
    if repeated.height:
        gp_id, line = repeated.row(1)[:2]
        first = repeated["line"][0]
        where = Place(source, None, f"$.GpUnit[{line - 1}].@id")
        raise InputError([Problem(where, f"{json_text(gp_id)} is the @id of $.GpUnit[{first - 1}] too: expected each unit once")])
    codes = frame.select(pl.col("gp").alias("parent"), pl.col("code").alias("parent_code"), pl.col("line").alias("parent_line"))
    return frame.join(links, on="gp", how="left").join(codes, on="parent", how="left").sort("line")


def _check_tree(units: list[Any], frame: pl.DataFrame, source: str) -> None:
    """Refuse units that do not form a tree: a unit listed under two parents (the second
    would be silently dropped) or a unit composing an ancestor of itself (a loop, which the
    walk up to the nation never leaves, and whose store would fail ``verify``). Named by the
    JSON path of the composing entry. Only the areas (``frame``'s composed units, a few
    thousand) are walked in Python; the 86,000 links of a table-level report are looked at one
    by one only when one of them is repeated, to name it."""
    children = [c for u in units for c in u.ComposingGpUnitIds or ()]
    if len(set(children)) != len(children):
        _second_parent(units, source)
    parent = dict(frame.filter(pl.col("composed") & pl.col("parent").is_not_null()).select("gp", "parent").iter_rows())
    for child, unit in parent.items():  # report order: the loop is named at the link to its highest unit
        chain, node = [unit], unit
        while node in parent and node != child and len(chain) <= len(parent):
            node = parent[node]
            chain.append(node)
        if node != child:
            continue
        n = next(n for n, u in enumerate(units) if u.id == unit)
        at = (n, list(units[n].ComposingGpUnitIds).index(child))
        if unit == child:
            _not_a_tree(source, at, f"{child} composes itself")
        through = "" if len(chain) <= 2 else f" (through {', '.join(chain[1:-1])})"
        _not_a_tree(source, at, f"{unit} composes {child}, which composes it{through}")


def _second_parent(units: list[Any], source: str) -> NoReturn:
    """Name the first unit composed by a second parent (there is one; a unit composing itself
    besides its parent is named as that)."""
    parent: dict[str, tuple[str, int, int]] = {}  # child -> (its parent, the entry's unit and place)
    for n, unit in enumerate(units):
        for k, child in enumerate(unit.ComposingGpUnitIds or ()):
            if child == unit.id:
                _not_a_tree(source, (n, k), f"{child} composes itself")
            if child in parent:
                first, m, j = parent[child]
                _not_a_tree(source, (n, k), f"a second parent for {child}: {unit.id} composes it, and {first} at {_entry(m, j)}")
            parent[child] = (unit.id, n, k)
    raise AssertionError("no unit has two parents")


def _entry(n: int, k: int) -> str:
    return f"$.GpUnit[{n}].ComposingGpUnitIds[{k}]"


def _not_a_tree(source: str, at: tuple[int, int], what: str) -> NoReturn:
    raise InputError([Problem(Place(source, None, _entry(*at)), f"{what}: the units must form a tree")])


NO_AREAS = (
    "no areas between the nation and its lowest units: a load counts the lowest units as tables, each under an area, "
    "so a report exported at national or first level (department) cannot be loaded; export it at a lower level"
)
"""A report's lowest units are read as tables, and the store counts every table under an area of
the lowest level: a report whose lowest units are the nation's first level has none to put them in."""


class _Report:
    """Indexes of one valid report: its units, their tree, and the counts of each unit."""

    def __init__(self, report: Any, source: str) -> None:
        self.report = report
        self.source = source
        self.election = report.Election[0]
        self.contest = self.election.Contest[0]
        self.root = self.election.ElectionScopeId
        self.units = _unit_frame(report.GpUnit or [], source)
        _check_tree(report.GpUnit or [], self.units, source)
        self.lowest = ~pl.col("composed") & (pl.col("gp") != self.root) & pl.col("parent").is_not_null()
        # The areas (and the nation) are the units composed of others: a few thousand, walked in Python.
        above = self.units.filter(~self.lowest).select("gp", "line", "code", "kind", "parent", "parent_code").rows()
        self.above = {gp: row for gp, *row in above}
        if self.root not in self.above:
            self._fail("$.Election[0].ElectionScopeId", f"names {json_text(self.root)}, which is no GpUnit of the report")
        # (position in the report, selection) in ballot order
        self.selections = sorted(
            enumerate(self.contest.ContestSelection or []), key=lambda p: (getattr(p[1], "SequenceOrder", None) or 0, p[1].id)
        )

    def _fail(self, where: str, what: str) -> NoReturn:
        raise InputError([Problem(Place(self.source, None, where), what)])

    def ident(self, obj: Any, other: str) -> str | None:
        return next((i.Value for i in obj.ExternalIdentifier or () if i.OtherType == other), None)

    def carried_definition(self, built: Election) -> tuple[str, Election] | None:
        """The whole definition the report carries (:data:`DEFINITION`, written by escrutinio),
        when it agrees with the report (``built``, the definition read from its structure):
        the claims, source format, proclaimed result and every name come back as they were.
        None when there is none, or it disagrees (a report exported above the tables holds
        fewer levels of areas than its definition names): the built one is used then."""
        identifiers = list(self.election.ExternalIdentifier or ())
        at = next((n for n, i in enumerate(identifiers) if i.OtherType == DEFINITION), None)
        if at is None:
            return None
        text = identifiers[at].Value
        from escrutinio.domain.election import election_from_toml
        from escrutinio.domain.errors import DefinitionError

        where = f"$.Election[0].ExternalIdentifier[{at}].Value"
        try:
            carried = election_from_toml(where, text)
        except DefinitionError as exc:
            self._fail(where, f"expected the election definition escrutinio wrote ({str(exc).removeprefix(where + ': ')})")
        return (text, carried) if _same_shape(carried, built) else None

    def depth(self, gp: str) -> int:
        """How many steps up the tree to the nation; -1 when it is not under the nation."""
        n, node = 0, gp
        while node != self.root:
            if node not in self.above or self.above[node][3] is None or n > 8:
                return -1
            node = self.above[node][3]
            n += 1
        return n

    def areas(self) -> list[tuple[str, int, tuple[Any, ...]]]:
        """(object id, depth, (line, code, kind, parent, parent code)) of each area under the
        nation, in report order."""
        found = [(gp, self.depth(gp), row) for gp, row in self.above.items() if gp != self.root]
        return [a for a in found if a[1] > 0]

    # -- the definition ----------------------------------------------------------------------

    def definition(self) -> str:
        """The election definition (TOML) that the report carries."""
        kinds: dict[int, list[str]] = {}
        for _gp, depth, (_line, _code, kind, _parent, _parent_code) in self.areas():
            found = kinds.setdefault(depth, [])
            if kind not in found:
                found.append(kind)
        if not kinds:
            self._fail("$.GpUnit", NO_AREAS)
        if max(kinds) > 3 or sorted(kinds) != list(range(1, max(kinds) + 1)):
            self._fail("$.GpUnit", "expected 1 to 3 levels of areas between the nation and its lowest units")
        levels = [kinds[d][0] for d in sorted(kinds)]
        abroad = [kinds[d][1] if len(kinds[d]) > 1 else kinds[d][0] for d in sorted(kinds)]
        name = _text_of(self.election.Name)
        election_id = self.ident(self.election, ELECTION_ID) or SLUG.sub("-", name).strip("-").lower() or "election"
        lines = [
            "# Built by escrutinio from a NIST SP 1500-100 ElectionReport.",
            "[election]",
            f"id = {_toml(election_id)}",
            f"name = {_toml(name)}",
            f"date = {_toml(self.election.StartDate)}",
            f"timezone = {_toml(self.ident(self.election, TIMEZONE) or 'UTC')}",
            f"country = {_toml(self.above[self.root][1])}",
            "",
            "[geography]",
            f"levels = [{', '.join(_toml(k) for k in levels)}]",
            *([f"abroad_levels = [{', '.join(_toml(k) for k in abroad)}]"] if abroad != levels else []),
            "",
            "[contest]",
            f"id = {_toml(self.ident(self.contest, CONTEST_ID) or self.contest.id)}",
            f"name = {_toml(self.contest.Name)}",
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
        parties = {p.id: _text_of(p.Name) for p in self.report.Party or ()}
        people = {c.id: c for c in self.election.Candidate or ()}
        out = []
        for _i, s in self.selections:
            gp = s.id
            choice = SLUG.sub("_", gp.removeprefix("choice-"))
            candidates = [people[c] for c in getattr(s, "CandidateIds", None) or () if c in people]
            candidate = _text_of(candidates[0].BallotName) if candidates else ""
            party_ids = getattr(s, "EndorsementPartyIds", None) or (
                [candidates[0].PartyId] if candidates and candidates[0].PartyId is not None else []
            )
            out.append((choice, parties.get(party_ids[0], "") if party_ids else "", candidate))
        return out

    # -- the sheets ------------------------------------------------------------------------

    def counted_once(self, counts: pl.DataFrame, key: pl.Expr, where: str, what: str) -> None:
        """Refuse a count whose ``GpUnitId`` names no unit of the report, and a second count of
        the same thing for the same unit and block (``key``: total, or a sheet state's): both
        were summed into the unit's figures before, and refused, if at all, as an arithmetic
        error of the table rather than at the count's own path."""
        keyed = counts.select("GpUnitId", key)
        unknown = keyed.with_row_index("at").filter(~pl.col("GpUnitId").is_in(self.units["gp"].implode())).head(1)
        if unknown.height:
            at, gp, _key = unknown.row(0)
            self._fail(f"{where}[{at}].GpUnitId", f"names {json_text(gp)}, which is no GpUnit of the report")
        if keyed.group_by("GpUnitId", "key").len().height == keyed.height:
            return  # the usual case, found at a fraction of the cost of naming the first repeat
        indexed = keyed.with_row_index("at")
        first = pl.col("at").first().over("GpUnitId", "key")
        again = indexed.with_columns(first.alias("first")).filter(pl.col("at") != pl.col("first")).head(1)
        if again.height:
            at, gp, block, earlier = again.row(0)
            kind = "" if block == "total" else f" ({block})"
            self._fail(f"{where}[{at}]", f"a second count{kind} of {what} for unit {gp}; the first is at {where}[{earlier}]")

    def sheets(self, election: Election, digest: str) -> SheetFile:
        """The lowest units as sheets: counts gathered column-wise (a runoff has a million)."""
        choices = election.contest.choice_ids
        votes = [tf.choice_column(c) for c in choices]
        # A unit with no sheet yet stays a row (stated "pending"): its table is on the roll.
        units = self.units.filter(self.lowest).select(
            "gp",
            pl.col("line").alias(LINE),
            pl.col("code").alias(tf.TABLE),
            pl.col("parent_code").alias(tf.DISTRICT),
            "parent_line",
            pl.col("electors").alias(tf.ELECTORS),
            pl.col("state").alias("s"),
            "place",
            "reasons",
        )
        # Each count keyed by its unit and its block: "total", or the sheet state outside the count.
        key = pl.when(pl.col("Type") == "other").then(pl.col("OtherType")).otherwise(pl.col("Type")).alias("key")
        texts = ("GpUnitId", "Type", "OtherType")
        counted = pl.col("s").is_in(list(tf.COUNTED_STATES))
        block = pl.when(counted).then(pl.lit("total")).otherwise(pl.col("s"))
        frame = units.with_columns(block.alias("key"))
        # Every unit's own counts of type total (areas' too): for the observations on totals.
        own = self.units.select("gp")
        for column, (i, selection) in zip(votes, self.selections, strict=True):
            where = f"$.Election[0].Contest[0].ContestSelection[{i}].VoteCounts"
            counts = _counts(getattr(selection, "VoteCounts", None) or [], texts, ("Count",), self.source, where)
            self.counted_once(counts, key, where, f"CandidateSelection {selection.id}")
            counts = counts.select(pl.col("GpUnitId").alias("gp"), key, pl.col("Count").alias(column)).group_by("gp", "key").sum()
            frame = frame.join(counts, on=["gp", "key"], how="left")
            own = own.join(counts.filter(pl.col("key") == "total").drop("key"), on="gp", how="left")
        where = "$.Election[0].BallotCounts"
        ballots = _counts(self.election.BallotCounts or [], texts, ("BallotsCast",), self.source, where)
        self.counted_once(ballots, key, where, "BallotCounts")
        # "at": the first item of each unit and block, by its place in BallotCounts (for messages).
        ballots = (
            ballots.with_row_index("at")
            .select(pl.col("GpUnitId").alias("gp"), key, "BallotsCast", "at")
            .group_by("gp", "key")
            .agg(pl.col("BallotsCast").sum(), pl.col("at").first())
        )
        inside = {
            k: ballots.filter(pl.col("key") == k).select("gp", pl.col("BallotsCast").alias(k), pl.col("at").alias(f"{k}_at"))
            for k in ("total", "challenged")
        }
        outside = [
            ballots.filter(pl.col("key").str.ends_with(f"-{figure}")).select(
                "gp",
                pl.col("key").str.head(-len(figure) - 1).alias("s"),
                pl.col("BallotsCast").alias(f"o_{figure}"),
                pl.col("at").alias(f"o_{figure}_at"),
            )
            for figure in ("cast", "blank", "null", "challenged")
        ]
        where = "$.Election[0].Contest[0].OtherCounts"
        other = _counts(self.contest.OtherCounts or [], ("GpUnitId",), ("Undervotes", "Overvotes"), self.source, where)
        self.counted_once(other, pl.lit("total").alias("key"), where, "OtherCounts")
        other = other.rename({"GpUnitId": "gp"})
        other = other.group_by("gp").sum()
        frame = frame.join(inside["total"], on="gp", how="left").join(inside["challenged"], on="gp", how="left")
        frame = frame.join(other, on="gp", how="left")
        own_ballots = ballots.filter(pl.col("key").is_in(["total", "valid", "challenged"]))
        own_ballots = own_ballots.pivot("key", index="gp", values="BallotsCast").rename({"total": "cast"}, strict=False)
        own = own.join(own_ballots, on="gp", how="left").join(
            other.select("gp", pl.col("Undervotes").alias("blank"), pl.col("Overvotes").alias("null")), on="gp", how="left"
        )
        named = {column: selection.id for column, (_i, selection) in zip(votes, self.selections, strict=True)}
        observations, observed = totals_observations(self.source, self.units, _with_figures(own), named, self.lowest)
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
        places = frame.select(
            LINE,
            tf.TABLE,
            "parent_line",
            pl.when(counted).then(pl.col("total_at")).otherwise(pl.col("o_cast_at")).alias(tf.CAST),
            pl.when(counted).then(pl.col("challenged_at")).otherwise(pl.col("o_challenged_at")).alias(tf.CHALLENGED),
        )
        sheets = frame.with_columns(
            pick(cast_inside, "o_cast").alias(tf.CAST),
            pl.col("place").alias(tf.POLLING_PLACE),
            pl.col("s").alias(sf.REPORTED_STATE),
            # The reasons the report states (none when it says ""), else its state's own.
            pl.when(pl.col("reasons").is_null())
            .then(pl.col("s").replace_strict(STATE_REASONS, default=None, return_dtype=pl.String))
            .when(pl.col("reasons") != "")
            .then(pl.col("reasons"))
            .alias(sf.REPORTED_REASON),
            (pl.lit("nist:") + pl.col("s")).alias(sf.REPORTED_STATUS),
        ).select(sf.sheet_columns(election))
        _within_one_table(sheets, [*votes, tf.BLANK, tf.NULL, tf.CHALLENGED, tf.CAST], self.source)
        units_of = self.report.GpUnit or []
        area_rows = [
            (code, depth, kind, _text_of(units_of[line - 1].Name) if units_of[line - 1].Name is not None else code, parent_code)
            for _gp, depth, (line, code, kind, _parent, parent_code) in self.areas()
        ]
        areas = pl.DataFrame(
            area_rows,
            schema={"code": pl.String, "level": pl.Int64, "kind": pl.String, "name": pl.String, "parent": pl.String},
            orient="row",
        ).sort("level", "code")
        labels = {tf.TABLE: "GpUnit", tf.DISTRICT: "ComposingGpUnitIds", tf.ELECTORS: "VotersRegistered", tf.CAST: "BallotsCast"}
        locate = _Places(places, labels).locate
        return SheetFile(self.source, digest, sheets, areas, labels, locate, tuple(observations), observed)


def _with_figures(own: pl.DataFrame) -> pl.DataFrame:
    """``own`` with a (null) column for each ballot figure no unit of the report states."""
    return own.with_columns(pl.lit(None, dtype=pl.Int64).alias(f) for f in BALLOT_FIGURES if f not in own.columns)


class _Places:
    """Where a problem that a check names by a lowest unit's line (its position in ``GpUnit``,
    from 1) and a field is in the report: the JSON path of the value, and the table it is.

    Kept as a small frame (line, table, the unit's parent's line, and the positions in
    ``BallotCounts`` of its ballots cast and challenged), looked up only when there is a
    problem to name: not the report itself, which is let go once read."""

    def __init__(self, places: pl.DataFrame, labels: dict[str, str]) -> None:
        self.places = places
        self.fields = {label: column for column, label in labels.items()}

    def locate(self, line: int, field: str | None) -> tuple[str, str]:
        found = self.places.filter(pl.col(LINE) == line)
        unit = f"$.GpUnit[{line - 1}]"
        if not found.height:
            return unit, f"unit {line}"
        row = found.row(0, named=True)
        column = self.fields.get(field or "", field)
        if column == tf.ELECTORS:
            where = f"{unit}.VotersRegistered"
        elif column == tf.DISTRICT and row["parent_line"] is not None:
            where = f"$.GpUnit[{row['parent_line'] - 1}].ComposingGpUnitIds"
        elif column in (tf.CAST, tf.CHALLENGED) and row[column] is not None:
            where = f"$.Election[0].BallotCounts[{row[column]}].BallotsCast"
        else:
            where = unit
        return where, f"table {row[tf.TABLE]}"


def _text_of(text: Any) -> str:
    """The first text of an ``InternationalizedText``."""
    return text.Text[0].Content


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
        [Problem(Place("report", None, "$.Election[0].ExternalIdentifier"), f"a rule value {json_text(value)} has no TOML form")]
    )


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)
