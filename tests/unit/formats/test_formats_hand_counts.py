"""The hand-count CSV reader: both layouts of a table's counts, ballot readings, and every bad row
named ``file:line:column`` (up to 100, then how many more)."""

from __future__ import annotations

import pytest

from escrutinio.domain.errors import InputError
from escrutinio.formats.hand_counts import CountRow, ReadingRow, read_hand_counts
from escrutinio.formats.problems import MAX_PROBLEMS

CHOICES = ("PL", "FP", "blank", "null", "other")


def _counts(text: str) -> list[CountRow]:
    return read_hand_counts(text.encode(), "hc.csv", readings=False, choices=CHOICES)  # type: ignore[return-value]


def _problems(text: str, *, readings: bool = False) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_hand_counts(text.encode() if isinstance(text, str) else text, "hc.csv", readings=readings, choices=CHOICES)
    return str(caught.value).splitlines()


def test_counts_in_one_column_or_one_column_per_choice_read_the_same() -> None:
    one = _counts('table,entry,counts,ballots,by\n000123,1,"PL=115,FP=87,null=18",220,A. Quispe\n')
    per_choice = _counts("\ufefftable,entry,PL,FP,null,ballots,by\r\n000123,1,115,87,18,220,A. Quispe\r\n\r\n")
    expected = [CountRow(2, "000123", 1, {"PL": 115, "FP": 87, "null": 18}, 220, "A. Quispe")]
    assert one == expected and per_choice == expected


def test_ballot_readings() -> None:
    rows = read_hand_counts(b"table,position,entry,vote,by\n000123,57,2,PL,bob\n", "r.csv", readings=True, choices=CHOICES)
    assert rows == [ReadingRow(2, "000123", 57, 2, "PL", "bob")]


def test_every_bad_row_is_named_with_its_line_and_column() -> None:
    text = (
        "table,entry,counts,ballots,by\n"
        '000001,1,"PL=1,FP=2",10,ana\n'
        '000002,3,"PL=1,FP=2",10,ana\n'
        '000003,1,"PL=1,XX=2",ten,ana\n'
        '000004,1,"PL=1,FP=2",10,\n'
        "000005,1\n"
        ',2,"PL=one",10,bob\n'
    )
    assert _problems(text) == [
        "hc.csv:3:entry: expected 1 or 2 (the double entry's first or second), got '3'",
        "hc.csv:4:ballots: expected a whole number, 0 or more, got 'ten'",
        "hc.csv:4:counts: expected a choice among PL, FP, blank, null, other, got 'XX'",
        "hc.csv:5:by: expected who entered it, got nothing",
        "hc.csv:6: expected 5 fields (table, entry, counts, ballots, by), got 2",
        "hc.csv:7:table: expected a table id, got nothing",
        "hc.csv:7:counts: expected CHOICE=N[,CHOICE=N...] with whole numbers, got 'PL=one'",
    ]


def test_problems_stop_at_a_hundred_then_say_how_many_more() -> None:
    rows = "".join(f"{i:06d},1,-1,10,ana\n" for i in range(150))
    lines = _problems("table,entry,PL,ballots,by\n" + rows)
    assert len(lines) == MAX_PROBLEMS + 1 and lines[-1] == "... and 50 more problems"
    assert lines[0] == "hc.csv:2:PL: expected a whole number, 0 or more, got '-1'"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "hc.csv:1: expected a header row, found an empty file"),
        ("table,entry,counts,ballots,by\n", "hc.csv:2: expected at least one row after the header"),
        ("table,entry,PL,ballots\n1,1,1,1\n", "hc.csv:1:by: expected a column 'by'"),
        ("table,entry,PL,XX,ballots,by\n", "hc.csv:1:XX: expected a choice column among PL, FP, blank, null, other (or counts)"),
        ("table,entry,ballots,by\n", "hc.csv:1: expected a counts column or one column per choice"),
        (b"table,entry,PL,ballots,by\n1,1,\xff,1,a\n", "hc.csv:2: expected UTF-8 text, found byte 0xff"),
    ],
)
def test_a_file_that_is_not_a_hand_count_file_says_what_was_expected(text: str, problem: str) -> None:
    assert _problems(text)[0].startswith(problem)


def test_a_polling_file_needs_its_own_columns() -> None:
    assert _problems("table,entry,counts,ballots,by\n", readings=True)[0].startswith("hc.csv:1:position: expected a column")
    assert _problems("table,position,entry,vote,by\n1,0,1,PL,a\n", readings=True) == [
        "hc.csv:2:position: expected a whole number, 1 or more, got '0'"
    ]
