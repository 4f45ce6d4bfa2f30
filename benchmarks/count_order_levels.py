"""Which part of the count-order interval is too narrow where whole stretches of geography are late:
each hold-out's point error split by the level its late tables were projected from, against the
spread the interval drew for that level.

Run: ``python benchmarks/count_order_levels.py --db bo.db [--kinds sorted,departments] [--trials 100]
[--bootstrap 400] [--seed 11]`` on a store loaded with its preset. The hold-outs are
``benchmarks/count_order_coverage.py``'s (the same seed gives the same ones when ``--kinds`` starts
as its own do: random, departments, sorted).

For each level (0: a place's own counted tables; 1: like-sized places of its wider area; 2 and up:
whole areas late, drawn by :func:`escrutinio.forensics.count_order._whole_area_draws`) the part of
the error its late tables make (``escrutinio.forensics.count_order_error``: the parts add up to the
error to first order) over the standard deviation of that level's draws (the margin's linear part);
levels 0 and 1 together, against the spread of the draws left once the whole areas' are taken out
(they are drawn from a stream of their own), where that is at least half the
variance. Printed per level: hold-outs with tables there, the
standard deviation of error over spread (1 where the spread is right), how many beyond 1.96, and
root-mean-squares of error and spread; then the correlation of the levels' errors (the draws take the
levels as independent) and how many intervals held the final margin.
"""

from __future__ import annotations

import argparse

import count_order_coverage
import count_order_point
import numpy as np

from escrutinio.forensics import count_order, count_order_error


def run(db: str, kinds: list[str], trials: int, bootstrap: int, seed: int) -> None:
    f, winner, names, abroad = count_order_coverage.read_store(db, "count-order-levels")
    three, size = count_order_point.leader_runner_up_rest(f, winner)
    keys = count_order._keys(f, abroad)
    _, coarse = count_order.wider_and_coarse(count_order.stratum_names(f, len(keys), names))
    valid = three.sum()
    final = (three[:, 0].sum() - three[:, 1].sum()) / valid
    drawn: list[tuple[int, float]] = []  # (tables, spread in points) of each whole-area level's draws
    whole_area_draws = count_order._whole_area_draws

    def recorded(votes, size_, counted, sub, group, sel, bootstrap_, rng):
        out = whole_area_draws(votes, size_, counted, sub, group, sel, bootstrap_, rng)
        drawn.append((len(sel), float(np.std(100 * ((out[:, 0] - out[:, 1]) - final * out.sum(axis=1)) / valid))))
        return out

    count_order._whole_area_draws = recorded
    rng = np.random.default_rng(seed)
    for kind in kinds:
        ratios: dict[str, list[tuple[float, float, float]]] = {}
        parts_all, covered = [], 0
        for t in range(trials):
            counted = count_order_coverage.held_out(kind, f, rng.uniform(0.1, 0.5), rng)
            drawn.clear()
            _, draws, _ = count_order.project(
                three, size, counted, keys, 0, rival=1, bootstrap=bootstrap, rng=np.random.default_rng(t), coarse=coarse
            )
            lo, hi = np.quantile(draws, (0.025, 0.975), method=count_order.INTERVAL_QUANTILE)
            covered += int(lo <= final <= hi)
            rate, _own = count_order.place_rates(three, size, counted, keys)
            projected = np.where(counted[:, None], three, rate[keys[0]] * size[:, None])
            error = count_order_error.per_table_error(three, projected)["error"]
            level = np.full(len(counted), -1)
            level[~counted] = count_order.imputation_levels(counted, keys)
            parts = {li: float(error[level == li].sum()) for li in range(len(keys))}
            parts_all.append([parts[li] for li in range(1, len(keys))])
            whole_var = 0.0
            for li in coarse:
                n_li = int((level == li).sum())
                spread = next((sd for n, sd in drawn if n == n_li), None) if n_li else None
                if spread:
                    ratios.setdefault(f"level {li}", []).append((parts[li] / spread, parts[li], spread))
                    whole_var += spread**2
            total_var = float(np.var(100 * draws))
            rest = float(np.sqrt(max(total_var - whole_var, 0.0)))
            # The remainder is read only where it is most of the spread: a difference of two large
            # variances (whole areas late, drawn apart and not quite additive on the margin) says little.
            if rest**2 >= total_var / 2 and rest > 0.02 and ((level == 0).any() or (level == 1).any()):
                fine = parts[0] + parts[1]
                ratios.setdefault("levels 0-1", []).append((fine / rest, fine, rest))
        print(f"{db} {kind}: covered {covered}/{trials} (draws {bootstrap})")
        for name, v in sorted(ratios.items()):
            a = np.array(v)
            print(
                f"  {name}: {len(a)} hold-outs; sd of error/spread {a[:, 0].std():.2f}, beyond 1.96: "
                f"{int((np.abs(a[:, 0]) > 1.96).sum())}; rms error {np.sqrt(np.mean(a[:, 1] ** 2)):.2f}, "
                f"rms spread {np.sqrt(np.mean(a[:, 2] ** 2)):.2f} points"
            )
        p = np.array(parts_all)
        live = p.std(axis=0) > 0
        if live.sum() > 1:
            corr = np.corrcoef(p[:, live].T)
            off = corr[~np.eye(len(corr), dtype=bool)]
            print(f"  correlation of the levels' errors (levels 1 and up): {off.min():+.2f} to {off.max():+.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", action="append", required=True, help="a store loaded with its preset (repeat for more)")
    ap.add_argument("--kinds", default="random,departments,sorted")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--bootstrap", type=int, default=400)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    for db in a.db:
        run(db, a.kinds.split(","), a.trials, a.bootstrap, a.seed)


if __name__ == "__main__":
    main()
