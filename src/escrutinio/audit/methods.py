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
    NO_EVIDENCE,
    SampleSize,
    alpha_batch_next_round,
    alpha_polling_next_round,
    bravo_next_round,
    contest_next_round,
    full_hand_count,
    macro_next_round,
    minerva_next_round,
    sized,
)
from escrutinio.audit.state import AuditState

BRAVO_FIRST_ROUND_PROBABILITY = Fraction(9, 10)
"""BRAVO's first round is sized to finish alone with this chance if the result is right."""


Pair = tuple[str, str]


@dataclass(frozen=True)
class MethodRules:
    """One method's questions, each answered from the record so far.

    Every winner–loser pair of the contest is confirmed on the same sample (one pair in a
    runoff). Polling methods test each pair on its own ballots: round 1 and next rounds are the
    largest of the pairs' sizes, the risk the largest of the pairs' risks (the outcome is
    confirmed when every pair is). Batch methods use MACRO's per-table maximum over the pairs
    (its bound and its taint): their risk is that one test's, and each pair's own risk (the same
    draws and bounds, the pair's taints) is at most it.
    """

    method: AuditMethod
    first_round: Callable[[AuditState], int]
    """Round 1's draws: the size that confirms if the sample looks as reported."""
    risk: Callable[[AuditState], float]
    """The measured risk of the contest over every draw so far."""
    pair_risks: Callable[[AuditState], dict[Pair, float]]
    """Each pair's measured risk over every draw so far."""
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
    return state.contest_batches().total_error_bound


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
        lambda state: {pair: risk(_bound(state), taints) for pair, taints in state.pair_taints().items()},
        lambda state: next_round(
            _bound(state), state.risk_limit, taints=state.taints(), tables=len(state.contest_batches().tables)
        ),
    )


# -- ballot polling -----------------------------------------------------------------------


def _readings(state: AuditState) -> list[str]:
    """What every draw so far shows (a ballot drawn twice counts twice), in draw order."""
    return state.readings()


def _outcomes(readings: list[str], pair: Pair) -> list[str]:
    """winner / loser / other for the pair, for every reading."""
    return ["winner" if v == pair[0] else "loser" if v == pair[1] else "other" for v in readings]


def _largest(sizes: dict[Pair, int]) -> int:
    return max(sizes.values())


def _per_pair(measure: Callable[[AuditState, Pair, list[str]], float]) -> Callable[[AuditState], dict[Pair, float]]:
    """A pair's measure lifted to every pair of the audit (the readings read once)."""

    def every_pair(state: AuditState) -> dict[Pair, float]:
        readings = _readings(state)
        return {pair: measure(state, pair, readings) for pair in state.pairs()}

    return every_pair


def _worst(pair_risks: Callable[[AuditState], dict[Pair, float]]) -> Callable[[AuditState], float]:
    """The contest's risk: the largest of its pairs' risks."""
    return lambda state: max(pair_risks(state).values())


def _next_of_pairs(next_of_pair: Callable[[AuditState, Pair, list[str]], SampleSize]) -> Callable[[AuditState], SampleSize]:
    """The contest's next round: the largest of its pairs' rounds, a full hand count as soon as
    one pair needs it (:func:`~escrutinio.audit.rounds.contest_next_round`)."""

    def next_round(state: AuditState) -> SampleSize:
        readings = _readings(state)
        contest = state.contest_batches().contest
        return contest_next_round(contest, lambda w, loser: next_of_pair(state, (w, loser), readings))[0]

    return next_round


def _bravo_first_round(state: AuditState) -> int:
    def size(pair: Pair) -> int:
        shares = state.reported_pair(pair)
        return bravo_one_round_size(
            shares.winner_votes, shares.loser_votes, shares.ballots, state.risk_limit, BRAVO_FIRST_ROUND_PROBABILITY
        )

    return _largest({pair: size(pair) for pair in state.pairs()})


