"""Sheet intake: clerks key tally sheets (double entry) and attach their scans.

``session.intake.submit_sheet(sheet, key)`` records one clerk's entry of one table's sheet;
the second clerk's entry processes it (see :mod:`escrutinio.intake.double_entry`). Each
action carries the client's idempotency key: a resubmission (a retry after a timeout, a
double click) returns the first result and writes nothing.

Entries go through the store's group commit (:meth:`Store.append_grouped`): many clerks'
entries arriving at once share one transaction instead of queueing for one commit each, and
each is decided there, under the write lock, on the state of its table read with the lock
(:mod:`escrutinio.store.entries`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.app.access import naming
from escrutinio.domain.errors import AlreadyDone, NotFound, RuleError, StaleState, StoreError
from escrutinio.domain.roles import Action
from escrutinio.ledger.events import EventType

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.domain.sheet import TallySheet
    from escrutinio.ledger.events import Event
    from escrutinio.ledger.pending import PendingEvent
    from escrutinio.store.entries import Decide, Decider, EntryState

ATTEMPTS = 50
"""How often an entry is tried again when its write was refused as stale (an entry decided
outside the committer, on a table another clerk keyed meanwhile; an observation case numbered
twice in one group): the next try decides on the state the other writer left."""


@dataclass(frozen=True)
class EntryReceipt:
    """What an entry did: the event that recorded it, the entry number, where the table's
    double entry stands (``awaiting_second_entry``, ``processed``, ``mismatch``), the
    processed sheet's state, the fields the entries disagree on, the observation case
    opened, and whether this is the first submission's result returned again."""

    table: str
    event: int
    entry: int
    state: str
    clerk: str
    at: str
    sheet_state: str | None = None
    differs: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    case: str | None = None
    already_done: bool = False
    recorded: tuple[int, ...] = field(default=(), repr=False, compare=False)
    """The events this action wrote (none when it was done before): the API's receipts name
    them without asking the log again (``api/receipts.py``). Not part of the answer."""

    def to_dict(self) -> dict[str, Any]:
        """The answer: every field but ``recorded``, in the order declared. Built by hand, not
        by ``dataclasses.asdict``: that copies each value recursively and cost a sheet entry,
        the busiest request of election night, more than the rest of its answer."""
        return {
            "table": self.table,
            "event": self.event,
            "entry": self.entry,
            "state": self.state,
            "clerk": self.clerk,
            "at": self.at,
            "sheet_state": self.sheet_state,
            "differs": list(self.differs),
            "reasons": list(self.reasons),
            "case": self.case,
            "already_done": self.already_done,
        }


