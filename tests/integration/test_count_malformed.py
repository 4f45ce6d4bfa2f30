"""The malformed-input corpus: each bad file gets a clear error naming its place, and the store
is left byte for byte as it was (a failed load changes nothing already recorded)."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.onpe_sample import HEADER, Row, changed, render, sample_rows, write

from escrutinio.app import Session
from escrutinio.domain.errors import EscrutinioError


def _bytes(rows: list[Row] | None = None, header: str = HEADER) -> bytes:
    return render(rows if rows is not None else sample_rows(), header)


def _lines(edit: Callable[[list[str]], list[str]]) -> bytes:
    lines = _bytes().decode("latin-1").split("\r\n")
    return "\r\n".join(edit(lines)).encode("latin-1")


def _with_extra(rows: list[Row]) -> list[Row]:
    return [*rows, Row("000011", cast=10, p1=5, p2=5, null=0)]


CASES: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty file", lambda: b"", ":1: the file is empty"),
    ("blank lines only", lambda: b"\r\n\r\n  \r\n", ":1: the file is empty"),
    ("header only", lambda: (HEADER + "\r\n").encode(), ":2: no data rows"),
    ("utf-16", lambda: _bytes().decode("latin-1").encode("utf-16"), "UTF-16"),
    ("comma separator", lambda: _bytes().decode("latin-1").replace(";", ",").encode("latin-1"), "looks like a comma-separated"),
    ("tab separator", lambda: _bytes().decode("latin-1").replace(";", "\t").encode("latin-1"), "looks like a tab-separated"),
    ("missing column", lambda: _bytes(header=HEADER.replace(";VOTOS_P2", "")), ":1:VOTOS_P2: missing column"),
    ("extra column", lambda: _bytes(header=HEADER + ";FOO"), ":1:FOO: unexpected column"),
    (
        "row with a field missing",
        lambda: _lines(lambda ls: [ls[0], ls[1].replace(';"115"', ""), *ls[2:]]),
        ":2: expected 15 fields",
    ),
    ("row with a field too many", lambda: _lines(lambda ls: [ls[0], ls[1] + '"9";', *ls[2:]]), ":2: expected 15 fields"),
    ("text in a count", lambda: _bytes(changed(sample_rows(), "000002", p1="abc")), ":3:VOTOS_P1: expected a whole number"),
    ("negative count", lambda: _bytes(changed(sample_rows(), "000002", p2="-5")), ":3:VOTOS_P2: expected a non-negative"),
    ("decimal count", lambda: _bytes(changed(sample_rows(), "000003", cast="150.0")), ":4:N_CVAS: expected a whole number"),
    ("huge number", lambda: _bytes(changed(sample_rows(), "000002", p1="99999999999999999999")), ":3:VOTOS_P1: number too large"),
    ("large but below int64", lambda: _bytes(changed(sample_rows(), "000002", null="20000000")), ":3:VOTOS_VN: number too large"),
    ("sums disagree", lambda: _bytes(changed(sample_rows(), "000002", p1=101)), ":3:N_CVAS: votes 191"),
    (
        "cast above electors",
        lambda: _bytes(changed(sample_rows(), "000001", electors=300, cast=320, p1=215)),
        ":2:N_CVAS: ballots cast 320 exceed the 300 registered electors",
    ),
    (
        "duplicate table with other counts",
        lambda: _bytes([*sample_rows(), Row("000001", p1=116, null=17)]),
        ":12:MESA_DE_VOTACION: table 000001 appears again with other counts (first at line 2)",
    ),
    (
        "other version of a stored sheet",
        lambda: _bytes(changed(sample_rows(), "000004", p1=121, p2=109)),
        ":5:MESA_DE_VOTACION: table 000004 already has",
    ),
    ("unknown table", lambda: _bytes(_with_extra(sample_rows())), ":12:MESA_DE_VOTACION: table 000011 is not on the roll"),
    (
        "table moved to another district",
        lambda: _bytes(changed(sample_rows(), "000001", ubigeo="140101")),
        ":2:MESA_DE_VOTACION: table 000001 is on the roll in area 140137",
    ),
    (
        "electors changed",
        lambda: _bytes(changed(sample_rows(), "000002", electors=299)),
        "with 300 electors; this file says 140137 with 299",
    ),
    (
        "table id not six digits",
        lambda: _bytes(changed(sample_rows(), "000003", table="3")),
        ":4:MESA_DE_VOTACION: expected a 6-digit table number",
    ),
    ("empty table id", lambda: _bytes(changed(sample_rows(), "000003", table="")), ":4:MESA_DE_VOTACION: expected a 6-digit"),
    ("bad ubigeo", lambda: _bytes(changed(sample_rows(), "000002", ubigeo="14013X")), ":3:UBIGEO: expected a 6-digit ubigeo"),
    (
        "unknown status",
        lambda: _bytes(changed(sample_rows(), "000002", status="CONTADA")),
        ":3:DESCRIP_ESTADO_ACTA: unknown status 'CONTADA'",
    ),
    ("damaged gzip", lambda: gzip.compress(_bytes())[:60], "damaged gzip file"),
    ("binary garbage", lambda: bytes(range(256)) * 8, ":1: this looks like binary data"),
    ("broken quoting", lambda: _lines(lambda ls: [ls[0], ls[1].replace('"CONTABILIZADA"', '"CONTABILIZADA'), *ls[2:]]), "ONPE"),
]


def _digest(path: Path | None) -> str:
    """The store file's bytes (SQLite); on PostgreSQL the head and tallies are compared instead."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else ""


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> tuple[str, Path | None]:
    """A store holding the sample file, on each engine (the file itself only for SQLite)."""
    session = Session(db_url)
    session.count.load(write(tmp_path / "good.csv"), "peru-2021-runoff")
    session.close()
    return db_url, (Path(db_url) if "://" not in db_url else None)


@pytest.mark.parametrize(("name", "make", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_its_place_and_changes_nothing(
    name: str, make: Callable[[], bytes], expected: str, loaded: tuple[str, Path | None], tmp_path: Path
) -> None:
    db, path = loaded
    before = _digest(path)
    session = Session(db)
    tally_before = session.store.tally().sort("area", "key")
    head_before = session.store.head()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(make())
    with pytest.raises(EscrutinioError) as err:
        session.count.load(bad)
    assert expected in str(err.value), str(err.value)
    assert str(bad) in str(err.value) or "bad.csv" in str(err.value)
    assert session.store.tally().sort("area", "key").equals(tally_before)
    assert session.store.head() == head_before
    session.close()
    assert _digest(path) == before


def test_missing_file_is_one_clear_error(loaded: tuple[str, Path | None], tmp_path: Path) -> None:
    db, path = loaded
    before = _digest(path)
    with pytest.raises(EscrutinioError, match=r"nope\.csv: cannot read the file"):
        Session(db).count.load(tmp_path / "nope.csv")
    assert _digest(path) == before


def test_a_failed_first_load_creates_no_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_bytes(changed(sample_rows(), "000002", p1="x")))
    with pytest.raises(EscrutinioError):
        Session(str(tmp_path / "new.db")).count.load(bad, "peru-2021-runoff")
    assert not (tmp_path / "new.db").exists()


def test_another_election_into_the_store_is_refused(loaded: tuple[str, Path | None], tmp_path: Path) -> None:
    db, _ = loaded
    with pytest.raises(EscrutinioError, match="holds election peru-2021-runoff, not peru-2021-first-round"):
        Session(db).count.load(write(tmp_path / "again.csv"), "peru-2021-first-round")