def _bravo_log_t(state: AuditState, pair: Pair, readings: list[str]) -> tuple[float, int]:
    """BRAVO's ln T for a pair at the end of the sample (as Arlo reports it), and the draws it covers."""
    shares, outcomes = state.reported_pair(pair), _outcomes(readings, pair)
    log_t = bravo_log_statistic(shares.winner_votes, shares.loser_votes, outcomes.count("winner"), outcomes.count("loser"))
    return log_t, len(outcomes)


def _bravo_pair_risk(state: AuditState, pair: Pair, readings: list[str]) -> float:
    return risk_from_log_statistic(_bravo_log_t(state, pair, readings)[0])


def _bravo_next(state: AuditState, pair: Pair, readings: list[str]) -> SampleSize:
    shares = state.reported_pair(pair)
    if state.round_sizing == RoundSizing.MEAN_GAIN:
        log_t, draws = _bravo_log_t(state, pair, readings)
        return sized(more_from_log(log_t, draws, _threshold(state)), shares.ballots, draws)
    outcomes = _outcomes(readings, pair)
    return bravo_next_round(
        shares.winner_votes,
        shares.loser_votes,
        shares.ballots,
        state.risk_limit,
        sample_winner=outcomes.count("winner"),
        sample_loser=outcomes.count("loser"),
        drawn=len(outcomes),
        probability=BRAVO_FIRST_ROUND_PROBABILITY,
    )


def _alpha_polling_first_round(state: AuditState) -> int:
    """ALPHA's expected-path size (the largest over the pairs), or every ballot when a pair's
    path never gets there."""

    def size(pair: Pair) -> int:
        shares = state.reported_pair(pair)
        found = alpha_polling_sample_size(shares.winner_votes, shares.loser_votes, shares.ballots, state.risk_limit)
        return found if found is not None else shares.ballots

    return _largest({pair: size(pair) for pair in state.pairs()})


def _alpha_polling_path(state: AuditState, pair: Pair, readings: list[str]) -> np.ndarray:
    """ALPHA shrink-trunc's ln T for a pair after each draw."""
    return alpha_polling_log_path(state.reported_pair(pair), polling_values(_outcomes(readings, pair), "winner", "loser"))


def _alpha_polling_pair_risk(state: AuditState, pair: Pair, readings: list[str]) -> float:
    """The running maximum of T: ALPHA may stop at any draw, so its best point counts."""
    path = _alpha_polling_path(state, pair, readings)
    return risk_from_log_statistic(float(np.max(path)) if len(path) else 0.0)


def _alpha_polling_next(state: AuditState, pair: Pair, readings: list[str]) -> SampleSize:
    shares = state.reported_pair(pair)
    if state.round_sizing == RoundSizing.METHOD:
        values = polling_values(_outcomes(readings, pair), "winner", "loser")
        return alpha_polling_next_round(shares.winner_votes, shares.loser_votes, shares.ballots, state.risk_limit, values=values)
    path, threshold = _alpha_polling_path(state, pair, readings), _threshold(state)
    if len(path) and float(np.max(path)) >= threshold:
        return sized(0, shares.ballots, len(path))
    return sized(more_from_log(float(path[-1]) if len(path) else 0.0, len(path), threshold), shares.ballots, len(path))


def _minerva_first_round(state: AuditState) -> int:
    """Minerva's first round (exact binomial law) that confirms with chance 0.9, the largest
    over the pairs, capped at the ballots."""

    from escrutinio.audit.minerva import minerva_round_size  # scipy: only for Minerva audits

    def size(pair: Pair) -> int:
        shares = state.reported_pair(pair)
        return minerva_round_size(
            shares.winner_votes, shares.loser_votes, shares.ballots, state.risk_limit, BRAVO_FIRST_ROUND_PROBABILITY
        )

    return min(_largest({pair: size(pair) for pair in state.pairs()}), state.contest_batches().contest.ballots)


