"""Throwaway PostgreSQL servers that a test starts itself (never the shared one): one to
restart under a write, or a primary and its streaming replica (``pg_basebackup -R``).

They are started the way ``scripts/test`` starts its server: as the ``postgres`` user when the
tests run as root (``initdb`` refuses root), on a free loopback port, in a temporary folder
that is removed with the server. Without PostgreSQL's binaries the tests that need them skip,
naming why; with ESCRUTINIO_REQUIRE_PG=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


def pg_bin() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's /usr/lib/postgresql/N/bin, or on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def need_pg_bin() -> Path:
    """The binaries, or skip (fail under ESCRUTINIO_REQUIRE_PG=1) saying what is missing."""
    found = pg_bin()
    if found is None or (os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode):
        message = "no PostgreSQL server binaries (initdb, pg_ctl) or no postgres user to start a throwaway server with"
        if os.environ.get("ESCRUTINIO_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def as_postgres(command: list[str], timeout: float = 120) -> None:
    """initdb refuses root: as root, run the server's tools as the postgres user."""
    if os.geteuid() == 0:
        command = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
    subprocess.run(command, check=True, capture_output=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_home(prefix: str) -> Path:
    """A temporary folder the postgres user may write in."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    return home


@dataclass
class Server:
    bin: Path
    home: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres(
            [str(self.bin / "pg_ctl"), "-D", str(self.home / "data"), "-l", str(self.home / "log"), "-w", "-o", options, *args]
        )

    def restart(self) -> None:
        self.ctl("-m", "fast", "restart")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def start_server(prefix: str = "escrutinio-pg-") -> Server:
    """A new server (initdb, then started): its own data, port and socket folder."""
    binaries = need_pg_bin()
    home = server_home(prefix)
    server = Server(binaries, home, free_port())
    as_postgres([str(binaries / "initdb"), "-D", str(home / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
    server.ctl("start")
    return server


def start_replica(primary: Server) -> Server:
    """A hot-standby streaming replica of ``primary``: a base backup taken with ``-R`` (it
    writes the standby signal and the connection back to the primary), then started."""
    home = server_home("escrutinio-replica-")
    replica = Server(primary.bin, home, free_port())
    source = ["-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"]
    as_postgres([str(primary.bin / "pg_basebackup"), *source, "-D", str(home / "data"), "-R", "-X", "stream", "-c", "fast"])
    replica.ctl("start")
    return replica


def create_database(server: Server) -> str:
    """A new empty database on ``server``; returns its URL."""
    import sqlalchemy as sa

    name = f"r_{os.urandom(6).hex()}"
    engine = sa.create_engine(server.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return server.database_url(name)
