"""Helpers over the table-results frame shared by every forensic test.

They keep three decisions in one place: which rows a statistical test reads (counted sheets only:
annulled sheets carry all their ballots as null votes and would distort every share), how a share is
computed (floats only here, never for counts), and how a table's geographic peer group is chosen with
a fallback to a coarser level when a group is too small to say anything.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.forensics.results import level_word

LEVELS = ("polling_place", tf.DISTRICT, tf.PROVINCE, tf.DEPARTMENT, "national")
"""Geography from finest to coarsest; "national" is the single group every table belongs to."""


def choice_columns(frame: pl.DataFrame) -> list[str]:
    """The ``v_<choice>`` columns of a frame, in ballot order."""
    return [c for c in frame.columns if c.startswith(tf.CHOICE_PREFIX)]


_MEMO: dict[int, tuple[weakref.ref[pl.DataFrame], dict[Any, Any]]] = {}


def memo(frame: pl.DataFrame, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per frame and key, while the frame lives.

    Why: every family of the suite asks for the same counted rows and the same area codes of the
    same frame (a million tables: seconds each time). Frames are immutable, so the answer cannot
    go stale; it is keyed by the frame's identity and dropped when the frame is collected. Arrays
    are returned read-only, so no caller can change what the next one reads.
    """
    entry = _MEMO.get(id(frame))
    if entry is None or entry[0]() is not frame:
        ident = id(frame)
        entry = (weakref.ref(frame, lambda _ref, memos=_MEMO: memos.pop(ident, None)), {})
        _MEMO[ident] = entry
    store = entry[1]
    if key not in store:
        value = compute()
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        store[key] = value
    return store[key]


