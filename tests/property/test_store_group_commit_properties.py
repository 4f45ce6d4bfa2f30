"""Group commit writes what appending one by one writes: the same events, in the same order,
and each request's own refusal, whatever mix of keys and expected heads a group holds.

One transaction with a savepoint per request (Store.write_group) against the same requests
appended one at a time (Store.append), on real SQLite and PostgreSQL stores.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import fresh_pg_database

from escrutinio.domain.errors import AlreadyDone, InputError, StaleState
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.verify import read_events
from escrutinio.store.engine import resolve_url
from escrutinio.store.group_commit import GroupRequest
from escrutinio.store.store import Store

NOTE = "test.noted"
AREAS_REGISTERED = EventType.AREAS_REGISTERED

# A request: how many events, an optional key from a small pool (so keys repeat), whether it
# expects the head to be where the previous request left it (right) or one behind (stale), and
# whether it fails half-written (an area registered, then an event over a field's limit: what
# the first wrote must be rolled back with it).
requests = st.lists(
    st.tuples(
        st.integers(1, 3),
        st.none() | st.sampled_from(["a", "b", "c"]),
        st.sampled_from([None, "right", "stale"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=12,
)


def _store(engine: str, tmp: Path) -> Store:
    _, definition = load_definition("peru-2021-runoff")
    url = str(tmp / f"{uuid.uuid4().hex}.db") if engine == "sqlite" else fresh_pg_database()
    return Store.create(resolve_url(url), definition, "tester")


def _outcome(result: object) -> str:
    return type(result).__name__ if isinstance(result, BaseException) else f"ok:{len(result)}"  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=requests)
def test_a_group_writes_what_one_by_one_writes(engine: str, tmp_path: Path, spec: list) -> None:
    grouped, alone = _store(engine, tmp_path), _store(engine, tmp_path)
    try:
        head = grouped.head()[0]
        assert alone.head()[0] == head
        reqs: list[GroupRequest] = []
        one_by_one: list[object] = []
        for i, (n, key, expect, poison) in enumerate(spec):
            now = alone.head()[0]
            expect_seq = None if expect is None else (now if expect == "right" else now - 1)
            pending = [PendingEvent(NOTE, {"request": i, "n": j}) for j in range(n)]
            if poison:
                area = {"code": ["X1"], "level": [1], "kind": ["region"], "name": ["X"], "parent": [None]}
                pending = [PendingEvent(AREAS_REGISTERED, {"areas": area}), PendingEvent(NOTE, {"text": "x" * 100_000})]
            keys = [key] if key else []
            reqs.append(GroupRequest(pending, f"clerk{i % 3}", expect_seq, keys))
            try:
                one_by_one.append(alone.append(pending, f"clerk{i % 3}", expect_seq=expect_seq, keys=keys))
            except (AlreadyDone, StaleState, InputError) as exc:
                one_by_one.append(exc)
        together = grouped.write_group(reqs)
        assert [_outcome(r) for r in together] == [_outcome(r) for r in one_by_one]
        for mine, theirs in zip(together, one_by_one, strict=True):
            if isinstance(mine, list):
                assert [e.seq for e in mine] == [e.seq for e in theirs]  # type: ignore[union-attr]
        logged = [(e.seq, e.type, e.actor, e.data) for e in read_events(grouped.event_lines())]
        assert logged == [(e.seq, e.type, e.actor, e.data) for e in read_events(alone.event_lines())]
        assert grouped.known_keys(["a", "b", "c"]) == alone.known_keys(["a", "b", "c"])
        assert grouped.areas().height == alone.areas().height == 0  # the half-written ones rolled back
    finally:
        grouped.close()
        alone.close()
