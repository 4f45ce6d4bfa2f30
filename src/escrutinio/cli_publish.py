"""``escrutinio publish DIR [--every N]``: the public view as static files (see
:mod:`escrutinio.app.publish` for what a tree holds and why it is swapped in whole).

With ``--every N`` it republishes every N seconds until interrupted; SIGINT or SIGTERM ends it
after the round in progress (a tree is swapped in whole or not at all, so even a hard kill
leaves the last published tree in place), exiting 0.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio.app import EscrutinioError
from escrutinio.cli_common import (
    DbOption,
    FormatOption,
    PassphraseFileOption,
    check_format,
    report_error,
    session,
    signing_key,
)


def publish_command(
    directory: Annotated[Path, typer.Argument(help="Where to publish (created if absent): serve DIR/current")],
    every: Annotated[
        str | None, typer.Option("--every", help="Republish every N seconds until interrupted (SIGINT/SIGTERM)")
    ] = None,
    keep: Annotated[str, typer.Option("--keep", help="Published trees kept for readers still reading them")] = "3",
    log_key: Annotated[
        Path | None,
        typer.Option("--log-key", help="The log's key (registered to the administrator): sign the head at each publish"),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Write the whole public view as static JSON and CSV files: results of every area at every
    level, progress, the docket, stakes, the log and its signed heads (heads.json), with a
    manifest of SHA-256s. Only what changed since the last publish is rewritten; readers never
    see a half-written tree. With --log-key, each publish first signs the log's head.

    Example: escrutinio publish public --every 10 --log-key log.key
    """
    from escrutinio.parsing import parse_count, parse_seconds

    check_format(fmt)
    period = parse_seconds(every, "every") if every is not None else None
    kept = parse_count(keep, "keep")
    key = signing_key(log_key, passphrase_file) if log_key is not None else None
    current = session(db)
    if period is None:
        _show(current.publish.write(directory, keep=kept, log_key=key).to_dict(), fmt)
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        try:
            _show(current.publish.write(directory, keep=kept, log_key=key).to_dict(), fmt)
        except EscrutinioError as exc:  # one bad round (the store busy, a server restarting): say so, go on
            report_error(exc)
        stop.wait(period)


def _show(report: dict[str, Any], fmt: str) -> None:
    from escrutinio.output import emit, say

    if fmt != "table":
        emit(report, fmt)
        return
    if report["unchanged"]:
        say(f"{report['directory']}: head {report['events']} already published ({report['tree']}); nothing written.")
        return
    how = "incremental" if report["incremental"] else "whole"
    say(
        f"{report['directory']}: published head {report['events']} ({report['head'][:16]}…) as {report['tree']} "
        f"({how}): {len(report['written']):,} files written, {report['kept']:,} kept, {report['files']:,} in all; "
        f"{report['seconds']} s."
    )
