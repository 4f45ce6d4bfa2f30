"""A command typed wrong (a missing option, an unknown one, a value of the wrong type, a command
that does not exist) is refused in one line naming the option or argument and what was
expected, with exit status 2; ``--debug`` shows click's whole usage text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESCRUTINIO_DB": str(tmp_path / "s.db")}
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", *args], capture_output=True, text=True, env=env, cwd=tmp_path)


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["roll", "register", "a.csv"], "missing option '--election'"),
        (["--bogus", "status"], "no such option: --bogus"),
        (["results", "--formt", "json"], "no such option: --formt"),
        (["demo", "--tables", "many"], "invalid value for '--tables'"),
        (["table"], "missing argument 'table'"),
        (["load", "a.csv", "b.csv"], "unexpected extra argument"),
        (["tabel", "000001"], "no such command 'tabel'"),
        (["users", "add", "ana", "--role", "clerk", "--area"], "option '--area' requires an argument"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_option_with_status_2(tmp_path: Path, args: list[str], names: str) -> None:
    done = _run(tmp_path, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert names in done.stderr and "--help" in done.stderr
    assert not (tmp_path / "s.db").exists()


def test_debug_shows_the_whole_usage_and_a_bare_group_its_help(tmp_path: Path) -> None:
    debug = _run(tmp_path, "--debug", "roll", "register", "a.csv")
    assert debug.returncode == 2 and debug.stderr.startswith("Usage: ") and "Missing option '--election'" in debug.stderr
    bare = _run(tmp_path, "audit")
    assert "Usage: " in bare.stdout + bare.stderr and "Commands:" in bare.stdout + bare.stderr
