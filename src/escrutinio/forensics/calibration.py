"""Power and calibration: how often each test cries wolf on clean elections, and how often it sees fraud.

A test's p-value is only worth reading if, on elections known to be clean, it falls below α about
α of the time, and if it does fall below α when fraud is there. This module measures both on the
synthetic elections of :mod:`simulate`: the false-alarm rate of every test over clean elections, and
its detection rate for every injected fraud kind. The claims-vs-peers test gets a random claim list
on clean elections and the tampered tables as its claim list under fraud.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from escrutinio.forensics import frames as fr
from escrutinio.forensics import simulate
from escrutinio.forensics.suite import TESTS, run_suite

FAST_OPTIONS: dict[str, dict[str, Any]] = {
    "fingerprint": {"draws": 999},
    "integer_peaks": {"draws": 1000},
    "peers": {"permutations": 499},
    "count_order": {"bootstrap": 100, "checkpoints": ()},
}
"""Cheaper settings for calibration runs (p-value resolution still well below α = 0.05). The fingerprint keeps
its 999 bootstrap draws: they are cheap (one matrix product)."""


@dataclass(frozen=True)
class CalibrationReport:
    """False-alarm rates (clean) and detection rates (per fraud kind) of each test at ``alpha``."""

    alpha: float
    n_clean: int
    n_fraud: int
    n_tables: int
    share: float
    false_alarm: dict[str, float | None]
    """Per test, the share of clean elections it flagged (None: it cannot tell on these elections)."""
    detection: dict[str, dict[str, float | None]] = field(default_factory=dict)
    false_alarm_counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per test, (clean elections flagged, clean elections it decided on): the rate's k/n."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "n_clean": self.n_clean,
            "n_fraud": self.n_fraud,
            "n_tables": self.n_tables,
            "fraud_share": self.share,
            "false_alarm": self.false_alarm,
            "false_alarm_counts": {
                t: {"flagged": k, "of": n, "interval_95": list(binomial_interval(k, n))}
                for t, (k, n) in self.false_alarm_counts.items()
            },
            "detection": self.detection,
        }

    def to_text(self) -> str:
        kinds = list(self.detection) if self.n_fraud else []  # no fraud run (--fraud 0): no power to show
        head = f"{'test':34} {'false alarm':>11} " + " ".join(f"{k[:12]:>12}" for k in kinds)
        lines = [
            f"alpha={self.alpha}; {self.n_clean} clean and {self.n_fraud} fraudulent elections per kind of "
            f"{self.n_tables} tables; fraud in {100 * self.share:.0f} % of tables"
            if self.n_fraud
            else f"alpha={self.alpha}; {self.n_clean} clean elections of {self.n_tables} tables; no fraud simulated, so no power",
            head,
        ]

        def cell(x: float | None, width: int, digits: int) -> str:
            return f"{'cannot tell':>{width}}" if x is None else f"{x:{width}.{digits}f}"

        def counts(t: str) -> str:
            if t not in self.false_alarm_counts or not self.false_alarm_counts[t][1]:
                return ""
            k, n = self.false_alarm_counts[t]
            lo, hi = binomial_interval(k, n)
            return f"  {k}/{n}, 95 % {lo:.3f}-{hi:.3f}, p(>5 %) {stats.binom.sf(k - 1, n, 0.05):.2g}"

        tests = dict.fromkeys([*self.false_alarm, *(t for k in kinds for t in self.detection[k])])
        for t in tests:  # a power-only run (no clean elections) still has a row per test
            row = " ".join(cell(self.detection[k].get(t), 12, 2) for k in kinds)
            fa = cell(self.false_alarm[t], 11, 3) if t in self.false_alarm else f"{'not run':>11}"
            lines.append(f"{t:34} {fa} {row}{counts(t)}")
        return "\n".join(lines)


def binomial_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Clopper-Pearson interval of a rate seen k times in n: what a false-alarm count can say about
    the rate behind it (4/40 and 40/400 read alike as 0.10; only the second tells 10 % from 5 %)."""
    if n == 0:
        return (0.0, 1.0)
    a = (1 - level) / 2
    lo = float(stats.beta.ppf(a, k, n - k + 1)) if k > 0 else 0.0
    hi = float(stats.beta.ppf(1 - a, k + 1, n - k)) if k < n else 1.0
    return (lo, hi)


