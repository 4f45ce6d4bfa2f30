"""Names of the figures an area tally holds (shared by the tally writer and the results reader)."""

from escrutinio.domain.sheet import Reason

STATE_KEYS = ("counted", "resolved", "observed", "annulled", "not_installed")
FIGURES = ("cast", "blank", "null", "challenged", "valid")

DESPITE_RULES = (Reason.ARITHMETIC.value, Reason.EXCEEDS_ELECTORS.value, Reason.CHALLENGED.value)
"""The counting rules a sheet is checked against on load (``intake.checks``). A sheet the source
states final that breaks one is counted as the source says; the tally counts such sheets per
rule, so that results can say how many of an area's counted sheets nobody should trust blind."""
DESPITE_PREFIX = "despite_"
"""Tally key of the sheets in the count final at source despite a rule: ``despite_<rule>``."""
SOURCE_BASIS = "source:"
"""How a sheet's ``basis`` starts when its state is the one the source stated."""
