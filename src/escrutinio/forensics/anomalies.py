"""Anomalous tables: sheets that stand out on their own or against their neighbours.

Four checks, each returning one :class:`ForensicResult`:

- ``anomalies.turnout_full``: ballots cast at or above the table's registered electors. Above is
  impossible on a correct sheet; exactly 100 % is possible but rare on a roll of hundreds (deaths and
  migration keep real turnout below it), so both are listed for a look. A rule check: no p-value.
- ``anomalies.unanimous``: one choice with every valid vote (or a major choice with none) on a table
  with enough votes. Regional voting makes lopsided tables legitimate, so the expected number of such
  tables comes from a beta-binomial model fitted within each table's own district (falling back to a
  coarser level when the district is small); the p-value is the Poisson tail of the observed count.
- ``anomalies.identical``: pairs of tables in the same polling place (or district when the place is
  unknown) with identical sheets. The expected number of coincidences comes from each count's
  empirical collision probability in the district, multiplied across counts (an independence
  approximation); Poisson tail again.
- ``anomalies.cast_outliers``: turnout (ballots cast over electors; ballots cast when electors are
  unknown) far from the table's peers, by a robust z-score (median and MAD) within the polling place,
  district or coarser level; the p-value is Bonferroni over tables of a t tail whose degrees of
  freedom reflect the MAD's noise.

Tables abroad are read apart from the domestic ones when the election has both (:func:`populations`):
each check runs on each population, the abroad result named ``<check>.abroad``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
from scipy import special, stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import ForensicResult, not_applicable

POPULATION_WORDS = {"domestic": "Domestic tables", "abroad": "Tables abroad"}
"""How a result's wording names the tables it read when domestic and abroad are read apart."""


def turnout_full(frame: pl.DataFrame, *, min_electors: int = 20, threshold: float = 1.0) -> ForensicResult:
    """Counted tables whose turnout is at or above ``threshold`` (1.0: ballots cast reach the electors)."""
    test = "anomalies.turnout_full"
    f = fr.counted(frame)
    if not fr.has_electors(f):
        return not_applicable(test, "the frame has no registered electors, so turnout is undefined.")
    electors = fr.as_int(f, tf.ELECTORS)
    cast = fr.as_int(f, tf.CAST)
    big = electors >= min_electors
    over = big & (cast > electors)
    equal = big & (cast == electors)
    high = big & (cast >= threshold * electors) & ~over & ~equal
    flagged = over | equal | high
    n_over, n_equal, n_high = int(over.sum()), int(equal.sum()), int(high.sum())
    below = f" and {n_high} more report a turnout of {100 * threshold:.0f} % or more" if threshold < 1 else ""
    if n_over == 0 and n_equal == 0 and n_high == 0:
        reading = (
            f"No counted table with at least {min_electors} electors reports a turnout of "
            f"{100 * min(threshold, 1.0):.0f} % or more."
        )
    else:
        reading = (
            f"{n_over} counted table(s) report more ballots cast than registered electors, which a correct "
            f"sheet cannot show, {n_equal} report exactly 100 % turnout, which is possible but rare{below}. "
            "Each is worth checking against the sheet image and the roll."
        )
    return ForensicResult(
        test=test,
        statistic=float(n_over + n_equal),
        statistic_name="tables_at_or_over_100",
        reading=reading,
        tables=fr.table_ids(f, flagged),
        caveats=(
            "Voters added to the roll on election day (officials, voters with court orders) can "
            "legitimately push a small table to 100 %.",
        ),
        details={"over_100": n_over, "at_100": n_equal, "min_electors": min_electors},
        estimates={
            "over_100": n_over,
            "at_100": n_equal,
            "at_or_above_threshold": n_over + n_equal + n_high,
            "threshold": threshold,
        },
        null=None,
    )


