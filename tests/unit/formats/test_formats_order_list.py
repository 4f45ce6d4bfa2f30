"""The count order a person gives (``--order``): ranks from times or ranks, every bad row named."""

from __future__ import annotations

from pathlib import Path

import pytest

from escrutinio.domain.errors import InputError
from escrutinio.formats.order_list import EXPECTED, ranks_of, read_order


def test_forensics_order_ranks_follow_times_and_ties_share_a_rank(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("table,at\n000003,2021-06-06T20:00\n000001,2021-06-06T18:00\n000002,2021-06-06T20:00\n")
    assert read_order(p) == {"000001": 1, "000003": 2, "000002": 2}


def test_forensics_order_without_at_is_one_set_counted_at_one_moment(tmp_path: Path) -> None:
    """A list of the tables a snapshot held says nothing about which came first: its rows' order is
    not the count's, so every listed table shares one rank (no made-up intermediate cuts)."""
    p = tmp_path / "order.csv"
    p.write_text("MESA_DE_VOTACION\n000009\n000002\n")
    assert read_order(p) == {"000009": 1, "000002": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("table,at\n000001,1\n999999,2\n", "order.csv:3:table: table '999999' is not in this election"),
        (
            "table,at\n000001,2021-06-06T18:00:00\n000002,3\n",
            "order.csv:3:at: expected a time as on line 2 (times and ranks cannot be mixed), got '3'",
        ),
        (
            "table,at\n000001,3\n000002,2021-06-06T18:00\n",
            "order.csv:3:at: expected a rank as on line 2 (times and ranks cannot be mixed)",
        ),
        ("table,at\n000001,-1\n", "order.csv:2:at: expected a rank of 0 or more, got '-1'"),
        ("table,at\n", "order.csv:1:table: no table is listed under the header: expected a header line with a column table"),
        ("table,at\n\n\n", "order.csv:1:table: no table is listed"),
        ("", "order.csv:1: the file is empty"),
        (
            "table,at\n000001,2021-06-06T18:00:00Z\n000002,2021-06-06T19:00:00\n",
            "order.csv:3:at: expected every time with a UTC offset or every time without one",
        ),
    ],
)
def test_forensics_order_refuses_a_bad_file_naming_the_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    p = tmp_path / "order.csv"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        read_order(p, known={"000001", "000002"})
    assert str(err.value).startswith(f"{tmp_path}/{expected}"), str(err.value)


def test_forensics_order_missing_file_says_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_order(tmp_path / "nope.csv")
    assert str(err.value) == f"{tmp_path}/nope.csv: file not found: expected a CSV file: {EXPECTED}"
    assert "os error" not in str(err.value)


