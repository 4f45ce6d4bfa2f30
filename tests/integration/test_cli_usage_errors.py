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
        (["serve", "--max-body", "abc"], "'--max-body': 'abc' is not a whole number from 1 up"),  # not "a valid int range"
        (["serve", "--port", "x"], "'--port': 'x' is not a whole number from 0 to 65535"),
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


# -- a value not of the form its option takes (2) against an action that failed (1) ---------------


@pytest.fixture
def store(tmp_path: Path) -> Path:
    from tests.onpe_sample import write

    from escrutinio.app import Session

    with Session(str(tmp_path / "s.db")) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    return tmp_path


MALFORMED = [
    (["results", "--level", "galaxy"], "--level", "level", "levels (national, department, province"),
    (["results", "--format", "xml"], "--format", "format", "expected one of table, json, csv"),
    (["changes", "--since", "-1"], "--since", "since", "expected an event number"),
    (["table", "a b"], "TABLE", "table", "expected a table id"),
    (["cases", "list", "--status", "lost"], "--status", "status", "expected one of filed"),
    (["audit", "plan", "--risk-limit", "2"], "--risk-limit", "risk_limit", "expected a number from 0.0001 up to"),
    (["users", "add", "x", "--role", "mayor"], "--role", "role", "expected one of administrator"),
    (["users", "add", "x", "--role", "clerk", "--party", "FP"], "--party", "party", "only a party representative"),
    (["publish", "out", "--keep", "0"], "--keep", "keep", "expected a whole number of at least 1"),
    (["verify", "log.jsonl", "--head", "abc"], "--head", "head", "expected the hash of the record's last event"),
    (["export", "out.xml", "--format", "xml"], "--format", "format", "expected one of nist-cdf, csv"),
    (["export", "pkg", "--format", "csv", "--licence", "FOO"], "--licence", "licence", "expected one of ODC-PDDL-1.0"),
]
"""Usage errors of a sample of commands: the command line, the option as typed, the field as a
request names it, what the message says was expected (``users add`` prints no data: no --format)."""

FAILED = [
    (["results", "--area", "99"], "--area", "no area '99'"),
    (["table", "999999"], None, "no polling table '999999'"),
    (["load", "missing.csv"], None, "missing.csv"),
    (["roll", "register", "a.csv", "-e", "peru-2021-runoff"], None, "a store is already here"),
    (["verify", "missing.jsonl"], None, "missing.jsonl"),
]
"""Actions a sample of commands was typed right for and that failed (refused by the record, a
file that is not there): the command line, the option its message starts with, words it holds."""


@pytest.mark.parametrize(("args", "option", "field", "words"), MALFORMED)
def test_a_malformed_value_exits_2_naming_the_option(store: Path, args: list[str], option: str, field: str, words: str) -> None:
    done = _run(store, *args)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.startswith(f"error: {option}: ") and words in done.stderr and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(("args", "option", "words"), FAILED)
def test_a_failed_action_exits_1(store: Path, args: list[str], option: str | None, words: str) -> None:
    done = _run(store, *args)
    assert done.returncode == 1 and words in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: {option}: " if option else "error: "), done.stderr


@pytest.mark.parametrize(
    ("args", "option", "field", "words"), [m for m in MALFORMED if "--format" not in m[0] and "users" not in m[0]]
)
def test_with_format_json_an_error_is_a_json_object_naming_the_field(
    store: Path, args: list[str], option: str, field: str, words: str
) -> None:
    import json

    done = _run(store, *args, "--format", "json")
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    error = json.loads(done.stderr)["error"]
    assert (error["field"], error["option"], error["rule"]) == (field, option, "invalid"), error
    assert error["message"].startswith(f"{option}: ") and words in error["message"]


@pytest.mark.parametrize(
    ("args", "rule", "field"),
    [
        (["roll", "register", "a.csv", "-e", "peru-2021-runoff"], "store_state", None),
        (["results", "--area", "99"], "not_found", "area"),
        (["roll", "register", "a.csv"], "missing", "election"),
        (["results", "--levl", "x"], "unknown_parameter", "levl"),
    ],
)
def test_with_format_json_a_refusal_and_a_usage_error_are_json_too(
    store: Path, args: list[str], rule: str, field: str | None
) -> None:
    import json

    done = _run(store, *args, "--format", "json")
    assert done.returncode in (1, 2) and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    error = json.loads(done.stderr)["error"]
    assert (error["rule"], error["field"]) == (rule, field) and error["message"], error


@pytest.mark.parametrize(("args", "option", "field", "words"), MALFORMED)
def test_the_global_errors_json_prints_any_command_s_error_as_json(
    store: Path, args: list[str], option: str, field: str, words: str
) -> None:
    """``escrutinio --errors json``: every command's errors as JSON, ``export`` (whose ``--format``
    names the file it writes) and those that print no data (``users add``) too."""
    import json

    done = _run(store, "--errors", "json", *args)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    error = json.loads(done.stderr)["error"]
    assert (error["field"], error["option"], error["rule"]) == (field, option, "invalid"), error
    assert error["message"].startswith(f"{option}: ") and words in error["message"]


def test_errors_text_wins_over_a_json_format_and_another_value_is_refused(store: Path) -> None:
    text = _run(store, "--errors", "text", "results", "--area", "99", "--format", "json")
    assert text.returncode == 1 and text.stderr.startswith("error: --area: no area '99'"), text.stderr
    bad = _run(store, "--errors", "xml", "status")
    assert bad.returncode == 2 and bad.stderr == "error: --errors: expected one of text, json, got 'xml'\n"
