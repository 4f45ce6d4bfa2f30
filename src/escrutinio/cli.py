"""The ``escrutinio`` command: a thin skin over :class:`escrutinio.canvass.Canvass`.

Heavy libraries (polars, SQLAlchemy) are imported inside commands, so ``--help`` is instant.
Errors a user can act on are one clear line (no traceback unless ``--debug``).
"""


import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from escrutinio.cli_audit import audit_app
from escrutinio.cli_cases import cases_app, stakes_command
from escrutinio.cli_common import (
    STATE,
    DbOption,
    FormatOption,
    _canvass,
    _check_format,
    _progress,
    _with_progress,
)
from escrutinio.cli_export import export_command
from escrutinio.cli_forensics import forensics_command
from escrutinio.domain.errors import EscrutinioError

app = typer.Typer(
    name="escrutinio",
    help="From polling-table tally sheets to a certified, verifiable election result.\n\n"
    "Example: escrutinio load Resultados_2da_vuelta_Version_PCM.csv.gz --election peru-2021-runoff",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log_app = typer.Typer(help="The event log: export it for anyone to verify.", no_args_is_help=True)
app.add_typer(log_app, name="log")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")
app.command("stakes")(stakes_command)
app.command("forensics")(forensics_command)
app.command("export")(export_command)


@app.callback()
def main_options(
    db: DbOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors")] = False,
) -> None:
    STATE["db"] = db
    STATE["debug"] = debug


RESULT_COLUMNS = [
    ("area", "area"),
    ("name", "name"),
    ("tables", "tables.total"),
    ("counted", "tables.counted"),
    ("resolved", "tables.resolved"),
    ("observed", "tables.observed"),
    ("annulled", "tables.annulled"),
    ("not inst.", "tables.not_installed"),
    ("pending", "tables.pending"),
    ("cast", "ballots_cast"),
    ("valid", "valid"),
    ("blank", "blank"),
    ("null", "null"),
]


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="Tally-sheet file (ONPE CSV, or CSV/Parquet with a column map); .gz is fine")],
    election: Annotated[str | None, typer.Option("--election", "-e", help="Preset name or TOML path (first load only)")] = None,
    invalid: Annotated[
        str, typer.Option("--invalid", help="Sheets that break a rule: reject the file, or observe them")
    ] = "reject",
    new_tables: Annotated[bool, typer.Option("--new-tables", help="Register tables not yet on the roll")] = False,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Load tally sheets into the store (created on first use); the same file twice changes nothing.

    Example: escrutinio load Resultados_2da_vuelta_Version_PCM.csv.gz --election peru-2021-runoff
    """
    _check_format(fmt)
    canvass = _canvass(db)
    summary = _with_progress(canvass.load, file, election, mode=invalid, new_tables=new_tables)
    from escrutinio.output import emit

    if fmt == "table":
        actions = summary.get("actions", {})
        typer.echo(
            f"{summary['file']}: {summary['rows']:,} rows; {summary['new_tables']:,} new tables; "
            f"recorded {sum(summary['recorded_by_state'].values()):,} sheets "
            f"({', '.join(f'{k} {v:,}' for k, v in sorted(summary['recorded_by_state'].items()))}); "
            f"unchanged {actions.get('unchanged', 0):,}; {summary['events']} events; head {summary['head'][:16]}…"
        )
    else:
        emit(summary, fmt)


@app.command()
def results(
    level: Annotated[str | None, typer.Option("--level", "-l", help="national, department, province, district or table")] = None,
    area: Annotated[str | None, typer.Option("--area", "-a", help="Area code (e.g. 14 for Lima, 140137 for a district)")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Results: tables by state, ballots, votes, shares, leader and margin, for each area.

    Example: escrutinio results --level department --format json
    """
    _check_format(fmt)
    canvass = _canvass(db)
    rows = canvass.results(level, area)
    from escrutinio.output import emit

    if fmt == "json":
        emit(rows, fmt)
        return
    election = canvass.election()
    choices = election.contest.choice_ids
    if level == "table":
        cols = [("table", "table"), ("area", "area"), ("state", "state"), ("electors", "electors"), ("cast", "cast")]
        cols += [(c, f"v_{c}") for c in choices]
    else:
        cols = [*RESULT_COLUMNS, *((c, f"votes.{c}") for c in choices), *((f"{c} %", f"shares.{c}") for c in choices[:4])]
        cols += [("leader", "leader"), ("margin", "margin_votes")]
    emit(rows, fmt, rows=rows, columns=cols, title=f"{election.name}: results")
    if fmt == "table" and rows and "outcome" in rows[0]:
        nat = rows[0]
        typer.echo(f"Outcome: {nat['outcome']['reading']}.")
        prov = nat["provisional"]
        if prov["tables"]:
            votes = ", ".join(f"{c} {v:,}" for c, v in prov["votes"].items())
            typer.echo(f"At the dispute body, not counted: {prov['tables']:,} sheets (provisional: {votes}).")
        if "proclaimed" in nat and not nat["proclaimed"]["matches"]:
            diff = ", ".join(f"{c} {v:+,}" for c, v in nat["proclaimed"]["counted_minus_proclaimed"]["votes"].items())
            typer.echo(f"Counted minus proclaimed ({nat['proclaimed']['source']}): {diff}. {nat['proclaimed']['note']}.")