@dataclass(frozen=True)
class ImageReceipt:
    """A scan attached to a table's sheet: the event, the SHA-256 it is kept under, its type."""

    table: str
    event: int
    sha256: str
    media_type: str
    size: int
    at: str
    already_done: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class IntakeService:
    """``session.intake``: double entry of tally sheets and their scanned images."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    # -- the roll ----------------------------------------------------------------------------

    def register_roll(self, path: Path, election: str) -> dict[str, int]:
        """Create a store holding the areas and tables of a tally-sheet file, without its
        sheets: the roll an election night starts from, before any sheet is keyed.

        ``election`` is a preset name or a TOML path. Returns the areas and tables registered.
        """
        from escrutinio.formats.definition import load_definition
        from escrutinio.formats.readers import read_sheets
        from escrutinio.formats.text import read_bytes
        from escrutinio.intake.plan import LoadMode, plan_load, start_plan
        from escrutinio.store.store import Store

        session = self.session
        session.require(Action.CREATE_STORE)
        if session.exists():
            from escrutinio.store.failures import shown

            raise StoreError(f"{shown(session.url)}: a store is already here; the roll is registered when a store is created")
        defined, text = load_definition(election)
        parsed = read_sheets(path, defined, read_bytes(path))
        # The sheets are dropped: their rules do not matter here, so none refuses the file.
        plan = plan_load(defined, *start_plan(defined), parsed, mode=LoadMode.OBSERVE)
        roll = [e for e in plan.events if e.type in (EventType.AREAS_REGISTERED, EventType.TABLES_REGISTERED)]
        session.created(Store.create(session.url, text, str(session.actor), roll))
        return {"areas": plan.summary["new_areas"], "tables": plan.summary["new_tables"]}

    # -- entries -----------------------------------------------------------------------------

    def submit_entry(
        self, table: str, votes: Mapping[str, int], *, blank: int, null: int, challenged: int, cast: int, key: str
    ) -> EntryReceipt:
        """:meth:`submit_sheet` with the votes keyed by choice id (as a form or a JSON body has them)."""
        from escrutinio.intake.double_entry import keyed_sheet

        election = self.session.election()
        return self.submit_sheet(keyed_sheet(table, votes, blank, null, challenged, cast, election), key)

    def submit_sheet(self, sheet: TallySheet, key: str) -> EntryReceipt:
        """Record this clerk's entry of ``sheet`` under the client's idempotency ``key``.

        Refused (nothing written) with :class:`RuleError` when the table is not on the roll,
        the figures do not fit the contest, or the entry is not one the double entry takes
        (see :func:`escrutinio.intake.double_entry.decide_entry`).

        The entry is decided by the group commit, under the write lock, on the table's state
        read there (:meth:`_decided`, :mod:`escrutinio.store.entries`): the key is checked
        first (a resubmission, a retry after a timeout, is answered with the first result),
        then the clerk's area, the roll and the double entry's rules, in that order, so a
        request is parsed, handed to the committer and waits, with no round trip of its own.
        A sheet the entry sends to the dispute body (the entries differ, or a rule observes
        it) needs its observation case, whose number is chosen from the docket: that entry is
        decided again outside the committer (:meth:`_decided_apart`), as every entry was.
        """
        store = self.session.store
        clerk, action, decider = self._entry_action(sheet, key)
        apart = False
        for attempt in range(ATTEMPTS):
            try:
                if apart:
                    written = self._decided_apart(sheet, clerk, action)
                else:
                    written = store.append_grouped([], clerk, keys=[action], decider=decider)
            except AlreadyDone as done:
                first = self._same_entry(store.event_at(done.seq), sheet, clerk, key)
                return self._entry_receipt(first, already_done=True)
            except _Observed:
                apart = True
                continue
            except StaleState:
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            return self._written_receipt(written)
        raise StaleState(None, 0, f"table {sheet.table}: the entry was decided {ATTEMPTS} times without being written; retry")

    async def submit_entry_soon(
        self, table: str, votes: Mapping[str, int], *, blank: int, null: int, challenged: int, cast: int, key: str
    ) -> EntryReceipt | None:
        """:meth:`submit_entry` from an event loop (a server's), for the entries that need no
        read of their own: handed to the group commit with no thread to wait on it
        (``Store.append_grouped_soon``), answered once their group is committed.

        None, with nothing written, when this entry needs what only a thread may do (it
        blocks on the store): the store is an SQLite file or not set up in this process yet,
        the key was used before (the first result is read), the entry opens an observation
        case (numbered from the docket) or its head moved; the caller then runs
        :meth:`submit_entry` on a thread, which does all of that as before. A refusal by the
        rules is raised as :meth:`submit_entry` raises it."""
        from escrutinio.intake.double_entry import keyed_sheet
        from escrutinio.store.location import sqlite_path

        shared = self.session.shared
        if shared is None or not shared.ready or shared.definition is None or sqlite_path(self.session.url) is not None:
            return None
        sheet = keyed_sheet(table, votes, blank, null, challenged, cast, self.session.election())
        clerk, action, decider = self._entry_action(sheet, key)
        try:
            written = await self.session.store.append_grouped_soon(clerk, [action], decider)
        except (AlreadyDone, _Observed, StaleState):
            return None
        return self._written_receipt(written)

    def _entry_action(self, sheet: TallySheet, key: str) -> tuple[str, str, Decider]:
        """The clerk, the store's action key and the decider of this clerk's entry of ``sheet``
        (refused at once when its figures do not fit the contest)."""
        from escrutinio.store.entries import Decider

        election = self.session.election()
        clerk = str(self.session.actor)
        if len(sheet.votes) != len(election.contest.choice_ids):
            raise RuleError(
                f"votes: {len(sheet.votes)} figures for the {len(election.contest.choice_ids)} choices of the contest"
            )
        action = _action_key("sheet", clerk, key)
        return clerk, action, Decider(sheet.table, lambda state: self._decided(sheet, clerk, state))

    def _written_receipt(self, written: list[Event]) -> EntryReceipt:
        """The receipt of an entry the group commit wrote (its events, in order)."""
        case = next((e.data["number"] for e in written if e.type == EventType.CASE_OPENED), None)
        return self._entry_receipt(written[0], written[1:2], case=case, recorded=written)

    def _same_entry(self, event: Event, sheet: TallySheet, clerk: str, key: str) -> Event:
        """The entry ``key`` recorded, when this is the same request (a resend): the same
        table and figures, by the same clerk; refused otherwise (:func:`replayed`)."""
        from escrutinio.app.idempotency import replayed
        from escrutinio.intake.double_entry import sheet_data
        from escrutinio.ledger.entry_seal import SEALED

        asked = {"table": sheet.table, "figures": sheet_data(sheet, self.session.election())}
        recorded = {"table": event.data.get("table"), "figures": event.data.get("sheet")}
        if "commitment" in event.data:  # a first entry: its figures are kept store-side
            kept = self.session.store.entry_state(str(event.data["table"])).events
            opened = next((e.data.get(SEALED) for e in kept if e.seq == event.seq), None)
            recorded["figures"] = opened["sheet"] if opened else None
        return replayed(event, EventType.SHEET_ENTERED, recorded, asked, key=key, field="Idempotency-Key", actor=clerk)

    def _decided(self, sheet: TallySheet, clerk: str, state: EntryState) -> list[PendingEvent]:
        """The events of this clerk's entry of ``sheet`` given its table's ``state`` (called by
        the group commit, under the write lock); raises the entry's refusal, or
        :class:`_Observed` for an entry that needs an observation case."""
        from escrutinio.intake.double_entry import decide_entry

        with naming(area="table"):
            self.session.require_areas(Action.SUBMIT_SHEET, [state.area])
        if not state.on_roll:
            raise NotFound(f"table: {sheet.table} is not on the roll of this election")
        decision = decide_entry(sheet, clerk, state.events, state.state, state.electors, self.session.election())
        if decision.reasons and decision.events[1:]:
            raise _Observed
        return decision.events

    def _decided_apart(self, sheet: TallySheet, clerk: str, action: str) -> list[Event]:
        """The entry decided on its table's state read by this request, with the observation
        case it opens, then appended (``StaleState`` when another writer recorded an entry of
        the table meanwhile, or a sheet: the caller decides again). The state it was decided on
        is checked again under the write lock (:func:`_unchanged`), not only read before."""
        from escrutinio.intake.double_entry import EntryRefused, decide_entry
        from escrutinio.store.entries import Decider

        store = self.session.store
        electors, current, earlier = self._entry_state(sheet.table, Action.SUBMIT_SHEET)
        try:
            decision = decide_entry(sheet, clerk, earlier, current, electors, self.session.election())
        except EntryRefused:
            done = store.known_keys([action])
            if done:
                raise AlreadyDone(action, done[action]) from None
            raise
        extra = self._observation(decision.events[1:], sheet.table, decision.reasons, decision.differs)
        events = [*decision.events, *extra]
        return store.append_grouped([], clerk, keys=[action], decider=Decider(sheet.table, _unchanged(current, earlier, events)))

    def check_entry(self, table: str) -> None:
        """Refuse, before anything is keyed, an entry of ``table`` this clerk could not record:
        outside their area, not on the roll, a sheet already there, both entries in, or the
        first entry their own (the rules :meth:`submit_sheet` applies, asked up front)."""
        from escrutinio.intake.double_entry import refuse_entry

        _, current, earlier = self._entry_state(table, Action.SUBMIT_SHEET)
        refuse_entry(table, str(self.session.actor), earlier, current)

    def _entry_state(self, table: str, action: Action) -> tuple[int | None, str | None, list[Event]]:
        """A table's electors, the state of the sheet it already has (None: none) and its entry
        events, once the clerk is found allowed to ``action`` in its area (the area comes with
        the rest, in the same query: ``session.require_tables`` read it from the roll's frames
        apart, on every entry of a clerk with an area); :class:`NotFound` when it is not on the
        roll (after the check, which a table off the roll leaves to the clerk's own area, as
        ``require_tables`` does)."""
        on_roll, electors, current, events, area = self.session.store.entry_state(table)
        with naming(area="table"):
            self.session.require_areas(action, [area])
        if not on_roll:
            raise NotFound(f"table: {table} is not on the roll of this election")
        return electors, current, events

    def _observation(
        self, recorded: list[PendingEvent], table: str, reasons: list[str], differs: list[str]
    ) -> list[PendingEvent]:
        """An observed sheet goes to the dispute body: an observation case, as a load opens one;
        a mismatch's names the fields the entries differ on (``entries_differ: votes.PL, cast``)."""
        if not recorded or not reasons:
            return []
        import polars as pl

        from escrutinio.disputes.service import Disputes
        from escrutinio.intake.double_entry import mismatch_grounds

        grounds = mismatch_grounds(differs) if differs else reasons[0]
        rows = pl.DataFrame({"table": [table], "reasons": [",".join(reasons)], "grounds": [grounds]})
        return Disputes(self.session, known_tables={table}).observation_events(rows)

    def _entry_receipt(
        self,
        event: Event,
        processed: list[Event] | None = None,
        *,
        case: str | None = None,
        already_done: bool = False,
        recorded: list[Event] | None = None,
    ) -> EntryReceipt:
        """The receipt of entry ``event``; ``processed``: the sheet it recorded, when the caller
        has it (else it is read: the event after the entry)."""
        if event.type != EventType.SHEET_ENTERED:
            raise StoreError(f"event {event.seq} is a {event.type}, not a sheet entry: the key names another action")
        data = event.data
        state = None
        reasons: list[str] = []
        if data["outcome"] != "awaiting_second_entry":
            (sheets_event,) = processed or [self.session.store.event_at(event.seq + 1)]
            sheets = sheets_event.data["sheets"]
            state, reasons = sheets["state"][0], [r for r in sheets["reasons"][0].split(",") if r]
        return EntryReceipt(
            table=data["table"],
            event=event.seq,
            entry=data["entry"],
            state=data["outcome"],
            clerk=event.actor,
            at=event.at,
            sheet_state=state,
            differs=list(data.get("differs", [])),
            reasons=reasons,
            case=case,
            already_done=already_done,
            recorded=tuple(e.seq for e in recorded or ()),
        )

    def entries(self, table: str) -> list[dict[str, Any]]:
        """A table's entries and scans, oldest first, each with its event, time and clerk; a
        first entry's figures only once the second entry is in (:func:`shown_entries`)."""
        from escrutinio.intake.double_entry import shown_entries

        return shown_entries(self.session.store.intake_events(table))

    # -- images ------------------------------------------------------------------------------

    def check_area(self, table: str, action: Action) -> None:
        """Refuse, before a scan's file or a sheet's body is read, ``action`` (attaching a scan,
        keying a sheet) on ``table`` by a clerk of another area: a skin asks it first, so a
        refused caller is told so, never what the file or the body must be."""
        with naming(area="table"):
            self.session.require_tables(action, [table])

    def attach_image(self, table: str, data: bytes, key: str) -> ImageReceipt:
        """Keep a scan of ``table``'s sheet (JPEG, PNG or PDF by its bytes, at most 10 MB) in
        the blob store and record its SHA-256 in a ``sheet.image_attached`` event."""
        from escrutinio.intake.images import image_media_type
        from escrutinio.ledger.pending import PendingEvent

        store = self.session.store
        clerk = str(self.session.actor)
        action = _action_key("image", clerk, key)
        self.check_area(table, Action.ATTACH_IMAGE)  # before the file is judged: a clerk of another area learns nothing of it
        media_type = image_media_type(data)
        done = store.known_keys([action])
        if done:
            return self._image_receipt(self._same_image(store.event_at(done[action]), table, data, clerk, key), True)
        if table not in store.electors([table]):
            raise NotFound(f"table: {table} is not on the roll of this election")
        sha = hashlib.sha256(data).hexdigest()
        kept = _kept_scan(store.intake_events(table), sha)
        if kept is not None:
            return self._image_receipt(kept, True)
        sha = store.put_blob(data, media_type)
        event = PendingEvent(
            EventType.SHEET_IMAGE_ATTACHED, {"table": table, "sha256": sha, "media_type": media_type, "size": len(data)}
        )
        scan = _scan_key(table, sha)
        try:
            return self._image_receipt(store.append_grouped([event], clerk, keys=[action, scan])[0], False)
        except AlreadyDone as exc:
            if exc.key == scan:  # the same scan, attached meanwhile under another key
                return self._image_receipt(store.event_at(exc.seq), True)
            return self._image_receipt(self._same_image(store.event_at(exc.seq), table, data, clerk, key), True)

    @staticmethod
    def _same_image(event: Event, table: str, data: bytes, clerk: str, key: str) -> Event:
        """The scan ``key`` recorded, when this is the same request: the same bytes for the
        same table, by the same clerk; refused otherwise (:func:`replayed`)."""
        import hashlib

        from escrutinio.app.idempotency import replayed

        asked = {"table": table, "image": hashlib.sha256(data).hexdigest()}
        recorded = {"table": event.data.get("table"), "image": event.data.get("sha256")}
        return replayed(event, EventType.SHEET_IMAGE_ATTACHED, recorded, asked, key=key, field="Idempotency-Key", actor=clerk)

    def _image_receipt(self, event: Event, already_done: bool) -> ImageReceipt:
        if event.type != EventType.SHEET_IMAGE_ATTACHED:
            raise StoreError(f"event {event.seq} is a {event.type}, not an image: the key names another action")
        d = event.data
        return ImageReceipt(d["table"], event.seq, d["sha256"], d["media_type"], d["size"], event.at, already_done)

    def image(self, sha256: str) -> tuple[bytes, str | None]:
        """A kept file's bytes, by its SHA-256 (checked as it is read), and its media type when it
        is a scan (``intake.images.served_scan_type``); ``None`` for any other kept file (a case's
        evidence), whose bytes are not to be opened as their name's type."""
        from escrutinio.app.cases import is_sha256
        from escrutinio.intake.images import served_scan_type

        store = self.session.store
        if not is_sha256(sha256.lower()):
            raise RuleError(f"sha256: {sha256[:80]!r} is not a SHA-256 (64 hexadecimal digits)")
        try:
            info = store.blob_info(sha256)
        except StoreError as exc:
            raise NotFound(f"sha256: {exc}") from None
        data = store.blob(sha256)
        return data, served_scan_type(data, info.media_type)


def _kept_scan(events: list[Event], sha256: str) -> Event | None:
    """The event that attached this very scan (by its SHA-256) to the table, if one did: the same
    file sent again, under any key and by anyone, is already done, not a second scan."""
    return next((e for e in events if e.type == EventType.SHEET_IMAGE_ATTACHED and e.data.get("sha256") == sha256), None)


def _scan_key(table: str, sha256: str) -> str:
    """The store's key for a table's scan by content: two requests racing with one file (under
    two idempotency keys) record it once; the second meets ``AlreadyDone`` naming the first."""
    return f"scan:{table}:{sha256}"


def _unchanged(state: str | None, earlier: list[Event], events: list[PendingEvent]) -> Decide:
    """A decider that appends ``events`` (an entry decided apart, on a table whose sheet was in
    ``state`` with the entries ``earlier``) only if the table is still so under the write lock;
    else :class:`StaleState`, and the entry is decided again. Why: a sheet recorded between
    the read and the write (a file loaded meanwhile) would otherwise get a second version 1."""
    entered = [e.seq for e in earlier if e.type == EventType.SHEET_ENTERED]

    def decide(now: EntryState) -> list[PendingEvent]:
        if now.state != state or [e.seq for e in now.events if e.type == EventType.SHEET_ENTERED] != entered:
            raise StaleState(None, 0, "the table changed while its entry was decided: nothing was written; retry")
        return events

    return decide


class _Observed(Exception):
    """An entry whose sheet goes to the dispute body: decided again with its observation case."""


def _action_key(kind: str, clerk: str, key: str) -> str:
    """The store's key for a clerk's action: two clerks who happen to pick the same key are
    two actions, and one clerk's key names one action of one kind."""
    if not key:
        raise RuleError("Idempotency-Key: an action needs a non-empty key")
    return f"{kind}:{clerk}:{key}"
