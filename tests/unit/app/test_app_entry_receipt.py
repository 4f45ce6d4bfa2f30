"""An entry's receipt as the API answers it: ``EntryReceipt.to_dict`` is built by hand (for
speed), so it must stay what ``dataclasses.asdict`` gives, less ``recorded``, key for key and in
the same order (the order is the answer's JSON, byte for byte)."""

from __future__ import annotations

from dataclasses import asdict, fields

import orjson
import pytest

from escrutinio.app.intake import EntryReceipt

RECEIPTS = [
    EntryReceipt("000001", 7, 1, "awaiting_second_entry", "clerk:ana", "2026-12-01T00:00:00Z"),
    EntryReceipt(
        "000002",
        9,
        2,
        "mismatch",
        "clerk:bea",
        "2026-12-01T00:00:01Z",
        sheet_state="observed",
        differs=["votes.PL", "null"],
        reasons=["R1"],
        case="OBS-1",
        already_done=True,
        recorded=(9, 10, 11),
    ),
]


@pytest.mark.parametrize("receipt", RECEIPTS)
def test_the_answer_is_every_field_but_recorded_in_order(receipt: EntryReceipt) -> None:
    expected = asdict(receipt)
    del expected["recorded"]
    answer = receipt.to_dict()
    assert orjson.dumps(answer) == orjson.dumps(expected)
    assert list(answer) == [f.name for f in fields(EntryReceipt) if f.name != "recorded"]


def test_the_answer_holds_copies_of_the_lists() -> None:
    receipt = RECEIPTS[1]
    answer = receipt.to_dict()
    answer["differs"].append("blank")
    assert receipt.differs == ["votes.PL", "null"]
