"""Anomalous tables: sheets that stand out on their own or against their neighbours.

Four checks, each returning one :class:`ForensicResult`:

- ``anomalies.turnout_full``: ballots cast at or above the table's registered electors. Above is
  impossible on a correct sheet; exactly 100 % is possible but rare on a roll of hundreds (deaths and
  migration keep real turnout below it), so both are listed for a look. A rule check: no p-value.
- ``anomalies.unanimous``: one choice with every valid vote (or a major choice with none) on a table
  with enough votes. Regional voting makes lopsided tables legitimate, so each table's chance of
  unanimity comes from a clean model of its own peers (share normal around their median with their
  spread, clipped to [0, 1]; binomial votes: :mod:`nulls`), and the count's p is a Monte Carlo tail
  of the sum of those chances (999 draws).
- ``anomalies.identical``: pairs of tables in the same polling place with identical sheets, against a
  permutation null (the district's tables placed in its places at random, 999 draws). Without polling
  places the pairs are listed and the check cannot tell (not flagged when there is no pair).
- ``anomalies.cast_outliers``: tables whose turnout (ballots cast over electors; ballots cast when
  electors are unknown) is more than 4 expected spreads from their peers' median (polling place,
  district or coarser level); their count is weighed against the same clean model (Monte Carlo p),
  and the tables beyond chance one by one (Bonferroni) are listed.

Every check lists the individual tables (the evidence to read); ``flagged`` is the calibrated decision
on the count, whose false alarms on clean elections shaped like real ones
``benchmarks/forensics_calibration.py`` reports.

Tables abroad are read apart from the domestic ones when the election has both (:func:`populations`):
each check runs on each population, the abroad result named ``<check>.abroad``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import frames as fr
from escrutinio.forensics import nulls
from escrutinio.forensics.results import ForensicResult, choice_word, level_word, not_applicable
from escrutinio.forensics.thresholds import DEFAULTS

POPULATION_WORDS = {"domestic": "Domestic tables", "abroad": "Tables abroad"}
"""How a result's wording names the tables it read when domestic and abroad are read apart."""


def turnout_full(frame: pl.DataFrame, *, min_electors: int = 20, threshold: float = 1.0) -> ForensicResult:
    """Counted tables whose turnout is at or above ``threshold`` (1.0: ballots cast reach the electors)."""
    test = "anomalies.turnout_full"
    f = fr.counted(frame)
    if not fr.has_electors(f):
        return not_applicable(test, "the tables carry no registered electors, so turnout is undefined.", listing=True)
    electors = fr.as_int(f, tf.ELECTORS)
    cast = fr.as_int(f, tf.CAST)
    big = electors >= min_electors
    over = big & (cast > electors)
    equal = big & (cast == electors)
    high = big & (cast >= threshold * electors) & ~over & ~equal
    flagged = over | equal | high
    n_over, n_equal, n_high = int(over.sum()), int(equal.sum()), int(high.sum())
    pct = f"{100 * threshold:.10g}"
    total = n_over + n_equal + n_high
    if total == 0:
        reading = f"No counted table with at least {min_electors} electors reports a turnout of {pct} % or more."
    else:
        below = f", and {n_high:,} a turnout from {pct} % to under 100 %" if threshold < 1 else ""
        reading = (
            f"{total:,} counted table(s) with at least {min_electors} electors report a turnout of {pct} % or more: "
            f"{n_over:,} more ballots cast than registered electors, which a correct sheet cannot show, "
            f"{n_equal:,} exactly 100 %, which is possible but rare{below}. "
            "Each is worth checking against the sheet image and the roll."
        )
    return ForensicResult(
        test=test,
        statistic=n_over + n_equal + n_high,  # the figure asked for: the tables at or over the threshold
        statistic_name=f"tables_at_or_over_{_percent_key(threshold)}",
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
        listing=True,
    )


def _percent_key(share: float) -> str:
    """A threshold as the percentage a statistic's name carries: 1.0 -> ``100``, 0.955 -> ``95_5``."""
    return f"{100 * share:.10g}".replace(".", "_")