RunLog = Callable[[str, int, dict[str, bool | None], dict[str, float | None]], None]
"""Hears one calibration election: its kind ("clean" or a fraud kind), its seed, each test's flag and p."""

RULE_LISTINGS = ("anomalies.turnout_full", "anomalies.null_share")
"""Rule listings (tables at 100 % turnout, null shares over a threshold): they name tables to read
and decide nothing on an election, so they have no false-alarm rate to calibrate."""


def _flags(result, alpha: float) -> dict[str, bool | None]:
    """Each test's flag: True, False, or None where it cannot tell (its data are not there, as turnout
    without electors, or identical sheets without polling places). Rule listings are left out.

    A test that ran and gave an interval but cannot tell what it means (the count-order projection
    whose interval holds the margin at the cut as well as the final one) raised no alarm: it counts
    as not flagged, so its false alarms are a share of the runs, not of the few that decided (1 of
    20 clean Bolivias flagged read 1 of 2, "0.5")."""
    return {
        r.test: r.flagged(alpha) if r.status == "ok" else (False if r.interval is not None else None)
        for r in result.results
        if not r.listing
        and r.test not in RULE_LISTINGS
        and not r.test.endswith(".error")
        and not (r.status == "ok" and r.p_value is None and r.decided is None)
    }


def _counts(flags: Mapping[str, list[bool | None]]) -> dict[str, tuple[int, int]]:
    """Per test, (runs flagged, runs that decided)."""
    return {t: (sum(1 for x in v if x), sum(1 for x in v if x is not None)) for t, v in flags.items()}


def _rates(flags: Mapping[str, list[bool | None]]) -> dict[str, float | None]:
    """The share flagged among the runs that decided; None for a test that never decided."""
    out: dict[str, float | None] = {}
    for t, v in flags.items():
        decided = [x for x in v if x is not None]
        out[t] = float(np.mean(decided)) if decided else None
    return out


def calibrate(
    *,
    n_clean: int = 200,
    n_fraud: int = 20,
    n_tables: int = 1500,
    tests: Iterable[str] | None = None,
    fraud_kinds: Iterable[str] = ("stuffing", "stealing", "klimek", "round_numbers", "fabricated"),
    share: float = 0.1,
    alpha: float = 0.05,
    claims: int = 40,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int = 0,
) -> CalibrationReport:
    """Run the suite on ``n_clean`` clean and ``n_fraud`` fraudulent synthetic elections per kind."""
    tests = list(tests) if tests is not None else list(TESTS)
    opts = {**FAST_OPTIONS, **(options or {})}
    counts: dict[str, list[bool | None]] = {}
    for i in range(n_clean):
        frame = simulate.synthetic_election(n_tables, seed=seed + i)
        rng = np.random.default_rng(seed + 10_000 + i)
        claimed = rng.choice(frame["table"].to_numpy(), size=min(claims, frame.height), replace=False)
        res = run_suite(
            frame, winner="A", choices=["A", "B"], tests=tests, claimed_tables=claimed.tolist(), options=opts, seed=seed + i
        )
        for t, f in _flags(res, alpha).items():
            counts.setdefault(t, []).append(f)
    false_alarm = _rates(counts)
    detection: dict[str, dict[str, float | None]] = {}
    for kind in fraud_kinds:
        det: dict[str, list[bool | None]] = {}
        for i in range(n_fraud):
            frame = simulate.synthetic_election(n_tables, seed=seed + 50_000 + i)
            inj = simulate.inject(frame, kind=kind, winner="A", share=share, seed=seed + i)
            claimed = list(inj.tables[:claims])
            res = run_suite(
                inj.frame, winner="A", choices=["A", "B"], tests=tests, claimed_tables=claimed, options=opts, seed=seed + i
            )
            for t, f in _flags(res, alpha).items():
                det.setdefault(t, []).append(f)
        detection[kind] = _rates(det)
    return CalibrationReport(alpha, n_clean, n_fraud, n_tables, share, false_alarm, detection, _counts(counts))


