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

``--shaped bolivia`` (or ``peru``: the runoff) diagnoses the test on forensics/shaped.py's clean
elections instead, the ones the calibration suite flags: beside k/n it prints the mean chi-square
against the null's mean, and what would make them differ, from the latent share each table was drawn
at (the truth the null estimates): the digit shares observed, expected by the null and expected by the
truth, pooled over the elections by expected count (n × area share; a miss in the null's mean shows as
a chi-square far above 9 in one class), Pearson's chi-square of each election's digits against the
null's and the truth's expected digits (9 on average when only chance separates them), and how often
a table's two counts end in the same digit when both are read (10 % if they are independent, as the
null assumes). About 1.5 s of CPU an election. With ``--fabricated 0.02`` the leader's count is
rewritten with a human-looking last digit (0 and 5 preferred) on 2 % of the tables, and k/n is the
test's power.
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
from escrutinio.forensics import digits, simulate  # noqa: E402
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


def rate(label: str, k: int, n: int) -> str:
    """k/n with its exact (Clopper-Pearson) 95 % interval and the one-sided binomial p against 5 %."""
    low = stats.beta.ppf(0.025, k, n - k + 1) if k else 0.0
    high = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return (
        f"{label} {k}/{n} = {k / n:.3f} (95 % interval {low:.3f}-{high:.3f}; one-sided binomial p against "
        f"5 %: {stats.binom.sf(k - 1, n, 0.05):.3f})"
    )


SIZE_CLASSES = (15, 25, 50, 100, 200)
"""Bounds of the expected-count classes (n × area share) the diagnosis pools digits by."""


