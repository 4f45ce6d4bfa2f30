"""Printing data for people (Rich tables) and for scripts (JSON, CSV): one function each.

JSON is stable to script against: keys are the documented names, numbers are numbers, and
nothing is localised. CSV flattens nested fields with dots (``votes.PL``).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "json", "csv")


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out[name] = ";".join("" if v is None else str(v) for v in value)
        else:
            out[name] = value
    return out


def emit_json(data: Any) -> None:
    import orjson

    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def emit_csv(rows: Sequence[dict[str, Any]]) -> None:
    flat = [flatten(r) for r in rows]
    columns: dict[str, None] = {}
    for r in flat:
        columns.update(dict.fromkeys(r))
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], title: str | None = None) -> None:
    """A Rich table of selected (header, dotted key) columns; numbers right-aligned with separators."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    flat = [flatten(r) for r in rows]
    for header, key in columns:
        numeric = any(isinstance(r.get(key), int | float) and not isinstance(r.get(key), bool) for r in flat)
        table.add_column(header, justify="right" if numeric else "left")
    for r in flat:
        cells = []
        for _, key in columns:
            v = r.get(key)
            if isinstance(v, bool) or v is None:
                cells.append("" if v is None else str(v))
            elif isinstance(v, int):
                cells.append(f"{v:,}")
            elif isinstance(v, float):
                cells.append(f"{v:.3f}")
            else:
                cells.append(str(v))
        table.add_row(*cells)
    Console(width=None if sys.stdout.isatty() else 240).print(table)


def emit(
    data: Any,
    fmt: str,
    rows: Sequence[dict[str, Any]] | None = None,
    columns: Sequence[tuple[str, str]] = (),
    title: str | None = None,
) -> None:
    """Print ``data`` as JSON, or ``rows`` as CSV or a table."""
    if fmt == "json":
        emit_json(data)
    elif fmt == "csv":
        emit_csv(rows if rows is not None else [data])
    else:
        emit_table(rows if rows is not None else [data], columns or [(k, k) for k in flatten((rows or [data])[0])], title)
