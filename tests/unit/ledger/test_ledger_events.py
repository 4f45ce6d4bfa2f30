"""Events and the hash chain: each hash covers the six fields and the previous hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import orjson

from escrutinio.ledger.canonical import canonical, parse
from escrutinio.ledger.events import GENESIS, EventType, digest, seal, seal_encoded, timestamp

AT = "2021-06-07T03:00:00.000000Z"


def chain(n: int) -> list:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = seal(seq, EventType.SHEETS_RECORDED, "onpe", {"table": f"{seq:06d}", "votes": [115, 87]}, prev, at=AT)
        events.append(event)
        prev = event.hash
    return events


def test_the_hash_is_the_sha256_of_the_canonical_body() -> None:
    event = seal(1, EventType.ELECTION_DEFINED, "admin", {"election": "peru-2021-runoff"}, GENESIS, at=AT)
    assert event.hash == digest(event.body()) and len(event.hash) == 64
    assert event.body() == {
        "seq": 1,
        "type": "election.defined",
        "at": AT,
        "actor": "admin",
        "data": {"election": "peru-2021-runoff"},
        "prev": GENESIS,
    }


def test_every_field_is_covered_by_the_hash() -> None:
    event = chain(1)[0]
    for changed in (
        replace(event, seq=2),
        replace(event, type=EventType.CASE_OPENED),
        replace(event, at="2021-06-07T03:00:00.000001Z"),
        replace(event, actor="onpf"),
        replace(event, data={**event.data, "votes": [116, 87]}),
        replace(event, prev="1" + GENESIS[1:]),
    ):
        assert digest(changed.body()) != event.hash, changed


def test_each_event_links_to_the_one_before() -> None:
    events = chain(3)
    assert events[0].prev == GENESIS
    assert [e.prev for e in events[1:]] == [e.hash for e in events[:-1]]


def test_changing_an_early_event_changes_every_later_hash() -> None:
    events = chain(3)
    altered = seal(1, events[0].type, events[0].actor, {**events[0].data, "votes": [115, 88]}, GENESIS, at=AT)
    second = seal(2, events[1].type, events[1].actor, events[1].data, altered.hash, at=AT)
    assert altered.hash != events[0].hash and second.hash != events[1].hash


def test_sealing_encoded_data_gives_the_hash_sealing_the_object_gives() -> None:
    data = {"sheets": {"table": ["000001", "000002"], "votes": {"PL": [115, 98], "FP": [87, 90]}}}
    event = seal(7, EventType.SHEETS_RECORDED, "onpe", data, GENESIS, at=AT)
    assert seal_encoded(7, EventType.SHEETS_RECORDED, "onpe", canonical(data), GENESIS, at=AT) == (AT, event.hash)


def test_the_exported_line_is_canonical_and_carries_the_hash() -> None:
    event = chain(1)[0]
    line = event.line()
    assert canonical(parse(line)) == line and orjson.loads(line)["hash"] == event.hash


def test_timestamps_are_utc_with_microseconds_and_sort_as_text() -> None:
    lima = timezone(timedelta(hours=-5))
    assert timestamp(datetime(2021, 6, 6, 22, 0, 0, 5, tzinfo=lima)) == "2021-06-07T03:00:00.000005Z"
    assert timestamp(datetime(2021, 6, 7, 3, tzinfo=UTC)) < timestamp(datetime(2021, 6, 7, 3, 0, 0, 1, tzinfo=UTC))
    assert timestamp().endswith("Z")


def test_every_event_type_has_one_spelling() -> None:
    spelled = [v for k, v in vars(EventType).items() if k.isupper() and isinstance(v, str)]
    assert len(spelled) == len(set(spelled))
    assert set(EventType.CASE_EVENTS) | set(EventType.AUDIT_EVENTS) <= set(spelled)
