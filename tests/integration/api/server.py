"""A real ``escrutinio serve`` on a loopback port, in its own process, for the API tests and the
benchmark: the tests speak HTTP to it (httpx) exactly as a results page would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running server: its base URL (``http://127.0.0.1:PORT``) and its process."""

    url: str
    process: subprocess.Popen[bytes]

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]


@contextmanager
def serving(db: str, *args: str, wait: float = 180.0, output: Any = subprocess.DEVNULL) -> Iterator[Server]:
    """Start ``escrutinio --db DB serve --port P ARGS`` and wait until /api/v1/health answers;
    stop it (SIGTERM, then SIGKILL) on the way out. ``output``: where its stdout goes (Uvicorn's
    access log)."""
    port = free_port()
    command = [sys.executable, "-m", "escrutinio.cli", "--db", db, "serve", "--port", str(port), "--log-level", "warning", *args]
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.PIPE, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    try:
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"escrutinio serve exited with {process.returncode}: {err}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"escrutinio serve did not answer on {url} within {wait} s")
            time.sleep(0.1)
        yield Server(url, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