def null_share(frame: pl.DataFrame, *, threshold: float = 0.25, min_cast: int = 20) -> ForensicResult:
    """Counted tables whose null (invalid) ballots are at least ``threshold`` of the ballots cast."""
    test = "anomalies.null_share"
    f = fr.counted(frame)
    cast = fr.as_int(f, tf.CAST)
    nulls = fr.as_int(f, tf.NULL)
    use = cast >= min_cast
    if int(use.sum()) == 0:
        return not_applicable(test, f"no counted table with at least {min_cast} ballots.")
    share = fr.safe_ratio(nulls, cast)
    flagged = use & (share >= threshold)
    n = int(flagged.sum())
    overall = float(nulls[use].sum() / max(cast[use].sum(), 1))
    reading = (
        f"{n:,} counted table(s) with at least {min_cast} ballots have {100 * threshold:.0f} % or more of them "
        f"null (the election's tables overall: {100 * overall:.2f} %). "
        + ("Each is worth checking against the sheet: a high null share is where ballots can be spoiled." if n else "None does.")
    )
    return ForensicResult(
        test=test,
        statistic=float(n),
        statistic_name="tables_at_or_above_null_threshold",
        reading=reading,
        tables=fr.table_ids(f, flagged),
        caveats=("Null ballots are also a legitimate protest vote; a whole area voting null is not a sheet error.",),
        estimates={"tables": n, "threshold": threshold, "null_share_overall": overall, "min_cast": min_cast},
    )


def resolved_net(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    parts: list[tuple[str | None, pl.DataFrame]] | None = None,
) -> ForensicResult:
    """Votes by choice on sheets counted after a ruling, their net margin, and whether it exceeds the margin.

    Flagged when the resolved sheets' net votes for the leader over the runner-up are larger than the
    national margin: without them the runner-up would lead, so the outcome rests on those rulings.
    ``parts`` (:func:`populations`) adds each population's resolved sheets and votes to the estimates.
    """
    test = "anomalies.resolved_net"
    if tf.STATE not in frame.columns:
        return not_applicable(test, "the frame has no sheet states.")
    f = fr.counted(frame)
    cols = [tf.choice_column(c) for c in choices] if choices else fr.choice_columns(f)
    if len(cols) < 2:
        return not_applicable(test, "needs at least two choices.")
    resolved = (f[tf.STATE] == "resolved").to_numpy()
    if not resolved.any():
        return not_applicable(test, "no sheet was counted after a ruling.")
    votes = np.column_stack([fr.as_int(f, c) for c in cols])
    total = votes.sum(axis=0)
    order = np.argsort(-total)
    lead, run = order[0], order[1]
    res_votes = votes[resolved].sum(axis=0)
    margin = int(total[lead] - total[run])
    net = int(res_votes[lead] - res_votes[run])
    names = [c.removeprefix(tf.CHOICE_PREFIX) for c in cols]
    decisive = net > margin
    votes_text = ", ".join(f"{names[j]} {int(res_votes[j]):,}" for j in order)
    verdict = "rests on these rulings: they are worth reading one by one" if decisive else "does not rest on them"
    reading = (
        f"{int(resolved.sum()):,} sheets were counted after a ruling; they give {votes_text}: a net {net:+,} for "
        f"{names[lead]} over {names[run]}, against a national margin of {margin:,} (without them the margin "
        f"would be {margin - net:+,}). The lead {verdict}."
    )
    by_population = {}
    for population, part in parts or ():
        if population is None:
            continue
        p = fr.counted(part)
        mask = (p[tf.STATE] == "resolved").to_numpy()
        p_votes = np.column_stack([fr.as_int(p, c) for c in cols])[mask].sum(axis=0)
        by_population[population] = {
            "resolved_sheets": int(mask.sum()),
            "votes": {names[j]: int(p_votes[j]) for j in order},
            "net_leader_minus_runner_up": int(p_votes[lead] - p_votes[run]),
        }
    if by_population:
        reading += (
            " Of them: "
            + "; ".join(
                f"{POPULATION_WORDS[k].lower()} {v['resolved_sheets']:,} sheets, net {v['net_leader_minus_runner_up']:+,}"
                for k, v in by_population.items()
            )
            + "."
        )
    return ForensicResult(
        test=test,
        statistic=float(net),
        statistic_name="resolved_net_leader_minus_runner_up",
        reading=reading,
        estimates={
            "resolved_sheets": int(resolved.sum()),
            "votes": {names[j]: int(res_votes[j]) for j in order},
            "net_leader_minus_runner_up": net,
            "national_margin": margin,
            **({"by_population": by_population} if by_population else {}),
        },
        decided=decisive,
    )


