"""Printing data for people (Rich tables) and for scripts (JSON, CSV): one function each.

JSON is stable to script against: keys are the documented names, numbers are numbers, and
nothing is localised. CSV flattens nested fields with dots (``votes.PL``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from escrutinio.formats.flat import flatten, write_csv

FORMATS = ("table", "json", "csv")


def emit_json(data: Any) -> None:
    import orjson

    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def error_document(message: str, *, field: str | None = None, rule: str = "invalid", **more: Any) -> dict[str, Any]:
    """The one shape of an error, the API's answer and the CLI's under ``--format json``:
    ``{"error": {"field", "rule", "message", ...}}`` (``more``: what a skin adds, such as the
    API's ``retry`` or the CLI's ``option``; None values are left out)."""
    error: dict[str, Any] = {"field": field, "rule": rule, "message": message}
    error.update((k, v) for k, v in more.items() if v is not None)
    return {"error": error}


def emit_error(
    message: str, *, as_json: bool, field: str | None = None, rule: str = "refused", option: str | None = None
) -> None:
    """An error on stderr, where a script looks for it (stdout holds only data): ``error: ...``,
    or for a command asked for ``--format json`` one line of :func:`error_document`, with
    ``option`` (how the command line takes the field) and, for an error of several lines (a
    file's problems), every line in ``problems``."""
    if not as_json:
        sys.stderr.write(f"error: {message}\n")
        return
    import orjson

    lines = message.split("\n")
    problems = lines if len(lines) > 1 else None
    document = error_document(lines[0], field=field, rule=rule, option=option, problems=problems)
    sys.stderr.buffer.write(orjson.dumps(document) + b"\n")
    sys.stderr.flush()


def emit_csv(rows: Sequence[dict[str, Any]], empty: Sequence[str] = ()) -> None:
    """``rows`` as CSV on stdout; ``empty``: the header when there is no row."""
    write_csv(rows, sys.stdout, empty)


def csv_text(rows: Sequence[dict[str, Any]], empty: Sequence[str] = ()) -> str:
    """Rows as CSV text (the API's ``?format=csv``: the same columns the CLI prints, and the
    same bytes ``escrutinio publish`` writes: ``formats.flat``)."""
    import io

    out = io.StringIO()
    write_csv(rows, out, empty)
    return out.getvalue()


def width() -> int:
    """The columns to print in: ``COLUMNS`` when set, the terminal's width on a terminal, and a
    wide page (240) in a pipe, where nothing wraps a line."""
    import os
    import shutil

    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return 240


def console() -> Any:
    from rich.console import Console

    return Console(width=width(), highlight=False)


def cell(value: Any) -> str:
    """A value as a person reads it: integers with separators, floats to 3 places, None empty."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


GAP = 3
"""Characters between two columns of a table (padding and rule)."""
NARROWEST = 8
"""A text column cut with an ellipsis keeps at least this many characters."""
WRAPPED = 24
"""A text column that wraps keeps at least this many characters a line."""


def _widths(
    flat: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], wrap: Sequence[str], room: int, whole: Sequence[str] = ()
) -> tuple[list[int], list[bool], bool]:
    """Each column's width, whether it is numeric, and whether the whole fits in ``room``.

    Figures keep their full width; text columns give way, widest first, down to
    :data:`NARROWEST` characters (:data:`WRAPPED` for the ones that wrap).
    """
    widths, numeric, floor = [], [], []
    for header, key in columns:
        values = [r.get(key) for r in flat]
        number = any(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        natural = max([len(header), *(len(cell(v)) for v in values)])
        widths.append(natural)
        numeric.append(number)
        least = WRAPPED if key in wrap else NARROWEST
        floor.append(natural if number or key in whole else min(natural, max(least, len(header))))
    excess = sum(widths) + GAP * (len(widths) - 1) - room
    while excess > 0:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            return widths, numeric, False
        i = max(shrinkable, key=lambda j: widths[j])
        step = min(excess, widths[i] - floor[i])
        widths[i] -= step
        excess -= step
    return widths, numeric, True


def table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
    wrap: Sequence[str] = (),
    whole: Sequence[str] = (),
) -> Any:
    """A Rich table of selected (header, dotted key) columns, laid out for the page.

    Numbers are right-aligned and never cut (a figure shown as ``8…`` is worse than no figure):
    their columns keep their full width, and only text columns give way, with an ellipsis (or
    wrapped, for the keys in ``wrap``: sentences a reader needs whole). Text columns in
    ``whole`` (times, ids) are never cut either.
    """
    from rich import box
    from rich.table import Table

    flat = [flatten(r) for r in rows]
    widths, numeric, _fits = _widths(flat, columns, wrap, width(), whole)
    # Too many figures for the page: each keeps its width and the line runs on (a terminal
    # wraps it) rather than cutting a number.
    out = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title_justify="left")
    for (header, key), w, number in zip(columns, widths, numeric, strict=True):
        if number:
            out.add_column(header, justify="right", no_wrap=True, width=w)
        elif key in wrap:
            out.add_column(header, justify="left", overflow="fold", width=w)
        else:
            out.add_column(header, justify="left", no_wrap=True, overflow="ellipsis", width=w)
    for r in flat:
        out.add_row(*(cell(r.get(key)) for _, key in columns))
    return out


def fits(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], room: int | None = None) -> bool:
    """Whether these columns fit in ``room`` columns (the page width) with every figure whole."""
    return _widths([flatten(r) for r in rows], columns, (), room or width())[2]


def fitted(
    rows: Sequence[dict[str, Any]], required: Sequence[tuple[str, str]], optional: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``required`` columns plus as many ``optional`` ones (in priority order) as fit the page;
    the columns keep the order in which ``required`` and ``optional`` list them together."""
    order = {c: i for i, c in enumerate([*required, *optional])}
    chosen = list(required)
    for col in optional:
        trial = sorted([*chosen, col], key=order.__getitem__)
        if fits(rows, trial):
            chosen = trial
    return sorted(chosen, key=order.__getitem__)


def nonempty(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns that hold a value in some row (an empty column is room taken for nothing)."""
    flat = [flatten(r) for r in rows]
    return [(h, k) for h, k in columns if any(r.get(k) not in (None, "") for r in flat)]


def emit_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
    wrap: Sequence[str] = (),
    whole: Sequence[str] = (),
) -> None:
    """Print a table of selected (header, dotted key) columns (see :func:`table`)."""
    from rich.console import Console

    flat = [flatten(r) for r in rows]
    widths, _numeric, fit = _widths(flat, columns, wrap, width(), whole)
    page = console() if fit else Console(width=sum(widths) + GAP * (len(widths) - 1), highlight=False)
    if title:
        page.print(title, soft_wrap=False, markup=False)
    page.print(table(rows, columns, None, wrap, whole))


def say(text: str) -> None:
    """A line of prose for a person: wrapped to the page on a terminal (or at ``COLUMNS``), and
    left whole in a pipe, where a script greps it and a cut line would break the match."""
    import os

    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit():
        console().print(text, soft_wrap=False, markup=False)
    else:
        sys.stdout.write(text + "\n")


def emit(
    data: Any,
    fmt: str,
    rows: Sequence[dict[str, Any]] | None = None,
    columns: Sequence[tuple[str, str]] = (),
    title: str | None = None,
    empty: Sequence[str] = (),
) -> None:
    """Print ``data`` as JSON, or ``rows`` as CSV (``empty``: its header when there is no row)
    or a table."""
    if fmt == "json":
        emit_json(data)
    elif fmt == "csv":
        emit_csv(rows if rows is not None else [data], empty)
    else:
        emit_table(rows if rows is not None else [data], columns or [(k, k) for k in flatten((rows or [data])[0])], title)
