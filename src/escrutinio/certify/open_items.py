"""What still stands between the count and its proclamation.

The appeals body proclaims only when nothing is left open (LOE; in 2021 the JNE proclaimed once
every appeal was decided): every table counted, annulled or not installed; no case or appeal
open; and, where the definition requires an audit, the audit reported with its risk limit met.
Each open item is one line a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

UNSETTLED_STATES = ("pending", "observed")
"""Table states that are neither counted, annulled nor not installed."""

STATE_WORDS = {"pending": "no sheet received", "observed": "sheet at the dispute body"}


def open_items(
    unsettled: Iterable[tuple[str, str]],
    open_cases: Sequence[Mapping[str, Any]],
    audit: Mapping[str, Any] | None,
    required_risk: Fraction | None,
) -> list[str]:
    """One line per open item: each open case (with its tables), each unsettled table no open
    case names, and the audit when the definition requires one and it has not met its limit.

    ``unsettled``: (table, state) of the tables in :data:`UNSETTLED_STATES`; ``open_cases``: the
    docket rows of open cases (number, kind, status, tables); ``audit``: the audit's status."""
    lines: list[str] = []
    named: set[str] = set()
    for case in open_cases:
        tables = [t for t in str(case["tables"]).split(",") if t]
        named.update(tables)
        on = f" on table{'s' if len(tables) > 1 else ''} {', '.join(tables)}" if tables else ""
        lines.append(f"case {case['number']} ({str(case['kind']).replace('_', ' ')}, {case['status']}){on} is open")
    for table, state in sorted(unsettled):
        if table not in named:
            lines.append(f"table {table}: {STATE_WORDS.get(state, state)}, neither counted, annulled nor not installed")
    if required_risk is not None:
        problem = audit_problem(audit, required_risk)
        if problem:
            lines.append(problem)
    return lines


def audit_problem(audit: Mapping[str, Any] | None, required_risk: Fraction) -> str | None:
    """Why the audit does not yet meet the definition's risk limit (None when it does)."""
    limit = f"{float(required_risk * 100):g}%"
    if not audit or audit.get("phase") in (None, "none"):
        return f"audit: the definition requires a risk-limiting audit at {limit}; none is planned"
    report = audit.get("report")
    if audit.get("phase") != "reported" or not report:
        return f"audit: the definition requires a risk limit of {limit}; the audit is {audit.get('phase')}, not reported"
    if report.get("outcome") != "confirmed":
        return f"audit: the audit's outcome is {report.get('outcome')}; a full hand count decides, not the sample"
    planned = Fraction(str(audit.get("risk_limit")))
    if planned > required_risk:
        return f"audit: its risk limit {float(planned * 100):g}% is above the {limit} the definition requires"
    return None
