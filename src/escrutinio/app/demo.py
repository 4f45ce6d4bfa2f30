"""The demo: a seeded synthetic national election, counted end to end, returned as data.

It writes an election definition and two tally-sheet files (the early count, then the late
rural sheets) with :mod:`escrutinio.demo`, loads them through a session like any real election
(sheets that break a rule are observed, not refused) and returns the results; a skin prints them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from escrutinio.domain.errors import InputError, Place, Problem, StoreError

Progress = Callable[[str, int, int], None]

MIN_TABLES = 10


def _quiet(step: str, done: int, total: int) -> None:
    return None


def run_demo(tables: int = 86_000, seed: int = 2021, keep: Path | None = None, progress: Progress = _quiet) -> dict[str, Any]:
    """Build, load and count the demo election. Returns ``national`` (the nation's results),
    ``departments`` (one row each), ``loads`` (the two load summaries), ``contest`` (its
    choices) and ``store`` (the kept store, or None when it was temporary)."""
    from escrutinio.app.session import Session
    from escrutinio.count.options import InvalidSheets, Level
    from escrutinio.demo import write_files

    if tables < MIN_TABLES:
        raise InputError([Problem(Place("--tables"), f"at least {MIN_TABLES} tables, got {tables}")])
    with tempfile.TemporaryDirectory(prefix="escrutinio-demo-") as tmp:
        folder = Path(tmp)
        db = keep or folder / "demo.db"
        if keep is not None and keep.exists():
            raise StoreError(f"--keep: {keep} already exists")
        progress(f"drawing {tables:,} tables", 0, 4)
        definition, early, later = write_files(folder, tables, seed)
        session = Session(str(db), actor="demo")
        try:
            progress("loading the early count", 1, 4)
            first = session.count.load(early, str(definition), invalid=InvalidSheets.OBSERVE)
            progress("loading the late sheets", 2, 4)
            second = session.count.load(later, invalid=InvalidSheets.OBSERVE, new_tables=True)
            progress("results", 3, 4)
            departments = session.count.results(Level.DEPARTMENT)
            national = session.count.results()[0]
            contest = session.count.contest()
        finally:
            session.close()
        progress("done", 4, 4)
        return {
            "national": national,
            "departments": departments,
            "loads": [first.to_dict(), second.to_dict()],
            "contest": contest,
            "store": str(keep) if keep is not None else None,
        }