def null_share(frame: pl.DataFrame, *, threshold: float = 0.25, min_cast: int = 20) -> ForensicResult:
    """Counted tables whose null (invalid) ballots are at least ``threshold`` of the ballots cast."""
    test = "anomalies.null_share"
    f = fr.counted(frame)
    cast = fr.as_int(f, tf.CAST)
    nulls = fr.as_int(f, tf.NULL)
    use = cast >= min_cast
    if int(use.sum()) == 0:
        return not_applicable(test, f"no counted table with at least {min_cast} ballots.", listing=True)
    share = fr.safe_ratio(nulls, cast)
    flagged = use & (share >= threshold)
    n = int(flagged.sum())
    overall = float(nulls[use].sum() / max(cast[use].sum(), 1))
    reading = (
        f"{n:,} counted table(s) with at least {min_cast} ballots have {100 * threshold:.0f} % or more of them "
        f"null (these tables overall: {100 * overall:.2f} %). "
        + (
            "Each is worth checking against the sheet: a high null share can come from a sheet misread or "
            "miscopied, from ballots spoiled at the count, or from voters spoiling them on purpose."
            if n
            else "None does."
        )
    )
    return ForensicResult(
        test=test,
        statistic=n,
        statistic_name="tables_at_or_above_null_threshold",
        reading=reading,
        tables=fr.table_ids(f, flagged),
        caveats=("Null ballots are also a legitimate protest vote; a whole area voting null is not a sheet error.",),
        estimates={"tables": n, "threshold": threshold, "null_share_overall": overall, "min_cast": min_cast},
        listing=True,
    )


def resolved_net(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    parts: list[tuple[str | None, pl.DataFrame]] | None = None,
    choice_names: Mapping[str, str] | None = None,
) -> ForensicResult:
    """Votes by choice on sheets counted after a ruling, their net margin, and whether it exceeds the margin.

    A summary, not a test (a listing: no verdict, no null): whether the resolved sheets' net votes for
    the leader over the runner-up exceed the national margin is arithmetic, said in the wording and in
    ``estimates.lead_rests_on_rulings``; there is no chance to weigh it against.
    ``parts`` (:func:`populations`) adds each population's resolved sheets and votes to the estimates.
    ``choice_names`` (id -> the election's name) words the choices; the estimates keep the ids.
    """
    test = "anomalies.resolved_net"
    if tf.STATE not in frame.columns:
        return not_applicable(test, "the tables carry no sheet states (counted, annulled, resolved…).", listing=True)
    f = fr.counted(frame)
    cols = [tf.choice_column(c) for c in choices] if choices else fr.choice_columns(f)
    if len(cols) < 2:
        return not_applicable(test, "needs at least two choices.", listing=True)
    resolved = (f[tf.STATE] == "resolved").to_numpy()
    if not resolved.any():
        return not_applicable(test, "no sheet was counted after a ruling.", listing=True)
    votes = np.column_stack([fr.as_int(f, c) for c in cols])
    total = votes.sum(axis=0)
    order = np.argsort(-total)
    lead, run = order[0], order[1]
    res_votes = votes[resolved].sum(axis=0)
    margin = int(total[lead] - total[run])
    net = int(res_votes[lead] - res_votes[run])
    names = [c.removeprefix(tf.CHOICE_PREFIX) for c in cols]
    decisive = net > margin
    said = [choice_word(n, choice_names) for n in names]
    votes_text = ", ".join(f"{said[j]} {int(res_votes[j]):,}" for j in order)
    verdict = "rests on these rulings: they are worth reading one by one" if decisive else "does not rest on them"
    reading = (
        f"{int(resolved.sum()):,} sheets were counted after a ruling; they give {votes_text}: a net {net:+,} for "
        f"{said[lead]} over {said[run]}, against a national margin of {margin:,} (without them the margin "
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
        statistic=int(net),
        statistic_name="resolved_net_leader_minus_runner_up",
        reading=reading,
        # The report said this and the CLI did not; the report now gives the result's own words.
        caveats=(
            "Their net is the votes these sheets brought into the count, not votes the rulings changed, "
            "nor a sign of how they were decided.",
        ),
        estimates={
            "resolved_sheets": int(resolved.sum()),
            "votes": {names[j]: int(res_votes[j]) for j in order},
            "net_leader_minus_runner_up": net,
            "national_margin": margin,
            "lead_rests_on_rulings": bool(decisive),
            **({"by_population": by_population} if by_population else {}),
        },
        listing=True,
    )


NULL_DRAWS = nulls.FEWEST_DRAWS
MAX_GROUPS = 50
"""The identical-sheet groups a result names, the first in the order of the tables (the count of all
of them beside, and whether the list is cut)."""
"""Monte Carlo draws of each count's null (p resolution 0.001)."""
OUTLIER_Z = 4.0
"""A table is a turnout outlier when it lies more than this many of its expected spreads from its
peers' median; the check counts such tables and weighs the count against its null."""