def _beta_params(mean: np.ndarray, tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beta(a, b) with the given mean and variance (a huge a+b where the variance is ~0: binomial)."""
    mean = np.clip(mean, 1e-6, 1 - 1e-6)
    tau2 = np.maximum(tau2, 0.0)
    conc = np.where(tau2 > 1e-9, mean * (1 - mean) / np.maximum(tau2, 1e-12) - 1.0, 1e7)
    conc = np.clip(conc, 0.5, 1e7)
    return mean * conc, (1 - mean) * conc


def _poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    return float(stats.poisson.sf(observed - 1, expected))


def unanimous(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    min_votes: int = 30,
    major_share: float = 0.15,
    start: str = tf.DISTRICT,
    min_group: int = 10,
) -> ForensicResult:
    """Tables where one choice has 100 % of the valid votes, or a major choice 0 %, vs a beta-binomial null."""
    test = "anomalies.unanimous"
    f = fr.counted(frame)
    cols = [tf.choice_column(c) for c in choices] if choices else fr.choice_columns(f)
    if len(cols) < 2 or f.height == 0:
        return not_applicable(test, "needs at least two choices and some counted tables.")
    votes = np.column_stack([fr.as_int(f, c) for c in cols]).astype(np.int64)
    valid = votes.sum(axis=1)
    eligible = valid >= min_votes
    groups, _ = fr.peer_groups(f, start, min_size=min_group, eligible=eligible)
    ng = int(groups.max()) + 1
    national = votes.sum(axis=0) / max(int(valid.sum()), 1)
    major = national >= major_share
    if len(cols) == 2:
        major[:] = False  # with two choices, 0 % for one is 100 % for the other
    expected = np.zeros(f.height)
    flagged = np.zeros(f.height, dtype=bool)
    n_valid = valid.astype(np.float64)
    for j in range(len(cols)):
        share = fr.safe_ratio(votes[:, j], valid)
        use = eligible & np.isfinite(share)
        g_votes = np.bincount(groups[use], weights=votes[use, j], minlength=ng)
        g_valid = np.bincount(groups[use], weights=valid[use], minlength=ng)
        p_g = np.where(g_valid > 0, g_votes / np.maximum(g_valid, 1), national[j])
        _, mad = fr.group_median_mad(np.where(use, share, np.nan), groups)
        binom_var = np.bincount(
            groups[use], weights=(p_g[groups] * (1 - p_g[groups]) / np.maximum(n_valid, 1))[use], minlength=ng
        ) / np.maximum(np.bincount(groups[use], minlength=ng), 1)
        mad_g = np.zeros(ng)
        mad_g[groups[use]] = mad[use]
        tau2 = np.maximum(mad_g**2 - binom_var, 0.0)
        a, b = _beta_params(p_g, tau2)
        ai, bi, n = a[groups], b[groups], n_valid
        log_full = special.betaln(ai + n, bi) - special.betaln(ai, bi)
        expected += np.where(eligible, np.exp(log_full), 0.0)
        flagged |= eligible & (votes[:, j] == valid)
        if major[j]:
            log_zero = special.betaln(ai, bi + n) - special.betaln(ai, bi)
            expected += np.where(eligible, np.exp(log_zero), 0.0)
            flagged |= eligible & (votes[:, j] == 0)
    observed = int(flagged.sum())
    exp_total = float(expected.sum())
    return _against_expected(
        test,
        "unanimous_tables",
        observed,
        exp_total,
        found=f"{observed} counted table(s) with at least {min_votes} valid votes give one choice all of them"
        + (" (or a major choice none)" if major.any() else "")
        + f"; given how each district voted, about {exp_total:.1f} such tables would be expected",
        pattern="More lopsided tables than local voting explains is a pattern worth checking sheet by sheet.",
        usual="That count is in line with local voting patterns.",
        tables=fr.table_ids(f, flagged),
        caveats=(
            "Small communities can vote unanimously; the beta-binomial null allows for that only as far as "
            "the district's other tables show it.",
            "The null treats tables as independent; tables of one village are not.",
        ),
        details={"min_votes": min_votes, "major_choices": [c for c, m in zip(cols, major, strict=True) if m]},
    )


def _against_expected(
    test: str,
    name: str,
    observed: int,
    expected: float,
    *,
    found: str,
    pattern: str,
    usual: str,
    tables: tuple[str, ...],
    caveats: tuple[str, ...],
    details: dict[str, Any],
) -> ForensicResult:
    """A count of lopsided tables (or identical pairs) against the number its null expects: the
    Poisson tail, and a reading that says ``found`` then ``pattern`` (p < 0.05) or ``usual``."""
    p = _poisson_tail(observed, expected)
    return ForensicResult(
        test=test,
        statistic=float(observed),
        statistic_name=name,
        p_value=p,
        reading=f"{found} ({fr.fmt_p(p, 'Poisson tail p')}). " + (pattern if p < 0.05 else usual),
        tables=tables,
        caveats=caveats,
        details={"expected": expected, **details},
    )


def identical(frame: pl.DataFrame, *, min_votes: int = 20, min_group: int = 30) -> ForensicResult:
    """Pairs of neighbouring tables (same polling place, else same district) with identical sheets."""
    test = "anomalies.identical"
    f = fr.counted(frame)
    comps = [*fr.choice_columns(f), tf.BLANK, tf.NULL]
    comps = [c for c in comps if c in f.columns]
    if f.height < 2 or not comps:
        return not_applicable(test, "too few counted tables.")
    f = fr.subset(f, fr.as_int(f, tf.CAST) >= min_votes)
    if f.height < 2:
        return not_applicable(test, f"no two counted tables with at least {min_votes} ballots.")
    has_place = "polling_place" in f.columns and f["polling_place"].null_count() < f.height
    near = fr.level_keys(f, "polling_place") if has_place else np.full(f.height, -1)
    district = fr.level_keys(f, tf.DISTRICT)
    neighbour = np.where(near >= 0, near, district + (int(near.max()) + 1))
    base, _ = fr.peer_groups(f, tf.DISTRICT, min_size=min_group)
    work = f.select(comps).with_columns(
        pl.Series("_nb", neighbour), pl.Series("_base", base), pl.Series("_row", np.arange(f.height))
    )
    # Observed: groups of identical sheets within a neighbourhood.
    dup = work.group_by(["_nb", *comps]).agg(pl.col("_row")).filter(pl.col("_row").list.len() >= 2)
    sizes = dup["_row"].list.len().to_numpy() if dup.height else np.zeros(0)
    observed = int((sizes * (sizes - 1) // 2).sum())
    rows = np.concatenate(dup["_row"].to_list()).astype(np.int64) if dup.height else np.zeros(0, np.int64)
    # Expected: per-count collision probability in the base group, multiplied across counts.
    nb_base = work.group_by("_nb").agg(pl.len().alias("m"), pl.col("_base").first())
    m_base = work.group_by("_base").agg(pl.len().alias("M"))
    logq = pl.DataFrame({"_base": m_base["_base"], "logq": np.zeros(m_base.height)})
    for c in comps:
        coll = (
            work.group_by(["_base", c])
            .agg(pl.len().alias("k"))
            .group_by("_base")
            .agg((pl.col("k") * (pl.col("k") - 1)).sum().alias("s"))
            .join(m_base, on="_base")
            .with_columns(((pl.col("s") + 1) / (pl.col("M") * (pl.col("M") - 1) + 1)).clip(1e-12, 1.0).log().alias("lq"))
            .select("_base", "lq")
        )
        logq = (
            logq.join(coll, on="_base", how="left")
            .with_columns((pl.col("logq") + pl.col("lq").fill_null(0.0)).alias("logq"))
            .drop("lq")
        )
    exp_df = nb_base.join(logq, on="_base").with_columns((pl.col("m") * (pl.col("m") - 1) / 2 * pl.col("logq").exp()).alias("e"))
    expected = float(exp_df["e"].sum())
    where = "polling place" if has_place else "district"
    return _against_expected(
        test,
        "identical_pairs",
        observed,
        expected,
        found=f"{observed} pair(s) of counted tables in the same {where} carry identical sheets (every choice, "
        f"blank and null), against about {expected:.2f} expected by chance from how varied the counts are "
        "locally",
        pattern="Copied sheets are one way this arises; so are tiny, homogeneous tables.",
        usual="That is in line with chance coincidences.",
        tables=fr.table_ids(f, np.isin(np.arange(f.height), rows)),
        caveats=(
            "The chance of a coincidence multiplies each count's collision probability as if the counts "
            "were independent; they share the table size, so the expectation is somewhat low.",
            f"Only tables with at least {min_votes} ballots cast are compared.",
        ),
        details={
            "neighbourhood": where,
            "groups": [fr.table_ids(f, np.isin(np.arange(f.height), np.asarray(r))) for r in dup["_row"].to_list()[:50]],
        },
    )


def cast_outliers(
    frame: pl.DataFrame,
    *,
    start: str = tf.DISTRICT,
    min_group: int = 20,
    min_electors: int = 50,
    alpha: float = 0.05,
) -> ForensicResult:
    """Tables whose turnout (or ballots cast) is far from their neighbours', by a robust z-score."""
    test = "anomalies.cast_outliers"
    f = fr.counted(frame)
    if f.height < min_group:
        return not_applicable(test, "too few counted tables.")
    cast = fr.as_int(f, tf.CAST).astype(np.float64)
    if fr.has_electors(f):
        electors = fr.as_int(f, tf.ELECTORS)
        metric = fr.safe_ratio(cast, electors)
        metric[electors < min_electors] = np.nan
        metric_name = "turnout"
    else:
        metric = cast
        metric_name = "ballots cast"
    eligible = np.isfinite(metric)
    if start not in f.columns or f[start].null_count() == f.height:
        start = tf.DISTRICT
    groups, level_of = fr.peer_groups(f, start, min_size=min_group, eligible=eligible)
    med, mad = fr.group_median_mad(np.where(eligible, metric, np.nan), groups)
    size = np.bincount(groups[eligible], minlength=int(groups.max()) + 1)[groups]
    floor = 1e-3 if metric_name == "turnout" else 1.0
    z = (metric - med) / np.maximum(mad, floor)
    z[~eligible] = 0.0
    df = np.maximum(2.0, 0.25 * (size - 1))
    p_each = 2 * stats.t.sf(np.abs(z), df)
    n_tests = int(eligible.sum())
    p = float(min(1.0, n_tests * float(p_each[eligible].min()))) if n_tests else 1.0
    flagged = eligible & (p_each * max(n_tests, 1) < alpha)
    reading = (
        f"{int(flagged.sum())} counted table(s) have a {metric_name} further from the other tables of "
        f"their district (or coarser area) than chance allows across {n_tests:,} tables (max |z| = "
        f"{float(np.abs(z).max()):.1f}; {fr.fmt_p(p, f'Bonferroni p over {n_tests:,} tables')}). "
        + (
            "Such tables are worth a look at the sheet and the roll."
            if p < 0.05
            else "No table is further from its neighbours than chance allows across this many tables."
        )
    )
    order = np.argsort(-np.abs(z))
    ids = f[tf.TABLE].cast(pl.Utf8).to_numpy()
    top = [
        {"table": str(ids[i]), "z": float(z[i]), metric_name: float(metric[i]), "peer_median": float(med[i])}
        for i in order[:20]
        if eligible[i]
    ]
    return ForensicResult(
        test=test,
        statistic=float(np.abs(z).max()),
        statistic_name="max_abs_robust_z",
        p_value=p,
        reading=reading,
        tables=fr.table_ids(f, flagged),
        caveats=(
            "A table can differ from its neighbours for plain reasons: a hospital or prison table, a roll "
            "of voters who moved, a remote annex.",
            f"Tables with fewer than {min_electors} electors are left out (their turnout is too noisy).",
        ),
        details={
            "metric": metric_name,
            "top": top,
            "levels_used": {fr.LEVELS[i]: int((level_of == i).sum()) for i in np.unique(level_of)},
        },
    )


def populations(frame: pl.DataFrame, abroad: Collection[str] = ()) -> list[tuple[str | None, pl.DataFrame]]:
    """The frame's tables as the populations the checks read apart: domestic and abroad.

    Why apart: tables abroad are a different population (Peru's: consulates, low turnout, many null
    ballots, few electors per table); judged against the nation's rates their ordinary figures look
    anomalous, and their own oddities drown in the nation's. ``abroad`` holds the top-level area
    codes of voting abroad (the election's abroad areas). One population, ``(None, frame)``, when
    the frame has no table abroad or nothing else.
    """
    if not abroad or tf.DEPARTMENT not in frame.columns:
        return [(None, frame)]
    out = frame[tf.DEPARTMENT].is_in(list(abroad))
    n_out = int(out.sum())
    if n_out in (0, frame.height):
        return [(None, frame)]
    out_np = out.to_numpy()
    return [("domestic", fr.subset(frame, ~out_np)), ("abroad", fr.subset(frame, out_np))]


def _apart(result: ForensicResult, population: str | None, part: pl.DataFrame) -> ForensicResult:
    """A check's result on one population: named (``.abroad`` for the tables abroad; the domestic
    result keeps the check's name), marked with its population, its wording saying which tables."""
    if population is None:
        return result
    name = result.test if population == "domestic" else f"{result.test}.{population}"
    counted = fr.counted(part).height
    reading = f"{POPULATION_WORDS[population]} ({counted:,} counted), read on their own: {result.reading}"
    return replace(result, test=name, population=population, reading=reading)


def run(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    by: str = tf.DISTRICT,
    turnout: float = 1.0,
    null_share_at: float = 0.25,
    unanimous_votes: int = 30,
    abroad: Collection[str] = (),
) -> list[ForensicResult]:
    """Every anomaly check, with its thresholds: ``turnout`` (list tables at or above it),
    ``null_share_at`` (null ballots as a share of cast), ``unanimous_votes`` (the least valid votes a
    table needs before one choice's 100 % counts). ``by`` is the level peers are read at.

    With ``abroad`` (the top-level codes of voting abroad), each check runs on the domestic tables
    and on the tables abroad apart (:func:`populations`): their expected counts, peers and overall
    rates come from their own population. The resolved sheets' net votes weigh against the national
    margin, so they are one result, with each population's votes in its estimates.
    """
    start = by if by in fr.LEVELS else tf.DISTRICT
    finer = tf.DISTRICT if fr.LEVELS.index(start) > fr.LEVELS.index(tf.DISTRICT) else start
    parts = populations(frame, abroad)
    checks = (
        lambda f: turnout_full(f, threshold=turnout),
        lambda f: null_share(f, threshold=null_share_at),
        lambda f: unanimous(f, choices=choices, start=finer, min_votes=unanimous_votes),
        identical,
        lambda f: cast_outliers(f, start=start),
    )
    out = [_apart(check(part), population, part) for check in checks for population, part in parts]
    return [*out, resolved_net(frame, choices=choices, parts=parts)]
