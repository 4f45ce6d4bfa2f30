"""Risk limits read exactly; measured risks written as strings, rounded up."""

from __future__ import annotations

from fractions import Fraction

import pytest

from escrutinio.audit.risk import as_risk_limit, format_risk, fraction_text, parse_risk


@pytest.mark.parametrize("value", [0.05, "0.05", "1/20", Fraction(1, 20), " 0.050 "])
def test_risk_limit_spellings_mean_the_same_fraction(value: object) -> None:
    assert as_risk_limit(value) == Fraction(1, 20)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, 1, "1.5", "-0.1", "five percent", float("nan"), True])
def test_risk_limit_must_be_a_probability_strictly_inside(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        as_risk_limit(value)  # type: ignore[arg-type]


def test_formatted_risk_is_never_below_the_computed_one() -> None:
    for risk in (0.1335136772513166, 1 / 3, 2.5e-7, 0.049999999999999):
        text = format_risk(risk)
        assert parse_risk(text) >= Fraction(risk)
        assert parse_risk(text) - Fraction(risk) < Fraction(risk) * Fraction(1, 10**11)
    assert format_risk(7.5) == "1"
    assert format_risk(0.0) == "0"


def test_fraction_text_is_exact() -> None:
    assert fraction_text(Fraction(1, 20)) == "0.05"
    assert fraction_text(Fraction(10091, 100)) == "100.91"
    assert fraction_text(Fraction(2, 3)) == "2/3"
    assert fraction_text(Fraction(7)) == "7"
