"""Bytes to text: gzip, encodings, and the csv module's limits, each a one-line problem with its place."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from escrutinio.domain.errors import InputError
from escrutinio.formats.table_list import read_table_list
from escrutinio.formats.text import CsvRows, decode, read_bytes, read_text


def message(call: object, *args: object) -> list[str]:
    with pytest.raises(InputError) as err:
        call(*args)  # type: ignore[operator]
    return str(err.value).splitlines()


def test_gzip_is_read_through_and_a_damaged_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert read_bytes(path) == b"a,b\n1,2\n"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n")[:12])
    (line,) = message(read_bytes, path)
    assert line.startswith(f"{path}: damaged gzip file")


def test_a_missing_or_empty_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert message(read_bytes, missing) == [f"{missing}: cannot read the file (No such file or directory)"]
    (tmp_path / "empty.csv").write_bytes(b" \n\n")
    assert message(read_bytes, tmp_path / "empty.csv") == [
        f"{tmp_path / 'empty.csv'}:1: the file is empty: expected a header line and rows"
    ]


def test_every_line_with_a_bad_byte_is_named_with_its_column() -> None:
    raw = "name,town\nPeña,Ñuñoa\nok,ok\nMüller,Zürich\n".encode("latin-1")
    assert message(decode, raw, "f.csv", "utf-8") == [
        "f.csv:2:3: byte 0xf1 is not utf-8: expected utf-8 text (a file in Latin-1 or Windows-1252? say so with [source] "
        'encoding = "latin-1" in its definition)',
        "f.csv:4:2: byte 0xfc is not utf-8: expected utf-8 text",
    ]
    assert decode(raw, "f.csv", "latin-1").splitlines()[1] == "Peña,Ñuñoa"


def test_past_a_hundred_bad_lines_the_rest_are_counted() -> None:
    raw = b"h\n" + b"\xe9\n" * 130
    lines = message(decode, raw, "f.csv", "utf-8")
    assert len(lines) == 101
    assert lines[-1] == "... and 30 more problems"


def test_utf_8_with_a_byte_order_mark_and_utf_16_and_unknown_encodings() -> None:
    assert decode(b"\xef\xbb\xbfa,b\n", "f.csv", "utf-8") == "a,b\n"
    assert "UTF-16" in message(decode, "a,b\n".encode("utf-16"), "f.csv", "utf-8")[0]
    assert message(decode, b"a,b\n", "f.csv", "klingon") == ["f.csv: unknown encoding 'klingon'"]


def test_read_text_says_how_to_mend_a_latin_1_file(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes("table,grounds\n000001,Espa\u00f1a\n".encode("latin-1"))
    (line,) = message(read_text, path)
    assert line == (
        f"{path}:2:12: byte 0xf1 is not utf-8: expected utf-8 text (a file in Latin-1 or Windows-1252? save it as UTF-8)"
    )


@pytest.fixture
def default_csv_limit() -> Iterator[None]:
    """The csv module's field limit is process-wide and other libraries raise it (frictionless
    does, when a data package is validated in the same worker): pin the default here."""
    before = csv.field_size_limit(128 * 1024)
    yield
    csv.field_size_limit(before)


def test_a_csv_field_over_the_csv_modules_limit_is_one_line_naming_the_row(default_csv_limit: None) -> None:
    text = 'table,grounds\n000001,short\n000002,"' + "x" * 140_000 + '"\n000003,short\n'
    rows = CsvRows(text, "claims.csv")
    assert next(rows) == ["table", "grounds"]
    assert next(rows) == ["000001", "short"]
    assert rows.line_num == 2
    with pytest.raises(InputError) as err:
        next(rows)
    assert str(err.value) == "claims.csv:3: cannot read this CSV row (a field longer than 128 KiB: is a quote left open?)"


def test_a_list_of_tables_keeps_leading_zeros_and_names_every_empty_id(tmp_path: Path) -> None:
    path = tmp_path / "tables.csv"
    path.write_text("MESA_DE_VOTACION\n000001\n 000002 \n", encoding="utf-8")
    assert read_table_list(path) == ["000001", "000002"]
    path.write_text('mesa\n000001\n""\n000003\n""\n', encoding="utf-8")
    assert message(read_table_list, path) == [
        f"{path}:3:mesa: expected a table id, found nothing",
        f"{path}:5:mesa: expected a table id, found nothing",
    ]
    path.write_bytes(b"PK\x03\x04rest")
    assert message(read_table_list, path) == [
        f"{path}:1: this looks like a ZIP archive (an .xlsx workbook is one), not a CSV list of tables"
    ]