def _decision(
    test: str,
    name: str,
    observed: int,
    q: np.ndarray,
    *,
    draws: int,
    seed: int,
    null: str,
    found: str,
    pattern: str,
    usual: str,
    tables: tuple[str, ...],
    caveats: tuple[str, ...],
    details: dict[str, Any],
    p_words: str = "Monte Carlo p",
    alpha: float = 0.05,
) -> ForensicResult:
    """A count of odd tables against the sum of Bernoulli(q_i) its null gives (``q`` per table):
    the Monte Carlo p (:func:`nulls.bernoulli_sum_p`), and a reading that says ``found`` then
    ``pattern`` (p < ``alpha``, the run's level) or ``usual``. Flagged means the count exceeds what the null explains.
    ``p_words`` names the p where a reading gives more than one (which null it belongs to)."""
    expected = float(np.sum(q))
    p = nulls.bernoulli_sum_p(q, observed, draws=draws, seed=seed)
    return ForensicResult(
        test=test,
        statistic=observed,
        statistic_name=name,
        p_value=p,
        reading=f"{found} ({fr.fmt_p(p, p_words)}). " + (pattern if p < alpha else usual),
        tables=tables,
        caveats=caveats,
        details={"expected": expected, **details},
        estimates={"observed": observed, "expected": expected},
        null=null,
        draws=draws,
    )


def unanimous(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    min_votes: int = 30,
    major_share: float = 0.15,
    start: str = tf.DISTRICT,
    min_group: int = 10,
    draws: int = NULL_DRAWS,
    seed: int = 0,
    alpha: float = 0.05,
) -> ForensicResult:
    """Tables where one choice has 100 % of the valid votes, or a major choice 0 %, against the number
    a clean election with the same local voting gives (flagged at p < ``alpha``).

    The null (:mod:`nulls`): each table's share for each choice is normal around its peers' median,
    with their spread less binomial noise, clipped to [0, 1] (so areas that vote nearly as one give
    unanimous tables), and its votes binomial around it. Each table's chance of unanimity follows in
    closed form; the count's p is a Monte Carlo tail of the sum over tables.
    """
    test = "anomalies.unanimous"
    f = fr.counted(frame)
    cols = [tf.choice_column(c) for c in choices] if choices else fr.choice_columns(f)
    if len(cols) < 2 or f.height == 0:
        return not_applicable(test, "needs at least two choices and some counted tables.")
    votes = np.column_stack([fr.as_int(f, c) for c in cols]).astype(np.int64)
    valid = votes.sum(axis=1)
    eligible = valid >= min_votes
    if (n_eligible := int(eligible.sum())) < min_group:  # no power: "not flagged" would be no reading at all
        return not_applicable(
            test,
            f"{n_eligible:,} counted table{'' if n_eligible == 1 else 's'} with at least {min_votes} valid votes; the "
            f"test reads local voting from groups of such tables, and needs at least {min_group} of them.",
        )
    start = fr.peer_level(f, start)
    groups, _ = fr.peer_groups(f, start, min_size=min_group, eligible=eligible)
    national = votes.sum(axis=0) / max(int(valid.sum()), 1)
    major = national >= major_share
    if len(cols) == 2:
        major[:] = False  # with two choices, 0 % for one is 100 % for the other
    flagged = np.zeros(f.height, dtype=bool)
    for j in range(len(cols)):
        flagged |= eligible & ((votes[:, j] == valid) | (major[j] & (votes[:, j] == 0)))
    q, q_thin = nulls.unanimity_chances(votes, valid, groups, eligible, major)
    observed = int(flagged.sum())
    p_thin = nulls.bernoulli_sum_p(q_thin, observed, draws=draws, seed=seed)
    # How many unanimous tables chance gives rests on the far tail of local voting, which the body of the
    # peers (median, spread) does not pin down (nulls.unanimity_chances): a count beyond the thin tail
    # but not the thick one raises no alarm and gives no all-clear either.
    between = nulls.bernoulli_sum_p(q, observed, draws=draws, seed=seed) >= alpha and p_thin < alpha
    result = _decision(
        test,
        "unanimous_tables",
        observed,
        q,
        draws=draws,
        seed=seed,
        null="each table's share normal around its peers' median with their spread, clipped to [0, 1] "
        "(a thick tail: p), or normal on the logit scale (a thin tail: p_thin); binomial votes",
        found=f"{observed} counted table(s) with at least {min_votes} valid votes give one choice all of them"
        + (" (or a major choice none)" if major.any() else "")
        + f"; given how each table's neighbours voted, about {float(q_thin.sum()):.1f} (a thin tail of local "
        f"voting) to {float(q.sum()):.1f} (a thick tail) such tables would be expected",
        pattern="More lopsided tables than even the thick tail of local voting explains is a pattern worth "
        "checking sheet by sheet.",
        p_words="Monte Carlo p under the thick tail",
        alpha=alpha,
        usual=f"Cannot tell: more than a thin tail of local voting explains ({fr.fmt_p(p_thin, 'p under the thin tail')}), not "
        "more than a thick one; how many unanimous tables honest local voting gives depends on that tail, "
        "which the other tables of an area do not show."
        if between
        else "That count is in line with local voting patterns, even with a thin tail.",
        tables=fr.table_ids(f, flagged),
        caveats=(
            "Small communities can vote unanimously; the null allows for that only as far as the other "
            "tables of the area show it.",
            "The null treats tables as independent; tables of one village are not.",
        ),
        details={
            "min_votes": min_votes,
            "major_choices": [c.removeprefix(tf.CHOICE_PREFIX) for c, m in zip(cols, major, strict=True) if m],
        },
    )
    return replace(
        result,
        interval=(float(q_thin.sum()), float(q.sum())),
        # A cannot-tell has no p (as the integer test's): the two tails' p stay in the estimates.
        p_value=None if between else result.p_value,
        estimates={
            **result.estimates,
            "expected_thin_tail": float(q_thin.sum()),
            "p_thick_tail": result.p_value,
            "p_thin_tail": p_thin,
        },
        status="not_applicable" if between else result.status,
        level=start,  # peers are read from this level up (a coarser one for small areas)
    )


