"""What a published list of tables puts at stake: each listed table's possible outcomes, and the
bound on how far the whole list can move the margin between the leader and the runner-up.

Why apart from :mod:`escrutinio.count.stakes`: a docket case asks for one effect, but a list a
party publishes (Fuerza Popular's 59 tables in 2021) asks for nothing precise. What can happen to
a listed table depends on where it stands:

- *counted or resolved*: it stays, or it is annulled (its lead leaves the margin);
- *annulled* (anulada; 39 of the 59, 9,820 ballots): it stays out, or it is counted. An annulled
  sheet's vote figures are not in the count, only its ballots, so counting it is weighed two
  ways: at its area's rates (its ballots split as the counted tables of its district voted: an
  estimate, rounded to whole votes) and at the worst case (every ballot for one side);
- *observed* (at the dispute body, with provisional figures): it is counted as is, or annulled;
- *not installed* or *pending*: nothing is there to weigh.

The bound adds, table by table, the outcome worst for the leader (and best), so it holds whatever
combination of outcomes the bodies reach; no table is weighed twice. Margins are exact integers;
only the area-rate estimates are rounded, and they are labelled as estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import polars as pl

from escrutinio.domain import table_frame as tf

AREA = tf.DISTRICT
"""The area whose rates an annulled table is counted at: the finest level every election has."""


def _area_rates(frame: pl.DataFrame, leader: str, runner_up: str) -> dict[str, tuple[int, int, int]]:
    """Per area: the counted tables' ballots cast, the leader's votes and the runner-up's votes."""
    counted = frame.filter(pl.col(tf.STATE).is_in(list(tf.COUNTED_STATES)))
    sums = counted.group_by(AREA).agg(
        pl.col(tf.CAST).sum(), pl.col(tf.choice_column(leader)).sum(), pl.col(tf.choice_column(runner_up)).sum()
    )
    return {a: (int(c or 0), int(lv or 0), int(rv or 0)) for a, c, lv, rv in sums.iter_rows()}


def _outcomes(row: dict[str, Any], leader: str, runner_up: str, rates: dict[str, tuple[int, int, int]]) -> list[dict]:
    """The margin changes each possible outcome of one listed table would make (staying as it is: 0)."""
    state, cast = row[tf.STATE], int(row[tf.CAST] or 0)
    lead = int(row[tf.choice_column(leader)] or 0) - int(row[tf.choice_column(runner_up)] or 0)
    if state in tf.COUNTED_STATES:
        return [{"outcome": "annul", "margin_change": -lead}]
    if state == "observed":
        return [{"outcome": "count_as_is", "margin_change": lead}, {"outcome": "annul", "margin_change": 0}]
    if state != "annulled":
        return []
    area_cast, area_leader, area_runner = rates.get(row[AREA], (0, 0, 0))
    share = (cast * area_leader, cast * area_runner)
    out: list[dict[str, Any]] = []
    if area_cast > 0:
        votes = {leader: round(Fraction(share[0], area_cast)), runner_up: round(Fraction(share[1], area_cast))}
        change = votes[leader] - votes[runner_up]
        out.append({"outcome": "count_at_area_rates", "margin_change": change, "estimated_votes": votes})
    out.append({"outcome": "count_worst_case", "margin_change": -cast, "estimated_votes": {leader: 0, runner_up: cast}})
    out.append({"outcome": "count_best_case", "margin_change": cast, "estimated_votes": {leader: cast, runner_up: 0}})
    return out


def listed_stakes(frame: pl.DataFrame, tables: Sequence[str], leader: str, runner_up: str, margin: int) -> dict[str, Any]:
    """Each listed table's possible outcomes and the bound on the margin (leader − runner-up)."""
    named = list(dict.fromkeys(tables))
    wanted = [tf.TABLE, AREA, tf.STATE, tf.CAST, tf.choice_column(leader), tf.choice_column(runner_up)]
    rows = frame.filter(pl.col(tf.TABLE).is_in(named)).select(wanted)
    by_table = {r[tf.TABLE]: r for r in rows.iter_rows(named=True)}
    rates = _area_rates(frame, leader, runner_up) if (rows[tf.STATE] == "annulled").any() else {}
    per, low, high, rated = [], 0, 0, 0
    for table in named:
        row = by_table.get(table)
        if row is None:
            continue
        outcomes = _outcomes(row, leader, runner_up, rates)
        changes = [0, *(o["margin_change"] for o in outcomes)]
        low, high = low + min(changes), high + max(changes)
        claimed = next((o for o in outcomes if o["outcome"] in ("annul", "count_at_area_rates")), None)
        if claimed is not None and row[tf.STATE] != "observed":
            rated += claimed["margin_change"]
        per.append({"table": table, "state": row[tf.STATE], "area": row[AREA], "ballots": int(row[tf.CAST] or 0),
                    "outcomes": outcomes})  # fmt: skip
    states = rows.group_by(tf.STATE).agg(pl.len(), pl.col(tf.CAST).sum())
    by_state = {s: {"tables": int(n), "ballots": int(c or 0)} for s, n, c in sorted(states.iter_rows())}
    return {
        "tables": len(named),
        "unknown_tables": [t for t in named if t not in by_table],
        "by_state": by_state,
        "sheets_at_dispute_body": by_state.get("observed", {}).get("tables", 0),
        "leader": leader,
        "runner_up": runner_up,
        "margin": margin,
        "lowest_margin": margin + low,
        "highest_margin": margin + high,
        "margin_if_claimed_at_area_rates": margin + rated,
        "can_change_winner": margin + low <= 0,
        "per_table": per,
    }
