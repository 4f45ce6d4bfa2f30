"""What a file looks like from its first bytes, and when that is plainly not what its definition reads."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import polars as pl
import pytest

from escrutinio.domain.election import FileFormat
from escrutinio.formats.sniff import Kind, kind_of, looks_like

ONPE = b'"UBIGEO";"DEPARTAMENTO";"MESA_DE_VOTACION";"N_CVAS"\r\n"140137";"LIMA";"000001";"220";\r\n'


def parquet() -> bytes:
    out = io.BytesIO()
    pl.DataFrame({"a": [1]}).write_parquet(out)
    return out.getvalue()


def xlsx_like() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (ONPE, Kind.ONPE),
        (b"\xef\xbb\xbfUBIGEO;DEPARTAMENTO;MESA_DE_VOTACION\n", Kind.ONPE),
        (b'region,"votes, valid",mesa\n1,2,3\n', Kind.CSV),
        (b'"a;b","c;d",e\n', Kind.CSV),  # separators inside quotes do not count
        (b"a\tb\tc\n", Kind.TSV),
        (b"a;b;c\n", Kind.SEMICOLON),
        (b"just words\n", Kind.TEXT),
        (parquet(), Kind.PARQUET),
        (gzip.compress(b"a,b\n"), Kind.GZIP),
        (b"BZh91AY&SY", Kind.COMPRESSED),
        (xlsx_like(), Kind.ZIP),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", Kind.EXCEL),
        (b"%PDF-1.7\n", Kind.PDF),
        (b"SQLite format 3\x00rest", Kind.SQLITE),
        ("a,b\n".encode("utf-16"), Kind.UTF16),
        (json.dumps({"@type": "ElectionReport", "Election": []}).encode(), Kind.NIST_JSON),
        (b'  [{"a": 1}]', Kind.JSON),
        (b'<?xml version="1.0"?><ElectionReport xmlns="NIST_V2_election_results_reporting.xsd"/>', Kind.NIST_XML),
        (b"<?xml version='1.0'?><rows/>", Kind.XML),
        (b"<!DOCTYPE html><html></html>", Kind.HTML),
        (b"ab\x00cd", Kind.BINARY),
    ],
    ids=lambda v: v.name if isinstance(v, Kind) else "",
)
def test_kind_of(raw: bytes, kind: Kind) -> None:
    assert kind_of(raw) is kind


def test_an_onpe_file_is_fine_for_onpe_and_named_for_a_generic_definition() -> None:
    assert looks_like(ONPE, FileFormat.ONPE) is None
    assert looks_like(ONPE, FileFormat.CSV, ";") is None  # a column map may read ONPE's layout on purpose
    why = looks_like(ONPE, FileFormat.CSV, ",")
    assert why is not None and why.startswith("this looks like an ONPE per-table results file")


def test_a_csv_given_to_onpe_names_its_separator_and_what_to_do() -> None:
    assert looks_like(b"a,b,c\n", FileFormat.ONPE) == (
        "this looks like a comma-separated text file, not an ONPE per-table results file: "
        'a generic file needs a definition with [source] format = "csv", its separator and a column map'
    )
    # A ';'-separated file with ONPE's columns out of order is left to the reader, which names them.
    assert looks_like(b"MESA_DE_VOTACION;UBIGEO\n", FileFormat.ONPE) is None


def test_parquet_is_the_only_thing_a_parquet_definition_reads() -> None:
    assert looks_like(parquet(), FileFormat.PARQUET) is None
    assert looks_like(b"a,b\n", FileFormat.PARQUET) == (
        "this looks like a comma-separated text file, not a Parquet file: "
        'a generic file needs a definition with [source] format = "csv", its separator and a column map'
    )


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_spreadsheets_archives_and_reports_are_refused_with_what_to_do(fmt: FileFormat) -> None:
    assert "export the sheet as CSV first" in (looks_like(xlsx_like(), fmt) or "")
    assert "decompress it first" in (looks_like(b"BZh91AY&SY", fmt) or "")
    report = json.dumps({"@type": "ElectionReport"}).encode()
    assert "an NIST SP 1500-100 election report (JSON)" in (looks_like(report, fmt) or "")
