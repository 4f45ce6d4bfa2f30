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


def matching_level(typed: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``typed`` names: the name itself, or its words in any case; None
    when it names none of them."""
    names = list(names)
    if typed in names:
        return typed
    wanted = words(typed)
    return next((name for name in names if words(name) == wanted), None)
