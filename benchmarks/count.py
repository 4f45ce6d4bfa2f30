"""Benchmark: count capability (issue 2).

Times, as whole commands on this machine, best of N runs:
- ``escrutinio load`` of the Peru 2021 runoff file into a fresh SQLite store (parse, validate,
  store, log), and ``escrutinio results --level district --format json`` on the loaded store;
- the baseline, measured in the same run: a pandas script that reads the file, keeps counted
  sheets and groups and sums by district, province and department;
- loading 1,000,000 synthetic tables (time and peak memory of the process).

Run: ``python benchmarks/count.py [--runs 7] [--no-million]``. Prints figures and
ratios; asserts nothing (machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
# The console script next to this interpreter: a version manager's shim in PATH (pyenv's is a
# bash script) would add its own start-up to every timing, which the baseline does not pay.
_SCRIPT = Path(sys.executable).parent / "escrutinio"
CLI = [str(_SCRIPT) if _SCRIPT.exists() else (shutil.which("escrutinio") or "escrutinio")]

PANDAS_BASELINE = f"""
import pandas as pd
df = pd.read_csv({str(RUNOFF)!r}, sep=";", encoding="latin-1", index_col=False,
                 dtype={{"UBIGEO": str, "MESA_DE_VOTACION": str}})
df = df[df.DESCRIP_ESTADO_ACTA.isin(["CONTABILIZADA", "COMPUTADA RESUELTA", "ANULADA"])]
cols = ["N_CVAS", "N_ELEC_HABIL", "VOTOS_P1", "VOTOS_P2", "VOTOS_VB", "VOTOS_VN", "VOTOS_VI"]
df[cols] = df[cols].fillna(0).astype("int64")
df["dep"] = df.UBIGEO.str[:2]
df["prov"] = df.UBIGEO.str[:4]
out = [df.groupby(k)[cols].sum() for k in ("UBIGEO", "prov", "dep")]
print(out[2].VOTOS_P1.sum())
"""


def once(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bytecode() -> None:
    """Compile the package once, as an installed package is: with PYTHONDONTWRITEBYTECODE set
    (as on these machines) an editable install would otherwise recompile every changed module
    on every command, which the baseline's installed pandas never pays."""
    import compileall

    import escrutinio

    compileall.compile_dir(str(Path(escrutinio.__file__).parent), quiet=1)


def million(tmp: Path) -> tuple[float, float]:
    """Write 1,000,000 synthetic tables (generic CSV) and load them; (seconds, peak MB)."""
    import numpy as np
    import polars as pl

    from escrutinio.demo import DEFINITION

    n = 1_000_000
    rng = np.random.default_rng(7)
    electors = rng.integers(100, 301, n)
    cast = rng.binomial(electors, 0.75)
    blank = rng.binomial(cast, 0.02)
    null = rng.binomial(cast - blank, 0.05)
    valid = cast - blank - null
    a = rng.binomial(valid, 0.4)
    b = rng.binomial(valid - a, 0.5)
    c = rng.binomial(valid - a - b, 0.5)
    d = valid - a - b - c
    dist = rng.integers(0, 2000, n)
    frame = pl.DataFrame(
        {
            "mesa": [f"{i:07d}" for i in range(n)],
            "departamento": [f"D{x // 80:02d}" for x in dist],
            "provincia": [f"P{x // 10:03d}" for x in dist],
            "distrito": [f"T{x:04d}" for x in dist],
            "local": [f"L{x:04d}-{y}" for x, y in zip(dist, rng.integers(0, 20, n), strict=True)],
            "electores": electors,
            "votantes": cast,
            "NORTE": a,
            "SUR": b,
            "CENTRO": c,
            "VERDE": d,
            "blancos": blank,
            "nulos": null,
            "impugnados": np.zeros(n, dtype=np.int64),
            "estado": ["CONTADA"] * n,
        }
    )
    definition = tmp / "million.toml"
    definition.write_text(DEFINITION, encoding="utf-8")
    path = tmp / "million.csv"
    frame.write_csv(path)
    db = tmp / "million.db"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [*CLI, "--db", str(db), "load", str(path), "--election", str(definition)], check=True, stdout=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--no-million", action="store_true")
    args = parser.parse_args()
    if not RUNOFF.exists():
        sys.exit(f"{RUNOFF} not found: the benchmark reads ../shared/data")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "bench.db"

        def fresh() -> None:
            for p in tmp.glob("bench.db*"):
                p.unlink()

        bytecode()
        # Interleaved rounds, best of each: a noisy spell then slows all three alike.
        load = results = baseline = float("inf")
        for _ in range(args.runs):
            baseline = min(baseline, once([sys.executable, "-c", PANDAS_BASELINE]))
            fresh()
            load = min(load, once([*CLI, "--db", str(db), "load", str(RUNOFF), "--election", "peru-2021-runoff"]))
            results = min(results, once([*CLI, "--db", str(db), "results", "--level", "district", "--format", "json"]))
        print("count benchmark (Peru 2021 runoff, 86,488 tables; best of", args.runs, "runs; whole commands)")
        print(f"  pandas baseline (read, filter, group by 3 levels): {baseline:7.3f} s")
        print(
            f"  escrutinio load (parse, validate, store, log):     {load:7.3f} s   "
            f"ratio load/baseline    = {load / baseline:5.2f}  (target <= 1.5)"
        )
        print(
            f"  escrutinio results --level district --format json: {results:7.3f} s   "
            f"ratio baseline/results = {baseline / results:5.2f}  (target >= 3)"
        )
        if not args.no_million:
            seconds, peak = million(tmp)
            print(
                f"  1,000,000 synthetic tables: load {seconds:.1f} s (target < 30 s), "
                f"peak memory {peak:,.0f} MB (target < 1,500 MB)"
            )


if __name__ == "__main__":
    main()
