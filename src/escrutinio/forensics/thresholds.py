"""The anomaly checks' thresholds a definition's ``[forensics]`` (or ``--thresholds``) can set, and
their defaults.

Why a module of its own: the checks (:mod:`escrutinio.forensics.anomalies`) run with these defaults,
and ``escrutinio elections show`` says which of them a definition sets and which it leaves to the
default; both must read the same numbers, and showing a definition must not load the statistics.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, float | int] = {"turnout": 1.0, "null_share": 0.25, "unanimous_votes": 30}
"""Tables listed at or above 100 % turnout; at or above 25 % of ballots null; one choice at 100 % of
at least 30 valid votes (fewer is too common on small tables to weigh)."""

MEANINGS = {
    "turnout": "list counted tables whose turnout is at or above this share of electors",
    "null_share": "list counted tables whose null ballots are at or above this share of ballots cast",
    "unanimous_votes": "the least valid votes a table needs before one choice's 100 % counts as unanimous",
}
"""What each threshold does, in words, for the people reading a definition."""


def described(defined: dict[str, float | int]) -> dict[str, dict[str, Any]]:
    """Each threshold -> its value, its default, who set it (``definition`` or ``default``) and what it does."""
    return {
        name: {
            "value": defined.get(name, default),
            "default": default,
            "set_by": "definition" if name in defined else "default",
            "meaning": MEANINGS[name],
        }
        for name, default in DEFAULTS.items()
    }
