"""The bulk-filing CSV: layout, every problem named by file:line:column, times, row keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from escrutinio.disputes.requests_csv import read_requests, read_requests_csv, write_requests_csv
from escrutinio.domain.claims import CaseKind, EffectKind, Filing
from escrutinio.domain.errors import InputError
from escrutinio.domain.roles import Role

LIMA = ZoneInfo("America/Lima")
HEADER = "table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested"


def test_requests_csv_round_trip() -> None:
    filing = Filing(
        CaseKind.NULLITY_REQUEST,
        ("000013",),
        "FP",
        Role.REPRESENTATIVE,
        datetime(2021, 6, 9, 19, 30, tzinfo=LIMA),
        "b",
        None,
        ("a" * 64, "b" * 64),
        None,
        EffectKind.ANNUL,
    )
    text = write_requests_csv([filing])
    assert text.splitlines()[0] == "table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested"
    (back,) = read_requests_csv("requests.csv", text)
    assert back == filing


def test_requests_csv_errors_name_file_line_and_column() -> None:
    text = (
        "table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested\n"
        "000013,FP,2021-06-09T19:30:00-05:00,b,R1,,annul\n"
        "000026,,2021-06-09T19:30:00,b,,xyz,annul\n"
        "000027,FP,yesterday,b,,,recount\n"
        "000028,FP\n"
    )
    with pytest.raises(InputError) as err:
        read_requests_csv("bulk.csv", text)
    message = str(err.value)
    for place in (
        "bulk.csv:3:filer",
        "bulk.csv:3:filed_at",
        "bulk.csv:3:evidence_sha256",
        "bulk.csv:4:filed_at",
        "bulk.csv:4:requested",
        "bulk.csv:5:",
    ):
        assert place in message
    assert "bulk.csv:2" not in message
    (ok,) = read_requests_csv("bulk.csv", "\n".join(text.splitlines()[:2]), zone=LIMA)
    assert ok.fee_receipt == "R1" and ok.evidence == ()
    naive = read_requests_csv("b.csv", text.splitlines()[0] + "\n000026,FP,2021-06-09T19:30:00,b,,,annul\n", zone=LIMA)
    assert naive[0].filed_at.tzinfo is LIMA


def test_requests_csv_header_problems(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("table,filer,when\n")
    with pytest.raises(InputError) as err:
        read_requests_csv(path)
    assert f"{path}:1:filed_at: missing column" in str(err.value) and f"{path}:1:when: unexpected column" in str(err.value)
    path.write_text("")
    with pytest.raises(InputError):
        read_requests_csv(path)


def test_an_ordinary_import_is_filed_at_receipt_and_may_not_state_its_time() -> None:
    received = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    text = "table,filer,grounds,fee_receipt,evidence_sha256,requested\n000013,FP,b,R1,,\n"  # no filed_at column
    rows = read_requests("r.csv", text, received=received)
    assert [r.filing.filed_at for r in rows] == [received] and rows[0].line == 2
    with pytest.raises(InputError) as err:
        read_requests("r.csv", f"{HEADER}\n000013,FP,2021-06-09T19:30:00-05:00,b,R1,,annul\n", received=received)
    assert "r.csv:2:filed_at: a request is filed when the store receives it" in str(err.value)


def test_row_keys_follow_the_content_not_the_file() -> None:
    """The same row in two files has one key (an overlapping file adds only its new rows); two
    identical rows in one file are two requests with two keys; any change of a cell is another key."""
    received = datetime(2026, 1, 2, tzinfo=UTC)
    first = read_requests("a.csv", f"{HEADER}\n000013,FP,,b,R1,,annul\n000014,FP,,b,R2,,annul\n", received=received)
    second = read_requests("b.csv", f"{HEADER}\n000014,FP,,b,R2,,annul\n000015,FP,,b,R3,,annul\n", received=received)
    assert first[1].key == second[0].key and first[0].key != second[1].key
    twice = read_requests("c.csv", f"{HEADER}\n000013,FP,,b,,,annul\n000013,FP,,b,,,annul\n", received=received)
    assert twice[0].key != twice[1].key and twice[0].key.endswith(":0") and twice[1].key.endswith(":1")
    other = read_requests("d.csv", f"{HEADER}\n000013,FP,,b,R1,,count_as_is\n", received=received)
    assert other[0].key != first[0].key
