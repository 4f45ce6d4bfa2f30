"""Prose lines: wrapped to the page on a terminal or at COLUMNS, whole in a pipe (scripts grep them)."""

from __future__ import annotations

import os
import subprocess
import sys

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
