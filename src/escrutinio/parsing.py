"""Typed values from the text a person types: the one parser every skin shares.

The CLI, the HTTP API and the web forms all receive text (``PL=3,FP=4``, ``2021-06-09T18:30``,
``0.05``, a table id); each is parsed here, once, into the typed value the application takes,
with one clear message naming the option or field and what was expected. Skins never parse
values themselves, so a rule (say, how a time without a zone is read) is the same everywhere.

Sections by capability; keep each parser next to its kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from escrutinio.domain.errors import EscrutinioError

if TYPE_CHECKING:
    from escrutinio.domain.claims import CaseKind, CaseStatus, Effect, EffectKind

E = TypeVar("E", bound=StrEnum)


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


# -- cases ------------------------------------------------------------------------------


def parse_time(text: str, what: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time (``2021-06-09T18:30``); without an offset it is read in ``zone`` (the
    election's), so a clerk types the local time printed on a paper filing."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what}: expected an ISO date and time such as 2021-06-09T18:30, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def parse_choice(text: str, kind: type[E], what: str) -> E:
    """One of an enum's values (``annul``, ``nullity_request``, ...), or a message listing them."""
    try:
        return kind(text.strip())
    except ValueError:
        raise InputError(f"{what}: expected one of {', '.join(e.value for e in kind)}, got {text!r}") from None


def parse_case_kind(text: str, what: str = "--kind") -> CaseKind:
    from escrutinio.domain.claims import CaseKind

    return parse_choice(text, CaseKind, what)


def parse_case_status(text: str, what: str = "--status") -> CaseStatus:
    from escrutinio.domain.claims import CaseStatus

    return parse_choice(text, CaseStatus, what)


def parse_effect_kind(text: str, what: str = "--effect") -> EffectKind:
    from escrutinio.domain.claims import EffectKind

    return parse_choice(text, EffectKind, what)


def parse_effect(
    kind: str,
    choices: Sequence[str],
    *,
    figures: str | None = None,
    decided: str | None = None,
    instead: str | None = None,
) -> Effect:
    """What a ruling does to the count, from ``--effect`` and its companions: ``--figures``
    (``PL=..,FP=..,blank=..,null=..,challenged=..,cast=..``) for count_corrected, ``--decided``
    (``PL=1,null=2``) for decide_challenged, ``--instead`` (the decision that stands) for reverse.
    The domain then checks the combination (e.g. corrected figures without count_corrected)."""
    from escrutinio.domain.claims import ClaimRefused, Effect, EffectKind, Figures

    effect_kind = parse_choice(kind, EffectKind, "--effect")
    fixed = None
    if figures:
        pairs = parse_pairs(figures, "--figures")
        names = (*choices, "blank", "null", "challenged", "cast")
        missing = [k for k in names if k not in pairs]
        if missing:
            raise InputError(f"--figures: missing {missing[0]} (give {', '.join(names)})")
        unknown = sorted(set(pairs) - set(names))
        if unknown:
            raise InputError(f"--figures: {unknown[0]!r} is not one of {', '.join(names)}")
        fixed = Figures(tuple(pairs[c] for c in choices), pairs["blank"], pairs["null"], pairs["challenged"], pairs["cast"])
    standing = parse_effect(instead, choices) if instead else None
    try:
        return Effect(effect_kind, fixed, parse_pairs(decided, "--decided") or None, standing)
    except ClaimRefused as exc:
        raise InputError(f"--effect: {exc.args[0].split(': ', 1)[-1]}") from None


# -- audit ------------------------------------------------------------------------------


# -- forensics --------------------------------------------------------------------------
