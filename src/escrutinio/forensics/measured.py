"""Figures a test's wording quotes from a benchmark run, each with the run that measured it.

Why a module of its own: a sentence such as "its interval held the final margin 91 times in 100"
was written into the code that words the result, with no trace of which run gave 91, while the
docs gave the same figures from their own table: a rerun that changed them would change one place
and leave the other saying the old figure. Here each figure sits beside the command, the settings
and the session that measured it, the wording is built from it, and a test holds the docs' table to
it (``tests/unit/forensics/test_forensics_measured.py``). A new run changes the figures here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CoverageRun:
    """How often a 95 % interval held the final margin on finished counts with a part held out:
    ``covered`` of ``trials`` per election, and the run that measured it."""

    covered: dict[str, int]
    trials: int
    command: str
    settings: str
    measured: str


SORTED_HOLD_OUTS = CoverageRun(
    covered={"Bolivia 2019": 97, "the Peru 2021 runoff": 99, "Russia 2012": 100},
    trials=100,
    command=("python benchmarks/count_order_coverage.py --db bo.db --db runoff.db --db ru12.db --trials 100 --kinds sorted"),
    settings=(
        "the count sorted by geography, 10 to 50 % held out (uniform), 100 bootstrap draws an interval, seed 11, "
        "each place drawn from its own counted tables (min_donors 1)"
    ),
    measured=(
        "session 14 (whole areas drawn weighing their sub-areas by electors), niced at load average 13-29 "
        "(docs/forensics.md, Coverage)"
    ),
)
"""The count-order projection's interval on counts held out area by area (``sorted``)."""


def held_out_by_area(run: CoverageRun = SORTED_HOLD_OUTS) -> str:
    """The clause the count-order wording says beside a final margin outside its interval, so that
    a reader weighs the miss against how often the method misses on clean counts."""
    *first, (last, n) = run.covered.items()
    times = ", ".join(f"{k} on {e}" if i else f"{k} times in {run.trials} on {e}" for i, (e, k) in enumerate(first))
    return (
        "on finished counts read area by area (sorted by geography, 10 to 50 % held out), its interval held the final "
        f"margin {times} and {n} on {last}"
    )
