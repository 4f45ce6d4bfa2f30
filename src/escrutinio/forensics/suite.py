"""Run every forensic test on one election, conditioned on geography, and collect the results.

The suite is the one entry point the CLI (``escrutinio forensics``) calls. It reads only counted
sheets for the distributional tests, runs each family in turn, never lets one family's failure stop
the others (a failing family becomes a result with status "error"), and reports progress through an
optional callable so a terminal can draw a progress bar.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import anomalies, count_order, digits, fingerprint, integer_peaks, peers, second_digit
from escrutinio.forensics import frames as fr
from escrutinio.forensics.results import STATUS_ERROR, ForensicResult, SuiteResult, level_word, not_applicable

TESTS = ("anomalies", "fingerprint", "integer_peaks", "digits", "peers", "count_order")
"""Test families, in the order the suite runs them (``--tests`` takes a subset of these names)."""

Progress = Callable[[str, int, int], None]


DEFAULT_LEVELS = {
    "anomalies": tf.DISTRICT,
    "fingerprint": tf.DEPARTMENT,
    "integer_peaks": None,
    "digits": tf.DISTRICT,
    "peers": "polling_place",
    "count_order": tf.DISTRICT,
}
"""The level each family conditions on when ``by`` is not given: the one its paper used. Klimek et al.
centre the clean model on the territorial unit; Kobak et al. pool the nation (each table keeps its own
binomial null); the digit tests read each count against the count its district's share of the choice
predicts (at most department-sized: at "national" they cannot tell); peers
are the other tables of the same polling place."""


def _by_area(frame: pl.DataFrame, by: str | None, winner: str, results: list[ForensicResult], alpha: float) -> tuple[dict, ...]:
    """Per-area summary at the ``by`` level: tables, winner share, turnout, and what the two counts
    say: ``tables_flagged``, the tables named by a result whose verdict is flagged (a test that is
    not flagged, or cannot tell, names tables too, but points to none), and ``tables_listed``, the
    tables a threshold listing names (no verdict)."""
    f = fr.counted(frame)
    if by is None or by not in f.columns or f.height == 0:
        return ()
    flagged: set[str] = set()
    listed: set[str] = set()
    for r in results:
        if r.is_listing:
            listed.update(r.tables)
        elif r.flagged(alpha) is True:
            flagged.update(r.tables)
    ids = pl.col(tf.TABLE).cast(pl.Utf8)
    f = f.with_columns(ids.is_in(list(flagged)).alias("_flagged"), ids.is_in(list(listed)).alias("_listed"))
    agg = [
        pl.len().alias("tables"),
        pl.col(tf.choice_column(winner)).sum().alias("winner_votes"),
        pl.col(tf.VALID).sum().alias("valid"),
        pl.col(tf.CAST).sum().alias("cast"),
        pl.col("_flagged").sum().alias("tables_flagged"),
        pl.col("_listed").sum().alias("tables_listed"),
    ]
    if tf.ELECTORS in f.columns:
        agg.append(pl.col(tf.ELECTORS).sum().alias("electors"))
    g = f.group_by(by).agg(agg).sort(by)
    out = []
    for row in g.iter_rows(named=True):
        d = {
            "area": row[by],
            "tables": row["tables"],
            "winner_share": row["winner_votes"] / row["valid"] if row["valid"] else None,
            "tables_flagged": int(row["tables_flagged"]),
            "tables_listed": int(row["tables_listed"]),
        }
        if row.get("electors"):
            d["turnout"] = row["cast"] / row["electors"]
        out.append(d)
    return tuple(out)


def run_suite(
    frame: pl.DataFrame,
    *,
    winner: str,
    choices: Iterable[str],
    tests: Iterable[str] | None = None,
    by: str | None = None,
    level_names: Mapping[str, str] | None = None,
    claimed_tables: Iterable[str] | None = None,
    first_round: pl.DataFrame | None = None,
    progress: Progress | None = None,
    first_round_winner: str | None = None,
    order_label: str | None = "the order column",
    options: Mapping[str, Mapping[str, Any]] | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    abroad: Collection[str] = (),
    abroad_level_names: Mapping[str, str] | None = None,
    choice_names: Mapping[str, str] | None = None,
) -> SuiteResult:
    """Run the chosen test families (all by default) and return a :class:`SuiteResult`.

    ``winner`` and ``choices`` are choice ids (without the ``v_`` prefix). ``by`` is the frame's
    geography column every test that compares tables with peers conditions on (one of
    :data:`frames.LEVELS`); None gives each family its paper's level (:data:`DEFAULT_LEVELS`).
    ``level_names`` maps a column to the election's own name for it (wording). ``claimed_tables`` feeds the
    claims-vs-peers test (skipped without it) and ``first_round`` its first-round comparison.
    ``options`` passes keyword overrides to one family (e.g. ``{"fingerprint": {"bootstrap": 50}}``).
    ``abroad``: the top-level area codes of voting abroad; the anomaly checks read those tables apart,
    and the count-order projection projects them from each other before the nation stands in;
    ``abroad_level_names`` maps a column to the election's name for it abroad (wording).
    ``choice_names`` maps a choice id to the election's name for it (the candidate, or the list): the
    readings name choices so, and JSON keeps the ids in its id fields.
    """
    chosen = list(tests) if tests is not None else list(TESTS)
    unknown = [t for t in chosen if t not in TESTS]
    if unknown:
        raise ValueError(f"unknown forensic test(s) {unknown}; expected some of {list(TESTS)}")
    if by is not None and by not in fr.LEVELS:
        raise ValueError(f"by must be one of {list(fr.LEVELS)}, not {by!r}")
    names = dict(level_names or {})

    def level(family: str) -> str | None:
        return by if by is not None else DEFAULT_LEVELS[family]

    def label(family: str) -> str | None:
        lv = level(family)
        return None if lv is None else names.get(lv, lv)

    choices = list(choices)
    if winner not in choices:
        raise ValueError(f"winner {winner!r} is not among the choices {choices}")
    missing = [tf.choice_column(c) for c in choices if tf.choice_column(c) not in frame.columns]
    if missing:
        raise ValueError(f"the frame has no column(s) {missing}")
    opts = {k: dict(v) for k, v in (options or {}).items()}
    said = dict(choice_names or {})
    t0 = time.perf_counter()
    results: list[ForensicResult] = []
    claimed = list(claimed_tables) if claimed_tables is not None else None

    def run_family(name: str) -> list[ForensicResult]:
        o = opts.get(name, {})
        lv, lab = level(name), label(name)
        if name == "anomalies":
            return anomalies.run(
                frame,
                choices=choices,
                by=lv or tf.DISTRICT,
                abroad=abroad,
                seed=seed,
                level_names=names,
                abroad_names=abroad_level_names,
                choice_names=said,
                alpha=alpha,
                **o,
            )
        if name == "fingerprint":
            return [
                fingerprint.test(
                    frame,
                    winner=winner,
                    by=lv or tf.DISTRICT,
                    seed=seed,
                    level_label=lab,
                    level_names=names,
                    choice_names=said,
                    alpha=alpha,
                    **o,
                )
            ]
        if name == "integer_peaks":
            # Its label only words a sentence ("the excess by polling place"): the words, not the key.
            return integer_peaks.test(
                frame,
                winner=winner,
                by=lv,
                seed=seed,
                level_label=None if lab is None else level_word(lab),
                choice_names=said,
                alpha=alpha,
                **o,
            )
        if name == "digits":
            # The second digit, then the last (the second-digit module builds on the last-digit one's helpers).
            return [
                one(frame, choices=choices, by=lv, alpha=alpha, seed=seed, level_label=lab, **o)
                for one in (second_digit.second_digit_test, digits.last_digit_test)
            ]
        if name == "peers":
            if not claimed:
                return [not_applicable("claims_vs_peers.winner_share", "no claimed tables were given.")]
            return peers.test(
                frame,
                claimed,
                winner=winner,
                first_round=first_round,
                first_round_winner=first_round_winner,
                start=lv or "polling_place",
                seed=seed,
                level_names=names,
                choice_names=said,
                abroad=abroad,
                abroad_names=abroad_level_names,
                alpha=alpha,
                **o,
            )
        if name == "count_order":
            return [
                count_order.test(
                    frame,
                    winner=winner,
                    order_label=order_label,
                    alpha=alpha,
                    seed=seed,
                    abroad=abroad,
                    level_names=names,
                    choice_names=said,
                    **o,
                )
            ]
        raise AssertionError(name)

    for i, name in enumerate(chosen):
        if progress:
            progress(name, i, len(chosen))
        try:
            results.extend(run_family(name))
        except Exception as exc:  # one family's failure must not hide the others' results
            results.append(
                ForensicResult(
                    test=f"{name}.error",
                    statistic=None,
                    statistic_name="",
                    reading=f"The {name} tests failed: {exc}",
                    status=STATUS_ERROR,
                    details={"traceback": traceback.format_exc(limit=5)},
                )
            )
    if progress:
        progress("done", len(chosen), len(chosen))
    return SuiteResult(
        results=tuple(results),
        winner=winner,
        choices=tuple(choices),
        by=by,
        n_tables=frame.height,
        n_counted=fr.counted(frame).height,
        elapsed_seconds=time.perf_counter() - t0,
        alpha=alpha,
        by_area=_by_area(frame, by, winner, results, alpha),
        level_names=names,
        choice_names=said,
    )


def leading_choices(frame: pl.DataFrame, k: int = 2) -> list[str]:
    """The ``k`` choices with the most votes over counted tables (ids, winner first)."""
    f = fr.counted(frame)
    cols = fr.choice_columns(f)
    totals = np.array([int(f[c].fill_null(0).sum()) for c in cols])
    return [cols[i].removeprefix(tf.CHOICE_PREFIX) for i in np.argsort(-totals)[:k]]
