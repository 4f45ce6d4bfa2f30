"""Count order: the margin along the count, and a projection of the rest from where it is.

Sheets do not arrive at random: cities report first, remote areas last, so the running margin
moves during the count without anything being wrong (Peru 2021: Fujimori led with 52.9 % at 42.6 %
of sheets, Castillo won; Bolivia 2019: MAS − CC stood at 7.87 points when the TREP halted at
83.85 % and ended at 10.56). This module replays the count in the real order (the ``order``
column) and projects the final margin from the tables counted so far to the rest.

The method (and why each part):

- **Point.** Each uncounted table gets its polling place's counted votes per elector (a ratio of
  sums: turnout × share, so tables weigh by electors × observed turnout) times its electors. A place
  with counted tables takes its own rate (unshrunk: :func:`point_imputation` says why); a place with
  none takes the prior: the mean rate of the counted places of like size (:data:`SIZE_CLASSES`, by
  tables in all, known before the count) in its district, else coarser. Late places are mostly small
  rural ones, which vote unlike the big urban ones counted first (on Bolivia the projection at the
  TREP halt went from +10.17 to +10.36, and +10.37 unshrunk, against the final +10.56; where the
  rest of the gap comes from: ``benchmarks/count_order_point.py``).
- **Interval.** Its spread comes from a two-stage bootstrap, centred on the point. (1) Where an
  area with at least :data:`MIN_DONORS` counted tables (one: every place the point projects from its
  own counted tables) projects its own rest, the rate's
  uncertainty and the tables' spread around it both come from the donors' residuals (votes minus rate times electors): a
  normal draw with their covariance (the delta method, with n/(n-1)); an area with fewer than
  :data:`OWN_SPREAD` takes the spread per elector pooled over the areas with two or more. (2) For
  areas with too few counted tables (none, at the default), like-sized counted sub-areas stand in,
  drawn at one shared rank per coarser area for all its missing places: places late for the same reason lean together, so their
  unknown leanings must not average out. A small-sample t factor widens those draws (theirs only) when few
  sub-areas stand in. (3) Where the wider area has too little counted as well (whole
  municipalities or departments late), its counted areas' mean plus one shared deviation drawn as
  a multivariate t prediction of how areas of that level differ, each weighing its electors
  (:func:`_whole_area_draws`): a draw
  among a few counted areas never leaves their range, and one area says nothing of the spread.
- **Calibration.** :func:`coverage` holds out random and geographic parts of finished counts and
  reports how often the 95 % interval holds the realised margin; the real-data tests check the
  interval at both of Bolivia's real cuts (TREP of 20 Oct 19:40 and of 21 Oct 18:29). Drawing a
  donor's own votes per elector (a mean of ratios) and any sub-area regardless of size covered
  a random hold-out's truth 5 % of the time; independent draws per missing place missed the
  Bolivian halt.

If the final margin falls inside the projection's interval and the margin at the cut does not, the
late shift is explained by where the late tables are; if the final margin is outside, the late
tables moved the margin further than where they are explains, which is said as observed, by how
much, beside how often the method misses on clean counts read area by area (:func:`_outside_words`):
it is not by itself a sign of anything. An interval holding both says nothing either way (cannot tell), and
where most of what is left is in whole areas late (:data:`MOST_COARSE`) the projection stands on
how other areas vote, not on the late tables' own: cannot tell, whatever the interval.

Cuts fall only where the order's moment changes (tables counted at one moment are one set): at every
moment of an order of a few (:data:`MAX_MOMENTS`), else at checkpoints and the last moment before the
end, where the story is judged. Each cut's draws are seeded by the set it holds: the interval depends
on what was counted, never on the order of a file's rows (docs/forensics-calibration.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import polars as pl
from scipy import stats
from scipy.spatial import cKDTree

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import count_order_error
from escrutinio.forensics import count_order_verdict as verdicts
from escrutinio.forensics import frames as fr
from escrutinio.forensics.measured import held_out_by_area
from escrutinio.forensics.results import ForensicResult, choice_word, level_word, not_applicable

STRATA = (tf.POLLING_PLACE, tf.DISTRICT, tf.PROVINCE, tf.DEPARTMENT, "national")
POPULATION = "domestic_or_abroad"
"""The level between the top areas and the nation when tables abroad are read apart."""
MIN_DONORS = 1
"""In the interval's draws, an area with this many counted tables stands on its own (the point uses every
counted table); with fewer, the next coarser area (with like-sized sub-areas) stands in. One: each
place is drawn from its own counted tables, as its point is projected from them. The default was 5
until session 13, chosen on Bolivia's TREP halt (with 3 its interval missed the final margin by 0.01
points), not on hold-outs: with 5, the late tables of places with one to four counted ones took one
lean shared by their municipality's like-sized places, and Bolivia's random hold-outs were covered
100 times in 100 by intervals 0.98 points wide against a point error of 0.045 rms. With 1 they are
covered 98 times in 100 at 0.22 points, and Peru's and Russia 2012's random and geographic hold-outs
as with 5 (docs/forensics.md, "Each place drawn from its own counted tables")."""
OWN_SPREAD = 5
"""An area says its own spread from this many counted tables (:func:`_residual_cov`) or counted
sub-areas (:func:`_whole_area_draws`); with fewer (one table's residual is zero, two say little),
its spread is the one pooled over every area of its level."""
SIZE_CLASSES = 5
"""Sub-areas stand in for like-sized ones: 1, 2-3, 4-7, 8-15 and 16 or more tables."""


def _stat(totals: np.ndarray, winner: int, rival: int | None) -> np.ndarray:
    """Winner's share of valid votes, or (with ``rival``) the margin winner − rival over valid votes."""
    valid = np.maximum(totals.sum(axis=1), 1e-9)
    if rival is None:
        return totals[:, winner] / valid
    return (totals[:, winner] - totals[:, rival]) / valid


def _dense(keys: np.ndarray) -> np.ndarray:
    _, inv = np.unique(keys, return_inverse=True)
    return inv.astype(np.int64)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The median of ``values`` each repeated ``weights`` times (integer weights), without repeating them."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    total = int(cum[-1])
    lo = values[order][np.searchsorted(cum, (total - 1) // 2, side="right")]
    hi = values[order][np.searchsorted(cum, total // 2, side="right")]
    return float(lo + hi) / 2


def _per_group(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Column sums of ``values`` (rows, k) per integer key, for keys 0..n-1."""
    return np.column_stack([np.bincount(keys, weights=values[:, j], minlength=n) for j in range(values.shape[1])])


def point_imputation(
    votes: np.ndarray,
    size: np.ndarray,
    counted: np.ndarray,
    level_keys: list[np.ndarray],
    coordinates: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, float]]:
    """Votes projected for the uncounted tables: each at its polling place's rate per elector.

    The rate (votes per elector: turnout × share, so a ratio of sums weighs tables by electors ×
    observed turnout) is, for a place with counted tables, its own; for a place with none counted,
    its prior: the mean rate of the counted places of like size (:data:`SIZE_CLASSES`) in the same
    district, else of any size in it, else the same one level coarser, up to the nation. The places
    not yet counted are mostly small rural ones, and the counted places of their own size in their
    own district are the likest. Why not the district's pooled rate: on Bolivia at the TREP halt it
    put the 1,105 tables of places with nothing counted 0.40 points of the margin short (like-sized
    places: 0.14), and projecting places with 1 to 4 counted tables from their district instead of
    themselves (the old rule of five donors) put their 1,052 tables another 0.30 short.

    Why a place's own rate is not shrunk toward its prior (it was, by an empirical-Bayes weight): the
    projection is a total over thousands of places, whose own rates' noise averages out, while a pull
    toward a prior made of other places adds up whenever those places differ from the partly counted
    ones, as the places a count has finished differ from those it has only reached. With which actas
    of each partly counted recinto were late drawn at random (so no late table differs from its
    recinto's counted ones; ``benchmarks/count_order_point.py``), the shrunk rates put Bolivia's TREP
    halt 0.023 points short on average, the places' own rates 0.005, on the same 30 draws (± 0.005
    each). On 40 hold-outs of each finished count (random tables, or each place's tables late at a
    share of its own) the shrinkage made no projection closer: root-mean-square errors 0.047 and
    0.089 points on Bolivia shrunk, 0.046 and 0.087 not; Peru's and Russia 2012's the same either way.

    Returns the imputed totals (one per column of ``votes``) and how many uncounted tables took their
    own place's rate and how many like places'.
    """
    unc = np.flatnonzero(~counted)
    place = level_keys[0]
    rate, own = place_rates(votes, size, counted, level_keys, coordinates)
    imputed = (rate[place[unc]] * size[unc][:, None]).sum(axis=0)
    has_own = own[place[unc]]
    return imputed, {"own_place": int(has_own.sum()), "like_places": int((~has_own).sum())}


def place_rates(
    votes: np.ndarray,
    size: np.ndarray,
    counted: np.ndarray,
    level_keys: list[np.ndarray],
    coordinates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each polling place's votes per elector for its uncounted tables (:func:`point_imputation`),
    and whether it is its own (the place has counted tables) rather than other places'.

    With ``coordinates`` (each table's place as a unit vector, NaN where unknown:
    :func:`place_coordinates`) a place with nothing counted whose district has counted places takes
    the rate of the nearest counted place instead (:func:`_nearest_rates`)."""
    place = level_keys[0]
    n_places = int(place.max()) + 1
    k = votes.shape[1]
    pv = _per_group(place[counted], votes[counted], n_places)
    pe = np.bincount(place[counted], weights=size[counted], minlength=n_places)
    has = np.flatnonzero(pe > 0)
    rate = pv / np.maximum(pe, 1e-9)[:, None]
    tables_in = np.bincount(place, minlength=n_places)
    size_class = np.minimum(np.log2(np.maximum(tables_in, 1)).astype(np.int64), SIZE_CLASSES - 1)
    prior = np.full((n_places, k), np.nan)
    for area_keys in level_keys[1:]:
        area_of = np.zeros(n_places, dtype=np.int64)
        area_of[place] = area_keys
        for group in (area_of * SIZE_CLASSES + size_class, area_of):
            n_groups = int(group.max()) + 1
            g_sum = _per_group(group[has], rate[has], n_groups)
            g_n = np.bincount(group[has], minlength=n_groups)
            todo = np.isnan(prior[:, 0]) & (g_n[group] > 0)
            prior[todo] = g_sum[group[todo]] / g_n[group[todo]][:, None]
    out = np.where((pe > 0)[:, None], _jackknifed(votes, size, counted, place, pv, pe), prior)
    if coordinates is not None:
        _nearest_rates(out, rate, pe > 0, place, level_keys, coordinates)
    return out, pe > 0


def place_coordinates(f: pl.DataFrame) -> np.ndarray | None:
    """Each table's polling place as a unit vector on the sphere (NaN where unknown), from the
    frame's optional ``latitude`` and ``longitude`` columns (degrees); None where it has none."""
    if tf.LATITUDE not in f.columns or tf.LONGITUDE not in f.columns:
        return None
    lat, lon = np.radians(fr.as_float(f, tf.LATITUDE)), np.radians(fr.as_float(f, tf.LONGITUDE))
    xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return xyz if np.isfinite(xyz).all(axis=1).any() else None


def _nearest_rates(
    out: np.ndarray, rate: np.ndarray, has: np.ndarray, place: np.ndarray, level_keys: list[np.ndarray], xyz: np.ndarray
) -> None:
    """Set ``out`` (rates per place) of each place with nothing counted, a known position and counted
    places in its district to the counted rate (``rate``) of the nearest counted place (with tables
    abroad read apart, of its own side).

    Why: like-sized places of a municipality stand for a place with nothing counted whatever part of
    the municipality it is in; its nearest counted place is its neighbour. On Bolivia's finished
    count (``benchmarks/count_order_nearest.py``; recintos' coordinates whose origin is not
    documented) the part of the error from such places had a root-mean-square of 0.594 points with
    like-sized recintos and 0.238 with the nearest counted one over 100 hold-outs of whole recintos
    (0.655 against 1.107 on sorted stretches, 5.7 against 9.7 on whole localities). Only where the
    district has counted places: a whole municipality or department late would take the rates of a
    few places across its border (whole departments late: 25 points off)."""
    for mine, donor in nearest_counted(has, place, level_keys, xyz):
        out[mine] = rate[donor]


def nearest_counted(
    has: np.ndarray, place: np.ndarray, level_keys: list[np.ndarray], xyz: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(places with nothing counted that :func:`_nearest_rates` projects from a neighbour, the nearest
    counted place of each), one pair per side (domestic, abroad): apart so that the result can say
    how many late tables stood on a neighbour."""
    n_places = len(has)
    p_xyz = np.full((n_places, 3), np.nan)
    known = np.isfinite(xyz).all(axis=1)  # a place is where any of its tables is (not its last table: NaN there)
    p_xyz[place[known]] = xyz[known]
    district = np.zeros(n_places, dtype=np.int64)
    district[place] = level_keys[1]
    side = np.zeros(n_places, dtype=np.int64)
    if len(level_keys) == len(STRATA) + 1:  # domestic and abroad apart (:func:`_keys`)
        side[place] = level_keys[-2]
    located = np.isfinite(p_xyz).all(axis=1)
    district_counted = np.bincount(district[has], minlength=int(district.max()) + 1) > 0
    todo = np.flatnonzero(~has & located & district_counted[district])
    out = []
    for s in np.unique(side[todo]):
        donors = np.flatnonzero(has & located & (side == s))
        if len(donors) == 0:
            continue
        mine = todo[side[todo] == s]
        _, nearest = cKDTree(p_xyz[donors]).query(p_xyz[mine])
        out.append((mine, donors[nearest]))
    return out


def _jackknifed(
    votes: np.ndarray, size: np.ndarray, counted: np.ndarray, place: np.ndarray, pv: np.ndarray, pe: np.ndarray
) -> np.ndarray:
    """Each place's votes per elector from its counted tables, with the ratio's small-sample bias taken
    out (Quenouille's jackknife: n·R − (n − 1)·mean of the n rates leaving one table out; a place with
    one counted table keeps its ratio; no rate below zero).

    Why: a ratio of sums is biased by about 1/n of its tables' spread when votes are not proportional
    to electors, and the bias of every place adds up in the total. Where small tables vote more per
    elector (Russia 2012: turnout falls with a table's size, correlation −0.40 over the
    territorial commissions' 35 tables) the ratio put a random hold-out's projection +0.029 points
    off on average (± 0.005, 40 hold-outs of 10 to 50 %); the jackknifed rate +0.004 (± 0.005), its
    root-mean-square error 0.030 instead of 0.043. On Bolivia and Peru, whose places' votes are close
    to proportional to electors, it changes the projection by about 0.001 points."""
    n_places = len(pe)
    n = np.bincount(place[counted], minlength=n_places).astype(np.float64)
    rate = pv / np.maximum(pe, 1e-9)[:, None]
    idx = np.flatnonzero(counted & (n[place] >= 2))
    left_out = (pv[place[idx]] - votes[idx]) / np.maximum(pe[place[idx]] - size[idx], 1e-9)[:, None]
    mean_left_out = _per_group(place[idx], left_out, n_places) / np.maximum(n, 1)[:, None]
    return np.where((n >= 2)[:, None], np.maximum(n[:, None] * rate - (n[:, None] - 1) * mean_left_out, 0.0), rate)


def imputation_levels(counted: np.ndarray, level_keys: list[np.ndarray], min_donors: int = MIN_DONORS) -> np.ndarray:
    """For each uncounted table (in row order), the stratum its interval's draws come from: the finest
    level (index into ``level_keys``) whose area holds at least ``min_donors`` counted tables. At 0 the
    table's own area projects it; at ``li`` > 0 its level ``li - 1`` area has too little counted, and
    like-sized ``li - 1`` areas of its level ``li`` area stand in."""
    unc = np.flatnonzero(~counted)
    lvl = np.full(len(unc), len(level_keys) - 1)
    assigned = np.zeros(len(unc), dtype=bool)
    for li, keys in enumerate(level_keys[:-1]):
        ncount = np.bincount(keys[counted], minlength=int(keys.max()) + 1)
        ok = (~assigned) & (ncount[keys[unc]] >= min_donors)
        lvl[ok] = li
        assigned |= ok
    return lvl


def project(
    votes: np.ndarray,
    size: np.ndarray,
    counted: np.ndarray,
    level_keys: list[np.ndarray],
    winner: int,
    *,
    rival: int | None = None,
    bootstrap: int = 200,
    min_donors: int = MIN_DONORS,
    rng: np.random.Generator | None = None,
    coarse: Collection[int] = (),
    coordinates: np.ndarray | None = None,
) -> tuple[float, np.ndarray, dict[str, float]]:
    """Projected final share of ``winner`` (column index) from the ``counted`` rows, and bootstrap draws.

    With ``rival`` the projected figure is instead the margin winner − rival as a share of valid votes.

    ``votes`` is (n, k) per-choice votes, ``size`` the scaling of each table (electors, or 1),
    ``level_keys`` integer keys per stratum level from finest to coarsest (the last is national).
    ``coarse`` are the strata (indices) coarser than a table's own area and its wider one: tables
    imputed there are whole areas late, drawn by :func:`_whole_area_draws`. ``coordinates`` (per
    table, :func:`place_coordinates`) move the point of places with nothing counted to their nearest
    counted place's rate (:func:`place_rates`); the draws' spread stays that of like-sized places.
    Returns (point projection, bootstrap projections centred on it, and how many uncounted tables each
    level's draws imputed and the point took from their own place or from like places).
    """
    rng = rng or np.random.default_rng(0)
    # Only the winner, the rival and the rest enter the figure: three columns instead of every choice.
    rest = votes.sum(axis=1) - votes[:, winner] - (votes[:, rival] if rival is not None else 0)
    votes = np.column_stack([votes[:, winner], *([votes[:, rival]] if rival is not None else []), rest]).astype(np.float64)
    winner, rival = 0, (None if rival is None else 1)
    wc = votes[counted].sum(axis=0)
    unc = np.flatnonzero(~counted)
    if len(unc) == 0:
        share = _stat(wc[None, :], winner, rival)[0]
        return float(share), np.full(bootstrap, share), {}
    lvl = imputation_levels(counted, level_keys, min_donors)
    draws = np.zeros((bootstrap, votes.shape[1]))
    whole_areas = np.zeros((bootstrap, votes.shape[1]))  # the draws of tables in whole areas late
    stand_ins = np.zeros((bootstrap, votes.shape[1]))  # the draws of places like-sized sub-areas stand in for
    used: dict[str, float] = {}
    cluster_counts: list[tuple[np.ndarray, np.ndarray]] = []  # (donor sub-areas, electors they stand in for)
    for li, keys in enumerate(level_keys):
        sel = unc[lvl == li]
        if len(sel) == 0:
            continue
        used[_strata(len(level_keys))[li]] = len(sel)
        groups_needed = np.unique(keys[sel])
        donors = np.flatnonzero(counted & np.isin(keys, groups_needed))
        if len(donors) == 0:
            continue
        if li in coarse:
            # A stream of their own (spawned: the main stream does not move), so the other levels'
            # draws are the same whether or not some tables are whole areas late.
            whole = rng.spawn(1)[0]
            whole_areas += _whole_area_draws(votes, size, counted, level_keys[li - 1], keys, sel, bootstrap, whole)
            continue
        dk = keys[donors]
        order = donors[np.argsort(dk, kind="stable")]
        gk = keys[order]
        ng = int(keys.max()) + 1
        cnt = np.bincount(gk, minlength=ng)
        gv = _per_group(gk, votes[order], ng)
        gs = np.bincount(gk, weights=size[order], minlength=ng)
        if li == 0:
            # The area's own counted tables project its rest: ratio of sums (votes per elector) times
            # the table's electors. Its uncertainty has two parts: the rate's (the donors are a
            # sample of the area) and the tables' own spread around it. Both are sums over donors'
            # residuals e_d (votes minus rate times electors; zero in sum), so by the delta method
            # the area's imputed votes vary with covariance ((S_rest/S_donors)² + m_rest/n)·n/(n-1)·Σ e_d e_dᵀ
            # (n donors, m tables to project, S their electors), and the areas are independent:
            # one normal draw per replicate for all of them. Resampling donors per draw gave the
            # same spread at a hundred times the cost on a million tables; drawing a donor's own
            # votes per elector (a mean of ratios) missed the truth on random hold-outs.
            g = keys[sel]
            ratio = gv / np.maximum(gs, 1e-9)[:, None]
            resid = votes[order] - ratio[gk] * size[order][:, None]
            k = votes.shape[1]
            s_rest = np.bincount(g, weights=size[sel], minlength=ng)
            m_rest = np.bincount(g, minlength=ng)
            n_don = np.maximum(cnt, 2)
            weight = ((s_rest / np.maximum(gs, 1e-9)) ** 2 + m_rest / n_don) * n_don / (n_don - 1)
            w_d = weight[gk]
            cov = _residual_cov(resid, size[order], w_d, cnt[gk])
            draws += (gv[g] / np.maximum(gs[g], 1e-9)[:, None] * size[sel][:, None]).sum(axis=0)
            draws += rng.multivariate_normal(np.zeros(k), cov, size=bootstrap, method="eigh")
            continue
        # A coarser stratum stands in for the table's own area, which has no counted sheets: the
        # own area's unknown leaning is drawn as that of a random counted sub-area of the stratum.
        sub = level_keys[li - 1]
        miss, miss_inv = np.unique(sub[sel], return_inverse=True)
        miss_size = np.bincount(miss_inv, weights=size[sel])
        miss_group = np.zeros(len(miss), dtype=np.int64)
        miss_group[miss_inv] = keys[sel]
        ns = int(sub.max()) + 1
        sv = np.zeros((ns, votes.shape[1]))
        np.add.at(sv, sub[donors], votes[donors])
        ss = np.bincount(sub[donors], weights=size[donors], minlength=ns)
        has = np.flatnonzero(ss > 0)
        sub_ratio = sv / np.maximum(ss, 1e-9)[:, None]
        sub_group = np.zeros(ns, dtype=np.int64)
        sub_group[sub[donors]] = keys[donors]
        # Sub-areas of like size stand in first: the areas with nothing counted yet are mostly the
        # small ones (one or two tables: rural places), which vote unlike the big urban ones; drawing
        # any counted sub-area missed the realised margin on random hold-outs. The size class is the
        # number of tables the sub-area has in all (known before the count), by powers of two.
        tables_in = np.bincount(sub, minlength=ns)
        size_class = np.minimum(np.log2(np.maximum(tables_in, 1)).astype(np.int64), SIZE_CLASSES - 1)
        like = sub_group * SIZE_CLASSES + size_class
        s_order = has[np.argsort(like[has], kind="stable")]
        s_cnt = np.bincount(like[s_order], minlength=ng * SIZE_CLASSES)
        s_start = np.r_[0, np.cumsum(s_cnt)[:-1]]
        a_order = has[np.argsort(sub_group[has], kind="stable")]
        a_cnt = np.bincount(sub_group[a_order], minlength=ng)
        a_start = np.r_[0, np.cumsum(a_cnt)[:-1]]
        want = miss_group * SIZE_CLASSES + size_class[miss]
        matched = s_cnt[want] > 0
        first = np.where(matched, s_start[want], a_start[miss_group])
        among = np.where(matched, s_cnt[want], a_cnt[miss_group])
        pool = np.where(matched[:, None], 0, 1)  # which ordering the positions index
        cluster_counts.append((among, np.maximum(miss_size.astype(np.int64), 1)))
        # One draw per stratum, shared by all its missing sub-areas (each takes that rank among its
        # like-sized donors): the places not yet counted in a district lean together (they are late
        # for the same reasons), so their unknown leanings must not average out as independent
        # draws would. With one draw per size class instead, the interval at Bolivia's TREP halt
        # stopped short of the final margin.
        shared, shared_inv = np.unique(miss_group, return_inverse=True)
        for b in range(bootstrap):
            at = first + np.floor(rng.random(len(shared))[shared_inv] * among).astype(np.int64)
            pick = np.where(pool[:, 0] == 0, s_order[np.minimum(at, len(s_order) - 1)], a_order[np.minimum(at, len(a_order) - 1)])
            stand_ins[b] += (sub_ratio[pick] * miss_size[:, None]).sum(axis=0)
    imputed, how = point_imputation(votes, size, counted, level_keys, coordinates)
    point = float(_stat((wc + imputed)[None, :], winner, rival)[0])
    tot_b = wc[None, :] + draws + stand_ins.mean(axis=0) + whole_areas.mean(axis=0)
    shares = _stat(tot_b, winner, rival)
    if cluster_counts:
        # Few counted sub-areas stand in for the missing ones: the bootstrap understates their spread
        # (a small-sample cluster bootstrap); widen their draws by sqrt(m/(m-1)) and a t quantile, m the
        # typical number of donor sub-areas (weighted by the electors they stand in for). Only theirs:
        # widening every draw let a few places (147 of Russia 2012's 28,700 late tables in a random
        # hold-out, m = 2: a factor of 9) multiply the spread of the places projected from their own
        # counted tables, and the interval was four times as wide as the point's error.
        m = max(int(_weighted_median(*map(np.concatenate, zip(*cluster_counts, strict=True)))), 2)
        kappa = np.sqrt(m / (m - 1)) * stats.t.ppf(0.975, m - 1) / stats.norm.ppf(0.975)
        apart = _stat(tot_b + stand_ins - stand_ins.mean(axis=0), winner, rival) - shares
        shares = shares + kappa * (apart - apart.mean())
    # Whole areas late carry their own small-sample t (:func:`_whole_area_draws`): their spread is
    # added after the widening above, not widened again.
    shares = shares + _stat(tot_b + whole_areas - whole_areas.mean(axis=0), winner, rival) - _stat(tot_b, winner, rival)
    # The draws give the interval's spread; they are centred on the point (every place at its own,
    # shrunk, rate), which uses places with fewer counted tables than the draws can resample.
    # A margin (or share) of valid votes lies in [-1, 1]: recentring must not carry a draw past it.
    shares = np.clip(shares - float(np.median(shares)) + point, -1.0, 1.0)
    return point, shares, {**used, **how}


def _residual_cov(resid: np.ndarray, size: np.ndarray, weight: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The covariance of the imputed votes of areas projected from their own counted tables: each
    donor's residual outer product times its area's ``weight`` (:func:`project`), summed.

    An area with fewer than :data:`OWN_SPREAD` donors (with :data:`MIN_DONORS` below it) has
    too few residuals to say its own spread (one donor's residual is zero: no spread at all), so it
    takes the residual covariance per elector pooled over every donor of an area with two or more,
    times its donors' electors squared. Why: with each place drawn from its own counted tables, as
    the point is, a place with one counted table added nothing to the interval (docs/forensics.md,
    "Each place drawn from its own counted tables")."""
    few = n < OWN_SPREAD
    own = resid[~few].T @ (resid[~few] * weight[~few][:, None])
    if not few.any():
        return own
    per_elector = resid / np.maximum(size, 1e-9)[:, None]
    pool = n >= 2
    correction = n[pool] / np.maximum(n[pool] - 1, 1)
    pooled = per_elector[pool].T @ (per_elector[pool] * correction[:, None]) / max(int(pool.sum()), 1)
    # ``weight`` carries n/(n-1) for the area's own residuals; the pooled ones have theirs already.
    scale = float((weight[few] * (np.maximum(n[few], 2) - 1) / np.maximum(n[few], 2) * size[few] ** 2).sum())
    return own + scale * pooled


def _whole_area_draws(
    votes: np.ndarray,
    size: np.ndarray,
    counted: np.ndarray,
    sub: np.ndarray,
    group: np.ndarray,
    sel: np.ndarray,
    bootstrap: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of the votes of ``sel`` (uncounted tables whose ``sub`` areas have too little counted),
    each ``group`` area's missing sub-areas standing on how its counted sub-areas vary.

    Why not the like-sized donors' own rates, as for places within a municipality: whole areas late
    (a department, a province) are few, and a draw among a few counted areas never leaves their range,
    so a late area unlike all of them (Santa Cruz among Bolivia's departments) was outside the
    interval in 17 of 40 department hold-outs. Here the group's missing electors S take its counted
    sub-areas' mean rate plus one deviation shared by all of them (late areas lean together), drawn
    as a multivariate t prediction: the sub-areas' between-area covariance times (1 + 1/m), m of
    them, with m - 1 degrees of freedom; where a group has fewer than :data:`OWN_SPREAD` counted
    sub-areas (effective ones: below) the covariance is pooled over every group of the level (its
    degrees of freedom summed). Where no group has two counted sub-areas the spread cannot be
    estimated at all, and the missing votes are drawn over every margin they could give (all to the
    leader or all to the runner-up): an interval that says so, not a tight one from one area (Peru's
    first 200 tables gave +21.48 to +22.01).

    The mean and the covariance weigh each counted sub-area by its counted electors, and m is the
    effective number of them, (Σw)²/Σw² (Kish): what is projected is votes, and the missing votes
    sit mostly in the big areas, which differ from their neighbours more than small ones differ from
    one another (a city among rural municipalities). Unweighted, the spread was that of a typical
    (small, rural) area: on Bolivia's count sorted by geography, whole municipalities late were off
    by 1.67 times the spread drawn for them (the standard deviation of error over spread, 85
    hold-outs: ``benchmarks/count_order_levels.py``; La Paz projected from El Alto and the rural
    municipalities of Murillo, or the other way round: 4 and 3.4 points), and the intervals held the
    final margin 91 times in 100; weighted, 1.11 times, and 97 in 100 (docs/forensics.md, "Whole
    areas late weigh their electors").
    """
    k = votes.shape[1]
    don = np.flatnonzero(counted)
    s_key, s_inv = np.unique(sub[don], return_inverse=True)
    s_votes = _per_group(s_inv, votes[don], len(s_key))
    s_size = np.bincount(s_inv, weights=size[don], minlength=len(s_key))
    s_rate = s_votes / np.maximum(s_size, 1e-9)[:, None]
    s_group = np.zeros(len(s_key), dtype=np.int64)
    s_group[s_inv] = group[don]
    ng = int(group.max()) + 1
    m = np.bincount(s_group, minlength=ng)
    # Each sub-area weighs its counted electors: v1 = Σw and v2 = Σw² per group, the effective number
    # of sub-areas v1²/v2, and the unbiased weighted covariance Σw·dev·devᵀ / (v1 − v2/v1).
    v1 = np.bincount(s_group, weights=s_size, minlength=ng)
    v2 = np.bincount(s_group, weights=s_size**2, minlength=ng)
    m_eff = np.where(m > 0, v1**2 / np.maximum(v2, 1e-18), 0.0)
    mean = _per_group(s_group, s_rate * s_size[:, None], ng) / np.maximum(v1, 1e-9)[:, None]
    dev = s_rate - mean[s_group]
    w_dev = dev * s_size[:, None]
    denom = v1 - v2 / np.maximum(v1, 1e-9)
    several = (m >= 2)[s_group]
    df_pool = float((m_eff[m >= 2] - 1).sum())
    pooled = dev[several].T @ w_dev[several] / max(float(denom[m >= 2].sum()), 1e-9)
    g_need, g_inv = np.unique(group[sel], return_inverse=True)
    s_miss = np.bincount(g_inv, weights=size[sel])
    everyone = votes[don].sum(axis=0) / max(float(size[don].sum()), 1e-9)
    out = np.zeros((bootstrap, k))
    for g, s_g in zip(g_need, s_miss, strict=True):
        mu = mean[g] if m[g] > 0 else everyone
        own = m_eff[g] >= OWN_SPREAD
        df = m_eff[g] - 1 if own else df_pool
        if df < 1:
            # Nothing to estimate how areas vary from: every margin the missing votes could give.
            rate = np.tile(mu, (bootstrap, 1))
            other = 1 if k > 2 else k - 1
            two = mu[0] + mu[other]
            rate[:, 0] = rng.uniform(0.0, 1.0, bootstrap) * two
            rate[:, other] = two - rate[:, 0]
        else:
            mine = s_group == g
            cov = (dev[mine].T @ w_dev[mine] / max(float(denom[g]), 1e-9) if own else pooled) * (1 + 1 / max(m_eff[g], 1.0))
            z = rng.multivariate_normal(np.zeros(k), cov, size=bootstrap, method="eigh")
            # A rate is votes per elector: none below zero (a t draw's tail would give negative votes).
            rate = np.maximum(mu + z * np.sqrt(df / rng.chisquare(df, bootstrap))[:, None], 0.0)
        out += s_g * rate
    return out


INTERVAL_QUANTILE = "weibull"
"""How the interval's ends are read from the bootstrap draws: the k-th of B draws with k = (B + 1)·p,
below which a new draw of the same law falls with chance p exactly. numpy's default (linear, k =
(B − 1)·p + 1) sits inside that: with the 100 draws of a calibration run a final margin drawn like
the draws falls outside 6.9 % of the time, not 5 % (7.25 % of 400 clean elections shaped like
Bolivia's were flagged), and 5.9 % with 200 draws (a default run's until session 13; now 2,000)."""


NO_ORDER = (
    "the store holds no order of the count: every sheet in it was recorded at one moment (a file loaded at "
    "once), and the order of a file's rows is not the order of the count, so no story about the count's order "
    "is told. Give the real order with --order CSV (column table, optional at: a time or a rank), or record "
    "sheets as they arrive (intake), whose times are the order."
)


def _keys(f: pl.DataFrame, abroad: Collection[str] = ()) -> list[np.ndarray]:
    """Integer keys per stratum level, finest first; a table without a polling place uses its district.

    With ``abroad`` (top-level codes of voting abroad) and tables on both sides, a level between the
    top areas and the nation keeps them apart (:data:`POPULATION`): a table abroad with nothing
    counted in its own areas takes the counted tables abroad, not the nation's, which vote unlike them.
    """
    keys = []
    for lv in STRATA:
        if lv == "national":
            if abroad and tf.DEPARTMENT in f.columns:
                out = f[tf.DEPARTMENT].is_in(list(abroad)).to_numpy()
                if 0 < int(out.sum()) < f.height:
                    keys.append(out.astype(np.int64))
            keys.append(np.zeros(f.height, np.int64))
            continue
        k = fr.level_keys(f, lv)
        if lv == tf.POLLING_PLACE:
            k = np.where(k >= 0, k, fr.level_keys(f, tf.DISTRICT) + int(k.max()) + 2)
        keys.append(_dense(k))
    return keys


def _strata(n_levels: int) -> tuple[str, ...]:
    """The names of ``n_levels`` stratum levels (:func:`_keys`): with domestic and abroad apart, one more."""
    return STRATA if n_levels == len(STRATA) else (*STRATA[:-1], POPULATION, STRATA[-1])


def stratum_names(f: pl.DataFrame, n_levels: int, level_names: Mapping[str, str] | None = None) -> list[str]:
    """The election's own name of each of ``n_levels`` stratum levels (:func:`_keys`), finest first.

    Why: the strata are the frame's columns, and a column can hold a coarser level again (Peru has
    no polling places, so its first stratum is its districts; Russia's district column repeats its
    territorial commissions). A projection must say which areas it actually used, as the election
    calls them, not the column it read. ``level_names`` maps a column to that name (the column's own
    name where it has none).
    """
    names = dict(level_names or {})
    return [names.get(col, col) if col != POPULATION else POPULATION for col in stratum_columns(f, n_levels)]


def stratum_columns(f: pl.DataFrame, n_levels: int) -> list[str]:
    """The frame column each stratum level's keys come from (:func:`_keys`): a frame without polling
    places takes its districts as its finest stratum."""
    no_place = tf.POLLING_PLACE not in f.columns or f[tf.POLLING_PLACE].null_count() == f.height
    return [tf.DISTRICT if lv == tf.POLLING_PLACE and no_place else lv for lv in _strata(n_levels)]


def wider_and_coarse(names: list[str]) -> tuple[str, list[int]]:
    """The area a place with nothing counted borrows like-sized places from (the next level up that
    is another level of the election: the strata repeat a level the election does not split further),
    and the strata coarser than it: a table projected from one of those is in areas with too little
    counted to project it (its own area and its wider one both lack counted tables)."""
    finest = names[0]
    wider = next((n for n in names[1:] if n != finest and n != POPULATION), "national")
    return wider, [li for li, nm in enumerate(names) if nm not in (finest, wider)]


def _by_name(used: dict[str, float], strata: tuple[str, ...], names: list[str]) -> dict[str, float]:
    """``used`` (tables imputed per stratum, and how the point took them) keyed by the election's names
    (:func:`stratum_names`); strata holding one level again add up under its name (only the finest
    of them ever imputes: they have the same counted tables)."""
    out: dict[str, float] = {}
    renamed = {"own_place": "own_area", "like_places": "like_areas"}
    for key, value in used.items():
        if key in strata:
            name = names[strata.index(key)]
            out[name] = out.get(name, 0) + value
        else:
            out[renamed.get(key, key)] = value
    return out


def test(
    frame: pl.DataFrame,
    *,
    winner: str,
    checkpoints: tuple[float, ...] = (0.25, 0.5, 0.75),
    bootstrap: int = 2000,
    curve_bootstrap: int = 20,
    min_donors: int = MIN_DONORS,
    order_label: str | None = "the order column",
    alpha: float = 0.05,
    seed: int = 0,
    abroad: Collection[str] = (),
    level_names: Mapping[str, str] | None = None,
    choice_names: Mapping[str, str] | None = None,
    places_source: str | None = None,
) -> ForensicResult:
    """The final margin projected from the tables counted so far (in the real order) to the rest.

    ``bootstrap`` draws give the interval of the judged cut (and of every moment of a short order):
    2,000, because its ends are the 2.5 and 97.5 % quantiles of the draws, and with 200 they moved by
    up to 0.035 points with ``seed`` alone (Bolivia's TREP halt: upper end 10.553 to 10.588 over seeds
    0-9, the final +10.565 outside for 7 of them; 10.543 to 10.565 with 2,000, outside for all ten),
    at half a second of CPU on a million tables.

    Tables with an ``order`` are counted, in that order; counted sheets without one were counted
    later. The last cut is every table with an order: the margin between the final leader and
    runner-up (points of valid votes) is projected to the rest from the finest area with enough
    counted tables (polling place, district, province, department, nation), each uncounted table
    weighted by its electors (its area's votes per elector), with a two-stage bootstrap interval.
    With ``abroad`` (top-level codes of voting abroad) tables abroad are projected from tables abroad
    and domestic ones from domestic ones before the nation stands in (:func:`_keys`).
    The realised margin is the frame's own count of every counted table. ``level_names`` (frame
    column -> the election's name) words the areas used as the election calls them: the finest one
    the election has (Peru: its districts), never a level it does not have (:func:`stratum_names`).
    ``choice_names`` (id -> the election's name) words the leader and runner-up; the estimates keep the ids.
    ``places_source`` names the file the frame's ``latitude`` and ``longitude`` came from (``--places``):
    the result says whose coordinates they are and how many late tables stood on a nearest place.
    """
    name = "count_order.projection"
    f = fr.counted(frame)
    if order_label is None or tf.ORDER not in frame.columns or frame[tf.ORDER].null_count() == frame.height:
        return not_applicable(name, NO_ORDER)
    if f[tf.ORDER].null_count() == f.height:
        listed = frame.filter(pl.col(tf.ORDER).is_not_null())
        states = ", ".join(f"{n:,} {s}" for s, n in sorted(listed.group_by(tf.STATE).len().iter_rows()))
        return not_applicable(
            name,
            f"none of the tables in {order_label} is counted ({states}): there is no count to project from.",
        )
    cols = fr.choice_columns(f)
    wcol = tf.choice_column(winner)
    n_listed = f.height - f[tf.ORDER].null_count()
    if wcol not in cols or len(cols) < 2:
        return not_applicable(name, "needs the leader's votes and a runner-up's.")
    if n_listed < MIN_LISTED:
        return not_applicable(
            name,
            f"{order_label} lists {n_listed:,} counted table{'' if n_listed == 1 else 's'}; "
            f"at least {MIN_LISTED} are needed to project from.",
        )
    # A live count: tables on the roll with no sheet yet are still to count. They join the rest
    # (after every counted table) at their electors and areas, so the projection is to the whole
    # roll, and no final margin is reported while any is missing.
    f, n_pending = with_tables_to_come(frame, f)
    # The counted tables in the order of the count (unlisted ones last). Area keys are read off the
    # counted frame every family shares and permuted, not computed again on a sorted copy (5 s of a
    # million tables).
    # Ties (tables counted at one moment) are put in table order: which of them comes first means
    # nothing, and nothing below may depend on it.
    rank = f[tf.ORDER].fill_null(np.iinfo(np.int64).max - 1).to_numpy().copy()
    if n_pending:
        rank[f[tf.STATE].to_numpy() == PENDING] = np.iinfo(np.int64).max
    perm = np.lexsort((f[tf.TABLE].cast(pl.Utf8).to_numpy(), rank))
    level_keys = [k[perm] for k in _keys(f, abroad)]
    strata = _strata(len(level_keys))
    names = stratum_names(f, len(level_keys), level_names)
    finest, finest_word = names[0], level_word(names[0])
    # The area a place with nothing counted borrows like-sized places from: the next level up that is
    # another level of the election (the strata repeat a level the election does not split further).
    wider, coarse_idx = wider_and_coarse(names)
    wider_word = "the nation" if wider == "national" else f"its {level_word(wider)}"
    f = f[perm]
    rank = rank[perm]
    coordinates = place_coordinates(f)
    # What a place with nothing counted is projected from, in words (the coordinates are the source's,
    # vouched for by nobody here: Bolivia's recintos' have no documented origin).
    fallback = f"like-sized {_plural(finest_word)} of {wider_word}"
    if coordinates is not None:
        fallback = (
            f"the nearest counted {finest_word} where {wider_word} has counted ones (by the places' coordinates "
            f"{_whose(places_source)}), else {fallback}"
        )
    w = cols.index(wcol)
    votes = np.column_stack([fr.as_int(f, c) for c in cols]).astype(np.float64)
    size = fr.as_float(f, tf.ELECTORS) if fr.has_electors(f) else np.ones(f.height)
    size = np.where(np.isfinite(size) & (size > 0), size, np.nanmedian(size) if np.isfinite(size).any() else 1.0)
    n = f.height
    final_totals = votes.sum(axis=0)
    rival = int(np.argsort(-np.where(np.arange(len(cols)) == w, -np.inf, final_totals))[0])
    final = n_pending == 0
    realised = float((final_totals[w] - final_totals[rival]) / max(final_totals.sum(), 1.0))
    complete = n_listed == n
    cuts = cut_points(rank[:n_listed], checkpoints, complete=complete)
    content = content_hashes(f[tf.TABLE].cast(pl.Utf8).to_list())
    judged_k = judged_cut(cuts, complete)
    # Real moments (a few snapshots) are each worth a full interval; checkpoints of a long rank are a curve.
    n_moments = len(np.unique(rank[:n_listed]))
    every_moment = len(cuts) == n_moments
    proj = []
    for k in cuts:
        # Each cut's draws are seeded by what it holds (the set of tables counted), not by the cuts
        # before it: the same counted set gives the same interval whatever else the order says.
        rng = np.random.default_rng([seed, int(content[k - 1])])
        counted = np.zeros(n, dtype=bool)
        counted[:k] = True
        last = k == judged_k
        point, draws, used = project(
            votes,
            size,
            counted,
            level_keys,
            w,
            rival=rival,
            bootstrap=bootstrap if last or every_moment else curve_bootstrap,
            min_donors=min_donors,
            rng=rng,
            coarse=coarse_idx,
            coordinates=coordinates,
        )
        if last:
            judged_draws, judged_counted = draws, counted
        ends = verdicts.interval_ends(draws, alpha, INTERVAL_QUANTILE)
        so_far = votes[:k].sum(axis=0)
        coarse = np.isin(imputation_levels(counted, level_keys, min_donors), coarse_idx)
        proj.append(
            {
                "tables_counted": k,
                "fraction_counted": k / n,
                "margin_so_far_points": 100 * float(_stat(so_far[None, :], w, rival)[0]),
                "projected_margin_points": 100 * point,
                "low": 100 * ends[0],
                "high": 100 * ends[1],
                "imputed_by_level": _by_name(used, strata, names),
                "tables_from_coarser_areas": int(coarse.sum()),
                "share_from_coarser_areas": float(size[k:][coarse].sum() / max(float(size[k:].sum()), 1e-9)),
            }
        )
    w_id, r_id = winner, cols[rival].removeprefix(tf.CHOICE_PREFIX)
    w_name, r_name = choice_word(w_id, choice_names), choice_word(r_id, choice_names)
    last = next(c for c in proj if c["tables_counted"] == judged_k)
    told = last["tables_counted"] < n  # a cut with tables still to count: a projection to judge
    # The final margin against the judged cut's draws: a p-value, with more draws while it is at alpha
    # (count_order_verdict), so the verdict does not turn on the seed; the interval's ends from all of them.
    verdict = (
        verdicts.decide(
            judged_draws,
            realised,
            alpha,
            lambda b, r: project(
                votes,
                size,
                judged_counted,
                level_keys,
                w,
                rival=rival,
                bootstrap=b,
                min_donors=min_donors,
                rng=np.random.default_rng([seed, int(content[judged_k - 1]), r]),
                coarse=coarse_idx,
            )[1],
            method=INTERVAL_QUANTILE,
        )
        if told and final
        else None
    )
    if verdict is not None:
        last.update(low=100 * verdict.low, high=100 * verdict.high)
    at_edge = verdict is not None and verdict.outside is None
    inside = verdict.outside is False if verdict is not None else last["low"] <= 100 * realised <= last["high"]
    informative = not last["low"] <= last["margin_so_far_points"] <= last["high"]
    # "Explained" needs an interval that says something: one that holds the final margin and leaves
    # out the margin at the cut (so it tells a late shift from none). Outside it: not explained. And
    # it needs the late tables' own areas to have been counted: where most of what is left is
    # projected from coarser areas (whole municipalities or departments late), the projection stands
    # on how unlike areas vote, which the counted ones cannot say (the first 60 % of Bolivia by
    # department was "not explained" at +21.47 against a final +10.56, projected from the nation).
    too_coarse = last["share_from_coarser_areas"] > MOST_COARSE
    explained: bool | None = (
        None if too_coarse or not final or at_edge else (False if not inside else (True if informative else None))
    )
    point_error: dict[str, dict[str, float]] | None = None
    # How many late tables stood on a neighbour's rate, said in words and in the estimates (whose places).
    n_near = _late_from_nearest(judged_k, level_keys, coordinates) if told and coordinates is not None else None
    n_unlocated = 0 if coordinates is None else int((~np.isfinite(coordinates).all(axis=1)).sum())
    if not told:
        reading = (
            f"Every counted table is in {order_label} with no earlier cut to project from, so the count is "
            f"complete: the final margin {w_name} − {r_name} is {100 * realised:+.2f} points of valid votes."
        )
    else:
        k = last["tables_counted"]
        where = (
            f"With the {k:,} tables of {order_label} counted ({100 * k / n:.1f} % of the {n:,} tables counted or "
            f"still to come: {n_pending:,} on the roll have no sheet yet)"
            if not final
            else f"With the {k:,} tables of {order_label} counted ({100 * k / n:.1f} % of the {n:,} counted tables)"
            if not complete
            else f"At the last moment of {order_label} before the end, with {k:,} of the {n:,} counted tables in "
            f"({100 * k / n:.1f} %)"
            if every_moment
            else f"At the last moment of {order_label} that leaves at least {100 * JUDGED_LEFT:.0f} % of the counted "
            f"tables to count, with {k:,} of the {n:,} in ({100 * k / n:.1f} %; an order of "
            f"{n_moments:,} moments is judged where a late shift can still show, not with one table left)"
        )
        earlier = [c for c in proj if c["tables_counted"] < k]
        before = (
            ""
            if not earlier or len(earlier) > 3
            else "Earlier in the count: "
            + "; ".join(
                f"with {c['tables_counted']:,} tables ({100 * c['fraction_counted']:.1f} %) the margin stood at "
                f"{c['margin_so_far_points']:+.2f} and the projection gave {c['projected_margin_points']:+.2f} "
                f"({c['low']:+.2f} to {c['high']:+.2f})"
                for c in earlier
            )
            + "."
        )
        electors = fr.has_electors(f)
        n_coarse = last["tables_from_coarser_areas"]
        how = [
            *([] if electors else ["without a roll each table weighs one"]),
            f"or, where nothing there is counted yet, at {fallback}",
            *(
                [
                    f"{n_coarse:,} table{'' if n_coarse == 1 else 's'} whose {level_word(wider)} has "
                    f"{_too_few(min_donors)} {'is' if n_coarse == 1 else 'are'} projected from "
                    f"like-sized areas within {_coarser_words(last['imputed_by_level'], names, coarse_idx)}"
                ]
                if n_coarse
                else []
            ),
        ]
        # Margins held against the interval's ends are given to 3 decimals: at 2, a final +10.565 read
        # "+10.56" beside an upper end of "+10.56" (+10.559) though it was outside.
        reading = (
            f"{where}, the margin {w_name} − {r_name} stood at {last['margin_so_far_points']:+.3f} points "
            f"of valid votes. Projecting each table not yet counted from the votes per "
            f"{'elector' if electors else 'table'} already counted at its own {finest_word} ({'; '.join(how)}) "
            "gives a final margin of "
            f"{last['projected_margin_points']:+.3f} points ({100 * (1 - alpha):g} % interval {last['low']:+.3f} to "
            f"{last['high']:+.3f})"
            + (
                f"; the final count gave {100 * realised:+.3f} ({verdicts.p_words(verdict, alpha)}): of the "
                f"{100 * realised - last['margin_so_far_points']:+.2f} points the margin moved after this cut, the "
                "projection accounts for "
                f"{last['projected_margin_points'] - last['margin_so_far_points']:+.2f}. "
                if final
                else ". "
            )
            + (
                f"The count is not complete ({n_pending:,} tables on the roll have no sheet yet): there is no final "
                "margin to hold the projection against, and no late shift to explain yet."
                if not final
                else f"Most of the tables still to count ({n_coarse:,} of {n - k:,}, "
                f"{100 * last['share_from_coarser_areas']:.0f} % of their {'electors' if electors else 'weight'}) are in "
                "areas with too little "
                f"counted to project them: their {level_word(wider)} has {_too_few(min_donors)}, so "
                "they stand on how other areas voted, and the projection cannot say whether where the late tables "
                "are explains the shift."
                if too_coarse
                else verdicts.edge_words(verdict, alpha, realised)
                if verdict is not None and at_edge
                else {
                    True: "The late shift is explained by where the late tables are: the interval holds the final "
                    "margin and not the margin at this cut.",
                    False: _outside_words(
                        100 * realised,
                        last,
                        w_name,
                        r_name,
                        f"the counted tables of their own {_plural(finest_word)} and {_plural(level_word(wider))}"
                        if not n_coarse
                        else "the counted tables of the areas they were projected from",
                    ),
                    None: "The interval holds the margin at this cut as well as the final one: it cannot tell a late "
                    "shift from none, so it cannot say whether where the late tables are explains the shift.",
                }[explained]
            )
        )
        if explained is None:
            reading = f"Cannot tell: {reading[0].lower()}{reading[1:]}"
        if n_near is not None:
            reading = (
                f"{reading} {n_near:,} of the {n - k:,} tables still to count {'was' if n_near == 1 else 'were'} "
                f"projected from the nearest counted {finest_word}, by the coordinates {_whose(places_source)}"
                + ("" if places_source is None else ": taken as that file gives them; where they come from is for it to say")
                + f"; {_unlocated_words(n_unlocated, len(coordinates))}."
            )
        if final:
            point_error = _point_error(votes, size, k, level_keys, w, rival, coordinates)
            reading = f"{reading} {_point_error_words(point_error, 100 * realised, last, w_name, finest_word, fallback)}"
        reading = f"{reading} {before}".rstrip()
    return ForensicResult(
        test=name,
        statistic=None if not told else last["projected_margin_points"],
        statistic_name="projected_margin_points",
        p_value=None if verdict is None else verdict.p_value,
        interval=None if not told else (last["low"], last["high"]),
        reading=reading,
        caveats=(
            "Within an area, late tables can differ from early ones for plain reasons (remote tables travel "
            "further); the projection assumes they do not.",
        ),
        estimates={
            "order": order_label,
            "finest_level": finest,
            "leader": w_id,
            "runner_up": r_id,
            "tables_in_order": n_listed,
            "tables_counted_at_cut": last["tables_counted"],
            "tables_counted_in_all": n - n_pending,
            "projected_margin_points": None if not told else last["projected_margin_points"],
            "low": None if not told else last["low"],
            "high": None if not told else last["high"],
            "tables_without_sheet": n_pending,
            "realised_margin_points": 100 * realised if final else None,
            "realised_inside_interval": None if not told or not final or at_edge else inside,
            "p_value_monte_carlo_interval": None if verdict is None else [verdict.p_low, verdict.p_high],
            "at_edge_of_interval": None if verdict is None else at_edge,
            "outside_interval_by_points": None
            if not told or not final or inside or at_edge
            else max(100 * realised - last["high"], last["low"] - 100 * realised),
            "point_error_points": None if point_error is None else last["projected_margin_points"] - 100 * realised,
            "point_error_by_source": point_error,
            "interval_excludes_margin_so_far": None if not told else informative,
            "late_shift_explained": None if not told else explained,
            "share_from_coarser_areas": None if not told else last["share_from_coarser_areas"],
            "cuts": proj,
            "places": None
            if coordinates is None
            else {
                "source": places_source,
                "tables_located": int(np.isfinite(coordinates).all(axis=1).sum()),
                "tables_without_coordinates": n_unlocated,
                "late_tables_from_nearest_place": n_near,
            },
        },
        null="two-stage bootstrap within areas (donor tables, then each uncounted table)",
        draws=bootstrap if verdict is None else verdict.draws,
        level=stratum_columns(f, len(level_keys))[0],
        status="ok" if told and explained is not None else "not_applicable",
        decided=None if not told or explained is None else not explained,
    )


def _unlocated_words(n_unlocated: int, n: int) -> str:
    """How many of the election's tables have no coordinates, in words: their places cannot be a
    neighbour's or take one (a reader weighs the projection by how much of the map is known)."""
    if not n_unlocated:
        return f"every one of the election's {n:,} tables has coordinates"
    return f"{n_unlocated:,} of the election's {n:,} tables {'has' if n_unlocated == 1 else 'have'} no coordinates"


def _whose(places_source: str | None) -> str:
    """Whose the coordinates are, in words: the person's file (``--places``), or the frame's source.
    Why said at all: nobody here vouches for them (Bolivia's cómputo gives no origin for its own)."""
    if places_source is None:
        return "as the source gives them"
    return f"in {places_source}, the file given"


def _late_from_nearest(k: int, level_keys: list[np.ndarray], coordinates: np.ndarray) -> int:
    """How many of the tables after the first ``k`` (counted) are projected from a nearest counted place."""
    place = level_keys[0]
    has = np.bincount(place[:k], minlength=int(place.max()) + 1) > 0
    near = [mine for mine, _ in nearest_counted(has, place, level_keys, coordinates)]
    return int(np.isin(place[k:], np.concatenate(near)).sum()) if near else 0


def _outside_words(realised: float, last: Mapping, w_name: str, r_name: str, projected_from: str) -> str:
    """A final margin outside the interval, as what is observed and no more: by how much, which way,
    and what the projection cannot see. Why: the miss says that the late tables voted unlike
    ``projected_from``, not why; it is no accusation, and Bolivia's TREP halt misses by 0.006 points."""
    above = realised > last["high"]
    end = last["high"] if above else last["low"]
    beyond = abs(realised - end)
    return (
        f"The final margin is outside the projection: the late tables moved the margin further toward "
        f"{w_name if above else r_name} than where they are explains, by {beyond:.3f} points beyond the interval's "
        f"{'upper' if above else 'lower'} end (the final {realised:+.3f} against {end:+.3f}; they voted unlike "
        f"{projected_from}). That is what is observed, not "
        "its cause: the projection "
        "sees only where the late tables are, and late tables can differ from the early ones of their own areas for "
        f"plain reasons (remote tables travel further and are counted last); {held_out_by_area()}."
    )


def _point_error(
    votes: np.ndarray,
    size: np.ndarray,
    k: int,
    level_keys: list[np.ndarray],
    winner: int,
    rival: int,
    coordinates: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """At a finished count, the point's error at the cut of the first ``k`` tables split by where each
    late table's rate came from (:mod:`escrutinio.forensics.count_order_error`)."""
    rest = votes.sum(axis=1) - votes[:, winner] - votes[:, rival]
    three = np.column_stack([votes[:, winner], votes[:, rival], rest])
    counted = np.arange(len(three)) < k
    rate, own = place_rates(three, size, counted, level_keys, coordinates)
    place = level_keys[0]
    projected = np.where(counted[:, None], three, rate[place] * size[:, None])
    return count_order_error.by_source(count_order_error.per_table_error(three, projected), ~counted, own[place])


def _point_error_words(
    parts: Mapping[str, Mapping[str, float]], realised: float, last: Mapping, w_name: str, finest: str, fallback: str
) -> str:
    """The point's miss in words: how far, from which late tables, and that the tables counted cannot
    show it. Why: "explained" says the interval holds the final margin; a reader must also see how much
    of the shift the point left out (Bolivia's TREP halt: 0.19 points) and where, not guess it."""
    miss = last["projected_margin_points"] - realised
    if abs(miss) < 0.005:
        return "The projection's point is within 0.005 points of the final margin."
    own, like = parts["own_area"], parts["like_areas"]
    share = own["share_points"] + like["share_points"]
    turnout = own["turnout_points"] + like["turnout_points"]
    return (
        f"The projection's point is {miss:+.2f} points off the final margin: {_points(own['points'])} from the "
        f"{own['tables']:,} late tables of {_plural(finest)} with counted tables and {_points(like['points'])} from "
        f"the {like['tables']:,} of {_plural(finest)} with nothing counted (projected from {fallback}); "
        f"{_points(share)} of it in the margin's share of valid votes, {_points(turnout)} in turnout. A "
        f"part below zero is late tables adding more to {w_name}'s margin than the counted tables they were "
        "projected from gave, a lean the tables counted at this cut cannot show."
    )


def _too_few(min_donors: int) -> str:
    """Too few counted tables for an area to stand in, in words (never "fewer than 1 counted tables")."""
    return "no counted table" if min_donors <= 1 else f"fewer than {min_donors} counted tables"


def _points(x: float) -> str:
    """Points with a sign and two decimals, never "-0.00"."""
    return f"{0.0 if abs(x) < 0.005 else x:+.2f}"


MIN_LISTED = 50
"""Fewer counted tables in the order than this leave too few donors to project anything from."""

PENDING = "pending"
"""The state of a table on the roll with no sheet yet (:data:`escrutinio.domain.table_frame.SHEET_STATES`)."""


def with_tables_to_come(frame: pl.DataFrame, counted: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The counted tables and, on a live count, the tables on the roll with no sheet yet (zero votes,
    their electors and areas), with how many of those there are.

    Why: on election night most of the roll has no sheet; projecting only to the counted tables
    would call the counted ones "the final count". Tables at the dispute body, annulled or never
    installed are not among them: what happens to them is a ruling, not a count (``stakes``).
    """
    if tf.STATE not in frame.columns:
        return counted, 0
    pending = (frame[tf.STATE] == PENDING).to_numpy()
    n_pending = int(pending.sum())
    if not n_pending:
        return counted, 0
    return fr.subset(frame, pending | frame[tf.STATE].is_in(list(tf.COUNTED_STATES)).to_numpy()), n_pending


MOST_COARSE = 0.5
"""Above this share of the electors still to count projected from coarser areas than their own and
its wider one, the projection cannot tell (those areas have too little counted to project them)."""


def _coarser_words(imputed: Mapping[str, float], names: list[str], coarse_idx: list[int]) -> str:
    """The coarser levels the projection stood on, in the election's words (``their province, their
    department or the country (or abroad, for tables abroad)``)."""
    used = [names[li] for li in coarse_idx if imputed.get(names[li])]
    words = [
        "the whole count"
        if nm == "national"
        else "the country (or abroad, for tables abroad)"
        if nm == POPULATION
        else f"their {level_word(nm)}"
        for nm in dict.fromkeys(used)
    ]
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1] if words else "wider areas"


def _plural(word: str) -> str:
    """An area word in the plural (``polling places``, ``territorial commissions``, ``municipalities``)."""
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


MAX_MOMENTS = 12
"""An order with at most this many moments is cut at every one of them (a TREP snapshot, the next
day's, the rest: each is a real moment of the count). More moments (a plain rank, one table after
another, or the times intake recorded) are cut at the checkpoints instead, plus the moment the story
is judged at (:data:`JUDGED_LEFT`)."""

JUDGED_LEFT = 0.2
"""An order of more than :data:`MAX_MOMENTS` moments is judged at its last moment that leaves at
least this share of its tables still to count. Why not the last moment before the end: in a full
rank (one table a moment, as intake's arrival times give) that leaves one table, whose projection's
interval holds the margin at the cut and the final one alike, so the story nearly always read
"cannot tell". A fifth left is about where a count is read for its late shift (Bolivia's TREP
halted with 16 % of the actas to come)."""


def cut_points(rank: np.ndarray, checkpoints: tuple[float, ...], *, complete: bool = True) -> list[int]:
    """Where the count can be cut: after the last table of a moment (``rank`` sorted, one per listed
    table). Tables of one moment are never split between cuts.

    Every moment the order gives is a cut when there are at most :data:`MAX_MOMENTS` of them: a
    snapshot is a real moment wherever it falls (the TREP halt at 83.85 % fell past the 75 %
    checkpoint and was dropped when only checkpoints were cuts). With more, each checkpoint (a share
    of the listed tables) takes the last moment ending at or before it, up to the moment the story
    is judged at, which is always a cut (:func:`judged_cut`). ``complete``: every counted table is
    listed, so the last listed moment is the end itself.
    """
    n = len(rank)
    ends = np.r_[np.flatnonzero(np.diff(rank)) + 1, n].astype(np.int64)
    if len(ends) <= MAX_MOMENTS:
        return [int(e) for e in ends]
    judged = last_meaningful_moment(ends) if complete else n
    cuts = {n, judged}
    for c in checkpoints:
        at = ends[ends <= min(round(c * n), judged)]
        if len(at):
            cuts.add(int(at[-1]))
    return sorted(cuts)


def last_meaningful_moment(ends: np.ndarray) -> int:
    """Of a complete order's moment ends (the last is the end itself), the last that leaves at least
    :data:`JUDGED_LEFT` of the tables to count; where none does, the first moment (the one leaving
    the most)."""
    n = int(ends[-1])
    early = ends[:-1][ends[:-1] <= np.floor((1 - JUDGED_LEFT) * n)]
    return int(early[-1]) if len(early) else int(ends[0])


def judged_cut(cuts: list[int], complete: bool) -> int:
    """The cut the story is told at: the last one before the end. In a complete order (every counted
    table listed) the last cut is the end itself, so the one before it: the last moment before the
    end for an order of a few moments, the last leaving a fifth to count for a longer one
    (:data:`JUDGED_LEFT`); in an incomplete one the unlisted tables come later, so the last cut listed."""
    return cuts[-2] if complete and len(cuts) > 1 else cuts[-1]


def content_hashes(tables: list[str]) -> np.ndarray:
    """For each k, a number that depends only on the set of the first k ``tables`` (a running sum of
    each id's CRC-32): the seed of a cut's draws, so equal sets get equal intervals."""
    import zlib

    crc = np.fromiter((zlib.crc32(t.encode()) for t in tables), dtype=np.uint64, count=len(tables))
    return np.cumsum(crc, dtype=np.uint64)


def coverage(
    frame: pl.DataFrame,
    *,
    winner: str,
    trials: int = 40,
    held_out: float = 0.3,
    bootstrap: int = 200,
    seed: int = 0,
    abroad: Collection[str] = (),
    level_names: Mapping[str, str] | None = None,
) -> dict[str, float | int]:
    """How often the projection's 95 % interval holds the realised margin, on a finished count.

    Two kinds of hold-out, ``trials`` each: a random ``held_out`` share of the tables, and whole
    departments (drawn until about ``held_out`` of the tables are out) — the late tables of a real
    count are geographic, so the second is the one that matters. Returns the share covered per kind.
    """
    f = fr.counted(frame)
    cols = fr.choice_columns(f)
    w = cols.index(tf.choice_column(winner))
    votes = np.column_stack([fr.as_int(f, c) for c in cols]).astype(np.float64)
    size = fr.as_float(f, tf.ELECTORS) if fr.has_electors(f) else np.ones(f.height)
    size = np.where(np.isfinite(size) & (size > 0), size, np.nanmedian(size) if np.isfinite(size).any() else 1.0)
    keys = _keys(f, abroad)
    _, coarse = wider_and_coarse(stratum_names(f, len(keys), level_names))
    totals = votes.sum(axis=0)
    rival = int(np.argsort(-np.where(np.arange(len(cols)) == w, -np.inf, totals))[0])
    realised = float(_stat(totals[None, :], w, rival)[0])
    rng = np.random.default_rng(seed)
    department = keys[STRATA.index(tf.DEPARTMENT)]
    out: dict[str, float | int] = {"trials": trials, "held_out": held_out}
    for kind in ("random", "geographic"):
        inside, widths, errors = 0, [], []
        for _ in range(trials):
            if kind == "random":
                counted = rng.random(f.height) >= held_out
            else:
                counted = np.ones(f.height, dtype=bool)
                for d in rng.permutation(np.unique(department)):
                    if (~counted).mean() >= held_out:
                        break
                    counted[department == d] = False
            _point, draws, _ = project(votes, size, counted, keys, w, rival=rival, bootstrap=bootstrap, rng=rng, coarse=coarse)
            lo, hi = np.quantile(draws, (0.025, 0.975), method=INTERVAL_QUANTILE)
            inside += int(lo <= realised <= hi)
            widths.append(100 * (hi - lo))
            errors.append(100 * (float(np.median(draws)) - realised))
        out[f"{kind}_coverage"] = inside / trials
        out[f"{kind}_median_width_points"] = float(np.median(widths))
        out[f"{kind}_median_abs_error_points"] = float(np.median(np.abs(errors)))
    return out
