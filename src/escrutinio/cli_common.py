"""What every ``escrutinio`` command shares: options, the store, progress bars, formats."""


import os
import sys
from typing import Annotated, Any

import typer

from escrutinio.domain.errors import EscrutinioError

STATE: dict[str, Any] = {"db": None, "debug": False}

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store: SQLite path or PostgreSQL URL [env ESCRUTINIO_DB; default ./escrutinio.db]")
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output: table, json or csv")]


def _canvass(db: str | None = None):  # type: ignore[no-untyped-def]
    from escrutinio.canvass import Canvass

    return Canvass(db or STATE["db"], actor=os.environ.get("ESCRUTINIO_ACTOR", "cli"))


def _check_format(fmt: str) -> str:
    from escrutinio.output import FORMATS

    if fmt not in FORMATS:
        raise EscrutinioError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def _progress():  # type: ignore[no-untyped-def]
    """A Rich progress callback on a terminal; a silent one in pipes and CI."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)
    return bar


def _with_progress(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    bar = _progress()
    if bar is None:
        return fn(*args, **kwargs)
    with bar:
        task = bar.add_task("starting", total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        return fn(*args, progress=report, **kwargs)


def _contest_leaders(canvass) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    nat = canvass.results()[0]
    if not nat["leader"] or not nat["runner_up"]:
        raise EscrutinioError("no counted votes yet: load tally sheets first")
    return nat["leader"], nat["runner_up"]
