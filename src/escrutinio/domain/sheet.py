"""Tally sheets (actas) and the states of their life.

A table (mesa) has at most one *current* tally sheet; every version is kept. The state says
whether the sheet's votes are in the count::

    pending ─received─> counted                      (normal)
                    └─> observed ─ruling─> resolved  (counted after a ruling)
                                       └─> annulled  (ballots count as the rules say)
    not_installed                                     (the table never opened)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from escrutinio.domain.ids import TableId

MAX_COUNT = 10_000_000
"""The largest figure one table's sheet may hold (votes of a choice, blank, null, challenged,
cast): no polling table plausibly has more ballots, so a larger number is a typo or an overflow
attempt. One limit for every path that takes a table's figures (files, keyed entries, rulings,
hand counts), refused where the figure is parsed, naming its field."""


def over_count(digits: str) -> bool:
    """Whether a figure's text (digits) exceeds :data:`MAX_COUNT`, read without converting a
    number of any length (Python refuses to convert more than 4,300 digits)."""
    significant = digits.lstrip("0")
    return len(significant) > len(str(MAX_COUNT)) or int(significant or "0") > MAX_COUNT


class SheetState(StrEnum):
    """Where a table's sheet stands; the values are the public, scriptable names."""

    PENDING = "pending"
    COUNTED = "counted"
    RESOLVED = "resolved"
    OBSERVED = "observed"
    ANNULLED = "annulled"
    NOT_INSTALLED = "not_installed"

    @property
    def in_count(self) -> bool:
        """Counted or resolved: its votes are in the results as they stand on the sheet."""
        return self in (SheetState.COUNTED, SheetState.RESOLVED)

    @property
    def accounted(self) -> bool:
        """The table is settled for the count (its ballots are in, annulled included)."""
        return self in (SheetState.COUNTED, SheetState.RESOLVED, SheetState.ANNULLED)

    @property
    def final(self) -> bool:
        """No further ruling is expected on this sheet."""
        return self not in (SheetState.PENDING, SheetState.OBSERVED)


class Reason(StrEnum):
    """Why a sheet was observed or annulled (ONPE's observation types, plus our own checks)."""

    ARITHMETIC = "arithmetic_error"  # error material: sums inconsistent
    EXCEEDS_ELECTORS = "votes_exceed_electors"  # error material: more ballots than electors
    ILLEGIBLE = "illegible"  # ilegibilidad
    INCOMPLETE = "incomplete"  # acta incompleta
    NO_DATA = "no_data"  # sin datos
    NO_SIGNATURES = "missing_signatures"  # sin firmas
    NULLITY_REQUEST = "nullity_request"  # solicitud de nulidad
    CHALLENGED = "challenged_ballots"  # votos impugnados
    LOST = "lost"  # extravío
    DESTROYED = "destroyed"  # siniestro
    CONFLICT = "version_conflict"  # a second, different version of a sheet
    ENTRIES_DIFFER = "entries_differ"  # double entry: the two clerks keyed different figures
    AT_DISPUTE_BODY = "at_dispute_body"  # the source says it is at the dispute body (EN PROCESO)
    ANNULLED_BY_RULING = "annulled_by_ruling"  # the source says the dispute body annulled it


@dataclass(frozen=True, slots=True)
class TallySheet:
    """The counts written on a table's tally sheet (acta electoral).

    ``votes`` follows the contest's choice order. ``cast`` is the ballots-cast line of the sheet
    (ciudadanos que votaron); validation checks it against the sum of the other lines.
    """

    table: TableId
    votes: tuple[int, ...]
    blank: int
    null: int
    challenged: int
    cast: int

    @property
    def valid(self) -> int:
        """Valid votes: the sum over choices (blank and null are not valid)."""
        return sum(self.votes)

    @property
    def counts(self) -> tuple[int, ...]:
        """Every number on the sheet, for comparing two versions."""
        return (*self.votes, self.blank, self.null, self.challenged, self.cast)
