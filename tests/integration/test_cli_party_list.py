"""A party-list election (Russia's State Duma 2011) names no winner rule: its seats are not allocated here."""

from __future__ import annotations

import subprocess
import sys


def test_elections_show_says_seats_are_not_allocated_for_a_party_list() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "elections", "show", "russia-2011-duma"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    rules = " ".join(out.stdout.split()).partition("Rules:")[2]
    assert "seats are not allocated here, so no winner rule" in rules
    assert "wins outright" not in rules and "runoff" not in rules
