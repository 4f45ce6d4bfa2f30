"""Risk limits and measured risks: how they enter the audit math and how they are written down.

A risk limit is part of the audit's public record, so it is held as an exact
:class:`~fractions.Fraction` ("0.05" and "1/20" are the same limit, and a float such as 0.1 is
read through its shortest decimal form so that it means one tenth, not 0.1000000000000000055).
A measured risk is a probability computed in floating point; stored payloads never hold floats,
so it is written as a decimal string rounded *up* (a rounded risk is never smaller than the
computed one, so rounding can only make the record more cautious).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Context, Decimal
from fractions import Fraction

RiskLimitLike = Fraction | str | float | int
"""What callers may pass as a risk limit: a Fraction, a decimal or ``p/q`` string, or a number."""

RISK_DIGITS = 12
"""Significant digits kept when a measured risk is written down."""


def as_risk_limit(value: RiskLimitLike) -> Fraction:
    """Read a risk limit exactly and check that it is a probability strictly between 0 and 1.

    Floats go through ``repr`` so that ``0.05`` means 1/20: a float literal is how people write
    a decimal, not a binary fraction they mean to the last bit.
    """
    if isinstance(value, bool):
        raise TypeError("a risk limit is a number, not a boolean")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"risk limit must be finite, got {value!r}")
        limit = Fraction(repr(value))
    elif isinstance(value, str):
        try:
            limit = Fraction(value.strip())
        except (ValueError, ZeroDivisionError) as error:
            raise ValueError(f"risk limit {value!r} is not a number such as '0.05' or '1/20'") from error
    else:
        limit = Fraction(value)
    if not 0 < limit < 1:
        raise ValueError(f"risk limit must be strictly between 0 and 1, got {value!r}")
    return limit


MIN_RISK_LIMIT = Fraction(1, 10_000)
"""The smallest risk limit an audit is planned at (0.0001). Why: below it the sample is most of
the count, and a limit such as 1e-300 is no audit but a full hand count written down as a
300-digit number: a full hand count is then the audit. Only new plans are held to it; a
record's limit is read with :func:`as_risk_limit` alone, so a log planned before still replays."""


def risk_limit_range(what: str, given: object) -> str:
    """The one-line refusal of a risk limit out of the range a plan takes, naming ``what``."""
    return (
        f"{what}: expected a number from 0.0001 up to (not including) 1, such as 0.05, got {given!r}"
        " (below 0.0001 a full hand count is the audit, not a sample)"
    )


def plannable_risk_limit(value: RiskLimitLike) -> Fraction:
    """:func:`as_risk_limit`, refused (``ValueError``) below :data:`MIN_RISK_LIMIT`: what a new
    audit may be planned at."""
    limit = as_risk_limit(value)
    if limit < MIN_RISK_LIMIT:
        raise ValueError(risk_limit_range("risk_limit", f"{float(limit):.3g}"))  # 1e-300, not its 300 digits
    return limit


def format_risk(risk: float) -> str:
    """Write a measured risk as a decimal string with :data:`RISK_DIGITS` significant digits,
    rounded up and capped at 1 (a risk above 1 carries no more information than 1)."""
    if math.isnan(risk) or risk < 0:
        raise ValueError(f"a risk is a probability, got {risk!r}")
    if risk >= 1:
        return "1"
    rounded = Context(prec=RISK_DIGITS, rounding=ROUND_CEILING).plus(Decimal(risk))
    return format(rounded.normalize(), "f") if rounded < 1 else "1"


def parse_risk(text: str) -> Fraction:
    """Read back a risk written by :func:`format_risk` (exactly, as the decimal it is)."""
    value = Fraction(Decimal(text))
    if not 0 <= value <= 1:
        raise ValueError(f"a stored risk must be between 0 and 1, got {text!r}")
    return value


def risk_from_log_statistic(log_statistic: float) -> float:
    """Risk ``min(1, 1/T)`` from ``ln T``: working in logs keeps huge or tiny products finite."""
    if log_statistic <= 0:
        return 1.0
    return math.exp(-log_statistic)


def fraction_text(value: Fraction) -> str:
    """An exact fraction as text: a finite decimal when it has one ("0.05"), else "p/q"."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = 0
    while (value * 10**digits).denominator != 1:
        digits += 1
    scaled = abs(value.numerator) * 10**digits // value.denominator
    whole, decimals = divmod(scaled, 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{decimals:0{digits}d}" if digits else f"{sign}{whole}"