class ShapedDiagnosis:
    """The shaped clean elections of ``frame`` with the latent share each table was drawn at, and the
    digit figures of the last-digit test on them (observed, the null's, the truth's), pooled."""

    def __init__(self, frame: pl.DataFrame, winner: str) -> None:
        from escrutinio.forensics import shaped

        self.frame, self.winner = frame, winner
        self.f, self.d, self.m, self.top = fr.memo(frame, ("shaped", winner, 20), lambda: shaped._shape(frame, winner, 20))
        self.pooled = np.zeros((3, len(SIZE_CLASSES) + 1, 10))  # observed, null, truth
        self.pearson: list[tuple[float, float]] = []
        self.stat: list[tuple[float, float]] = []
        self.same = self.both = 0

    def latent(self, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
        """``shaped.clean_like(frame, winner, seed=seed)`` and each table's latent share of the leader
        (its draws replayed, and checked against the election's own counts)."""
        from escrutinio.forensics import shaped

        clean = shaped.clean_like(self.frame, self.winner, seed=seed)
        rng = np.random.default_rng(seed)
        mu_s, sd_s = shaped._shuffled(rng, self.d.group, self.top, self.m.mu_s, self.m.sd_s)
        tau = np.clip(rng.normal(self.m.mu_t, self.m.sd_t), 0.0, 1.0)
        nu = np.clip(rng.normal(mu_s, sd_s), 0.0, 1.0)
        valid = rng.binomial(rng.binomial(self.d.electors, tau), self.m.valid_ratio)
        if not (rng.binomial(valid, nu) == fr.as_int(clean, tf.choice_column(shaped.LEADER))).all():
            raise SystemExit("the replayed draws are not shaped.clean_like's: update ShapedDiagnosis.latent")
        return clean, nu

    def add(self, seed: int, r: digits.ForensicResult, clean: pl.DataFrame, nu: np.ndarray) -> None:
        """Pool one election's digits (the test's result ``r`` on ``clean``)."""
        cols = fr.choice_columns(clean)  # LEADER, REST: the latent shares nu and 1 - nu
        level = fr.peer_level(clean, tf.DISTRICT)
        v, n, p, _ = digits.expected_counts(clean, cols, level)
        chosen, _ = digits.spread_enough(n, p)
        read = chosen & (v >= digits.MIN_COUNT)
        null_p = digits.peer_shares(clean, cols, level, p, 1, np.random.default_rng([seed, 1]))[:, 0]
        truth_p = np.concatenate([nu, 1.0 - nu])
        size = np.digitize(n * p, SIZE_CLASSES)
        observed = np.zeros((len(SIZE_CLASSES) + 1, 10))
        np.add.at(observed, (size[read], v[read] % 10), 1)
        self.pooled[0] += observed
        for row, shares in ((1, null_p), (2, truth_p)):
            q = digits.last_digit_shares(n[chosen], shares[chosen])[:, :10]
            np.add.at(self.pooled[row], size[chosen], q)
        h, total = observed.sum(axis=0), read.sum()
        pearson = []
        for shares in (null_p, truth_p):
            e = digits.last_digit_moments(n[chosen], shares[chosen])[0][:10]
            e = e / e.sum() * total
            pearson.append(float(((h - e) ** 2 / e).sum()))
        self.pearson.append((pearson[0], pearson[1]))
        self.stat.append((float(r.statistic), float(r.estimates["null_chi2_mean"])))
        tables = clean.height
        both = read[:tables] & read[tables:]
        self.both += int(both.sum())
        self.same += int((v[:tables] % 10 == v[tables:] % 10)[both].sum())

    def report(self) -> str:
        stat, null_mean = np.array(self.stat).T
        pearson = np.array(self.pearson)
        k = len(stat)
        lines = [
            f"chi-square against 10 % a digit: mean {stat.mean():.3f} (standard error {stat.std() / np.sqrt(k):.3f}); "
            f"the null's mean {null_mean.mean():.3f}",
            f"Pearson's chi-square of each election's digits against the null's expected digits: mean "
            f"{pearson[:, 0].mean():.3f}; against the truth's (the latent shares): {pearson[:, 1].mean():.3f} "
            f"(9 when only chance separates them; standard error {pearson[:, 1].std() / np.sqrt(k):.3f})",
            f"a table's two counts, both read, end in the same digit {self.same / max(self.both, 1):.4%} of "
            f"{self.both:,} times (10 % if independent)",
            "digit shares (%) pooled by expected count: observed / null / truth; chi-square of the observed against each on 9 df",
        ]
        bounds = ("<", *SIZE_CLASSES)
        for c in range(len(SIZE_CLASSES) + 1):
            o = self.pooled[0, c]
            if o.sum() == 0:
                continue
            label = f"< {SIZE_CLASSES[0]}" if c == 0 else f">= {bounds[c]}"
            figures = []
            for row in (1, 2):
                e = self.pooled[row, c] / self.pooled[row, c].sum() * o.sum()
                figures.append(((o - e) ** 2 / e).sum())
            lines.append(f"  {label:>6}: {int(o.sum()):,} counts; chi-square vs null {figures[0]:.1f}, vs truth {figures[1]:.1f}")
            for row, name in ((0, "observed"), (1, "null"), (2, "truth")):
                share = self.pooled[row, c] / self.pooled[row, c].sum() * 100
                lines.append(f"    {name:>8} " + " ".join(f"{x:6.3f}" for x in share))
        return "\n".join(lines)


SHAPED = {
    "bolivia": (lambda ff: ff.bolivia(), "MAS"),
    "peru": (lambda ff: ff.peru(2), "PL"),
    "chile": (lambda ff: ff.chile(), "KAST"),
}
"""The elections of ``--shaped``. Chile's files have no electors: its clean draws have no latent share
per table to replay, so it takes ``--fabricated`` (power) but no diagnosis."""


def shaped_election(frame: pl.DataFrame, winner: str, seed: int, fabricated: float) -> pl.DataFrame:
    """``shaped.clean_like``'s election of ``seed`` with the leader's count rewritten with a human-looking
    last digit on a share ``fabricated`` of its tables (``simulate.inject``, the same seed)."""
    from escrutinio.forensics import shaped

    clean = shaped.clean_like(frame, winner, seed=seed)
    return simulate.inject(clean, kind="fabricated", winner=shaped.LEADER, share=fabricated, seed=seed).frame


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clean", type=int, default=100, help="clean elections")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--by", default=None, help="the level the test reads expected counts at (default: district)")
    ap.add_argument("--shaped", choices=sorted(SHAPED), default=None, help="forensics/shaped.py's elections (and a diagnosis)")
    ap.add_argument(
        "--fabricated",
        type=float,
        default=None,
        help="with --shaped: the leader's count rewritten with a human-looking last digit on this share of the "
        "tables (simulate.inject's 'fabricated'): k/n is then the test's power",
    )
    args = ap.parse_args()
    import frames_forensics as ff

    diagnose = bool(args.shaped) and not args.fabricated
    if args.fabricated and not args.shaped:
        ap.error("--fabricated needs --shaped")
    if diagnose and args.shaped == "chile":
        ap.error("--shaped chile: no latent shares to diagnose against (no electors); it takes --fabricated")
    diagnosis: ShapedDiagnosis | None = None
    if args.shaped:
        frame_of, winner = SHAPED[args.shaped]
        real = frame_of(ff)
        diagnosis = ShapedDiagnosis(real, winner) if diagnose else None
    else:
        shape = FirstRoundShape(ff.peru(1))
    flagged, table, t0 = 0, 0, time.perf_counter()
    for seed in range(args.seed, args.seed + args.clean):
        if diagnosis is not None:
            clean, nu = diagnosis.latent(seed)
        elif args.shaped:
            clean, nu = shaped_election(real, winner, seed, args.fabricated), None
        else:
            clean, nu = shape.clean(seed), None
        r = digits.last_digit_test(clean, by=args.by, seed=seed)
        e = r.estimates
        flagged += r.flagged() is True
        table += e.get("p_chi2_9df") is not None and e["p_chi2_9df"] < 0.05
        if diagnosis is not None:
            diagnosis.add(seed, r, clean, nu)
        print(seed, r.flagged(), r.p_value, e.get("p_chi2_9df"), e["n_counts"], e["min_spread_votes"], flush=True)
    n = args.clean
    for label, k in (("flagged", flagged), ("by the chi-square table", table)):
        print(f"{rate(label, k, n)}; {time.perf_counter() - t0:.0f} s")
    if diagnosis is not None:
        print(diagnosis.report())


if __name__ == "__main__":
    main()