def _pairs_per_draw(draw: np.ndarray, cls: np.ndarray, place: np.ndarray, draws: int) -> np.ndarray:
    """Per draw, the pairs of members of one class that sit in one place."""
    key = np.sort((draw * (int(cls.max()) + 1) + cls) * (int(place.max()) + 1) + place)
    if len(key) == 0:
        return np.zeros(draws)
    starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    run = np.diff(np.r_[starts, len(key)])
    owner = key[starts] // ((int(cls.max()) + 1) * (int(place.max()) + 1))
    return np.bincount(owner, weights=run * (run - 1) // 2, minlength=draws)


def _permuted_pairs(
    cls: np.ndarray, start: np.ndarray, size: np.ndarray, places: np.ndarray, draws: int, seed: int
) -> np.ndarray:
    """Same-place pairs of identical sheets when the members of each class take the places of distinct
    random tables of their stratum (``start``, ``size``: the stratum's rows in ``places``), ``draws``
    times: the permutation null, sampled without replacement.

    Most classes are pairs: the second member draws among the stratum's other tables (exact, no
    loop). Larger classes in small strata take the first members of a random permutation of the
    stratum; the rest draw uniformly and redraw the rare member that took a table already taken.
    """
    rng = np.random.default_rng(seed)
    k = np.bincount(cls)[cls]
    out = np.zeros(draws)
    pair_rows = np.flatnonzero(k == 2)
    if len(pair_rows):
        first_row = pair_rows[np.r_[True, cls[pair_rows][1:] != cls[pair_rows][:-1]]]  # one row per pair class
        st, m = start[first_row], size[first_row]
        i1 = np.floor(rng.random((draws, len(st))) * m).astype(np.int64)
        i2 = np.floor(rng.random((draws, len(st))) * (m - 1)).astype(np.int64)
        i2 += i2 >= i1
        out += (places[st + i1] == places[st + i2]).sum(axis=1)
    rest = k > 2
    small = rest & (size <= 4 * k * k)
    for c in np.unique(cls[small]):
        rows = np.flatnonzero(cls == c)
        m, kk = int(size[rows[0]]), len(rows)
        idx = np.argsort(rng.random((draws, m)), axis=1)[:, :kk]
        pl_ = np.sort(places[start[rows[0]] + idx], axis=1)
        same = pl_[:, 1:] == pl_[:, :-1]
        streak = np.zeros(draws)
        for j in range(same.shape[1]):  # pairs in runs of equal places
            streak = np.where(same[:, j], streak + 1, 0)
            out += streak
    big = np.flatnonzero(rest & ~small)
    if len(big) == 0:
        return out
    kb, sb, st = cls[big], size[big], start[big]
    n = len(big)
    idx = np.floor(rng.random((draws, n)) * sb).astype(np.int64).ravel()
    draw = np.repeat(np.arange(draws), n)
    cls_r = np.tile(kb, draws)
    sb_r = np.tile(sb, draws)
    width = int(sb.max()) + 1
    for _ in range(100):
        key = (draw * (int(kb.max()) + 1) + cls_r) * width + idx
        order = np.argsort(key, kind="stable")
        dup = np.zeros(len(key), dtype=bool)
        dup[order[1:][np.diff(key[order]) == 0]] = True
        if not dup.any():
            break
        idx[dup] = np.floor(rng.random(int(dup.sum())) * sb_r[dup]).astype(np.int64)
    return out + _pairs_per_draw(draw, cls_r, places[np.tile(st, draws) + idx], draws)


def identical(
    frame: pl.DataFrame,
    *,
    min_votes: int = 20,
    draws: int = NULL_DRAWS,
    seed: int = 0,
    district_name: str = "district",
    alpha: float = 0.05,
) -> ForensicResult:
    """Pairs of tables in the same polling place with identical sheets, against the pairs the same
    identical sheets would make if the tables of each district sat in its polling places at random.

    Why that null: whether two sheets of a district are identical depends on how the district votes
    and on the tables' sizes, which the permutation keeps; only copying (or one person filling in
    several sheets of one place) makes identical sheets gather in one place. Without polling places
    the pairs are listed but the check cannot tell: there is no finer neighbourhood to compare.
    """
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
    district = fr.level_keys(f, tf.DISTRICT)
    near = fr.level_keys(f, "polling_place") if has_place else district
    near = np.where(near >= 0, near, np.max(near) + 1 + np.arange(f.height))  # no place: a place of its own
    work = f.select(comps).with_columns(pl.Series("_nb", near), pl.Series("_row", np.arange(f.height)))
    # Observed: identical sheets within a neighbourhood.
    # In the order of the tables (each group's first row): a group_by's order changes from run to run,
    # and so did the groups the output names (and, through the classes below, the null's draws).
    dup = (
        work.group_by(["_nb", *comps])
        .agg(pl.col("_row"))
        .filter(pl.col("_row").list.len() >= 2)
        .sort(pl.col("_row").list.first())
    )
    sizes = dup["_row"].list.len().to_numpy() if dup.height else np.zeros(0)
    observed = int((sizes * (sizes - 1) // 2).sum())
    rows = np.concatenate(dup["_row"].to_list()).astype(np.int64) if dup.height else np.zeros(0, np.int64)
    where = "polling_place" if has_place else district_name
    district_word = level_word(district_name)
    tables = fr.table_ids(f, np.isin(np.arange(f.height), rows))
    groups = [fr.table_ids(f, np.isin(np.arange(f.height), np.asarray(r))) for r in dup["_row"].to_list()[:MAX_GROUPS]]
    listed = {"groups": groups, "n_groups": dup.height, "groups_cut": dup.height > MAX_GROUPS}
    caveats = (f"Only tables with at least {min_votes} ballots cast are compared.",)
    if not has_place and observed == 0:  # nothing to weigh: the check ran and found no pair
        return ForensicResult(
            test=test,
            statistic=0,
            statistic_name="identical_pairs",
            reading=f"No two counted tables in the same {district_word} carry identical sheets (every choice, blank and null).",
            caveats=caveats,
            details={"neighbourhood": where, "groups": [], "n_groups": 0, "groups_cut": False},
            estimates={"observed": 0},
            decided=False,
            level=tf.DISTRICT,
        )
    if not has_place:
        return ForensicResult(
            test=test,
            statistic=observed,
            statistic_name="identical_pairs",
            reading=f"Cannot tell: {observed:,} pair(s) of counted tables in the same {district_word} carry identical sheets "
            "(every choice, blank and null); without polling places there is no finer neighbourhood to weigh them "
            "against, so this test gives no verdict; the tables are named so that each pair can be read.",
            tables=tables,
            caveats=caveats,
            details={"neighbourhood": where, **listed},
            estimates={"observed": observed},
            decided=None,
            status="not_applicable",
            level=tf.DISTRICT,
        )
    # Classes: identical sheets within a stratum (district, tables of about the same size and null
    # rate: tables of one place are often alike in both, which alone makes identical sheets likelier); the null
    # moves each class's members among the places of their stratum's tables.
    # Null ballots too: their rate is local (a place's voters and its officials' reading of a mark).
    cast = fr.as_int(f, tf.CAST)
    keys = [district, np.floor(100 * fr.as_int(f, tf.NULL) / np.maximum(cast, 1)).astype(np.int64)]
    if fr.has_electors(f):
        keys.append(np.floor(50 * np.log(np.maximum(fr.as_int(f, tf.ELECTORS), 1))).astype(np.int64))
    code = np.zeros(f.height, dtype=np.int64)
    for key in keys:  # one int64 code (mixed radix), not a row-wise unique: a million rows in 0.1 s
        code = code * (int(key.max()) + 1) + key
    stratum = np.unique(code, return_inverse=True)[1].ravel()
    if not _can_gather(stratum, near):
        return not_applicable(
            test,
            f"the null moves identical sheets among the polling places of tables of about the same size and null rate "
            f"in their {district_word}, and no polling place here has two compared tables (at least {min_votes} "
            "ballots) with such tables in another place: it needs at least one, so identical sheets could gather "
            "in a place more than chance places them.",
            level="polling_place",
        )
    order = np.argsort(stratum, kind="stable")
    first = np.searchsorted(stratum[order], np.arange(int(stratum.max()) + 1))
    count = np.bincount(stratum, minlength=int(stratum.max()) + 1)
    places = near[order]
    work = work.with_columns(pl.Series("_base", stratum))
    cls_df = (
        work.group_by(["_base", *comps])
        .agg(pl.col("_row"))
        .filter(pl.col("_row").list.len() >= 2)
        .sort(pl.col("_row").list.first())
    )
    members = np.concatenate(cls_df["_row"].to_list()).astype(np.int64) if cls_df.height else np.zeros(0, np.int64)
    cls = np.repeat(np.arange(cls_df.height), cls_df["_row"].list.len().to_numpy()) if cls_df.height else members
    if len(members):
        observed = int(_pairs_per_draw(np.zeros(len(cls), dtype=np.int64), cls, near[members], 1)[0])
        null_pairs = _permuted_pairs(cls, first[stratum[members]], count[stratum[members]], places, draws, seed)
    else:
        observed, null_pairs = 0, np.zeros(draws)
    p = float((1 + int((null_pairs >= observed).sum())) / (draws + 1)) if observed else 1.0
    expected = float(null_pairs.mean())
    found = (
        f"{observed:,} pair(s) of counted tables in the same polling place carry identical sheets (every choice, "
        f"blank and null); the same sheets spread at random over the places of the tables of their {district_word} "
        f"with about the same size and null rate make about "
        f"{expected:.2f} such pairs"
    )
    return ForensicResult(
        test=test,
        statistic=observed,
        statistic_name="identical_pairs",
        p_value=p,
        reading=f"{found} ({fr.fmt_p(p, 'permutation p')}). "
        + (
            "Identical sheets gather in polling places more than chance places them: copied sheets are one way "
            "this arises; so are tiny, homogeneous places."
            if p < alpha
            else "That is in line with chance coincidences."
        ),
        tables=tables,
        caveats=(
            *caveats,
            "Tables of one polling place share a neighbourhood and often a size, so they can coincide more "
            "than tables of different places without anyone copying.",
        ),
        details={"neighbourhood": where, "expected": expected, **listed},
        estimates={"observed": observed, "expected": expected},
        null=f"tables of each {district_word} placed in its polling places at random (permutation)",
        draws=draws,
        level="polling_place",
    )


def _can_gather(stratum: np.ndarray, place: np.ndarray) -> bool:
    """Whether the identical-sheets test has any power: some polling place holds two compared tables
    whose stratum (``stratum`` per table) has tables in another place too. Without one, no count of
    pairs is more than the permutation gives, and "not flagged" (a 2-table store's) said nothing."""
    width = int(place.max()) + 1
    key, in_place = np.unique(stratum.astype(np.int64) * width + place, return_counts=True)
    of = key // width
    places = np.bincount(of)
    return bool(((in_place >= 2) & (places[of] >= 2)).any())


def cast_outliers(
    frame: pl.DataFrame,
    *,
    start: str = tf.DISTRICT,
    min_group: int = 20,
    min_electors: int = 50,
    alpha: float = 0.05,
    z_at: float = OUTLIER_Z,
    level_names: Mapping[str, str] | None = None,
) -> ForensicResult:
    """Tables whose turnout (or ballots cast) is far from their peers', listed (a listing: no verdict).

    Each table's z is its distance from its peers' median in units of its own expected spread (the
    peers' latent spread plus its own binomial noise, :func:`nulls.latent_spread`). The count of
    tables beyond ``z_at`` is given beside what a clean model expects: per table, the chance a normal
    draw lands that far, with the peers' median and spread read from a finite group (a t tail whose
    degrees of freedom are those of a MAD from that many tables). Tables individually beyond chance
    across all tables (Bonferroni at ``alpha``) are listed. ``level_names`` (frame column -> the election's
    name) words the peers' areas, in the reading and in the levels used, as the election calls them.
    """
    test = "anomalies.cast_outliers"
    names = dict(level_names or {})
    f = fr.counted(frame)
    if f.height < min_group:
        return not_applicable(test, "too few counted tables.")
    cast = fr.as_int(f, tf.CAST).astype(np.float64)
    if fr.has_electors(f):
        electors = fr.as_int(f, tf.ELECTORS).astype(np.float64)
        metric = fr.safe_ratio(cast, electors)
        metric[electors < min_electors] = np.nan
        metric_name = "turnout"
    else:
        electors = np.full(f.height, np.inf)
        metric = cast
        metric_name = "ballots cast"
    eligible = np.isfinite(metric)
    start = fr.peer_level(f, start)
    groups, level_of = fr.peer_groups(f, start, min_size=min_group, eligible=eligible)
    if metric_name == "turnout":
        x = np.where(eligible, metric, np.nan)
        med, latent, size = nulls.latent_spread(x, electors, groups)
        # Where most of the area reports every elector voting, its median sits at 1 and its MAD at 0:
        # the spread is read from the upper quartile of distances instead (1.15 sd for a normal), and
        # the binomial noise at the area's mean rate, not at its median's (which is 0 there).
        ng = int(groups.max()) + 1
        dev = pl.DataFrame({"g": groups, "d": np.abs(x - med)}).with_columns(pl.col("d").fill_nan(None))
        q75 = dev.select(pl.col("d").quantile(0.75).over("g"))["d"].fill_null(0.0).to_numpy() / 1.1503
        xv = np.where(eligible, np.clip(metric, 0.0, 1.0), 0.0)
        rate_var = np.bincount(groups[eligible], weights=(xv * (1 - xv))[eligible], minlength=ng)
        rate_var = (rate_var / np.maximum(np.bincount(groups[eligible], minlength=ng), 1))[groups]
        latent = np.maximum(latent, np.sqrt(np.maximum(q75**2 - rate_var / np.maximum(electors, 1), 0.0)))
        spread = np.sqrt(latent**2 + rate_var / np.maximum(electors, 1))
    else:
        med, mad = fr.group_median_mad(np.where(eligible, metric, np.nan), groups)
        size = np.bincount(groups[eligible], minlength=int(groups.max()) + 1)[groups]
        spread = np.maximum(mad, 1.0)
    z = np.where(eligible, (metric - med) / np.maximum(spread, 1e-9), 0.0)
    # The peers' median and spread come from ``size`` tables: a MAD is as informative as about 37 %
    # as many normal draws, and the median adds pi / (2 m) to the variance of the distance.
    df = np.maximum(2.0, 0.37 * (size - 1))
    scale = np.sqrt(1.0 + np.pi / (2.0 * np.maximum(size, 1)))
    q = np.where(eligible, 2 * stats.t.sf(z_at / scale, df), 0.0)
    far = eligible & (np.abs(z) > z_at)
    p_each = 2 * stats.t.sf(np.abs(z) / scale, df)
    n_tests = int(eligible.sum())
    listed = eligible & (p_each * max(n_tests, 1) < alpha)
    order = [int(i) for i in np.argsort(-np.abs(z))[:20] if eligible[i]]
    ids = f[tf.TABLE].cast(pl.Utf8).gather(order).to_list()
    top = [
        {"table": t, "z": float(z[i]), metric_name: float(metric[i]), "peer_median": float(med[i])}
        for i, t in zip(order, ids, strict=True)
    ]
    found_words = (
        f"{int(far.sum()):,} counted table(s) have {'a' if metric_name == 'turnout' else 'a number of'} {metric_name} "
        f"more than {z_at:g} expected spreads from {fr.peers_words(start, names)}, against about "
        f"{float(q.sum()):.1f} if every table were drawn around its neighbours "
        f"(max |z| = {float(np.abs(z).max()):.1f}; {int(listed.sum())} beyond chance one by one across "
        f"{n_tests:,} tables)"
    )
    # A listing, not a test: the count is weighed against a model that draws every table around its
    # neighbours, and real tables are not drawn so (hospitals, prisons, annexes, rolls of voters who
    # moved): weighed as a test it came out flagged on every real election read, Chile 2021 and the
    # Peru runoff among them, while clean simulations drawn from the model itself held α. The tables
    # beyond chance one by one are what there is to read; the count and what the model gives stay
    # in the estimates.
    max_z = float(np.abs(z).max())
    return ForensicResult(
        test=test,
        statistic=max_z,
        statistic_name="max_abs_z",
        reading=(
            f"{found_words}. Real tables stand apart from their neighbours for plain reasons the model does not "
            "draw (a hospital or prison table, a roll of voters who moved, a remote annex), so the count is not "
            f"weighed as a test: the {int(listed.sum()):,} table(s) beyond chance one by one are listed, each worth "
            "a look at the sheet and the roll."
        ),
        tables=fr.table_ids(f, listed),
        caveats=(f"Tables with fewer than {min_electors} electors are left out (their turnout is too noisy).",),
        details={
            "metric": metric_name,
            "z_at": z_at,
            "top": top,
            "max_abs_z": max_z,
            "expected": float(q.sum()),
            "levels_used": _tables_by_name(((fr.LEVELS[i], int((level_of == i).sum())) for i in np.unique(level_of)), names),
        },
        estimates={"observed": int(far.sum()), "expected": float(q.sum()), "max_abs_z": max_z},
        null=f"each table's {metric_name} normal around its peers' median with their spread and its own binomial "
        "noise; t tails for a median and MAD read from a finite group",
        level=start,
        listing=True,
    )


def _tables_by_name(counts: Iterable[tuple[str, int]], names: Mapping[str, str] | None = None) -> dict[str, int]:
    """Tables per level, keyed by the election's name of each level (columns that hold one level
    again add up under its name)."""
    out: dict[str, int] = {}
    for level, n in counts:
        name = (names or {}).get(level, level)
        out[name] = out.get(name, 0) + n
    return out


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


def _mid_sentence(text: str) -> str:
    """``text`` as it reads after a colon inside a sentence: its first word in lower case ("cannot
    tell: ..."), unless that word is an acronym (two capitals) that must keep its case."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _apart(
    result: ForensicResult, population: str | None, part: pl.DataFrame, names: Mapping[str, str] | None = None
) -> ForensicResult:
    """A check's result on one population: named (``.abroad`` for the tables abroad; the domestic
    result keeps the check's name), marked with its population, its wording saying which tables.
    With ``names`` (the population's own level names) its level is given by that name: a column
    holds a level abroad under the nation's name for it (Peru's district column: a city abroad)."""
    if population is None:
        return result
    name = result.test if population == "domestic" else f"{result.test}.{population}"
    counted = fr.counted(part).height
    reading = f"{POPULATION_WORDS[population]} ({counted:,} counted), read on their own: {_mid_sentence(result.reading)}"
    # A key, as every other result's level is ("territorial_commission_abroad"), not the words
    # the names hold ("territorial commission abroad"): the JSON mixed the two.
    level = (names or {}).get(result.level, result.level).replace(" ", "_") if result.level is not None else None
    return replace(result, test=name, population=population, reading=reading, level=level)


def run(
    frame: pl.DataFrame,
    *,
    choices: list[str] | None = None,
    by: str = tf.DISTRICT,
    turnout: float = float(DEFAULTS["turnout"]),
    null_share_at: float = float(DEFAULTS["null_share"]),
    unanimous_votes: int = int(DEFAULTS["unanimous_votes"]),
    abroad: Collection[str] = (),
    draws: int = NULL_DRAWS,
    seed: int = 0,
    level_names: Mapping[str, str] | None = None,
    abroad_names: Mapping[str, str] | None = None,
    choice_names: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> list[ForensicResult]:
    """Every anomaly check, with its thresholds (and the run's ``alpha``, which the tests' words follow):
    ``turnout`` (list tables at or above it),
    ``null_share_at`` (null ballots as a share of cast), ``unanimous_votes`` (the least valid votes a
    table needs before one choice's 100 % counts). ``by`` is the level peers are read at.

    With ``abroad`` (the top-level codes of voting abroad), each check runs on the domestic tables
    and on the tables abroad apart (:func:`populations`): their expected counts, peers and overall
    rates come from their own population; ``draws`` and ``seed`` drive the Monte Carlo nulls. The
    resolved sheets' net votes weigh against the national margin, so they are one result, with each
    population's votes in its estimates. ``level_names`` (frame level -> the election's name) words
    the areas as the election calls them; ``abroad_names`` the same for the tables abroad, whose
    areas the frame holds in the same columns (Peru's cities abroad in its district column).
    """
    start = by if by in fr.LEVELS else tf.DISTRICT  # the peers of unanimous and cast_outliers (Must have 2)
    parts = populations(frame, abroad)
    out = []
    for population, part in parts:
        names = _area_names(level_names if population != "abroad" else {**(level_names or {}), **(abroad_names or {})})
        # The district column holds the finest level an election names (Russia's: its territorial commissions).
        district_name = names.get(tf.DISTRICT, "district")
        checks = (
            turnout_full(part, threshold=turnout),
            null_share(part, threshold=null_share_at),
            unanimous(part, choices=choices, start=start, min_votes=unanimous_votes, draws=draws, seed=seed, alpha=alpha),
            identical(part, draws=draws, seed=seed, district_name=district_name, alpha=alpha),
            cast_outliers(part, start=start, level_names=names, alpha=alpha),
        )
        out.append([_apart(result, population, part, names if population == "abroad" else None) for result in checks])
    by_check = [result for results in zip(*out, strict=True) for result in results]  # each check's populations together
    return [*by_check, resolved_net(frame, choices=choices, parts=parts, choice_names=choice_names)]


def _area_names(level_names: Mapping[str, str] | None) -> dict[str, str]:
    """Frame column -> the election's name, the district column named where it is not: it then
    repeats the finest level above it (Russia's territorial commissions)."""
    names = dict(level_names or {})
    if names:
        names.setdefault(tf.DISTRICT, names.get(tf.PROVINCE) or "district")
    return names
