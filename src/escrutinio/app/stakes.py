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

        ``listed`` (a CSV with a MESA_DE_VOTACION or table column) and ``tables``: each listed
        table still in the count is weighed as if claimed for annulment, besides every open case
        on the docket; an annulled one cannot be annulled again, so it is not a claim there. Under
        ``listed`` the report then weighs every listed table by where it stands (annul a counted
        one; count an annulled one at its district's rates and at worst case; count or annul an
        observed one) and bounds how far the list can move the margin
        (:mod:`escrutinio.disputes.listed_stakes`). ``sheets_at_dispute_body`` counts the tables
        under claim still at the dispute body, whether a docket case or the list names them.
        """
        import polars as pl

        from escrutinio.count.stakes import OpenClaim, stakes
        from escrutinio.disputes.service import Disputes
        from escrutinio.domain import table_frame as tf
        from escrutinio.domain.claims import EffectKind

        named = list(tables)
        if listed is not None:
            from escrutinio.formats.table_list import read_table_list

            named += read_table_list(listed)
        frame = self.context.table_frame()
        claims: list[Any] = Disputes(self.context).open_claims()
        annulled = set(frame.filter(pl.col(tf.STATE) == "annulled")[tf.TABLE].to_list()) if named else set()
        claims += [OpenClaim(f"{LISTED}{t}", (t,), EffectKind.ANNUL) for t in dict.fromkeys(named) if t not in annulled]
        report = stakes(frame, self.context.election(), claims).to_dict()
        report["sheets_at_dispute_body"] = report["under_claim"]["by_state"].get("observed", 0)
        if named and report["leader"] and report["runner_up"]:
            from escrutinio.disputes.listed_stakes import listed_stakes

            leader, runner_up = report["leader"], report["runner_up"]
            margin = report["votes"][leader] - report["votes"][runner_up]
            report["listed"] = listed_stakes(frame, named, leader, runner_up, margin)
        return report


def listed_lines(listed: dict[str, Any]) -> list[str]:
    """A listed-table report (``report()["listed"]``) in a few plain lines, as every skin words it."""
    s = listed["by_state"]
    parts = [f"{v['tables']:,} {k.replace('_', ' ')}" for k, v in s.items()]
    lines = [f"The {listed['tables']:,} listed tables: {', '.join(parts) or 'none in this election'}."]
    if "annulled" in s:
        lines.append(
            f"The {s['annulled']['tables']:,} annulled ones hold {s['annulled']['ballots']:,} ballots: counted at their "
            f"districts' rates the margin would be {listed['margin_if_claimed_at_area_rates']:,} (the others annulled); "
            f"every ballot for {listed['runner_up']} is the worst case."
        )
    if listed["sheets_at_dispute_body"]:
        lines.append(f"{listed['sheets_at_dispute_body']:,} of them are sheets still at the dispute body.")
    could = "COULD" if listed["can_change_winner"] else "cannot"
    lines.append(
        f"Whatever becomes of them, the margin stays between {listed['lowest_margin']:,} and {listed['highest_margin']:,} "
        f"(now {listed['margin']:,}): the listed tables {could} change the winner."
    )
    if listed["unknown_tables"]:
        lines.append(f"{len(listed['unknown_tables']):,} listed tables are not in this election.")
    return lines
