"""ALPHA supermartingale tests (Stark 2023, "ALPHA: Audit that Learns from Previously
Hand-Audited Ballots"), for ballot polling and for table-level (batch) comparison.

ALPHA tests the null hypothesis "the mean of a list of numbers in [0, u] is at most mu" from
draws X_1, X_2, ... of the list. Before each draw it fixes a guess eta_j in (mu, u] of the true
mean, using only earlier draws, and multiplies the statistic by

    (1/u) * ( X_j * eta_j / mu_j + (u - X_j) * (u - eta_j) / (u - mu_j) ),

which equals 1 + lambda_j (X_j - mu_j) with lambda_j = (eta_j - mu_j) / (mu_j (u - mu_j)): a bet on
X_j exceeding mu_j. Under the null the product T_j is a non-negative supermartingale, so by
Ville's inequality ``min(1, 1 / max_{i<=j} T_i)`` is a valid P-value at every j: the measured
risk. With replacement mu_j = mu; without replacement from N items mu_j is the null mean of what
is left, (N mu - sum of earlier draws) / (N - j + 1).

How each audit becomes such a list:

- *Ballot polling*, pair (winner, loser): X = 1 for a winner ballot, 0 for a loser ballot, 1/2
  for any other ballot (blank, null, other choices); u = 1 and mu = 1/2 (the winner did not win
  the pair). eta follows Stark's *shrink-trunc* estimator: the sample mean shrunk towards the
  reported mean eta_0 with weight d, kept at least c/sqrt(d + j - 1) above mu_j and below u.
  With eta fixed at the winner's share s_w and draws with replacement this is BRAVO exactly.
- *Batch comparison* with PPEB draws (see :mod:`escrutinio.audit.macro`): X = 1 - t for a drawn
  table of taint t, u = 2, mu = 1 - 1/U. A clean table gives X = 1, just above mu, so the bet
  must be bold to learn fast: the default keeps eta fixed at mu + 0.99 (u - mu), which loses 1 %
  of the evidence MACRO gets from a clean table and turns a table that overstated the margin by
  its whole bound (X = 0) into a 100-fold loss instead of the end of the audit. With eta = u this
  is MACRO's Kaplan–Markov P-value exactly.

Sample sizes: for batch comparison with a fixed eta, the draws a clean sample needs, in closed
form. For ballot polling, the point where the *expected* ln T (each draw distributed as the
reported result says, eta following the expected path of shrink-trunc) reaches ln(1/alpha): a
deterministic estimate near the median stopping time; :func:`alpha_polling_sample_size_simulated`
gives quantiles by simulation instead.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from escrutinio.audit.bravo import PairShares
from escrutinio.audit.risk import RiskLimitLike, as_risk_limit, risk_from_log_statistic

POLLING_UPPER = 1.0
POLLING_NULL_MEAN = 0.5
BATCH_UPPER = 2.0
DEFAULT_BATCH_BET = 0.99
"""Share of the boldest bet (eta = u) the batch-comparison default keeps."""
DEFAULT_SHRINK_WEIGHT = 100.0
"""d: how many draws' worth of weight the reported mean keeps in shrink-trunc."""
_ETA_CEILING = 1 - 1e-9
"""eta stays below u by this factor so that one X = 0 shrinks T instead of zeroing it."""
_CHUNK = 1 << 18
"""Most draws of an expected path computed at once."""
_FIRST_CHUNK = 1 << 10
"""Draws of an expected path computed first; each further block doubles, up to :data:`_CHUNK`
(most pairs of a many-choice contest confirm within a few hundred draws: computing 2^18 each
made ALPHA half of the first round's plan)."""


# --- the generic test ------------------------------------------------------------------------


def null_means(xs: np.ndarray, mu: float, population: int | None) -> np.ndarray:
    """mu_j for each draw: ``mu`` with replacement, the null mean of what is left without."""
    if population is None:
        return np.full(len(xs), mu)
    j = np.arange(len(xs))
    if len(xs) > population:
        raise ValueError("cannot draw more items than the population holds without replacement")
    drawn_before = np.concatenate(([0.0], np.cumsum(xs)[:-1]))
    return (population * mu - drawn_before) / (population - j)


_MEAN_ATOL = 1e-12
"""Null means this close to 0 or to u are taken to be exactly there (they are sums of draws)."""


