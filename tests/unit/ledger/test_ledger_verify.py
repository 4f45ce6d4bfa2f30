"""Checking an exported log: the first broken place is named by line and event."""

from __future__ import annotations

import pytest

from escrutinio.ledger.events import GENESIS, EventType, seal
from escrutinio.ledger.verify import ChainError, read_events

AT = "2021-06-07T03:00:00.000000Z"


def lines(n: int = 4) -> list[bytes]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = seal(seq, EventType.SHEETS_RECORDED, "onpe", {"table": f"{seq:06d}", "votes": [115, 87]}, prev, at=AT)
        out.append(event.line() + b"\n")
        prev = event.hash
    return out


def broken(log: list[bytes]) -> ChainError:
    with pytest.raises(ChainError) as caught:
        list(read_events(log))
    return caught.value


def test_a_whole_log_reads_back_in_order() -> None:
    events = list(read_events(lines()))
    assert [e.seq for e in events] == [1, 2, 3, 4] and events[-1].data["table"] == "000004"


def test_one_changed_byte_is_named_at_its_line_and_event() -> None:
    log = lines()
    log[2] = log[2].replace(b"[115,87]", b"[116,87]")  # the same length, another vote
    error = broken(log)
    assert (error.line, error.seq) == (3, 3) and "hash does not match" in str(error)


def test_a_line_rewritten_with_a_fresh_hash_breaks_the_next_link() -> None:
    log = lines()
    forged = seal(2, EventType.SHEETS_RECORDED, "onpe", {"table": "000002", "votes": [200, 2]}, read_hash(log[0]), at=AT)
    log[1] = forged.line() + b"\n"
    error = broken(log)
    assert (error.line, error.seq) == (3, 3) and "prev does not match" in str(error)


def read_hash(line: bytes) -> str:
    return next(read_events([line])).hash


def test_a_missing_event_is_named_by_the_sequence_it_expected() -> None:
    log = lines()
    del log[1]
    error = broken(log)
    assert error.line == 2 and "expected sequence number 2" in str(error)


def test_a_line_that_is_not_canonical_is_refused_even_with_the_right_hash() -> None:
    log = lines()
    log[0] = log[0].replace(b'","', b'", "', 1)
    error = broken(log)
    assert (error.line, error.seq) == (1, 1) and "canonical" in str(error)


def test_a_line_that_is_not_json_or_lacks_a_field_is_named() -> None:
    assert broken([b"{not json\n"]).line == 1
    missing = broken([b'{"seq":1,"type":"x"}\n'])
    assert missing.seq == 1 and "exactly seq, type, at, actor, data, prev, hash" in str(missing)


def test_the_events_before_the_break_are_given_and_none_after() -> None:
    log = lines()
    log[2] = log[2].replace(b"[115,87]", b"[116,87]")
    got = []
    with pytest.raises(ChainError):
        for event in read_events(log):
            got.append(event.seq)
    assert got == [1, 2]
