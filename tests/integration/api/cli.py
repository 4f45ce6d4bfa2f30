"""The CLI's own answer, for comparing the API with it: ``escrutinio --db DB ARGS``."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson


def cli_text(db: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cli_json(db: str, *args: str) -> Any:
    return orjson.loads(cli_text(db, *args, "--format", "json"))