def alpha_log_statistics(xs: np.ndarray, mus: np.ndarray, upper: float, etas: np.ndarray) -> np.ndarray:
    """ln T_j for every j, with the edge cases of sampling without replacement:

    - null mean of what is left below 0: the null is impossible (+inf);
    - exactly 0: the null says every item left is 0, so a draw above 0 refutes it (+inf) and a
      draw of 0 is what it predicts: a factor of 1, not evidence (the bet's formula would divide
      by zero; treating the draw as a refutation made a tied population's risk 0);
    - u or more: the null can no longer be rejected (-inf, the risk stays where it was).
    """
    xs, mus, etas = (np.asarray(a, dtype=np.float64) for a in (xs, mus, etas))
    if len(xs) and (xs.min() < 0 or xs.max() > upper):
        raise ValueError(f"ALPHA needs every value in [0, {upper}]")
    at_zero = np.abs(mus) <= _MEAN_ATOL
    at_top = mus >= upper - _MEAN_ATOL
    with np.errstate(divide="ignore", invalid="ignore"):
        bet = (etas - mus) / (mus * (upper - mus))
        logs = np.log1p(bet * (xs - mus))
    logs = np.where(at_zero, np.where(xs > _MEAN_ATOL, np.inf, 0.0), logs)
    logs = np.where(~at_zero & (mus < 0), np.inf, logs)
    logs = np.where(at_top, -np.inf, logs)
    return np.cumsum(logs)


def risk_from_path(log_statistics: np.ndarray) -> float:
    """min(1, 1 / max_j T_j): Ville's inequality makes the running maximum a valid P-value."""
    if len(log_statistics) == 0:
        return 1.0
    return risk_from_log_statistic(float(np.max(log_statistics)))


def _shrink_trunc(
    earlier: np.ndarray, j: np.ndarray, mus: np.ndarray | float, upper: float, eta0: float, d: float, c: float
) -> np.ndarray:
    shrunk = (d * eta0 + earlier) / (d + j - 1)
    floor = mus + c / np.sqrt(d + j - 1)
    return np.minimum(upper * _ETA_CEILING, np.maximum(shrunk, floor))


def shrink_trunc_etas(
    xs: np.ndarray,
    mus: np.ndarray,
    upper: float,
    eta0: float,
    d: float = DEFAULT_SHRINK_WEIGHT,
    c: float | None = None,
) -> np.ndarray:
    """Stark's shrink-trunc guesses: eta_j = min(u', max((d eta0 + S_{j-1}) / (d + j - 1),
    mu_j + c / sqrt(d + j - 1))), S_{j-1} the sum of earlier draws, u' just below u.

    c defaults to half the reported edge, (eta0 - mu_1) / 2: early guesses stay clearly above
    the null so the test can gain, and the margin kept above mu shrinks as evidence accrues.
    """
    xs = np.asarray(xs, dtype=np.float64)
    mus = np.asarray(mus, dtype=np.float64)
    if c is None:
        c = (eta0 - float(mus[0])) / 2 if len(mus) else 0.0
    j = np.arange(1, len(xs) + 1, dtype=np.float64)
    earlier = np.concatenate(([0.0], np.cumsum(xs)[:-1]))
    return _shrink_trunc(earlier, j, mus, upper, eta0, d, c)


# --- ballot polling --------------------------------------------------------------------------


def polling_values(choices: Sequence[str], winner: str, loser: str) -> np.ndarray:
    """Code the choices read on the sampled ballots (draw order): 1 winner, 0 loser, 1/2 other."""
    return np.array([1.0 if c == winner else 0.0 if c == loser else 0.5 for c in choices])


def reported_polling_mean(pair: PairShares) -> float:
    """Mean of the polling assorter if the report is right: 1/2 + (p_w - p_l)/2 over all ballots."""
    return 0.5 + (pair.winner_votes - pair.loser_votes) / (2 * pair.ballots)


def alpha_polling_log_path(
    pair: PairShares, values: np.ndarray, *, population: int | None = None, eta: float | None = None
) -> np.ndarray:
    """ln T_j of ALPHA ballot polling; ``eta`` fixes the guess, otherwise shrink-trunc."""
    xs = np.asarray(values, dtype=np.float64)
    mus = null_means(xs, POLLING_NULL_MEAN, population)
    etas = np.full(len(xs), eta) if eta is not None else shrink_trunc_etas(xs, mus, POLLING_UPPER, reported_polling_mean(pair))
    return alpha_log_statistics(xs, mus, POLLING_UPPER, etas)


