"""The field an API error names, read from its message when the error names none itself: a
file's problem at a line (``body:1: ...``, the hand counts' CSV sent as a body) names the file,
as a field's does (review10c: ``audit/entries.csv`` errors had ``field: null``)."""

from __future__ import annotations

import pytest

from escrutinio.api.errors import field_of
from escrutinio.app import EscrutinioError


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("body:1: expected a header row, found an empty file", "body"),
        ("body:12: counts: expected integers", "body"),
        ("--area: no area '99'", "area"),
        ("TABLE: no polling table", "table"),
        ("first, second: both wrong", "first"),
        ("no field here: at all", None),
    ],
)
def test_a_message_names_its_field(message: str, field: str | None) -> None:
    assert field_of(EscrutinioError(message)) == field
