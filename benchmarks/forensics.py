"""Benchmark of the forensic suite: the Peru runoff file and 1,000,000 synthetic tables.

Run: ``python benchmarks/forensics.py`` (add ``--skip-large`` to leave out the million tables,
``--tables N`` to size the synthetic election, ``--skip-runoff`` to leave out the Peru file).
Prints wall time (untraced) and peak traced memory (tracemalloc, in a second run: Python and numpy
allocations) of the suite,
and of a baseline measured in the same run on the same frame: a plain polars group-by of the vote
columns by department plus numpy turnout/share histograms and quartiles — the cheapest look at the
same data — with the ratio suite/baseline.

It needs the project's own dependencies and nothing else: a person who installed only the project
(no ``test`` extra) runs it as it is. The baseline was a pandas groupby, and the runoff was read
through the tests' helper, which imported pytest: without them it stopped on a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "forensics"))

from escrutinio.forensics import simulate, suite  # noqa: E402


def measure(fn):
    """Wall time and CPU time of the process (untraced run), and peak traced memory (a second run
    under tracemalloc, which slows allocation-heavy numpy code several-fold, so its time is not used).
    CPU time is printed because the machine is shared: under load the wall time waits for a core."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, (elapsed, cpu), peak / 2**20


def baseline(frame, winner: str) -> None:
    import polars as pl

    columns = ["cast", "electors", "valid", f"v_{winner}"]
    frame.select(["department", *columns]).group_by("department").agg(pl.col(columns).sum())
    t = frame["cast"].to_numpy() / np.maximum(frame["electors"].to_numpy(), 1)
    s = frame[f"v_{winner}"].to_numpy() / np.maximum(frame["valid"].to_numpy(), 1)
    np.histogram2d(t, s, bins=100)
    np.quantile(t, (0.0, 0.25, 0.5, 0.75, 1.0))


def run(label: str, frame, winner: str, choices: list[str], **kw) -> None:
    _, (b_time, b_cpu), b_mem = measure(lambda: baseline(frame, winner))
    res, (s_time, s_cpu), s_mem = measure(lambda: suite.run_suite(frame, winner=winner, choices=choices, **kw))
    errors = [r.test for r in res.results if r.status == "error"]
    print(f"{label}: {frame.height:,} tables (load average {os.getloadavg()[0]:.1f})")
    done = f"{len(res.results)} results, errors: {errors or 'none'}"
    print(f"  suite    {s_time:8.2f} s   cpu {s_cpu:8.2f} s   peak {s_mem:8.1f} MiB   ({done})")
    print(f"  baseline {b_time:8.2f} s   cpu {b_cpu:8.2f} s   peak {b_mem:8.1f} MiB   (polars group-by + numpy histograms)")
    ratios = f"{s_cpu / max(b_cpu, 1e-9):.1f} x cpu, {s_mem / max(b_mem, 1e-9):.1f} x memory"
    print(f"  ratio    {s_time / max(b_time, 1e-9):8.1f} x time, {ratios}")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-large", action="store_true", help="leave out the synthetic election")
    ap.add_argument("--skip-runoff", action="store_true", help="leave out the Peru runoff (../shared/data)")
    ap.add_argument("--tables", type=int, default=1_000_000, help="tables of the synthetic election")
    args = ap.parse_args()
    if not args.skip_runoff:
        runoff_benchmark()
    if not args.skip_large:
        large_benchmark(args.tables)


def runoff_benchmark() -> None:
    """The suite on the Peru runoff, 60 % of it counted in an urban-first order (skipped, in one line,
    without ../shared/data)."""
    try:
        import frames_forensics as ff
        import polars as pl

        runoff = ff.peru(2, order="urban_first")
        # An --order that lists the first 60 % of the tables (urban first): the projection has a rest to project.
        cut = int(0.6 * runoff.height)
        runoff = runoff.with_columns(pl.when(pl.col("order") <= cut).then(pl.col("order")).otherwise(None).alias("order"))
        claimed = runoff.filter(runoff["state"] == "resolved")["table"].to_list()
        run(
            "Peru 2021 runoff (each paper's level, all tests, 1,386 resolved tables as claims, 60 % counted)",
            runoff,
            "PL",
            ["PL", "FP"],
            claimed_tables=claimed,
            order_label="an urban-first order",
        )
    except BaseException as exc:  # a missing file: FileNotFoundError, or pytest.skip where pytest is installed
        print(f"Peru runoff skipped: {exc}")


def large_benchmark(tables: int) -> None:
    """The suite on a synthetic election of ``tables`` tables (1,000,000 by default), 60 % counted."""
    import polars as pl

    t = time.perf_counter()
    big = simulate.synthetic_election(tables, seed=1, n_departments=25, provinces_per_department=8, districts_per_province=9)
    print(f"({tables:,} synthetic tables generated in {time.perf_counter() - t:.1f} s)")
    rng = np.random.default_rng(0)
    claimed = rng.choice(big["table"].to_numpy(), min(1000, tables // 10), replace=False).tolist()
    counted = int(0.6 * tables)
    big = big.with_columns(pl.when(pl.col("order") <= counted).then(pl.col("order")).otherwise(None).alias("order"))
    run(
        f"Synthetic, {tables:,} tables (each paper's level, all tests, {len(claimed):,} random claims, 60 % counted)",
        big,
        "A",
        ["A", "B"],
        claimed_tables=claimed,
        order_label="the simulated order",
    )


if __name__ == "__main__":
    main()
