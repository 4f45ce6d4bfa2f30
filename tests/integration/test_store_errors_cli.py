"""Stores that cannot be used are refused in one line, by the real CLI, never with a traceback:
a directory, a file that is not SQLite, a read-only file or directory, a server not listening,
an unsupported URL scheme. (``postgres://`` is taken as libpq takes it.)"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import fresh_pg_database
from tests.onpe_sample import changed, sample_rows, write

UNPRIVILEGED = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
"""root ignores file modes; without these two capabilities it is held to them like anyone."""


def _escrutinio(db: str | Path, *args: str, unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if unprivileged and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        prefix = UNPRIVILEGED
    command = [*prefix, sys.executable, "-m", "escrutinio.cli", "--db", str(db), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _refused(done: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal (asserting it is one line, exit 1, no traceback)."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.fixture
def sheets(tmp_path: Path) -> tuple[Path, Path]:
    """A file, and a later one that changes a table (loading it writes)."""
    first = write(tmp_path / "first.csv")
    later = write(tmp_path / "later.csv", changed(sample_rows(), "000007", status="CONTABILIZADA"))
    return first, later


def _loaded(path: Path, first: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    done = _escrutinio(path, "load", str(first), "--election", "peru-2021-runoff")
    assert done.returncode == 0, done.stderr
    return path


def test_a_directory_is_not_a_store(tmp_path: Path, sheets: tuple[Path, Path]) -> None:
    for args in (["results"], ["load", str(sheets[0]), "--election", "peru-2021-runoff"]):
        line = _refused(_escrutinio(tmp_path, *args))
        assert line == f"error: --db: {tmp_path} is a directory; expected a store file (such as {tmp_path / 'escrutinio.db'})"


def test_a_file_that_is_not_sqlite_is_named(tmp_path: Path, sheets: tuple[Path, Path]) -> None:
    other = tmp_path / "notes.db"
    other.write_text("minutes of the meeting\n")
    for args in (["results"], ["status"], ["load", str(sheets[0]), "--election", "peru-2021-runoff"]):
        assert _refused(_escrutinio(other, *args)) == f"error: {other}: not an SQLite file, so not an escrutinio store"
    assert other.read_text() == "minutes of the meeting\n"


def test_a_read_only_store_file_is_read_but_not_written(tmp_path: Path, sheets: tuple[Path, Path]) -> None:
    db = _loaded(tmp_path / "store" / "s.db", sheets[0])
    before = db.read_bytes()
    db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    assert _escrutinio(db, "results", unprivileged=True).returncode == 0
    line = _refused(_escrutinio(db, "load", str(sheets[1]), unprivileged=True))
    assert line == f"error: {db}: the store file is read-only: nothing was written"
    assert db.read_bytes() == before


def test_a_store_in_a_read_only_directory_is_read_but_not_written(tmp_path: Path, sheets: tuple[Path, Path]) -> None:
    db = _loaded(tmp_path / "store" / "s.db", sheets[0])
    before = db.read_bytes()
    db.parent.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        results = _escrutinio(db, "results", "--format", "json", unprivileged=True)
        assert results.returncode == 0 and '"PL"' in results.stdout, results.stderr
        line = _refused(_escrutinio(db, "load", str(sheets[1]), unprivileged=True))
        assert line.startswith(f"error: {db}: the directory {db.parent} is read-only")
        assert db.read_bytes() == before
    finally:
        db.parent.chmod(stat.S_IRWXU)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_not_listening_is_named_without_its_password(sheets: tuple[Path, Path]) -> None:
    url = f"postgresql://clerk:s3cret@127.0.0.1:{_free_port()}/canvass"
    for args in (["results"], ["load", str(sheets[0]), "--election", "peru-2021-runoff"]):
        line = _refused(_escrutinio(url, *args))
        assert line.startswith(f"error: postgresql://clerk:***@127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/canvass: ")
        assert "cannot connect to the PostgreSQL server" in line and "s3cret" not in line


@pytest.mark.parametrize(
    ("url", "expected", "status"),
    [
        ("postgresql://clerk:s3cret@127.0.0.1:notaport/x", "port 'notaport' is not a number", 2),
        ("postgresql://clerk:s3cret@127.0.0.1:99999/x", "port 99999 is not a port number (1 to 65535)", 2),
        ("postgresql://clerk:s3cret@nohost.invalid/x", "cannot resolve the host 'nohost.invalid'; check the host in the URL", 1),
    ],
)
def test_a_url_that_names_no_server_says_what_is_wrong_with_it(url: str, expected: str, status: int) -> None:
    """A port that is not a number is a usage error naming --db (it printed Python's "invalid
    literal for int()", exit 1); a host that does not resolve is not "the server went away during
    the read; retry", which no retry helps (review11 #14)."""
    done = _escrutinio(url, "status")
    assert done.returncode == status and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == f"error: --db: {url.replace(':s3cret', ':***')}: {expected}"


def test_postgres_scheme_is_taken_as_libpq_takes_it(sheets: tuple[Path, Path]) -> None:
    url = fresh_pg_database().replace("postgresql://", "postgres://", 1)
    assert _escrutinio(url, "load", str(sheets[0]), "--election", "peru-2021-runoff").returncode == 0
    results = _escrutinio(url, "results", "--format", "json")
    assert results.returncode == 0 and '"PL"' in results.stdout


@pytest.mark.parametrize("scheme", ["mysql", "sqlserver", "sqlite"])
def test_an_unsupported_scheme_is_named(scheme: str, sheets: tuple[Path, Path]) -> None:
    line = _refused(_escrutinio(f"{scheme}://user@localhost/canvass", "load", str(sheets[0]), "--election", "peru-2021-runoff"))
    assert line == f"error: --db: {scheme}:// stores are not supported; give an SQLite file path or a postgresql:// URL"


def test_verify_of_another_elections_log_is_named(tmp_path: Path, sheets: tuple[Path, Path]) -> None:
    runoff = _loaded(tmp_path / "runoff" / "s.db", sheets[0])
    exported = tmp_path / "runoff.jsonl"
    assert _escrutinio(runoff, "log", "export", str(exported)).returncode == 0
    preset = Path(__file__).parents[2] / "src" / "escrutinio" / "presets" / "peru-2021-runoff.toml"
    other = tmp_path / "other.toml"
    other.write_text(
        preset.read_text(encoding="utf-8").replace('id = "peru-2021-runoff"', 'id = "other-runoff"'), encoding="utf-8"
    )
    store = tmp_path / "other" / "s.db"
    store.parent.mkdir()
    assert _escrutinio(store, "load", str(sheets[0]), "--election", str(other)).returncode == 0
    line = _refused(_escrutinio(store, "verify", str(exported)))
    assert line == (
        f"error: {exported}: this log is of election peru-2021-runoff, but the store holds other-runoff: "
        "verify a log against a store of its own election"
    )
