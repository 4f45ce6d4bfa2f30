"""The real order of the count, from a CSV a person gives (``--order``).

Why a file: a count-order story is only worth telling on the order in which sheets were really
counted. A file's row order, or the order in which a bulk load wrote sheets into the log, is not
that order (Russia's file is alphabetical by region; Bolivia's by acta number). So the order comes
from a list of the tables counted (column ``table``), optionally with ``at`` — a time
(ISO 8601) or a rank (an integer). Tables not listed are not yet counted.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from escrutinio.domain.errors import InputError, Place, Problem

TABLE_COLUMNS = ("table", "MESA_DE_VOTACION", "mesa", "Número Mesa")


def read_order(path: Path) -> dict[str, int]:
    """Table id -> rank in the count (1 = counted first; ties share a rank), from ``path``.

    Without an ``at`` column the rows' order is the count order. Every malformed row is reported.
    """
    import polars as pl

    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError([Problem(Place(str(path)), f"cannot read the count order ({str(exc).splitlines()[0]})")]) from None
    column = next((c for c in TABLE_COLUMNS if c in frame.columns), None)
    if column is None:
        raise InputError(
            [
                Problem(
                    Place(str(path), 1), f"expected a column {', '.join(TABLE_COLUMNS)}; the file has {', '.join(frame.columns)}"
                )
            ]
        )
    tables = [t.strip() for t in frame[column].fill_null("").to_list()]
    problems = [
        Problem(Place(str(path), i + 2, column), "expected a table id, found nothing") for i, t in enumerate(tables) if not t
    ]
    keys: list[float] = []
    if "at" in frame.columns:
        for i, raw in enumerate(frame["at"].fill_null("").to_list()):
            key = _key(raw.strip())
            if key is None:
                problems.append(
                    Problem(Place(str(path), i + 2, "at"), f"expected a time (ISO 8601) or a rank (integer), got {raw!r}")
                )
            keys.append(key if key is not None else 0.0)
    else:
        keys = [float(i) for i in range(len(tables))]
    seen: dict[str, int] = {}
    for i, t in enumerate(tables):
        if t and t in seen:
            problems.append(Problem(Place(str(path), i + 2, column), f"table {t!r} is listed twice (first on line {seen[t]})"))
        seen.setdefault(t, i + 2)
    if problems:
        raise InputError(problems[:100], total=len(problems))
    distinct = sorted(set(keys))
    rank = {k: r + 1 for r, k in enumerate(distinct)}
    return {t: rank[k] for t, k in zip(tables, keys, strict=True)}


def _key(text: str) -> float | None:
    if text.lstrip("-").isdigit():
        return float(int(text))
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
