"""Semantic replay: every event of a record re-checked against the domain's rules.

The hash chain (``ledger.verify``) proves that a record was not changed after its head was
published; it says nothing of a record written wrong from the start, or rewritten with every
hash recomputed. :class:`SemanticReplay` is the second half: it replays the events with the
rules the application applies when it writes them, so a record that could not have been
written by escrutinio fails at its first impossible event:

- only the event types escrutinio writes; one ``election.defined``, first;
- areas and tables registered once each, tables in a registered area;
- sheets only for tables on the roll; versions in order (1 first, then the same version with
  the same figures — a change of state — or the next one); every rule the figures break
  (arithmetic, ballots above electors, challenged ballots) stated in the sheet's reasons, and a
  sheet the rules observe never counted on the basis of validation alone;
- case events only for cases opened, each transition legal in ``domain.claims`` (rulings by the
  body allowed to make them, corrected figures that hold), and the docket row each event states
  equal to the one the transition gives;
- every act by an actor whose role may take it and who held an account then (``ledger.actors``:
  a sheet keyed or scanned by a clerk of the table's area, a second entry by another clerk, a
  filing by its party's representative, a ruling by a judge of the body that signs it, in the
  area of its tables); an actor recorded without a role (``cli``: a record written before
  accounts, the store's administrator) is counted apart;
- at the end, every table under a case holds the sheet and state its cases decide
  (``claims.table_outcomes``).

Other capabilities' events (the audit) are checked by callables passed in ``checks``, so the
ledger stays below them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import Case, table_outcomes
from escrutinio.domain.errors import EscrutinioError
from escrutinio.domain.sheet import Reason, SheetState, TallySheet
from escrutinio.ledger import entry_seal
from escrutinio.ledger.actors import EVENT_ACTIONS, Actors
from escrutinio.ledger.events import Event, EventType
from escrutinio.ledger.keys import Registration, event_signature_problem, registry
from escrutinio.ledger.signing import PublicKey, SigningError
from escrutinio.ledger.state import CanvassState, _Builder

KNOWN_TYPES = frozenset(v for k, v in vars(EventType).items() if k.isupper() and isinstance(v, str))
"""Every event type escrutinio writes (EventType's constants): anything else is foreign."""
BASES = ("validation", "double_entry", "source:", "ruling:")
"""How a sheet's state was decided: the rules alone, two clerks' agreeing entries (judged by
the rules too), the source's stated status, a ruling."""
RULES_DECIDE = ("validation", "double_entry")
"""Bases on which the rules alone decide whether a sheet counts: one that breaks a rule is observed."""
RULE_REASONS = (Reason.ARITHMETIC.value, Reason.EXCEEDS_ELECTORS.value, Reason.CHALLENGED.value)

ACTIONS = EVENT_ACTIONS
"""The events that only some roles may cause (``ledger.actors``, with the filings besides)."""


Check = Callable[[Event, "SemanticReplay"], None]
"""A capability's check of its own events, given the replay so far (its roll and current
sheets): raises an EscrutinioError naming the rule broken."""


class Discrepancy(EscrutinioError):
    """The first event of a record that the rules refuse (or the figure that differs)."""

    def __init__(self, seq: int, message: str) -> None:
        self.seq = seq
        super().__init__(f"record fails at event {seq}: {message}")


@dataclass(frozen=True, slots=True)
class Sheet:
    """A table's current sheet, as the replay holds it (figures in ``TallySheet`` order)."""

    version: int
    state: str
    basis: str
    counts: tuple[int, ...]
    seq: int


def broken_rules(valid: int, blank: int, null: int, challenged: int, cast: int, electors: int | None) -> list[str]:
    """The counting rules a sheet's figures break (``domain.validation.observations``' reasons)."""
    found = []
    if valid + blank + null + challenged != cast:
        found.append(Reason.ARITHMETIC.value)
    if electors is not None and cast > electors:
        found.append(Reason.EXCEEDS_ELECTORS.value)
    if challenged > 0:
        found.append(Reason.CHALLENGED.value)
    return found


def _describe(rule: str, valid: int, blank: int, null: int, challenged: int, cast: int, electors: int | None) -> str:
    if rule == Reason.ARITHMETIC:
        total = valid + blank + null + challenged
        return f"votes {valid} + blank {blank} + null {null} + challenged {challenged} = {total}, not the {cast} ballots cast"
    if rule == Reason.EXCEEDS_ELECTORS:
        return f"{cast} ballots cast exceed its {electors} registered electors"
    return f"{challenged} challenged ballots"


class SemanticReplay:
    """Feed events in order (:meth:`apply`), then :meth:`finish`; the first impossible one raises
    :class:`Discrepancy` naming it and what the rules expected."""

    def __init__(self, checks: Mapping[str, Check] | None = None) -> None:
        self.builder = _Builder()
        self.checks = dict(checks or {})
        self.areas: set[str] = set()
        self.electors: dict[str, int | None] = {}
        self.current: dict[str, Sheet] = {}
        self.processed: dict[str, Sheet] = {}
        """Each table's last sheet not decided by a ruling: what its cases act on."""
        self.cases: dict[str, Case] = {}
        self.case_seq: dict[str, int] = {}
        self.area_of: dict[str, str] = {}
        self.hashes: list[str] = []
        """Every event's hash, oldest first (the Merkle tree's leaves, for signed heads)."""
        self.actors = Actors(self.area_of.get, lambda n: c.tables if (c := self.cases.get(n)) else ())
        """Who acted: the accounts the record created, and each event's actor checked against them."""
        self.despite_rules: set[str] = set()
        """Tables in the count despite a rule their figures break (stated by the source)."""
        self.keys: dict[str, Registration] = {}
        """Officials' keys registered so far (``key.registered``): what a signed act is checked against."""
        self.signed = 0
        """Signed acts whose signature held: by a key registered before them, of a role that may make them."""
        self.commitments: dict[int, str] = {}
        """First entries' commitments to their figures, by event (``ledger.entry_seal``)."""
        self.first_entries: dict[int, dict[str, Any]] = {}
        self.second_entries: dict[int, dict[str, Any]] = {}
        """Double entry: first entries' data by their event, second entries' by their first's
        (what the sheet recorded from the pair is held to); both let go once it is."""

    # -- per event ---------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if event.type not in KNOWN_TYPES:
            known = ", ".join(sorted(KNOWN_TYPES))
            raise Discrepancy(event.seq, f"unknown event type {event.type!r} (escrutinio writes {known})")
        if not isinstance(event.data, dict):
            raise Discrepancy(event.seq, f"{event.type}: its data must be an object")
        self.hashes.append(event.hash)
        try:
            self._check_signature(event)
            self._check(event)
            self.builder.apply(event)
        except Discrepancy:
            raise
        except EscrutinioError as exc:
            raise Discrepancy(event.seq, str(exc)) from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise Discrepancy(event.seq, f"{event.type}: malformed data ({type(exc).__name__}: {exc})") from None

    def _check_signature(self, event: Event) -> None:
        """A signed act's signature must hold against the keys registered before it in the
        record (its key known, its role allowed the act, the bytes unchanged); a key is
        registered once."""
        if event.type == EventType.KEY_REGISTERED:
            key_id = event.data.get("key_id")
            if key_id != public_key_id(event.data.get("public_key")):
                raise Discrepancy(event.seq, f"key {str(key_id)[:16]}: its key_id is not the SHA-256 of its public_key")
            if key_id in self.keys:
                raise Discrepancy(
                    event.seq, f"key {str(key_id)[:16]} is registered twice (first at event {self.keys[key_id].seq})"
                )
            self.keys.update(registry([event]))
        problem = event_signature_problem(event, self.keys)
        if problem is not None:
            raise Discrepancy(event.seq, problem)
        if "signature" in event.data:
            self.signed += 1

    def _check(self, event: Event) -> None:
        if event.type != EventType.ELECTION_DEFINED and self.builder.state is None:
            raise Discrepancy(event.seq, "the record must start with election.defined")
        if event.type == EventType.AREAS_REGISTERED:
            self._areas(event)
        elif event.type == EventType.TABLES_REGISTERED:
            self._tables(event)
        elif event.type == EventType.SHEETS_RECORDED:
            self._sheets(event)
            self._from_double_entry(event)
        elif event.type in EventType.CASE_EVENTS:
            self._case(event)
        elif event.type == EventType.SHEET_ENTERED:
            problem = entry_seal.reveal_problem(event.data, self.commitments, event.seq)
            if problem is not None:
                raise Discrepancy(event.seq, f"{event.type}: {problem}")
            first = event.data.get("first")
            if first is None:
                self.first_entries[event.seq] = event.data
            else:
                self.second_entries[int(first)] = event.data
        self._actor(event)
        check = self.checks.get(event.type)
        if check is not None:
            check(event, self)

    def _actor(self, event: Event) -> None:
        """The event's actor may have caused it: role, scope and account (``ledger.actors``)."""
        problem = self.actors.check(event)
        if problem is not None:
            raise Discrepancy(event.seq, problem)

    @property
    def without_role(self) -> int:
        """Events that need a role, by actors recorded without one (before accounts)."""
        return self.actors.without_role

    def _areas(self, event: Event) -> None:
        areas = event.data["areas"]
        codes, parents = areas["code"], areas["parent"]
        for code in codes:
            if code in self.areas:
                raise Discrepancy(event.seq, f"area {code} is registered a second time")
            self.areas.add(code)
        assert self.builder.state is not None
        country = self.builder.state.election.country
        for code, parent in zip(codes, parents, strict=True):
            if parent is not None and parent != country and parent not in self.areas:
                raise Discrepancy(event.seq, f"area {code} names parent {parent}, which is not a registered area")

    def _tables(self, event: Event) -> None:
        t = event.data["tables"]
        for table, area, electors in zip(t["table"], t["area"], t["electors"], strict=True):
            if table in self.electors:
                raise Discrepancy(event.seq, f"table {table} is registered a second time")
            if area not in self.areas:
                raise Discrepancy(event.seq, f"table {table} is in area {area}, which is not a registered area")
            if electors is not None and (not isinstance(electors, int) or electors < 0):
                raise Discrepancy(event.seq, f"table {table}: electors must be a whole number, zero or more (got {electors!r})")
            self.electors[table] = electors
            self.area_of[table] = area

    def _sheets(self, event: Event) -> None:
        """Check one event's sheets: a lean pass per row for the roll and versions (stateful),
        the counting rules on whole columns (numpy); the first bad row by position is named."""
        assert self.builder.state is not None
        choices = self.builder.state.election.contest.choice_ids
        s = event.data["sheets"]
        votes = s["votes"]
        if sorted(votes) != sorted(choices):
            raise Discrepancy(event.seq, f"votes are given for {sorted(votes)}, the contest's choices are {sorted(choices)}")
        tables, versions, states, bases, reasons = (s[c] for c in ("table", "version", "state", "basis", "reasons"))
        figures = [*(votes[c] for c in choices), s[tf.BLANK], s[tf.NULL], s[tf.CHALLENGED], s[tf.CAST]]
        n = len(tables)
        if any(len(c) != n for c in (versions, states, bases, reasons, s["line"], *figures)):
            raise Discrepancy(event.seq, "its sheet columns are not all of the same length")
        for column in (versions, *figures):
            bad = next((i for i, x in enumerate(column) if type(x) is not int or x < 0), None)
            if bad is not None:
                raise Discrepancy(event.seq, f"{_where(bad, tables)}: every figure and version must be a whole number, 0 or more")
        counts = list(zip(*figures, strict=True))
        arrays = self._arrays(tables, figures)
        found = [
            self._rows(event.seq, tables, versions, states, bases, counts),
            self._rules(arrays, states, bases, reasons),
        ]
        first = min((f for f in found if f is not None), default=None)
        if first is not None:
            raise Discrepancy(event.seq, f"{_where(first[0], tables)}: {first[1]}")
        despite = _despite(arrays, states)
        for i, table in enumerate(tables):
            sheet = Sheet(versions[i], states[i], bases[i], counts[i], event.seq)
            self.current[table] = sheet
            if not bases[i].startswith("ruling:"):
                self.processed[table] = sheet
            if i in despite:
                self.despite_rules.add(table)
            else:
                self.despite_rules.discard(table)

    def _from_double_entry(self, event: Event) -> None:
        """A sheet recorded from a double entry (``source.double_entry``: the first entry's event)
        is the sheet its entries decided: on a mismatch, the first entry's figures (revealed by
        the second entry, which opened their commitment; an older log's first entry carried
        them), else the second entry's, which agreed. Without this check a log could reveal one
        sheet, open the commitment with it, and record another: every hash and the commitment
        would hold while the count took figures no clerk keyed."""
        source = event.data.get("source")
        if not isinstance(source, dict) or "double_entry" not in source:
            return
        first = int(source["double_entry"])
        second = self.second_entries.pop(first, None)
        older = self.first_entries.pop(first, {})
        if second is None:
            raise Discrepancy(event.seq, f"{event.type}: source.double_entry names event {first}, which no second entry names")
        mismatch = second.get("outcome") == "mismatch"
        keyed = second.get("first_sheet", older.get("sheet")) if mismatch else second.get("sheet")
        s = event.data["sheets"]
        if s["table"] != [second["table"]]:
            raise Discrepancy(
                event.seq, f"{event.type}: the double entry of event {first} is of table {second['table']}, not {s['table']}"
            )
        recorded = {
            "votes": {c: v[0] for c, v in s["votes"].items()},
            **{k: s[k][0] for k in (tf.BLANK, tf.NULL, tf.CHALLENGED, tf.CAST)},
        }
        if recorded != keyed:
            which = "the first entry's revealed first_sheet (the entries differed)" if mismatch else "the entries' agreed sheet"
            raise Discrepancy(
                event.seq, f"{event.type}: table {second['table']}'s sheet from the double entry of event {first} is not {which}"
            )

    def _arrays(self, tables: list[str], figures: list[list[int]]) -> tuple[Any, ...]:
        """(valid, blank, null, challenged, cast, electors) as int64 columns; electors -1 when unknown."""
        *votes, blank, null, challenged, cast = (np.asarray(c, dtype=np.int64) for c in figures)
        valid = np.sum(votes, axis=0) if votes else np.zeros(len(tables), dtype=np.int64)
        electors = np.asarray([e if (e := self.electors.get(t)) is not None else -1 for t in tables], dtype=np.int64)
        return valid, blank, null, challenged, cast, electors

    def _rows(
        self, seq: int, tables: list[str], versions: list[int], states: list[str], bases: list[str], counts: list[tuple[int, ...]]
    ) -> tuple[int, str] | None:
        """The first row off the roll, twice in the event, of an unknown state or basis, or out of version order."""
        seen: set[str] = set()
        for i, table in enumerate(tables):
            if table not in self.electors:
                return i, f"table {table} is not on the roll (no tables.registered names it)"
            if table in seen:
                return i, f"table {table} has two sheets in one event"
            seen.add(table)
            if states[i] not in tf.SHEET_STATES:
                return i, f"unknown state {states[i]!r} (one of {', '.join(tf.SHEET_STATES)})"
            if not isinstance(bases[i], str) or not bases[i].startswith(BASES):
                return i, f"basis {bases[i]!r} is none of validation, double_entry, source:…, ruling:…"
            problem = _version_problem(versions[i], states[i], counts[i], self.current.get(table))
            if problem:
                return i, problem
        return None

    @staticmethod
    def _rules(arrays: tuple[Any, ...], states: list[str], bases: list[str], reasons: list[str]) -> tuple[int, str] | None:
        """The first row whose figures break a counting rule its reasons do not state (or that
        is counted on the basis of validation although the rules observe it)."""
        valid, blank, null, challenged, cast, electors = arrays
        broken = (valid + blank + null + challenged != cast) | ((electors >= 0) & (cast > electors)) | (challenged > 0)
        for i in np.flatnonzero(broken).tolist():
            el = int(electors[i]) if electors[i] >= 0 else None
            row = (int(valid[i]), int(blank[i]), int(null[i]), int(challenged[i]), int(cast[i]))
            stated = set(reasons[i].split(",")) if reasons[i] else set()
            for rule in broken_rules(*row, el):
                if rule not in stated:
                    return i, f"{_describe(rule, *row, el)}, but its reasons do not say {rule}"
                if bases[i] in RULES_DECIDE and states[i] in tf.COUNTED_STATES and rule != Reason.CHALLENGED:
                    return i, f"{states[i]} on the basis of {bases[i]} although {rule}: it is observed"
        return None

    def _case(self, event: Event) -> None:
        from escrutinio.domain.claims import ClaimRefused
        from escrutinio.ledger.cases import apply_case_event, summary

        assert self.builder.state is not None
        number = event.data["number"]
        case = self.cases.get(number)
        if event.type == EventType.CASE_OPENED and case is not None:
            raise Discrepancy(event.seq, f"case {number} is opened a second time (first at event {self.case_seq[number]})")
        if event.type != EventType.CASE_OPENED and case is None:
            raise Discrepancy(event.seq, f"{event.type} for case {number}, which was never opened")
        try:
            case = apply_case_event(case, event, self.builder.state.election, **self._sheet_args(case))
        except ClaimRefused as exc:
            raise Discrepancy(event.seq, f"{event.type} of case {number} is refused by the rule {exc}") from None
        stated = event.data.get("summary")
        if stated is not None and stated != summary(case):
            got = summary(case)
            field = next(k for k in sorted(set(got) | set(stated)) if got.get(k) != stated.get(k))
            said, given = stated.get(field), got.get(field)
            raise Discrepancy(event.seq, f"case {number}: the docket row states {field}={said!r}, its events give {given!r}")
        self.cases[number] = case
        self.case_seq.setdefault(number, event.seq)

    def _sheet_args(self, case: Case | None) -> dict[str, Any]:
        """What a ruling's corrected figures are checked against, as when the application
        recorded it (:func:`~escrutinio.ledger.cases.checked_against`: the table's electors even
        before it has a sheet)."""
        from escrutinio.ledger.cases import checked_against

        return checked_against(case, self.electors, lambda t: _tally(t, cur) if (cur := self.current.get(t)) else None)

    # -- at the end --------------------------------------------------------------------------

    def finish(self) -> CanvassState:
        """The canvass state, once every table under a case is checked to hold what its cases decide."""
        state = self.builder.finish()
        base = {t: (SheetState(s.state), _tally(t, s)) for t in self._tables_under_cases() if (s := self.processed.get(t))}
        for table, out in sorted(table_outcomes(self.cases.values(), base, state.election).items()):
            cur = self.current[table]
            counts = (out.sheet or base[table][1]).counts
            if out.state.value != cur.state or counts != cur.counts:
                raise Discrepancy(
                    cur.seq,
                    f"table {table}: its cases ({', '.join(out.cases)}) leave it {out.state.value} with figures {list(counts)}, "
                    f"the record leaves it {cur.state} with {list(cur.counts)}",
                )
        return state

    @property
    def despite(self) -> int:
        """How many tables are in the count although their figures break a rule (the source said so)."""
        return len(self.despite_rules)

    def _tables_under_cases(self) -> Iterable[str]:
        return {t for case in self.cases.values() for t in case.tables if t in self.current}


def _despite(arrays: tuple[Any, ...], states: list[str]) -> set[int]:
    """Rows in the count although their figures do not add up or exceed the roll."""
    valid, blank, null, challenged, cast, electors = arrays
    bad = (valid + blank + null + challenged != cast) | ((electors >= 0) & (cast > electors))
    return {i for i in np.flatnonzero(bad).tolist() if states[i] in tf.COUNTED_STATES}


def _where(row: int, tables: list[str]) -> str:
    return f"sheet {row + 1} (table {tables[row]})"


def _version_problem(version: int, state: str, counts: tuple[int, ...], cur: Sheet | None) -> str | None:
    """Why a sheet's version cannot follow the table's current sheet (None: it can): version 1
    first; then the same version with the same figures (a change of state) or the next one."""
    if cur is None:
        return None if version == 1 else f"the table has no sheet yet, so this is version 1, not {version}"
    if version == cur.version:
        if counts != cur.counts:
            return (
                f"version {version} is already recorded (event {cur.seq}) with other figures: "
                f"a new version must be {cur.version + 1}"
            )
        if state == cur.state:
            return f"records nothing new (version, figures and state as at event {cur.seq})"
    elif version != cur.version + 1:
        expected = f"expected {cur.version} (a change of state) or {cur.version + 1}"
        return f"version {version} after version {cur.version} (event {cur.seq}): {expected}"
    return None


def _tally(table: str, sheet: Sheet) -> TallySheet:
    *votes, blank, null, challenged, cast = sheet.counts
    return TallySheet(table, tuple(votes), blank, null, challenged, cast)


def public_key_id(public_key: object) -> str | None:
    """The key id of a recorded public key (hex), or None when it is not one."""
    try:
        return PublicKey.from_hex(public_key).key_id  # type: ignore[arg-type]
    except SigningError:
        return None