def counted(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows whose sheet is counted (normal or after a ruling)."""
    if tf.STATE not in frame.columns:
        return frame
    return memo(frame, "counted", lambda: subset(frame, frame[tf.STATE].is_in(list(tf.COUNTED_STATES)).to_numpy()))


def subset(frame: pl.DataFrame, mask: np.ndarray) -> pl.DataFrame:
    """The rows of ``frame`` where ``mask`` holds, remembering where they came from.

    Why: the tests read subsets of one frame (counted sheets, tables with enough ballots, tables
    with a turnout); a subset's area codes are its parent's, renumbered (:func:`level_keys`),
    instead of sorting every table's area names again (seconds on a million tables).
    """
    mask = np.asarray(mask, dtype=bool)
    child = frame.filter(pl.Series(mask))
    memo(child, "parent", lambda: (frame, mask))
    return child


def same_rows(new: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
    """``new``, which holds ``old``'s rows in ``old``'s order with the same areas (other counts, more
    columns), read as ``old``'s subset of every row: its area codes are ``old``'s (:func:`level_keys`),
    not computed again from the names.

    Why: calibration draws hundreds of elections over one real frame's tables, each a frame of its
    own; on Russia's 95,000 tables computing their area codes again was a fifth of a fingerprint run.
    """
    if new.height != old.height:
        raise ValueError(f"same_rows: {new.height} rows against {old.height}")
    memo(new, "parent", lambda: (old, np.ones(old.height, dtype=bool)))
    return new


def has_electors(frame: pl.DataFrame) -> bool:
    """Whether turnout can be computed (electors known and positive on most rows)."""
    if tf.ELECTORS not in frame.columns or frame.height == 0:
        return False
    col = frame[tf.ELECTORS]
    return col.null_count() < frame.height and int((col.fill_null(0) > 0).sum()) >= frame.height // 2


def as_float(frame: pl.DataFrame, column: str) -> np.ndarray:
    """A column as float64 numpy (nulls as NaN)."""
    return frame[column].cast(pl.Float64).to_numpy()


def as_int(frame: pl.DataFrame, column: str) -> np.ndarray:
    """A count column as int64 numpy (nulls as 0)."""
    return frame[column].fill_null(0).cast(pl.Int64).to_numpy()


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den as float, NaN where den is 0 (a share is undefined, not zero)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def level_keys(frame: pl.DataFrame, level: str) -> np.ndarray:
    """Integer group codes of every row at one geography level (nulls become their own code -1).

    A finer level's key is made unique across coarser ones (districts with the same code in two
    provinces stay apart) by ranking the columns above it together: codes follow the areas' names
    in order. Read-only, computed once per frame and level (a :func:`subset` takes its parent's).
    """
    return memo(frame, ("level_keys", level), lambda: _level_keys(frame, level))


def _level_keys(frame: pl.DataFrame, level: str) -> np.ndarray:
    if level == "national":
        return np.zeros(frame.height, dtype=np.int64)
    parent = memo(frame, "parent", lambda: None)
    if parent is not None:
        # A subset's codes are its parent's, renumbered densely in the same (sorted) order.
        codes = level_keys(parent[0], level)[parent[1]]
        known = codes >= 0
        out = np.full(len(codes), -1, dtype=np.int64)
        out[known] = np.unique(codes[known], return_inverse=True)[1]
        return out
    order = [tf.DEPARTMENT, tf.PROVINCE, tf.DISTRICT, "polling_place"]
    cols = [c for c in order[: order.index(level) + 1] if c in frame.columns]
    if level not in frame.columns:
        return np.full(frame.height, -1, dtype=np.int64)
    # The distinct keys sorted, then joined back: the same codes as ranking every row's key
    # (the areas' names in order), several times faster (a sort of the distinct keys only).
    keys = frame.select([pl.col(c).cast(pl.Utf8) for c in cols])
    distinct = keys.unique().sort(cols, nulls_last=True).with_row_index("_k")
    joined = keys.join(distinct, on=cols, how="left", nulls_equal=True, maintain_order="left")
    codes = joined["_k"].cast(pl.Int64).to_numpy().copy()
    codes[frame[level].is_null().to_numpy()] = -1
    return codes


def offered_levels(frame: pl.DataFrame) -> tuple[str, ...]:
    """The levels a ``--by`` can condition on in this election: each geography column with areas
    that split the next coarser level's (Russia's district column repeats its territorial
    commissions; Peru's polling-place column is empty), coarsest first."""
    out: list[str] = []
    previous = 1
    for level in reversed(LEVELS[:-1]):
        if level not in frame.columns or frame[level].null_count() == frame.height:
            continue
        n = len(np.unique(level_keys(frame, level)))
        if n > previous:
            out.append(level)
            previous = n
    return tuple(out)


def peer_groups(
    frame: pl.DataFrame, start: str, *, min_size: int, eligible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's peer group: the finest level from ``start`` up with at least ``min_size`` members.

    Returns (group id, level index into :data:`LEVELS`). Group ids are unique across levels.
    ``eligible`` (bool per row) restricts who counts as a member (e.g. tables with a defined share);
    ineligible rows still get a group. Falls back level by level to "national".
    """
    n = frame.height
    eligible = np.ones(n, dtype=bool) if eligible is None else eligible
    group = np.full(n, -1, dtype=np.int64)
    level_of = np.full(n, len(LEVELS) - 1, dtype=np.int64)
    offset = 0
    for li, level in enumerate(LEVELS[LEVELS.index(start) :], start=LEVELS.index(start)):
        keys = level_keys(frame, level)
        valid_key = keys >= 0
        size = np.bincount(keys[valid_key & eligible], minlength=int(keys.max()) + 1 if n else 0)
        big = np.zeros(n, dtype=bool)
        big[valid_key] = size[keys[valid_key]] >= min_size
        take = (group < 0) & big
        if level == "national":
            take = group < 0
        group[take] = keys[take] + offset
        level_of[take] = li
        offset += int(keys.max()) + 2 if n else 1
        if not (group < 0).any():
            break
    # compact ids
    _, compact = np.unique(group, return_inverse=True)
    return compact.astype(np.int64), level_of


def group_median_mad(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row median and MAD (scaled to a normal sd) of ``values`` within each group, NaN-aware."""
    df = pl.DataFrame({"g": groups, "x": values}).with_columns(
        pl.when(pl.col("x").is_nan()).then(None).otherwise(pl.col("x")).alias("x")
    )
    med = df.select(pl.col("x").median().over("g"))["x"].to_numpy()
    dev = np.abs(values - med)
    mad = (
        pl.DataFrame({"g": groups, "d": dev})
        .with_columns(pl.when(pl.col("d").is_nan()).then(None).otherwise(pl.col("d")).alias("d"))
        .select(pl.col("d").median().over("g"))["d"]
        .to_numpy()
    )
    return med.astype(np.float64), 1.4826 * mad.astype(np.float64)


def peer_level(frame: pl.DataFrame, level: str) -> str:
    """``level`` when the frame can group its tables by it ("national": all of them; a column that
    holds areas), else the district column. A test conditioned by ``--by`` reads its peers at the
    level asked, and says so; it falls back only when the frame does not hold that level."""
    if level == "national" or (level in frame.columns and frame[level].null_count() < frame.height):
        return level
    return tf.DISTRICT


def peers_words(level: str, names: Mapping[str, str]) -> str:
    """Where a table's peers are, in words: "the other tables of the nation", or "… of their
    region (or coarser area)" (a small area's tables are read with the area above it)."""
    if level == "national":
        return "the other tables of the nation"
    return f"the other tables of their {level_word(names.get(level, level))} (or coarser area)"


def area_labels(frame: pl.DataFrame, level: str) -> np.ndarray:
    """Human labels of each row's area at a level (the code as given, or "national")."""
    if level == "national" or level not in frame.columns:
        return np.full(frame.height, "national", dtype=object)
    return frame[level].cast(pl.Utf8).fill_null("?").to_numpy()


def table_ids(frame: pl.DataFrame, mask: np.ndarray | None = None) -> tuple[str, ...]:
    """Table ids (as str) of the rows selected by ``mask``."""
    ids = frame[tf.TABLE].cast(pl.Utf8)
    if mask is not None:
        ids = ids.filter(pl.Series(np.asarray(mask, dtype=bool)))  # filter first: a few ids, not all of them
    return tuple(ids.to_list())


def plural(name: str) -> str:
    """An area level's name in the plural, for prose: ``territorial_commission`` -> ``territorial
    commissions``, ``municipality`` -> ``municipalities``, ``region abroad`` -> ``regions abroad``."""
    head, sep, tail = name.replace("_", " ").partition(" abroad")
    if head.endswith("y") and head[-2:-1] not in "aeiou":
        head = head[:-1] + "ies"
    elif not head.endswith("s"):
        head += "s"
    return head + sep + tail


def fmt_p(p: float | None, name: str = "p") -> str:
    """A p-value for prose, with its name and its relation: ``p = 0.0032``, ``p < 0.001``.

    Why the name is part of it: below 0.001 the relation is "<", not "=", so a sentence cannot
    write ``p = {value}`` around it (that printed ``p = < 0.001``). ``name`` is what the p-value
    is (``Poisson tail p``, ``Bonferroni p over 86,199 tables``)."""
    if p is None:
        return f"{name} not computed"
    return f"{name} = {p:.2g}" if p >= 0.001 else f"{name} < 0.001"
