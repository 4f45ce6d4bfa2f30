"""The claims-vs-peers permutation null holds α on the shape where the calibration run doubted it.

On clean elections shaped like Russia 2011 (a party list: the blank-and-null share of a table is a
small binomial count, near 1.5 % of about a thousand ballots, with territorial commissions of a few
to a few hundred tables that differ in their null rate), a random claim list of 40 tables must be
flagged about α of the time. The permutation draws each claimed table's stand-in from its own peer
group, so it is exact for any spread of the peers, ties and overdispersion included; this test
holds it to that on many random claim lists at once (one frame, the claim list redrawn), which is
what the 40 clean elections of the calibration table measured slowly and with wide error.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import peers

ALPHA = 0.05


def _party_list_frame(seed: int, n_groups: int = 150) -> pl.DataFrame:
    """Tables of territorial commissions of 6 to 200 tables, ballots cast 50 to 2,500, null rates
    overdispersed between commissions (beta around 1.5 %) and between tables (beta again):
    blank-and-null shares with many ties among small tables and long right tails."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(6, 200, n_groups)
    group = np.repeat(np.arange(n_groups), sizes)
    n = len(group)
    rate_g = rng.beta(3, 200, n_groups)
    rate = rng.beta(20 * rate_g[group] / (1 - rate_g[group]) + 0.05, 20)
    cast = rng.integers(50, 2500, n)
    null = rng.binomial(cast, np.clip(rate, 0, 1))
    valid = cast - null
    win = rng.binomial(valid, 0.5)
    return pl.DataFrame(
        {
            tf.TABLE: [f"{i:06d}" for i in range(n)],
            tf.DEPARTMENT: (group // 20).astype(str),
            tf.PROVINCE: group.astype(str),
            tf.DISTRICT: group.astype(str),
            tf.ELECTORS: (cast * 1.6).astype(np.int64),
            tf.CAST: cast,
            tf.BLANK: np.zeros(n, dtype=np.int64),
            tf.NULL: null,
            tf.VALID: valid,
            tf.STATE: ["counted"] * n,
            tf.choice_column("A"): win,
            tf.choice_column("B"): valid - win,
        }
    )


def test_forensics_peers_blank_null_share_holds_alpha_on_random_claims():
    frame = _party_list_frame(seed=2011)
    ids = frame[tf.TABLE].to_numpy()
    rng = np.random.default_rng(7)
    runs = 300
    flagged = {"blank_null_share": 0, "winner_share": 0, "turnout": 0}
    for i in range(runs):
        claimed = rng.choice(ids, size=40, replace=False).tolist()
        for r in peers.test(frame, claimed, winner="A", permutations=199, seed=i):
            name = r.test.removeprefix("claims_vs_peers.")
            flagged[name] += bool(r.p_value < ALPHA)
    for name, k in flagged.items():
        # One-sided binomial test at 1 %: a null that over-rejects (e.g. 10 %, 30 of 300) fails.
        p = stats.binomtest(k, runs, ALPHA, alternative="greater").pvalue
        assert p > 0.01, f"{name}: {k} of {runs} random claim lists flagged (one-sided p {p:.4f} against {ALPHA})"


def test_forensics_peers_null_spread_matches_random_claims():
    """The spread the permutation resamples (each claimed table's stand-in drawn from its own group,
    ties included) is the spread that random claim lists of the same size actually show."""
    frame = _party_list_frame(seed=5, n_groups=80)
    values = (frame[tf.NULL] / frame[tf.CAST]).to_numpy()
    groups = np.unique(frame[tf.DISTRICT].to_numpy(), return_inverse=True)[1]
    rng = np.random.default_rng(3)
    n = frame.height
    stat = np.empty(2000)
    u = np.empty(0)
    for i in range(len(stat)):
        claimed = np.zeros(n, dtype=bool)
        claimed[rng.choice(n, size=40, replace=False)] = True
        stat[i], _, u = peers.rank_against_peers(values, groups, claimed, permutations=1)
    q_random = float(np.quantile(np.abs(stat), 1 - ALPHA))
    q_null = 1.96 * float(np.sqrt(np.var(u) / 40))
    assert 0.85 * q_null <= q_random <= 1.15 * q_null, (q_random, q_null)