def alpha_polling_risk(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    values: np.ndarray,
    *,
    without_replacement: bool = False,
    eta: float | None = None,
) -> float:
    """Measured risk of a polling sample, ``values`` as :func:`polling_values` codes them."""
    pair = PairShares(winner_votes, loser_votes, ballots)
    population = ballots if without_replacement else None
    path = alpha_polling_log_path(pair, values, population=population, eta=eta)
    return risk_from_path(path)


def _polling_outcomes(pair: PairShares) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([1.0, 0.0, 0.5])
    other = pair.ballots - pair.winner_votes - pair.loser_votes
    probabilities = np.array([pair.winner_votes, pair.loser_votes, other], dtype=np.float64) / pair.ballots
    return values, probabilities


def alpha_polling_sample_size(
    winner_votes: int, loser_votes: int, ballots: int, risk_limit: RiskLimitLike, *, max_size: int | None = None
) -> int | None:
    """Draws (with replacement) at which the expected ln T of shrink-trunc ALPHA reaches ln(1/alpha).

    Each draw is taken to be distributed as reported; eta_j follows the shrink-trunc path of the
    expected running mean. ``None`` if that does not happen within ``max_size`` draws (default:
    ten times the ballots).
    """
    pair = PairShares(winner_votes, loser_votes, ballots)
    threshold = math.log(1 / as_risk_limit(risk_limit))
    values, probabilities = _polling_outcomes(pair)
    eta0 = reported_polling_mean(pair)
    limit = max_size if max_size is not None else 10 * ballots
    mu, upper, d = POLLING_NULL_MEAN, POLLING_UPPER, DEFAULT_SHRINK_WEIGHT
    c = (eta0 - mu) / 2
    expected_x = float(values @ probabilities)
    total = 0.0
    start, chunk = 1, _FIRST_CHUNK
    while start <= limit:
        j = np.arange(start, min(limit, start + chunk - 1) + 1, dtype=np.float64)
        chunk = min(2 * chunk, _CHUNK)
        etas = _shrink_trunc((j - 1) * expected_x, j, mu, upper, eta0, d, c)
        lam = (etas - mu) / (mu * (upper - mu))
        growth = sum(p * np.log1p(lam * (x - mu)) for x, p in zip(values, probabilities, strict=True))
        path = total + np.cumsum(growth)
        reached = np.flatnonzero(path >= threshold)
        if len(reached):
            return int(j[reached[0]])
        total = float(path[-1])
        start = int(j[-1]) + 1
    return None


def alpha_polling_more_draws(
    winner_votes: int, loser_votes: int, ballots: int, risk_limit: RiskLimitLike, values: np.ndarray
) -> int | None:
    """Further draws (with replacement) expected to reach the limit from where the sample stands:
    each draw distributed as reported, the bet held at the guess shrink-trunc makes for the next
    draw. 0 when the limit is reached; ``None`` when such draws would not gain evidence."""
    xs = np.asarray(values, dtype=np.float64)
    if not len(xs):
        return alpha_polling_sample_size(winner_votes, loser_votes, ballots, risk_limit)
    pair = PairShares(winner_votes, loser_votes, ballots)
    threshold = math.log(1 / as_risk_limit(risk_limit))
    path = alpha_polling_log_path(pair, xs)
    if float(np.max(path)) >= threshold:
        return 0
    mu, upper, eta0 = POLLING_NULL_MEAN, POLLING_UPPER, reported_polling_mean(pair)
    j = float(len(xs) + 1)
    eta = float(_shrink_trunc(float(xs.sum()), j, mu, upper, eta0, DEFAULT_SHRINK_WEIGHT, (eta0 - mu) / 2))
    bet = (eta - mu) / (mu * (upper - mu))
    outcomes, probabilities = _polling_outcomes(pair)
    growth = float(probabilities @ np.log1p(bet * (outcomes - mu)))
    if not growth > 0:
        return None
    return max(1, math.ceil((threshold - float(path[-1])) / growth))


