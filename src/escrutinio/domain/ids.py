"""The domain's identifiers, each its own type.

They are all text at run time (a table id keeps its leading zeros, an area code is a ubigeo or
a path of names), so mixing them up is no error Python would raise: a table id passed where an
area code is expected just finds nothing. As ``NewType``s they cost nothing when the code runs
and a type checker refuses the mix-up. A reader makes them from a file's fields; skins get them
from ``escrutinio.parsing``.
"""

from __future__ import annotations

from typing import NewType

TableId = NewType("TableId", str)
"""A polling table (mesa de votación), e.g. ``"000001"``: text, leading zeros kept."""

AreaCode = NewType("AreaCode", str)
"""An area at any level: Peru's ubigeo prefixes (``"14"``, ``"1401"``, ``"140137"``), a generic
file's names path (``"La Paz/Murillo"``), or the country code for the nation."""

ChoiceId = NewType("ChoiceId", str)
"""A choice on the ballot (a party or list), as the election definition names it, e.g. ``"PL"``."""

CaseNumber = NewType("CaseNumber", str)
"""A case at the dispute body (número de expediente)."""

ElectionId = NewType("ElectionId", str)
"""An election definition's ``election.id``, e.g. ``"peru-2021-runoff"``."""


def table_key(table: str) -> str:
    """The key a table id written in a list is matched to the election's tables by: the id as the
    readers store it (stripped, as every reader strips a table field), with each part of digits
    (``/`` joins a generic file's columns: ``region/uik``) read without its leading zeros.

    Why: the store keeps an id as its source writes it (ONPE's ``052235``: six digits, zero-padded),
    but a list of tables people publish has often been through a spreadsheet, which writes the
    number 52235. Both name one table. Only list readers match by this key; the store and every
    lookup by id keep the id as written, so two stored tables whose keys collide (``052235`` and
    ``52235`` in one file) stay two tables, and a list naming either is refused as ambiguous.
    """
    parts = table.strip().split("/")
    return "/".join((p.lstrip("0") or "0") if p.isascii() and p.isdigit() else p for p in parts)
