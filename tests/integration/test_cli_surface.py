"""What a fresh-clone review found on the command line's surface (review10c), through the real
command: an invalid ``ESCRUTINIO_ACTOR`` named as the variable (the user typed no ``--name``),
``publish`` into a directory it cannot make said in one line naming it, ``users revoke`` of no
account naming its field, booleans in every CSV spelled as JSON spells them, and ``publish`` of
a head already published saying that it kept every file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.api.conftest import small_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("surface")
    return small_store(str(folder / "s.db"), folder)


def run(db: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "escrutinio.cli", "--db", db, *args]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})


def test_an_invalid_actor_is_named_as_the_variable(store: str) -> None:
    text = run(store, "status", ESCRUTINIO_ACTOR="clerk:ana@14")
    assert text.returncode == 2 and text.stdout == ""
    assert text.stderr == "error: ESCRUTINIO_ACTOR: 'clerk:ana@14' has '@'; a name may not hold '/', '@' or control characters\n"
    as_json = run(store, "--errors", "json", "export", "--format", "csv", "out", ESCRUTINIO_ACTOR="a/b")
    assert json.loads(as_json.stderr)["error"]["field"] == "ESCRUTINIO_ACTOR", as_json.stderr


def test_errors_of_publish_and_revoke_name_their_field(store: str) -> None:
    nowhere = run(store, "publish", "/proc/nope")
    assert nowhere.returncode == 1 and nowhere.stderr.count("\n") == 1
    assert nowhere.stderr.startswith("error: DIRECTORY: cannot publish into /proc/nope: ") and "Errno" not in nowhere.stderr
    assert "expected a directory" in nowhere.stderr
    nobody = run(store, "--errors", "json", "users", "revoke", "nobody")
    error = json.loads(nobody.stderr)["error"]
    assert nobody.returncode == 1 and (error["field"], error["rule"], error["option"]) == ("name", "not_found", "NAME")


def test_csv_booleans_are_spelled_as_in_json(store: str, tmp_path: Path) -> None:
    (version,) = csv.DictReader(io.StringIO(run(store, "table", "000001", "--format", "csv").stdout))
    assert version["current"] == "true"
    first = run(store, "publish", str(tmp_path / "pub"), "--format", "csv")
    (row,) = csv.DictReader(io.StringIO(first.stdout))
    assert (row["incremental"], row["unchanged"]) == ("false", "false"), first.stderr


def test_publish_of_a_head_published_already_keeps_every_file(store: str, tmp_path: Path) -> None:
    first = json.loads(run(store, "publish", str(tmp_path / "pub"), "--format", "json").stdout)
    again = json.loads(run(store, "publish", str(tmp_path / "pub"), "--format", "json").stdout)
    assert first["unchanged"] is False and again["unchanged"] is True and again["written"] == []
    assert again["kept"] == again["files"] == first["files"] > 0
