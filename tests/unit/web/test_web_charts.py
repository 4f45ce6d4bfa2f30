"""The audit's risk chart: a log scale that holds every point and the limit, rounds left to
right, risk falling downwards, and nothing drawn before a measurement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escrutinio.web.charts import risk_chart


def test_no_chart_before_a_measurement() -> None:
    assert risk_chart([], "0.05") is None


def test_one_confirmed_round_of_the_runoff() -> None:
    chart = risk_chart([{"round": 1, "draws": 1275, "risk": "0.0499960755052", "decision": "confirmed"}], "0.05")
    assert chart is not None
    assert [t.label for t in chart.y_ticks] == ["1", "0.1", "0.01"]
    (point,) = chart.points
    assert chart.top < chart.limit_y < point.y < chart.height - chart.bottom  # just under the limit: lower
    assert point.risk == "0.0499960755052" and point.draws == 1275


def test_rounds_run_left_to_right_and_a_falling_risk_falls() -> None:
    rounds = [
        {"round": 1, "draws": 100, "risk": "0.4", "decision": "next_round"},
        {"round": 2, "draws": 300, "risk": "0.08", "decision": "next_round"},
        {"round": 3, "draws": 700, "risk": "0.004", "decision": "confirmed"},
    ]
    chart = risk_chart(rounds, "0.05")
    assert chart is not None
    xs, ys = [p.x for p in chart.points], [p.y for p in chart.points]
    assert xs == sorted(xs) and ys == sorted(ys)
    assert chart.line.count(",") == 3
    assert [t.label for t in chart.x_ticks] == ["1", "2", "3"]
    assert chart.y_ticks[-1].value == pytest.approx(0.001)


@given(
    st.lists(st.floats(min_value=1e-9, max_value=1.0), min_size=1, max_size=8),
    st.sampled_from(["0.05", "0.01", "0.1", "0.001"]),
)
def test_every_point_and_the_limit_lie_inside_the_plot(risks: list[float], limit: str) -> None:
    chart = risk_chart(
        [{"round": i + 1, "draws": 10 * (i + 1), "risk": repr(r), "decision": ""} for i, r in enumerate(risks)], limit
    )
    assert chart is not None
    bottom = chart.height - chart.bottom
    for y in [chart.limit_y, *(p.y for p in chart.points)]:
        assert chart.top - 1e-6 <= y <= bottom + 1e-6
    for p in chart.points:
        assert chart.left <= p.x <= chart.width - chart.right
