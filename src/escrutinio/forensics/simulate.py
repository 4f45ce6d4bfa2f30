"""Clean synthetic elections and known fraud injected into them (or into real frames).

Power and calibration need ground truth: a test's false-alarm rate is measured on elections known to
be clean, its detection rate on the same elections with fraud of a known kind in a known share of
tables. The clean generator is deliberately not the null model of any test: it has nested regional
leanings (department, province, district), a turnout spread, table sizes near 300 electors with some
small tables, blank and null votes, polling places and a count order that favours some departments —
so a test that only works when its own assumptions hold exactly will show it in calibration.

Fraud kinds (``inject``):

- ``stuffing``: ballots for the winner added from a fraction of the table's non-voters;
- ``stealing``: a fraction of the other choices' votes moved to the winner (cast unchanged);
- ``klimek``: the incremental and extreme fraud of Klimek et al. (2012) in fractions f_i and f_e of
  tables (the model :mod:`fingerprint` fits);
- ``round_numbers``: turnout and the winner's share pushed up to a multiple of 5 % (the target-figure
  falsification Kobak et al. 2016 found);
- ``fabricated``: the winner's count rewritten with a human-looking last digit (0 and 5 preferred);
- ``unanimous``: every valid vote of the table written for the winner (the sheet that shows a
  whole table voting as one, which :func:`anomalies.unanimous` counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr

KLIMEK_SIGMA_INCREMENTAL = 0.2
"""Spread of the fraction x of non-voters (and of opponents' votes) moved to the winner in a table
with incremental fraud: x ~ |N(0, 0.2)|, capped below 1."""
KLIMEK_SIGMA_EXTREME = 0.05
"""Extreme fraud: x ~ 1 - |N(0, 0.05)|: almost every non-voter and opposing vote goes to the winner."""
FRAUD_KINDS = ("stuffing", "stealing", "klimek", "round_numbers", "fabricated", "unanimous")


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def synthetic_election(
    n_tables: int = 2000,
    *,
    seed: int = 0,
    choices: tuple[str, ...] = ("A", "B"),
    n_departments: int = 12,
    provinces_per_department: int = 4,
    districts_per_province: int = 5,
    tables_per_place: int = 8,
    mean_turnout: float = 0.72,
    regional_sd: float = 0.5,
    table_sd: float = 0.12,
) -> pl.DataFrame:
    """A clean election as a table-results frame (all sheets counted, ``order`` set).

    Leanings are on the logit scale: department ~ N(0, ``regional_sd``), province and district
    add half and a third of that, tables add ``table_sd``; turnout likewise with smaller spreads.
    Choice 0 gets a small national edge so it tends to win. Counts are drawn binomially from those
    propensities, so every count is an exact integer.
    """
    rng = np.random.default_rng(seed)
    k = len(choices)
    n_prov = n_departments * provinces_per_department
    n_dist = n_prov * districts_per_province
    dist_weight = rng.lognormal(0.0, 0.8, n_dist)
    district = rng.choice(n_dist, size=n_tables, p=dist_weight / dist_weight.sum())
    province = district // districts_per_province
    department = province // provinces_per_department
    # Leanings: one logit per choice (choice 0 is the reference with an edge).
    base = np.zeros(k)
    base[0] = 0.15
    if k > 2:
        base[2:] = -np.linspace(0.4, 1.5, k - 2)
    dep_eff = rng.normal(0, regional_sd, (n_departments, k))
    prov_eff = rng.normal(0, regional_sd / 2, (n_prov, k))
    dist_eff = rng.normal(0, regional_sd / 3, (n_dist, k))
    logits = base + dep_eff[department] + prov_eff[province] + dist_eff[district] + rng.normal(0, table_sd, (n_tables, k))
    logits[:, 1 % k] = logits[:, 1 % k] - 0.0
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    t_logit = (
        np.log(mean_turnout / (1 - mean_turnout))
        + rng.normal(0, 0.25, n_departments)[department]
        + rng.normal(0, 0.12, n_dist)[district]
        + rng.normal(0, 0.15, n_tables)
    )
    turnout = _logistic(t_logit)
    electors = np.full(n_tables, 300, dtype=np.int64)
    small = rng.random(n_tables) < 0.2
    electors[small] = rng.integers(60, 300, int(small.sum()))
    cast = rng.binomial(electors, turnout)
    blank = rng.binomial(cast, 0.02)
    null = rng.binomial(cast - blank, 0.04)
    valid = cast - blank - null
    votes = np.zeros((n_tables, k), dtype=np.int64)
    remaining = valid.copy()
    rest = np.ones(n_tables)
    for j in range(k - 1):
        pj = np.clip(probs[:, j] / np.maximum(rest, 1e-12), 0.0, 1.0)
        votes[:, j] = rng.binomial(remaining, pj)
        remaining -= votes[:, j]
        rest -= probs[:, j]
    votes[:, k - 1] = remaining
    # Polling places: consecutive tables of a district, about ``tables_per_place`` each.
    order_in_dist = np.argsort(district, kind="stable")
    place = np.empty(n_tables, dtype=np.int64)
    rank_in = np.empty(n_tables, dtype=np.int64)
    d_sorted = district[order_in_dist]
    starts = np.r_[0, np.flatnonzero(np.diff(d_sorted)) + 1]
    counts = np.diff(np.r_[starts, n_tables])
    rank_in[order_in_dist] = np.arange(n_tables) - np.repeat(starts, counts)
    place[:] = rank_in // tables_per_place
    # Count order: some departments report faster (cities first), random within.
    speed = rng.random(n_departments)
    order = np.argsort(np.argsort(speed[department] * 1.5 + rng.random(n_tables))) + 1
    data: dict[str, object] = {
        tf.TABLE: [f"{i + 1:06d}" for i in range(n_tables)],
        tf.DEPARTMENT: [f"{d:02d}" for d in department],
        tf.PROVINCE: [f"{p:04d}" for p in province],
        tf.DISTRICT: [f"{d:06d}" for d in district],
        tf.POLLING_PLACE: [f"{d:06d}-{p:03d}" for d, p in zip(district, place, strict=True)],
        tf.ELECTORS: electors,
        tf.CAST: cast,
        tf.BLANK: blank,
        tf.NULL: null,
        tf.CHALLENGED: np.zeros(n_tables, dtype=np.int64),
        tf.VALID: valid,
        tf.STATE: ["counted"] * n_tables,
    }
    for j, c in enumerate(choices):
        data[tf.choice_column(c)] = votes[:, j]
    data[tf.ORDER] = order.astype(np.int64)
    return pl.DataFrame(data)


@dataclass(frozen=True)
class Injected:
    """A frame with fraud injected, and the ids of the tables that were tampered with."""

    frame: pl.DataFrame
    tables: tuple[str, ...]
    kind: str


def _pick(rng: np.random.Generator, eligible: np.ndarray, share: float) -> np.ndarray:
    idx = np.flatnonzero(eligible)
    n = round(share * len(idx))
    chosen = np.zeros(len(eligible), dtype=bool)
    if n > 0:
        chosen[rng.choice(idx, size=n, replace=False)] = True
    return chosen


def inject(
    frame: pl.DataFrame,
    *,
    kind: str,
    winner: str,
    share: float = 0.1,
    seed: int = 0,
    f_incremental: float | None = None,
    f_extreme: float = 0.0,
) -> Injected:
    """Inject fraud of ``kind`` in favour of ``winner`` into a ``share`` of the counted tables.

    For ``klimek`` the fractions are ``f_incremental`` (defaults to ``share``) and ``f_extreme``.
    Counts stay integers and sheets stay consistent: valid = sum of choices and cast = valid + blank
    + null (+ challenged) wherever the injected kind changes them; cast never exceeds electors.
    """
    if kind not in FRAUD_KINDS:
        raise ValueError(f"unknown fraud kind {kind!r}; expected one of {FRAUD_KINDS}")
    rng = np.random.default_rng(seed)
    cols = [c for c in frame.columns if c.startswith(tf.CHOICE_PREFIX)]
    wcol = tf.choice_column(winner)
    if wcol not in cols:
        raise ValueError(f"no column {wcol} in the frame")
    w = cols.index(wcol)
    votes = np.column_stack([frame[c].fill_null(0).to_numpy().astype(np.int64) for c in cols])
    cast = frame[tf.CAST].fill_null(0).to_numpy().astype(np.int64)
    electors = frame[tf.ELECTORS].fill_null(0).to_numpy().astype(np.int64)
    electors = np.where(electors > 0, electors, cast)
    state_ok = frame[tf.STATE].is_in(list(tf.COUNTED_STATES)).to_numpy()
    eligible = state_ok & (cast > 0)
    others = np.ones(len(cols), dtype=bool)
    others[w] = False
    n = frame.height
    abstain = np.maximum(electors - cast, 0)

    def move(mask: np.ndarray, x: np.ndarray, steal: np.ndarray) -> None:
        nonlocal cast
        add = np.floor(x * abstain).astype(np.int64) * mask
        moved = np.floor(steal[:, None] * votes[:, others]).astype(np.int64) * mask[:, None]
        votes[:, others] -= moved
        votes[:, w] += moved.sum(axis=1) + add
        cast = cast + add

    if kind == "klimek":
        fi = share if f_incremental is None else f_incremental
        u = rng.random(n)
        inc = eligible & (u < fi)
        ext = eligible & (u >= fi) & (u < fi + f_extreme)
        x_inc = np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_INCREMENTAL, n)), 0.95)
        x_ext = 1 - np.minimum(np.abs(rng.normal(0, KLIMEK_SIGMA_EXTREME, n)), 1.0)
        x = np.where(inc, x_inc, np.where(ext, x_ext, 0.0))
        chosen = inc | ext
        move(chosen, x, x)
    else:
        chosen = _pick(rng, eligible, share)
        if kind == "stuffing":
            move(chosen, rng.uniform(0.3, 0.8, n), np.zeros(n))
        elif kind == "stealing":
            move(chosen, np.zeros(n), rng.uniform(0.2, 0.5, n))
        elif kind == "unanimous":
            move(chosen, np.zeros(n), np.ones(n))
        elif kind == "round_numbers":
            # Push turnout up to the next multiple of 5 %, the new ballots for the winner ...
            target_t = np.ceil(100 * cast / np.maximum(electors, 1) / 5 + 1e-9) * 5
            new_cast = np.minimum(np.round(target_t / 100 * electors).astype(np.int64), electors)
            add = np.where(chosen, np.maximum(new_cast - cast, 0), 0)
            votes[:, w] += add
            cast = cast + add
            # ... then the winner's share of ballots cast up to the next multiple of 5 %.
            share_w = 100 * votes[:, w] / np.maximum(cast, 1)
            target_w = np.minimum(np.ceil(share_w / 5 + 1e-9) * 5, 100)
            want = np.round(target_w / 100 * cast).astype(np.int64)
            need = np.where(chosen, np.maximum(want - votes[:, w], 0), 0)
            for j in np.flatnonzero(others):
                take = np.minimum(need, votes[:, j])
                votes[:, j] -= take
                votes[:, w] += take
                need -= take
        elif kind == "fabricated":
            digits = rng.choice(10, size=n, p=[0.3, 0.04, 0.06, 0.05, 0.04, 0.25, 0.04, 0.1, 0.06, 0.06])
            fabricated = 10 * (votes[:, w] // 10) + digits
            room = electors - (cast - votes[:, w])
            fabricated = np.minimum(fabricated, room)
            delta = np.where(chosen, fabricated - votes[:, w], 0)
            votes[:, w] += delta
            cast = cast + delta
    out = frame.with_columns(
        [pl.Series(c, votes[:, j]) for j, c in enumerate(cols)]
        + [pl.Series(tf.CAST, cast), pl.Series(tf.VALID, votes.sum(axis=1))]
    )
    ids = frame[tf.TABLE].cast(pl.Utf8).to_numpy()[chosen]
    return Injected(frame=fr.same_rows(out, frame), tables=tuple(str(t) for t in ids), kind=kind)