def test_forensics_order_lines_count_blank_lines_and_a_bom(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_bytes("\ufefftable,at\n000001,1\n\n000002,x\n".encode())
    with pytest.raises(InputError, match=r"order.csv:4:at: expected a time \(ISO 8601\) or a rank"):
        read_order(p)


def test_forensics_order_arrival_times_tie_into_one_moment() -> None:
    times = {"a": "2026-11-30T21:00:00Z", "b": "2026-11-30T20:00:00.5Z", "c": "2026-11-30T21:00:00Z"}
    assert ranks_of(times) == {"a": 2, "b": 1, "c": 2}


def test_forensics_order_reports_every_bad_row(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("table,at\n000001,5\n,6\n000001,7\n000004,later\n")
    with pytest.raises(InputError) as err:
        read_order(p)
    text = str(err.value)
    assert f"{p}:3:table: expected a table id" in text
    assert f"{p}:4:table: table '000001' is listed twice at two moments ('5' on line 2, '7' here), first on line 2" in text
    assert f"{p}:5:at: expected a time (ISO 8601) or a rank (an integer), got 'later'" in text


def test_forensics_order_without_a_table_column_lists_the_file_columns(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("acta,hora\n1,2\n")
    with pytest.raises(InputError, match="the file has acta, hora"):
        read_order(p)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A ragged row: more fields than the header names.
        (
            "table,at,extra\n000001,1,x,y\n",
            "order.csv:2:field 4: expected 3 fields as the header has (table, at, extra), found 4",
        ),
        # Fewer: the first missing column is named.
        ("table,at\n000001\n", "order.csv:2:at: expected 2 fields as the header has (table, at), found 1"),
        ("table,table\n000001,000002\n", "order.csv:1:table: the header names column 'table' twice (columns 1 and 2)"),
        ('table\n"000001\n', "order.csv:2:table: a quote is left open: expected each quoted field to end with a closing quote"),
        ('table,at\n000001,"1\n000002,2\n', "order.csv:2:at: a quote is left open"),
    ],
)
def test_a_malformed_list_is_refused_naming_the_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    """Each of these gave exit 0 (the reviewer's ragged row, doubled header and open quote): every list
    of tables, an order or claims, is refused the same way."""
    from escrutinio.formats.table_list import read_table_list

    p = tmp_path / "order.csv"
    p.write_text(text)
    for read in (read_order, read_table_list):
        with pytest.raises(InputError) as err:
            read(p)
        assert str(err.value).startswith(f"{tmp_path}/{expected}"), (read, str(err.value))
        assert "\n" not in str(err.value)


def test_an_order_and_a_claims_list_take_the_same_headers(tmp_path: Path) -> None:
    """The TREP file's header (Número Mesa, with a BOM) is a list of tables to both readers. A table
    listed twice is weighed once by claims (a party can complain twice about one table) but refused
    in an order, the record of a count where each table is counted once (review13d #10: it was
    accepted silently)."""
    from escrutinio.formats.table_list import read_table_list

    p = tmp_path / "trep.csv"
    p.write_bytes("\ufeffNúmero Mesa,País\n1001,Bolivia\n1002,Bolivia\n1001,Bolivia\n".encode())
    with pytest.raises(InputError) as err:
        read_order(p)
    assert str(err.value).startswith(f"{p}:4:Número Mesa: table '1001' is listed twice at one moment, first on line 2")
    assert read_table_list(p) == ["1001", "1002", "1001"]
    assert read_table_list(p).place(2) == (str(p), 4, "Número Mesa")


def test_a_header_in_capitals_is_the_same_header(tmp_path: Path) -> None:
    """``TABLE,AT`` was refused ("expected a column MESA_DE_VOTACION, table, ...") where any CSV
    reader that matches names would take it (review13d #10)."""
    p = tmp_path / "order.csv"
    p.write_text("TABLE,AT\n000001,2\n000002,1\n")
    assert read_order(p) == {"000001": 2, "000002": 1}
    p.write_text("TABLE,AT\n000001,soon\n")
    with pytest.raises(InputError) as err:
        read_order(p)
    assert str(err.value).startswith(f"{p}:2:AT: expected a time")


def test_an_id_without_its_leading_zeros_names_the_same_table(tmp_path: Path) -> None:
    """ONPE writes 052235; a list that went through a spreadsheet writes 52235. Both name one table,
    in an order and in a claims list alike, and each reader answers with the election's id (the
    52235 of a published list was refused as "not in this election")."""
    from escrutinio.formats.table_list import read_known_tables

    p = tmp_path / "order.csv"
    p.write_text("table\n52235\n000001\n")
    known = {"052235", "000001", "000002"}
    assert read_order(p, known=known) == {"052235": 1, "000001": 1}
    assert read_known_tables(p, known, "claims") == ["052235", "000001"]


def test_an_id_matching_two_tables_once_zeros_are_dropped_is_refused(tmp_path: Path) -> None:
    from escrutinio.formats.table_list import read_known_tables

    p = tmp_path / "order.csv"
    p.write_text("table\n000001\n052235\n")
    known = {"052235", "52235", "000001"}
    why = "table '052235' matches 2 tables of this election once leading zeros are dropped ('052235' and '52235'): "
    with pytest.raises(InputError) as err:
        read_order(p, known=known)
    assert str(err.value) == f"{p}:3:table: {why}expected an id that names one table"
    with pytest.raises(InputError) as err:
        read_known_tables(p, known, "claims")
    assert str(err.value) == f"claims: {p}:3:table: {why}expected an id that names one table"


def test_a_table_listed_twice_in_two_spellings_is_listed_twice(tmp_path: Path) -> None:
    p = tmp_path / "order.csv"
    p.write_text("table\n052235\n52235\n")
    with pytest.raises(InputError) as err:
        read_order(p, known={"052235"})
    assert str(err.value).startswith(
        f"{p}:3:table: table '052235' (written '52235' here) is listed twice at one moment, first on line 2"
    )


def test_forensics_order_ranks_above_2_to_the_53_stay_apart(tmp_path: Path) -> None:
    """Ranks are read as the integers they are: as floats, 2**53 and 2**53 + 1 were one moment."""
    p = tmp_path / "order.csv"
    p.write_text(f"table,at\n000001,{2**53 + 1}\n000002,{2**53}\n000003,{2**64}\n")
    assert read_order(p) == {"000002": 1, "000001": 2, "000003": 3}