def seed_to_generator(seed: str) -> np.random.Generator:
    """A numpy generator keyed by SHA-256 of a seed string (for simulations, not for audits)."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big"))


def alpha_polling_sample_size_simulated(
    winner_votes: int,
    loser_votes: int,
    ballots: int,
    risk_limit: RiskLimitLike,
    *,
    quantile: float = 0.9,
    repetitions: int = 200,
    seed: str = "0",
    max_size: int | None = None,
) -> int:
    """The ``quantile`` of ALPHA's stopping time over simulated samples drawn as reported
    (with replacement); a run that has not stopped by ``max_size`` draws counts as ``max_size``."""
    pair = PairShares(winner_votes, loser_votes, ballots)
    threshold = math.log(1 / as_risk_limit(risk_limit))
    values, probabilities = _polling_outcomes(pair)
    limit = max_size if max_size is not None else 10 * ballots
    rng = seed_to_generator(seed)
    stops = []
    for _ in range(repetitions):
        drawn = np.empty(0)
        stop = limit
        while len(drawn) < limit:
            more = min(max(1024, len(drawn)), _CHUNK, limit - len(drawn))
            drawn = np.concatenate((drawn, rng.choice(values, size=more, p=probabilities)))
            hits = np.flatnonzero(alpha_polling_log_path(pair, drawn) >= threshold)
            if len(hits):
                stop = int(hits[0]) + 1
                break
        stops.append(stop)
    return int(np.quantile(np.array(stops), quantile, method="higher"))


# --- batch comparison ------------------------------------------------------------------------


def batch_null_mean(total_error_bound: Fraction) -> float:
    """mu = 1 - 1/U: the largest mean of X = 1 - t under which the reported winner could be wrong."""
    return float(1 - 1 / total_error_bound)


def default_batch_eta(total_error_bound: Fraction, bet: float = DEFAULT_BATCH_BET) -> float:
    """eta = mu + bet (u - mu): a fixed share of the boldest bet."""
    mu = batch_null_mean(total_error_bound)
    return mu + bet * (BATCH_UPPER - mu)


def alpha_batch_log_path(total_error_bound: Fraction, taints: list[Fraction], *, bet: float = DEFAULT_BATCH_BET) -> np.ndarray:
    """ln T_j of ALPHA batch comparison; +inf-free: a taint of 1 or more makes the whole path -inf."""
    if any(t >= 1 for t in taints):
        return np.full(len(taints), -np.inf)
    xs = np.minimum(BATCH_UPPER, np.array([float(1 - t) for t in taints], dtype=np.float64))
    mus = null_means(xs, batch_null_mean(total_error_bound), None)
    etas = np.full(len(xs), default_batch_eta(total_error_bound, bet))
    return alpha_log_statistics(xs, mus, BATCH_UPPER, etas)


def alpha_batch_risk(total_error_bound: Fraction, taints: list[Fraction], *, bet: float = DEFAULT_BATCH_BET) -> float:
    """Measured risk of PPEB draws with these taints (in draw order)."""
    return risk_from_path(alpha_batch_log_path(total_error_bound, taints, bet=bet))


def alpha_batch_sample_size(total_error_bound: Fraction, risk_limit: RiskLimitLike, *, bet: float = DEFAULT_BATCH_BET) -> int:
    """Draws a clean sample needs: ceil(ln(1/alpha) / ln(1 + bet (1 - mu) / mu))."""
    alpha = as_risk_limit(risk_limit)
    mu = batch_null_mean(total_error_bound)
    if not 0 < bet <= 1:
        raise ValueError("bet must be in (0, 1]")
    return math.ceil(math.log(1 / alpha) / math.log1p(bet * (1 - mu) / mu))


def alpha_batch_more_draws(
    total_error_bound: Fraction, risk_limit: RiskLimitLike, taints: list[Fraction], *, bet: float = DEFAULT_BATCH_BET
) -> int | None:
    """Further draws expected to reach the limit if later draws gain, on average, what the draws
    so far gained (a clean sample's gain before any draw); ``None`` when they gain nothing."""
    threshold = math.log(1 / as_risk_limit(risk_limit))
    path = alpha_batch_log_path(total_error_bound, taints, bet=bet)
    if not taints:
        return alpha_batch_sample_size(total_error_bound, risk_limit, bet=bet)
    if np.max(path) >= threshold:
        return 0
    drift = float(path[-1]) / len(taints)
    if not drift > 0:
        return None
    return max(1, math.ceil((threshold - float(path[-1])) / drift))
