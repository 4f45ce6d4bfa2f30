"""The last-digit test's false alarms on clean elections shaped like the Peru 2021 first round, all
18 choices (the shaped elections of forensics/shaped.py keep two: the leader and the rest, whose
counts are large, and so never meet the small counts this test has to leave out).

Each clean election keeps the real counted tables, their valid votes and their districts (an area of
fewer than 10 tables read with the area above, as the test reads them); every table's vote vector is
Dirichlet-multinomial around its district's shares of the 18 choices, with each department's
overdispersion fitted by moments (E[(v − n·s)² − n·s(1 − s)] = ρ·n(n − 1)·s(1 − s), α = (1 − ρ)/ρ).
Prints each seed's verdict, p (the test's null: the counts' honest digits, drawn) and the chi-square
table's p on the same statistic, then k/n flagged at alpha = 0.05 with its exact 95 % interval and
the one-sided binomial p against 5 %, by the test's null and by the table. The old test (every count
of 10 or more against its smoothed histogram) flagged 5 of the first 6.

Run: ``python benchmarks/last_digit_calibration.py --clean 100 [--seed 0] [--by district]`` (about
3 s of CPU an election).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "forensics"))

from escrutinio.domain import table_frame as tf  # noqa: E402
from escrutinio.forensics import digits  # noqa: E402
from escrutinio.forensics import frames as fr  # noqa: E402


class FirstRoundShape:
    """The real first round's tables, districts, shares and overdispersion, and clean draws from them."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = fr.counted(frame)
        self.cols = fr.choice_columns(self.frame)
        self.n = fr.as_int(self.frame, tf.VALID)
        votes = np.stack([fr.as_int(self.frame, c) for c in self.cols], axis=1).astype(np.float64)
        group, _ = fr.peer_groups(self.frame, tf.DISTRICT, min_size=digits.MIN_PEERS)
        totals = np.zeros((int(group.max()) + 1, len(self.cols)))
        np.add.at(totals, group, votes)
        self.share = (totals / np.maximum(totals.sum(axis=1, keepdims=True), 1))[group]
        s, n = self.share, self.n[:, None].astype(np.float64)
        excess = ((votes - n * s) ** 2 - n * s * (1 - s)).sum(axis=1)
        scale = (n * (n - 1) * s * (1 - s)).sum(axis=1)
        dep = fr.level_keys(self.frame, tf.DEPARTMENT)
        dep = dep - dep.min()
        rho = np.bincount(dep, weights=excess) / np.maximum(np.bincount(dep, weights=scale), 1e-12)
        self.rho = np.clip(rho, 1e-4, 0.9)
        self.alpha = ((1 - self.rho) / self.rho)[dep]

    def clean(self, seed: int) -> pl.DataFrame:
        """One clean election: π ~ Dirichlet(α·shares) per table, votes ~ Multinomial(valid, π)."""
        rng = np.random.default_rng(seed)
        g = rng.gamma(np.maximum(self.alpha[:, None] * self.share, 1e-6))
        pi = g / np.maximum(g.sum(axis=1, keepdims=True), 1e-300)
        out = np.zeros(pi.shape, dtype=np.int64)
        left, rest = self.n.copy(), np.ones(len(self.n))
        for c in range(len(self.cols) - 1):  # the multinomial as successive binomials
            out[:, c] = rng.binomial(left, np.clip(pi[:, c] / np.maximum(rest, 1e-12), 0.0, 1.0))
            left, rest = left - out[:, c], rest - pi[:, c]
        out[:, -1] = left
        return self.frame.with_columns([pl.Series(c, out[:, i]) for i, c in enumerate(self.cols)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clean", type=int, default=100, help="clean elections")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--by", default=None, help="the level the test reads expected counts at (default: district)")
    args = ap.parse_args()
    import frames_forensics as ff

    shape = FirstRoundShape(ff.peru(1))
    flagged, table, t0 = 0, 0, time.perf_counter()
    for seed in range(args.seed, args.seed + args.clean):
        r = digits.last_digit_test(shape.clean(seed), by=args.by, seed=seed)
        e = r.estimates
        flagged += r.flagged() is True
        table += e.get("p_chi2_9df") is not None and e["p_chi2_9df"] < 0.05
        print(seed, r.flagged(), r.p_value, e.get("p_chi2_9df"), e["n_counts"], e["min_spread_votes"], flush=True)
    n = args.clean
    for label, k in (("flagged", flagged), ("by the chi-square table", table)):
        low = stats.beta.ppf(0.025, k, n - k + 1) if k else 0.0
        high = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
        print(
            f"{label} {k}/{n} = {k / n:.3f} (95 % interval {low:.3f}-{high:.3f}; one-sided binomial p against "
            f"5 %: {stats.binom.sf(k - 1, n, 0.05):.3f}); {time.perf_counter() - t0:.0f} s"
        )


if __name__ == "__main__":
    main()
