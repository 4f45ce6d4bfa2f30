"""Could a published list of tables change the election's outcome, as its rule reads it?

:mod:`escrutinio.disputes.listed_stakes` bounds the margin between the leader and the runner-up;
that answers "could the winner change" only for a contest decided by more valid votes. Bolivia
2019 elects with more than 50 %, or 40 % and a 10-point lead: annulling the 5,580 actas missing
from the TREP snapshot of 20 Oct 19:40 leaves MAS ahead (the margin bound never reaches 0) but at
45.74 % with a 7.88-point lead, which is a runoff. Peru's first round has no winner to change, but
its two runoff places could. So the list is weighed against the contest's rules
(:func:`escrutinio.domain.rules.decide`), with every choice's votes.

How. Every listed table has a few possible outcomes (the ones ``listed_stakes`` names: annul a
counted table, count or annul an observed one, count an annulled one at its area's rates or with
every ballot for one choice), each a change of the choices' votes. Each condition the rule reads
is linear in the votes once multiplied out: "a ahead of b" is ``v_a − v_b > 0``, "share of valid
votes ≥ 40 %" is ``5·v_a − 2·valid ≥ 0``, "lead ≥ 10 points" is ``10·(v_a − v_b) − valid ≥ 0``.
A linear sum over tables is pushed furthest by picking, table by table, the outcome that pushes
it furthest, so for each condition (each pair of choices, each choice's share and lead under each
alternative, both ways) the scenario that pushes it furthest is exact. The rule is applied to
each such scenario; the outcomes found are ``reachable_outcomes``. Each is reachable (its
scenario is a real combination of the tables' outcomes); a change that needs two conditions
pushed at once where no single push reaches it would not be found, which the docstring of the
result says (``found_by``).

The void rule is left to the docket's weighing (``stakes``' ``void``): a list's annulled sheets
already hold their ballots as the rules count them, so moving them changes null and cast in ways
a list does not say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.contest_rules import ShareBase
from escrutinio.domain.election import Election
from escrutinio.domain.rules import Outcome, decide

FOUND_BY = "each condition of the rule pushed as far as the listed tables' outcomes allow, one at a time"


def _conditions(n: int, election: Election) -> np.ndarray:
    """The linear conditions the rule reads, as rows of coefficients over the choices' votes and,
    last, the ballots that are not valid votes (valid votes are the sum of the choices, ballots cast
    that plus the last column, so a share's ``− num·whole`` spreads over the base's columns)."""
    rows: list[np.ndarray] = []
    eye = np.eye(n + 1, dtype=np.int64)[:n]
    base = np.ones(n + 1, dtype=np.int64)
    if election.rules.share_base is ShareBase.VALID:
        base[n] = 0
    for a in range(n):
        for b in range(n):
            if a != b:
                rows.append(eye[a] - eye[b])
    for t in election.rules.thresholds:
        share = t.share.value
        for a in range(n):
            rows.append(share.denominator * eye[a] - share.numerator * base)
            if t.lead is not None:
                lead = t.lead.value
                for b in range(n):
                    if a != b:
                        rows.append(lead.denominator * (eye[a] - eye[b]) - lead.numerator * base)
    w = np.array(rows, dtype=np.int64).reshape(-1, n + 1)
    return np.vstack([w, -w])  # pushed down and pushed up


def _key(o: Outcome) -> tuple[Any, ...]:
    return (o.kind, o.winner, o.runoff)


def listed_outcomes(frame: pl.DataFrame, tables: Sequence[str], election: Election) -> dict[str, Any]:
    """The outcome now, whether the listed tables can change it, and the outcomes found reachable."""
    ids = list(election.contest.choice_ids)
    names = {c.id: c.name or c.id for c in election.contest.choices}
    cols = [tf.choice_column(c) for c in ids]
    rules = replace(election.rules, void=None)
    counted = frame.filter(pl.col(tf.STATE).is_in(list(tf.COUNTED_STATES)))
    other = (pl.col(tf.CAST).fill_null(0) - pl.sum_horizontal(pl.col(cols).fill_null(0))).alias("_other")
    counted = counted.with_columns(other)
    cols = [*cols, "_other"]  # the ballots cast that are no choice's votes (blank, null)
    now_votes = np.array([int(counted[c].sum() or 0) for c in cols], dtype=np.int64)
    named = list(dict.fromkeys(tables))
    rows = frame.filter(pl.col(tf.TABLE).is_in(named)).with_columns(other)
    state = rows[tf.STATE].to_numpy()
    votes = rows.select(pl.col(cols).fill_null(0)).to_numpy().astype(np.int64).reshape(-1, len(cols))
    cast = rows[tf.CAST].fill_null(0).to_numpy().astype(np.int64)
    # Counting an annulled sheet at its area's rates: its ballots split as the area's counted tables voted.
    area = counted.group_by(tf.DISTRICT).agg(pl.col(tf.CAST).sum().alias("_cast"), *(pl.col(c).sum() for c in cols[:-1]))
    rates = {r[0]: (int(r[1] or 0), np.array([int(v or 0) for v in r[2:]], dtype=np.int64)) for r in area.iter_rows()}
    at_rates = np.zeros_like(votes)
    for i, (s, a) in enumerate(zip(state, rows[tf.DISTRICT].to_list(), strict=True)):
        area_cast, area_votes = rates.get(a, (0, None))
        if s == "annulled" and area_cast > 0 and area_votes is not None:
            at_rates[i, :-1] = np.rint(cast[i] * area_votes / area_cast).astype(np.int64)
            at_rates[i, -1] = cast[i] - at_rates[i, :-1].sum()
    is_counted = np.isin(state, list(tf.COUNTED_STATES))
    is_observed = state == "observed"
    is_annulled = state == "annulled"

    w = _conditions(len(ids), election)  # K conditions × n choices
    # Table by table, the outcome that pushes each condition furthest (staying as it is: 0), by the
    # tables' states: each state has its own few outcomes, so no K × T array of every outcome.
    delta = np.zeros((len(w), votes.shape[1]), dtype=np.int64)
    for sign, held in ((-1, is_counted), (1, is_observed)):  # annul a counted table; count an observed one
        v = votes[held]
        delta += sign * ((sign * (w @ v.T) < 0).astype(np.int64) @ v)
    if is_annulled.any():  # count an annulled one: at its area's rates, or every ballot for one choice
        rates_a, cast_a = at_rates[is_annulled], cast[is_annulled]
        rated = w @ rates_a.T
        one = np.outer(w[:, :-1].min(axis=1), cast_a)
        use_rated = (rated < 0) & (rated <= one)
        use_one = (one < 0) & ~use_rated
        delta += use_rated.astype(np.int64) @ rates_a
        delta[np.arange(len(w)), w[:, :-1].argmin(axis=1)] += use_one.astype(np.int64) @ cast_a

    def outcome(v: np.ndarray) -> Outcome:
        return decide(dict(zip(ids, (int(x) for x in v[:-1]), strict=True)), 0, 0, int(v.sum()), rules)

    now = outcome(now_votes)
    found = {_key(now): now}
    for scenario in now_votes + delta:
        o = outcome(scenario)
        found.setdefault(_key(o), o)
    reachable = [o.describe(names) for k, o in found.items() if k != _key(now)]
    return {
        "outcome_now": now.describe(names),
        "can_change_outcome": bool(reachable),
        "reachable_outcomes": reachable,
        "found_by": FOUND_BY,
    }
