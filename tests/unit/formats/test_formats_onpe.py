"""ONPE's reader on small files in ONPE's own layout (tests/onpe_sample.py): its quirks read
right, and every problem of a bad file comes back at once with its file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.onpe_sample import HEADER, changed, render, sample_rows, write

from escrutinio.domain.errors import InputError
from escrutinio.formats.definition import load_definition
from escrutinio.formats.onpe import read_onpe
from escrutinio.formats.sheets import REPORTED_REASON, REPORTED_STATE

ELECTION, _ = load_definition("peru-2021-runoff")


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        read_onpe(path, ELECTION)
    return str(err.value).splitlines()


def test_the_sample_reads_with_onpe_quirks_mended(tmp_path: Path) -> None:
    parsed = read_onpe(write(tmp_path / "mesas.csv"), ELECTION)
    sheets = parsed.sheets
    assert sheets["table"].to_list()[:2] == ["000001", "000002"]  # leading zeros kept
    assert sheets["blank"].to_list()[0] == 0  # an empty count is 0
    assert dict(zip(sheets["table"], sheets[REPORTED_STATE], strict=True))["000006"] == "annulled"
    assert dict(zip(sheets["table"], sheets[REPORTED_REASON], strict=True))["000007"] == "at_dispute_body"
    names = dict(parsed.areas.select("code", "name").iter_rows())
    assert names["9401"] == "ESPAÑA"  # 0xBF 0xBF repaired
    kinds = dict(parsed.areas.select("code", "kind").iter_rows())
    assert (kinds["14"], kinds["94"]) == ("department", "continent")


def test_every_field_problem_is_listed_at_once(tmp_path: Path) -> None:
    rows = changed(sample_rows(), "000002", p1="abc")
    rows = changed(rows, "000003", table="3")
    rows = changed(rows, "000004", ubigeo="24010X", status="CONTADA")
    path = tmp_path / "bad.csv"
    path.write_bytes(render(rows))
    assert problems(path) == [
        f"{path}:3:VOTOS_P1: expected a whole number of votes, got 'abc'",
        f"{path}:4:MESA_DE_VOTACION: expected a 6-digit table number (MESA_DE_VOTACION), got '3'",
        f"{path}:5:UBIGEO: expected a 6-digit ubigeo code, got '24010X'",
        f"{path}:5:DESCRIP_ESTADO_ACTA: unknown status 'CONTADA': expected one of CONTABILIZADA, COMPUTADA RESUELTA, "
        "ANULADA, ANULADA POR EXTRAVIADA, ANULADA POR SINIESTRO, EN PROCESO, SIN INSTALAR",
    ]


def test_every_ragged_row_is_named(tmp_path: Path) -> None:
    lines = render(sample_rows()).decode("latin-1").split("\r\n")
    lines[2] = lines[2].replace(';"100"', "", 1)
    lines[5] = lines[5] + '"9";'
    path = tmp_path / "ragged.csv"
    path.write_bytes("\r\n".join(lines).encode("latin-1"))
    assert problems(path) == [
        f"{path}:3: expected 15 fields (and a trailing ';'), found 14",
        f"{path}:6: expected 15 fields (and a trailing ';'), found 16",
    ]


def test_header_problems_name_each_column(tmp_path: Path) -> None:
    path = write(tmp_path / "h.csv", header=HEADER.replace(";VOTOS_P2", "") + ";EXTRA")
    assert problems(path) == [
        f"{path}:1:VOTOS_P2: missing column (ONPE's dictionary has it for this election)",
        f"{path}:1:EXTRA: unexpected column: expected only " + ", ".join(HEADER.split(";")),
    ]
