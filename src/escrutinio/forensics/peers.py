"""Claimed tables against their peers: are the tables under claim unlike their neighbours?

A claim list (nullity requests, a party's highlighted tables, the sheets a dispute body resolved) is
compared with the *other tables of the same polling place* (or district, or a coarser area when
the finer one has too few tables): each claimed table gets its mid-rank percentile among its peers
on a metric, and under the null that claimed tables are exchangeable with their peers those
percentiles are uniform. The statistic is the mean percentile minus 0.5 (positive: claimed tables
sit above their peers) and the p-value comes from a permutation test that replaces every claimed
table by a random member of its own peer group (two-sided). Matching within the polling place
takes geography out of the comparison: a claimed table in Puno is compared with Puno.

Metrics: the winner's share of valid votes, turnout, and the blank-plus-null share of ballots cast;
with a first-round frame (matched by table id), the swing of the winner's share from the first
round and the change in turnout.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import ForensicResult, choice_word, level_word, not_applicable

METRIC_WORDS = {
    "winner_share": "the share of valid votes for {winner}",
    "turnout": "turnout",
    "blank_null_share": "the blank and null share of ballots cast",
    "swing_from_first_round": "the swing to {winner} from the first round",
    "turnout_change": "the change in turnout from the first round",
}
"""How a reading names each metric (the result's name keeps the key)."""


LEFT_OUT_WORDS = {
    "annulled": "The {n} annulled {label} table(s) are left out: their figures are not in the count, and a sheet "
    "is often annulled because of its figures.",
    "observed": "The {n} {label} table(s) still at the dispute body are left out: their figures are provisional until it rules.",
    "not_installed": "The {n} {label} table(s) never installed are left out: they have no sheet, so no figures.",
    "pending": "The {n} {label} table(s) with no sheet yet are left out: they have no figures yet.",
}
"""Why a claimed table whose sheet is not settled (not counted nor resolved) is left out of every
metric, in words, by its sheet's state."""


def _left_out_words(counts: Mapping[str, int], label: str) -> str:
    """The sentences a reading ends with when claimed tables were left out: how many, in which
    state, and why (empty when none was)."""
    return "".join(" " + LEFT_OUT_WORDS[st].format(n=f"{n:,}", label=label) for st, n in counts.items())


def _peers_word(start: str, names: Mapping[str, str], names_abroad: Mapping[str, str], abroad: np.ndarray) -> str:
    """The peers' area in words, as the election calls it where the compared claimed tables are
    (``abroad``: one flag each): "district", "city" abroad, or "district (city abroad)" for both."""
    if start == "national":
        return "nation"
    home, away = level_word(names.get(start, start)), level_word(names_abroad.get(start, start))
    if home == away or not abroad.any():
        return home
    return away if abroad.all() else f"{home} ({away} abroad)"


def rank_against_peers(
    values: np.ndarray,
    groups: np.ndarray,
    claimed: np.ndarray,
    *,
    permutations: int = 4999,
    seed: int = 0,
) -> tuple[float, float, np.ndarray]:
    """Mean percentile of the claimed rows among their group minus 0.5, its permutation p, per-row percentiles.

    Rows with NaN values are neither ranked nor peers. Percentile u = (average rank - 0.5) / m in a
    group of m eligible rows.
    """
    ok = np.isfinite(values)
    u = np.full(len(values), np.nan)
    df = pl.DataFrame({"g": groups[ok], "x": values[ok]})
    r = df.select(((pl.col("x").rank("average").over("g") - 0.5) / pl.len().over("g")).alias("u"))["u"].to_numpy()
    u[ok] = r
    use = claimed & ok
    c = int(use.sum())
    if c == 0:
        return float("nan"), 1.0, u
    obs = float(np.mean(u[use]) - 0.5)
    # Permutation: each claimed row replaced by a random eligible member of its group.
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(groups[idx], kind="stable")]
    g_sorted = groups[order]
    ng = int(groups.max()) + 1
    cnt = np.bincount(g_sorted, minlength=ng)
    start = np.r_[0, np.cumsum(cnt)[:-1]]
    gc = groups[use]
    rng = np.random.default_rng(seed)
    null = np.empty(permutations)
    chunk = max(1, 2_000_000 // max(c, 1))
    for s in range(0, permutations, chunk):
        k = min(chunk, permutations - s)
        pick = start[gc][None, :] + np.floor(rng.random((k, c)) * cnt[gc][None, :]).astype(np.int64)
        null[s : s + k] = u[order[pick]].mean(axis=1) - 0.5
    p = float((1 + np.sum(np.abs(null) >= abs(obs) - 1e-12)) / (1 + permutations))
    return obs, p, u


def _best_first_round_choice(cur: np.ndarray, first: pl.DataFrame, valid1: np.ndarray) -> str:
    """The first-round choice whose table-level share correlates best with the runoff winner's."""
    best, best_r = "", -2.0
    for col in fr.choice_columns(first):
        s1 = fr.safe_ratio(fr.as_int(first, col), valid1)
        ok = np.isfinite(s1) & np.isfinite(cur)
        if ok.sum() < 10 or np.std(s1[ok]) == 0:
            continue
        r = float(np.corrcoef(s1[ok], cur[ok])[0, 1])
        if r > best_r:
            best, best_r = col, r
    return best


def test(
    frame: pl.DataFrame,
    claimed: Iterable[str],
    *,
    winner: str,
    first_round: pl.DataFrame | None = None,
    first_round_winner: str | None = None,
    start: str = "polling_place",
    min_peers: int = 5,
    permutations: int = 4999,
    seed: int = 0,
    label: str = "claimed",
    level_names: Mapping[str, str] | None = None,
    choice_names: Mapping[str, str] | None = None,
    abroad: Collection[str] = (),
    abroad_names: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> list[ForensicResult]:
    """Claimed tables vs their peers on each metric; one result per metric (flagged at p < ``alpha``). ``level_names`` (frame
    column -> the election's name) words the peers' areas as the election calls them, and
    ``choice_names`` (id -> name) the winner. ``abroad`` (the top-level codes of voting abroad) and
    ``abroad_names`` (frame column -> the election's name abroad) word a claimed table abroad's
    peers as the election calls its areas there (a city, not a district).

    Only claimed tables whose figures are settled (a counted or resolved sheet) are compared; the
    others (annulled, still at the dispute body, never installed, no sheet yet) are left out of
    every metric, counted by state in ``estimates.claimed_left_out``, and the reading says so."""
    names = dict(level_names or {})
    claimed_ids = {str(t) for t in claimed}
    ids = frame[tf.TABLE].cast(pl.Utf8)
    is_claimed = ids.is_in(list(claimed_ids)).to_numpy()
    in_count = (
        frame[tf.STATE].is_in(list(tf.COUNTED_STATES)).to_numpy()
        if tf.STATE in frame.columns
        else (np.ones(frame.height, dtype=bool))
    )
    f = fr.subset(frame, in_count | is_claimed)
    is_claimed = f[tf.TABLE].cast(pl.Utf8).is_in(list(claimed_ids)).to_numpy()
    n_found = int(is_claimed.sum())
    if n_found == 0:
        return [not_applicable("claims_vs_peers.winner_share", "none of the claimed tables is in the frame.")]
    valid = fr.as_int(f, tf.VALID)
    cast = fr.as_int(f, tf.CAST)
    metrics: dict[str, np.ndarray] = {"winner_share": fr.safe_ratio(fr.as_int(f, tf.choice_column(winner)), valid)}
    if fr.has_electors(f):
        metrics["turnout"] = fr.safe_ratio(cast, fr.as_int(f, tf.ELECTORS))
    metrics["blank_null_share"] = fr.safe_ratio(fr.as_int(f, tf.BLANK) + fr.as_int(f, tf.NULL), cast)
    # Only settled figures are compared: a counted or resolved sheet. Annulled sheets carry all
    # ballots as null: their shares describe the ruling, not the table, and a sheet is often annulled
    # for its figures (more ballots than electors), so comparing it with counted peers reads the
    # ruling's cause back as a finding. A table never installed has no sheet (its zeros are no
    # turnout), and a sheet still at the dispute body holds provisional figures the ruling may change:
    # neither is compared, and the reading says how many of each were left out.
    state = f[tf.STATE].cast(pl.Utf8).to_numpy() if tf.STATE in f.columns else np.full(f.height, "counted", dtype=object)
    unsettled = ~np.isin(state, list(tf.COUNTED_STATES))
    for values in metrics.values():
        values[unsettled] = np.nan
    left_out_by_state = {
        st: int(((state == st) & is_claimed).sum()) for st in LEFT_OUT_WORDS if ((state == st) & is_claimed).any()
    }
    n_annulled = left_out_by_state.get("annulled", 0)
    left_out = _left_out_words(left_out_by_state, label)
    first_choice = None
    if first_round is not None:
        j = f.select(tf.TABLE).join(first_round.with_columns(pl.col(tf.TABLE).cast(pl.Utf8)), on=tf.TABLE, how="left")
        valid1 = fr.as_int(j, tf.VALID)
        first_choice = (
            tf.choice_column(first_round_winner)
            if first_round_winner
            else _best_first_round_choice(metrics["winner_share"], j, valid1)
        )
        if first_choice and first_choice in j.columns:
            s1 = fr.safe_ratio(fr.as_int(j, first_choice), valid1)
            s1[(j[tf.STATE] != "counted").to_numpy() & (j[tf.STATE] != "resolved").to_numpy()] = np.nan
            metrics["swing_from_first_round"] = metrics["winner_share"] - s1
            if "turnout" in metrics and tf.ELECTORS in j.columns:
                metrics["turnout_change"] = metrics["turnout"] - fr.safe_ratio(fr.as_int(j, tf.CAST), fr.as_int(j, tf.ELECTORS))
    start = fr.peer_level(f, start)
    is_abroad = (
        f[tf.DEPARTMENT].cast(pl.Utf8).is_in(list(abroad)).to_numpy()
        if abroad and tf.DEPARTMENT in f.columns
        else np.zeros(f.height, dtype=bool)
    )
    names_abroad = {**names, **(abroad_names or {})}
    peers_word = _peers_word(start, names, names_abroad, is_abroad[is_claimed & ~unsettled])
    where = (  # the nation has no coarser area to fall back on
        "the other tables of the nation ("
        if start == "national"
        else f"the other tables of their {peers_word} (or a coarser area where it has fewer than {min_peers} others; "
    )
    # Who the claimed tables are compared with, named by the conditioning level: "their neighbours"
    # called the whole nation neighbours under --by national.
    peers = "the other tables of the nation" if start == "national" else f"the other tables of their {peers_word}"
    out = []
    for k, (name, values) in enumerate(metrics.items()):
        groups, level_of = fr.peer_groups(f, start, min_size=min_peers + 1, eligible=np.isfinite(values))
        stat, p, u = rank_against_peers(values, groups, is_claimed, permutations=permutations, seed=seed + k)
        used = is_claimed & np.isfinite(u)
        extreme = used & ((u < 0.025) | (u > 0.975))
        n_used = int(used.sum())
        words = METRIC_WORDS[name].format(winner=choice_word(winner, choice_names))
        if n_used == 0:
            why = f"none of the {label} tables has a value of {words}.{left_out}"
            out.append(not_applicable(f"claims_vs_peers.{name}", why))
            continue
        direction = "above" if stat > 0 else "below"
        levels: dict[str, int] = {}
        for i, away in zip(level_of[used], is_abroad[used], strict=True):
            key = (names_abroad if away else names).get(fr.LEVELS[i], fr.LEVELS[i])
            levels[key] = levels.get(key, 0) + 1
        n_extreme = int(extreme.sum())
        outside = f"{n_extreme:,} " + ("is" if n_extreme == 1 else "are")
        reading = (
            f"On {words}, the {n_used:,} {label} table(s) with a defined value sit on average "
            f"at percentile {100 * (stat + 0.5):.1f} of {where}50 = like their peers; {direction} them by "
            f"{abs(stat) * 100:.1f} points; permutation {fr.fmt_p(p)}). {outside} outside the central 95 % of their peers. "
            + (
                f"The {label} tables differ from {peers} more than chance allows: that is a "
                "pattern to explain, not proof that they are wrong."
                if p < alpha
                else f"The {label} tables differ from {peers} no more than chance allows at α = {alpha:g}: no "
                "difference is shown on this measure, and not flagged is not evidence that there is none (a "
                "difference smaller than chance's spread over these tables would not show)."
            )
            + left_out
        )
        per_table = [{"table": t, "percentile": float(x)} for t, x in zip(fr.table_ids(f, used), u[used], strict=True)]
        out.append(
            ForensicResult(
                test=f"claims_vs_peers.{name}",
                statistic=stat,
                statistic_name="mean_percentile_minus_half",
                p_value=p,
                reading=reading,
                tables=fr.table_ids(f, extreme),
                caveats=(
                    "Tables are claimed for reasons (an error on the sheet, a complaint); those reasons can "
                    "go with real differences in the table's voters.",
                    "The permutation draws peers with replacement and treats tables as independent.",
                    *(
                        (f"First-round counterpart of the winner: {first_choice.removeprefix(tf.CHOICE_PREFIX)}.",)
                        if name in ("swing_from_first_round", "turnout_change")
                        else ()
                    ),
                ),
                estimates={
                    "mean_percentile": 100 * (stat + 0.5),
                    "mean_percentile_minus_half": stat,
                    "claimed_with_value": n_used,
                    "outside_central_95": n_extreme,
                    "claimed_left_out": left_out_by_state,
                },
                details={
                    "claimed_in_frame": n_found,
                    "claimed_with_value": n_used,
                    "claimed_annulled": n_annulled,
                    "claimed_left_out": left_out_by_state,
                    "claimed_requested": len(claimed_ids),
                    "peer_levels": levels,
                    "per_table": per_table[:2000],
                    "first_round_choice": first_choice,
                },
                figures={
                    f"peers_{name}": {
                        "kind": "histogram",
                        "x_label": f"percentile of the {label} table among its peers ({words})",
                        "edges": np.linspace(0, 1, 21).tolist(),
                        "counts": np.histogram(u[used], bins=20, range=(0, 1))[0].tolist(),
                    }
                },
                level=start,
                null=f"permutation: each claimed table replaced by a random table of its peer group (its "
                f"{peers_word}, or the coarser area its peers are read from), with replacement",
                draws=permutations,
            )
        )
    return out
