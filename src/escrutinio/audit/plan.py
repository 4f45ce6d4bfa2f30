"""Planning an audit of a real election: every method's sample size, side by side.

Given the table-results frame, the reported winner and runner-up and a risk limit, the plan says
how much hand counting each method needs *if the sheets are right*:

- ballot polling, BRAVO, ALPHA and Minerva: ballots to draw (uniformly from all ballots cast, with
  replacement) and the tables they are expected to fall in, i.e. the boxes to open;
- batch comparison, MACRO and ALPHA: tables to draw by PPEB (with replacement), the distinct
  tables that is expected to be, and the ballots in them, i.e. the hand-counting work.

Expected counts of distinct tables and ballots are rounded to whole numbers; everything else is
exact. The plan is a frozen dataclass whose :meth:`AuditPlan.to_dict` holds only ints and
strings, ready to be stored or printed as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from escrutinio.audit.alpha import alpha_batch_sample_size, alpha_polling_sample_size
from escrutinio.audit.bravo import bravo_sample_sizes
from escrutinio.audit.contest import ContestBatches, pair_label, worst_pair
from escrutinio.audit.macro import expected_workload, macro_sample_size, macro_sample_size_arlo
from escrutinio.audit.manifest import AuditManifest, contest_batches_from_frame, manifest_from_frame
from escrutinio.audit.risk import RiskLimitLike, as_risk_limit, fraction_text

BRAVO = "bravo"
ALPHA_POLLING = "alpha_polling"
MACRO = "macro"
ALPHA_BATCH = "alpha_batch"
MINERVA = "minerva"
POLLING_METHODS = (BRAVO, ALPHA_POLLING, MINERVA)
BATCH_METHODS = (MACRO, ALPHA_BATCH)


@dataclass(frozen=True)
class MethodPlan:
    """One method's expected work when the sheets are right.

    ``draws`` is the sample size in the method's unit (ballots for polling, tables for batch
    comparison; draws are with replacement). ``expected_tables`` are the distinct tables those
    draws should touch and ``expected_ballots`` the ballots to examine (polling: one per draw;
    batch: every ballot of every distinct table). ``full_hand_count`` says the method would
    rather count everything. ``details`` holds method-specific sizes (BRAVO's menu; Minerva's
    first round that confirms with chance 0.9, by the exact binomial law; MACRO's
    ``smallest`` size, which it draws, and ``arlo``, the size Arlo reports, one draw more).
    """

    method: str
    unit: str
    draws: int
    expected_tables: int
    expected_ballots: int
    full_hand_count: bool
    details: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "unit": self.unit,
            "draws": self.draws,
            "expected_tables": self.expected_tables,
            "expected_ballots": self.expected_ballots,
            "full_hand_count": "yes" if self.full_hand_count else "no",
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class AuditPlan:
    """The contest as audited and each method's plan."""

    winner: str
    runner_up: str
    risk_limit: str
    tables: int
    annulled_tables: int
    excluded_tables: int
    ballots: int
    winner_votes: int
    runner_up_votes: int
    margin: int
    diluted_margin: str
    total_error_bound: str
    manifest_sha256: str
    methods: tuple[MethodPlan, ...]

    def method(self, name: str) -> MethodPlan:
        return _method(self.methods, name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ints and strings only (fractions as exact text)."""
        return {
            "winner": self.winner,
            "runner_up": self.runner_up,
            "risk_limit": self.risk_limit,
            "tables": self.tables,
            "annulled_tables": self.annulled_tables,
            "excluded_tables": self.excluded_tables,
            "ballots": self.ballots,
            "winner_votes": self.winner_votes,
            "runner_up_votes": self.runner_up_votes,
            "margin": self.margin,
            "diluted_margin": self.diluted_margin,
            "total_error_bound": self.total_error_bound,
            "manifest_sha256": self.manifest_sha256,
            "methods": [plan.to_dict() for plan in self.methods],
        }


def _method(methods: tuple[MethodPlan, ...], name: str) -> MethodPlan:
    for plan in methods:
        if plan.method == name:
            return plan
    raise KeyError(f"no plan for method {name!r}")


def _polling_plan(method: str, ballots: np.ndarray, draws: int, full: bool, details: dict[str, int]) -> MethodPlan:
    """Ballots drawn uniformly (capped at the ballots) and the tables they fall in."""
    population = int(ballots.sum())
    draws = min(draws, population)
    tables, _ = expected_workload(ballots, ballots, draws)
    return MethodPlan(method, "ballots", draws, round(tables), draws, full or draws >= population, details)


MINERVA_PROBABILITY = Fraction(9, 10)
"""Minerva's planned (and recorded) first round confirms a correct result with this chance."""


def _minerva_plan(ballots: np.ndarray, draws: int) -> MethodPlan:
    """Minerva's first round: ballots drawn uniformly, sized to confirm with chance 0.9."""
    return _polling_plan(MINERVA, ballots, draws, False, {"0.9": draws})


def _batch_plan(
    method: str, weights: np.ndarray, ballots: np.ndarray, draws: int, details: dict[str, int] | None = None
) -> MethodPlan:
    """Tables drawn by PPEB (capped at the tables: more draws than tables, count them all)."""
    population = len(ballots)
    draws = min(draws, population)
    tables, counted = expected_workload(weights, ballots, draws)
    return MethodPlan(method, "tables", draws, round(tables), round(counted), draws >= population, details or {})


def macro_details(total_error_bound: Fraction, risk_limit: RiskLimitLike) -> dict[str, int]:
    """MACRO's smallest size (what the audit draws) and Arlo's convention (one draw more) beside it."""
    return {
        "smallest": macro_sample_size(total_error_bound, risk_limit),
        "arlo": macro_sample_size_arlo(total_error_bound, risk_limit),
    }


def _minerva_size(won: int, lost: int, n: int, alpha: Fraction) -> int:
    """Minerva's first-round size for a pair, imported when a plan is made: the module brings
    scipy's optimize, signal and stats, which every other audit command (recording a hand count,
    the status) would otherwise pay for at start-up."""
    from escrutinio.audit.minerva import minerva_round_size

    return minerva_round_size(won, lost, n, alpha, MINERVA_PROBABILITY)


def plan_from_manifest(manifest: AuditManifest, winner: str, runner_up: str, risk_limit: RiskLimitLike) -> AuditPlan:
    """Every method's plan for the pair's manifest."""
    alpha = as_risk_limit(risk_limit)
    batches = manifest.batches
    won, lost, n = int(batches.winner_votes.sum()), int(batches.loser_votes.sum()), int(batches.ballots.sum())
    bravo = bravo_sample_sizes(won, lost, n, alpha)
    alpha_polling = alpha_polling_sample_size(won, lost, n, alpha)
    U = batches.total_error_bound
    weights, ballots = batches.bound_numerators, batches.ballots
    methods = (
        _polling_plan(BRAVO, ballots, bravo.asn, bravo.full_hand_count, {"asn": bravo.asn, **bravo.one_round}),
        _polling_plan(ALPHA_POLLING, ballots, alpha_polling or n, alpha_polling is None, {}),
        _minerva_plan(ballots, _minerva_size(won, lost, n, alpha)),
        _batch_plan(MACRO, weights, ballots, macro_sample_size(U, alpha), macro_details(U, alpha)),
        _batch_plan(ALPHA_BATCH, weights, ballots, alpha_batch_sample_size(U, alpha)),
    )
    return AuditPlan(
        winner=winner,
        runner_up=runner_up,
        risk_limit=fraction_text(alpha),
        tables=len(batches.tables),
        annulled_tables=manifest.annulled,
        excluded_tables=manifest.excluded,
        ballots=n,
        winner_votes=won,
        runner_up_votes=lost,
        margin=batches.margin,
        diluted_margin=f"{batches.margin}/{n}",
        total_error_bound=fraction_text(U),
        manifest_sha256=manifest.sha256,
        methods=methods,
    )


def plan_audit(frame: pl.DataFrame, winner: str, runner_up: str, risk_limit: RiskLimitLike) -> AuditPlan:
    """Plan an audit of the pair (winner, runner-up) over a table-results frame.

    Only tables whose ballots are in the count contribute (counted, resolved, annulled; annulled
    ones with all their ballots null). The pair is the one an audit must confirm in a runoff; in
    a contest with more choices each other loser is a further pair with a larger margin.
    """
    manifest = manifest_from_frame(frame, winner, runner_up)
    return plan_from_manifest(manifest, winner, runner_up, risk_limit)


def describe(plan: AuditPlan) -> str:
    """The plan as a small text table (for a terminal or a report)."""
    lines = [
        f"Audit of {plan.winner} over {plan.runner_up}: margin {plan.margin:,} of {plan.ballots:,} ballots, "
        f"{plan.tables:,} tables ({plan.annulled_tables} annulled), risk limit {plan.risk_limit}",
        f"{'method':<14}{'unit':<9}{'draws':>12}{'tables':>12}{'ballots':>14}  full count?",
    ]
    for m in plan.methods:
        lines.append(
            f"{m.method:<14}{m.unit:<9}{m.draws:>12,}{m.expected_tables:>12,}{m.expected_ballots:>14,}  "
            f"{'yes' if m.full_hand_count else 'no'}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class ContestPlan:
    """A contest with any number of choices and winners: each method's plan is the maximum over
    the winner–loser pairs (polling, Super-Simple) or uses the per-table maximum over them (batch
    comparison); ``binding_pairs`` names the pair that sets each method's size ("FP>RP")."""

    winners: tuple[str, ...]
    losers: tuple[str, ...]
    risk_limit: str
    tables: int
    ballots: int
    votes: dict[str, int]
    closest_pair: str
    closest_margin: int
    total_error_bound: str
    methods: tuple[MethodPlan, ...]
    binding_pairs: dict[str, str]

    def method(self, name: str) -> MethodPlan:
        return _method(self.methods, name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ints and strings only (fractions as exact text)."""
        return {
            "winners": list(self.winners),
            "losers": list(self.losers),
            "risk_limit": self.risk_limit,
            "tables": self.tables,
            "ballots": self.ballots,
            "votes": dict(self.votes),
            "closest_pair": self.closest_pair,
            "closest_margin": self.closest_margin,
            "total_error_bound": self.total_error_bound,
            "methods": [plan.to_dict() for plan in self.methods],
            "binding_pairs": dict(self.binding_pairs),
        }


def _contest_methods(batches: ContestBatches, alpha: Fraction) -> tuple[tuple[MethodPlan, ...], dict[str, str]]:
    contest, n = batches.contest, batches.contest.ballots
    weights, ballots = batches.bound_numerators, batches.ballots
    menus = {pair: bravo_sample_sizes(*(contest.votes[c] for c in pair), n, alpha) for pair in contest.pairs()}
    asn, bravo_pair = worst_pair(contest, lambda w, loser: menus[(w, loser)].asn)
    menu = {"asn": int(asn)} | {key: max(m.one_round[key] for m in menus.values()) for key in menus[bravo_pair].one_round}
    full = any(m.full_hand_count for m in menus.values())

    def alpha_polling(w: str, loser: str) -> float:
        size = alpha_polling_sample_size(contest.votes[w], contest.votes[loser], n, alpha)
        return math.inf if size is None else size

    alpha_size, alpha_pair = worst_pair(contest, alpha_polling)
    minerva_size, minerva_pair = worst_pair(
        contest, lambda w, loser: _minerva_size(contest.votes[w], contest.votes[loser], n, alpha)
    )
    U = batches.total_error_bound
    methods = (
        _polling_plan(BRAVO, ballots, int(asn), full, menu),
        _polling_plan(ALPHA_POLLING, ballots, n if math.isinf(alpha_size) else int(alpha_size), math.isinf(alpha_size), {}),
        _minerva_plan(ballots, int(minerva_size)),
        _batch_plan(MACRO, weights, ballots, macro_sample_size(U, alpha), macro_details(U, alpha)),
        _batch_plan(ALPHA_BATCH, weights, ballots, alpha_batch_sample_size(U, alpha)),
    )
    closest = pair_label(contest.closest_pair())
    binding = {
        BRAVO: pair_label(bravo_pair),
        ALPHA_POLLING: pair_label(alpha_pair),
        MINERVA: pair_label(minerva_pair),
        MACRO: closest,
        ALPHA_BATCH: closest,
    }
    return methods, binding


def _hand_count_methods(batches: ContestBatches) -> tuple[MethodPlan, ...]:
    """A tie between a winner and a loser: every method counts everything."""
    n, tables = batches.contest.ballots, len(batches.tables)
    ballots = int(batches.ballots.sum())
    polling = [MethodPlan(m, "ballots", n, tables, ballots, True) for m in POLLING_METHODS]
    batch = [MethodPlan(m, "tables", tables, tables, ballots, True) for m in BATCH_METHODS]
    return (*polling, *batch)


def plan_contest(frame: pl.DataFrame, choices: Sequence[str], winners: Sequence[str], risk_limit: RiskLimitLike) -> ContestPlan:
    """Plan an audit of a contest with any number of choices and winners over a table frame.

    ``winners`` are the reported winners the audit confirms over every other choice in
    ``choices``: the winner of a runoff, or the two who go to one (Peru's first round).
    """
    return plan_contest_batches(contest_batches_from_frame(frame, choices, winners), risk_limit)


def plan_contest_batches(batches: ContestBatches, risk_limit: RiskLimitLike) -> ContestPlan:
    """Every method's plan for a contest's tables (see :func:`plan_contest`); what a recorded
    contest audit states beside its first round."""
    alpha = as_risk_limit(risk_limit)
    contest = batches.contest
    closest = contest.closest_pair()
    if contest.tied:
        methods, binding = _hand_count_methods(batches), dict.fromkeys(POLLING_METHODS + BATCH_METHODS, pair_label(closest))
        bound = "none"
    else:
        methods, binding = _contest_methods(batches, alpha)
        bound = fraction_text(batches.total_error_bound)
    return ContestPlan(
        winners=contest.winners,
        losers=contest.losers,
        risk_limit=fraction_text(alpha),
        tables=len(batches.tables),
        ballots=contest.ballots,
        votes=dict(contest.votes),
        closest_pair=pair_label(closest),
        closest_margin=contest.margin(closest),
        total_error_bound=bound,
        methods=methods,
        binding_pairs=binding,
    )
