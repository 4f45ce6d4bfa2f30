"""Every problem of a file, gathered and raised once (up to a cap, then how many more).

Kept free of polars so the byte and text helpers that use it load in no time: the load
command reads its file on a worker thread while polars is still being imported.
"""

from __future__ import annotations

from collections.abc import Callable

from escrutinio.domain.errors import InputError, Place, Problem

MAX_PROBLEMS = 100
"""Problems listed by one error; beyond them the error says how many more there are."""

Locate = Callable[[int, str | None], tuple[str, str]]
"""locate(line, field) -> (where, what): the place of a problem a check names by a row's
``line`` and a field, in a source without lines (a JSON report: its JSON path, and the unit
the row is, which the message then names)."""


class ProblemList:
    """Collects problems across checks; raises one InputError with all of them (capped).

    ``locate``: for a source whose rows are no lines of text (see :data:`Locate`)."""

    def __init__(self, source: str, locate: Locate | None = None) -> None:
        self.source = source
        self.locate = locate
        self.items: list[Problem] = []
        self._lines: list[int] = []  # each item's line, for the file order (a located place has none)
        self.total = 0
        self.mentions: dict[str, None] = {}
        """The settings the problems name (``new_tables``): a skin words them its way."""

    def add(self, line: int | None, field: str | None, message: str, mentions: tuple[str, ...] = ()) -> None:
        self.mentions.update(dict.fromkeys(mentions))
        self.total += 1
        if len(self.items) >= MAX_PROBLEMS:
            return
        place = Place(self.source, line, field)
        if self.locate is not None and line is not None:
            where, what = self.locate(line, field)
            place = Place(self.source, None, where)
            message = message if message.startswith(what) else f"{what}: {message}"
        self.items.append(Problem(place, message))
        self._lines.append(line or 0)

    def error(self) -> InputError:
        """One error listing the problems in file order (the first :data:`MAX_PROBLEMS`)."""
        order = sorted(range(len(self.items)), key=self._lines.__getitem__)
        return InputError([self.items[i] for i in order], self.total, mentions=tuple(self.mentions))

    def raise_if_any(self) -> None:
        if self.items:
            raise self.error()
