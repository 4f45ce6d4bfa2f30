"""Names of the figures an area tally holds (shared by the tally writer and the results reader)."""

STATE_KEYS = ("counted", "resolved", "observed", "annulled", "not_installed")
FIGURES = ("cast", "blank", "null", "challenged", "valid")
