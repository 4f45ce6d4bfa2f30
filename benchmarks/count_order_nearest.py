"""Would the count-order projection do better projecting a polling place with nothing counted from its
nearest counted places (by distance) than from the like-sized counted places of its municipality?
Measured on geographic hold-outs of a finished count, never on a cut of the real count.

Run: ``python benchmarks/count_order_nearest.py --db bo.db --coordinates final_computo.csv.gz
[--trials 40] [--bootstrap 100] [--seed 11] [--kinds places,localities] [--order trep.csv]`` on a store
loaded with the Bolivia preset (``escrutinio load FILE --election bolivia-2019-first-round --db X.db``).
``--coordinates`` is Bolivia's final cómputo, read here only for each acta's ``lat``, ``lon`` (the
recinto's: their origin is not documented, PROVENANCE.md) and ``Localidad``, joined on ``Número Mesa``.
With ``--order`` (the TREP halt) the same figures are printed for its last listed moment, after the
hold-outs: the halt must not choose the method.

Each trial holds out a share h of the tables, h uniform in [0.1, 0.5], in whole units drawn at random
until h is out: ``places`` (polling places, recintos) or ``localities`` (Municipio and Localidad). Every
held-out place then has nothing counted, so the whole point error is the fallback's. Compared, each
place with nothing counted at:

- ``like-sized``: the module's rule without coordinates (the mean rate of the counted places of
  like size in its municipality, else coarser: :func:`escrutinio.forensics.count_order.place_rates`);
- ``the module, with coordinates``: what the module does where the frame has them (``nearest 1,
  anywhere``, places abroad too, each from its own side);
- ``nearest k, municipality``: the mean rate of its k nearest counted places in its municipality
  (where the municipality has none counted, the module's rule);
- ``nearest k, anywhere``: of its k nearest counted places in the country, where its municipality
  has counted places (places abroad, and places of municipalities with nothing counted, keep the
  module's rule: applied to them as well, a whole department late took the rates of a few recintos
  across its border, and the department hold-outs were +25 points off on average, covered 32 times in
  100).

Printed per kind and rule: the point error (projected minus final margin, points) as mean ± standard
error and root-mean-square, and the coverage of the 95 % interval: the module's bootstrap draws
(:func:`~escrutinio.forensics.count_order.project`), which the module centres on its point, centred
on each rule's point instead (the point is what the rule changes; the draws' spread stays).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import count_order_coverage
import count_order_point
import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from escrutinio.app import Session
from escrutinio.domain import table_frame as tf
from escrutinio.forensics import count_order, count_order_error
from escrutinio.forensics import frames as fr
from escrutinio.formats.order_list import read_order

KINDS = ("places", "localities", "departments", "sorted")
NEAREST = (1, 3, 5, 10)


def load(db: str, coordinates: Path) -> dict:
    """The counted tables' (leader, runner-up, rest) votes, electors, area keys (abroad apart), strata
    coarser than the municipality, each table's place coordinates (unit vectors; NaN where none) and
    locality key, and the final margin."""
    with Session(db, actor="count-order-nearest") as s:
        frame = s.table_frame()
        winner, _ = s.forensics.leaders()
        abroad = s.forensics.abroad()
        names = s.forensics.column_names(frame)
    f = fr.counted(frame)
    geo = pl.read_csv(coordinates, infer_schema_length=0, encoding="utf8-lossy")
    geo = geo.rename({geo.columns[0]: tf.TABLE}).select(tf.TABLE, "lat", "lon", "Municipio", "Localidad")
    f = f.join(geo, on=tf.TABLE, how="left", maintain_order="left")
    three, size = count_order_point.leader_runner_up_rest(f, winner)
    keys = count_order._keys(f, abroad)
    lat = np.radians(f["lat"].cast(pl.Float64, strict=False).to_numpy())
    lon = np.radians(f["lon"].cast(pl.Float64, strict=False).to_numpy())
    xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    domestic = ~f[tf.DEPARTMENT].is_in(list(abroad)).to_numpy()
    _, coarse = count_order.wider_and_coarse(count_order.stratum_names(f, len(keys), names))
    locality = count_order._dense((f["Municipio"] + "\x1f" + f["Localidad"]).fill_null("").to_numpy())
    return {
        "frame": f,
        "votes": three,
        "size": size,
        "keys": keys,
        "coarse": coarse,
        "xyz": xyz,
        "domestic": domestic,
        "locality": locality,
        "final": 100 * (three[:, 0].sum() - three[:, 1].sum()) / three.sum(),
    }


def held_out(kind: str, d: dict, h: float, rng: np.random.Generator) -> np.ndarray:
    """Which tables count (True): whole places or localities drawn at random until ``h`` of the tables are
    out, or the coverage benchmark's ``departments`` and ``sorted`` hold-outs."""
    if kind in ("departments", "sorted"):
        return count_order_coverage.held_out(kind, d["frame"], h, rng)
    unit = d["keys"][0] if kind == "places" else d["locality"]
    n_unit = np.bincount(unit)
    order = rng.permutation(len(n_unit))
    out_units = order[: int(np.searchsorted(np.cumsum(n_unit[order]), h * len(unit))) + 1]
    return ~np.isin(unit, out_units)


