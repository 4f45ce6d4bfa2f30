"""A new audit is planned at a risk limit of 0.0001 or more (below, a full hand count is the
audit); a record planned at a smaller limit before the bound still replays as it was written."""

from __future__ import annotations

from fractions import Fraction

import pytest
from tests.contest_audits import contest_manifest, split_votes

from escrutinio.audit.risk import MIN_RISK_LIMIT, plannable_risk_limit
from escrutinio.audit.workflow import planned_event, replay
from escrutinio.parsing import InputError, parse_risk_limit


@pytest.mark.parametrize("tiny", [1e-300, "0.00009", "1/10001", Fraction(1, 10**300)])
def test_a_plan_below_the_bound_is_refused_in_one_line_naming_risk_limit(tiny: object) -> None:
    manifest = contest_manifest(*split_votes({"A": 600, "B": 400}, 10), ["A"])
    with pytest.raises(ValueError, match=r"^risk_limit: expected a number from 0\.0001 up to \(not including\) 1") as refused:
        planned_event(manifest, "A", "B", tiny)  # type: ignore[arg-type]
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 200
    if not isinstance(tiny, Fraction):
        with pytest.raises(InputError, match=r"^risk_limit: expected a number from 0\.0001"):
            parse_risk_limit(tiny)  # type: ignore[arg-type]
    assert plannable_risk_limit("0.0001") == parse_risk_limit("1/10000") == MIN_RISK_LIMIT


def test_a_record_planned_below_the_bound_before_it_still_replays() -> None:
    manifest = contest_manifest(*split_votes({"A": 600, "B": 400}, 10), ["A"])
    older = {**planned_event(manifest, "A", "B", "0.05"), "risk_limit": "1/1000000"}
    assert replay([older]).risk_limit == Fraction(1, 1_000_000)
