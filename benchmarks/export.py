"""Benchmark of the open-data export and import on the Peru 2021 runoff (86,488 tables).

Run: ``python benchmarks/export.py [--rounds N]``. Prints the median of N interleaved rounds of:

- export: ``session.export.write("nist-cdf", ...)`` at table level (results at every level,
  the report built, serialised and written), against a baseline timed in the same run: the
  same per-table figures written as JSON records by pandas (``DataFrame.to_json``), the
  cheapest way to put the same numbers in a JSON file;
- validation of that report against the official schema (``schema_problems``);
- import: ``load`` of the report into a new store (schema checked, definition from the report), against
  loading the ONPE CSV itself into a new store (``load``), with the ratio (the issue asks
  for at most 3x).

Compare ratios, not seconds: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"


CPU: dict[str, list[float]] = {}
"""CPU seconds of each timed step (every thread of the process), by step: steadier than the
wall clock on a shared machine, where other processes take turns on the cores."""


def timed(fn, step: str = ""):  # type: ignore[no-untyped-def]
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    if step:
        CPU.setdefault(step, []).append(time.process_time() - c)
    return out, time.perf_counter() - t


def load_onpe(folder: Path, n: int) -> str:
    from escrutinio.app import Session

    db = str(folder / f"onpe-{n}.db")
    with Session(db) as session:
        session.count.load(RUNOFF, "peru-2021-runoff")
    return db


def import_report(folder: Path, report: Path, n: int) -> str:
    """``escrutinio load report.json`` into a new store (the definition from the report)."""
    from escrutinio.app import Session
    from escrutinio.formats import nist_reader

    nist_reader._LAST.clear()  # a fresh read, as a new process would
    db = str(folder / f"nist-{n}.db")
    with Session(db) as session:
        session.count.load(report)
    return db


def pandas_baseline(db: str, out: Path) -> None:
    import pandas as pd

    from escrutinio.app import Session

    with Session(db) as session:
        columns = session.export.table_columns()
    pd.DataFrame(columns).to_json(out, orient="records")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not RUNOFF.exists():
        print(f"skipped: {RUNOFF} is not present")
        return
    import orjson

    from escrutinio.app import Session
    from escrutinio.formats.nist_schema import schema_problems

    times: dict[str, list[float]] = {k: [] for k in ("export", "baseline", "validate", "import", "load")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db, _ = timed(lambda: load_onpe(folder, 0))
        report = folder / "runoff.json"
        size = 0
        for n in range(1, args.rounds + 1):
            with Session(db) as session:
                summary, t = timed(lambda session=session: session.export.write("nist-cdf", report), "export")
            times["export"].append(t)
            size = summary.bytes
            times["baseline"].append(timed(lambda: pandas_baseline(db, folder / "baseline.json"), "baseline")[1])
            document = orjson.loads(report.read_bytes())
            problems, t = timed(lambda document=document: schema_problems(document), "validate")
            assert problems == ([], 0), problems
            del document  # not kept alive through the loads that follow
            times["validate"].append(t)
            times["import"].append(timed(lambda n=n: import_report(folder, report, n), "import")[1])
            times["load"].append(timed(lambda n=n: load_onpe(folder, n), "load")[1])
    m = {k: statistics.median(v) for k, v in times.items()}
    c = {k: statistics.median(v) for k, v in CPU.items()}
    print(f"Peru 2021 runoff, 86,488 tables; median of {args.rounds} interleaved rounds (wall, CPU of all threads)")
    print(f"  export nist-cdf (table level) {m['export']:6.2f} s {c['export']:6.2f} s   ({size / 1e6:.1f} MB)")
    print(f"  baseline pandas to_json       {m['baseline']:6.2f} s {c['baseline']:6.2f} s   (the same figures as JSON records)")
    print(f"  ratio                         {m['export'] / m['baseline']:6.1f} x {c['export'] / c['baseline']:6.1f} x")
    print(f"  validate (official schema)    {m['validate']:6.2f} s {c['validate']:6.2f} s")
    print(f"  import the report             {m['import']:6.2f} s {c['import']:6.2f} s   (schema check, sheets, plan, new store)")
    print(f"  load the ONPE CSV             {m['load']:6.2f} s {c['load']:6.2f} s")
    print(f"  ratio                         {m['import'] / m['load']:6.1f} x {c['import'] / c['load']:6.1f} x")


if __name__ == "__main__":
    main()