@app.command()
def status(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """Progress: share of sheets processed and counted, electors counted; sheets by state and reason.

    Example: escrutinio status --format json
    """
    _check_format(fmt)
    data = _canvass(db).status()
    from escrutinio.output import emit

    if fmt != "table":
        emit(data, fmt)
        return
    typer.echo(
        f"{data['election']}: {data['processed']:,}/{data['tables']:,} sheets processed ({data['processed_pct']}%), "
        f"{data['counted']:,} counted ({data['counted_pct']}%), electors counted {data['electors_counted_pct']}%"
    )
    emit(
        data,
        "table",
        rows=[{"state": k, "sheets": v} for k, v in data["by_state"].items()],
        columns=[("state", "state"), ("sheets", "sheets")],
    )
    if data["by_reason"]:
        emit(
            data,
            "table",
            rows=[{"reason": k, "sheets": v} for k, v in data["by_reason"].items()],
            columns=[("reason", "reason"), ("sheets", "sheets")],
        )


@log_app.command("export")
def log_export(file: Annotated[Path, typer.Argument(help="Where to write the log (JSON Lines)")], db: DbOption = None) -> None:
    """Write the whole event log as JSON Lines, one canonical event per line.

    Example: escrutinio log export escrutinio-log.jsonl
    """
    n, head = _canvass(db).export_log(file)
    typer.echo(f"{file}: {n:,} events, head {head}")


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="An exported log (JSON Lines)")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Check every hash and link of an exported log, rebuild the results from it alone, and
    compare them with what the store publishes (when there is a store).

    Example: escrutinio verify escrutinio-log.jsonl
    """
    _check_format(fmt)
    canvass = _canvass(db)
    report = _with_progress(canvass.verify, file)
    from escrutinio.output import emit

    if fmt != "table":
        emit(report.to_dict(), fmt)
    else:
        nat = report.national
        votes = ", ".join(f"{c} {v:,}" for c, v in nat["votes"].items())
        where = "matches the store" if report.compared_with_store and report.ok else "no store to compare with"
        if report.differences:
            where = f"DIFFERS from the store in {len(report.differences)} figures (first: {report.differences[0]})"
        typer.echo(f"{file}: {report.events:,} events, every hash and link checks; head {report.head}")
        typer.echo(f"Recomputed: {votes}; ballots cast {nat['ballots_cast']:,}; {where}.")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def demo(
    tables: Annotated[int, typer.Option("--tables", "-n", help="Number of polling tables")] = 86_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic election")] = 2021,
    keep: Annotated[Path | None, typer.Option("--keep", help="Keep the store at this path instead of a temporary one")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Build a seeded synthetic national election, count it, and show the results.

    Example: escrutinio demo --tables 20000
    """
    _check_format(fmt)
    from escrutinio.demo import run_demo

    run_demo(tables=tables, seed=seed, keep=keep, fmt=fmt, progress=_progress())


@app.command()
def elections(fmt: FormatOption = "table") -> None:
    """List the election definitions shipped with escrutinio (use one with --election NAME).

    Example: escrutinio elections
    """
    _check_format(fmt)
    from escrutinio.formats.definition import load_definition, preset_names
    from escrutinio.output import emit

    rows = []
    for name in preset_names():
        e, _ = load_definition(name)
        rows.append(
            {
                "preset": name,
                "name": e.name,
                "date": e.date.isoformat(),
                "choices": len(e.contest.choices),
                "format": e.source.format,
            }
        )
    emit(rows, fmt, rows=rows)


def main() -> None:
    """Console entry point: run the app, turning known errors into one clear line."""
    debug = "--debug" in sys.argv
    try:
        app()
    except SystemExit as done:
        if done.code in (0, None):
            _end_successful_command()
        raise
    except EscrutinioError as exc:
        if debug:
            raise
        message = str(exc)
        sys.stderr.write(f"error: {message}\n")
        sys.exit(1)
    except (OSError, ValueError) as exc:
        if debug:
            raise
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)


def _end_successful_command() -> None:
    """End the process without the interpreter's teardown, once a command has succeeded.

    Everything the command did is committed and its output written by now; what is left is
    freeing, one by one, the objects of a national load (frames, SQLAlchemy, polars), which
    costs about 0.1 s and changes nothing on disk. SQLite connections are closed first (the
    last one folds the write-ahead log into the ``.db`` file), then output is flushed.
    """
    if "escrutinio.store.reader" in sys.modules:
        sys.modules["escrutinio.store.reader"].close_readers()
    if "escrutinio.store.lite" in sys.modules:
        sys.modules["escrutinio.store.lite"].close_all()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (e.g. `| head`); nothing left to write
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
