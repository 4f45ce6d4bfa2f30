"""What is at stake: could the open claims change the winner, and which fewest cases would it take?

The margin is the leader's lead over each other choice in the tables the count holds (counted
and resolved; annulled tables count as the rules say, which for the choices is nothing). Each
open claim asks for an effect on its tables; this module measures, in exact integers, how far
the claims could move the margin if they went the claimant's way, and whether that is enough.

Choices made here (and why):

- *Worst case for the leader.* A claim "granted" applies the effect it requests. Where the
  claim would help the leader (a nullity request on a table the challenger won), granting it
  is not the worst case, so the worst case grants only the claims that cut the margin. Several
  claims on one table: the table ends as the claim most harmful to the leader says; a table is
  never counted twice, whatever the number of claims naming it.
- *Observed tables* (at the dispute body, not counted yet) hold provisional figures. A claim
  asking to count one as is adds those figures; an annul leaves it out. Every observed table
  that no claim names is treated as an open case of its own (``observed:<table>``, asking to
  count it as is), because its votes are at stake whether or not anyone has filed: in the worst
  case it is counted if its figures favour the challenger and left out otherwise.
- *Challenged ballots decided*: in the worst case all of them go to the challenger.
- *Changing the winner* means the leader is no longer strictly ahead of some challenger (a tie
  overturns a win).
- *The void rule* (Peru: null + blank over two thirds of ballots cast) is a second way the
  claims could change the outcome: :mod:`escrutinio.count.void_stakes` finds the worst case,
  reported as ``void`` and folded into ``can_change_outcome``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, NamedTuple

import polars as pl

from escrutinio.count.void_stakes import void_stakes
from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import EffectKind, Figures
from escrutinio.domain.election import Election
from escrutinio.domain.errors import RuleError
from escrutinio.domain.rules import ranking

ENUMERATION_LIMIT = 14
"""Claims sharing tables form a group whose subsets are enumerated exactly up to this size
(2**14 subsets); a larger group falls back to greedy choice and the result says ``exact: false``."""


class OpenClaim(NamedTuple):
    """An open case as stakes sees it: number, tables, the effect asked for, corrected figures."""

    case: str
    tables: tuple[str, ...]
    requested: EffectKind
    figures: Figures | None = None


@dataclass(frozen=True)
class ChallengerStakes:
    """The stakes against one challenger (every choice but the leader)."""

    challenger: str
    margin: int
    worst_case_margin: int
    margin_if_all_granted: int
    can_overturn: bool
    smallest_set: tuple[str, ...] | None
    exact: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "challenger": self.challenger,
            "margin": self.margin,
            "worst_case_margin": self.worst_case_margin,
            "margin_if_all_granted": self.margin_if_all_granted,
            "can_overturn": self.can_overturn,
            "smallest_set": list(self.smallest_set) if self.smallest_set is not None else None,
            "smallest_set_size": len(self.smallest_set) if self.smallest_set is not None else None,
            "exact": self.exact,
        }


@dataclass(frozen=True)
class Stakes:
    """What the open claims put at stake in one contest (see the module docstring for the choices).

    ``margin``, ``worst_case_margin`` and ``smallest_set`` are against the challenger that is
    easiest to put ahead (the fewest cases; then the runner-up first); ``challengers`` has each.
    ``under_claim`` sums the figures of the distinct tables under any claim (counted figures, or
    provisional ones for observed tables).
    """

    contest: str
    leader: str | None
    runner_up: str | None
    votes: dict[str, int]
    margin: int
    claims: int
    implicit_observed: int
    tables_under_claim: int
    under_claim: dict[str, Any]
    worst_case_margin: int
    margin_if_all_granted: int
    can_change_winner: bool
    smallest_set: tuple[str, ...] | None
    exact: bool
    challengers: tuple[ChallengerStakes, ...] = ()
    unknown_tables: tuple[str, ...] = field(default=())
    void: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "contest": self.contest,
            "leader": self.leader,
            "runner_up": self.runner_up,
            "votes": self.votes,
            "margin": self.margin,
            "claims": self.claims,
            "implicit_observed_cases": self.implicit_observed,
            "tables_under_claim": self.tables_under_claim,
            "under_claim": self.under_claim,
            "worst_case_margin": self.worst_case_margin,
            "margin_if_all_granted": self.margin_if_all_granted,
            "can_change_winner": self.can_change_winner,
            "can_change_outcome": self.can_change_winner or bool(self.void and self.void["can_void"]),
            "void": self.void,
            "smallest_set": list(self.smallest_set) if self.smallest_set is not None else None,
            "smallest_set_size": len(self.smallest_set) if self.smallest_set is not None else None,
            "exact": self.exact,
            "challengers": [c.to_dict() for c in self.challengers],
            "unknown_tables": list(self.unknown_tables),
        }


class _Row(NamedTuple):
    state: str
    votes: dict[str, int]
    challenged: int


def _new_lead(claim: OpenClaim, row: _Row, leader: str, challenger: str, ids: Sequence[str]) -> int:
    """The table's lead (leader − challenger) in the count once the claim's effect applies."""
    lead = row.votes[leader] - row.votes[challenger]
    kind = claim.requested
    if kind is EffectKind.ANNUL:
        return 0
    if kind is EffectKind.COUNT_AS_IS:
        return lead
    if kind is EffectKind.DISMISS:
        return lead if row.state in (*tf.COUNTED_STATES, "observed") else 0
    if kind is EffectKind.DECIDE_CHALLENGED:
        return lead - row.challenged
    if kind is EffectKind.COUNT_CORRECTED:
        figures = claim.figures
        if figures is None or len(figures.votes) != len(ids):
            raise RuleError(f"case {claim.case}: count_corrected needs {len(ids)} corrected vote figures")
        fixed = dict(zip(ids, figures.votes, strict=True))
        return fixed[leader] - fixed[challenger]
    raise RuleError(f"case {claim.case}: {kind} is an appeal decision, not an effect a claim can request")


def _components(reductions: Sequence[dict[str, int]]) -> list[list[int]]:
    """Groups of claims linked by shared tables (union-find over table names)."""
    parent = list(range(len(reductions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, red in enumerate(reductions):
        for table in red:
            if table in owner:
                parent[find(i)] = find(owner[table])
            else:
                owner[table] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(reductions)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _reduction(chosen: Iterable[int], reductions: Sequence[dict[str, int]]) -> int:
    """How much granting ``chosen`` cuts the margin: per table, the most harmful granted claim."""
    best: dict[str, int] = {}
    for i in chosen:
        for table, r in reductions[i].items():
            if r > best.get(table, 0):
                best[table] = r
    return sum(best.values())


def _group_best(group: list[int], reductions: Sequence[dict[str, int]]) -> tuple[list[tuple[int, tuple[int, ...]]], bool]:
    """For k = 0..len(group): the largest cut k claims of the group can make, and which claims."""
    if len(group) <= ENUMERATION_LIMIT:
        best: list[tuple[int, tuple[int, ...]]] = [(0, ())]
        for k in range(1, len(group) + 1):
            best.append(max(((_reduction(c, reductions), c) for c in combinations(group, k)), key=lambda vc: vc[0]))
        return best, True
    chosen: list[int] = []
    best = [(0, ())]
    left = list(group)
    while left:
        pick = max(left, key=lambda i: _reduction([*chosen, i], reductions))
        chosen.append(pick)
        left.remove(pick)
        best.append((_reduction(chosen, reductions), tuple(chosen)))
    return best, False


def smallest_overturning_set(reductions: Sequence[dict[str, int]], needed: int) -> tuple[tuple[int, ...] | None, bool]:
    """The fewest claims whose granting cuts the margin by at least ``needed`` (indices), and
    whether the answer is proven minimal.

    ``reductions[i]`` maps each table of claim ``i`` to how much granting it cuts the margin
    there (negative: it would help the leader). The cut of a set S is
    ``cut(S) = Σ_table max(0, max_{i ∈ S, table ∈ i} reductions[i][table])``.

    Why this is exact. Claims that share no table, directly or through others, form separate
    groups, and ``cut`` is a sum over tables, so the cut of S is the sum of the cuts of its parts
    in each group. A claim alone in its group cuts a fixed amount ``v_i ≥ 0`` whatever else is
    granted: this is the independence that makes sorting work. Among s such single claims, no
    choice cuts more than the s largest (exchange: swapping any chosen one for a larger
    unchosen one never lowers the sum). So if the k largest single claims do not reach
    ``needed``, no k of them do, and taking the largest first gives the fewest. Groups of claims
    sharing tables are not additive inside (two annuls of one table cut it once), so for each
    group and each k its best k-subset is found by enumeration, and the groups are combined by
    dynamic programming over counts (max cut with exactly k claims). The answer is the least
    k_groups + s with dp[k_groups] + (sum of the s largest singles) ≥ needed. A group larger
    than :data:`ENUMERATION_LIMIT` is filled greedily and the answer is marked not proven.
    """
    if needed <= 0:
        return (), True
    useful = [i for i, red in enumerate(reductions) if any(r > 0 for r in red.values())]
    sub = [reductions[i] for i in useful]
    singles: list[tuple[int, int]] = []
    dp: list[tuple[int, tuple[int, ...]]] = [(0, ())]
    exact = True
    for group in _components(sub):
        if len(group) == 1:
            singles.append((_reduction(group, sub), group[0]))
            continue
        best, proven = _group_best(group, sub)
        exact = exact and proven
        merged: list[tuple[int, tuple[int, ...]]] = []
        for k in range(len(dp) + len(best) - 1):
            options = [(dp[a][0] + best[k - a][0], dp[a][1] + best[k - a][1]) for a in range(len(dp)) if 0 <= k - a < len(best)]
            merged.append(max(options, key=lambda vc: vc[0]))
        dp = merged
    singles.sort(key=lambda vi: (-vi[0], vi[1]))
    prefix = [0]
    for value, _ in singles:
        prefix.append(prefix[-1] + value)
    answer: tuple[int, ...] | None = None
    for k, (cut, picked) in enumerate(dp):
        if cut + prefix[-1] < needed:
            continue
        lo, hi = 0, len(singles)  # the fewest singles that close the gap (prefix is non-decreasing)
        while lo < hi:
            mid = (lo + hi) // 2
            if cut + prefix[mid] >= needed:
                hi = mid
            else:
                lo = mid + 1
        if answer is None or k + lo < len(answer):
            answer = picked + tuple(i for _, i in singles[:lo])
    if answer is None:
        return None, exact
    return tuple(sorted(useful[i] for i in answer)), exact


SIMPLE_EFFECTS = (EffectKind.ANNUL, EffectKind.COUNT_AS_IS, EffectKind.DISMISS)


def _disjoint_single(claims: Sequence[OpenClaim]) -> bool:
    tables = [c.tables[0] for c in claims if len(c.tables) == 1]
    return len(tables) == len(claims) and len(set(tables)) == len(tables) and all(c.requested in SIMPLE_EFFECTS for c in claims)


def _simple_challenger(
    claims: Sequence[OpenClaim], rows: dict[str, _Row], leader: str, challenger: str, margin: int, numbers: Sequence[str]
) -> ChallengerStakes:
    """Stakes against one challenger when claims are single-table and disjoint.

    Each claim then cuts the margin by a fixed amount r_i (its table's counted lead minus the
    lead once granted); the worst case removes every positive cut, granting all removes every
    cut, and the fewest claims that overturn are the largest cuts first (ties: earliest claim),
    exactly as :func:`smallest_overturning_set` finds for claims alone in their group.
    """
    counted = tf.COUNTED_STATES
    cuts: list[tuple[int, int]] = []
    worst = granted = 0
    for i, claim in enumerate(claims):
        row = rows.get(claim.tables[0])
        if row is None:
            continue
        lead = row.votes[leader] - row.votes[challenger]
        base = lead if row.state in counted else 0
        kind = claim.requested
        if kind is EffectKind.ANNUL:
            new = 0
        elif kind is EffectKind.COUNT_AS_IS:
            new = lead
        else:  # dismiss: the sheet stands as it is counted (an observed one then counts)
            new = lead if row.state in counted or row.state == "observed" else 0
        cut = base - new
        granted += cut
        if cut > 0:
            worst += cut
            cuts.append((cut, i))
    smallest: tuple[str, ...] | None
    if margin <= 0:
        smallest = ()
    else:
        cuts.sort(key=lambda ci: (-ci[0], ci[1]))
        total, chosen = 0, []
        for cut, i in cuts:
            total += cut
            chosen.append(i)
            if total >= margin:
                break
        smallest = tuple(numbers[i] for i in sorted(chosen)) if total >= margin else None
    return ChallengerStakes(
        challenger=challenger,
        margin=margin,
        worst_case_margin=margin - worst,
        margin_if_all_granted=margin - granted,
        can_overturn=smallest is not None,
        smallest_set=smallest,
        exact=True,
    )


def stakes(
    frame: pl.DataFrame,
    election: Election,
    open_claims: Iterable[OpenClaim | tuple[str, Sequence[str], EffectKind, Figures | None]],
    *,
    include_observed: bool = True,
    fast: bool = True,
) -> Stakes:
    """What the open claims put at stake in ``election``'s contest, from the table frame.

    ``fast``: when every claim names one table, no two claims share a table and each asks for
    annulment, counting as is or dismissal (the usual docket), each claim's cut of the margin is
    independent and :func:`_simple_challenger` gets the same answer without the general
    machinery; a property test holds the two paths equal.

    ``open_claims``: ``(case number, tables, requested effect, corrected figures or None)``.
    Tables not in the frame are reported in ``unknown_tables`` and ignored. With
    ``include_observed`` every observed table no claim names is an open case of its own.
    """
    ids = list(election.contest.choice_ids)
    cols = [tf.choice_column(c) for c in ids]
    counted = frame.filter(pl.col(tf.STATE).is_in(list(tf.COUNTED_STATES)))
    sums = counted.select([pl.col(c).sum().cast(pl.Int64) for c in cols]).row(0) if counted.height else (0,) * len(ids)
    votes = {c: int(v or 0) for c, v in zip(ids, sums, strict=True)}
    ranked = ranking(votes)
    leader = ranked[0][0] if ranked else None
    runner_up = ranked[1][0] if len(ranked) > 1 else None

    claims = [
        OpenClaim(
            c[0],
            tuple(c[1]) if len(c[1]) == 1 else tuple(dict.fromkeys(c[1])),
            c[2] if isinstance(c[2], EffectKind) else EffectKind(c[2]),
            c[3] if len(c) > 3 else None,
        )
        for c in open_claims
    ]
    named = {t for c in claims for t in c.tables}
    implicit = 0
    if include_observed:
        observed = frame.filter(pl.col(tf.STATE) == "observed")[tf.TABLE].to_list()
        for table in sorted(set(observed) - named):
            claims.append(OpenClaim(f"observed:{table}", (table,), EffectKind.COUNT_AS_IS))
            implicit += 1
        named |= set(observed)
    rows_frame = frame.filter(pl.col(tf.TABLE).is_in(sorted(named))).select(
        tf.TABLE, tf.STATE, tf.CHALLENGED, tf.CAST, tf.BLANK, tf.NULL, tf.VALID, *cols
    )
    # Column lists zipped once: building a row at a time from iter_rows costs 3x more.
    vote_lists = [rows_frame[col].fill_null(0).to_list() for col in cols]
    rows = {
        table: _Row(state, dict(zip(ids, votes, strict=True)), challenged or 0)
        for table, state, challenged, *votes in zip(
            rows_frame[tf.TABLE].to_list(),
            rows_frame[tf.STATE].to_list(),
            rows_frame[tf.CHALLENGED].to_list(),
            *vote_lists,
            strict=True,
        )
    }
    unknown = tuple(sorted(named - set(rows)))
    under = {
        "tables": rows_frame.height,
        **{k: int(rows_frame[k].sum() or 0) for k in (tf.CAST, tf.VALID, tf.BLANK, tf.NULL, tf.CHALLENGED)},
        "votes": {c: int(rows_frame[col].sum() or 0) for c, col in zip(ids, cols, strict=True)},
        "by_state": dict(sorted(rows_frame.group_by(tf.STATE).len().iter_rows())),
    }

    per: list[ChallengerStakes] = []
    numbers = [c.case for c in claims]
    simple = fast and _disjoint_single(claims)
    for challenger in ids:
        if leader is None or challenger == leader:
            continue
        margin = votes[leader] - votes[challenger]
        if simple:
            per.append(_simple_challenger(claims, rows, leader, challenger, margin, numbers))
            continue
        reductions: list[dict[str, int]] = []
        for claim in claims:
            red: dict[str, int] = {}
            for table in claim.tables:
                row = rows.get(table)
                if row is None:
                    continue
                base = row.votes[leader] - row.votes[challenger] if row.state in tf.COUNTED_STATES else 0
                red[table] = base - _new_lead(claim, row, leader, challenger, ids)
            reductions.append(red)
        worst: dict[str, int] = {}
        granted: dict[str, int] = {}
        for red in reductions:
            for table, r in red.items():
                worst[table] = max(worst.get(table, 0), r)
                granted[table] = max(granted.get(table, r), r)
        chosen, exact = smallest_overturning_set(reductions, margin)
        smallest = tuple(numbers[i] for i in chosen) if chosen is not None else None
        per.append(
            ChallengerStakes(
                challenger=challenger,
                margin=margin,
                worst_case_margin=margin - sum(worst.values()),
                margin_if_all_granted=margin - sum(granted.values()),
                can_overturn=smallest is not None,
                smallest_set=smallest,
                exact=exact,
            )
        )
    order = {c: i for i, c in enumerate(c for c, _ in ranked)}
    key = min(
        per, key=lambda s: (len(s.smallest_set) if s.smallest_set is not None else 1 << 60, order[s.challenger]), default=None
    )
    return Stakes(
        contest=election.contest.id,
        leader=leader,
        runner_up=runner_up,
        votes=votes,
        margin=key.margin if key else 0,
        claims=len(claims),
        implicit_observed=implicit,
        tables_under_claim=rows_frame.height,
        under_claim=under,
        worst_case_margin=key.worst_case_margin if key else 0,
        margin_if_all_granted=key.margin_if_all_granted if key else 0,
        can_change_winner=any(s.can_overturn for s in per),
        smallest_set=key.smallest_set if key else None,
        exact=all(s.exact for s in per),
        challengers=tuple(per),
        unknown_tables=unknown,
        void=void_stakes(frame, election, [(c.tables, c.requested) for c in claims]),
    )
