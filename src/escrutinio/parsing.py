"""Typed values from the text a person types: the one parser every skin shares.

The CLI, the HTTP API and the web forms all receive text (``PL=3,FP=4``, ``2021-06-09T18:30``,
``0.05``, a table id); each is parsed here, once, into the typed value the application takes,
with one clear message naming the option or field and what was expected. Skins never parse
values themselves, so a rule (say, how a time without a zone is read) is the same everywhere.

Sections by capability; keep each parser next to its kind.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from escrutinio.domain.errors import EscrutinioError

if TYPE_CHECKING:
    from escrutinio.count.options import InvalidSheets, Level

E = TypeVar("E", bound=Enum)


class InputError(EscrutinioError):
    """A value a person typed is not what the option or field expects."""


# -- shared: counts, times, ids ---------------------------------------------------------


def parse_pairs(text: str | None, what: str) -> dict[str, int]:
    """``NAME=NUMBER`` pairs separated by commas (``PL=3,FP=4``); empty for no text."""
    if not text:
        return {}
    out: dict[str, int] = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if not key.strip() or not value.strip().isdigit():
            raise InputError(f"{what}: expected NAME=NUMBER pairs separated by commas, got {part!r}")
        if key.strip() in out:
            raise InputError(f"{what}: {key.strip()!r} is given twice")
        out[key.strip()] = int(value)
    return out


# -- count ------------------------------------------------------------------------------


def _choice(text: str, what: str, kind: type[E]) -> E:
    try:
        return kind(text.strip().lower())
    except ValueError:
        raise InputError(f"{what}: expected one of {', '.join(k.value for k in kind)}, got {text!r}") from None


def parse_level(text: str | None) -> Level | None:
    """``--level``: national, department, province, district or table (None: the nation)."""
    from escrutinio.count.options import Level

    return None if text is None else _choice(text, "--level", Level)


def parse_invalid(text: str) -> InvalidSheets:
    """``--invalid``: reject (refuse the file) or observe (record such sheets as observed)."""
    from escrutinio.count.options import InvalidSheets

    return _choice(text, "--invalid", InvalidSheets)


def parse_event_number(text: str | int, what: str = "--since") -> int:
    """An event number of the log (0 = before the first event)."""
    value = str(text).strip()
    if not value.isdigit():
        raise InputError(f"{what}: expected an event number (0 or more), got {text!r}")
    return int(value)


def parse_table_id(text: str, what: str = "TABLE") -> str:
    """A polling table's id as the source writes it (``052235``): kept as text, leading zeros too."""
    value = text.strip()
    if not value or any(c.isspace() for c in value) or len(value) > 64:
        raise InputError(f"{what}: expected a table id (up to 64 characters, no spaces), got {text!r}")
    return value


def parse_declared_at(text: str | None, what: str = "--declared-at") -> datetime | None:
    """A declared past time (``2021-06-06T22:00`` or with an offset). Without an offset it is
    left naive: the application reads it in the election's time zone."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what}: expected a time like 2021-06-06T22:00 or 2021-06-06T22:00-05:00, got {text!r}") from None


# -- cases ------------------------------------------------------------------------------


# -- audit ------------------------------------------------------------------------------


# -- forensics --------------------------------------------------------------------------