def calibrate_shaped(
    frame: Any,
    winner: str,
    *,
    n_clean: int = 100,
    n_fraud: int = 20,
    tests: Iterable[str] = TESTS,
    f_incremental: float = 0.1,
    f_extreme: float = 0.01,
    round_share: float = 0.05,
    stuffing_share: float = 0.02,
    unanimous_share: float = 0.005,
    kinds: Iterable[str] = ("klimek", "stuffing", "round_numbers"),
    claims: int = 40,
    counted_share: float = 0.85,
    alpha: float = 0.05,
    seed: int = 0,
    by: str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    on_run: RunLog | None = None,
) -> CalibrationReport:
    """False alarms on clean elections shaped like ``frame`` (:mod:`shaped`), and power on the same
    elections with Klimek stuffing (``f_incremental``, ``f_extreme``), with plain stuffing (30-80 % of
    the non-voters' ballots cast for the leader) in ``stuffing_share`` of the tables, with target
    figures written on ``round_share`` of the tables, and (``kinds`` naming ``unanimous``) with every
    valid vote written for the leader on ``unanimous_share`` of the tables; ``kinds`` picks which.
    ``by`` conditions every test on that level (None: each test's paper's level), as ``escrutinio
    forensics --by`` does: a test must hold its size at every level it offers, not only at its default.

    Every family runs: the claims test with ``claims`` random tables as the claim list on clean
    elections and the tampered tables under fraud; the count-order projection with whole districts
    in a random order and the first ``counted_share`` of the tables counted (late tables are
    geographic in a real count).

    ``on_run(kind, seed, flags, p_values)`` hears every election as it finishes ("clean" or the fraud
    kind, the seed that reproduces it alone: ``seed=s, n_clean=1``): a run stopped part-way still
    counts, and batches of seeds add up to one k/n.
    """
    from escrutinio.forensics import shaped

    tests = list(tests)
    choices = [shaped.LEADER, shaped.REST]
    opts = {**{k: v for k, v in FAST_OPTIONS.items() if k in ("count_order", "peers")}, **(options or {})}

    def flags(f: Any, i: int, claimed: list[str], kind: str) -> dict[str, bool | None]:
        rng = np.random.default_rng(seed + 20_000 + i)
        district = np.unique(f["district"].to_numpy(), return_inverse=True)[1]
        rank = np.argsort(np.argsort(rng.permutation(int(district.max()) + 1)[district] + rng.random(f.height)))
        order = np.where(rank < counted_share * f.height, rank + 1, -1)
        f = fr.same_rows(f.with_columns(pl.Series("order", order).replace(-1, None).cast(pl.Int64)), f)
        res = run_suite(
            f,
            winner=shaped.LEADER,
            choices=choices,
            tests=tests,
            alpha=alpha,
            seed=seed + i,
            by=by,
            claimed_tables=claimed,
            options=opts,
            order_label="a random order of whole districts",
        )
        out = _flags(res, alpha)
        if on_run is not None:
            on_run(kind, seed + i, out, {r.test: r.p_value for r in res.results if r.test in out})
        return out

    counts: dict[str, list[bool | None]] = {}
    for i in range(n_clean):
        clean = shaped.clean_like(frame, winner, seed=seed + i)
        rng = np.random.default_rng(seed + 10_000 + i)
        claimed = rng.choice(clean["table"].to_numpy(), size=min(claims, clean.height), replace=False).tolist()
        for t, x in flags(clean, i, claimed, "clean").items():
            counts.setdefault(t, []).append(x)
    detection: dict[str, dict[str, float | None]] = {}
    settings: dict[str, dict[str, float]] = {
        "klimek": {"f_incremental": f_incremental, "f_extreme": f_extreme},
        "stuffing": {"share": stuffing_share},
        "round_numbers": {"share": round_share},
        "unanimous": {"share": unanimous_share},
    }
    for kind in kinds:
        kw = settings[kind]
        det: dict[str, list[bool | None]] = {}
        for i in range(n_fraud):
            clean = shaped.clean_like(frame, winner, seed=seed + 50_000 + i)
            inj = simulate.inject(clean, kind=kind, winner=shaped.LEADER, seed=seed + i, **kw)
            for t, x in flags(inj.frame, i, list(inj.tables[:claims]), kind).items():
                det.setdefault(t, []).append(x)
        detection[kind] = _rates(det)
    return CalibrationReport(alpha, n_clean, n_fraud, frame.height, f_incremental, _rates(counts), detection, _counts(counts))
