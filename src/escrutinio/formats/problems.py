"""Every problem of a file, gathered and raised once (up to a cap, then how many more).

Kept free of polars so the byte and text helpers that use it load in no time: the load
command reads its file on a worker thread while polars is still being imported.
"""

from __future__ import annotations

from escrutinio.domain.errors import InputError, Place, Problem

MAX_PROBLEMS = 100
"""Problems listed by one error; beyond them the error says how many more there are."""


class ProblemList:
    """Collects problems across checks; raises one InputError with all of them (capped)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []
        self.total = 0

    def add(self, line: int | None, field: str | None, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(Place(self.source, line, field), message))

    def error(self) -> InputError:
        """One error listing the problems in file order (the first :data:`MAX_PROBLEMS`)."""
        return InputError(sorted(self.items, key=lambda p: p.place.line or 0), self.total)

    def raise_if_any(self) -> None:
        if self.items:
            raise self.error()
