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
