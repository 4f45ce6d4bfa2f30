"""How often the count-order projection's 95 % interval holds the final margin, and what it says, on
finished counts with parts held out as if not yet counted.

Run: ``python benchmarks/count_order_coverage.py --db bo.db --db peru.db --db r12.db [--trials 40]
[--bootstrap 100] [--seed 11] [--kinds random,departments,sorted] [--min-donors 5]`` on stores loaded with their presets
(``escrutinio load FILE --election PRESET --db X.db``). Each trial holds out a share h of the counted
tables, h uniform in [0.1, 0.5]:

- ``random``: tables at random;
- ``departments``: whole top-level areas (departments, regions) drawn at random until h is out;
- ``sorted``: the count sorted by geography (department, province, district, table), started at a
  random table and wrapped round, the first 1 - h counted: whole areas late, as a count read
  area by area gives them.

The projection is the one ``escrutinio forensics --tests count_order --order FILE`` runs (the same
levels, names and tables abroad apart). Prints, per store and kind: trials, how many intervals hold
the final margin, and the verdicts (flagged: the final margin outside; explained; cannot tell), with
the median width, and the point's error (projected minus final margin, points): its mean (with its
standard error: a bias shows as a mean several of them from zero) and root-mean-square. On a finished
count nothing is wrong, so every "flagged" is a false alarm.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from escrutinio.app import Session
from escrutinio.domain import table_frame as tf
from escrutinio.forensics import count_order
from escrutinio.forensics import frames as fr

KINDS = ("random", "departments", "sorted")


def held_out(kind: str, f: pl.DataFrame, h: float, rng: np.random.Generator) -> np.ndarray:
    """Which tables count (True) in a trial of ``kind`` holding out about ``h`` of them."""
    if kind == "random":
        return rng.random(f.height) >= h
    if kind == "departments":
        dept = f[tf.DEPARTMENT].to_numpy()
        counted = np.ones(f.height, dtype=bool)
        for d in rng.permutation(np.unique(dept)):
            if (~counted).mean() >= h:
                break
            counted[dept == d] = False
        return counted
    geo = f.select(pl.arg_sort_by([tf.DEPARTMENT, tf.PROVINCE, tf.DISTRICT, tf.TABLE])).to_series().to_numpy()
    first = np.roll(geo, -int(rng.integers(f.height)))[: round((1 - h) * f.height)]
    counted = np.zeros(f.height, dtype=bool)
    counted[first] = True
    return counted


def read_store(db: str, actor: str) -> tuple[pl.DataFrame, str, dict[str, str], tuple[str, ...]]:
    """A finished count's counted tables, its leader, the election's level names and its areas abroad."""
    with Session(db, actor=actor) as s:
        frame = s.table_frame()
        winner, _ = s.forensics.leaders()
        names = s.forensics.column_names(frame)
        abroad = tuple(s.forensics.abroad())
    return fr.counted(frame), winner, names, abroad


def run(db: str, kinds: list[str], trials: int, bootstrap: int, seed: int, min_donors: int) -> None:
    f, winner, names, abroad = read_store(db, "coverage")
    rng = np.random.default_rng(seed)
    for kind in kinds:
        start = time.perf_counter()
        covered, verdicts, widths, errors = 0, {True: 0, False: 0, None: 0}, [], []
        for t in range(trials):
            counted = held_out(kind, f, rng.uniform(0.1, 0.5), rng)
            g = f.with_columns(pl.when(pl.Series(counted)).then(1).otherwise(None).cast(pl.Int64).alias(tf.ORDER))
            r = count_order.test(
                g, winner=winner, bootstrap=bootstrap, seed=t, abroad=abroad, level_names=names, min_donors=min_donors
            )
            e = r.estimates
            covered += int(e["low"] <= e["realised_margin_points"] <= e["high"])
            verdicts[r.flagged()] += 1
            widths.append(e["high"] - e["low"])
            errors.append(e["projected_margin_points"] - e["realised_margin_points"])
        print(
            f"{db} {kind}: covered {covered}/{trials}; flagged {verdicts[True]}, explained {verdicts[False]}, "
            f"cannot tell {verdicts[None]}; median width {float(np.median(widths)):.2f} points; point error mean "
            f"{float(np.mean(errors)):+.3f} (± {float(np.std(errors)) / np.sqrt(trials):.3f}), root-mean-square "
            f"{float(np.sqrt(np.mean(np.square(errors)))):.3f} "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", action="append", required=True, help="a store loaded with its preset (repeat for more)")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--bootstrap", type=int, default=100)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument(
        "--min-donors",
        type=int,
        default=count_order.MIN_DONORS,
        help="counted tables a place needs for its interval's draws to come from them (else like places stand in)",
    )
    a = ap.parse_args()
    for db in a.db:
        run(db, a.kinds.split(","), a.trials, a.bootstrap, a.seed, a.min_donors)


if __name__ == "__main__":
    main()
