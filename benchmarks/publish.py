"""Benchmark: static publishing (issue 10), on the Peru 2021 runoff loaded into a fresh SQLite store.

- ``escrutinio publish DIR`` of the whole runoff (a fresh tree: ~9,000 files), as a command;
- 10 rulings, then ``escrutinio publish DIR`` again (incremental: only what changed);
- baselines, in the same run: the naive publisher, ``session.count.results(area=X)`` written as
  JSON for every area one by one (in one process, so no start-up cost is counted), and the
  command a shell script would run, ``escrutinio results --area X --format json``, timed on
  ``--sample`` areas and scaled to every area.

Run: ``python benchmarks/publish.py [--sample 20]``. Prints figures (wall and CPU seconds: the
machines are shared, CPU time is the steadier); asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
CLI = [sys.executable, "-m", "escrutinio.cli"]


def timed_command(*args: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, its output) of one command."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20, help="areas the command baseline is timed on")
    args = parser.parse_args()
    import orjson

    from escrutinio.app import Session
    from escrutinio.app.cases import Decision
    from escrutinio.count.options import Level
    from escrutinio.domain.claims import Effect, EffectKind

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = str(tmp / "runoff.db")
        session = Session(db, actor="admin:bench")
        session.count.load(RUNOFF, "peru-2021-runoff")
        out = tmp / "public"

        full_wall, full_cpu, said = timed_command("--db", db, "publish", str(out), "--format", "json")
        full = orjson.loads(said)
        print(f"full publish (command):        {full_wall:6.2f} s wall, {full_cpu:5.2f} s CPU; {full['files']:,} files written")

        numbers = [c["number"] for c in session.cases.listing()][:10]
        for number in numbers:
            session.cases.rule(number, Decision(f"R-{number}", Effect(EffectKind.COUNT_AS_IS)))
        inc_wall, inc_cpu, said = timed_command("--db", db, "publish", str(out), "--format", "json")
        inc = orjson.loads(said)
        print(
            f"after {len(numbers)} rulings (command):    {inc_wall:6.2f} s wall, {inc_cpu:5.2f} s CPU; "
            f"{len(inc['written']):,} files written, {inc['kept']:,} kept"
        )

        reader = Session(db)
        areas = [r["area"] for level in (Level.DEPARTMENT, Level.PROVINCE, Level.DISTRICT) for r in reader.count.results(level)]
        naive = tmp / "naive"
        naive.mkdir()
        cpu0, start = time.process_time(), time.perf_counter()
        (naive / "national.json").write_bytes(orjson.dumps(reader.count.results()))
        for area in areas:
            (naive / f"{area}.json").write_bytes(orjson.dumps(reader.count.results(area=area)))
        naive_wall, naive_cpu = time.perf_counter() - start, time.process_time() - cpu0
        print(
            f"baseline, results per area in one process: {naive_wall:6.2f} s wall, {naive_cpu:5.2f} s CPU "
            f"({len(areas):,} areas, JSON only)"
        )

        step = max(1, len(areas) // args.sample)
        sample = areas[::step][: args.sample]
        walls = cpus = 0.0
        for area in sample:
            wall, cpu, _ = timed_command("--db", db, "results", "--area", area, "--format", "json")
            walls, cpus = walls + wall, cpus + cpu
        scale = (len(areas) + 1) / len(sample)
        cmd_wall, cmd_cpu = walls * scale, cpus * scale
        print(
            f"baseline, `escrutinio results --area X --format json` for every area: {cmd_wall:6.1f} s wall, "
            f"{cmd_cpu:6.1f} s CPU (timed on {len(sample)} areas, scaled to {len(areas) + 1:,})"
        )
        print(
            f"ratios (CPU): full publish / per-area results in one process = {full_cpu / naive_cpu:.2f}; "
            f"full publish / per-area commands = {full_cpu / cmd_cpu:.3f}; incremental / full = {inc_cpu / full_cpu:.2f}"
        )


if __name__ == "__main__":
    main()
