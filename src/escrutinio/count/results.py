"""Results per area from the stored tallies: tables by state, ballots, votes, shares, margins.

Everything here is integer arithmetic on tallies; shares (percent of valid votes, or of ballots cast
where the election's rules count so: ``share_base``) and margins in
points are rounded for display only. Sheets still at the dispute body are not in the totals:
their provisional figures are reported apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from escrutinio.aggregation.keys import DESPITE_PREFIX, DESPITE_RULES, FIGURES, STATE_KEYS
from escrutinio.count.states import ACCOUNTED, IN_COUNT
from escrutinio.domain import table_frame as tf
from escrutinio.domain.contest_rules import ShareBase
from escrutinio.domain.election import Election
from escrutinio.domain.rules import decide, ranking


def share(part: int, whole: int) -> float | None:
    """Percentage rounded to 3 decimals for display (None when there is nothing to divide)."""
    return None if whole == 0 else round(100 * part / whole, 3)


@dataclass
class AreaResult:
    code: str
    name: str
    level: str
    """The election's own name for the area's level (``region``, ``district``; ``national``)."""
    kind: str
    tables: dict[str, int]
    electors: int
    electors_in_count: int
    cast: int
    valid: int
    blank: int
    null: int
    challenged: int
    votes: dict[str, int]
    provisional: dict[str, Any]
    leader: str | None = None
    runner_up: str | None = None
    margin: int = 0
    despite: dict[str, int] = field(default_factory=dict)
    """Sheets in the count final at source despite each counting rule (zero for most areas)."""
    extra: dict[str, Any] = field(default_factory=dict)
    share_base: ShareBase = ShareBase.VALID
    """What the shares and the margin in points are of: valid votes, or every ballot cast where the
    law counts so (Russia, 19-FZ art. 76); said in ``share_base`` so a share is never read on the
    wrong base."""

    def shares(self) -> dict[str, float | None]:
        whole = self.share_base.whole(self.valid, self.cast)
        return {c: share(v, whole) for c, v in self.votes.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.code,
            "name": self.name,
            "level": self.level,
            "kind": self.kind,
            "tables": self.tables,
            "electors": self.electors,
            "electors_in_count": self.electors_in_count,
            "ballots_cast": self.cast,
            "valid": self.valid,
            "blank": self.blank,
            "null": self.null,
            "challenged": self.challenged,
            "votes": self.votes,
            "shares": self.shares(),
            "share_base": self.share_base.words,
            "leader": self.leader,
            "runner_up": self.runner_up,
            "margin_votes": self.margin,
            "margin_points": share(self.margin, self.share_base.whole(self.valid, self.cast)),
            "provisional": self.provisional,
            "final_at_source_despite": self.despite,
            **self.extra,
        }


def build(
    tally: Iterable[tuple[str, str, int]], areas: Iterable[tuple[Any, ...]], election: Election, codes: list[str]
) -> list[AreaResult]:
    """Area results for ``codes`` (in that order) from long tallies (area, key, value) and area
    rows (code, level, kind, name, ...). Plain tuples: the results path imports no polars."""
    values: dict[str, dict[str, int]] = {}
    for area, key, value in tally:
        values.setdefault(area, {})[key] = value
    info = {r[0]: r[:4] for r in areas}
    choices = election.contest.choice_ids
    # Key names built once, not once per area (a district listing has 2,000 areas).
    state_keys = [(s, f"n_{s}") for s in STATE_KEYS]
    vote_keys = [(c, tf.choice_column(c)) for c in choices]
    pvote_keys = [(c, f"p_{tf.choice_column(c)}") for c in choices]
    provisional_keys = [(f, f"p_{f}") for f in FIGURES if f != "valid"]
    despite_keys = [(rule, f"{DESPITE_PREFIX}{rule}") for rule in DESPITE_RULES]
    out = []
    for code in codes:
        v = values.get(code, {})
        g = v.get
        _, depth, kind, name = info.get(code, (code, 0, "national", election.name))
        tables = {s: g(k, 0) for s, k in state_keys}
        tables = {
            "total": g("tables", 0),
            **tables,
            "pending": g("tables", 0) - sum(tables.values()),
            "in_count": sum(tables[s] for s in IN_COUNT),
            "accounted": sum(tables[s] for s in ACCOUNTED),
        }
        votes = {c: g(k, 0) for c, k in vote_keys}
        pvotes = {c: g(k, 0) for c, k in pvote_keys}
        ranked = ranking(votes)
        leader = ranked[0][0] if ranked and ranked[0][1] > 0 else None
        runner = ranked[1][0] if len(ranked) > 1 and leader else None
        provisional = {
            "tables": tables["observed"],
            **{f: g(k, 0) for f, k in provisional_keys},
            "valid": g("p_valid", 0),
            "votes": pvotes,
        }
        out.append(
            AreaResult(
                code=code,
                name=name,
                level=election.area_level(depth, kind),
                kind=kind,
                tables=tables,
                electors=g("electors", 0),
                electors_in_count=g("electors_in_count", 0),
                cast=g("cast", 0),
                valid=g("valid", 0),
                blank=g("blank", 0),
                null=g("null", 0),
                challenged=g("challenged", 0),
                votes=votes,
                provisional=provisional,
                leader=leader,
                runner_up=runner,
                margin=(ranked[0][1] - ranked[1][1]) if runner else 0,
                despite={rule: g(k, 0) for rule, k in despite_keys},
                share_base=election.rules.share_base,
            )
        )
    return out


def national_extras(result: AreaResult, election: Election) -> dict[str, Any]:
    """What only the nation gets: the rules' verdict and the gap to proclaimed figures."""
    outcome = decide(result.votes, result.blank, result.null, result.cast, election.rules)
    names = {c.id: c.name for c in election.contest.choices}
    extra: dict[str, Any] = {
        "outcome": {
            "kind": outcome.kind,
            "winner": outcome.winner,
            "runoff": list(outcome.runoff),
            "reading": outcome.describe(names),
            "met": None if outcome.met is None else outcome.met.to_dict(),
            "rule": election.rules.to_dict(),
        },
        "all_sheets": {
            "note": "counted totals plus the provisional figures of sheets still at the dispute body",
            "votes": {c: result.votes[c] + result.provisional["votes"][c] for c in result.votes},
            "ballots_cast": result.cast + result.provisional["cast"],
            "blank": result.blank + result.provisional["blank"],
            "null": result.null + result.provisional["null"],
        },
    }
    p = election.proclaimed
    if p is not None:
        diff = {c: result.votes[c] - p.votes[c] for c in p.votes}
        extra["proclaimed"] = {
            "source": p.source,
            "votes": dict(p.votes),
            "blank": p.blank,
            "null": p.null,
            "ballots_cast": p.cast,
            "counted_minus_proclaimed": {
                "votes": diff,
                "blank": None if p.blank is None else result.blank - p.blank,
                "null": None if p.null is None else result.null - p.null,
                "ballots_cast": None if p.cast is None else result.cast - p.cast,
            },
            "matches": all(d == 0 for d in diff.values()),
            "note": (
                "the loaded sheets reproduce the proclaimed result"
                if all(d == 0 for d in diff.values())
                else "the loaded sheets differ from the proclaimed result: the file is a snapshot taken before "
                "the last rulings, or sheets are still at the dispute body"
            ),
        }
    return extra


def within(code: str, area: str, parent: dict[str, str | None]) -> bool:
    """Whether ``code`` is ``area`` or lies below it in the geography tree."""
    node: str | None = code
    for _ in range(8):
        if node == area:
            return True
        node = parent.get(node) if node is not None else None
    return False
