"""The store and the maps name the setting at fault as a request or a session names it (``db``,
``read_db``, ``geo``), never a command-line option: the error carries it as its ``field`` and the
CLI says ``--db`` (``tests/integration/test_store_errors_cli.py``), while a server started with
the setting, or a program opening a ``Session``, reads no option it never typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.onpe_sample import write

from escrutinio.app import EscrutinioError, Session
from escrutinio.geo.atlas import Atlas
from escrutinio.store.location import resolve_url
from escrutinio.store.reader import Reader
from escrutinio.store.replication import ReplicaProbe


def _refused(error: pytest.ExceptionInfo[EscrutinioError], field: str) -> str:
    message = str(error.value)
    assert error.value.field == field and message.startswith(f"{field}: "), message
    assert "--" not in message and "\n" not in message, message
    return message


def test_a_directory_names_the_db_setting(tmp_path: Path) -> None:
    with pytest.raises(EscrutinioError) as refused:
        Session(str(tmp_path)).count.results()
    message = _refused(refused, "db")
    assert message == f"db: {tmp_path} is a directory; expected a store file (such as {tmp_path / 'escrutinio.db'})"


@pytest.mark.parametrize("scheme", ["mysql", "sqlite"])
def test_an_unsupported_scheme_names_the_db_setting(scheme: str) -> None:
    with pytest.raises(EscrutinioError) as refused:
        resolve_url(f"{scheme}://user@localhost/canvass")
    message = _refused(refused, "db")
    assert message == f"db: {scheme}:// stores are not supported; give an SQLite file path or a postgresql:// URL"


def test_a_replica_probe_names_the_setting_that_is_an_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Session(str(db)) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    sqlite, server = Reader(resolve_url(str(db))), Reader(resolve_url("postgresql://127.0.0.1:1/none"))
    for primary, replica, field in ((sqlite, server, "db"), (server, sqlite, "read_db")):
        with pytest.raises(EscrutinioError) as refused:
            ReplicaProbe(primary, replica)
        assert "expected a postgresql:// URL, not an SQLite file" in _refused(refused, field)
    sqlite.close()


def test_a_boundaries_path_that_is_no_folder_names_the_geo_setting(tmp_path: Path) -> None:
    with pytest.raises(EscrutinioError) as refused:
        Atlas(tmp_path / "nope")
    assert "is not a folder (expected the GeoJSON boundaries" in _refused(refused, "geo")
