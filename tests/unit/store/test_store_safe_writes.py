"""Safe writes at the store: the head an append was decided on, action keys, the store's clock,
content-addressed blobs, and a new store made once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest

from escrutinio.domain.errors import AlreadyDone, InputError, StaleState, StoreError
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store.engine import resolve_url
from escrutinio.store.store import Store

NOTE = "test.noted"
"""An event type no projection reads: these tests are about the log and its guards."""


def _new_store(db_url: str) -> Store:
    _, definition = load_definition("peru-2021-runoff")
    return Store.create(resolve_url(db_url), definition, "tester")


def _notes(*numbers: int) -> list[PendingEvent]:
    return [PendingEvent(NOTE, {"n": n}) for n in numbers]


def _count(store: Store, sql: str) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def test_an_append_on_a_stale_head_writes_nothing(db_url: str) -> None:
    store = _new_store(db_url)
    seen = store.head()[0]
    store.append(_notes(1), "a", expect_seq=seen)
    with pytest.raises(StaleState) as refused:
        store.append(_notes(2), "b", expect_seq=seen)
    assert str(refused.value) == (
        f"the store changed while this action was prepared (event {seen} was the last; now {seen + 1}): "
        "nothing was written; retry"
    )
    assert (refused.value.expected, refused.value.now) == (seen, seen + 1)
    assert store.head()[0] == seen + 1
    assert store.append(_notes(3), "b", expect_seq=seen + 1)[0].seq == seen + 2


def test_a_key_is_recorded_once_with_the_first_event_of_its_action(db_url: str) -> None:
    store = _new_store(db_url)
    written = store.append(_notes(1, 2), "a", keys=["file:abc:1", "file:abc:2"])
    assert store.known_keys(["file:abc:1", "file:abc:2", "file:abc:3"]) == {
        "file:abc:1": written[0].seq,
        "file:abc:2": written[0].seq,
    }
    head = store.head()
    with pytest.raises(AlreadyDone) as refused:
        store.append(_notes(3), "a", keys=["file:abc:3", "file:abc:2"], expect_seq=head[0])
    assert (refused.value.key, refused.value.seq) == ("file:abc:2", written[0].seq)
    assert str(refused.value) == f"action 'file:abc:2' was already recorded at event {written[0].seq}: nothing was written"
    assert store.head() == head
    assert store.known_keys(["file:abc:3"]) == {}


def test_a_known_key_wins_over_a_stale_head(db_url: str) -> None:
    """An action already done is not one to retry: the rerun hears that, not 'retry'."""
    store = _new_store(db_url)
    seen = store.head()[0]
    store.append(_notes(1), "a", keys=["k"], expect_seq=seen)
    with pytest.raises(AlreadyDone):
        store.append(_notes(1), "a", keys=["k"], expect_seq=seen)


def test_a_refused_append_leaves_no_key(db_url: str) -> None:
    store = _new_store(db_url)
    seen = store.head()[0]
    store.append(_notes(1), "a")
    with pytest.raises(StaleState):
        store.append(_notes(2), "a", keys=["late"], expect_seq=seen)
    assert store.known_keys(["late"]) == {}
    assert store.append(_notes(2), "a", keys=["late"])[0].seq == seen + 2


@pytest.mark.parametrize(
    ("keys", "error"),
    [(["x", "x"], "given twice"), ([""], "non-empty"), (["k" * 201], "at most 200"), ("abc", "not one string")],
)
def test_malformed_keys_are_refused_before_anything_is_written(db_url: str, keys: object, error: str) -> None:
    store = _new_store(db_url)
    head = store.head()
    with pytest.raises((ValueError, TypeError, InputError), match=error):
        store.append(_notes(1), "a", keys=keys)  # type: ignore[arg-type]
    assert store.head() == head


def test_a_key_needs_an_event(db_url: str) -> None:
    store = _new_store(db_url)
    with pytest.raises(ValueError, match="at least one event"):
        store.append([], "a", keys=["k"])


def test_racing_writers_with_one_key_record_it_once(db_url: str) -> None:
    """Eight threads, each with its own Store (its own connections), all submit one action."""
    url = resolve_url(db_url)
    _new_store(db_url).close()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def submit(n: int) -> None:
        store = Store.open(url)
        barrier.wait()
        try:
            store.append(_notes(n), f"clerk{n}", keys=["the-one"])
            outcomes.append("written")
        except AlreadyDone:
            outcomes.append("already")
        finally:
            store.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = Store.open(url)
    assert sorted(outcomes) == ["already"] * 7 + ["written"]
    assert _count(store, f"SELECT COUNT(*) FROM events WHERE type = '{NOTE}'") == 1
    assert _count(store, "SELECT COUNT(*) FROM action_keys") == 1


def test_events_are_stamped_with_the_store_clock(db_url: str) -> None:
    store = _new_store(db_url)
    before = store.clock()
    assert before.tzinfo is not None and before.utcoffset() == timedelta(0)
    assert abs(before - datetime.now(UTC)) < timedelta(minutes=5)
    written = store.append(_notes(1, 2), "a")
    after = store.clock()
    stamps = {datetime.strptime(e.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) for e in written}
    assert len(stamps) == 1  # one append, one moment
    assert before <= stamps.pop() <= after


def test_blobs_are_kept_by_content(db_url: str) -> None:
    store = _new_store(db_url)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    sha = store.put_blob(data, "image/png")
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.put_blob(data, "image/png") == sha  # idempotent
    assert _count(store, "SELECT COUNT(*) FROM blobs") == 1
    assert store.blob(sha) == data
    assert store.blob(sha.upper()) == data
    info = store.blob_info(sha)
    assert (info.media_type, info.size) == ("image/png", len(data))
    assert store.put_blob(b"", "text/plain") == hashlib.sha256(b"").hexdigest()
    assert store.blob(hashlib.sha256(b"").hexdigest()) == b""


def test_an_unknown_blob_or_a_bad_one_is_named(db_url: str) -> None:
    store = _new_store(db_url)
    with pytest.raises(StoreError, match=f"no file with SHA-256 {'0' * 64} in this store"):
        store.blob("0" * 64)
    with pytest.raises(InputError, match="expected type/subtype"):
        store.put_blob(b"x", "png")
    with pytest.raises(TypeError, match="bytes"):
        store.put_blob("text", "text/plain")  # type: ignore[arg-type]


def test_a_blob_over_the_limit_is_refused(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import escrutinio.store.store as module

    monkeypatch.setattr(module, "MAX_BLOB_BYTES", 1000)
    store = _new_store(db_url)
    with pytest.raises(StoreError, match="file of 1,001 bytes: at most 1,000 bytes can be kept"):
        store.put_blob(b"x" * 1001, "application/octet-stream")
    assert _count(store, "SELECT COUNT(*) FROM blobs") == 0


def test_two_first_loads_racing_make_one_store(db_url: str) -> None:
    """Both find no store and create one: one wins whole, the other is told to retry."""
    url = resolve_url(db_url)
    _, definition = load_definition("peru-2021-runoff")
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        barrier.wait()
        try:
            Store.create(url, definition, "loader").close()
            outcomes.append("created")
        except StaleState as refused:
            assert str(refused).endswith("the store was created meanwhile by another command: nothing was written; retry")
            outcomes.append("stale")

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["stale"] * 3
    store = Store.open(url)
    assert store.head()[0] == 1
    assert store.election().id == "peru-2021-runoff"


def test_a_store_is_made_whole_with_its_first_events_or_not_at_all(db_url: str) -> None:
    url = resolve_url(db_url)
    _, definition = load_definition("peru-2021-runoff")
    with pytest.raises(InputError):
        Store.create(url, definition, "loader", [PendingEvent(NOTE, {"table": "1" * 65})])
    assert not Store.exists(url)
    store = Store.create(url, definition, "loader", _notes(1, 2), keys=["first-load"])
    assert store.head()[0] == 3
    assert store.known_keys(["first-load"]) == {"first-load": 1}
