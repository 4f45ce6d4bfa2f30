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

        The headline (``claims``, ``worst_case_margin``, ``smallest_set``) weighs the open cases of
        the docket, and only them. ``listed`` (a CSV with a MESA_DE_VOTACION or table column) and
        ``tables`` are weighed apart, under ``listed``: every listed table by where it stands (annul
        a counted one; count an annulled one at its district's rates and at worst case; count or
        annul an observed one) with the bound on how far the list can move the margin
        (:mod:`escrutinio.disputes.listed_stakes`). Why apart: a list asks for nothing precise, and
        weighing its counted tables as annulment claims in the headline too counted them twice
        (the 59 tables Fuerza Popular highlighted: 40 "open claims" where the docket has 20, and a
        worst case 534 votes lower). A listed table not in the election is refused naming its line;
        a table listed twice is weighed once, and the report says so (``listed.repeated``).
        ``sheets_at_dispute_body`` counts the docket's tables still at the dispute body, and
        ``sheets_at_dispute_body_tables`` names them.
        """
        import polars as pl

        from escrutinio.count.stakes import stakes
        from escrutinio.disputes.service import Disputes
        from escrutinio.domain import table_frame as tf

        frame = self.context.table_frame()
        named = list(tables)
        if listed is not None:
            named += self._read_listed(listed, set(frame[tf.TABLE].to_list()))
        election = self.context.election()
        report = stakes(frame, election, Disputes(self.context).open_claims()).to_dict()
        # A party-list election has no winner rule (results: "seats are not allocated here"), so its
        # claims are weighed against no winner: the skins say so instead of "cannot change the winner".
        report["seats"] = election.rules.seats or None
        # Every observed sheet is an open case of its own (count.stakes), so these are all of them.
        report["sheets_at_dispute_body"] = report["under_claim"]["by_state"].get("observed", 0)
        report["sheets_at_dispute_body_tables"] = sorted(frame.filter(pl.col(tf.STATE) == "observed")[tf.TABLE].to_list())
        if named and report["leader"] and report["runner_up"]:
            from escrutinio.disputes.listed_stakes import listed_stakes

            leader, runner_up = report["leader"], report["runner_up"]
            margin = report["votes"][leader] - report["votes"][runner_up]
            report["listed"] = listed_stakes(frame, named, leader, runner_up, margin)
            report["listed"]["repeated"] = _repeated(named)
            # The winner is not the whole outcome: a rule with thresholds (Bolivia: 40 % and a
            # 10-point lead) or runoff places (Peru's first round) can change with the leader ahead.
            # A party-list election's seats are not allocated here, so no outcome is weighed for it.
            if not election.rules.seats:
                from escrutinio.disputes.listed_outcomes import listed_outcomes

                report["listed"].update(listed_outcomes(frame, named, election))
            # The areas whose rates an annulled table is counted at, as the election calls them: the
            # frame's district column holds its finest level up to the third (Russia's commissions).
            report["listed"]["area_level"] = election.levels[min(len(election.levels), 3) - 1]
        return report

    @staticmethod
    def _read_listed(path: Path, known: set[str]) -> list[str]:
        """The listed tables of ``path``; one not in the election is an error naming its line, and
        every error names the option it came from (``--claims: FILE:LINE:FIELD: ...``)."""
        from escrutinio.app.option_files import option_file_error
        from escrutinio.domain.errors import InputError
        from escrutinio.formats.table_list import read_known_tables

        try:
            return list(read_known_tables(path, known, "claims"))
        except InputError as exc:  # a usage error, one line: "--claims: FILE:LINE:FIELD: ... (and N more)"
            raise option_file_error(exc, "claims") from None


def _repeated(named: Sequence[str]) -> list[dict[str, Any]]:
    """Tables named more than once, with the positions (lines of a list file: position + 2)."""
    where: dict[str, list[int]] = {}
    for i, t in enumerate(named):
        where.setdefault(t, []).append(i + 2)
    return [{"table": t, "lines": lines} for t, lines in where.items() if len(lines) > 1]


def _s(n: int) -> str:
    """The plural ending of a count's noun: "1 table", "2 tables"."""
    return "" if n == 1 else "s"


def listed_lines(listed: dict[str, Any]) -> list[str]:
    """A listed-table report (``report()["listed"]``) in a few plain lines, as every skin words it."""
    s = listed["by_state"]
    parts = [f"{v['tables']:,} {k.replace('_', ' ')}" for k, v in s.items()]
    n = listed["tables"]
    lines = [f"The {n:,} listed table{_s(n)}: {', '.join(parts) or 'none in this election'}."]
    if "annulled" in s:
        a, ballots = s["annulled"]["tables"], s["annulled"]["ballots"]
        # The others: the listed tables that count now (annulled in this case); a sheet at the dispute body stays as is.
        others = sum(v["tables"] for k, v in s.items() if k not in ("annulled", "observed"))
        lines.append(
            (f"The {a:,} annulled ones hold" if a != 1 else "The annulled one holds")
            + f" {ballots:,} ballot{_s(ballots)}: counted {'each ' if a != 1 else ''}at its "
            f"{listed.get('area_level', 'district').replace('_', ' ')}'s rates the margin would be "
            f"{listed['margin_if_claimed_at_area_rates']:,}"
            + ("" if not others else " (the other one annulled)" if others == 1 else f" (the {others:,} others annulled)")
            + f"; every ballot for {listed['runner_up']} is the worst case."
        )
    if at_body := listed["sheets_at_dispute_body"]:
        lines.append(
            f"{at_body:,} of them {'are sheets' if at_body != 1 else 'is a sheet'} still at the dispute body."
            if n != 1
            else "It is a sheet still at the dispute body."
        )
    could = "COULD" if listed["can_change_winner"] else "cannot"
    lines.append(
        f"Whatever becomes of them, the margin stays between {listed['lowest_margin']:,} and {listed['highest_margin']:,} "
        f"(now {listed['margin']:,}): the listed tables {could} put {listed['runner_up']} level with or ahead of "
        f"{listed['leader']}."
    )
    if "can_change_outcome" in listed:
        if listed["can_change_outcome"]:
            lines.append(
                f"Under the election's rule the outcome is now: {listed['outcome_now']}. The listed tables COULD change it; "
                f"reachable: {'; '.join(listed['reachable_outcomes'])}."
            )
        else:
            lines.append(
                f"Under the election's rule the outcome is now: {listed['outcome_now']}; the listed tables cannot change it."
            )
    for r in listed.get("repeated", []):
        at = " and ".join(map(str, r["lines"]))
        times = "twice" if len(r["lines"]) == 2 else f"{len(r['lines'])} times"
        lines.append(f"Table {r['table']} is listed {times} (lines {at}): weighed once.")
    return lines


def dispute_body_line(report: dict[str, Any], most: int = 30) -> str | None:
    """The tables whose sheets are still at the dispute body, named (the first ``most``)."""
    tables = report.get("sheets_at_dispute_body_tables") or []
    if not tables:
        return None
    more = f" and {len(tables) - most:,} more" if len(tables) > most else ""
    return f"Sheets still at the dispute body ({len(tables):,}): {', '.join(tables[:most])}{more}."