def minerva_pair_rounds(state: AuditState, pair: Pair, readings: list[str]) -> list[tuple[int, int]]:
    """The audit's rounds as Minerva reads them for a pair: (cumulative ballots for the pair,
    cumulative ballots for its winner) at the end of each round.

    A round that adds no ballot for the pair (all its draws for other choices) is no test of the
    pair: it is left out rather than written as a round of size 0, which Minerva cannot take."""
    rounds: list[tuple[int, int]] = []
    pair_ballots = winner_ballots = start = 0
    for drawn in (len(r.indices) for r in state.rounds):
        if start + drawn > len(readings):
            break
        for vote in readings[start : start + drawn]:
            pair_ballots += vote in pair
            winner_ballots += vote == pair[0]
        start += drawn
        if pair_ballots > (rounds[-1][0] if rounds else 0):
            rounds.append((pair_ballots, winner_ballots))
    return rounds


def _minerva_pair_risk(state: AuditState, pair: Pair, readings: list[str]) -> float:
    """Minerva's risk of the last round given the earlier ones, in log space (never underflowing
    to 0/0); 1 before any ballot for the pair."""
    from escrutinio.audit.minerva import minerva_log_rounds_risk

    shares = state.reported_pair(pair)
    rounds = minerva_pair_rounds(state, pair, readings)
    return math.exp(minerva_log_rounds_risk(shares.winner_votes, shares.loser_votes, rounds, state.risk_limit))


def _minerva_next(state: AuditState, pair: Pair, readings: list[str]) -> SampleSize:
    """Minerva's next round for a pair: none once the pair is confirmed, otherwise the round
    that confirms with chance 0.9 given the rounds so far; a full hand count when no round can
    (a ballot for a loser reported with no votes, a search that finds no size)."""
    shares = state.reported_pair(pair)
    if _minerva_pair_risk(state, pair, readings) <= state.risk_limit:
        return SampleSize(0)
    try:
        return minerva_next_round(
            shares.winner_votes,
            shares.loser_votes,
            shares.ballots,
            state.risk_limit,
            rounds=minerva_pair_rounds(state, pair, readings),
            drawn=len(readings),
            probability=BRAVO_FIRST_ROUND_PROBABILITY,
        )
    except ValueError:
        return full_hand_count(shares.ballots, len(readings), NO_EVIDENCE)


def _polling_rules(
    method: AuditMethod,
    first_round: Callable[[AuditState], int],
    pair_risk: Callable[[AuditState, Pair, list[str]], float],
    next_of_pair: Callable[[AuditState, Pair, list[str]], SampleSize],
) -> MethodRules:
    """A ballot-polling method from its one-pair math, applied to every pair."""
    pair_risks = _per_pair(pair_risk)
    return MethodRules(method, first_round, _worst(pair_risks), pair_risks, _next_of_pairs(next_of_pair))


METHODS: dict[AuditMethod, MethodRules] = {
    rules.method: rules
    for rules in (
        _batch_rules(AuditMethod.MACRO, macro_sample_size, macro_risk, macro_next_round),
        _batch_rules(AuditMethod.ALPHA_BATCH, alpha_batch_sample_size, alpha_batch_risk, alpha_batch_next_round),
        _polling_rules(AuditMethod.BRAVO, _bravo_first_round, _bravo_pair_risk, _bravo_next),
        _polling_rules(AuditMethod.ALPHA_POLLING, _alpha_polling_first_round, _alpha_polling_pair_risk, _alpha_polling_next),
        _polling_rules(AuditMethod.MINERVA, _minerva_first_round, _minerva_pair_risk, _minerva_next),
    )
}
"""Every method the audit record runs, by name."""


def rules_of(state: AuditState) -> MethodRules:
    """The rules of the planned audit's method."""
    assert state.method is not None, "an audit without a plan has no method"
    return METHODS[state.method]
