"""The names an audit record is written in: its methods, what each samples, its decisions.

Kept apart from the math (no numpy, no scipy) so that the parsing module and the CLI can name a
method or a decision without paying for the statistics: ``escrutinio --help`` stays instant.
The values are the strings stored in the log, so an enum member equals its stored text.
"""

from __future__ import annotations

from enum import StrEnum


class AuditMethod(StrEnum):
    """A risk-limiting audit method the audit record runs."""

    MACRO = "macro"
    """Batch comparison, tables as batches, MACRO (Stark 2008)."""
    ALPHA_BATCH = "alpha_batch"
    """Batch comparison with ALPHA's supermartingale."""
    BRAVO = "bravo"
    """Ballot polling, BRAVO (Lindeman, Stark, Yates 2012)."""
    ALPHA_POLLING = "alpha_polling"
    """Ballot polling with ALPHA shrink-trunc."""
    MINERVA = "minerva"
    """Ballot polling in rounds, Minerva (Zagórski et al. 2021): risk by the exact binomial law."""

    @property
    def polling(self) -> bool:
        """Whether the sample is of ballots (polling) rather than of whole tables (batches)."""
        return self in (AuditMethod.BRAVO, AuditMethod.ALPHA_POLLING, AuditMethod.MINERVA)

    @property
    def unit(self) -> AuditUnit:
        return AuditUnit.BALLOTS if self.polling else AuditUnit.TABLES


class AuditUnit(StrEnum):
    """What a draw picks, and so what a hand-count entry describes."""

    TABLES = "tables"
    """A whole table's ballots counted by hand (batch comparison)."""
    BALLOTS = "ballots"
    """One ballot read (ballot polling)."""


class Decision(StrEnum):
    """What a risk measurement decides."""

    CONFIRMED = "confirmed"
    """The risk is at or below the limit: the reported winner stands."""
    NEXT_ROUND = "next_round"
    """Draw more."""
    FULL_HAND_COUNT = "full_hand_count"
    """No sample size can confirm, the rounds are spent, or the next round is everything."""


class RoundSizing(StrEnum):
    """How the record sizes a next round; the plan names it, so a log replays as it was written."""

    MEAN_GAIN = "mean_gain"
    """Audits planned before each method had its own next-round size: a polling round extrapolates
    the mean gain in ln T per draw so far (batch methods sized as they are now)."""
    METHOD = "method"
    """Each method's next-round size (:mod:`escrutinio.audit.rounds`): BRAVO's round that confirms
    with chance 0.9 from where the sample stands, ALPHA's expected path, MACRO's taints so far,
    Minerva's round that confirms with chance 0.9 given the rounds so far (Minerva always sizes
    its rounds so: its risk is defined by them)."""


DEFAULT_MAX_ROUNDS = 5
"""Rounds an audit may draw before it goes to a full hand count, unless the plan says otherwise."""

MIN_CEREMONY_SEED_DIGITS = 20
"""A ceremony seed has at least this many decimal digits (20 rolls of a ten-sided die, about
66 bits): fewer would let whoever picks the seed try them all to choose a favourable sample."""

OTHER_READINGS = ("blank", "null", "other")
"""What a sampled ballot may show besides the pair's ids: all three count as "neither"."""
