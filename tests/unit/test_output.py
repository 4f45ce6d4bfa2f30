"""Prose lines: wrapped to the page on a terminal or at COLUMNS, whole in a pipe (scripts grep them)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LONG = " ".join(f"word{i}" for i in range(80))  # about 550 characters


def said(columns: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    done = subprocess.run(
        [sys.executable, "-c", f"from escrutinio.output import say; say({LONG!r})"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout.splitlines()


def test_a_long_line_stays_whole_in_a_pipe() -> None:
    assert said(None) == [LONG]


def test_columns_still_sets_the_page_width() -> None:
    lines = said("100")
    assert len(lines) > 1 and all(len(line) <= 100 for line in lines)
    assert " ".join(" ".join(lines).split()) == LONG  # every word, in order


def test_an_error_is_one_line_of_text_or_of_json_with_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from escrutinio.output import emit_error

    emit_error("a.csv:3:votes: expected a whole number\na.csv:9:table: missing", as_json=False)
    assert capsys.readouterr().err == "error: a.csv:3:votes: expected a whole number\na.csv:9:table: missing\n"
    emit_error("a.csv:3:votes: expected a whole number\na.csv:9:table: missing", as_json=True, rule="invalid")
    printed = capsys.readouterr().err
    assert printed.count("\n") == 1
    assert json.loads(printed) == {
        "error": {
            "field": None,
            "rule": "invalid",
            "message": "a.csv:3:votes: expected a whole number",
            "problems": ["a.csv:3:votes: expected a whole number", "a.csv:9:table: missing"],
        }
    }
    emit_error("--level: expected one of national", as_json=True, field="level", rule="invalid", option="--level")
    assert json.loads(capsys.readouterr().err)["error"] == {
        "field": "level",
        "rule": "invalid",
        "message": "--level: expected one of national",
        "option": "--level",
    }
