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
scenario is a real combination of the tables' outcomes).

Two conditions at once. An outcome is a conjunction: Bolivia's "40 % with a 10-point lead" is a
share and a lead, both met; a runoff between A and C instead of A and B needs C ahead of B and A
short of every threshold. Pushed one at a time, a condition can be met while the other is lost:
counting the sheets that lift the leader's lead can drop its share under 40 %, and those that lift
its share can lose the lead (``tests/unit/disputes/test_disputes_listed_outcomes.py``: five observed
sheets, the outright win found only with both pushed). So each pair of conditions that name only the
choices at the deciding places (now or in an outcome found one at a time, and the next one now; at
most :data:`PAIRED`) is pushed too, as one sum with both in votes. Against brute force on random
four-choice cases (``benchmarks/listed_outcomes_brute.py``: seven listed sheets, each counted or
not, 300 cases a rule and profile near its thresholds with close places: Bolivia's rule at two
profiles, Chile's, Russia 2012's on ballots), one condition at a time missed an outcome in 1 of the
1,200 cases (Bolivia's outright win above), two at a time in none. It is not exhaustive: meeting two
linear conditions at once over the tables' few outcomes each is a knapsack, and an outcome that only
a trade-off other than equal weight reaches, or that needs three conditions pushed together, can
still be missed. Nor does it look for **ties** (the deciding places exactly level: the count names
nobody): a push goes as far as it can, past a tie, and an exact equality is a sum of the tables'
outcomes hitting one value; brute force reached a tie the search did not in 0, 4, 80 and 86 of those
cases a rule. ``found_by`` says how the search went.

The void rule is left to the docket's weighing (``stakes``' ``void``): a list's annulled sheets
already hold their ballots as the rules count them, so moving them changes null and cast in ways
a list does not say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.contest_rules import ShareBase
from escrutinio.domain.election import Election
from escrutinio.domain.rules import Outcome, decide

FOUND_BY = (
    "each condition of the rule pushed as far as the listed tables' outcomes allow, then each pair of conditions "
    "of the choices at the deciding places pushed together"
)
CELLS = 2_000_000
"""Conditions × listed tables weighed at once: a chunk's table stays at 16 MB, however long the list."""
PAIRED = 4
"""The most choices whose conditions are pushed two at a time (those at the deciding places now or
in an outcome found one condition at a time, and the next one now; the most voted first): four
keep the pairs at about 1,500 under Bolivia's rule, a few seconds on a list of every table."""


@dataclass(frozen=True)
class _Conditions:
    """The linear conditions the rule reads, as integer rows of coefficients over the choices' votes
    and, last, the ballots that are not valid votes (valid votes are the sum of the choices, ballots
    cast that plus the last column, so a share's ``− num·whole`` spreads over the base's columns);
    each row's unit (the denominator it was multiplied by: a row divided by it is in votes) and the
    choices it names (a share condition names one, the others two)."""

    rows: np.ndarray
    units: np.ndarray
    names: tuple[tuple[int, ...], ...]

    def among(self, choices: set[int]) -> np.ndarray:
        """The indices of the rows that name only ``choices``."""
        return np.array([i for i, named in enumerate(self.names) if set(named) <= choices], dtype=np.int64)

    def pairs(self, index: np.ndarray) -> np.ndarray:
        """Every two of the rows ``index`` pushed together, each in votes (row i times unit j plus row
        j times unit i: integers, equal weight); a row and its opposite (``-w``) add up to nothing."""
        out = []
        for x, i in enumerate(index):
            for j in index[x + 1 :]:
                if not np.array_equal(self.rows[i], -self.rows[j]):
                    out.append(self.rows[i] * self.units[j] + self.rows[j] * self.units[i])
        return np.array(out, dtype=np.int64).reshape(-1, self.rows.shape[1])


