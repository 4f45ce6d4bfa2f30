"""The words for where a sheet stands: defined once, used by results, status, the table view
and the README.

A table's current sheet is in exactly one **state** (the values are the log's own spelling):

- ``pending`` — no sheet received yet;
- ``counted`` — in the count as received: the source stated it final (ONPE's CONTABILIZADA) or
  it passed every counting rule;
- ``resolved`` — in the count after a ruling of the dispute body (ONPE's COMPUTADA RESUELTA);
- ``observed`` — at the dispute body (ONPE's EN PROCESO, or a rule it breaks): out of the totals,
  its figures shown apart as *provisional*;
- ``annulled`` — annulled by a ruling: no votes for any choice; its ballots count as the rules
  say (Peru: as null votes);
- ``not_installed`` — the table never opened: nothing to count.

Two words gather states:

- **in the count** (``in_count``) = counted + resolved: their votes are in the totals;
- **accounted for** (``accounted``) = in the count + annulled: settled, nothing left to rule;
  the share of electors "accounted for" is of these tables.

A sheet the source states final but that breaks a counting rule (its figures do not add up,
more ballots than electors, challenged ballots) is taken as the source says — it is in the
count — and listed as **final at source despite <rule>**, so that nobody has to trust it blind.
"""

from __future__ import annotations

from escrutinio.aggregation.keys import DESPITE_RULES, SOURCE_BASIS
from escrutinio.domain.sheet import SheetState

MEANINGS: dict[str, str] = {
    SheetState.PENDING.value: "no sheet received yet",
    SheetState.COUNTED.value: "in the count as received (stated final by the source, or it passed every rule)",
    SheetState.RESOLVED.value: "in the count after a ruling of the dispute body",
    SheetState.OBSERVED.value: "at the dispute body: out of the totals, its figures shown apart as provisional",
    SheetState.ANNULLED.value: "annulled by a ruling: no votes; its ballots count as the rules say",
    SheetState.NOT_INSTALLED.value: "the table never opened: nothing to count",
}
"""Each sheet state in one line (shown by ``escrutinio status`` and the README)."""

STATES = tuple(MEANINGS)
"""Every state, in the order people read them."""
IN_COUNT = (SheetState.COUNTED.value, SheetState.RESOLVED.value)
"""States whose votes are in the totals."""
ACCOUNTED = (*IN_COUNT, SheetState.ANNULLED.value)
"""States with nothing left to rule: in the count, or annulled."""

RULES = DESPITE_RULES
"""The counting rules a sheet is checked against on load (``intake.checks``)."""
__all__ = ["ACCOUNTED", "IN_COUNT", "MEANINGS", "RULES", "SOURCE_BASIS", "STATES", "despite", "despite_label"]


def despite(state: str, basis: str | None, reasons: str | list[str] | None) -> list[str]:
    """The rules a sheet in the count breaks although the source stated it final (none usually)."""
    if state not in IN_COUNT or not (basis or "").startswith(SOURCE_BASIS):
        return []
    listed = reasons.split(",") if isinstance(reasons, str) else list(reasons or [])
    return [r for r in listed if r in RULES]


def despite_label(rules: list[str]) -> str:
    """``final at source despite arithmetic_error`` (the words status and results print)."""
    return f"final at source despite {' and '.join(rules)}"
