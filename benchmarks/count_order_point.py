"""Where the count-order projection's point misses the final margin, measured: its error split by
how each late table was projected (with each part's projected and real turnout and margin share), by
top-level area, by the polling place's size (the small ones rural) and by the share of the place late,
and into share and turnout; and how much of it
a count that was late at random inside the same areas would give (the estimator's own bias) against
what the late tables' lean adds.

Run: ``python benchmarks/count_order_point.py --db bo.db --order trep_acta.2019.10.20.19.40.57.csv
[--draws 30] [--seed 7]`` on a store loaded with its preset (``escrutinio load FILE --election PRESET
--db X.db``) and a finished count; ``--order`` is what ``escrutinio forensics --order`` takes, read
the same way, the last listed moment cut (the tables it lists counted, the rest late).

The error of the projected margin, in points of valid votes, is a sum over the late tables of
``(projected − real)`` of each one's margin votes less the final margin times its valid votes, over
the valid votes in all: exact to first order, so the parts add up to the whole. Each part is split
again into a share part (the projected margin share against the real one, at the real valid votes)
and a turnout part (the valid votes projected against the real ones, at the projected share's
distance from the final margin).

The null redraws which tables were late, keeping how many: inside each partly counted polling place,
and among the wholly counted and wholly late places of like size in each district. No late table then
differs from the counted ones of its own area but by chance, so the null's mean error is the
estimator's own bias and its spread the chance part of an error; what the real order adds beyond it
is the late tables' lean inside their areas, which a set of tables counted cannot show. (A late place
with no wholly counted place of its size and district to swap with stays late, keeping its real
lean: for places with nothing counted the null's mean is an upper bound on the bias.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

from escrutinio.app import Session
from escrutinio.domain import table_frame as tf
from escrutinio.forensics import count_order, count_order_error
from escrutinio.forensics import frames as fr
from escrutinio.formats.order_list import read_order

SOURCES = ("own polling place", "like places of its district or coarser")


def setup(db: str, order: Path) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], str]:
    """The counted tables, their (leader, runner-up, rest) votes, electors, whether the order's last
    listed moment holds them, the projection's area keys (abroad apart), and the leader's id."""
    with Session(db, actor="count-order-point") as s:
        frame = s.table_frame()
        winner, _ = s.forensics.leaders()
        abroad = s.forensics.abroad()
    f = fr.counted(frame)
    ranks = read_order(order, known=set(f[tf.TABLE].cast(pl.Utf8).to_list()))
    last = max(ranks.values())
    counted = f[tf.TABLE].cast(pl.Utf8).is_in([t for t, r in ranks.items() if r <= last]).to_numpy()
    three, size = leader_runner_up_rest(f, winner)
    return f, three, size, counted, count_order._keys(f, abroad), winner


def leader_runner_up_rest(f: pl.DataFrame, winner: str) -> tuple[np.ndarray, np.ndarray]:
    """The counted tables' (leader, runner-up, rest) votes, the runner-up the final count's, and their
    electors (a table without any at the median)."""
    cols = fr.choice_columns(f)
    votes = np.column_stack([fr.as_int(f, c) for c in cols]).astype(np.float64)
    w = cols.index(tf.choice_column(winner))
    totals = votes.sum(axis=0)
    rival = int(np.argsort(-np.where(np.arange(len(cols)) == w, -np.inf, totals))[0])
    three = np.column_stack([votes[:, w], votes[:, rival], votes.sum(axis=1) - votes[:, w] - votes[:, rival]])
    size = fr.as_float(f, tf.ELECTORS)
    return three, np.where(np.isfinite(size) & (size > 0), size, np.nanmedian(size))


def per_table_error(votes: np.ndarray, size: np.ndarray, counted: np.ndarray, keys: list[np.ndarray]) -> dict:
    """Each late table's part of the error (points), its share and turnout parts, and whether its own
    place projected it (:mod:`escrutinio.forensics.count_order_error`); and the projection as the
    module computes it."""
    place = keys[0]
    rate, own = count_order.place_rates(votes, size, counted, keys)
    projected = np.where(counted[:, None], votes, rate[place] * size[:, None])
    totals, whole = votes.sum(axis=0), projected.sum(axis=0)
    return {
        **count_order_error.per_table_error(votes, projected),
        "own": own[place],
        "projected": 100 * (whole[0] - whole[1]) / whole.sum(),
        "final": 100 * (totals[0] - totals[1]) / totals.sum(),
        "rate": rate[place],
    }


def random_lateness(counted: np.ndarray, keys: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Counted tables redrawn: as many late in each partly counted place, as many whole places late
    among the wholly counted and wholly late places of each district and size class."""
    place = keys[0]
    n_place = np.bincount(place)
    n_counted = np.bincount(place, weights=counted.astype(np.float64)).astype(np.int64)
    partly = (n_counted > 0) & (n_counted < n_place)
    start = np.r_[0, np.cumsum(n_place)[:-1]]
    shuffled = np.argsort(place * 2.0 + rng.random(len(place)))
    rank = np.empty(len(place), dtype=np.int64)
    rank[shuffled] = np.arange(len(place)) - start[place[shuffled]]
    size_class = np.minimum(np.log2(np.maximum(n_place, 1)).astype(np.int64), count_order.SIZE_CLASSES - 1)
    district = np.zeros(len(n_place), dtype=np.int64)
    district[place] = keys[1]
    group = district * count_order.SIZE_CLASSES + size_class
    none, whole = n_counted == 0, n_counted == n_place
    late = np.zeros(len(n_place), dtype=bool)
    for g in np.unique(group[none]):
        among = np.flatnonzero((group == g) & (none | whole))
        late[rng.choice(among, int((none & (group == g)).sum()), replace=False)] = True
    return np.where(partly[place], rank < n_counted[place], ~late[place])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="a store of a finished count, loaded with its preset")
    ap.add_argument("--order", required=True, type=Path, help="the order file (its last listed moment is the cut)")
    ap.add_argument("--draws", type=int, default=30, help="redraws of which tables were late (the null)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    f, votes, size, counted, keys, winner = setup(a.db, a.order)
    e = per_table_error(votes, size, counted, keys)
    late = ~counted
    print(
        f"{a.db}: {int(counted.sum()):,} of {len(counted):,} tables counted at the cut; projected {e['projected']:+.3f}, "
        f"final {e['final']:+.3f}, error {e['projected'] - e['final']:+.3f} points ({winner} − runner-up)"
    )
    print(
        f"  first-order sum {e['error'][late].sum():+.4f} = share {e['share'][late].sum():+.4f}",
        f"+ turnout {e['turnout'][late].sum():+.4f}",
    )
    valid, margin_votes = votes.sum(axis=1), votes[:, 0] - votes[:, 1]
    rate = e["rate"]
    for name, mask in zip(SOURCES, (e["own"], ~e["own"]), strict=True):
        m = late & mask
        print(
            f"  {name}: {int(m.sum()):,} tables, {int(size[m].sum()):,} electors: {e['error'][m].sum():+.4f} "
            f"(share {e['share'][m].sum():+.4f}, turnout {e['turnout'][m].sum():+.4f}); turnout (valid per elector) "
            f"projected {100 * (rate[m].sum(axis=1) * size[m]).sum() / size[m].sum():.2f} %, real "
            f"{100 * valid[m].sum() / size[m].sum():.2f} %; margin share projected "
            f"{100 * ((rate[m, 0] - rate[m, 1]) * size[m]).sum() / (rate[m].sum(axis=1) * size[m]).sum():+.2f}, "
            f"real {100 * margin_votes[m].sum() / valid[m].sum():+.2f}"
        )
    place = keys[0]
    n_place = np.bincount(place)
    size_class = np.minimum(np.log2(n_place[place]).astype(np.int64), count_order.SIZE_CLASSES - 1)
    print("  by the size of the polling place (tables in it; the small ones rural), own place / like places:")
    for c, label in enumerate(("1", "2-3", "4-7", "8-15", "16+")):
        m = late & (size_class == c)
        print(
            f"    {label} tables: {int(m.sum()):,} late tables: {e['error'][m & e['own']].sum():+.4f} / "
            f"{e['error'][m & ~e['own']].sum():+.4f}"
        )
    late_share = 1 - np.bincount(place, weights=counted.astype(np.float64)) / n_place
    print("  own place, by the share of its tables late:")
    for lo, hi in ((0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0)):
        m = late & e["own"] & (late_share[place] > lo) & (late_share[place] <= hi)
        print(f"    {lo:.0%}-{hi:.0%}: {int(m.sum()):,} tables {e['error'][m].sum():+.4f}")
    strata = count_order._strata(len(keys))
    area = f[tf.DEPARTMENT].to_numpy().astype(object)
    if count_order.POPULATION in strata:  # tables abroad as one area: their cities are not departments
        area[keys[strata.index(count_order.POPULATION)] == 1] = "abroad"
    print("  by top-level area:")
    parts = pl.DataFrame({"area": area[late].astype(str), "error": e["error"][late], "tables": np.ones(int(late.sum()))})
    for row in parts.group_by("area").agg(pl.col("tables").sum(), pl.col("error").sum()).sort("error").iter_rows(named=True):
        print(f"    {row['area']}: {int(row['tables']):,} tables {row['error']:+.4f}")
    rng = np.random.default_rng(a.seed)
    null = []
    for _ in range(a.draws):
        redrawn = random_lateness(counted, keys, rng)
        n = per_table_error(votes, size, redrawn, keys)
        null.append([n["error"][~redrawn & n["own"]].sum(), n["error"][~redrawn & ~n["own"]].sum()])
    null_a = np.array(null)
    for i, name in enumerate(SOURCES):
        real = e["error"][late & (e["own"] if i == 0 else ~e["own"])].sum()
        mean, sd = null_a[:, i].mean(), null_a[:, i].std()
        print(
            f"  late at random ({a.draws} draws), {name}: mean {mean:+.4f} (± {sd / np.sqrt(a.draws):.4f}), sd {sd:.4f}; "
            f"the real order's lean beyond it {real - mean:+.4f} (z {(real - mean) / max(sd, 1e-12):+.1f})"
        )


if __name__ == "__main__":
    main()
