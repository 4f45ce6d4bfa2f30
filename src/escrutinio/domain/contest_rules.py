"""A country's contest rules, as data: who wins outright, how big the runoff is, when the
election is void, what a tie means — each with the law it comes from.

Why data and not code: the rule differs by country (Bolivia elects with 40 % and a 10-point
lead, Argentina with 45 %, Peru and Chile need more than half) and it is recorded with the
definition as the log's first event, so whoever replays the log applies the very rule the
proclaiming body applied, and the certificate can quote it with its legal source.

Every comparison is exact: a share is a :class:`~fractions.Fraction` and "more than 50 %" is
``2·v > valid``, so a count at exactly the boundary is never decided by rounding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from escrutinio.domain.errors import DefinitionError


class Comparison(StrEnum):
    """How a share is compared with its bound: strictly more (``>``) or at least (``>=``)."""

    MORE = ">"
    AT_LEAST = ">="


_BOUND = re.compile(r"^\s*(>=|>)\s*([0-9]+(?:\.[0-9]+)?(?:/[0-9]+)?)\s*(%)?\s*$")


@dataclass(frozen=True)
class Bound:
    """A comparison with an exact fraction: ``> 50%`` is ``Bound(MORE, 1/2)``."""

    op: Comparison
    value: Fraction

    def holds(self, part: int, whole: int) -> bool:
        """Whether ``part / whole`` meets the bound, in integers (``whole`` must be positive)."""
        left, right = part * self.value.denominator, self.value.numerator * whole
        return left > right if self.op is Comparison.MORE else left >= right

    def __str__(self) -> str:
        percent = self.value * 100  # a finite decimal reads as a percentage, two thirds as "2/3"
        exact = 10**6 % percent.denominator == 0
        text = f"{float(percent):g}%" if exact else f"{self.value.numerator}/{self.value.denominator}"
        return f"{self.op.value} {text}"

    @classmethod
    def parse(cls, text: Any, path: str) -> Bound:
        """``"> 50%"``, ``">= 40%"``, ``"> 2/3"``: an operator, then a percentage or a fraction."""
        match = _BOUND.match(text) if isinstance(text, str) else None
        if match is None:
            raise DefinitionError(f'{path}: expected a bound such as "> 50%", ">= 40%" or "> 2/3", got {text!r}')
        op, number, percent = match.groups()
        return cls(Comparison(op), _share(number, bool(percent), text, path))


def _share(number: str, percent: bool, text: str, path: str) -> Fraction:
    try:
        value = Fraction(number) / (100 if percent else 1)
    except ZeroDivisionError:
        raise DefinitionError(f"{path}: a zero denominator in {text!r}") from None
    if not 0 <= value <= 1:
        raise DefinitionError(f"{path}: expected a share between 0 and 100 %, got {text!r}")
    return value


_SHARE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?(?:/[0-9]+)?)\s*(%)?\s*$")


def parse_share(text: Any, path: str) -> Fraction:
    """``"5%"`` or ``"1/20"``: a share, exactly."""
    match = _SHARE.match(text) if isinstance(text, str) else None
    if match is None:
        raise DefinitionError(f'{path}: expected a share such as "5%" or "1/20", got {text!r}')
    return _share(match.group(1), bool(match.group(2)), text, path)


class ShareBase(StrEnum):
    """What a share is a share of, as the law counts it.

    Most laws count shares of valid votes (Peru, Bolivia, Chile). Russia's count shares of all the
    ballots of the voters who took part, invalid ones included (19-FZ art. 76, 51-FZ): the CEC's
    49.32 % for United Russia in 2011 and 63.60 % for Putin in 2012, where shares of valid votes
    give 50.10 % and 64.35 %. The base decides both the outcome line and the shares results shows.
    """

    VALID = "valid"
    BALLOTS = "ballots"

    @property
    def words(self) -> str:
        return "valid votes" if self is ShareBase.VALID else "ballots cast (all ballots of the voters who took part)"

    def whole(self, valid: int, cast: int) -> int:
        """The denominator of a share on this base."""
        return valid if self is ShareBase.VALID else cast


@dataclass(frozen=True)
class Threshold:
    """One way to win outright: the leader's share of ``base`` (valid votes unless the law says
    otherwise) meets ``share`` and, when ``lead`` is set, the leader's lead over the second, in
    points of the same base, meets it."""

    share: Bound
    lead: Bound | None = None
    base: ShareBase = ShareBase.VALID

    def met(self, top: int, second: int, whole: int) -> bool:
        """``whole``: the base's total (valid votes, or ballots cast under ``ShareBase.BALLOTS``)."""
        if whole <= 0 or not self.share.holds(top, whole):
            return False
        return self.lead is None or self.lead.holds(top - second, whole)

    def __str__(self) -> str:
        text = f"share of {'valid votes' if self.base is ShareBase.VALID else 'ballots cast'} {self.share}"
        return text if self.lead is None else f"{text} with a lead {str(self.lead).replace('%', ' points')}"

    def to_dict(self) -> dict[str, str | None]:
        out = {"share": str(self.share), "lead": None if self.lead is None else str(self.lead)}
        # Only a base other than valid votes is said: every other election's recorded rules keep their shape.
        return out if self.base is ShareBase.VALID else {**out, "of": self.base.value}


