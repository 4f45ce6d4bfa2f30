"""The choices a person makes when counting, as typed values (parsed from text once, in
:mod:`escrutinio.parsing`)."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """A level of the results: the nation, a level of the geography, or every polling table."""

    NATIONAL = "national"
    DEPARTMENT = "department"
    PROVINCE = "province"
    DISTRICT = "district"
    TABLE = "table"

    @property
    def depth(self) -> int | None:
        """The geography depth (0 = the nation); None for tables."""
        return None if self is Level.TABLE else list(Level).index(self)

    @classmethod
    def at(cls, depth: int) -> Level:
        """The level at ``depth`` by position (0: the nation), every area there whatever the
        election calls it (Peru's departments and its continents abroad at 1)."""
        return list(cls)[depth]


class InvalidSheets(StrEnum):
    """What a load does with a sheet that breaks a counting rule."""

    REJECT = "reject"
    """Refuse the whole file, naming every such sheet (the default)."""
    OBSERVE = "observe"
    """Record the sheet as observed: out of the totals until a ruling."""
