"""Random rewrites of an exported record: ``verify`` fails every time and names where.

The record is a small election with cases and an audit (``tests.records.small_record``). Each
example rewrites it once — a figure changed, an event dropped, two swapped, one duplicated, a
forged event appended, the published head replaced — either crudely (the hashes left as they
were) or as a forger would (every hash recomputed). Verified against the head that was
published, every rewrite fails, at the first line that differs or, when only the head can tell,
at the record's last event. Forged events that break a rule fail even with no head given, at
the forged event; so does an act re-attributed to a role that may not take it. 1,300 examples.
"""

from __future__ import annotations

import copy
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.records import forged, read, reseal, sheet_event, small_record, write

from escrutinio.app import Session
from escrutinio.domain.errors import EscrutinioError
from escrutinio.ledger.events import Event, EventType
from escrutinio.ledger.semantic import ACTIONS, KNOWN_TYPES, Discrepancy, SemanticReplay
from escrutinio.ledger.verify import ChainError

REWRITES = ("figure", "drop", "reorder", "duplicate", "forge")


@cache
def original() -> tuple[Path, str, tuple[Event, ...], SemanticReplay]:
    folder = Path(tempfile.mkdtemp(prefix="verify-properties-"))
    path, head = small_record(folder, audit=True)
    events = read(path)
    replay = SemanticReplay()
    for event in events:
        replay.apply(event)
    return path, head, tuple(events), replay


def failure(events: list[Event], head: str | None) -> EscrutinioError | None:
    """What verify says of ``events`` (None: it passes)."""
    path = write(original()[0].parent / "mutated.jsonl", events)
    try:
        Session(str(path.parent / "no-store.db")).log.verify(path, head=head)
    except EscrutinioError as exc:
        return exc
    return None


def where(error: EscrutinioError) -> int:
    """The line (= event number) an error names."""
    assert isinstance(error, ChainError | Discrepancy), f"not named by event: {error!r}"
    return error.line if isinstance(error, ChainError) else error.seq


def first_difference(events: list[Event], before: tuple[Event, ...]) -> int:
    """The first line (1-based) where the rewritten record differs from the published one; for
    a record cut short (a prefix of the published one), its last line: only the head tells."""
    for i, (a, b) in enumerate(zip(events, before, strict=False)):
        if a.line() != b.line():
            return i + 1
    return len(events) if len(events) < len(before) else len(before) + 1


def int_paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in an event's data that holds a whole number."""
    if isinstance(obj, bool):
        return []
    if isinstance(obj, int):
        return [path]
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    return [p for k, v in items for p in int_paths(v, (*path, k))]


def set_at(data: dict[str, Any], path: tuple[Any, ...], value: int) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@st.composite
def rewrites(draw: st.DrawFn) -> list[Event]:
    events = list(original()[2])
    kind = draw(st.sampled_from(REWRITES))
    n = len(events)
    if kind == "figure":
        i = draw(st.sampled_from([k for k, e in enumerate(events) if int_paths(e.data)]))
        path = draw(st.sampled_from(int_paths(events[i].data)))
        old = events[i].data
        for key in path:
            old = old[key]
        value = draw(st.integers(0, 100_000).filter(lambda v: v != old))
        e = events[i]
        events[i] = Event(e.seq, e.type, e.at, e.actor, set_at(e.data, path, value), e.prev, e.hash)
    elif kind == "drop":
        del events[draw(st.integers(0, n - 1))]
    elif kind == "reorder":
        i, j = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True).map(sorted))
        events[i], events[j] = events[j], events[i]
    elif kind == "duplicate":
        i = draw(st.integers(0, n - 1))
        events.insert(i + 1, events[i])
    else:
        events.append(draw(forgeries()))
    return events


