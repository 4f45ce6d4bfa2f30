"""A definition's ``[forensics]`` section: the anomaly checks' thresholds, validated key by key."""

from __future__ import annotations

import pytest

from escrutinio.domain.election import election_from_toml
from escrutinio.domain.errors import DefinitionError

BASE = """
[election]
id = "t"
name = "T"
date = "2024-05-05"
timezone = "UTC"

[geography]
levels = ["department"]

[contest]
id = "p"
choices = [{ id = "A", column = "a" }, { id = "B", column = "b" }]
"""


def test_the_thresholds_are_read() -> None:
    e = election_from_toml("t.toml", BASE + "[forensics]\nturnout = 0.9\nnull_share = 0.3\nunanimous_votes = 50\n")
    assert e.forensics == {"turnout": 0.9, "null_share": 0.3, "unanimous_votes": 50}
    assert election_from_toml("t.toml", BASE).forensics == {}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("turnout = 1.5", "t.toml: forensics.turnout: expected a share in (0, 1], got 1.5"),
        ('null_share = "high"', "t.toml: forensics.null_share: expected int or float, got 'high'"),
        ("unanimous_votes = 0", "t.toml: forensics.unanimous_votes: expected a whole number of votes, at least 1"),
        ("unanimous_votes = 2.5", "t.toml: forensics.unanimous_votes: expected int, got 2.5"),
        ("turnuot = 0.9", "t.toml: forensics.turnuot: unknown key (allowed: null_share, turnout, unanimous_votes)"),
    ],
)
def test_a_bad_threshold_is_one_line_naming_file_and_key(section: str, message: str) -> None:
    with pytest.raises(DefinitionError) as err:
        election_from_toml("t.toml", BASE + f"[forensics]\n{section}\n")
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