def nearest_rates(d: dict, counted: np.ndarray, k: int, within: bool, like_sized: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each place's rate with places that have nothing counted at the mean rate of their ``k`` nearest
    counted places (``within``: of their municipality; ``like_sized``: of its size class, else any), else
    the module's rule; and the places' own flag."""
    votes, size, keys = d["votes"], d["size"], d["keys"]
    place = keys[0]
    rate, own = count_order.place_rates(votes, size, counted, keys)
    n_places = len(own)
    pv = count_order._per_group(place[counted], votes[counted], n_places)
    pe = np.bincount(place[counted], weights=size[counted], minlength=n_places)
    raw = pv / np.maximum(pe, 1e-9)[:, None]
    p_xyz = np.full((n_places, 3), np.nan)
    p_xyz[place] = d["xyz"]
    p_dom = np.zeros(n_places, dtype=bool)
    p_dom[place] = d["domestic"]
    p_muni = np.zeros(n_places, dtype=np.int64)
    p_muni[place] = keys[1]
    located = np.isfinite(p_xyz).all(axis=1) & p_dom
    donors = np.flatnonzero(own & located)
    # Only places whose municipality has counted places: a whole area late takes its nearest counted
    # places from across its border (a whole department from a few border recintos: +25 points off).
    todo = np.flatnonzero(~own & located & np.isin(p_muni, p_muni[own]))
    out = rate.copy()
    if within:
        tables_in = np.bincount(place, minlength=n_places)
        size_class = np.minimum(np.log2(np.maximum(tables_in, 1)).astype(np.int64), count_order.SIZE_CLASSES - 1)
        group = p_muni * count_order.SIZE_CLASSES + size_class if like_sized else p_muni
        for g in np.unique(group[todo]):
            dm = donors[group[donors] == g]
            if len(dm) == 0:
                dm = donors[p_muni[donors] == g // count_order.SIZE_CLASSES] if like_sized else dm
            if len(dm) == 0:
                continue
            tm = todo[group[todo] == g]
            _, idx = cKDTree(p_xyz[dm]).query(p_xyz[tm], k=min(k, len(dm)))
            out[tm] = raw[dm[np.asarray(idx).reshape(len(tm), -1)]].mean(axis=1)
    elif len(donors) and len(todo):
        _, idx = cKDTree(p_xyz[donors]).query(p_xyz[todo], k=min(k, len(donors)))
        out[todo] = raw[donors[np.asarray(idx).reshape(len(todo), -1)]].mean(axis=1)
    return out, own


def margin(d: dict, counted: np.ndarray, rate: np.ndarray) -> float:
    """The projected final margin (points): counted votes plus each late table at its place's rate."""
    place = d["keys"][0]
    total = d["votes"][counted].sum(axis=0) + (rate[place[~counted]] * d["size"][~counted][:, None]).sum(axis=0)
    return float(100 * (total[0] - total[1]) / total.sum())


RULES = {
    "like-sized": None,
    "the module, with coordinates": "module",
    **{f"nearest {k}, municipality": (k, True, False) for k in NEAREST},
    **{f"nearest {k} like-sized, municipality": (k, True, True) for k in (1, 3)},
    **{f"nearest {k}, anywhere": (k, False, False) for k in NEAREST},
}
"""Each rule's (k, within the municipality, like-sized first); None: the module's own rule;
"module": the module given the coordinates (:func:`escrutinio.forensics.count_order.place_rates`:
the nearest counted place anywhere on its side, domestic or abroad, where the municipality has
counted places; "nearest 1, anywhere" leaves places abroad to the like-sized rule)."""


def points(d: dict, counted: np.ndarray) -> dict[str, tuple[float, float, float]]:
    """Under each rule (:data:`RULES`), the projected margin and the parts of its error (points) from the
    late tables of places with nothing counted in a municipality with counted places, and in one with none."""
    place, muni = d["keys"][0], d["keys"][1]
    late = ~counted
    muni_counted = np.bincount(muni[counted], minlength=int(muni.max()) + 1) > 0
    out = {}
    for rule, how in RULES.items():
        if how is None or how == "module":
            xyz = d["xyz"] if how == "module" else None
            rate, own = count_order.place_rates(d["votes"], d["size"], counted, d["keys"], xyz)
        else:
            rate, own = nearest_rates(d, counted, *how)
        projected = np.where(counted[:, None], d["votes"], rate[place] * d["size"][:, None])
        e = count_order_error.per_table_error(d["votes"], projected)["error"]
        nothing = late & ~own[place]
        out[rule] = (
            margin(d, counted, rate),
            float(e[nothing & muni_counted[muni]].sum()),
            float(e[nothing & ~muni_counted[muni]].sum()),
        )
    return out


def draws_offsets(d: dict, counted: np.ndarray, bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """The module's bootstrap draws minus its point (points): the interval's spread around any point."""
    point, draws, _ = count_order.project(
        d["votes"], d["size"], counted, d["keys"], 0, rival=1, bootstrap=bootstrap, rng=rng, coarse=d["coarse"]
    )
    return 100 * (draws - point)


def run(d: dict, kind: str, trials: int, bootstrap: int, rng: np.random.Generator) -> None:
    start = time.perf_counter()
    errors: dict[str, list[tuple[float, float, float]]] = {r: [] for r in RULES}
    covered = dict.fromkeys(RULES, 0)
    late_places = []
    for _ in range(trials):
        counted = held_out(kind, d, rng.uniform(0.1, 0.5), rng)
        offsets = draws_offsets(d, counted, bootstrap, rng)
        lo, hi = np.quantile(offsets, (0.025, 0.975), method=count_order.INTERVAL_QUANTILE)
        late_places.append(int((~counted).sum()))
        for rule, (p, within, whole) in points(d, counted).items():
            errors[rule].append((p - d["final"], within, whole))
            covered[rule] += int(p + lo <= d["final"] <= p + hi)
    print(
        f"{kind} ({trials} trials, median {int(np.median(late_places)):,} late tables; {time.perf_counter() - start:.0f} s): "
        "point error; its parts from places with nothing counted in a counted municipality and in one with none; "
        "coverage"
    )
    base = np.array(errors["like-sized"])
    for rule in RULES:
        e = np.array(errors[rule])
        diff = np.abs(e[:, 1]) - np.abs(base[:, 1])
        print(
            f"  {rule:35s} {_mean_rms(e[:, 0])}; {_mean_rms(e[:, 1])} (|part| against like-sized "
            f"{diff.mean():+.3f} ± {diff.std() / np.sqrt(len(diff)):.3f}); {_mean_rms(e[:, 2])}; "
            f"covered {covered[rule]}/{trials}",
            flush=True,
        )


def _mean_rms(e: np.ndarray) -> str:
    """Errors as mean ± standard error and root-mean-square."""
    return f"{e.mean():+.3f} ± {e.std() / np.sqrt(len(e)):.3f}, rms {np.sqrt(np.mean(e**2)):.3f}"


def at_order(d: dict, order: Path) -> None:
    """Each rule's point at the order's last listed moment, against the final margin."""
    f = d["frame"]
    ranks = read_order(order, known=set(f[tf.TABLE].cast(pl.Utf8).to_list()))
    last = max(ranks.values())
    counted = f[tf.TABLE].cast(pl.Utf8).is_in([t for t, r in ranks.items() if r <= last]).to_numpy()
    print(f"{order.name}: {int(counted.sum()):,} of {len(counted):,} counted; final {d['final']:+.3f}")
    for rule, (p, within, whole) in points(d, counted).items():
        print(f"  {rule:35s} {p:+.3f} (error {p - d['final']:+.3f}; parts {within:+.3f}, {whole:+.3f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="a store of Bolivia's final cómputo, loaded with its preset")
    ap.add_argument("--coordinates", required=True, type=Path, help="final_computo.csv.gz (lat, lon, Localidad)")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--bootstrap", type=int, default=100)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--order", type=Path, help="an order file: its last listed moment's points, after the hold-outs")
    a = ap.parse_args()
    d = load(a.db, a.coordinates)
    rng = np.random.default_rng(a.seed)
    for kind in a.kinds.split(","):
        run(d, kind, a.trials, a.bootstrap, rng)
    if a.order:
        at_order(d, a.order)


if __name__ == "__main__":
    main()