@st.composite
def forgeries(draw: st.DrawFn) -> Event:
    """An event a forger appends that breaks a rule the replay checks."""
    _path, _head, events, replay = original()
    sheets = next(e for e in events if e.type == EventType.SHEETS_RECORDED)
    tables = sorted(replay.current)
    kind = draw(st.sampled_from(["electors", "arithmetic", "roll", "version", "repeat", "type", "case", "reopen", "audit"]))
    table = draw(st.sampled_from(tables))
    cur, electors = replay.current[table], replay.electors[table] or 0
    pl = draw(st.integers(0, 1_000))
    if kind == "electors":
        cast = draw(st.integers(electors + 1, electors + 100_000))
        return sheet_event(
            sheets, table, cur.version + 1, {"PL": cast - pl if cast > pl else 0, "FP": min(pl, cast), "cast": cast}
        )
    if kind == "arithmetic":
        fp = draw(st.integers(0, electors // 2))
        cast = draw(st.integers(0, electors).filter(lambda c: c != pl % (electors // 2 + 1) + fp))
        return sheet_event(sheets, table, cur.version + 1, {"PL": pl % (electors // 2 + 1), "FP": fp, "cast": cast})
    if kind == "roll":
        other = draw(st.text("0123456789", min_size=6, max_size=6).filter(lambda t: t not in replay.electors))
        return sheet_event(sheets, other, 1, {"PL": 1, "FP": 1, "cast": 2})
    if kind in ("version", "repeat"):
        version = cur.version if kind == "repeat" else draw(st.sampled_from([0, cur.version + 2, cur.version + 50]))
        fp = draw(st.integers(0, electors // 2))
        counts = {"PL": electors // 2 - fp // 2, "FP": fp, "cast": electors // 2 - fp // 2 + fp}
        event = sheet_event(sheets, table, version, counts)
        if kind == "repeat" and event.data["sheets"]["cast"][0] == cur.counts[-1]:
            event.data["sheets"]["null"] = [1]
            event.data["sheets"]["cast"] = [cur.counts[-1] + 1]
        return event
    if kind == "type":
        return forged(
            sheets, draw(st.text("abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=20).filter(lambda t: t not in KNOWN_TYPES))
        )
    case_events = [e for e in events if e.type in EventType.CASE_EVENTS]
    template = draw(st.sampled_from(case_events))
    if kind == "case":
        number = draw(
            st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789", min_size=3, max_size=20).filter(lambda t: t not in replay.cases)
        )
        type_ = EventType.CASE_OPENED if template.type != EventType.CASE_OPENED else EventType.CASE_RULED
        if type_ == EventType.CASE_OPENED:
            return forged(template, EventType.CASE_RULED, **{**template.data, "number": number})
        return forged(template, **{**template.data, "number": number})
    if kind == "reopen":
        opened = draw(st.sampled_from([e for e in case_events if e.type == EventType.CASE_OPENED]))
        return forged(opened)
    audit = draw(
        st.sampled_from(
            [e for e in events if e.type in (EventType.AUDIT_SEEDED, EventType.AUDIT_MEASURED, EventType.AUDIT_SAMPLED)]
        )
    )
    return forged(audit)


@settings(max_examples=400)
@given(rewrites())
def test_a_crude_rewrite_fails_at_the_first_line_it_changed(events: list[Event]) -> None:
    _path, head, before, _replay = original()
    error = failure(events, head)
    assert error is not None
    assert where(error) == first_difference(events, before), str(error)


@settings(max_examples=400)
@given(rewrites())
def test_a_rewrite_with_every_hash_recomputed_fails_against_the_published_head(events: list[Event]) -> None:
    _path, head, before, _replay = original()
    events = reseal(events)
    error = failure(events, head)
    assert error is not None
    assert first_difference(events, before) <= where(error) <= len(events), str(error)


@settings(max_examples=300)
@given(forgeries())
def test_a_forged_event_fails_at_itself_with_no_head_given(event: Event) -> None:
    _path, _head, before, _replay = original()
    events = reseal([*before, event])
    error = failure(events, None)
    assert isinstance(error, Discrepancy) and error.seq == len(events), (event.type, str(error))


@settings(max_examples=100)
@given(st.text("0123456789abcdef", min_size=64, max_size=64))
def test_another_head_than_the_record_s_fails(head: str) -> None:
    _path, real, before, _replay = original()
    error = failure(list(before), head)
    assert (error is None) == (head == real)
    if error is not None:
        assert where(error) == len(before)


@settings(max_examples=100)
@given(st.data())
def test_an_act_rewritten_as_by_a_role_that_may_not_take_it_fails_at_it(data: st.DataObject) -> None:
    """A ruling, finalisation or audit step re-attributed to a clerk (who may take none of them),
    every hash recomputed and no head given: verify fails at that event."""
    _path, _head, before, _replay = original()
    events = list(before)
    i = data.draw(st.sampled_from([k for k, e in enumerate(events) if e.type in ACTIONS]))
    name = data.draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12))
    e = events[i]
    events[i] = Event(e.seq, e.type, e.at, f"clerk:{name}", e.data, e.prev, e.hash)
    error = failure(reseal(events), None)
    assert isinstance(error, Discrepancy) and error.seq == i + 1 and "role" in str(error), str(error)
