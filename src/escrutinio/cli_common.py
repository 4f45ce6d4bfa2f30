"""What every ``escrutinio`` command shares: options, the session, progress bars, formats.

CLI modules import only :mod:`escrutinio.app`, :mod:`escrutinio.parsing` and
:mod:`escrutinio.output` (and Typer/Rich): they parse text, call the application and print what
it returns.
"""

import os
import sys
from typing import Annotated, Any

import typer

from escrutinio.app import EscrutinioError, Session

STATE: dict[str, Any] = {"db": None, "debug": False, "key": None}

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store: SQLite path or PostgreSQL URL [env ESCRUTINIO_DB; default ./escrutinio.db]")
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output: table, json or csv")]


def session(db: str | None = None) -> Session:
    """The session of this command: the store from ``--db`` (here or before the command), the
    actor from ``ESCRUTINIO_ACTOR``, and the official's key that signs the rulings and audit
    results it records from ``escrutinio --key FILE`` or ``ESCRUTINIO_KEY``."""
    from pathlib import Path

    key = STATE.get("key") or os.environ.get("ESCRUTINIO_KEY") or None
    current = Session(db or STATE["db"], actor=os.environ.get("ESCRUTINIO_ACTOR", "cli"))
    return current.sign_with(Path(key) if key else None)


def _check_format(fmt: str) -> str:
    from escrutinio.output import FORMATS

    if fmt not in FORMATS:
        raise EscrutinioError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


check_format = _check_format


def _progress():  # type: ignore[no-untyped-def]
    """A Rich progress bar on a terminal; None in pipes and CI."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)


def _with_progress(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call ``fn`` with a ``progress`` callback drawing a bar (on a terminal only)."""
    bar = _progress()
    if bar is None:
        return fn(*args, **kwargs)
    with bar:
        task = bar.add_task("starting", total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        return fn(*args, progress=report, **kwargs)


def _contest_leaders(current: Session) -> tuple[str, str]:
    nat = current.count.results()[0]
    if not nat["leader"] or not nat["runner_up"]:
        raise EscrutinioError("no counted votes yet: load tally sheets first")
    return nat["leader"], nat["runner_up"]
