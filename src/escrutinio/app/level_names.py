"""A level of the election as a person types it, matched to the name the election gives it.

Why one place: ``results --level`` and ``forensics --by`` both take a level's name or its words
as the output prints them (``territorial commission`` for ``territorial_commission``); each
matching them its own way let one command take what the other refused.
"""

from __future__ import annotations

from collections.abc import Iterable


def words(name: str) -> str:
    """A level's name as words, for matching what a person typed (``Territorial  commission``)."""
    return " ".join(name.replace("_", " ").casefold().split())


FORMER_NAMES = (
    ("region abroad", "territory abroad"),  # Russia's presets: the territory outside the RF
    ("region abroad", "department abroad"),  # Bolivia's: its Departamento column abroad
)
"""(former, present) names of presets' levels abroad: a store holds its election's definition as
loaded, so one loaded before the rename names the level the former way; either name finds the
level in either store (``territorial_commission abroad`` needs none: its words are the same)."""


def matching_level(typed: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``typed`` names: the name itself, or its words in any case, or
    the other name of a renamed level (:data:`FORMER_NAMES`); None when it names none of them."""
    names = list(names)
    if typed in names:
        return typed
    wanted = words(typed)
    found = next((name for name in names if words(name) == wanted), None)
    if found is not None:
        return found
    others = {b if words(a) == wanted else a for a, b in FORMER_NAMES if wanted in (words(a), words(b))}
    return next((name for name in names if words(name) in {words(o) for o in others}), None)