def _conditions(n: int, election: Election) -> _Conditions:
    """The rule's conditions (:class:`_Conditions`), each pushed down and (its opposite) up."""
    rows: list[np.ndarray] = []
    units: list[int] = []
    names: list[tuple[int, ...]] = []
    eye = np.eye(n + 1, dtype=np.int64)[:n]
    base = np.ones(n + 1, dtype=np.int64)
    if election.rules.share_base is ShareBase.VALID:
        base[n] = 0
    for a in range(n):
        for b in range(n):
            if a != b:
                rows.append(eye[a] - eye[b])
                units.append(1)
                names.append((a, b))
    for t in election.rules.thresholds:
        share = t.share.value
        for a in range(n):
            rows.append(share.denominator * eye[a] - share.numerator * base)
            units.append(share.denominator)
            names.append((a,))
            if t.lead is not None:
                lead = t.lead.value
                for b in range(n):
                    if a != b:
                        rows.append(lead.denominator * (eye[a] - eye[b]) - lead.numerator * base)
                        units.append(lead.denominator)
                        names.append((a, b))
    w = np.array(rows, dtype=np.int64).reshape(-1, n + 1)
    return _Conditions(np.vstack([w, -w]), np.array(units * 2, dtype=np.int64), tuple(names * 2))


@dataclass(frozen=True)
class _Listed:
    """The listed tables' figures by state: what each of their outcomes does to the choices' votes."""

    votes: np.ndarray
    cast: np.ndarray
    at_rates: np.ndarray
    counted: np.ndarray
    observed: np.ndarray
    annulled: np.ndarray

    def push(self, w: np.ndarray) -> np.ndarray:
        """For each row of ``w``, the change of votes that pushes ``w · votes`` furthest down: table by
        table the outcome that lowers it most (staying as it is: 0), by the tables' states (each state
        has its own few outcomes, so no rows × tables array of every outcome)."""
        delta = np.zeros((len(w), self.votes.shape[1]), dtype=np.int64)
        for sign, held in ((-1, self.counted), (1, self.observed)):  # annul a counted table; count an observed one
            v = self.votes[held]
            delta += sign * ((sign * (w @ v.T) < 0).astype(np.int64) @ v)
        if self.annulled.any():  # count an annulled one: at its area's rates, or every ballot for one choice
            rates_a, cast_a = self.at_rates[self.annulled], self.cast[self.annulled]
            rated = w @ rates_a.T
            one = np.outer(w[:, :-1].min(axis=1), cast_a)
            use_rated = (rated < 0) & (rated <= one)
            use_one = (one < 0) & ~use_rated
            delta += use_rated.astype(np.int64) @ rates_a
            delta[np.arange(len(w)), w[:, :-1].argmin(axis=1)] += use_one.astype(np.int64) @ cast_a
        return delta

    def scenarios(self, w: np.ndarray) -> np.ndarray:
        """:meth:`push` a chunk of rows at a time."""
        chunk = max(1, CELLS // max(1, len(self.votes)))
        parts = [self.push(w[i : i + chunk]) for i in range(0, len(w), chunk)]
        return np.vstack(parts) if parts else np.zeros((0, self.votes.shape[1]), dtype=np.int64)


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
    listed = _Listed(votes, cast, at_rates, np.isin(state, list(tf.COUNTED_STATES)), state == "observed", state == "annulled")

    def outcome(v: np.ndarray) -> Outcome:
        return decide(dict(zip(ids, (int(x) for x in v[:-1]), strict=True)), 0, 0, int(v.sum()), rules)

    now = outcome(now_votes)
    found = {_key(now): now}
    conditions = _conditions(len(ids), election)
    for scenario in now_votes + listed.scenarios(conditions.rows):
        o = outcome(scenario)
        found.setdefault(_key(o), o)
    # The choices at the deciding places now or in an outcome found, and the next one now: only
    # their conditions decide those outcomes, so only theirs are pushed two at a time.
    order = [int(c) for c in np.argsort(-now_votes[:-1], kind="stable")]
    position = {c: i for i, c in enumerate(ids)}
    deciding = {position[c] for o in found.values() for c in (o.winner, *o.runoff) if c is not None}
    paired = sorted(deciding | set(order[: rules.runoff_size + 1]), key=order.index)[:PAIRED]
    for scenario in now_votes + listed.scenarios(conditions.pairs(conditions.among(set(paired)))):
        o = outcome(scenario)
        found.setdefault(_key(o), o)
    reachable = [o.describe(names) for k, o in found.items() if k != _key(now)]
    return {
        "outcome_now": now.describe(names),
        "can_change_outcome": bool(reachable),
        "reachable_outcomes": reachable,
        "found_by": FOUND_BY,
    }
