"""The table of audit methods: for each, how round 1 is sized, how the risk is measured, and
how many more draws a next round takes.

The audit record asks this table instead of branching on the method's name, so adding a
method is one entry here (and its math in its own module); the record's steps do not change.
Every function reads an :class:`~escrutinio.audit.state.AuditState` whose round is settled.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from escrutinio.audit.alpha import (
    alpha_batch_risk,
    alpha_batch_sample_size,
    alpha_polling_log_path,
    alpha_polling_sample_size,
    polling_values,
)
from escrutinio.audit.bravo import bravo_log_statistic, bravo_one_round_size
from escrutinio.audit.kinds import AuditMethod, RoundSizing
from escrutinio.audit.macro import macro_risk, macro_sample_size
from escrutinio.audit.risk import risk_from_log_statistic
from escrutinio.audit.rounds import (
    SampleSize,
    alpha_batch_next_round,
    alpha_polling_next_round,
    bravo_next_round,
    macro_next_round,
    sized,
)
from escrutinio.audit.state import AuditState

BRAVO_FIRST_ROUND_PROBABILITY = Fraction(9, 10)
"""BRAVO's first round is sized to finish alone with this chance if the result is right."""


@dataclass(frozen=True)
class MethodRules:
    """One method's three questions, each answered from the record so far."""

    method: AuditMethod
    first_round: Callable[[AuditState], int]
    """Round 1's draws: the size that confirms if the sample looks as reported."""
    risk: Callable[[AuditState], float]
    """The measured risk over every draw so far."""
    next_round: Callable[[AuditState], SampleSize]
    """Draws a next round should add to confirm, or a full hand count (see :mod:`escrutinio.audit.rounds`)."""


def more_from_log(log_statistic: float, draws: int, threshold: float) -> int | None:
    """Further draws to reach ``threshold`` if each adds the mean gain of the draws so far to ln T.

    ``None`` when the draws so far gained nothing on average: no sample size can be expected to
    confirm, so the audit goes to a full hand count.
    """
    if log_statistic >= threshold:
        return 0
    drift = log_statistic / draws if draws else 0.0
    if not drift > 0:
        return None
    return max(1, math.ceil((threshold - log_statistic) / drift))


def _threshold(state: AuditState) -> float:
    """ln(1/α): the log statistic at which a polling audit confirms."""
    return math.log(1 / state.risk_limit)


# -- batch comparison (tables as batches) -------------------------------------------------


def _bound(state: AuditState) -> Fraction:
    return state.planned_manifest().batches.total_error_bound


def _batch_rules(
    method: AuditMethod,
    size: Callable[[Fraction, Fraction], int],
    risk: Callable[[Fraction, list[Fraction]], float],
    next_round: Callable[..., SampleSize],
) -> MethodRules:
    """A batch-comparison method from its math over the manifest's total error bound and the taints."""
    return MethodRules(
        method,
        lambda state: size(_bound(state), state.risk_limit),
        lambda state: risk(_bound(state), state.taints()),
        lambda state: next_round(
            _bound(state), state.risk_limit, taints=state.taints(), tables=len(state.planned_manifest().batches.tables)
        ),
    )


# -- ballot polling -----------------------------------------------------------------------


def _outcomes(state: AuditState) -> list[str]:
    """winner / loser / other for every draw so far (a ballot drawn twice counts twice)."""
    return [state.counts_for(v) for v in state.readings()]


def _bravo_first_round(state: AuditState) -> int:
    pair = state.reported_pair()
    return bravo_one_round_size(
        pair.winner_votes, pair.loser_votes, pair.ballots, state.risk_limit, BRAVO_FIRST_ROUND_PROBABILITY
    )


def _bravo_log_t(state: AuditState) -> tuple[float, int]:
    """BRAVO's ln T at the end of the sample (as Arlo reports it), and the draws it covers."""
    pair, outcomes = state.reported_pair(), _outcomes(state)
    log_t = bravo_log_statistic(pair.winner_votes, pair.loser_votes, outcomes.count("winner"), outcomes.count("loser"))
    return log_t, len(outcomes)


def _bravo_risk(state: AuditState) -> float:
    return risk_from_log_statistic(_bravo_log_t(state)[0])


def _bravo_next(state: AuditState) -> SampleSize:
    pair = state.reported_pair()
    if state.round_sizing == RoundSizing.MEAN_GAIN:
        log_t, draws = _bravo_log_t(state)
        return sized(more_from_log(log_t, draws, _threshold(state)), pair.ballots, draws)
    outcomes = _outcomes(state)
    return bravo_next_round(
        pair.winner_votes,
        pair.loser_votes,
        pair.ballots,
        state.risk_limit,
        sample_winner=outcomes.count("winner"),
        sample_loser=outcomes.count("loser"),
        drawn=len(outcomes),
        probability=BRAVO_FIRST_ROUND_PROBABILITY,
    )


def _alpha_polling_first_round(state: AuditState) -> int:
    """ALPHA's expected-path size, or every ballot when that path never gets there."""
    pair = state.reported_pair()
    size = alpha_polling_sample_size(pair.winner_votes, pair.loser_votes, pair.ballots, state.risk_limit)
    return size if size is not None else pair.ballots


def _alpha_polling_path(state: AuditState) -> np.ndarray:
    """ALPHA shrink-trunc's ln T after each draw."""
    return alpha_polling_log_path(state.reported_pair(), polling_values(_outcomes(state), "winner", "loser"))


def _alpha_polling_risk(state: AuditState) -> float:
    """The running maximum of T: ALPHA may stop at any draw, so its best point counts."""
    path = _alpha_polling_path(state)
    return risk_from_log_statistic(float(np.max(path)) if len(path) else 0.0)


def _alpha_polling_next(state: AuditState) -> SampleSize:
    pair = state.reported_pair()
    if state.round_sizing == RoundSizing.METHOD:
        values = polling_values(_outcomes(state), "winner", "loser")
        return alpha_polling_next_round(pair.winner_votes, pair.loser_votes, pair.ballots, state.risk_limit, values=values)
    path, threshold = _alpha_polling_path(state), _threshold(state)
    if len(path) and float(np.max(path)) >= threshold:
        return sized(0, pair.ballots, len(path))
    return sized(more_from_log(float(path[-1]) if len(path) else 0.0, len(path), threshold), pair.ballots, len(path))


METHODS: dict[AuditMethod, MethodRules] = {
    rules.method: rules
    for rules in (
        _batch_rules(AuditMethod.MACRO, macro_sample_size, macro_risk, macro_next_round),
        _batch_rules(AuditMethod.ALPHA_BATCH, alpha_batch_sample_size, alpha_batch_risk, alpha_batch_next_round),
        MethodRules(AuditMethod.BRAVO, _bravo_first_round, _bravo_risk, _bravo_next),
        MethodRules(AuditMethod.ALPHA_POLLING, _alpha_polling_first_round, _alpha_polling_risk, _alpha_polling_next),
    )
}
"""Every method the audit record runs, by name."""


def rules_of(state: AuditState) -> MethodRules:
    """The rules of the planned audit's method."""
    assert state.method is not None, "an audit without a plan has no method"
    return METHODS[state.method]