@dataclass(frozen=True)
class VoidRule:
    """The whole election is void when null plus blank votes meet ``share`` of the ballots cast
    (Peru: more than two thirds)."""

    share: Bound
    source: str = ""

    def applies(self, blank: int, null: int, cast: int) -> bool:
        return cast > 0 and self.share.holds(blank + null, cast)

    def __str__(self) -> str:
        return f"void when null + blank {self.share} of ballots cast"

    def to_dict(self) -> dict[str, str]:
        return {"share": str(self.share), "of": "ballots cast", "counts": "null + blank", "source": self.source}


class TieRule(StrEnum):
    """What a tie that decides the outcome means (for the winner or for the last runoff place)."""

    UNDECIDED = "undecided"  # the count names nobody: the proclaiming body acts as the law says
    LOT = "lot"  # the tied choices are drawn by lot (sorteo) by the proclaiming body


MAJORITY = (Threshold(Bound(Comparison.MORE, Fraction(1, 2))),)
"""The usual rule, and the default: more than half of the valid votes."""

TWO_THIRDS_VOID = VoidRule(Bound(Comparison.MORE, Fraction(2, 3)))
"""The default void rule (Peru's): null + blank over two thirds of ballots cast."""


def _check_table(raw: Any, path: str, allowed: set[str], example: str) -> None:
    """A rule's TOML table: a table, no unknown key, a ``share``."""
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{path}: expected a table such as {example}")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise DefinitionError(f"{path}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})")
    if "share" not in raw:
        raise DefinitionError(f"{path}.share: required key is missing")


def parse_thresholds(raw: Any, path: str) -> tuple[Threshold, ...]:
    """``[{share = "> 50%"}, {share = ">= 40%", lead = ">= 10%"}]``: alternatives, any one wins."""
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(f'{path}: expected a list of alternatives such as [{{ share = "> 50%" }}]')
    out = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        _check_table(item, where, {"share", "lead"}, '{ share = ">= 40%", lead = ">= 10%" }')
        lead = None if "lead" not in item else Bound.parse(item["lead"], f"{where}.lead")
        out.append(Threshold(Bound.parse(item["share"], f"{where}.share"), lead))
    return tuple(out)


def parse_void(raw: Any, path: str) -> VoidRule | None:
    """``{share = "> 2/3", source = "..."}``, or ``"none"`` for no void rule."""
    if raw == "none":
        return None
    _check_table(raw, path, {"share", "source"}, '"none" or { share = "> 2/3", source = "..." }')
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise DefinitionError(f"{path}.source: expected str, got {source!r}")
    return VoidRule(Bound.parse(raw["share"], f"{path}.share"), source)
