"""What is at stake (``session.stakes``): the open cases of the docket, and any list of tables a
party publishes, weighed against the margin.

The merge of the two is done here and only here: the CLI, the API and the 2021 replay all ask
this service, so a listed table and a docket case are weighed the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escrutinio.store.context import StoreContext

LISTED = "LIST-"
"""Prefix of the claims a published list adds (``LIST-000123``), apart from docket numbers."""


class StakesService:
    """The stakes report of one store."""

    def __init__(self, context: StoreContext) -> None:
        self.context = context

    def report(self, *, listed: Path | None = None, tables: Sequence[str] = ()) -> dict[str, Any]:
        """Margin, claims, worst case and the smallest set of cases that could change the winner.

        ``listed`` (a CSV with a MESA_DE_VOTACION or table column) and ``tables`` are weighed as
        if each table were claimed for annulment, besides every open case on the docket.
        """
        from escrutinio.count.stakes import OpenClaim, stakes
        from escrutinio.disputes.service import Disputes
        from escrutinio.domain.claims import EffectKind

        named = list(tables)
        if listed is not None:
            from escrutinio.formats.table_list import read_table_list

            named += read_table_list(listed)
        claims: list[Any] = Disputes(self.context).open_claims()
        claims += [OpenClaim(f"{LISTED}{t}", (t,), EffectKind.ANNUL) for t in dict.fromkeys(named)]
        return stakes(self.context.table_frame(), self.context.election(), claims).to_dict()
