"""The generic reader on small files: a column map turns any per-table CSV or Parquet into the
standard sheet columns, and a bad file is refused with every problem at its file:line:column."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from escrutinio.domain.election import Election, election_from_toml
from escrutinio.domain.errors import DefinitionError, InputError
from escrutinio.formats.generic import read_generic
from escrutinio.formats.readers import read_sheets
from escrutinio.formats.sheets import LINE, REPORTED_STATE, REPORTED_STATUS, sheet_columns

DEFINITION = """
[election]
id = "test-republic"
name = "Test Republic"
date = "2024-05-05"
timezone = "UTC"
country = "TR"

[geography]
levels = ["region", "town"]

[contest]
id = "president"
name = "President"
choices = [
  { id = "A", candidate = "Ana", column = "ana" },
  { id = "B", candidate = "Beto", column = ["beto_box1", "beto_box2"] },
]

[source]
format = "csv"
separator = ","
encoding = "utf-8"

[source.columns]
table = ["town", "mesa"]
levels = ["region", "town"]
electors = "electores"
blank = "blancos"
null = "nulos"
status = "estado"

[source.status_map]
OK = "counted"
ANULADA = "annulled"
"" = ""
"""

HEADER = "region,town,mesa,electores,ana,beto_box1,beto_box2,blancos,nulos,estado"
ROWS = [
    "Norte,Alto,1,100,40,20,10,5,5,OK",
    "Norte,Alto,2,100,30,30,,,,",
    "Norte,Bajo,1,80,10,10,10,0,2,ANULADA",
    "Sur,Llano,1,120,60,30,0,4,1,OK",
]


def election(**source: str) -> Election:
    text = DEFINITION
    for key, value in source.items():
        text = text.replace(f'{key} = "', f'{key} = "{value}" # was "', 1)
    return election_from_toml("test", text)


def csv_file(tmp_path: Path, rows: list[str] = ROWS, header: str = HEADER, name: str = "mesas.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def problems(path: Path, definition: Election | None = None) -> list[str]:
    with pytest.raises(InputError) as err:
        read_sheets(path, definition or election())
    return str(err.value).splitlines()


def test_columns_are_mapped_summed_and_joined(tmp_path: Path) -> None:
    parsed = read_generic(csv_file(tmp_path), election())
    sheets = parsed.sheets
    assert sheets.columns == sheet_columns(election())
    assert sheets["table"].to_list() == ["Alto/1", "Alto/2", "Bajo/1", "Llano/1"]
    assert sheets["district"].to_list() == ["Norte/Alto", "Norte/Alto", "Norte/Bajo", "Sur/Llano"]
    assert sheets["v_B"].to_list() == [30, 30, 20, 30]  # two boxes added up; empty is 0
    assert sheets["cast"].to_list() == [80, 60, 32, 95]  # no cast column: the sum of every line
    assert sheets[REPORTED_STATE].to_list() == ["counted", None, "annulled", "counted"]
    assert sheets[REPORTED_STATUS].to_list() == ["OK", "", "ANULADA", "OK"]
    assert sheets[LINE].to_list() == [2, 3, 4, 5]
    assert parsed.labels["v_B"] == "beto_box1+beto_box2"


def test_areas_are_the_paths_of_names(tmp_path: Path) -> None:
    areas = read_generic(csv_file(tmp_path), election()).areas
    assert areas.select("code", "level", "kind", "parent").rows() == [
        ("Norte", 1, "region", "TR"),
        ("Sur", 1, "region", "TR"),
        ("Norte/Alto", 2, "town", "Norte"),
        ("Norte/Bajo", 2, "town", "Norte"),
        ("Sur/Llano", 2, "town", "Sur"),
    ]


def test_parquet_reads_as_the_csv_does(tmp_path: Path) -> None:
    from_csv = read_generic(csv_file(tmp_path), election())
    parquet = tmp_path / "mesas.parquet"
    pl.read_csv(csv_file(tmp_path), infer_schema=False).write_parquet(parquet)
    from_parquet = read_generic(parquet, election(format="parquet"))
    assert from_parquet.sheets.equals(from_csv.sheets)
    assert from_parquet.areas.equals(from_csv.areas)


def test_a_latin_1_file_reads_when_its_definition_says_so(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(("\n".join([HEADER, "Norte,Peñas,1,100,40,20,10,5,5,OK"]) + "\n").encode("latin-1"))
    assert read_generic(path, election(encoding="latin-1")).sheets["district"].to_list() == ["Norte/Peñas"]
    lines = problems(path)
    assert lines == [
        f"{path}:2:9: byte 0xf1 is not utf-8: expected utf-8 text "
        '(a file in Latin-1 or Windows-1252? say so with [source] encoding = "latin-1" in its definition)'
    ]


def test_every_bad_field_is_named_by_line_and_column(tmp_path: Path) -> None:
    rows = [
        "Norte,Alto,1,100,cuarenta,20,10,5,5,OK",
        "Norte,Alto,2,100,30,-3,,,,",
        ",Bajo,1,80,10,10,10,0,2,ANULADA",
        "Sur,Llano,1,120,60,30,0,4,1,CONTADA",
        "Sur,Llano,2,120,60,30,0,4.5,1,OK",
    ]
    path = csv_file(tmp_path, rows)
    assert problems(path) == [
        f"{path}:2:ana: expected a whole number of votes, got 'cuarenta'",
        f"{path}:3:beto_box1: expected a non-negative whole number, got '-3'",
        f"{path}:4:region: expected a value (table ids and area names cannot be empty)",
        f"{path}:5:estado: unknown status 'CONTADA': expected one of OK, ANULADA, ",
        f"{path}:6:blancos: expected a whole number of votes, got '4.5'",
    ]


def test_past_a_hundred_problems_the_rest_are_counted(tmp_path: Path) -> None:
    rows = [f"Norte,Alto,{n},100,x,20,10,5,5,OK" for n in range(130)]
    lines = problems(csv_file(tmp_path, rows))
    assert len(lines) == 101
    assert lines[-1] == "... and 30 more problems"


def test_a_missing_column_names_the_columns_the_file_has(tmp_path: Path) -> None:
    path = csv_file(tmp_path, [r.rsplit(",", 1)[0] for r in ROWS], HEADER.replace(",estado", ""))
    assert problems(path) == [
        f"{path}:1:estado: missing column (the election's column map needs it; "
        'the file has: "region", "town", "mesa", "electores", "ana", "beto_box1", "beto_box2", "blancos", "nulos")'
    ]


def test_a_missing_column_quotes_each_name_of_the_file(tmp_path: Path) -> None:
    """A name with a comma and quotes (Russia's "2. Party \"A, B\"") reads as one column, not two."""
    header = HEADER.replace(",estado", "").replace("nulos", '"Party ""A, B"""')
    path = csv_file(tmp_path, [r.rsplit(",", 1)[0] for r in ROWS], header)
    assert problems(path)[0].endswith('"blancos", "Party \\"A, B\\"")')


def test_a_table_repeated_with_other_counts_is_refused_and_an_exact_repeat_is_not(tmp_path: Path) -> None:
    assert read_generic(csv_file(tmp_path, [*ROWS, ROWS[0]]), election()).sheets.height == 4
    path = csv_file(tmp_path, [*ROWS, ROWS[0].replace(",40,", ",41,")])
    assert problems(path) == [f"{path}:6:town/mesa: table Alto/1 appears again with other counts (first at line 2)"]


def test_a_file_of_another_kind_is_named_for_what_it_is(tmp_path: Path) -> None:
    parquet = tmp_path / "mesas.parquet"
    pl.read_csv(csv_file(tmp_path), infer_schema=False).write_parquet(parquet)
    assert problems(parquet) == [
        f"{parquet}:1: this looks like a Parquet file, not the comma-separated file this definition describes: "
        'its definition needs [source] format = "parquet"'
    ]
    zipped = tmp_path / "mesas.parquet.gz"
    zipped.write_bytes(gzip.compress(parquet.read_bytes()))
    assert problems(zipped)[0].startswith(f"{zipped}:1: inside its gzip, this looks like a Parquet file")
    (line,) = problems(csv_file(tmp_path), election(format="parquet"))
    assert "this looks like a comma-separated text file, not a Parquet file" in line
    onpe = csv_file(tmp_path, ['"140137";"LIMA"'], '"UBIGEO";"DEPARTAMENTO";"MESA_DE_VOTACION"', "onpe.csv")
    (line,) = problems(onpe)
    assert "this looks like an ONPE per-table results file" in line
    assert "load it with an ONPE definition, e.g. --election peru-2021-runoff" in line
    (line,) = problems(csv_file(tmp_path, [r.replace(",", ";") for r in ROWS], HEADER.replace(",", ";")))
    assert "this looks like a ';'-separated text file, not the comma-separated file this definition describes" in line
    assert "check the definition's [source] separator" in line


def test_a_header_with_no_rows_is_one_problem(tmp_path: Path) -> None:
    path = csv_file(tmp_path, [])
    assert problems(path) == [f"{path}:2: no data rows after the header"]


def test_a_column_map_without_table_or_levels_is_a_definition_error(tmp_path: Path) -> None:
    definition = election_from_toml("test", DEFINITION.replace('table = ["town", "mesa"]\n', ""))
    with pytest.raises(DefinitionError, match="'table' and 'levels' are required"):
        read_generic(csv_file(tmp_path), definition)


def test_a_quoted_header_is_read_as_any_csv_reader_reads_it(tmp_path: Path) -> None:
    """Russia 2011's party columns are quoted names holding quotes ("" inside): the definition
    names them as the csv module prints them, with one quote."""
    header = HEADER.replace("ana", '"Partido ""Ana"", lista 1"')
    definition = election_from_toml("test", DEFINITION.replace('column = "ana"', "column = 'Partido \"Ana\", lista 1'"))
    sheets = read_generic(csv_file(tmp_path, header=header), definition).sheets
    assert sheets["v_A"].to_list() == [40, 30, 10, 60]


def test_a_missing_column_lists_every_column_of_a_wide_file(tmp_path: Path) -> None:
    extra = [f"extra_{i}" for i in range(15)]
    path = csv_file(tmp_path, [r + "," + ",".join("0" * 15) for r in ROWS], HEADER + "," + ",".join(extra))
    definition = election_from_toml("test", DEFINITION.replace('null = "nulos"', 'null = "nulas"'))
    (line,) = problems(path, definition)
    assert line.endswith(', "estado", ' + ", ".join(f'"{e}"' for e in extra) + ")") and "…" not in line
