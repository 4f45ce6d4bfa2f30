"""``escrutinio forensics``: statistical election forensics, a thin skin over the application."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from escrutinio.app import Session
from escrutinio.cli_common import actor_name
from escrutinio.parsing import (
    FORENSIC_TEST_NAMES,
    InputError,
    parse_alpha,
    parse_forensics_tests,
    parse_forensics_thresholds,
)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store: SQLite path or PostgreSQL URL [env ESCRUTINIO_DB; default ./escrutinio.db]")
]


def forensics_command(
    ctx: typer.Context,
    tests: Annotated[
        str | None,
        typer.Option("--tests", help=f"Comma-separated families: {FORENSIC_TEST_NAMES}; default: all"),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Condition on this level of the election (its own names, e.g. region); "
            "default: the level each method's paper used",
        ),
    ] = None,
    claims: Annotated[
        Path | None,
        typer.Option(
            "--claims",
            help="CSV of claimed tables (a table column: table, MESA_DE_VOTACION, mesa or Número Mesa); only those "
            "with settled figures (counted or resolved) are compared, the others are counted and said",
        ),
    ] = None,
    order: Annotated[
        Path | None,
        typer.Option(
            "--order",
            help="CSV of the real count order: a table column (table, MESA_DE_VOTACION, mesa, or Número Mesa as in "
            "the TREP files, taken as they are), optional at (time or rank; without it, one moment); tables not "
            "listed are not yet counted, and the listed ones are read with the store's figures (the final count's, "
            "not a snapshot's own). Default: the times the log recorded each sheet",
        ),
    ] = None,
    places: Annotated[
        Path | None,
        typer.Option(
            "--places",
            help="CSV (or .csv.gz) of each table's polling-place coordinates for the count order: a table column "
            "(as --order takes) and latitude and longitude, or lat and lon, in degrees (empty: unknown), e.g. "
            "Bolivia's final_computo.csv.gz as it is. A place with nothing counted is then projected from its "
            "nearest counted place; the result names the file, whose coordinates are taken as it gives them",
        ),
    ] = None,
    alpha: Annotated[
        str | None,
        typer.Option(
            "--alpha",
            help="Significance level, more than 0.001 (the Monte Carlo nulls' 999 draws give no p below 1/1000; default 0.05)",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the resampling: Monte Carlo nulls, the count order's interval")
    ] = 0,
    thresholds: Annotated[
        str | None,
        typer.Option("--thresholds", help="Anomaly thresholds: turnout=0.95,null_share=0.3,unanimous_votes=50"),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report with figures (PNG) and data (JSON) here")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="The --report's language: es or en")] = "es",
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output: table (text), json or csv")] = "table",
) -> None:
    """Statistical election forensics on table-level results, conditioned on geography: anomalous
    tables, turnout x share fingerprint, integer percentages, digit tests, claims vs peers, count
    order. Each test says flagged, not flagged or cannot tell: evidence to weigh, never a verdict.

    Example: escrutinio forensics --tests integer --by department --format json
    """
    if fmt not in ("table", "text", "json", "csv"):
        raise InputError(f"--format: expected table, json or csv, got {fmt!r}")
    from escrutinio.app.forensics import ForensicsOptions

    options = ForensicsOptions(
        tests=parse_forensics_tests(tests),
        by=by,
        claims=claims,
        order=order,
        places=places,
        report=report,
        alpha=parse_alpha(alpha),
        seed=seed,
        thresholds=parse_forensics_thresholds(thresholds),
    )
    if db is None and ctx.parent is not None:
        db = ctx.parent.params.get("db")  # the global ``escrutinio --db X forensics``
    from escrutinio.web.reports import forensics_html, report_language

    lang = report_language(lang)  # refused with or without --report: a value not of its form is a usage error
    with Session(db, actor=actor_name()) as session:
        result = _run_with_progress(session, options)
        if report is not None:
            index = session.forensics.write_report(result, report)  # the figures (PNG) and their data (JSON)
            index.write_text(forensics_html(result, lang, session.count.contest()), encoding="utf-8")
            sys.stderr.write(f"report: {index}\n")
    from escrutinio.output import emit_csv, emit_json

    if fmt == "json":
        emit_json(result.to_dict(with_figures=False))
    elif fmt == "csv":
        emit_csv(result.csv_rows())
        for note in result.notes:  # CSV is one row per result: what concerns the whole run goes beside it
            sys.stderr.write(f"note: {note}\n")
    else:
        typer.echo(result.to_text())
    if failed := result.failed:  # the other families' results are printed above; exit 0 only on success
        names = ", ".join(r.family for r in failed)
        sys.stderr.write(f"error: the {names} test{'s' if len(failed) > 1 else ''} failed to run (see its result)\n")
        raise typer.Exit(1)


def _run_with_progress(session: Session, options):  # type: ignore[no-untyped-def]
    """The suite, with a progress bar on a terminal (none in pipes and CI)."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return session.forensics.run(options)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("forensics", total=None)
        return session.forensics.run(
            options, progress=lambda step, done, total: bar.update(task, description=step, completed=done, total=total)
        )
